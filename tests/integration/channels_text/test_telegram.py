"""Telegram against the Bot API fake: buttons, replies by long polling, flood control (429),
blocked users, unknown chats, a wrong token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from dozvon.channels.telegram import BotApi, ChatAddressing, TelegramOutbound, poll_updates
from dozvon.channels.text import ReplyInbox, TextChannel
from dozvon.core.outcome import Channel, Outcome
from dozvon.dialog.library import builtin
from tests.fakes.telegram import FakeBotApi
from tests.unit.channels_text.helpers import CLINIC, PHONE, make_task

from .conftest import answer_questions

CHAT = 5550001


@asynccontextmanager
async def telegram(
    url: str, token: str = "123456:FAKE-token", max_retry_wait: float = 5.0
) -> AsyncIterator[tuple[TextChannel, ReplyInbox]]:
    api = BotApi(token, url, max_retry_wait=max_retry_wait)
    inbox = ReplyInbox()
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_updates(api, inbox, stop, poll_timeout=1))
    channel = TextChannel(
        Channel.TELEGRAM,
        TelegramOutbound(api),
        ChatAddressing(),
        CLINIC,
        inbox=inbox,
        reply_timeout=5,
    )
    try:
        yield channel, inbox
    finally:
        stop.set()
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
        await api.aclose()


async def patient(fake: FakeBotApi, actions: list[str]) -> None:
    """Presses a button («1») or types («text:Да») after each message that offers buttons."""

    def act(action: str) -> None:
        if action.startswith("text:"):
            fake.type_text(CHAT, action.removeprefix("text:"))
        else:
            fake.press(CHAT, action)

    await answer_questions(
        lambda: fake.messages_to(CHAT), lambda message: "reply_markup" in message, act, actions
    )


def task() -> object:
    return make_task(extra={"telegram_chat_id": str(CHAT)})


async def test_buttons_confirm_the_visit(bot: tuple[FakeBotApi, str]) -> None:
    fake, url = bot
    async with telegram(url) as (channel, _):
        answering = asyncio.create_task(patient(fake, ["1", "1"]))
        result = await channel.attempt(task(), builtin("confirm"), phone=PHONE, attempt_no=1)
        await answering

    assert result.outcome is Outcome.CONFIRMED
    messages = fake.messages_to(CHAT)
    assert len(messages) == 3
    first, menu, thanks = messages
    assert first["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "1", "callback_data": "1"}, {"text": "2", "callback_data": "2"}]
        ]
    }
    assert [b["text"] for b in menu["reply_markup"]["inline_keyboard"][0]] == [
        "1",
        "2",
        "3",
        "9",
        "0",
    ]
    assert "reply_markup" not in thanks and thanks["text"].startswith("Спасибо!")
    assert len(fake.answered_queries) == 2  # the buttons' spinners were stopped
    assert result.evidence.notes["to"] == "****001"


async def test_typed_text_that_is_no_option_then_a_button(bot: tuple[FakeBotApi, str]) -> None:
    fake, url = bot
    async with telegram(url) as (channel, _):
        actions = ["text:Да, это я", "1", "2"]
        answering = asyncio.create_task(patient(fake, actions))
        result = await channel.attempt(task(), builtin("confirm"), phone=PHONE, attempt_no=1)
        await answering
    assert result.outcome is Outcome.DECLINED
    assert fake.messages_to(CHAT)[1]["text"].startswith("Извините, такой ответ не подходит.")


async def test_flood_control_is_waited_out_once(
    bot: tuple[FakeBotApi, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake, url = bot
    fake.flood, fake.retry_after = 1, 1
    api = BotApi("123456:FAKE-token", url, max_retry_wait=5)
    result = await api.call("sendMessage", {"chat_id": CHAT, "text": "Проверка"})
    await api.aclose()
    assert result["text"] == "Проверка"
    assert fake.requests == ["sendMessage", "sendMessage"]
    assert "HTTP Request: POST" in caplog.text  # httpx logs each URL...
    assert fake.token not in caplog.text  # ...without the bot's token


async def test_flood_control_longer_than_allowed_fails_the_attempt(
    bot: tuple[FakeBotApi, str],
) -> None:
    fake, url = bot
    fake.flood, fake.retry_after = 1, 3600
    async with telegram(url, max_retry_wait=5) as (channel, _):
        fake.requests.clear()
        result = await channel.attempt(task(), builtin("confirm"), phone=PHONE, attempt_no=1)
    assert result.outcome is Outcome.NETWORK_ERROR
    assert "429 Too Many Requests: retry after 3600" in result.evidence.notes["error"]
    assert fake.sent == []


async def test_blocked_bot_and_unknown_chat_are_rejected(bot: tuple[FakeBotApi, str]) -> None:
    fake, url = bot
    fake.blocked.add(CHAT)
    async with telegram(url) as (channel, _):
        blocked = await channel.attempt(task(), builtin("confirm"), phone=PHONE, attempt_no=1)
        unknown = await channel.attempt(
            make_task(extra={"telegram_chat_id": "42"}),
            builtin("confirm"),
            phone=PHONE,
            attempt_no=1,
        )
    assert blocked.outcome is Outcome.REJECTED
    assert "bot was blocked by the user" in blocked.evidence.notes["error"]
    assert unknown.outcome is Outcome.REJECTED
    assert "chat not found" in unknown.evidence.notes["error"]


async def test_wrong_token_is_a_network_error_without_the_token(
    bot: tuple[FakeBotApi, str],
) -> None:
    _, url = bot
    async with telegram(url, token="999:wrong") as (channel, _):
        result = await channel.attempt(task(), builtin("confirm"), phone=PHONE, attempt_no=1)
    assert result.outcome is Outcome.NETWORK_ERROR
    assert "401 Unauthorized" in result.evidence.notes["error"]
    assert "999:wrong" not in str(result.evidence)
