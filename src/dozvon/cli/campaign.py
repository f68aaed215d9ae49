"""`dozvon campaign start|pause|resume|status NAME --config FILE`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from dozvon.campaign.clock import SystemClock
from dozvon.campaign.queries import campaign_status
from dozvon.campaign.service import tomorrow
from dozvon.campaign.state import SqlCampaignState
from dozvon.campaign.sync import SyncReport, day_window, sync_campaign
from dozvon.config import Settings, load_settings
from dozvon.mis.config import load, open_connector
from dozvon.store import CampaignState, Store, upgrade

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Файл настроек / config file")]


def open_store(config: Path) -> tuple[Store, list[str]]:
    settings, _ = load_settings(config)
    store = Store(settings.database.url)
    upgrade(store.engine)
    return store, [c.name for c in settings.campaigns]


async def sync_now(settings: Settings, name: str) -> SyncReport:
    """Tomorrow's worklist, as the daemon's scheduled sync reads it."""
    assert settings.mis is not None
    campaign = next(c for c in settings.campaigns if c.name == name)
    zone = settings.clinic.timezone
    store = Store(settings.database.url)
    connector = open_connector(load(settings.mis))
    try:
        return await sync_campaign(
            store,
            connector,
            name,
            day_window(tomorrow(SystemClock(), zone), 1, zone),
            SystemClock().now(),
            priority=campaign.priority,
            default_timezone=zone,
        )
    finally:
        await connector.aclose()
        store.dispose()


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Кампании обзвона / call campaigns", no_args_is_help=True)
    app.add_typer(group, name="campaign")

    def _set(name: str, config: Path, state: CampaignState, why: str) -> None:
        store, known = open_store(config)
        if name not in known:
            typer.echo(f"кампании «{name}» нет в {config} / no such campaign", err=True)
            raise typer.Exit(2)
        clock = SystemClock()
        with store.unit_of_work() as uow:
            uow.campaigns.ensure(name, clock.now())
            uow.commit()
        SqlCampaignState(store, clock).set_campaign_state(name, state, "cli", why)
        typer.echo(f"{name}: {state.value}")

    @group.command()
    def start(name: str, config: ConfigOption) -> None:
        """Запустить: прочитать список из МИС сейчас; звонит `dozvon run` / start: sync the
        worklist now; `dozvon run` dials."""
        _set(name, config, CampaignState.RUNNING, "started by an operator")
        settings, _ = load_settings(config)
        if settings.mis is None:
            typer.echo("раздела mis нет: список не прочитан / no mis section: nothing synced")
            return
        report = asyncio.run(sync_now(settings, name))
        typer.echo(
            f"прочитано / read {report.read}, задач / tasks {report.tasks}, "
            f"новых / new {report.tasks_new}, ошибок / errors {len(report.errors)}"
        )
        for error in report.errors:
            typer.echo(f"  {error}", err=True)

    @group.command()
    def pause(name: str, config: ConfigOption) -> None:
        """Приостановить: новых звонков нет / pause: no new calls."""
        _set(name, config, CampaignState.PAUSED, "paused by an operator")

    @group.command()
    def resume(name: str, config: ConfigOption) -> None:
        """Продолжить (и сбросить аварийный выключатель) / resume (and reset the breaker)."""
        _set(name, config, CampaignState.RUNNING, "resumed by an operator")

    @group.command()
    def status(
        name: str,
        config: ConfigOption,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Состояние, задачи, исходы / state, tasks, outcomes."""
        store, _ = open_store(config)
        data = campaign_status(store, name)
        if data is None:
            typer.echo(f"кампания «{name}» ещё не запускалась / never run", err=True)
            raise typer.Exit(2)
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
            return
        for key, value in data.items():
            typer.echo(f"{key}: {value}")
