"""`dozvon demo`: watch the robot confirm a demo clinic's visits, end to end, on this machine."""

from __future__ import annotations

import asyncio
import json
import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from dozvon.campaign.dispatcher import CallEvent
from dozvon.demo.run import DemoReport, outcome_counts, run_demo


class DemoProgress:
    def __init__(self) -> None:
        self.active = 0
        self.calls = 0
        self.retries = 0
        self.outcomes: dict[str, int] = {}

    def on_event(self, event: CallEvent) -> None:
        self.active = event.active
        if event.outcome is None:
            self.calls += 1
            self.retries += event.attempt_no > 1
        else:
            name = event.outcome.value
            self.outcomes[name] = self.outcomes.get(name, 0) + 1

    def render(self) -> Table:
        table = Table(title="Dozvon: демо-обзвон / demo campaign")
        table.add_column("Показатель / metric")
        table.add_column("", justify="right")
        table.add_row("Идут звонки / active calls", str(self.active))
        table.add_row("Звонков / calls placed", str(self.calls))
        table.add_row("Из них повторных / of them retries", str(self.retries))
        for name, count in sorted(self.outcomes.items()):
            table.add_row(f"  {name}", str(count))
        return table


def _summary(report: DemoReport) -> Table:
    table = Table(title="Что записано в демо-МИС / what the demo MIS now holds")
    table.add_column("Исход / outcome")
    table.add_column("Записей / visits", justify="right")
    for name, count in sorted(outcome_counts(report.visits).items()):
        table.add_row(name, str(count))
    return table


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        patients: Annotated[
            int, typer.Option(min=3, max=500, help="сколько пациентов / how many patients")
        ] = 51,
        folder: Annotated[
            Path, typer.Option("--dir", help="папка демо / demo folder")
        ] = Path("var/demo"),
        as_json: Annotated[bool, typer.Option("--json", help="итог в JSON / JSON summary")] = False,
    ) -> None:
        """Демо: робот обзванивает демо-клинику и пишет итоги в её МИС / the end-to-end demo."""
        console = Console(stderr=as_json)
        progress = DemoProgress()

        async def go() -> DemoReport:
            with Live(progress.render(), console=console, refresh_per_second=4) as live:
                task = asyncio.create_task(run_demo(folder, patients, progress.on_event))
                while not task.done():
                    live.update(progress.render())
                    await asyncio.wait({task}, timeout=0.25)
                live.update(progress.render())
                return await task

        report = asyncio.run(go())
        if as_json:
            typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
        else:
            console.print(_summary(report))
            _where_to_look(console, report)
        if report.mismatches or report.not_written:
            raise typer.Exit(1)


RESULTS_SQL = (
    "SELECT v.id, p.fio, v.visit_at, v.call_result, v.call_attempts "
    "FROM visits v JOIN patients p ON p.id = v.patient_id"
)


def _where_to_look(console: Console, report: DemoReport) -> None:
    mis = shlex.quote(str(report.clinic.mis_path))
    query = " ".join(["sqlite3", mis, shlex.quote(RESULTS_SQL)])
    console.print(
        f"Звонков: {report.calls}, записано в МИС: {report.written_back}, "
        f"не записано: {report.not_written}.\n"
        "Результаты в демо-МИС / results in the demo MIS:\n"
        f"  {query}\n"
        f"Отчёт / report:  dozvon report --config {report.config_path}",
        soft_wrap=True,
    )
    if report.mismatches:
        console.print(f"[red]Не совпало с ролями пациентов: {len(report.mismatches)}[/red]")
        for visit in report.mismatches:
            console.print(
                f"  визит {visit.visit_id}: ждали {visit.expected}, в МИС {visit.written}"
            )
    else:
        console.print("[green]Каждый исход совпал с ролью виртуального пациента.[/green]")
