"""`dozvon run --web` as a real process: one daemon serves the web app and the Telegram webhook
from its own event loop. Real HTTP requests reach it; Telegram is the Bot API FAKE (it cannot
run here), which records setWebhook and delivers updates to the daemon's port as the reverse
proxy in front of it would."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from dozvon.web.passwords import hash_password
from tests.fakes.telegram import FakeBotApi
from tests.integration.sip.conftest import free_port, stop_process
from tests.sqlite_mis import sqlite_mis

pytestmark = pytest.mark.slow
PATIENT = 5550002
SECRET = "webhook_" + "k" * 40
PUBLIC_URL = "https://clinic.example.ru/hooks/telegram"
ADMIN_PASSWORD = "admin-password"


def write_site(tmp_path: Path, bot_url: str, web_port: int) -> tuple[Path, Path]:
    mis = tmp_path / "mis.sqlite"
    # no visits: the daemon idles, the web side is under test
    mis_section = sqlite_mis(mis, [], **{"branch.phone": {"const": "+7 495 555-00-00"}})
    store = tmp_path / "dozvon.sqlite"
    rtp = free_port() // 2 * 2
    config = {
        "clinic": {"name": "Здоровье"},
        "database": {"url": f"sqlite:///{store}"},
        "trunk": {
            "host": "127.0.0.1", "port": free_port(), "register": False, "lines": 1,
            "bind_host": "127.0.0.1", "bind_port": free_port(),
            "rtp_ports": {"start": rtp, "end": rtp + 10},
        },
        "speech": {"cache_dir": str(tmp_path / "speech")},
        "campaigns": [{"name": "confirm", "scenario": "confirm"}],
        "mis": mis_section,
        "web": {
            "host": "127.0.0.1", "port": web_port, "session_secret": "${WEB_SECRET}",
            "users": [{"name": "admin", "password_hash": "${ADMIN_HASH}", "role": "admin"}],
        },
        "text_channels": {
            "telegram": {
                "token": "${TG_TOKEN}", "api_url": bot_url, "poll": False,
                "webhook": {"url": PUBLIC_URL, "secret_token": "${TG_WEBHOOK_SECRET}"},
            },
        },
    }  # fmt: skip
    path = tmp_path / "dozvon.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path, store


def wait_for_web(base: str, daemon: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert daemon.poll() is None, daemon.stderr.read().decode()[-3000:] if daemon.stderr else ""
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the web side did not answer within a minute"
        time.sleep(0.1)


def linked_chat(store: Path, phone: str) -> str | None:
    with sqlite3.connect(store) as db:
        row = db.execute("SELECT chat_id FROM telegram_links WHERE phone = ?", (phone,)).fetchone()
    return None if row is None else str(row[0])


async def test_one_process_serves_the_web_and_the_telegram_webhook(
    bot: tuple[FakeBotApi, str], tmp_path: Path
) -> None:
    fake, bot_url = bot
    port = free_port()
    config, store = write_site(tmp_path, bot_url, port)
    env = {
        **os.environ,
        "WEB_SECRET": "w" * 48,
        "ADMIN_HASH": hash_password(ADMIN_PASSWORD, n=2**10),
        "TG_TOKEN": fake.token,
        "TG_WEBHOOK_SECRET": SECRET,
    }
    dozvon = str(Path(sys.executable).with_name("dozvon"))
    daemon = subprocess.Popen(
        [dozvon, "run", "--web", "--config", str(config), "--grace", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_web(base, daemon)
        assert fake.webhook is not None  # set at start, with the secret
        assert fake.webhook["secret_token"] == SECRET
        assert fake.webhook["url"] == PUBLIC_URL

        api = httpx.get(f"{base}/api/campaigns", auth=("admin", ADMIN_PASSWORD), timeout=5)
        assert api.status_code == 200  # the UI and API are served too, behind their login
        assert [c["campaign"] for c in api.json()] == ["confirm"]
        assert httpx.get(f"{base}/api/campaigns", timeout=5).status_code == 401
        forged = httpx.post(
            f"{base}/hooks/telegram",
            json={"update_id": 1, "message": {"chat": {"id": PATIENT, "type": "private"}}},
            headers={"X-Telegram-Bot-Api-Secret-Token": "webhook_" + "x" * 40},
            timeout=5,
        )
        assert forged.status_code == 403

        fake.type_text(PATIENT, "/start")
        assert await fake.deliver_webhook(via=base) == [200]
        (ask,) = fake.messages_to(PATIENT)
        assert ask["reply_markup"]["keyboard"][0][0]["request_contact"] is True

        fake.share_contact(PATIENT, "79161234567", user_id=PATIENT)
        assert await fake.deliver_webhook(via=base) == [200]
        assert fake.messages_to(PATIENT)[-1]["text"].startswith("Готово")
        assert linked_chat(store, "+79161234567") == str(PATIENT)

        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=60)
    finally:
        if daemon.poll() is None:
            stop_process(daemon)
    assert daemon.returncode == 0, err.decode()[-3000:]
    log = err.decode()
    assert "telegram chat linked" in log and "phone=+*********67" in log
    assert "79161234567" not in log
    with pytest.raises(httpx.ConnectError):  # the web side stopped with the daemon
        httpx.get(f"{base}/healthz", timeout=2)
