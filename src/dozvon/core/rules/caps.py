"""A cap on how often one person is contacted, across all campaigns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class ContactCap:
    max_contacts: int = 3
    window: timedelta = timedelta(days=1)

    def allows(self, previous_contacts: Iterable[datetime], now: datetime) -> bool:
        since = now - self.window
        recent = sum(1 for moment in previous_contacts if since < moment <= now)
        return recent < self.max_contacts
