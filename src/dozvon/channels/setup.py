"""From the `text_channels:` settings to the channels a campaign may use (only those set up)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field

from dozvon.channels.base import ContactChannel
from dozvon.channels.email import EmailAddressing, SmtpOutbound
from dozvon.channels.sms import HttpGateway, PhoneAddressing, SmsGateway, SmsOutbound, SmsRuGateway
from dozvon.channels.telegram import (
    BotApi,
    ChatAddressing,
    ChatLinker,
    ChatLinks,
    TelegramOutbound,
    poll_updates,
)
from dozvon.channels.telegram.webhook import TelegramHook, register_webhook
from dozvon.channels.text import Addressing, Outbound, ReplyInbox, TextChannel
from dozvon.config import Settings
from dozvon.config.channels import SmsRuSettings
from dozvon.core.outcome import Channel
from dozvon.dialog.context import Clinic

Closer = Callable[[], Awaitable[None]]


@dataclass
class TextChannels:
    """The channels, the inbox their replies arrive in, and what runs beside them (the
    Telegram poller) until `aclose`; `telegram_hook` is for the web app when Telegram
    delivers by webhook."""

    channels: dict[Channel, ContactChannel]
    inbox: ReplyInbox
    pollers: list[Callable[[asyncio.Event], Coroutine[object, object, None]]] = field(
        default_factory=list
    )
    starters: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    closers: list[Closer] = field(default_factory=list)
    telegram_hook: TelegramHook | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        for step in self.starters:
            await step()
        self._tasks = [asyncio.create_task(poll(self._stop)) for poll in self.pollers]

    async def aclose(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for close in self.closers:
            await close()


def sms_gateway(settings: Settings) -> SmsGateway | None:
    sms = settings.text_channels.sms
    if sms is None:
        return None
    return SmsRuGateway(sms) if isinstance(sms, SmsRuSettings) else HttpGateway(sms)


def open_text_channels(
    settings: Settings, inbox: ReplyInbox | None = None, links: ChatLinks | None = None
) -> TextChannels:
    """`links`: where the bot keeps the chats patients linked (the store); without it the
    chat id must come from the MIS and /start is not answered."""
    config = settings.text_channels
    inbox = inbox or ReplyInbox()
    clinic = Clinic(settings.clinic.name)
    wait = config.reply_timeout.total_seconds()
    result = TextChannels({}, inbox)

    def add(kind: Channel, outbound: Outbound, addressing: Addressing, two_way: bool) -> None:
        result.channels[kind] = TextChannel(
            kind, outbound, addressing, clinic, inbox=inbox if two_way else None, reply_timeout=wait
        )

    if config.email is not None:
        add(Channel.EMAIL, SmtpOutbound(config.email, clinic.name), EmailAddressing(), False)
    gateway = sms_gateway(settings)
    if gateway is not None and config.sms is not None:
        add(Channel.SMS, SmsOutbound(gateway), PhoneAddressing(), config.sms.replies)
        result.closers.append(gateway.aclose)
    if config.telegram is not None:
        telegram = config.telegram
        api = BotApi(
            telegram.token.get_secret_value(),
            telegram.api_url,
            max_retry_wait=telegram.max_retry_wait.total_seconds(),
        )
        add(Channel.TELEGRAM, TelegramOutbound(api), ChatAddressing(links), True)
        linker = ChatLinker(api, links, clinic.name) if links is not None else None
        if telegram.poll:
            seconds = telegram.poll_timeout.total_seconds()
            result.pollers.append(lambda stop: poll_updates(api, inbox, stop, seconds, linker))
        if telegram.webhook is not None:
            webhook = telegram.webhook
            secret = webhook.secret_token.get_secret_value()
            result.telegram_hook = TelegramHook(api, inbox, secret, linker)
            result.starters.append(lambda: register_webhook(api, webhook))
        result.closers.append(api.aclose)
    return result
