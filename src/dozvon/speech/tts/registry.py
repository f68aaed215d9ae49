"""Engines by name: the built-in ones, plus any a package registers under the entry-point group
``dozvon.tts`` (the plug-in point for cloud engines such as Yandex SpeechKit or SaluteSpeech).

A plug-in is a callable ``factory(voice: str | None) -> Synthesizer`` declared in the plug-in
package's pyproject.toml::

    [project.entry-points."dozvon.tts"]
    yandex = "dozvon_yandex:create"

See docs/architecture.md (speech/) for the contract: 8 kHz 16-bit mono PCM out, ``+`` stress
marks in, credentials from the environment."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from dozvon.speech.tts.base import SynthesisError, Synthesizer
from dozvon.speech.tts.espeak import EspeakSynthesizer
from dozvon.speech.tts.rhvoice import RHVoiceSynthesizer

ENTRY_POINT_GROUP = "dozvon.tts"
DEFAULT_ENGINE = "espeak-ng"

Factory = Callable[[str | None], Synthesizer]


def _espeak(voice: str | None) -> Synthesizer:
    return EspeakSynthesizer(voice or "ru")


def _rhvoice(voice: str | None) -> Synthesizer:
    return RHVoiceSynthesizer(voice or "anna")


BUILTIN: dict[str, Factory] = {"espeak-ng": _espeak, "rhvoice": _rhvoice}


def factories() -> dict[str, Factory]:
    found = dict(BUILTIN)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point.load())
    return found


def create_engine(name: str = DEFAULT_ENGINE, voice: str | None = None) -> Synthesizer:
    known = factories()
    if name not in known:
        raise SynthesisError(f"unknown speech engine {name!r}; known: {', '.join(sorted(known))}")
    return known[name](voice)
