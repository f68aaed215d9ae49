"""Telegram's webhook: `setWebhook` at start, and what an incoming POST must show before its
Update reaches `handle_update`, the poller's path.

Telegram signs nothing: the only proof a POST comes from it is the `secret_token` given to
setWebhook, sent back in X-Telegram-Bot-Api-Secret-Token (core.telegram.org/bots/api#setwebhook).
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

from dozvon.channels.telegram.botapi import BotApi, BotApiError
from dozvon.channels.telegram.linking import ChatLinker
from dozvon.channels.telegram.updates import ALLOWED_UPDATES, handle_update
from dozvon.channels.text.inbox import ReplyInbox
from dozvon.config.channels import TelegramWebhookSettings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/hooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20
"""An Update is a few kilobytes; a megabyte is already hostile."""


class BadUpdate(ValueError):
    """A body that is not one Update; the message says why without quoting it."""


def parse_update(body: bytes) -> dict[str, Any]:
    try:
        update = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadUpdate("body is not JSON") from None
    if not isinstance(update, dict):
        raise BadUpdate("body is not a JSON object")
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        raise BadUpdate("no integer update_id: not a Telegram Update")
    return update


@dataclass
class TelegramHook:
    """What the web app's webhook route needs: the secret to check and where Updates go."""

    api: BotApi
    inbox: ReplyInbox
    secret: str
    linker: ChatLinker | None = None

    def accepts(self, given: str) -> bool:
        # Header values arrive decoded as latin-1, so this encoding never fails; the comparison
        # takes the same time whatever prefix of the secret matches.
        return hmac.compare_digest(given.encode("latin-1"), self.secret.encode("latin-1"))

    async def receive(self, update: dict[str, Any]) -> bool:
        return await handle_update(update, self.inbox, self.api, self.linker)


async def register_webhook(api: BotApi, settings: TelegramWebhookSettings) -> bool:
    """setWebhook with the secret and the update types; False (logged) when Telegram refuses,
    so the daemon still dials while the admin fixes the URL."""
    payload = {
        "url": settings.url,
        "secret_token": settings.secret_token.get_secret_value(),
        "allowed_updates": list(ALLOWED_UPDATES),
    }
    try:
        await api.call("setWebhook", payload)
    except BotApiError as exc:
        log.error("telegram setWebhook failed", extra={"error": str(exc)})
        return False
    log.info("telegram webhook set", extra={"url": settings.url})
    return True
