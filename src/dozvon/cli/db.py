"""`dozvon db upgrade`: bring the database schema to the version this Dozvon needs."""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from dozvon.cli._settings import ConfigOption, settings_or_exit, stderr
from dozvon.store import current_revision, head_revision, make_engine, upgrade


def register(app: typer.Typer) -> None:
    db = typer.Typer(help="База данных / database.", no_args_is_help=True)

    @db.command("upgrade")
    def upgrade_command(config: ConfigOption = None) -> None:
        """Обновить схему базы до последней версии / migrate the schema to the latest revision."""
        settings = settings_or_exit(config)
        shown = make_url(settings.database.url).render_as_string(hide_password=True)
        engine = make_engine(settings.database.url)
        try:
            before = current_revision(engine)
            upgrade(engine)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            stderr.print(f"{shown}: {reason}", markup=False)
            raise typer.Exit(1) from exc
        finally:
            engine.dispose()
        head = head_revision()
        state = "уже актуальна / already current" if before == head else f"{before or '∅'} → {head}"
        Console(highlight=False, soft_wrap=True).print(f"{shown}: {state}", markup=False)

    app.add_typer(db, name="db")
