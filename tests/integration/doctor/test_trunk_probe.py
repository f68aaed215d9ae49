"""The doctor's OPTIONS probe against a real SIP peer, a silent port and a closed port."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from dozvon.config.trunk import TrunkSettings
from dozvon.doctor import Status
from dozvon.doctor.checks import trunk_checks
from dozvon.doctor.sip_probe import options_request, probe_options
from tests.integration.doctor.conftest import free_udp_port

pytestmark = pytest.mark.sip


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A UDP socket that receives and never answers: a trunk dropping our packets."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def test_sipp_answers_our_options(sipp_trunk: int) -> None:
    assert probe_options("127.0.0.1", sipp_trunk, timeout=2) == "SIP/2.0 200 OK"


def test_trunk_check_passes_against_sipp(sipp_trunk: int) -> None:
    [check] = trunk_checks(TrunkSettings(host="127.0.0.1", port=sipp_trunk), timeout=2)
    assert check.status is Status.OK
    assert "200 OK" in check.detail


def test_silent_trunk_fails_with_a_fix(silent_port: int) -> None:
    [check] = trunk_checks(TrunkSettings(host="127.0.0.1", port=silent_port), timeout=0.3)
    assert check.status is Status.FAIL
    assert "OPTIONS" in check.detail
    assert "trunk.host" in check.fix


def test_closed_port_fails() -> None:
    port = free_udp_port()
    [check] = trunk_checks(TrunkSettings(host="127.0.0.1", port=port), timeout=0.5)
    assert check.status is Status.FAIL


def test_unresolvable_host_fails_before_probing() -> None:
    [check] = trunk_checks(TrunkSettings(host="no-such-host.invalid"), timeout=0.3)
    assert check.status is Status.FAIL
    assert "DNS" in check.detail


def test_request_is_well_formed() -> None:
    request = options_request("sip.example.ru", 5060, "10.0.0.5", 40000, "udp").decode()
    head, _, body = request.partition("\r\n\r\n")
    lines = head.split("\r\n")
    assert lines[0] == "OPTIONS sip:sip.example.ru:5060 SIP/2.0"
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert headers["Via"].startswith("SIP/2.0/UDP 10.0.0.5:40000;branch=z9hG4bK")
    assert headers["CSeq"] == "1 OPTIONS"
    assert headers["Content-Length"] == "0"
    assert {"From", "To", "Call-ID", "Max-Forwards", "Contact"} <= headers.keys()
    assert body == ""
    again = options_request("sip.example.ru", 5060, "10.0.0.5", 40000, "udp").decode()
    assert again.split("Call-ID: ")[1][:24] != request.split("Call-ID: ")[1][:24]
