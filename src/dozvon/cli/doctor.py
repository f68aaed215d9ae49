"""`dozvon doctor`: the truth about this machine, and how to fix each problem."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from dozvon.cli._settings import ConfigOption
from dozvon.doctor import Status, run_checks

_STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}
_LABEL = {Status.OK: "норма / ok", Status.WARN: "внимание / warn", Status.FAIL: "ошибка / FAIL"}


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        config: ConfigOption = None,
        sip_timeout: float = typer.Option(
            2.0, help="Сколько ждать ответа транка, с / seconds to wait for the trunk"
        ),
    ) -> None:
        """Проверить машину, конфигурацию, базу и транк / check machine, config, database, trunk."""
        checks = run_checks(config, sip_timeout=sip_timeout)
        table = Table(title="dozvon doctor", show_lines=True)
        table.add_column("Проверка / Check")
        table.add_column("Итог / Result")
        table.add_column("Подробности / Details", overflow="fold")
        table.add_column("Как исправить / How to fix", overflow="fold")
        for check in checks:
            table.add_row(
                check.name,
                f"[{_STYLE[check.status]}]{_LABEL[check.status]}[/]",
                check.detail,
                check.fix,
            )
        console = Console(highlight=False)
        console.print(table)
        failed = sum(1 for check in checks if check.status is Status.FAIL)
        if failed:
            console.print(f"[bold red]Проблем: {failed} / problems: {failed}[/]")
            raise typer.Exit(1)
        console.print("[green]Всё в порядке / all good[/]")
