"""Replies from Telegram into the inbox: a pressed button (callback_query) or typed text.

`handle_update` takes one Update object, so a webhook endpoint and the getUpdates poller
share it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from dozvon.channels.telegram.botapi import BotApi, BotApiError
from dozvon.channels.telegram.fields import chat_id, part
from dozvon.channels.telegram.linking import ChatLinker
from dozvon.channels.text.inbox import ReplyInbox
from dozvon.core.outcome import Channel

log = logging.getLogger(__name__)
ERROR_PAUSE = 5.0
ALLOWED_UPDATES = ("message", "callback_query")
"""The update types asked for, by getUpdates and by setWebhook alike."""


def reply_of(update: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """(chat id, text, callback query id to acknowledge) or None for what is not a reply."""
    query = part(update, "callback_query")
    if query:
        chat = chat_id(part(part(query, "message"), "chat").get("id"))
        if chat is not None and isinstance(query.get("data"), str):
            return chat, query["data"], str(query.get("id", ""))
        return None
    message = part(update, "message")
    chat = chat_id(part(message, "chat").get("id"))
    if chat is not None and isinstance(message.get("text"), str):
        return chat, message["text"], None
    return None


async def handle_update(
    update: dict[str, Any], inbox: ReplyInbox, api: BotApi, linker: ChatLinker | None = None
) -> bool:
    """True when a waiting conversation took the reply; /start, /stop and a shared contact
    go to the `linker` instead."""
    if linker is not None and await linker.handle(update):
        return False
    reply = reply_of(update)
    if reply is None:
        return False
    chat, text, query_id = reply
    taken = inbox.deliver(Channel.TELEGRAM, chat, text)
    if query_id:
        # Stops the button's spinner on the patient's screen; a failure changes nothing else.
        with contextlib.suppress(BotApiError):
            await api.call("answerCallbackQuery", {"callback_query_id": query_id})
    return taken


async def poll_updates(
    api: BotApi,
    inbox: ReplyInbox,
    stop: asyncio.Event,
    poll_timeout: float = 30.0,
    linker: ChatLinker | None = None,
) -> None:
    """getUpdates long polling until `stop`; the offset confirms what was handled."""
    offset = 0
    while not stop.is_set():
        payload = {
            "offset": offset,
            "timeout": int(poll_timeout),
            "allowed_updates": list(ALLOWED_UPDATES),
        }
        try:
            updates = await api.call("getUpdates", payload, timeout=poll_timeout + 10)
        except BotApiError as exc:
            log.warning("telegram getUpdates failed", extra={"error": str(exc)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), ERROR_PAUSE)
            continue
        for update in updates or []:
            offset = max(offset, int(update.get("update_id", 0)) + 1)
            await handle_update(update, inbox, api, linker)
