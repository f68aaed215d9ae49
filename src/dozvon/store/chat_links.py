"""The Telegram channel's links (phone → chat id) kept in the store, one short transaction a
call: the bot writes them when a patient shares their contact, the channel reads them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from dozvon.store.uow import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


class StoredChatLinks:
    def __init__(self, store: Store, now: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.now = now

    def link(self, phone: str, chat_id: str) -> None:
        with self.store.unit_of_work() as uow:
            uow.telegram_links.link(phone, chat_id, self.now())
            uow.commit()

    def unlink(self, chat_id: str) -> int:
        with self.store.unit_of_work() as uow:
            removed = uow.telegram_links.unlink_chat(chat_id)
            uow.commit()
        return removed

    def chat_for(self, phone: str) -> str | None:
        with self.store.unit_of_work() as uow:
            return uow.telegram_links.chat_for(phone)
