"""From settings to a running voice channel: the SIP stack on the trunk, the voice, the clinic."""

from __future__ import annotations

import asyncio

from dozvon.channels.voice.channel import VoiceChannel
from dozvon.channels.voice.trunk import VoiceStack, start_stack, ua_config
from dozvon.config import Settings
from dozvon.config.speech import SpeechSettings
from dozvon.dialog.context import Clinic
from dozvon.media import vad
from dozvon.speech.lexicon import Lexicon
from dozvon.speech.say.grammar import morph
from dozvon.speech.tts.cache import AudioCache
from dozvon.speech.tts.registry import create_engine
from dozvon.speech.voice import Voice


def voice_from_settings(speech: SpeechSettings) -> Voice:
    """The engine behind the clinic's lexicon and the disk cache, so each phrase is made once."""
    return Voice(
        create_engine(speech.engine, speech.voice),
        Lexicon.load(speech.lexicon),
        AudioCache(speech.cache_dir),
    )


async def open_voice_channel(settings: Settings) -> tuple[VoiceStack, VoiceChannel]:
    """The caller stops the returned stack when done."""
    trunk = settings.trunk
    if trunk is None:
        raise ValueError("в настройках нет раздела trunk / the config has no trunk section")
    voice = voice_from_settings(settings.speech)
    # Load the models before the first call rather than during it: a loaded event loop delays
    # every call's audio, and answering-machine detection then misjudges the greeting.
    await asyncio.to_thread(vad.warm_up, trunk.lines)
    await asyncio.to_thread(morph)
    stack = await start_stack(ua_config(trunk), (trunk.rtp_ports.start, trunk.rtp_ports.end))
    channel = VoiceChannel(
        stack.ua,
        voice,
        Clinic(settings.clinic.name),
        caller_id=trunk.caller_id or None,
        ring_timeout=trunk.ring_timeout.total_seconds(),
    )
    return stack, channel
