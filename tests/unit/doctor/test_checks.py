"""Each doctor check against the real machine: busy ports, missing tools, databases."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from dozvon.config import ConfigError, Settings, load_settings
from dozvon.config.database import DatabaseSettings
from dozvon.config.trunk import RtpPorts, TrunkSettings
from dozvon.doctor import Status
from dozvon.doctor.checks import (
    config_checks,
    database_checks,
    disk_checks,
    port_checks,
    secrets_file_check,
    tool_checks,
)
from dozvon.store import make_engine, upgrade


@pytest.fixture
def busy_udp_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def trunk(bind_port: int, rtp: tuple[int, int] = (40000, 40010), lines: int = 1) -> TrunkSettings:
    return TrunkSettings(
        host="127.0.0.1",
        bind_host="127.0.0.1",
        bind_port=bind_port,
        rtp_ports=RtpPorts(start=rtp[0], end=rtp[1]),
        lines=lines,
    )


def test_busy_sip_port_fails_with_a_fix(busy_udp_port: int) -> None:
    sip, _ = port_checks(trunk(busy_udp_port))
    assert sip.status is Status.FAIL
    assert "bind_port" in sip.fix


def test_free_sip_port_passes() -> None:
    sip, _ = port_checks(trunk(_free_port()))
    assert sip.status is Status.OK


@pytest.fixture
def busy_rtp_port() -> Iterator[int]:
    """An even port (RTP takes even ports) held by another socket."""
    held: list[socket.socket] = []
    try:
        while True:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            held.append(sock)
            sock.bind(("127.0.0.1", 0))
            if sock.getsockname()[1] % 2 == 0:
                yield int(sock.getsockname()[1])
                return
    finally:
        for sock in held:
            sock.close()


def test_rtp_range_too_busy_for_the_lines(busy_rtp_port: int) -> None:
    _, rtp = port_checks(trunk(_free_port(), rtp=(busy_rtp_port, busy_rtp_port + 2), lines=1))
    assert rtp.status is Status.FAIL
    assert "trunk.rtp_ports" in rtp.fix


def test_tools_present_on_this_machine() -> None:
    espeak, sox = tool_checks()
    assert espeak.status is Status.OK and "русский" in espeak.detail
    assert sox.status is Status.OK


def test_missing_tools_say_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    espeak, sox = tool_checks()
    assert espeak.status is Status.FAIL and "apt-get install espeak-ng" in espeak.fix
    assert sox.status is Status.FAIL and "apt-get install sox" in sox.fix


def sqlite_settings(path: Path) -> Settings:
    return Settings(database=DatabaseSettings(url=f"sqlite:///{path}"))


def test_database_missing_then_empty_then_current(tmp_path: Path) -> None:
    path = tmp_path / "var" / "dozvon.sqlite"
    [missing] = database_checks(sqlite_settings(path))
    assert missing.status is Status.FAIL and "db upgrade" in missing.fix
    assert not path.exists()
    engine = make_engine(f"sqlite:///{path}")
    engine.connect().close()
    [empty] = database_checks(sqlite_settings(path))
    assert empty.status is Status.FAIL and "db upgrade" in empty.fix
    upgrade(engine)
    engine.dispose()
    [current] = database_checks(sqlite_settings(path))
    assert current.status is Status.OK


@pytest.mark.postgres
def test_unreachable_postgres_fails_without_showing_the_password() -> None:
    settings = Settings(
        database=DatabaseSettings(url="postgresql://dozvon:pw-XYZ@127.0.0.1:1/dozvon")
    )
    [check] = database_checks(settings)
    assert check.status is Status.FAIL
    assert "pw-XYZ" not in check.detail
    assert "database.url" in check.fix


def test_missing_environment_variables_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "dozvon.yaml"
    path.write_text("trunk:\n  host: h\n  password: ${SIP_PASSWORD}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    checks = list(config_checks(path, caught.value, {}))
    assert [c.status for c in checks] == [Status.FAIL, Status.FAIL]
    assert f"{path}:3 trunk.password" in checks[0].detail
    assert "SIP_PASSWORD" in checks[1].detail
    present = list(config_checks(path, None, {"SIP_PASSWORD": "x"}))
    assert [c.status for c in present] == [Status.OK, Status.OK]


def test_no_config_is_a_warning() -> None:
    [check] = config_checks(None, None, {})
    assert check.status is Status.WARN


def test_secrets_file_readable_by_others_is_flagged(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("A=1\n", encoding="utf-8")
    secrets.chmod(0o644)
    [loose] = secrets_file_check(Settings(secrets_file=secrets))
    assert loose.status is Status.WARN and "chmod 600" in loose.fix
    secrets.chmod(0o600)
    [tight] = secrets_file_check(Settings(secrets_file=secrets))
    assert tight.status is Status.OK


def test_disk_space_is_reported_for_cache_and_database(tmp_path: Path) -> None:
    checks = list(disk_checks(sqlite_settings(tmp_path / "db" / "x.sqlite")))
    assert len(checks) == 2
    assert all("ГиБ" in check.detail for check in checks)
