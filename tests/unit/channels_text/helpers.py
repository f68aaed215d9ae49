"""A task as the MIS gives it, and a stand-in for our own `Outbound` seam (not for a remote
service: the real SMTP server, the SMS.ru and Bot API fakes are in the integration tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from dozvon.channels.text import Message, ReplyInbox, TextChannel
from dozvon.channels.text.channel import Addressing
from dozvon.core.appointment import Appointment, Branch, Doctor, Patient
from dozvon.core.outcome import Channel
from dozvon.core.task import Task
from dozvon.dialog.context import Clinic

PHONE = "+79161234567"
DOCTOR = "Сергей Петрович Смирнов"
CLINIC = Clinic("Здоровье")


def make_visit(
    *,
    extra: dict[str, str] | None = None,
    marketing_consent: bool = False,
    phone: str = PHONE,
    more_phones: tuple[str, ...] = (),
    start: datetime = datetime(2026, 11, 27, 7, 30, tzinfo=UTC),
    source: str = "test",
) -> Appointment:
    phones = (phone, *more_phones)
    patient = Patient("Мария Петровна Иванова", phones, marketing_consent=marketing_consent)
    return Appointment(
        external_id="V-1",
        source=source,
        patient=patient,
        start=start,
        doctor=Doctor(DOCTOR, "терапевт"),
        branch=Branch("Центр", "ул. Ленина, 1", "+74951234567"),
        extra=extra or {},
    )


def make_task(
    *, extra: dict[str, str] | None = None, marketing_consent: bool = False, phone: str = PHONE
) -> Task:
    visit = make_visit(extra=extra, marketing_consent=marketing_consent, phone=phone)
    return Task(f"{phone}/2026-11-27", (phone,), date(2026, 11, 27), "Europe/Moscow", (visit,))


Reply = Callable[[Message], str | None]
"""What the patient answers to a message (None: nothing)."""


@dataclass
class RecordingOutbound:
    """Keeps every message; the patient's replies go into the inbox as a webhook would."""

    inbox: ReplyInbox | None = None
    channel: Channel = Channel.SMS
    replies: list[str | None] = field(default_factory=list)
    sent: list[tuple[str, Message]] = field(default_factory=list)

    async def send(self, address: str, message: Message) -> str:
        self.sent.append((address, message))
        if self.inbox is not None and message.keys and self.replies:
            answer = self.replies.pop(0)
            if answer is not None:
                loop = asyncio.get_running_loop()
                loop.call_soon(self.inbox.deliver, self.channel, address, answer)
        return f"m{len(self.sent)}"


class PhoneOf:
    def address(self, task: Task, phone: str) -> str:
        return phone

    def masked(self, address: str) -> str:
        return address[-2:]


def sms_channel(
    outbound: RecordingOutbound, inbox: ReplyInbox, addressing: Addressing | None = None
) -> TextChannel:
    return TextChannel(
        Channel.SMS, outbound, addressing or PhoneOf(), CLINIC, inbox=inbox, reply_timeout=0.2
    )
