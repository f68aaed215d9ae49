"""Which Telegram chat reaches a phone: one chat per phone, the latest proof wins (a number
that changed hands is linked to its new owner's chat)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dozvon.store.models import TelegramLinkRow
from dozvon.store.repositories.people import require_e164


class TelegramLinkRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def link(self, phone: str, chat_id: str, now: datetime) -> None:
        require_e164(phone)
        row = self._session.get(TelegramLinkRow, phone)
        if row is None:
            self._session.add(TelegramLinkRow(phone=phone, chat_id=chat_id, linked_at=now))
        else:
            row.chat_id, row.linked_at = chat_id, now
        self._session.flush()

    def chat_for(self, phone: str) -> str | None:
        query = select(TelegramLinkRow.chat_id).where(TelegramLinkRow.phone == phone)
        return self._session.scalars(query).first()

    def unlink_chat(self, chat_id: str) -> int:
        """How many phones the chat was linked to."""
        result = self._session.execute(
            delete(TelegramLinkRow).where(TelegramLinkRow.chat_id == chat_id)
        )
        return int(getattr(result, "rowcount", 0))
