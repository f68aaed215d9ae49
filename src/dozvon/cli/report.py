"""`dozvon report --config FILE [--date D] [--format table|csv|xlsx|json] [--output FILE]`."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from dozvon.campaign.queries import day_facts, not_in_mis
from dozvon.campaign.reconcile import Reconciliation, reconcile
from dozvon.campaign.report import CampaignReport, build_report
from dozvon.campaign.report_files import FUNNEL, as_csv, as_xlsx, rows
from dozvon.campaign.sync import day_window
from dozvon.config import load_settings
from dozvon.mis.config import load, open_connector
from dozvon.store import Store, upgrade


def as_table(report: CampaignReport, console: Console) -> None:
    table = Table(title=f"Воронка за {report.day} / funnel")
    for _, title in FUNNEL:
        table.add_column(title, justify="right")
    for row in rows(report):
        table.add_row(*(str(v) for v in row))
    console.print(table)
    utilisation = "—" if report.line_utilisation is None else f"{report.line_utilisation:.0%}"
    console.print(
        f"Дозвон / reach rate: {report.reach_rate:.0%}   "
        f"Подтверждено / confirmation rate: {report.confirmation_rate:.0%}   "
        f"Загрузка линий / line utilisation: {utilisation}"
    )
    console.print(f"Повторы по номеру попытки / retries by attempt: {report.retries_by_attempt}")
    console.print(f"Исходы / outcomes: {report.outcomes}")
    console.print(f"Не дошло до МИС / not in the MIS: {len(report.not_in_mis)}")
    for item in report.not_in_mis[:20]:
        console.print(f"  {item.appointment_id}#{item.attempt} {item.outcome}: {item.last_error}")


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        config: Annotated[Path, typer.Option("--config", "-c", help="Файл настроек / config")],
        day: Annotated[
            str | None,
            typer.Option("--date", help="ГГГГ-ММ-ДД, по умолчанию сегодня / default today"),
        ] = None,
        fmt: Annotated[Literal["table", "csv", "xlsx", "json"], typer.Option("--format")] = "table",
        output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    ) -> None:
        """Отчёт о дне обзвона / the day's campaign report."""
        settings, _ = load_settings(config)
        zone = settings.clinic.timezone
        the_day = date.fromisoformat(day) if day else datetime.now(ZoneInfo(zone)).date()
        store = Store(settings.database.url)
        upgrade(store.engine)
        lines = settings.trunk.lines if settings.trunk else 1
        result = build_report(the_day, day_facts(store, the_day, zone), lines, not_in_mis(store))
        if fmt == "xlsx":
            target = output or Path(f"dozvon-report-{the_day}.xlsx")
            as_xlsx(result, target)
            typer.echo(str(target))
            return
        text = (
            json.dumps(result.as_dict(), ensure_ascii=False, indent=2)
            if fmt == "json"
            else as_csv(result)
            if fmt == "csv"
            else None
        )
        if text is None:
            as_table(result, Console())
        elif output:
            output.write_text(text, encoding="utf-8")
        else:
            typer.echo(text)

    @app.command(name="reconcile")
    def reconcile_command(
        config: Annotated[Path, typer.Option("--config", "-c", help="Файл настроек / config")],
        day: Annotated[
            str | None, typer.Option("--date", help="День визитов, ГГГГ-ММ-ДД / visits' day")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Сверка с МИС: что не дошло и что изменили после записи / reconcile with the MIS."""
        settings, _ = load_settings(config)
        if settings.mis is None:
            raise typer.BadParameter("в настройках нет раздела mis / no mis section")
        zone = settings.clinic.timezone
        the_day = date.fromisoformat(day) if day else datetime.now(ZoneInfo(zone)).date()
        store = Store(settings.database.url)
        upgrade(store.engine)
        connector = open_connector(load(settings.mis))

        async def go() -> Reconciliation:
            try:
                return await reconcile(store, connector, day_window(the_day, 1, zone))
            finally:
                await connector.aclose()

        result = asyncio.run(go())
        data = dataclasses.asdict(result)
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False, default=str, indent=2))
        else:
            console = Console()
            console.print(f"Не дошло до МИС / not in the MIS: {len(data['not_in_mis'])}")
            for item in data["not_in_mis"]:
                console.print(f"  {item['appointment_id']}#{item['attempt']}: {item['last_error']}")
            console.print(
                f"Изменено в МИС после записи / changed after write: "
                f"{len(data['changed_after_write'])}"
            )
            for drift in data["changed_after_write"]:
                console.print(f"  {drift['appointment_id']}#{drift['attempt']}: {drift['what']}")
        if data["not_in_mis"] or data["changed_after_write"]:
            raise typer.Exit(1)
