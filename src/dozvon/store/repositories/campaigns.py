"""Campaign rows: only the running state lives here; what a campaign does lives in the config."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.store.models import CampaignRow, CampaignState


class CampaignRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, name: str) -> CampaignRow | None:
        return self._session.scalars(
            select(CampaignRow).where(CampaignRow.name == name)
        ).one_or_none()

    def ensure(self, name: str, now: datetime) -> CampaignRow:
        """The campaign's row, created running the first time the config names it."""
        row = self.get(name)
        if row is None:
            row = CampaignRow(name=name, state=CampaignState.RUNNING, created_at=now)
            self._session.add(row)
            self._session.flush()
        return row

    def set_state(self, name: str, state: CampaignState) -> None:
        row = self.get(name)
        if row is None:
            raise LookupError(f"no campaign {name!r}")
        row.state = state
