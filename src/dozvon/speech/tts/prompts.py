"""A clinic's own recordings for the fixed parts of a message.

A directory holds WAV files (any rate, mono or stereo) and ``prompts.yaml``, which says what
each file says::

    greeting.wav: Здравствуйте! Вас беспокоит клиника «Здоровье».
    confirm.wav: Для подтверждения нажмите 1, для отмены нажмите 2.

When a message contains one of these texts verbatim, that stretch is played from the recording
and only the rest is synthesized (see ``speech.voice.Voice``)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from dozvon.speech.tts.audio import load_telephone_wav, normalize_level

INDEX = "prompts.yaml"


class PromptError(ValueError):
    """The prompts directory is unusable; the message names the file and entry."""


@dataclass(frozen=True, slots=True)
class Recording:
    text: str
    path: Path


class PromptLibrary:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.recordings = _read_index(directory)
        self._audio: dict[Path, bytes] = {}

    @cached_property
    def version(self) -> str:
        """Changes when a recording or its text changes, so cached messages are rebuilt."""
        digest = hashlib.sha256()
        for recording in self.recordings:
            digest.update(recording.text.encode() + b"\0" + recording.path.read_bytes())
        return digest.hexdigest()[:16]

    def split(self, text: str) -> list[Recording | str]:
        """The message cut into recordings and the stretches of text between them."""
        if not self.recordings:
            return [text]
        alternatives = sorted(self.recordings, key=lambda r: -len(r.text))
        pattern = re.compile("|".join(_loose(r.text) for r in alternatives))
        by_text = {_normal(r.text): r for r in self.recordings}
        pieces: list[Recording | str] = []
        position = 0
        for match in pattern.finditer(text):
            if match.start() > position:
                pieces.append(text[position : match.start()])
            pieces.append(by_text[_normal(match.group())])
            position = match.end()
        if position < len(text):
            pieces.append(text[position:])
        return pieces

    def audio(self, recording: Recording) -> bytes:
        if recording.path not in self._audio:
            self._audio[recording.path] = normalize_level(load_telephone_wav(recording.path))
        return self._audio[recording.path]


def _loose(text: str) -> str:
    return r"\s+".join(re.escape(word) for word in text.split())


def _normal(text: str) -> str:
    return " ".join(text.split())


def _read_index(directory: Path) -> list[Recording]:
    index = directory / INDEX
    try:
        entries = yaml.safe_load(index.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise PromptError(f"{index}: not UTF-8 text") from None
    except OSError as exc:
        raise PromptError(f"{index}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PromptError(f"{index}: not valid YAML: {exc}") from None
    if not isinstance(entries, dict):
        raise PromptError(f"{index}: expected 'file.wav: text it says' lines")
    recordings = []
    for name, text in entries.items():
        path = directory / str(name)
        if not isinstance(text, str) or not text.strip():
            raise PromptError(f"{index}: {name}: the text the recording says is missing")
        if path.resolve().parent != directory.resolve() or not path.is_file():
            raise PromptError(f"{index}: {name}: no such WAV file in {directory}")
        recordings.append(Recording(_normal(text), path))
    return recordings
