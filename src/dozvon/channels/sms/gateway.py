"""What every SMS gateway does for a dialog: one text to one number, and an answer in digits.

Scenarios are written for the phone («нажмите 1»); in an SMS the same words would puzzle, so
«нажмите» becomes «ответьте» and the digits that answer are named once more at the end.
"""

from __future__ import annotations

import re
from typing import Protocol

from dozvon.channels.text.conversation import Message
from dozvon.core.phone import mask_phone
from dozvon.core.task import Task

_PRESS = re.compile(r"\b([Нн])ажмите\b")


class SmsGateway(Protocol):
    async def send(self, phone: str, text: str) -> str:
        """The gateway's message id; raises `DeliveryFailed` with the outcome of a refusal."""
        ...

    async def aclose(self) -> None: ...


def sms_text(message: Message) -> str:
    text = _PRESS.sub(lambda m: "Ответьте" if m.group(1) == "Н" else "ответьте", message.text)
    if message.keys:
        text += f"\n\nОтветьте цифрой: {', '.join(message.keys)}."
    elif message.number_reply:
        text += "\n\nОтветьте числом."
    return text


class SmsOutbound:
    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

    async def send(self, address: str, message: Message) -> str:
        return await self.gateway.send(address, sms_text(message))


class PhoneAddressing:
    """An SMS goes to the number the campaign is trying, as a call would."""

    def address(self, task: Task, phone: str) -> str:
        return phone

    def masked(self, address: str) -> str:
        return mask_phone(address)
