"""The campaign as a service the CLI, the daemon and the demo call: sync → dial → write back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from dozvon.campaign.clock import Clock, SystemClock
from dozvon.campaign.dispatcher import CallEvent, Dispatcher, DispatchSettings
from dozvon.campaign.offload import StoreThread
from dozvon.campaign.outbox import SqlOutbox
from dozvon.campaign.plan import ChannelPlan, PlanStep
from dozvon.campaign.recovery import recover
from dozvon.campaign.spec import CampaignSpec
from dozvon.campaign.state import SqlCampaignState
from dozvon.campaign.sync import SyncReport, day_window, sync_campaign
from dozvon.campaign.writeback import Backoff, WriteBack
from dozvon.channels.base import ContactChannel
from dozvon.config import Settings
from dozvon.config.campaign import CampaignSettings
from dozvon.core.outcome import Channel
from dozvon.mis.base import MisError, Sink, Source, Window
from dozvon.store import Store

log = logging.getLogger(__name__)


def spec_from_settings(settings: CampaignSettings, scenario: object = None) -> CampaignSpec:
    retry = settings.retry.to_rule()
    steps = tuple(PlanStep(channel, retry.max_attempts) for channel in settings.channels)
    return CampaignSpec(
        name=settings.name,
        scenario=scenario if scenario is not None else settings.scenario,
        hours=settings.hours.to_rule(),
        retry=retry,
        purpose=settings.purpose,
        plan=ChannelPlan(steps),
        priority=settings.priority,
    )


def dispatch_settings(settings: Settings, grace_seconds: float = 30.0) -> DispatchSettings:
    trunk = settings.trunk
    if trunk is None:
        return DispatchSettings(grace_seconds=grace_seconds)
    return DispatchSettings(
        lines=trunk.lines, calls_per_second=trunk.cps, grace_seconds=grace_seconds
    )


def tomorrow(clock: Clock, zone: str) -> date:
    return clock.now().astimezone(ZoneInfo(zone)).date() + timedelta(days=1)


@dataclass(slots=True)
class RunSummary:
    syncs: dict[str, SyncReport] = field(default_factory=dict)
    recovered: int = 0
    calls: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    written_back: int = 0
    not_written: int = 0


class CampaignRunner:
    """Everything one site's campaigns need, wired once; see `run_once` and `serve`."""

    def __init__(
        self,
        store: Store,
        source: Source,
        sink: Sink,
        campaigns: Mapping[str, CampaignSpec],
        channels: Mapping[Channel, ContactChannel],
        *,
        clock: Clock | None = None,
        dispatch: DispatchSettings | None = None,
        backoff: Backoff | None = None,
        clinic_timezone: str = "Europe/Moscow",
        on_event: Callable[[CallEvent], None] | None = None,
    ) -> None:
        self.store = store
        self.source = source
        self.sink = sink
        self.campaigns = dict(campaigns)
        self.clock = clock or SystemClock()
        self.clinic_timezone = clinic_timezone
        self.summary = RunSummary()
        self._on_event = on_event
        self.store_thread = StoreThread()
        self.state = SqlCampaignState(store, self.clock)
        self.dispatcher = Dispatcher(
            self.state,
            self.campaigns,
            channels,
            self.clock,
            dispatch,
            on_event=self._count,
            store_thread=self.store_thread,
        )
        self.writeback = WriteBack(
            SqlOutbox(store), sink, self.clock, backoff, store_thread=self.store_thread
        )

    def _count(self, event: CallEvent) -> None:
        if event.outcome is None:
            self.summary.calls += 1
        else:
            key = event.outcome.value
            self.summary.outcomes[key] = self.summary.outcomes.get(key, 0) + 1
        if self._on_event is not None:
            self._on_event(event)

    def recover(self) -> int:
        closed = recover(self.store, self.campaigns, self.clock.now())
        self.summary.recovered += closed
        return closed

    async def sync(self, window: Window | None = None) -> dict[str, SyncReport]:
        window = window or day_window(
            tomorrow(self.clock, self.clinic_timezone), 1, self.clinic_timezone
        )
        for name, spec in self.campaigns.items():
            report = await sync_campaign(
                self.store,
                self.source,
                name,
                window,
                self.clock.now(),
                priority=spec.priority,
                default_timezone=self.clinic_timezone,
                store_thread=self.store_thread,
            )
            self.summary.syncs[name] = report
        return self.summary.syncs

    async def run_once(
        self, window: Window | None = None, flush_seconds: float = 30.0
    ) -> RunSummary:
        """Recover, sync, dial until nothing is due now, then flush the write-back."""
        self.recover()
        await self.sync(window)
        stop = asyncio.Event()
        writer = asyncio.create_task(self.writeback.run(stop, poll_seconds=0.2))
        try:
            await self.dispatcher.run(asyncio.Event(), until_idle=True)
        finally:
            stop.set()
            await writer
        await self.finish(flush_seconds)
        return self.summary

    async def finish(self, flush_seconds: float) -> None:
        self.summary.not_written = await self.writeback.drain(flush_seconds)
        self.summary.written_back = self.writeback.written

    async def _sync_or_log(self) -> None:
        """An MIS that cannot be read now must not stop the daemon: the tasks already in the
        store are still called, and the next scheduled sync tries again."""
        try:
            await self.sync()
        except MisError as exc:
            log.error("sync failed, the next scheduled sync will try again: %s", exc)

    async def serve(
        self,
        stop: asyncio.Event,
        schedule_check: Callable[[], bool] | None = None,
        grace_seconds: float | None = None,
        flush_seconds: float = 30.0,
    ) -> None:
        """The daemon: syncs at start and whenever `schedule_check` says so, dials and writes
        back until `stop`; then no new calls, active calls get the grace period, and the outbox
        is flushed."""
        self.recover()
        await self._sync_or_log()
        writer = asyncio.create_task(self.writeback.run(stop))
        dialer = asyncio.create_task(self.dispatcher.run(stop))
        try:
            while not stop.is_set():
                if schedule_check is not None and schedule_check():
                    await self._sync_or_log()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
        finally:
            stop.set()
            await dialer
            await self.dispatcher.drain(grace_seconds)
            await writer
            await self.finish(flush_seconds)


async def run_campaign_once(
    settings: Settings,
    channels: Mapping[Channel, ContactChannel],
    *,
    scenarios: Mapping[str, object] | None = None,
    clock: Clock | None = None,
    on_event: Callable[[CallEvent], None] | None = None,
    window: Window | None = None,
) -> RunSummary:
    """Sync → dispatch until no work is due now → flush the write-back; for `dozvon demo`.

    `scenarios` maps a campaign name to its loaded scenario (else the config's name is kept).
    """
    from dozvon.mis.config import load, open_connector
    from dozvon.store import upgrade

    if settings.mis is None:
        raise ValueError("в настройках нет раздела mis / the config has no mis section")
    store = Store(settings.database.url)
    upgrade(store.engine)
    connector = open_connector(load(settings.mis))
    specs = {
        c.name: spec_from_settings(c, (scenarios or {}).get(c.name)) for c in settings.campaigns
    }
    runner = CampaignRunner(
        store,
        connector,
        connector,
        specs,
        channels,
        clock=clock,
        dispatch=dispatch_settings(settings),
        clinic_timezone=settings.clinic.timezone,
        on_event=on_event,
    )
    try:
        return await runner.run_once(window)
    finally:
        await connector.aclose()
        store.dispose()
