"""Loading the config for a command: on error print every issue as file:line key and exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dozvon.config import ConfigError, Settings, load_settings

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Файл конфигурации (иначе $DOZVON_CONFIG) / config file (else $DOZVON_CONFIG)",
        show_default=False,
    ),
]

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def print_config_error(error: ConfigError) -> None:
    for issue in error.issues:
        stderr.print(str(issue), markup=False)


def settings_or_exit(config: Path | None) -> Settings:
    try:
        settings, _ = load_settings(config)
    except ConfigError as error:
        print_config_error(error)
        raise typer.Exit(2) from error
    return settings
