"""Virtual patients: a SIP callee on our own stack where every number behaves like a person.

They answer, listen for the robot's prompt to end, and press keys at human pace (RFC 4733 or
in-band tones), or they are busy, never pick up, have an answering machine with a beep, stay
silent, or are not in service. The demo calls them; a clinic can point a load test at them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from dozvon.core.phone import InvalidPhone, mask_phone, normalize_phone
from dozvon.demo.behaviours import Behaviour
from dozvon.demo.listening import PromptEndDetector
from dozvon.media.dtmf_inband import tone
from dozvon.sip.call import Call
from dozvon.sip.rtp_media import RtpChannel

log = logging.getLogger(__name__)

KEYS: Mapping[Behaviour, str] = {
    Behaviour.CONFIRM: "11",
    Behaviour.DECLINE: "12",
    Behaviour.RESCHEDULE: "13",
    Behaviour.WRONG_PERSON: "2",
}
HELLO = "Алло?"
GREETING = (
    "Здравствуйте! Вы позвонили на автоответчик. Сейчас я не могу ответить на ваш звонок. "
    "Пожалуйста, оставьте сообщение после звукового сигнала."
)
# Longest a patient keeps a call up, so a broken caller never holds a line forever.
MAX_CALL_SECONDS = 90.0
SAMPLE_RATE = 8000


@dataclass(frozen=True, slots=True)
class VirtualPatient:
    behaviour: Behaviour
    dtmf: Literal["rfc4733", "inband"] = "rfc4733"


def load_roles(path: Path) -> dict[str, VirtualPatient]:
    """Read `{"+7999…": {"behaviour": "confirm", "dtmf": "inband"}}`; errors name the entry."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: не читается / unreadable: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: ожидался объект номер → роль / expected an object")
    roles: dict[str, VirtualPatient] = {}
    for number, entry in raw.items():
        try:
            phone = normalize_phone(str(number))
            method: Literal["rfc4733", "inband"] = (
                "inband" if entry.get("dtmf") == "inband" else "rfc4733"
            )
            roles[phone] = VirtualPatient(Behaviour(entry["behaviour"]), method)
        except (InvalidPhone, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: запись {mask_phone(str(number))}: {exc}") from exc
    return roles


class VirtualPatients:
    """The incoming-call handler of a UserAgent: looks the dialled number up and plays the role."""

    def __init__(
        self,
        roles: Mapping[str, VirtualPatient],
        voice_pcm: Mapping[str, bytes],
        default: VirtualPatient | None = None,
        seed: int | None = None,
    ) -> None:
        self.roles = roles
        self.voice_pcm = voice_pcm
        """Pre-synthesized speech for HELLO and GREETING, 8 kHz 16-bit mono."""
        self.default = default
        self.rng = random.Random(seed)
        self.calls = 0

    def role_for(self, dialled: str) -> VirtualPatient | None:
        try:
            return self.roles.get(normalize_phone(dialled), self.default)
        except InvalidPhone:
            return self.default

    async def __call__(self, call: Call) -> None:
        self.calls += 1
        dialled = call.dialog.local.uri.user if call.dialog else ""
        patient = self.role_for(dialled)
        behaviour = patient.behaviour if patient else Behaviour.NOT_IN_SERVICE
        log.info("virtual patient %s: %s", mask_phone(dialled), behaviour.value)
        if patient is None or behaviour is Behaviour.NOT_IN_SERVICE:
            await call.reject(404, "Not Found")
            return
        if behaviour is Behaviour.BUSY:
            await asyncio.sleep(self.rng.uniform(0.1, 0.4))
            await call.reject(486, "Busy Here")
            return
        if behaviour is Behaviour.NO_ANSWER:
            await _wait_ended(call, MAX_CALL_SECONDS)
            return
        await asyncio.sleep(self.rng.uniform(0.4, 1.5))
        await call.answer()
        if behaviour is Behaviour.VOICEMAIL:
            await self._answering_machine(call)
        else:
            await self._person(call, patient)

    async def _person(self, call: Call, patient: VirtualPatient) -> None:
        listener = PromptEndDetector()
        call.add_audio_tap(listener.feed)
        await call.play(self.voice_pcm[HELLO], barge_in=False)
        for key in KEYS.get(patient.behaviour, ""):
            if not await _wait_for(listener.prompt_ended(), call, MAX_CALL_SECONDS):
                return
            await asyncio.sleep(self.rng.uniform(0.3, 1.0))
            if not await self._press(call, key, patient.dtmf):
                return
        await _wait_ended(call, MAX_CALL_SECONDS)

    async def _press(self, call: Call, key: str, method: Literal["rfc4733", "inband"]) -> bool:
        if not call.is_active or not isinstance(call.media, RtpChannel):
            return False
        if method == "inband":
            return await call.play(tone(key, duration_ms=120), barge_in=False)
        return await call.media.session.send_digit(key, "rfc4733", duration_ms=120)

    async def _answering_machine(self, call: Call) -> None:
        await call.play(self.voice_pcm[GREETING], barge_in=False)
        await call.play(_beep(), barge_in=False)
        await _wait_ended(call, MAX_CALL_SECONDS)


def _beep(frequency_hz: float = 1000.0, seconds: float = 0.4) -> bytes:
    """The answering machine's record tone."""
    samples = np.arange(int(SAMPLE_RATE * seconds)) / SAMPLE_RATE
    wave = 0.3 * 32767 * np.sin(2 * np.pi * frequency_hz * samples)
    return wave.astype("<i2").tobytes()


async def _wait_ended(call: Call, limit: float) -> None:
    try:
        await asyncio.wait_for(call.ended.wait(), limit)
    except TimeoutError:
        await call.hangup()


async def _wait_for(event: asyncio.Event, call: Call, limit: float) -> bool:
    """True when `event` fires before the call ends or the limit runs out."""
    fired = asyncio.ensure_future(event.wait())
    ended = asyncio.ensure_future(call.ended.wait())
    await asyncio.wait({fired, ended}, timeout=limit, return_when=asyncio.FIRST_COMPLETED)
    fired.cancel()
    ended.cancel()
    return event.is_set() and call.is_active
