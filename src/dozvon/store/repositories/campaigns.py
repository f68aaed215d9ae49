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

    def by_id(self, campaign_id: int) -> CampaignRow:
        row = self._session.get(CampaignRow, campaign_id)
        if row is None:
            raise LookupError(f"no campaign {campaign_id}")
        return row

    def states(self) -> dict[str, CampaignState]:
        """Every campaign the store knows, by name in name order, with its state: the one
        listing the dispatcher (running ones), the CLI (names) and the dashboard need."""
        query = select(CampaignRow.name, CampaignRow.state).order_by(CampaignRow.name)
        return {name: state for name, state in self._session.execute(query)}

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
