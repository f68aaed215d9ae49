"""`dozvon sync` reads the clinic's worklist; `dozvon mis test` checks the MIS connection.

Exit codes: 0 the MIS answered (row errors are listed, not fatal: the good rows went through),
1 the MIS could not be read, 2 the settings are wrong.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer

from dozvon.campaign.worklist import PROGRESS_EVERY, collect
from dozvon.config import ConfigDocument, ConfigError, Settings, load_document, validate
from dozvon.core.appointment import Appointment
from dozvon.core.task import bundle_tasks
from dozvon.mis.base import MisError, RowError, Window
from dozvon.mis.config import MisConfig, MisConfigError, load, open_connector
from dozvon.mis.source import Connector

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="файл настроек / settings file")]
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="день приёмов ГГГГ-ММ-ДД (по умолчанию завтра) / visit day"),
]
T = TypeVar("T")
JsonOption = Annotated[bool, typer.Option("--json", help="вывод в JSON / JSON output")]


@dataclass(slots=True)
class SyncSummary:
    read: int = 0
    appointments: int = 0
    tasks: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "appointments": self.appointments,
            "tasks": self.tasks,
            "errors": [
                {"source": e.source, "row": e.row, "field": e.field, "message": e.message}
                for e in self.errors
            ],
        }


def mis_settings(document: ConfigDocument, settings: Settings) -> MisConfig:
    """The `mis:` section validated, each problem pointing at its line in the file."""
    if settings.mis is None:
        raise ConfigError([document.issue(("mis",), "нет раздела mis / no mis section")])
    try:
        return load(settings.mis)
    except MisConfigError as exc:
        raise ConfigError(
            [document.issue(("mis", *loc), message) for loc, message in exc.problems]
        ) from None


def visit_window(day: str | None, zone: str) -> Window:
    """That local day in the clinic's zone; tomorrow by default."""
    tz = ZoneInfo(zone)
    try:
        first = date.fromisoformat(day) if day else datetime.now(tz).date() + timedelta(days=1)
    except ValueError:
        raise typer.BadParameter(f"дата {day!r}: ожидалось ГГГГ-ММ-ДД / YYYY-MM-DD") from None
    start = datetime.combine(first, datetime.min.time(), tz)
    return Window(start, start + timedelta(days=1))


class ProgressLines:
    """`dozvon sync`'s progress on stderr (stdout stays the summary or the JSON): a line every
    PROGRESS_EVERY rows and one before a large worklist is written, so a 100k-row sync that
    takes a quarter of a minute shows it is alive; a small clinic's day prints nothing."""

    def rows_read(self, rows: int) -> None:
        typer.echo(f"… прочитано строк / rows read: {_grouped(rows)}", err=True)

    def storing(self, appointments: int) -> None:
        if appointments >= PROGRESS_EVERY:
            typer.echo(f"… запись в базу / storing: {_grouped(appointments)}", err=True)


def _grouped(number: int) -> str:
    return f"{number:,}".replace(",", "\N{NO-BREAK SPACE}")


async def read_worklist(
    connector: Connector, window: Window, zone: str
) -> tuple[SyncSummary, list[Appointment]]:
    appointments, errors = await collect(connector, window, ProgressLines())
    summary = SyncSummary(read=len(appointments) + len(errors), errors=errors)
    summary.appointments = len(appointments)
    summary.tasks = len(bundle_tasks(appointments, zone))
    return summary, appointments


async def store_worklist(
    settings: Settings, connector: Connector, window: Window, campaign: str | None
) -> SyncSummary:
    """Upsert through the campaign's sync, which also opens, moves and cancels tasks."""
    from dozvon.campaign.sync import sync_campaign
    from dozvon.store import Store, upgrade

    name = campaign or (settings.campaigns[0].name if settings.campaigns else "confirm")
    store = Store(settings.database.url)
    try:
        upgrade(store.engine)
        report = await sync_campaign(
            store,
            connector,
            name,
            window,
            datetime.now(ZoneInfo(settings.clinic.timezone)),
            default_timezone=settings.clinic.timezone,
            progress=ProgressLines(),
        )
    finally:
        store.dispose()
    return SyncSummary(report.read, report.appointments, report.tasks, list(report.errors))


def _load(config: Path) -> tuple[Settings, MisConfig]:
    try:
        document = load_document(config)
        settings = validate(document)
        return settings, mis_settings(document, settings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def with_connector(
    config: Path,
    day: str | None,
    action: Callable[[Connector, Settings, Window], Awaitable[T]],
    failure: str,
) -> tuple[T, Window]:
    """Load the settings, open the MIS for that day's window, run `action`, always close."""
    settings, mis = _load(config)
    window = visit_window(day, settings.clinic.timezone)

    async def run() -> T:
        connector = open_connector(mis)  # may fail on a missing secret: reported below
        try:
            return await action(connector, settings, window)
        finally:
            await connector.aclose()

    try:
        return asyncio.run(run()), window
    except MisConfigError as exc:
        typer.echo(f"{config}: mis: {exc}", err=True)
        raise typer.Exit(2) from None
    except MisError as exc:
        typer.echo(f"{failure}: {exc}", err=True)
        raise typer.Exit(1) from None


def _print_summary(summary: SyncSummary, window: Window, stored: bool) -> None:
    typer.echo(f"День / day: {window.start.date().isoformat()}")
    typer.echo(f"Прочитано строк / rows read:     {summary.read}")
    typer.echo(f"Приёмов / appointments:          {summary.appointments}")
    typer.echo(f"Задач на обзвон / tasks:         {summary.tasks}")
    typer.echo(f"Ошибок / errors:                 {len(summary.errors)}")
    for error in summary.errors:
        typer.echo(f"  {error}")
    if any(error.cut_short for error in summary.errors):
        typer.echo(
            "Чтение прервано (см. ошибку выше): приёмы дальше этого места не прочитаны и не "
            "отменены / the read was cut short: visits past that point were not read, and "
            "none was cancelled"
        )
    if not stored:
        typer.echo("Пробный прогон: в базу ничего не записано / dry run: nothing stored")


def register(app: typer.Typer) -> None:
    @app.command()
    def sync(
        config: ConfigOption,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="только прочитать / read only, store nothing")
        ] = False,
        day: DateOption = None,
        as_json: JsonOption = False,
        campaign: Annotated[
            str | None, typer.Option("--campaign", help="кампания (по умолчанию первая)")
        ] = None,
    ) -> None:
        """Прочитать список приёмов из МИС / read the worklist from the MIS."""

        async def read(connector: Connector, settings: Settings, window: Window) -> SyncSummary:
            if dry_run:
                summary, _ = await read_worklist(connector, window, settings.clinic.timezone)
                return summary
            return await store_worklist(settings, connector, window, campaign)

        summary, window = with_connector(config, day, read, "МИС недоступна / MIS failed")
        if as_json:
            typer.echo(json.dumps(summary.as_json(), ensure_ascii=False))
        else:
            _print_summary(summary, window, stored=not dry_run)

    group = typer.Typer(help="Связь с МИС / the clinic's MIS", no_args_is_help=True)
    app.add_typer(group, name="mis")

    @group.command("test")
    def test(config: ConfigOption, day: DateOption = None) -> None:
        """Проверить связь и оба запроса, ничего не меняя / check connection and both statements."""

        async def check(connector: Connector, settings: Settings, window: Window) -> list[str]:
            return await connector.check(window)

        lines, _ = with_connector(config, day, check, "ОШИБКА / FAILED")
        for line in lines:
            typer.echo(line)
        typer.echo("ОК / OK")
