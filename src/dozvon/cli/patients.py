"""`dozvon patients`: virtual patients to call — for the demo, for trying a scenario, for load."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dozvon.demo.behaviours import Behaviour
from dozvon.demo.line import start_virtual_patients
from dozvon.demo.patients import VirtualPatient, load_roles


def register(app: typer.Typer) -> None:
    @app.command()
    def patients(
        roles: Annotated[
            Path | None,
            typer.Option(help="JSON: номер → {behaviour, dtmf} / number → role"),
        ] = None,
        default: Annotated[
            Behaviour | None,
            typer.Option(help="роль для остальных номеров / role for numbers not in --roles"),
        ] = None,
        host: Annotated[str, typer.Option(help="адрес / bind address")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="SIP порт / SIP port")] = 5070,
        rtp_first: Annotated[int, typer.Option(help="первый RTP порт / first RTP port")] = 30000,
        rtp_last: Annotated[int, typer.Option(help="последний RTP порт / last RTP port")] = 32000,
    ) -> None:
        """Виртуальные пациенты: отвечают, жмут клавиши, заняты… / virtual patients to call."""
        console = Console()
        try:
            table = load_roles(roles) if roles else {}
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        fallback = VirtualPatient(default) if default else None
        if not table and fallback is None:
            raise typer.BadParameter("нужен --roles или --default / give --roles or --default")

        async def serve() -> None:
            stack, line = await start_virtual_patients(
                table, host, port, (rtp_first, rtp_last), default=fallback
            )
            console.print(
                f"Виртуальные пациенты ждут звонков на sip:<номер>@{host}:{stack.ua.port} "
                f"({len(table)} ролей). Ctrl+C — выход."
            )
            try:
                await asyncio.Event().wait()
            finally:
                console.print(f"Принято звонков / calls taken: {line.calls}")
                await stack.stop()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve())
