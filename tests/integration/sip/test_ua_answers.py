"""What a live UA answers on its own, seen from a plain UDP socket."""

from __future__ import annotations

import asyncio
import socket

import pytest

from dozvon.sip.message import Response, parse
from dozvon.sip.ua import UserAgent

pytestmark = pytest.mark.sip


def request(method: str, extra: str = "", to_tag: str = "", cseq_method: str = "") -> bytes:
    tag = f";tag={to_tag}" if to_tag else ""
    return (
        f"{method} sip:robot@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK{method}\r\n"
        f"From: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:robot@127.0.0.1>{tag}\r\n"
        f"Call-ID: probe-{method}\r\nCSeq: 1 {cseq_method or method}\r\n{extra}"
        "Content-Length: 0\r\n\r\n"
    ).encode()


async def exchange(ua: UserAgent, data: bytes) -> Response | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        probe.setblocking(False)
        probe.sendto(data, ("127.0.0.1", ua.port))
        loop = asyncio.get_running_loop()
        try:
            reply = await asyncio.wait_for(loop.sock_recv(probe, 65535), 0.5)
        except TimeoutError:
            return None
    message = parse(reply)
    assert isinstance(message, Response)
    return message


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (request("OPTIONS"), 200),
        (request("REGISTER"), 405),
        (request("BYE", to_tag="nobody"), 481),
        (request("INFO"), 481),
        (request("INVITE", extra="Require: 100rel\r\n"), 420),
        (request("BYE", cseq_method="INVITE"), 400),
    ],
)
async def test_out_of_dialog_answers(ua: UserAgent, data: bytes, status: int) -> None:
    response = await exchange(ua, data)
    assert response is not None
    assert response.status == status
    via = response.headers.get("via") or ""
    if status != 400:  # RFC 3581: the real source port, as the reply went there, not to :9
        assert "received=127.0.0.1" in via and ";rport=9;" not in via and ";rport=" in via
    if status == 200:
        assert "INVITE" in (response.headers.get("allow") or "")
    if status == 420:
        assert response.headers.get("unsupported") == "100rel"
    if status == 400:
        assert "differs" in (response.headers.get("warning") or "")


async def test_malformed_response_is_dropped_silently(ua: UserAgent) -> None:
    assert await exchange(ua, b"SIP/2.0 200 OK\r\nVia: broken\r\n\r\n") is None
    assert await exchange(ua, request("OPTIONS")) is not None  # and the UA still answers


async def test_a_malformed_number_is_masked_in_the_log(
    ua: UserAgent, caplog: pytest.LogCaptureFixture
) -> None:
    bad_to = request("OPTIONS").replace(
        b"To: <sip:robot@127.0.0.1>", b"To: <sip:+79161234567@[bad>"
    )
    response = await exchange(ua, bad_to)
    assert response is not None and response.status == 400
    assert "IPv6" in (response.headers.get("warning") or "")  # the sender learns what was wrong
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "400 to a malformed request" in logged
    assert "79161234567" not in logged
    assert "*********67" in logged
