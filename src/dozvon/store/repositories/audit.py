"""Who did what and when: pausing a campaign, adding a number to do-not-call, a config change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.store.columns import jsonable
from dozvon.store.models import AuditRow


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

    def recent(self, limit: int = 100) -> list[AuditRow]:
        query = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        return list(self._session.scalars(query))
