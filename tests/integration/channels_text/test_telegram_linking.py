"""Linking a patient's phone to their Telegram chat, against the Bot API FAKE (Telegram cannot
run here) and a real SQLite store: /start → a request_contact button, their own contact →
linked, someone else's or no contact → refused, /stop → unlinked; then the channel writes to
the linked chat when the MIS gave no chat id."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dozvon.channels.telegram import (
    BotApi,
    ChatAddressing,
    ChatLinker,
    TelegramOutbound,
    handle_update,
    poll_updates,
)
from dozvon.channels.text import ReplyInbox, TextChannel
from dozvon.core.outcome import Channel, Outcome
from dozvon.dialog.errors import DataError
from dozvon.dialog.library import builtin
from dozvon.store import Store, upgrade
from dozvon.store.chat_links import StoredChatLinks
from tests.fakes.telegram import FakeBotApi
from tests.unit.channels_text.helpers import CLINIC, PHONE, make_task

from .conftest import answer_questions

PATIENT = 5550002
STRANGER = 5550003
OWN_NUMBER = "79161234567"  # as Telegram writes it: international, no plus
E164 = "+" + OWN_NUMBER


@dataclass
class Bot:
    fake: FakeBotApi
    api: BotApi
    links: StoredChatLinks
    inbox: ReplyInbox


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'dozvon.sqlite'}")
    upgrade(store.engine)
    yield store
    store.dispose()


@pytest.fixture
async def polled(bot: tuple[FakeBotApi, str], store: Store) -> AsyncIterator[Bot]:
    """The bot reading updates by getUpdates with the linker, as `dozvon run` does."""
    fake, url = bot
    api = BotApi(fake.token, url)
    links = StoredChatLinks(store)
    inbox = ReplyInbox()
    stop = asyncio.Event()
    linker = ChatLinker(api, links, CLINIC.name)
    poller = asyncio.create_task(poll_updates(api, inbox, stop, poll_timeout=1, linker=linker))
    try:
        yield Bot(fake, api, links, inbox)
    finally:
        stop.set()
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
        await api.aclose()


async def answers(fake: FakeBotApi, chat: int, count: int) -> list[dict[str, Any]]:
    for _ in range(500):
        sent = fake.messages_to(chat)
        if len(sent) >= count:
            return sent
        await asyncio.sleep(0.01)
    raise AssertionError(f"the bot sent {len(fake.messages_to(chat))} of {count} messages")


async def test_start_then_own_contact_links_the_phone(
    polled: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    polled.fake.type_text(PATIENT, "/start")
    (ask,) = await answers(polled.fake, PATIENT, 1)
    assert "Здоровье" in ask["text"] and "Поделиться номером" in ask["text"]
    assert ask["reply_markup"]["keyboard"] == [
        [{"text": "Поделиться номером", "request_contact": True}]
    ]
    assert ask["reply_markup"]["one_time_keyboard"] is True

    polled.fake.share_contact(PATIENT, OWN_NUMBER, user_id=PATIENT)
    _, done = await answers(polled.fake, PATIENT, 2)
    assert done["text"].startswith("Готово: номер +*********67 привязан")
    assert done["reply_markup"] == {"remove_keyboard": True}
    assert polled.links.chat_for(E164) == str(PATIENT)
    logged = caplog.text + repr([vars(r) for r in caplog.records])
    assert "telegram chat linked" in caplog.text
    assert OWN_NUMBER not in logged  # never the whole number
    assert str(PATIENT) not in logged  # nor the whole chat id


async def test_someone_elses_contact_is_refused(polled: Bot) -> None:
    polled.fake.share_contact(PATIENT, OWN_NUMBER, user_id=STRANGER)
    (refusal,) = await answers(polled.fake, PATIENT, 1)
    assert refusal["text"].startswith("Привязать можно только свой номер")
    assert "request_contact" in str(refusal["reply_markup"])  # the button is offered again
    assert polled.links.chat_for(E164) is None


async def test_a_contact_without_a_telegram_account_is_refused(polled: Bot) -> None:
    polled.fake.share_contact(PATIENT, OWN_NUMBER, user_id=None)
    (refusal,) = await answers(polled.fake, PATIENT, 1)
    assert refusal["text"].startswith("Привязать можно только свой номер")
    assert polled.links.chat_for(E164) is None


async def test_a_number_that_is_not_a_phone_is_refused(polled: Bot) -> None:
    polled.fake.share_contact(PATIENT, "12", user_id=PATIENT)
    (refusal,) = await answers(polled.fake, PATIENT, 1)
    assert refusal["text"].startswith("Не удалось распознать номер")


async def test_stop_unlinks_and_says_so(polled: Bot) -> None:
    polled.links.link(E164, str(PATIENT))
    polled.fake.type_text(PATIENT, "/stop")
    (done,) = await answers(polled.fake, PATIENT, 1)
    assert done["text"].startswith("Готово: чат отвязан")
    assert polled.links.chat_for(E164) is None
    polled.fake.type_text(PATIENT, "/stop@ClinicBot")
    _, again = await answers(polled.fake, PATIENT, 2)
    assert again["text"].startswith("Этот чат не привязан")


async def test_the_channel_writes_to_the_linked_chat(polled: Bot) -> None:
    polled.fake.type_text(PATIENT, "/start")
    polled.fake.share_contact(PATIENT, OWN_NUMBER, user_id=PATIENT)
    await answers(polled.fake, PATIENT, 2)
    channel = TextChannel(
        Channel.TELEGRAM,
        TelegramOutbound(polled.api),
        ChatAddressing(polled.links),
        CLINIC,
        inbox=polled.inbox,
        reply_timeout=5,
    )
    answering = asyncio.create_task(
        answer_questions(
            lambda: polled.fake.messages_to(PATIENT)[2:],
            lambda message: "inline_keyboard" in str(message.get("reply_markup")),
            lambda key: polled.fake.press(PATIENT, key),
            ["1", "1"],
        )
    )
    result = await channel.attempt(
        make_task(phone=E164), builtin("confirm"), phone=E164, attempt_no=1
    )
    await answering
    assert result.outcome is Outcome.CONFIRMED
    assert result.evidence.notes["to"] == "****002"


async def test_the_mis_chat_id_comes_first_and_no_chat_at_all_names_both_ways(
    polled: Bot,
) -> None:
    polled.links.link(PHONE, str(PATIENT))
    addressing = ChatAddressing(polled.links)
    from_mis = make_task(extra={"telegram_chat_id": "4440004"})
    assert addressing.address(from_mis, PHONE) == "4440004"
    assert addressing.address(make_task(), PHONE) == str(PATIENT)
    with pytest.raises(DataError, match=r"extra\.telegram_chat_id.*/start"):
        addressing.address(make_task(phone="+79035550000"), "+79035550000")


GARBAGE: list[dict[str, Any]] = [
    {"update_id": 1, "message": {"chat": {"id": PATIENT, "type": "group"}, "text": "/start"}},
    {"update_id": 2, "message": {"chat": {"id": PATIENT, "type": "private"}, "contact": "x"}},
    {
        "update_id": 3,
        "message": {
            "chat": {"id": PATIENT, "type": "private"},
            "from": {"id": PATIENT},
            "contact": {"phone_number": 79161234567, "user_id": PATIENT},
        },
    },
    {
        "update_id": 4,
        "message": {
            "chat": {"id": PATIENT, "type": "private"},
            "from": {"id": str(PATIENT)},
            "contact": {"phone_number": OWN_NUMBER, "user_id": str(PATIENT)},
        },
    },
    {
        "update_id": 5,
        "message": {
            "chat": {"id": STRANGER, "type": "private"},
            "from": {"id": PATIENT},
            "contact": {"phone_number": OWN_NUMBER, "user_id": PATIENT},
        },
    },
    {"update_id": 6, "message": {"chat": {"id": PATIENT, "type": "private"}, "text": 42}},
    {"update_id": 7, "message": None},
]


@pytest.mark.parametrize("update", GARBAGE)
async def test_garbage_updates_link_nothing(
    bot: tuple[FakeBotApi, str], store: Store, update: dict[str, Any]
) -> None:
    fake, url = bot
    fake.chats.update({PATIENT, STRANGER})
    api = BotApi(fake.token, url)
    links = StoredChatLinks(store)
    try:
        taken = await handle_update(update, ReplyInbox(), api, ChatLinker(api, links, "X"))
    finally:
        await api.aclose()
    assert taken is False
    assert links.chat_for(E164) is None
    assert all("Готово" not in m["text"] for m in fake.sent)
