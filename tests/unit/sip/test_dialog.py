"""Dialog state from both sides, and SIP INFO digit bodies."""

from __future__ import annotations

import pytest

from dozvon.sip.call import dtmf_from_info
from dozvon.sip.dialog import Dialog
from dozvon.sip.masking import mask_numbers
from dozvon.sip.message import Request, Response, parse

INVITE = (
    b"INVITE sip:bob@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
    b"From: <sip:alice@a.example>;tag=ours\r\nTo: <sip:bob@b.example>\r\nCall-ID: d1\r\n"
    b"CSeq: 5 INVITE\r\nContact: <sip:alice@10.0.0.1:5070>\r\n"
    b"Record-Route: <sip:p1.example;lr>, <sip:p2.example;lr>\r\n\r\n"
)
OK = (
    b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
    b"From: <sip:alice@a.example>;tag=ours\r\nTo: <sip:bob@b.example>;tag=theirs\r\n"
    b"Call-ID: d1\r\nCSeq: 5 INVITE\r\nContact: <sip:bob@10.0.0.2:5080>\r\n"
    b"Record-Route: <sip:p2.example;lr>, <sip:p1.example;lr>\r\n\r\n"
)


def messages() -> tuple[Request, Response]:
    request, response = parse(INVITE), parse(OK)
    assert isinstance(request, Request) and isinstance(response, Response)
    return request, response


def test_uac_dialog_reverses_the_route_set_and_counts_cseq_on() -> None:
    request, response = messages()
    dialog = Dialog.from_uac(request, response)
    assert dialog.key == ("d1", "ours", "theirs")
    assert dialog.route_set == ["<sip:p1.example;lr>", "<sip:p2.example;lr>"]
    assert dialog.next_hop().host == "p1.example"
    bye = dialog.request("BYE", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2")
    assert bye.uri == "sip:bob@10.0.0.2:5080"  # the remote target, routed loosely
    assert bye.headers.get_all("route") == dialog.route_set
    assert bye.headers.get("cseq") == "6 BYE"
    ack = dialog.request("ACK", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK3", cseq=5)
    assert ack.headers.get("cseq") == "5 ACK"
    assert ack.headers.get("to") == "<sip:bob@b.example>;tag=theirs"


def test_uas_dialog_keeps_route_order_and_refuses_old_cseq() -> None:
    request, _ = messages()
    dialog = Dialog.from_uas(request, "mine")
    assert dialog.local.tag == "mine"
    assert dialog.remote.tag == "ours"
    assert dialog.remote_target.port == 5070
    assert dialog.route_set[0] == "<sip:p1.example;lr>"
    older = parse(INVITE.replace(b"5 INVITE", b"4 INFO").replace(b"INVITE sip", b"INFO sip"))
    newer = parse(INVITE.replace(b"5 INVITE", b"6 INFO").replace(b"INVITE sip", b"INFO sip"))
    assert isinstance(older, Request) and isinstance(newer, Request)
    assert not dialog.accepts(older)
    assert dialog.accepts(newer)
    assert not dialog.accepts(newer)  # the same CSeq again is a replay


@pytest.mark.parametrize(
    ("content_type", "body", "digit"),
    [
        ("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n", "5"),
        ("Application/DTMF-Relay; charset=x", b"signal= #\r\n", "#"),
        ("application/dtmf", b"7", "7"),
        ("application/dtmf", b"11", "#"),  # event code 11 is '#'
        ("application/dtmf", b"16", None),
        ("application/dtmf-relay", b"Signal=55\r\n", None),
        ("application/dtmf-relay", b"Duration=160\r\n", None),
        ("text/plain", b"5", None),
    ],
)
def test_info_digits(content_type: str, body: bytes, digit: str | None) -> None:
    assert dtmf_from_info(content_type, body) == digit


def test_mask_numbers_in_free_text() -> None:
    text = mask_numbers("bad host in 'sip:+7 (916) 123-45-67@x' and port 5060")
    assert "123-45" not in text and "916" not in text
    assert text.endswith("port 5060")
