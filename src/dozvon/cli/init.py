"""`dozvon init`: ask a clinic's admin a few questions and write a config that loads.

Passwords and tokens are never asked for: the config names environment variables, and a
`secrets.env` template beside it lists them with empty values.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.prompt import Prompt
from rich.text import Text

from dozvon.cli.mis import mis_settings
from dozvon.config import ConfigError, load_document, validate
from dozvon.config.secretfile import read_secrets
from dozvon.config.starter import MIS_KINDS, Answers, Starter, render
from dozvon.config.starter import answers as parse

T = TypeVar("T")
SECRETS_NAME = "secrets.env"


class Asker:
    """Rich prompts that re-ask, with the reason, until an answer parses."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def __call__(self, question: str, default: str, parse: Callable[[str], T]) -> T:
        while True:
            try:
                raw = Prompt.ask(
                    question, default=default, console=self.console, show_default=bool(default)
                )
            except EOFError:
                self.console.print("[red]Ввод прерван / input ended[/red]")
                raise typer.Exit(1) from None
            try:
                return parse(raw)
            except ValueError as exc:
                self.console.print(Text(str(exc), style="red"))  # answers may hold [markup]


def choose_kind(ask: Asker, console: Console) -> str:
    kinds = list(MIS_KINDS)
    console.print("\n[bold]МИС клиники / the clinic's MIS[/bold]")
    for number, kind in enumerate(kinds, start=1):
        console.print(f"  {number:>2}. {kind:<11} {MIS_KINDS[kind].label}", highlight=False)

    def parse(value: str) -> str:
        value = value.strip()
        if value.isdigit() and 1 <= int(value) <= len(kinds):
            return kinds[int(value) - 1]
        if value in MIS_KINDS:
            return value
        raise ValueError(f"ожидался номер 1–{len(kinds)} или имя / expected a number or a name")

    return ask("Вид МИС / MIS kind", "1", parse)


def ask_answers(console: Console, mis_kind: str | None) -> Answers:
    ask = Asker(console)
    default = Answers()
    console.print("[bold]Клиника / clinic[/bold]")
    name = ask("Название клиники / clinic name", default.clinic_name, parse.text)
    zone = ask("Часовой пояс / time zone", default.timezone, parse.zone)
    kind = mis_kind or choose_kind(ask, console)
    facts = {q.name: ask(q.prompt, q.default, q.parse) for q in MIS_KINDS[kind].questions}

    console.print("\n[bold]SIP-транк / SIP trunk[/bold] (пароль не спрашивается / no password)")
    host = ask("Регистратор или АТС / registrar or PBX host", default.trunk_host, parse.host)
    port = ask("Порт / port", str(default.trunk_port), parse.whole(1, 65535))
    transport = ask("Транспорт udp/tcp / transport", default.trunk_transport, parse.transport)
    register = ask("Регистрироваться (да/нет) / register (yes/no)", "да", parse.yes_no)
    if register:
        user = ask("Пользователь / user", default.trunk_username, parse.required_user)
    else:
        user = ask("Пользователь, пусто — без пароля / user, empty: none", "", parse.optional_user)
    caller = ask("Номер А (caller id), можно пусто", default.caller_id, parse.caller_id)
    lines = ask("Линий одновременно / concurrent lines", str(default.lines), parse.whole(1, 1000))
    cps = ask("Звонков в секунду / calls per second", f"{default.cps:g}", parse.calls_per_second)

    console.print("\n[bold]Часы обзвона / calling hours[/bold] (местное время пациента)")
    start = ask("Начало / start", default.hours_start, parse.clock)

    def after_start(value: str) -> str:
        end = parse.clock(value)
        if end <= start:
            raise ValueError(f"конец должен быть позже {start} / end must be after start")
        return end

    end = ask("Конец / end", default.hours_end, after_start)
    days = ask("Дни / weekdays", " ".join(default.weekdays), parse.weekdays)
    return Answers(
        clinic_name=name,
        timezone=zone,
        mis_kind=kind,
        mis_facts=facts,
        trunk_host=host,
        trunk_port=port,
        trunk_transport=transport,
        trunk_register=register,
        trunk_username=user,
        caller_id=caller,
        lines=lines,
        cps=cps,
        hours_start=start,
        hours_end=end,
        weekdays=days,
    )


def write_files(out: Path, result: Starter, force: bool) -> Path:
    """Write the config and the secrets template; an existing secrets file is kept and only
    gains the names it lacks, so `--force` never wipes a real password."""
    secrets_path = out.parent / SECRETS_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w" if force else "x", encoding="utf-8") as handle:
        handle.write(result.config)
    if secrets_path.exists():
        known = read_secrets(secrets_path)
        missing = [name for name in result.env_names if name not in known]
        if missing:
            with secrets_path.open("a", encoding="utf-8") as handle:
                handle.write("".join(f"\n{name}=" for name in missing) + "\n")
    else:
        fd = os.open(secrets_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(result.secrets)
    os.chmod(secrets_path, 0o600)
    return secrets_path


def check_written(out: Path, result: Starter) -> None:
    """Load the file as `dozvon config check` and `dozvon mis test` would, with stand-in
    values for the secrets, so what init writes is known to be structurally right."""
    stand_ins = {**os.environ, **{name: "dummy" for name in result.env_names}}
    document = load_document(out, stand_ins)
    mis_settings(document, validate(document))


def next_steps(console: Console, out: Path, secrets_path: Path, result: Starter) -> None:
    config = f"--config {shlex.quote(str(out))}"
    console.print(f"\n[green]Записано / written:[/green] {out}, {secrets_path} (права 600)")
    console.print("Проверено: файл загружается / checked: the file loads\n")
    console.print("[bold]Дальше / next steps[/bold]")
    steps = []
    if result.env_names:
        source = shlex.quote(str(secrets_path))
        if not secrets_path.is_absolute() and not source.startswith("."):
            source = "./" + source  # `.` looks a bare name up in PATH
        steps.append(
            f"Впишите в {secrets_path} / fill in: {', '.join(result.env_names)}\n"
            f"     и загрузите / then load them:  set -a; . {source}; set +a"
        )
    steps.append(f"Заполните строки «ЗАПОЛНИТЕ» в {out} (раздел mis) / fill in the FILL IN lines")
    commands = [
        (f"dozvon db upgrade {config}", "база Dozvon / Dozvon's own database"),
        (f"dozvon doctor {config}", "машина, порты, транк / machine, ports, trunk"),
        (f"dozvon mis test {config}", "связь с МИС / the MIS connection"),
        (f"dozvon sync {config} --dry-run", "список на обзвон, без записи / worklist, not stored"),
        ("dozvon simulate confirm", "сценарий в терминале / the scenario in a terminal"),
    ]
    width = max(len(command) for command, _ in commands)
    steps += [f"{command:<{width}}  # {comment}" for command, comment in commands]
    for number, step in enumerate(steps, start=1):
        console.print(f"  {number}. {step}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init_command(
        out: Annotated[
            Path, typer.Option("--out", "-o", help="куда записать / config file to write")
        ] = Path("dozvon.yaml"),
        mis: Annotated[
            str | None,
            typer.Option("--mis", help=f"вид МИС / MIS kind: {', '.join(MIS_KINDS)}"),
        ] = None,
        non_interactive: Annotated[
            bool,
            typer.Option("--non-interactive", help="без вопросов / defaults and flags only"),
        ] = False,
        force: Annotated[
            bool, typer.Option("--force", help="перезаписать / overwrite the config")
        ] = False,
    ) -> None:
        """Создать конфигурацию клиники / write a commented config for a clinic."""
        console = Console(highlight=False, soft_wrap=True)
        if mis is not None and mis not in MIS_KINDS:
            raise typer.BadParameter(
                f"{mis!r}: ожидалось / expected one of {', '.join(MIS_KINDS)}", param_hint="--mis"
            )
        secrets_path = out.parent / SECRETS_NAME
        existing = [str(p) for p in (out, secrets_path) if p.exists()]
        if existing and not force:
            console.print(
                f"[red]Уже есть / already exists: {', '.join(existing)}.[/red] "
                "--force перезапишет конфигурацию, а secrets.env сохранит"
                " / --force overwrites the config and keeps secrets.env"
            )
            raise typer.Exit(1)
        if non_interactive:
            answers = Answers(mis_kind=mis or Answers().mis_kind)
        else:
            answers = ask_answers(console, mis)
        result = render(answers, out.name)
        try:
            secrets_path = write_files(out, result, force)
        except ConfigError as error:  # an existing secrets file that does not parse
            console.print(str(error), markup=False)
            raise typer.Exit(1) from error
        try:
            check_written(out, result)
        except ConfigError as error:
            console.print("[red]Созданный файл не прошёл проверку (ошибка Dozvon):[/red]")
            console.print(str(error), markup=False)
            raise typer.Exit(3) from error
        next_steps(console, out, secrets_path, result)
