"""Telegram through the Bot API: questions with inline buttons, replies by long polling or a
webhook, the patient known by `extra.telegram_chat_id` or by the chat they linked to their
phone through the bot."""

from dozvon.channels.telegram.botapi import BotApi, BotApiError
from dozvon.channels.telegram.linking import ChatLinker, ChatLinks
from dozvon.channels.telegram.outbound import ChatAddressing, TelegramOutbound
from dozvon.channels.telegram.updates import handle_update, poll_updates

__all__ = [
    "BotApi",
    "BotApiError",
    "ChatAddressing",
    "ChatLinker",
    "ChatLinks",
    "TelegramOutbound",
    "handle_update",
    "poll_updates",
]
