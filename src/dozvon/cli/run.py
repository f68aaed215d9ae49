"""`dozvon run --config FILE`: the daemon. Scheduled syncs, dialing, write-back, live progress.

SIGTERM or Ctrl-C stops it gracefully: no new calls, active calls get the grace period, the
outbox is flushed. `--web` serves the web app from the same event loop (one process, one
systemd unit), which Telegram's webhook needs: its replies must reach this process's inbox.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import datetime
from pathlib import Path
from typing import Annotated, ClassVar

import typer
from fastapi import FastAPI
from rich.live import Live
from rich.table import Table

from dozvon.campaign.clock import SystemClock
from dozvon.campaign.dispatcher import CallEvent
from dozvon.campaign.schedule import CronSchedule
from dozvon.campaign.service import CampaignRunner, dispatch_settings, spec_from_settings
from dozvon.channels.setup import TextChannels, open_text_channels
from dozvon.channels.voice.setup import open_voice_channel
from dozvon.config import Settings, load_settings
from dozvon.core.outcome import Channel
from dozvon.dialog.library import find
from dozvon.mis.config import load, open_connector
from dozvon.store import Store, upgrade
from dozvon.store.chat_links import StoredChatLinks
from dozvon.web import create_app
from dozvon.web.server import EmbeddedWeb


class KeyValueFormatter(logging.Formatter):
    """One event per line, `key=value` fields after the message; numbers arrive masked."""

    _standard: ClassVar[frozenset[str]] = frozenset(vars(logging.makeLogRecord({})))

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in vars(record).items() if k not in self._standard}
        extra = " ".join(f"{k}={v}" for k, v in fields.items() if k != "message")
        line = f"{self.formatTime(record)} {record.levelname} {record.name}: {record.getMessage()}"
        return f"{line} {extra}".rstrip()


class Progress:
    def __init__(self) -> None:
        self.active = 0
        self.calls = 0
        self.outcomes: dict[str, int] = {}
        self.last: list[str] = []

    def on_event(self, event: CallEvent) -> None:
        self.active = event.active
        if event.outcome is None:
            self.calls += 1
            return
        self.outcomes[event.outcome.value] = self.outcomes.get(event.outcome.value, 0) + 1
        self.last = [
            f"{event.phone_masked} #{event.attempt_no}: {event.outcome.value}",
            *self.last,
        ][:5]

    def render(self, queue: int) -> Table:
        table = Table(title=f"Dozvon {datetime.now():%H:%M:%S}")
        table.add_column("Показатель / metric")
        table.add_column("Значение / value", justify="right")
        table.add_row("Активные звонки / active calls", str(self.active))
        table.add_row("Звонков / calls", str(self.calls))
        table.add_row("В очереди / queued tasks", str(queue))
        for name, count in sorted(self.outcomes.items()):
            table.add_row(f"  {name}", str(count))
        for line in self.last:
            table.add_row("", line)
        return table


def web_app(settings: Settings, store: Store, config: Path | None, text: TextChannels) -> FastAPI:
    """The same app as `dozvon serve`, plus the Telegram webhook: only this process has the
    conversations its replies are for."""
    try:
        return create_app(settings, store=store, config_path=config, telegram=text.telegram_hook)
    except ValueError as exc:
        raise typer.BadParameter(f"веб не запущен / web not started: {exc}") from exc


async def serve(
    settings: Settings, grace: float, *, web: bool = False, config: Path | None = None
) -> None:
    if settings.trunk is None or settings.mis is None:
        raise typer.BadParameter("нужны разделы trunk и mis / the config needs trunk and mis")
    store = Store(settings.database.url)
    upgrade(store.engine)
    text = open_text_channels(settings, links=StoredChatLinks(store))
    site = EmbeddedWeb(web_app(settings, store, config, text), settings.web) if web else None
    connector = open_connector(load(settings.mis))
    stack, voice = await open_voice_channel(settings)
    await text.start()
    specs = {c.name: spec_from_settings(c, find(c.scenario)) for c in settings.campaigns}
    progress = Progress()
    clock = SystemClock()
    runner = CampaignRunner(
        store,
        connector,
        connector,
        specs,
        {Channel.VOICE: voice, **text.channels},
        clock=clock,
        dispatch=dispatch_settings(settings, grace),
        clinic_timezone=settings.clinic.timezone,
        on_event=progress.on_event,
    )
    schedule = CronSchedule(
        [entry for c in settings.campaigns for entry in c.schedule], settings.clinic.timezone
    )
    last_check = clock.now()

    def sync_due() -> bool:
        nonlocal last_check
        now = clock.now()
        due = schedule.due(last_check, now)
        last_check = now
        return due

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        if site is not None:
            await site.start()
        service = asyncio.create_task(runner.serve(stop, sync_due, grace_seconds=grace))
        with Live(progress.render(0), refresh_per_second=2) as live:
            while not service.done():
                if site is not None and site.stopped:
                    stop.set()  # the web server died: stop, and let systemd restart both
                queued = await runner.store_thread.run(runner.state.queued, clock.now())
                live.update(progress.render(queued))
                await asyncio.wait({service}, timeout=1.0)
        await service
    finally:
        if site is not None:
            await site.stop()
        await text.aclose()
        await stack.stop()
        await connector.aclose()
        store.dispose()


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        config: Annotated[Path, typer.Option("--config", "-c", help="Файл настроек / config")],
        grace: Annotated[
            float, typer.Option(help="Секунд на завершение звонков при остановке / grace seconds")
        ] = 30.0,
        web: Annotated[
            bool,
            typer.Option(
                "--web",
                help="Заодно веб-интерфейс и webhook Telegram на web.host:web.port / "
                "also serve the web UI and the Telegram webhook",
            ),
        ] = False,
    ) -> None:
        """Служба обзвона: синхронизация по расписанию, звонки, запись в МИС / the daemon."""
        handler = logging.StreamHandler()
        handler.setFormatter(KeyValueFormatter())
        logging.basicConfig(level=logging.INFO, handlers=[handler])
        settings, _ = load_settings(config)
        asyncio.run(serve(settings, grace, web=web, config=config))
