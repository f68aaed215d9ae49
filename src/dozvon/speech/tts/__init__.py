"""Speech synthesis to telephone audio: one interface, several engines, a disk cache."""

from dozvon.speech.tts.audio import SAMPLE_RATE, SAMPLE_WIDTH
from dozvon.speech.tts.base import SynthesisError, Synthesizer
from dozvon.speech.tts.cache import AudioCache
from dozvon.speech.tts.registry import DEFAULT_ENGINE, create_engine

__all__ = [
    "DEFAULT_ENGINE",
    "SAMPLE_RATE",
    "SAMPLE_WIDTH",
    "AudioCache",
    "SynthesisError",
    "Synthesizer",
    "create_engine",
]
