"""Starts the virtual patients on our SIP stack, ready to be called."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dozvon.channels.voice.trunk import VoiceStack, start_stack
from dozvon.demo.patients import GREETING, HELLO, VirtualPatient, VirtualPatients
from dozvon.sip.ua import UaConfig
from dozvon.speech.tts.cache import AudioCache
from dozvon.speech.tts.espeak import EspeakSynthesizer
from dozvon.speech.voice import Voice

PATIENT_VOICE = "ru+f3"
"""A different espeak-ng voice from the robot's, so a listener can tell them apart."""


async def start_virtual_patients(
    roles: Mapping[str, VirtualPatient],
    host: str = "127.0.0.1",
    port: int = 0,
    rtp_ports: tuple[int, int] = (30000, 31000),
    default: VirtualPatient | None = None,
    cache_dir: Path | None = None,
) -> tuple[VoiceStack, VirtualPatients]:
    """A running user agent whose every incoming call is answered by a virtual patient."""
    cache = AudioCache(cache_dir) if cache_dir else None
    voice = Voice(EspeakSynthesizer(PATIENT_VOICE), cache=cache)
    speech = {text: await voice.say_async(text) for text in (HELLO, GREETING)}
    patients = VirtualPatients(roles, speech, default=default)
    stack = await start_stack(UaConfig(host=host, port=port, user="patients"), rtp_ports, patients)
    return stack, patients
