"""`dozvon serve --config FILE`: the web UI and API on web.host:web.port.

It runs beside `dozvon run` against the same database (SQLite in WAL mode lets both work);
`dozvon run --web` serves the same app from the daemon instead, as Telegram's webhook needs.
"""

from __future__ import annotations

import logging

import typer
import uvicorn

from dozvon.cli._settings import ConfigOption, settings_or_exit
from dozvon.store import Store, upgrade
from dozvon.web import create_app
from dozvon.web.server import server_config


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(config: ConfigOption = None) -> None:
        """Веб-интерфейс и API / the web UI and JSON API."""
        settings = settings_or_exit(config)
        logging.basicConfig(level=logging.INFO)
        store = Store(settings.database.url)
        upgrade(store.engine)
        try:
            web = create_app(settings, store=store, config_path=config)
        except ValueError as exc:
            typer.echo(f"веб не запущен / not started: {exc}", err=True)
            raise typer.Exit(2) from exc
        if settings.text_channels.telegram and settings.text_channels.telegram.webhook:
            logging.getLogger(__name__).warning(
                "telegram webhook is answered by `dozvon run --web`, not by `dozvon serve`"
            )
        try:
            uvicorn.Server(server_config(web, settings.web)).run()
        finally:
            store.dispose()
