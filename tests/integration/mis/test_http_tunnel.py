"""The MySQL HTTP tunnel: our client against our PHP script on `php -S`, MariaDB behind it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dozvon.core.outcome import Outcome
from dozvon.mis.base import MisError
from dozvon.mis.config import load, open_connector
from dozvon.mis.source import Connector
from dozvon.mis.tunnel.http import inline
from dozvon.mis.tunnel.ntunnel import parse_query

from .conftest import SELECT, UPDATE, WINDOW, Backend, mis_config
from .test_sql import collect, record

pytestmark = pytest.mark.mariadb

SCRIPT_DIR = Path(__file__).parents[3] / "contrib" / "tunnel"
TOKEN = "t0ken-for-tests-only-1234567890"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def tunnel_url() -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "DOZVON_TUNNEL_TOKEN": TOKEN, "DOZVON_TUNNEL_DB_PORT": "3306"}
    process = subprocess.Popen(
        ["php", "-S", f"127.0.0.1:{port}", "-t", str(SCRIPT_DIR)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/dozvon_tunnel.php"
    finally:
        process.terminate()
        process.wait()


def tunnel(url: str, db: Backend, monkeypatch: pytest.MonkeyPatch, **source: Any) -> Connector:
    monkeypatch.setenv("TUNNEL_TOKEN", TOKEN)
    src = {
        "kind": "http_tunnel",
        "url": url,
        "login": "root",
        "database": db.url.rsplit("/", 1)[1].split("?")[0],
        "host": "10.255.255.1",  # ignored by our script: the DB host is fixed server-side
        "token_env": "TUNNEL_TOKEN",
        "select": SELECT,
        "writeback": UPDATE,
        "retry_delay": 0.01,
        **source,
    }
    return open_connector(load(mis_config(src)))


async def test_reads_through_the_tunnel(
    tunnel_url: str, maria: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_services = "Консультация; " * 14  # 364 bytes > 254: the long block form
    with maria.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(
            text("UPDATE appointments SET services = :s WHERE id = 101"), {"s": long_services}
        )
    appts, errors = await collect(tunnel(tunnel_url, maria, monkeypatch))
    assert [a.external_id for a in appts] == ["101", "102", "104", "105"]
    assert appts[1].patient.name == "O'Brien; DROP TABLE x; -- Ёж"
    assert appts[0].start.hour == 9 and len(appts[0].services) == 14
    assert appts[1].history is not None and appts[1].history.last_result == "no_answer"
    assert {(e.row, e.field) for e in errors} == {(3, "phone"), (6, "phone")}


async def test_writes_idempotently_and_never_half(
    tunnel_url: str, maria: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = tunnel(tunnel_url, maria, monkeypatch)
    await conn.write(record("102", 2, Outcome.DECLINED))
    await conn.write(record("102", 2, Outcome.CONFIRMED))
    assert maria.rows("SELECT call_result, call_attempts FROM appointments WHERE id = 102") == [
        (3, 2)
    ]

    broken = tunnel(
        tunnel_url, maria, monkeypatch, writeback=[UPDATE, "INSERT INTO nowhere VALUES (:outcome)"]
    )
    with pytest.raises(MisError, match="nowhere"):
        await broken.write(record("101", 1))
    assert maria.rows("SELECT call_attempts FROM appointments WHERE id = 101") == [(0,)]

    before = maria.rows("SELECT id, call_result, call_attempts FROM appointments ORDER BY id")
    report = await conn.check(WINDOW)
    assert report[0].startswith("туннель: версия 206") and any("отменена" in r for r in report)
    assert (
        maria.rows("SELECT id, call_result, call_attempts FROM appointments ORDER BY id") == before
    )


async def test_refusals_and_errors_are_clear(
    tunnel_url: str, maria: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert httpx.get(tunnel_url).status_code == 405
    assert httpx.post(tunnel_url, data={"actn": "C"}).status_code == 403

    monkeypatch.setenv("WRONG", "not-the-token-at-all")
    with pytest.raises(MisError, match="403"):
        await collect(tunnel(tunnel_url, maria, monkeypatch, token_env="WRONG"))

    monkeypatch.setenv("MYSQL_PW", "Zz-secret-9")
    bad_login = tunnel(tunnel_url, maria, monkeypatch, login="nobody", password_env="MYSQL_PW")
    with pytest.raises(MisError) as info:
        await collect(bad_login)
    message = str(info.value)
    assert "Access denied" in message and "Zz-secret-9" not in message
    assert "FROM appointments" in message  # the admin's statement, not our session setup

    _, errors = await collect(
        tunnel(tunnel_url, maria, monkeypatch, select="SELECT id FROM appointments")
    )
    assert len(errors) == 1 and errors[0].row is None

    with pytest.raises(MisError, match="404"):
        await collect(tunnel(tunnel_url.replace("dozvon_tunnel", "missing"), maria, monkeypatch))


def test_values_are_quoted_like_the_driver_does() -> None:
    sql = inline(
        "SELECT * FROM t WHERE a = :a AND b < :b AND c LIKE '50%'", {"a": "O'Brien\\", "b": None}
    )
    assert sql == "SELECT * FROM t WHERE a = 'O\\'Brien\\\\' AND b < NULL AND c LIKE '50%'"


def test_a_php_error_page_is_not_taken_for_data() -> None:
    from dozvon.mis.tunnel.ntunnel import TunnelProtocolError

    with pytest.raises(TunnelProtocolError, match="Fatal error"):
        parse_query(b"<br />\n<b>Fatal error</b>: Uncaught Error in ntunnel_mysql.php")
    with pytest.raises(TunnelProtocolError, match="оборван"):
        parse_query(bytes.fromhex("00000457 00ce 00000000 000000000000") + b"\x00\x00")
