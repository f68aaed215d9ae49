"""Telegram through the Bot API: questions with inline buttons, replies by long polling or a
webhook, the patient known by `extra.telegram_chat_id`."""

from dozvon.channels.telegram.botapi import BotApi, BotApiError
from dozvon.channels.telegram.outbound import ChatAddressing, TelegramOutbound
from dozvon.channels.telegram.updates import handle_update, poll_updates

__all__ = [
    "BotApi",
    "BotApiError",
    "ChatAddressing",
    "TelegramOutbound",
    "handle_update",
    "poll_updates",
]
