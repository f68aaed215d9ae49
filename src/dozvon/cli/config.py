"""`dozvon config check FILE`: OK, or every problem as file:line key: what was expected."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dozvon.cli._settings import print_config_error
from dozvon.config import ConfigError, load_settings


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(help="Конфигурация / configuration.", no_args_is_help=True)

    @config_app.command("check")
    def check(
        file: Annotated[Path, typer.Argument(help="Файл конфигурации / config file")],
    ) -> None:
        """Проверить файл конфигурации / validate a config file."""
        try:
            settings, _ = load_settings(file)
        except ConfigError as error:
            print_config_error(error)
            raise typer.Exit(1) from error
        campaigns = ", ".join(c.name for c in settings.campaigns) or "—"
        Console(highlight=False, soft_wrap=True).print(
            f"OK: {file} (кампании / campaigns: {campaigns})", markup=False
        )

    app.add_typer(config_app, name="config")
