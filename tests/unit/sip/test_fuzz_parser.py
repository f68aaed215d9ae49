"""Hostile input for the parser and the transaction layer: only ParseError may come out."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from dozvon.sip.auth import parse_challenge
from dozvon.sip.message import ParseError, frame_stream, parse
from dozvon.sip.sdp import negotiate, parse_sdp
from dozvon.sip.transaction import Destination, TransactionLayer
from dozvon.sip.uri import parse_name_addr, parse_uri, parse_via

SAMPLES = [
    b"INVITE sip:bob@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:bob@c>\r\nCall-ID: x1\r\nCSeq: 1 INVITE\r\n"
    b"Contact: <sip:a@10.0.0.1>\r\nContent-Type: application/sdp\r\nContent-Length: 62\r\n\r\n"
    b"v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 8 101\r\na=sendrecv\r\n",
    b"SIP/2.0 407 Proxy Authentication Required\r\nv: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
    b"f: <sip:a@b>;tag=1\r\nt: <sip:bob@c>;tag=2\r\ni: x1\r\nCSeq: 1 INVITE\r\n"
    b'Proxy-Authenticate: Digest realm="r", nonce="n", qop="auth"\r\nl: 0\r\n\r\n',
    b"BYE sip:a@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.2:5060;branch=z9hG4bK9\r\n"
    b"From: <sip:bob@c>;tag=2\r\nTo: <sip:a@b>;tag=1\r\nCall-ID: x1\r\nCSeq: 2 BYE\r\n\r\n",
]


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    """A real message cut short, with bytes spliced in, or with lines dropped or repeated."""
    data = draw(st.sampled_from(SAMPLES))
    kind = draw(st.sampled_from(["truncate", "splice", "lines", "random"]))
    if kind == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "splice":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(max_size=40)) + data[at + draw(st.integers(0, 20)) :]
    if kind == "lines":
        lines = data.split(b"\r\n")
        picks = draw(st.lists(st.integers(0, len(lines) - 1), max_size=len(lines) + 4))
        return b"\r\n".join(lines[i] for i in picks)
    return draw(st.binary(max_size=600))


@given(mangled())
@settings(max_examples=400, deadline=None)
def test_parser_and_transactions_raise_only_parse_error(data: bytes) -> None:
    layer = TransactionLayer()
    try:
        message = parse(data)
        layer.receive(message, Destination("udp", "10.0.0.9", 5060), 0.0)
        layer.tick(100.0)
    except ParseError as exc:
        assert exc.what
    with contextlib.suppress(ParseError):
        frame_stream(data)


@given(st.text(max_size=120))
@settings(max_examples=300, deadline=None)
def test_field_parsers_raise_only_parse_error(text: str) -> None:
    for parser in (parse_uri, parse_name_addr, parse_via, parse_challenge):
        with contextlib.suppress(ParseError):
            parser(text)
    with contextlib.suppress(ParseError):
        negotiate(parse_sdp(text.encode()))
