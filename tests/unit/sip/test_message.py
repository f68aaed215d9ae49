"""The parser and serializer, fed bytes directly."""

from __future__ import annotations

import pytest

from dozvon.sip.message import (
    Headers,
    ParseError,
    Request,
    Response,
    frame_stream,
    parse,
    serialize,
)

INVITE = (
    b"INVITE sip:bob@example.com SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\n"
    b"Via: SIP/2.0/TCP 10.0.0.3;branch=z9hG4bK3\r\n"
    b"f: Alice <sip:alice@example.com>;tag=88\r\n"
    b"TO: <sip:bob@example.com>\r\n"
    b"i: abc@10.0.0.1\r\n"
    b"cseq: 7 INVITE\r\n"
    b"Subject: a long\r\n"
    b"  folded\r\n"
    b"\tsubject\r\n"
    b"c: application/sdp\r\n"
    b"l: 4\r\n"
    b"\r\n"
    b"v=0\r\nextra"
)


def test_compact_folded_and_comma_joined_headers() -> None:
    message = parse(INVITE)
    assert isinstance(message, Request)
    assert message.method == "INVITE"
    assert message.uri == "sip:bob@example.com"
    assert message.headers.get_all("Via") == [
        "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1",
        "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2",
        "SIP/2.0/TCP 10.0.0.3;branch=z9hG4bK3",
    ]
    assert message.headers.get("VIA") == "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1"
    assert message.headers.get("from") == "Alice <sip:alice@example.com>;tag=88"
    assert message.headers.get("Call-Id") == "abc@10.0.0.1"
    assert message.headers.get("subject") == "a long folded subject"
    assert message.body == b"v=0\r"  # Content-Length cuts the trailing bytes off


def test_serialize_round_trip_uses_full_names_and_recomputes_length() -> None:
    message = parse(INVITE)
    message.body = b"hello"
    again = parse(serialize(message))
    assert again.headers.get_all("via") == message.headers.get_all("via")
    assert again.body == b"hello"
    text = serialize(message).decode()
    assert "Call-ID: abc@10.0.0.1\r\n" in text
    assert "CSeq: 7 INVITE\r\n" in text
    assert "Content-Length: 5\r\n\r\nhello" in text


def test_response_and_commas_inside_quotes_and_brackets() -> None:
    data = (
        b"SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
        b'From: "Doe, John" <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: x\r\n'
        b'CSeq: 1 REGISTER\r\nContact: "A, B" <sip:a@h;x=1,2>, <sip:c@h>\r\n'
        b'WWW-Authenticate: Digest realm="r", nonce="n, m"\r\n\r\n'
    )
    message = parse(data)
    assert isinstance(message, Response)
    assert message.status == 401
    assert message.reason == "Unauthorized"
    assert message.headers.get_all("contact") == ['"A, B" <sip:a@h;x=1,2>', "<sip:c@h>"]
    assert message.headers.get("www-authenticate") == 'Digest realm="r", nonce="n, m"'
    assert message.body == b""


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"", "empty message"),
        (b"INVITE sip:a@b\r\n\r\n", "start line"),
        (b"INVITE sip:a@b SIP/3.0\r\n\r\n", "SIP version"),
        (b"SIP/2.0 99 Odd\r\n\r\n", "status code"),
        (b"invite sip:a@b SIP/2.0\r\n\r\n", "method"),
        (b"INVITE sip:a@b SIP/2.0\r\nVia SIP/2.0/UDP h\r\n\r\n", "header line without a name"),
        (b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n", "missing From"),
        (b"INVITE sip:a@b SIP/2.0\r\n\xff\xfe: x\r\n\r\n", "UTF-8"),
    ],
)
def test_malformed_messages_name_the_fault(data: bytes, what: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(data)
    assert what in caught.value.what


def _request(extra: bytes, body: bytes = b"") -> bytes:
    return (
        b"BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
        b"To: <sip:b@c>;tag=2\r\nCall-ID: c\r\n" + extra + b"\r\n" + body
    )


def test_bad_cseq_and_length_keep_headers_for_a_400() -> None:
    with pytest.raises(ParseError) as caught:
        parse(_request(b"CSeq: 1 INVITE\r\n"))
    assert "differs" in caught.value.what
    assert caught.value.is_request
    assert caught.value.headers.get("call-id") == "c"
    with pytest.raises(ParseError, match="truncated"):
        parse(_request(b"CSeq: 1 BYE\r\nContent-Length: 10\r\n", b"abc"))
    with pytest.raises(ParseError, match="not a number"):
        parse(_request(b"CSeq: 1 BYE\r\nContent-Length: x\r\n"))
    with pytest.raises(ParseError, match="CSeq"):
        parse(_request(b"CSeq: one BYE\r\n"))


def test_stream_framing_by_content_length() -> None:
    one = _request(b"CSeq: 1 BYE\r\nContent-Length: 3\r\n", b"abc")
    buffer = b"\r\n" + one + one[:20]
    message, rest = frame_stream(buffer)
    assert message == one
    assert rest == one[:20]
    assert frame_stream(rest) == (None, rest)


def test_headers_set_remove_and_replace_first() -> None:
    headers = Headers()
    headers.add("Via", "a, b")
    headers.replace_first("v", "z")
    assert headers.get_all("via") == ["z", "b"]
    headers.set("Subject", "x")
    headers.remove("s")
    assert "subject" not in headers
