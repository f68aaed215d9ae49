"""sendMessage with the answers as inline keyboard buttons (callback_data is the key)."""

from __future__ import annotations

from typing import Any

from dozvon.channels.telegram.botapi import BotApi, BotApiError
from dozvon.channels.telegram.linking import ChatLinks, mask_chat
from dozvon.channels.text.channel import extra_value
from dozvon.channels.text.conversation import DeliveryFailed, Message
from dozvon.core.outcome import Outcome
from dozvon.core.task import Task
from dozvon.dialog.errors import DataError

CHAT_FIELD = "telegram_chat_id"
BUTTONS_PER_ROW = 5


class ChatAddressing:
    """The MIS's `extra.telegram_chat_id`; else the chat the patient linked to the phone being
    tried (by sharing their contact with the bot)."""

    def __init__(self, links: ChatLinks | None = None) -> None:
        self.links = links

    def address(self, task: Task, phone: str) -> str:
        chat = extra_value(task, CHAT_FIELD)
        if chat and not chat.removeprefix("-").isdigit():
            raise DataError(f"extra.{CHAT_FIELD}: ожидался числовой id чата, а не «{chat[:20]}»")
        if not chat and self.links is not None:
            chat = self.links.chat_for(phone) or ""
        if not chat:
            raise DataError(
                f"нет адреса для этого канала: в записи не заполнено поле extra.{CHAT_FIELD}, "
                "и пациент не привязал Telegram к этому номеру (/start боту клиники)"
            )
        return chat

    def masked(self, address: str) -> str:
        return mask_chat(address)


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
