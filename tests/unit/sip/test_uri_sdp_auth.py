"""URIs, name-addr, Via, SDP offer/answer and digest answers."""

from __future__ import annotations

import pytest

from dozvon.sip.auth import Challenge, Credentials, authorization, parse_challenge
from dozvon.sip.message import ParseError
from dozvon.sip.sdp import answer_direction, build_sdp, negotiate, parse_sdp
from dozvon.sip.uri import SipUri, parse_name_addr, parse_uri, parse_via


def test_uri_forms() -> None:
    uri = parse_uri("sip:+79161234567@[2001:db8::1]:5070;transport=tcp;lr?subject=x")
    assert uri == SipUri(
        "2001:db8::1", "+79161234567", 5070, "sip", {"transport": "tcp", "lr": None}
    )
    assert str(uri) == "sip:+79161234567@[2001:db8::1]:5070;transport=tcp;lr"
    assert uri.transport == "tcp"
    assert parse_uri("sip:alice:secret@example.com").user == "alice"
    for bad in ("tel:+7123", "sip:", "sip:a@b:99999", "sip:a@b:x", "sip:a@[::1"):
        with pytest.raises(ParseError):
            parse_uri(bad)


def test_name_addr_both_forms() -> None:
    named = parse_name_addr('"Doe; J" <sip:a@b;lr>;tag=9;x')
    assert named.display == "Doe; J"
    assert named.uri.params == {"lr": None}
    assert named.tag == "9"
    bare = parse_name_addr("sip:a@b;tag=7")
    assert bare.tag == "7"
    assert bare.uri.params == {}
    assert str(bare.with_tag("8")) == "<sip:a@b>;tag=8"


def test_via() -> None:
    via = parse_via("SIP / 2.0 / udp 10.0.0.1:5062;rport;branch=z9hG4bKabc")
    assert (via.transport, via.host, via.port, via.branch) == (
        "UDP",
        "10.0.0.1",
        5062,
        "z9hG4bKabc",
    )
    assert via.params["rport"] is None
    with pytest.raises(ParseError):
        parse_via("HTTP/1.1/UDP h")


SIPP_ANSWER = (
    b"v=0\r\no=- 1 2 IN IP4 10.0.0.9\r\ns=x\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n"
    b"m=audio 16000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n"
)


def test_sdp_negotiation_takes_the_offerers_first_common_codec() -> None:
    offer = parse_sdp(SIPP_ANSWER)
    assert offer.port == 16000
    assert offer.event_payload_type == 101
    stream = negotiate(offer)
    assert (stream.codec, stream.payload_type, stream.remote_address) == ("PCMU", 0, "10.0.0.9")
    assert stream.on_hold
    assert answer_direction(offer.direction) == "recvonly"


def test_sdp_hold_by_zero_address_and_our_offer() -> None:
    ours = build_sdp("10.1.1.1", 4000, direction="inactive")
    parsed = parse_sdp(ours)
    assert parsed.payload_types == (8, 0, 101)
    assert parsed.direction == "inactive"
    old_hold = parse_sdp(SIPP_ANSWER.replace(b"IN IP4 10.0.0.9\r\nt", b"IN IP4 0.0.0.0\r\nt"))
    assert negotiate(old_hold).on_hold


@pytest.mark.parametrize(
    "body",
    [
        b"v=0\r\n",
        b"m=audio x RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\n",
        b"m=audio 4 RTP/AVP 18\r\n",
        b"\xff",
    ],
)
def test_sdp_errors(body: bytes) -> None:
    with pytest.raises(ParseError):
        negotiate(parse_sdp(body))


def test_digest_rfc2617_example() -> None:
    # RFC 2617 §3.5: the Mufasa example (an HTTP vector; the algorithm is the same)
    challenge = parse_challenge(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    assert challenge.qop == ("auth", "auth-int")
    answer = authorization(
        challenge, Credentials("Mufasa", "Circle Of Life"), "GET", "/dir/index.html", 1, "0a4f113b"
    )
    assert 'response="6629fae49393a05397450978507c4ef1"' in answer
    assert "nc=00000001" in answer
    assert 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in answer


def test_digest_without_qop_and_bad_challenges() -> None:
    answer = authorization(Challenge("r", "n"), Credentials("u", "p"), "REGISTER", "sip:r")
    assert "qop" not in answer and "cnonce" not in answer
    for bad in (
        'Basic realm="x"',
        'Digest realm="x"',
        'Digest realm="x", nonce="y", algorithm=SHA-512',
    ):
        with pytest.raises(ParseError):
            parse_challenge(bad)
