"""The `dozvon` command. Each module in this package adds its own commands through `register`,
so areas of the product add commands without touching one another's files."""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="dozvon",
    help="Dozvon: робот обзвона пациентов клиники / clinic patient call-out robot.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """Dozvon: робот обзвона пациентов клиники / clinic patient call-out robot."""


def _register_commands() -> None:
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(app)


_register_commands()


def main() -> None:
    app()
