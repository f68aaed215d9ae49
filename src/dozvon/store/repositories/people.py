"""The do-not-call list: numbers whose owners asked never to be contacted again."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dozvon.store.models import DoNotCallRow

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True, slots=True)
class Listed:
    phone: str
    reason: str
    added_at: datetime


class DoNotCallRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, phone: str, reason: str, now: datetime) -> bool:
        """False when the number was already listed (its first reason is kept)."""
        require_e164(phone)
        if self._session.get(DoNotCallRow, phone) is not None:
            return False
        self._session.add(DoNotCallRow(phone=phone, reason=reason[:300], added_at=now))
        self._session.flush()
        return True

    def contains(self, phone: str) -> bool:
        return self._session.get(DoNotCallRow, phone) is not None

    def listed(self, phones: Iterable[str]) -> set[str]:
        """Which of `phones` are on the list, in one query."""
        wanted = list(set(phones))
        if not wanted:
            return set()
        query = select(DoNotCallRow.phone).where(DoNotCallRow.phone.in_(wanted))
        return set(self._session.scalars(query))

    def entries(self) -> list[Listed]:
        """The whole list, oldest entry first."""
        query = select(DoNotCallRow).order_by(DoNotCallRow.added_at, DoNotCallRow.phone)
        return [Listed(row.phone, row.reason, row.added_at) for row in self._session.scalars(query)]

    def remove(self, phone: str) -> bool:
        result = self._session.execute(delete(DoNotCallRow).where(DoNotCallRow.phone == phone))
        return bool(getattr(result, "rowcount", 0))


def require_e164(phone: str) -> None:
    if not _E164.match(phone):
        raise ValueError("a normalised E.164 number is needed here")
