"""Telegram by webhook, against the Bot API FAKE (Telegram cannot run here): setWebhook at
start, updates POSTed by the fake to the web app served by real uvicorn in this event loop,
the secret header checked before anything reaches the inbox, hostile bodies refused."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from dozvon.channels.telegram import BotApi, BotApiError, ChatAddressing, TelegramOutbound
from dozvon.channels.telegram.webhook import (
    MAX_BODY,
    SECRET_HEADER,
    WEBHOOK_PATH,
    TelegramHook,
    register_webhook,
)
from dozvon.channels.text import ReplyInbox, TextChannel
from dozvon.config.channels import TelegramWebhookSettings
from dozvon.config.web import WebSettings
from dozvon.core.outcome import Channel, Outcome
from dozvon.dialog.library import builtin
from dozvon.store import Store
from dozvon.web import create_app
from dozvon.web.server import EmbeddedWeb
from tests.fakes.server import free_port
from tests.fakes.telegram import FakeBotApi
from tests.integration.web.site import make_store, settings_for
from tests.unit.channels_text.helpers import CLINIC, PHONE, make_task

from .conftest import answer_questions

CHAT = 5550001
SECRET = "s3cret_" + "x" * 40
PUBLIC_URL = "https://clinic.example.ru/hooks/telegram"


@dataclass
class Site:
    fake: FakeBotApi
    api: BotApi
    inbox: ReplyInbox
    base: str


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = make_store(tmp_path / "dozvon.sqlite")
    yield store
    store.dispose()


@pytest.fixture
async def site(bot: tuple[FakeBotApi, str], store: Store, tmp_path: Path) -> AsyncIterator[Site]:
    fake, url = bot
    api = BotApi(fake.token, url)
    inbox = ReplyInbox()
    hook = TelegramHook(api, inbox, SECRET)
    app = create_app(settings_for(tmp_path / "dozvon.sqlite"), store=store, telegram=hook)
    port = free_port()
    web = EmbeddedWeb(app, WebSettings(host="127.0.0.1", port=port))
    await web.start()
    try:
        yield Site(fake, api, inbox, f"http://127.0.0.1:{port}")
    finally:
        await web.stop()
        await api.aclose()


def webhook_settings() -> TelegramWebhookSettings:
    return TelegramWebhookSettings.model_validate({"url": PUBLIC_URL, "secret_token": SECRET})


async def test_setwebhook_sends_the_secret_and_the_update_types(site: Site) -> None:
    assert await register_webhook(site.api, webhook_settings())
    assert site.fake.webhook == {
        "url": PUBLIC_URL,
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }
    with pytest.raises(BotApiError) as refused:  # Telegram's rule: no polling beside a webhook
        await site.api.call("getUpdates", {"offset": 0, "timeout": 0})
    assert refused.value.code == 409


async def test_a_refused_setwebhook_is_logged_not_raised(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    plain = TelegramWebhookSettings.model_construct(
        url="http://clinic.example.ru/hooks/telegram", secret_token=webhook_settings().secret_token
    )
    with caplog.at_level(logging.ERROR):
        assert not await register_webhook(site.api, plain)
    assert site.fake.webhook is None
    (record,) = [r for r in caplog.records if r.getMessage() == "telegram setWebhook failed"]
    assert "HTTPS URL must be provided" in record.__dict__["error"]


async def deliver_until(site: Site, done: asyncio.Event) -> None:
    """Telegram's side: pushes whatever the patient did to the webhook, as it happens."""
    while not done.is_set():
        if site.fake.updates:
            statuses = await site.fake.deliver_webhook(via=site.base)
            assert set(statuses) == {200}
        await asyncio.sleep(0.02)


async def test_buttons_reach_the_conversation_through_the_webhook(site: Site) -> None:
    assert await register_webhook(site.api, webhook_settings())
    channel = TextChannel(
        Channel.TELEGRAM,
        TelegramOutbound(site.api),
        ChatAddressing(),
        CLINIC,
        inbox=site.inbox,
        reply_timeout=5,
    )
    done = asyncio.Event()
    pushing = asyncio.create_task(deliver_until(site, done))
    answering = asyncio.create_task(
        answer_questions(
            lambda: site.fake.messages_to(CHAT),
            lambda message: "reply_markup" in message,
            lambda key: site.fake.press(CHAT, key),
            ["1", "1"],
        )
    )
    task = make_task(extra={"telegram_chat_id": str(CHAT)})
    result = await channel.attempt(task, builtin("confirm"), phone=PHONE, attempt_no=1)
    await answering
    done.set()
    await pushing
    assert result.outcome is Outcome.CONFIRMED
    assert result.evidence.notes["replies"] == "2"
    assert len(site.fake.answered_queries) == 2  # the buttons stopped spinning


def text_update(text: str) -> dict[str, object]:
    return {
        "update_id": 7,
        "message": {
            "message_id": 7,
            "from": {"id": CHAT, "is_bot": False, "first_name": "Пациент"},
            "chat": {"id": CHAT, "type": "private"},
            "date": 1764000000,
            "text": text,
        },
    }


async def test_a_wrong_or_missing_secret_never_reaches_the_inbox(site: Site) -> None:
    near_miss = SECRET[:-1] + "y"  # same length, one character off
    async with httpx.AsyncClient(base_url=site.base) as client:
        with site.inbox.listening(Channel.TELEGRAM, str(CHAT)) as replies:
            missing = await client.post(WEBHOOK_PATH, json=text_update("1"))
            wrong = await client.post(
                WEBHOOK_PATH, json=text_update("1"), headers={SECRET_HEADER: near_miss}
            )
            empty = await client.post(
                WEBHOOK_PATH, json=text_update("1"), headers={SECRET_HEADER: ""}
            )
            assert replies.empty()
            right = await client.post(
                WEBHOOK_PATH, json=text_update("2"), headers={SECRET_HEADER: SECRET}
            )
            assert replies.get_nowait() == "2"
    assert (missing.status_code, wrong.status_code, empty.status_code) == (401, 403, 403)
    assert right.status_code == 200
    assert missing.json() == {"detail": "secret token missing"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json at all +79161234567", "body is not JSON"),
        (b"\xff\xfe\x00garbage", "body is not JSON"),
        (b"[1, 2, 3]", "body is not a JSON object"),
        (b'{"message": {"text": "+79161234567"}}', "no integer update_id"),
        (b'{"update_id": "12", "message": {}}', "no integer update_id"),
        (b'{"update_id": true}', "no integer update_id"),
        (b'{"update_id": -5}', "no integer update_id"),
    ],
)
async def test_hostile_bodies_get_a_clear_400_and_leave_no_patient_data_in_the_log(
    site: Site, body: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with httpx.AsyncClient(base_url=site.base) as client:
        with caplog.at_level(logging.INFO):
            answer = await client.post(
                WEBHOOK_PATH,
                content=body,
                headers={SECRET_HEADER: SECRET, "content-type": "application/json"},
            )
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith(reason)
    (record,) = [r for r in caplog.records if r.getMessage() == "telegram webhook refused"]
    assert record.__dict__["reason"] == answer.json()["detail"]
    assert "79161234567" not in caplog.text + repr([vars(r) for r in caplog.records])


async def test_an_oversized_body_is_refused_unread(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.base) as client:
        answer = await client.post(
            WEBHOOK_PATH, content=b"x" * (MAX_BODY + 1), headers={SECRET_HEADER: SECRET}
        )
    assert answer.status_code == 413


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1, "message": "text"},
        {"update_id": 2, "callback_query": [1, 2]},
        {"update_id": 3, "message": {"chat": {"id": "5550001"}, "text": "1"}},
        {"update_id": 4, "message": {"chat": {"id": True}, "text": "1"}},
        {"update_id": 5, "callback_query": {"message": "x", "data": "1"}},
        {"update_id": 6, "edited_message": {"chat": {"id": CHAT}, "text": "1"}},
    ],
)
async def test_odd_updates_are_taken_and_ignored(site: Site, update: dict[str, object]) -> None:
    """A well-formed envelope with nonsense inside: 200, so Telegram does not repeat it, and
    nothing reaches the conversation."""
    async with httpx.AsyncClient(base_url=site.base) as client:
        with site.inbox.listening(Channel.TELEGRAM, str(CHAT)) as replies:
            answer = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
            assert replies.empty()
    assert answer.status_code == 200


async def test_the_route_exists_only_with_a_hook(tmp_path: Path, store: Store) -> None:
    app = create_app(settings_for(tmp_path / "dozvon.sqlite"), store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://web") as client:
        answer = await client.post(WEBHOOK_PATH, json=text_update("1"))
    assert answer.status_code == 404
