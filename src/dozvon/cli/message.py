"""`dozvon message`: send one test message through a configured text channel, to check the
gateway, the SMTP server or the bot before a campaign depends on it."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from dozvon.channels.email.message import parse_address
from dozvon.channels.setup import open_text_channels
from dozvon.channels.text import DeliveryFailed, Message, TextChannel
from dozvon.cli._settings import ConfigOption, settings_or_exit, stderr
from dozvon.config import Settings
from dozvon.core.outcome import Channel
from dozvon.core.phone import normalize_phone


def recipient(channel: Channel, to: str) -> str:
    """Raises ValueError with the reason, in Russian first."""
    if channel is Channel.SMS:
        return normalize_phone(to)
    if channel is Channel.EMAIL:
        return parse_address(to.strip()).addr_spec
    if not to.strip().removeprefix("-").isdigit():
        raise ValueError("id чата Telegram — число / a Telegram chat id is a number")
    return to.strip()


async def send(settings: Settings, channel: Channel, to: str, text: str) -> str:
    built = open_text_channels(settings)
    try:
        chosen = built.channels.get(channel)
        if not isinstance(chosen, TextChannel):
            raise ValueError(f"канал {channel.value} не настроен в text_channels / not configured")
        return await chosen.outbound.send(to, Message((text,)))
    finally:
        await built.aclose()


def register(app: typer.Typer) -> None:
    @app.command()
    def message(
        text: Annotated[str, typer.Argument(help="Текст сообщения / message text")],
        channel: Annotated[
            Channel, typer.Option("--channel", help="sms, email или telegram / channel")
        ],
        to: Annotated[
            str, typer.Option("--to", help="Номер, e-mail или id чата / number, e-mail, chat id")
        ],
        config: ConfigOption = None,
    ) -> None:
        """Отправить пробное сообщение / send a test message through a text channel."""
        if channel is Channel.VOICE:
            raise typer.BadParameter("для звонка есть dozvon call / use dozvon call for voice")
        settings = settings_or_exit(config)
        try:
            address = recipient(channel, to)
            message_id = asyncio.run(send(settings, channel, address, text))
        except ValueError as exc:  # a bad address or number, a channel not set up
            stderr.print(f"ошибка / error: {exc}", markup=False)
            raise typer.Exit(2) from exc
        except DeliveryFailed as exc:
            stderr.print(
                f"не отправлено / not sent ({exc.outcome.value}): {exc.reason}", markup=False
            )
            raise typer.Exit(1) from exc
        typer.echo(f"отправлено / sent: {message_id or '(без id)'}")
