"""On a machine where everything is in place, `dozvon doctor` says so and exits 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dozvon.cli import app
from dozvon.store import make_engine, upgrade
from tests.integration.doctor.conftest import free_udp_port

pytestmark = pytest.mark.sip


def test_doctor_all_good(tmp_path: Path, sipp_trunk: int) -> None:
    database = tmp_path / "var" / "dozvon.sqlite"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    rtp = free_udp_port() // 2 * 2
    config = tmp_path / "dozvon.yaml"
    config.write_text(
        f"database:\n  url: sqlite:///{database}\n"
        f"speech:\n  cache_dir: {tmp_path / 'cache'}\n"
        "trunk:\n"
        f"  host: 127.0.0.1\n  port: {sipp_trunk}\n  password: ${{SIP_PASSWORD}}\n"
        f"  bind_host: 127.0.0.1\n  bind_port: {free_udp_port()}\n"
        f"  rtp_ports: {{start: {rtp}, end: {rtp + 20}}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app,
        ["doctor", "--config", str(config)],
        env={"SIP_PASSWORD": "x", "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "200 OK" in result.output
    assert "SIP_PASSWORD" in result.output
    assert "Всё в порядке" in result.output
