"""`dozvon web hash-password`: a hash for `web.users[].password_hash`, for the secrets file."""

from __future__ import annotations

import typer

from dozvon.web.passwords import hash_password

MIN_PASSWORD_CHARS = 10


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Веб-интерфейс / web UI", no_args_is_help=True)
    app.add_typer(group, name="web")

    @group.command("hash-password")
    def hash_password_command() -> None:
        """Хеш пароля для файла секретов; пароль вводится с клавиатуры, не аргументом /
        hash a password for the secrets file (typed at a prompt, never an argument)."""
        password = typer.prompt(
            "Пароль / password",
            hide_input=True,
            confirmation_prompt="Ещё раз / repeat",
        )
        if len(password) < MIN_PASSWORD_CHARS:
            typer.echo(
                f"Пароль короче {MIN_PASSWORD_CHARS} символов / shorter than "
                f"{MIN_PASSWORD_CHARS} characters",
                err=True,
            )
            raise typer.Exit(2)
        typer.echo(hash_password(password))
