"""sendMessage with the answers as inline keyboard buttons (callback_data is the key)."""

from __future__ import annotations

from typing import Any

from dozvon.channels.telegram.botapi import BotApi, BotApiError
from dozvon.channels.text.channel import extra_field
from dozvon.channels.text.conversation import DeliveryFailed, Message
from dozvon.core.outcome import Outcome
from dozvon.core.task import Task
from dozvon.dialog.errors import DataError

CHAT_FIELD = "telegram_chat_id"
BUTTONS_PER_ROW = 5


class ChatAddressing:
    def address(self, task: Task, phone: str) -> str:
        chat = extra_field(task, CHAT_FIELD)
        if not chat.removeprefix("-").isdigit():
            raise DataError(f"extra.{CHAT_FIELD}: ожидался числовой id чата, а не «{chat[:20]}»")
        return chat

    def masked(self, address: str) -> str:
        return "*" * max(len(address) - 3, 0) + address[-3:]


def keyboard(keys: tuple[str, ...]) -> dict[str, Any]:
    buttons = [{"text": key, "callback_data": key} for key in keys]
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return {"inline_keyboard": rows}


def outcome_of(error: BotApiError) -> Outcome:
    """403: the patient blocked the bot or never started it; 400 chat not found: the id is
    wrong. Both say this chat does not reach the person; anything else may pass later."""
    if error.code == 403 or (error.code == 400 and "chat not found" in error.description):
        return Outcome.REJECTED
    return Outcome.NETWORK_ERROR


class TelegramOutbound:
    def __init__(self, api: BotApi) -> None:
        self.api = api

    async def send(self, address: str, message: Message) -> str:
        payload: dict[str, Any] = {"chat_id": int(address), "text": message.text}
        if message.keys:
            payload["reply_markup"] = keyboard(message.keys)
        try:
            result = await self.api.call("sendMessage", payload)
        except BotApiError as exc:
            raise DeliveryFailed(outcome_of(exc), f"Telegram: {exc}") from None
        return str(result.get("message_id", "")) if isinstance(result, dict) else ""
