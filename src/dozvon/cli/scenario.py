"""`dozvon simulate`, `dozvon scenario list|check`: scenarios without a phone line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dozvon.core.outcome import Channel
from dozvon.dialog.errors import DataError, NotAllowed, ScenarioError, ScenarioErrors
from dozvon.dialog.library import builtin, builtin_names, check_links, find, resolver_near
from dozvon.dialog.simulate import Simulation, call_json

scenario_app = typer.Typer(
    help="Сценарии разговора: список и проверка / dialog scenarios: list and check.",
    no_args_is_help=True,
)


@scenario_app.command("list")
def list_scenarios() -> None:
    """Встроенные сценарии / built-in scenarios."""
    for name in builtin_names():
        header = builtin(name).header
        typer.echo(f"{name:<16} {header.purpose.value:<10} {header.title}")


@scenario_app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="файлы сценариев / scenario files")],
) -> None:
    """Проверить сценарии: ошибки с номером строки / check scenario files, errors with lines."""
    failed = False
    for path in files:
        errors = _problems(path)
        for error in errors:
            typer.echo(str(error), err=True)
        if errors:
            failed = True
        else:
            typer.echo(f"{path}: ok")
    if failed:
        raise typer.Exit(1)


def _problems(path: Path) -> list[ScenarioError]:
    if not path.is_file():
        return [ScenarioError(str(path), None, "нет такого файла")]
    try:
        scenario = find(str(path))
    except ScenarioErrors as exc:
        return exc.errors
    return check_links(scenario, resolver_near(scenario))


def simulate(
    scenario: Annotated[str, typer.Argument(help="имя встроенного сценария или файл .yaml")],
    data: Annotated[
        Path | None, typer.Option("--data", help="данные JSON (иначе демо) / JSON data file")
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option("--var", help="ключ=значение, например patient.name=Иван / override a field"),
    ] = None,
    keys: Annotated[
        str | None,
        typer.Option(
            "--keys", help="клавиши по порядку, _ — тишина, h — положить трубку / scripted keys"
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="итог в JSON / print the outcome as JSON")
    ] = False,
    machine: Annotated[
        bool, typer.Option("--machine", help="ответил автоответчик / an answering machine answers")
    ] = False,
    channel: Annotated[Channel, typer.Option("--channel", help="канал / channel")] = Channel.VOICE,
) -> None:
    """Проиграть сценарий в терминале / run a scenario in the terminal."""
    simulation = Simulation(
        scenario,
        keys=keys,
        answering_machine=machine,
        channel=channel,
        write=(lambda _line: None) if as_json else typer.echo,
        read=_ask_on_stderr if as_json else input,
    )
    try:
        if data is not None:
            simulation.data = json.loads(data.read_text(encoding="utf-8"))
            simulation.source = str(data)
        for assignment in var or []:
            simulation.set(assignment)
        result = simulation.run()
    except ScenarioErrors as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except (DataError, NotAllowed, OSError, ValueError) as exc:
        typer.echo(f"ошибка: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(call_json(result), ensure_ascii=False, indent=2))
    else:
        typer.echo(f"Итог: {result.outcome.value}; клавиши: {result.evidence.digits or '—'}")


def _ask_on_stderr(prompt: str) -> str:
    """With --json, stdout carries only the JSON; the keyboard prompt goes to stderr."""
    typer.echo(prompt, err=True, nl=False)
    return input()


def register(app: typer.Typer) -> None:
    app.add_typer(scenario_app, name="scenario")
    app.command("simulate")(simulate)
