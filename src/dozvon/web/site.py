"""Everything a request handler needs, built once per app and kept on `app.state`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from dozvon.campaign.clock import Clock
from dozvon.campaign.queries import campaign_names, day_facts, not_in_mis
from dozvon.campaign.report import CampaignReport, build_report
from dozvon.config import Settings
from dozvon.store import Store
from dozvon.web.auth import Accounts, User
from dozvon.web.queries import CampaignDay, campaign_days
from dozvon.web.throttle import LoginThrottle


class Throttled(Exception):
    """Too many failed logins for this name or address: try again in a minute."""


@dataclass(slots=True)
class Site:
    settings: Settings
    store: Store
    accounts: Accounts
    throttle: LoginThrottle
    clock: Clock
    templates: Jinja2Templates
    config_path: Path | None

    @property
    def zone(self) -> str:
        return self.settings.clinic.timezone

    @property
    def lines(self) -> int:
        return self.settings.trunk.lines if self.settings.trunk else 1

    def today(self) -> date:
        return self.clock.now().astimezone(ZoneInfo(self.zone)).date()

    def campaigns(self) -> list[str]:
        """The configured campaigns first, then any the database still remembers."""
        configured = [c.name for c in self.settings.campaigns]
        return configured + [n for n in campaign_names(self.store) if n not in configured]

    def configured(self, name: str) -> bool:
        return any(c.name == name for c in self.settings.campaigns)

    def campaigns_today(self) -> list[CampaignDay]:
        return campaign_days(self.store, self.campaigns(), self.today(), self.zone)

    def report(self, day: date) -> CampaignReport:
        """The same report as `dozvon report`."""
        facts = day_facts(self.store, day, self.zone)
        return build_report(day, facts, self.lines, not_in_mis(self.store))

    async def login(self, name: str, password: str, address: str) -> User | None:
        """scrypt runs in a worker thread: a slow hash must not stall every other request."""
        if self.throttle.blocked(name, address):
            raise Throttled
        user = await run_in_threadpool(self.accounts.authenticate, name, password)
        if user is None:
            self.throttle.failed(name, address)
        return user


def get_site(request: Request) -> Site:
    site = request.app.state.site
    assert isinstance(site, Site)
    return site
