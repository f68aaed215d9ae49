"""A content-addressed disk cache of synthesized audio, so a campaign's messages (and the
fixed parts shared by all of them) are synthesized once.

The key hashes everything that changes the sound: engine, voice, lexicon version and the text
as spoken. Files are written to a temporary name and renamed, so concurrent writers and a crash
mid-write never leave a torn entry."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dozvon.speech.tts.audio import AudioFormatError, read_wav, to_pcm, wav_bytes


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


def cache_key(engine: str, voice: str, lexicon_version: str, text: str) -> str:
    material = "\0".join((engine, voice, lexicon_version, text))
    return hashlib.sha256(material.encode()).hexdigest()


class AudioCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.stats = CacheStats()

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def get(self, key: str) -> bytes | None:
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.stats.misses += 1
            return None
        try:
            samples, _ = read_wav(data, str(path))
        except AudioFormatError:
            path.unlink(missing_ok=True)  # a damaged entry is just a miss; it is rebuilt
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return to_pcm(samples)

    def put(self, key: str, pcm: bytes) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".wav")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(wav_bytes(pcm))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
