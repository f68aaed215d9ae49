"""`dozvon version`."""

from __future__ import annotations

import typer

from dozvon import __version__


def register(app: typer.Typer) -> None:
    @app.command()
    def version() -> None:
        """Показать версию / print the version."""
        typer.echo(__version__)
