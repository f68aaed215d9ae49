"""Who did what and when: pausing a campaign, adding a number to do-not-call, a config change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.store.columns import jsonable
from dozvon.store.models import AuditRow


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(
        self,
        at: datetime,
        actor: str,
        action: str,
        subject: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        self._session.add(
            AuditRow(
                at=at, actor=actor, action=action, subject=subject, details=jsonable(details or {})
            )
        )

    def recent(
        self, limit: int = 100, action_prefix: str = "", subject: str | None = None
    ) -> list[AuditEntry]:
        """The newest entries first, optionally only actions starting with `action_prefix`
        (taken literally: `_` and `%` are not wildcards) and about one subject."""
        query = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        if action_prefix:
            query = query.where(AuditRow.action.startswith(action_prefix, autoescape=True))
        if subject is not None:
            query = query.where(AuditRow.subject == subject)
        return [
            AuditEntry(row.at, row.actor, row.action, row.subject, row.details)
            for row in self._session.scalars(query)
        ]
