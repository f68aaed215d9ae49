"""How the clinic's bot learns a patient's chat: /start offers a `request_contact` button, the
patient shares their own contact, the phone is linked to the chat; /stop removes the link.

Only the sender's own contact counts (`contact.user_id == from.id`, in their private chat with
the bot): Telegram fills user_id for a shared account, and the request_contact button sends the
user's own. A forwarded or typed-in card proves nothing about who holds the number.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from dozvon.channels.telegram.botapi import BotApi, BotApiError
from dozvon.channels.telegram.fields import chat_id, part
from dozvon.core.phone import InvalidPhone, mask_phone, normalize_phone

log = logging.getLogger(__name__)

SHARE_BUTTON = "Поделиться номером"
ASK = (
    "Здравствуйте! Это бот клиники «{clinic}». Чтобы получать здесь напоминания о записях, "
    "нажмите кнопку «" + SHARE_BUTTON + "» внизу: так мы узнаем ваш номер телефона.\n\n"
    "Отказаться от напоминаний в Telegram: /stop."
)
LINKED = (
    "Готово: номер {phone} привязан к этому чату. Напоминания клиники «{clinic}» будут "
    "приходить сюда. Отказаться: /stop."
)
NOT_YOURS = (
    "Привязать можно только свой номер: нажмите кнопку «" + SHARE_BUTTON + "» внизу, "
    "а не пересылайте чужой контакт."
)
BAD_PHONE = "Не удалось распознать номер. Попробуйте ещё раз или позвоните в регистратуру."
UNLINKED = "Готово: чат отвязан, напоминания сюда больше не придут. Вернуть: /start."
NOT_LINKED = "Этот чат не привязан к номеру. Чтобы получать напоминания: /start."


class ChatLinks(Protocol):
    """phone (E.164) → chat id, kept somewhere that outlives the process (the store)."""

    def link(self, phone: str, chat_id: str) -> None: ...

    def unlink(self, chat_id: str) -> int: ...

    def chat_for(self, phone: str) -> str | None: ...


def mask_chat(chat: str) -> str:
    return "*" * max(len(chat) - 3, 0) + chat[-3:]


def command_of(text: str) -> str:
    """«/start», «/start@ClinicBot» and «/start payload» are all /start."""
    words = text.split(maxsplit=1)
    return words[0].split("@", 1)[0].lower() if words else ""


def share_keyboard() -> dict[str, Any]:
    return {
        "keyboard": [[{"text": SHARE_BUTTON, "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }


NO_KEYBOARD: dict[str, Any] = {"remove_keyboard": True}


@dataclass
class ChatLinker:
    api: BotApi
    links: ChatLinks
    clinic: str

    async def handle(self, update: dict[str, Any]) -> bool:
        """True when the update was a linking step (taken here, not a reply to a question)."""
        message = part(update, "message")
        chat = part(message, "chat")
        chat_ref = chat_id(chat.get("id"))
        if chat_ref is None or chat.get("type") != "private":
            return False
        contact = part(message, "contact")
        if contact:
            await self._contact(chat_ref, chat_id(part(message, "from").get("id")), contact)
            return True
        text = message.get("text")
        command = command_of(text) if isinstance(text, str) else ""
        if command == "/start":
            await self._say(chat_ref, ASK.format(clinic=self.clinic), share_keyboard())
            return True
        if command == "/stop":
            removed = await asyncio.to_thread(self.links.unlink, chat_ref)
            log.info(
                "telegram chat unlinked", extra={"chat": mask_chat(chat_ref), "phones": removed}
            )
            await self._say(chat_ref, UNLINKED if removed else NOT_LINKED, NO_KEYBOARD)
            return True
        return False

    async def _contact(self, chat: str, sender: str | None, contact: dict[str, Any]) -> None:
        owner = chat_id(contact.get("user_id"))
        if sender is None or owner != sender or chat != sender:
            log.warning(
                "telegram contact refused: not the sender's own", extra={"chat": mask_chat(chat)}
            )
            await self._say(chat, NOT_YOURS, share_keyboard())
            return
        raw = contact.get("phone_number")
        try:
            if not isinstance(raw, str):
                raise InvalidPhone("no phone_number")
            # Telegram writes the number in international form, usually without the plus.
            phone = normalize_phone("+" + raw.strip().lstrip("+"))
        except InvalidPhone as exc:
            log.warning(
                "telegram contact refused", extra={"chat": mask_chat(chat), "error": str(exc)}
            )
            await self._say(chat, BAD_PHONE, share_keyboard())
            return
        await asyncio.to_thread(self.links.link, phone, chat)
        log.info(
            "telegram chat linked", extra={"chat": mask_chat(chat), "phone": mask_phone(phone)}
        )
        await self._say(
            chat, LINKED.format(phone=mask_phone(phone), clinic=self.clinic), NO_KEYBOARD
        )

    async def _say(self, chat: str, text: str, markup: dict[str, Any]) -> None:
        """A lost answer is logged: the link (or unlink) itself is already done."""
        payload = {"chat_id": int(chat), "text": text, "reply_markup": markup}
        try:
            await self.api.call("sendMessage", payload)
        except BotApiError as exc:
            log.warning("telegram linking reply failed", extra={"error": str(exc)})
