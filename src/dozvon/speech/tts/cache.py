"""A content-addressed disk cache of synthesized audio, so a campaign's messages (and the
fixed parts shared by all of them) are synthesized once.

The key hashes everything that changes the sound: engine, voice, lexicon version and the text
as spoken. Files are written to a temporary name and renamed, so concurrent writers and a crash
mid-write never leave a torn entry."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

from dozvon.speech.tts.audio import SAMPLE_RATE, SAMPLE_WIDTH, wav_bytes


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
        pcm = _telephone_pcm(data)
        if pcm is None:
            path.unlink(missing_ok=True)  # a damaged entry is just a miss; it is rebuilt
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return pcm

    def prune(self, older_than_s: float) -> int:
        """Delete entries written more than ``older_than_s`` seconds ago (yesterday's names and
        dates); a fixed prompt removed this way is simply synthesized again. Returns the count."""
        cutoff = time.time() - older_than_s
        removed = 0
        for entry in self.root.glob("*/*.wav"):
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # another process pruned it first
        return removed

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


def _telephone_pcm(data: bytes) -> bytes | None:
    """The PCM of an entry we wrote, byte for byte; None if it is not one."""
    try:
        with wave.open(io.BytesIO(data)) as entry:
            shape = (entry.getframerate(), entry.getsampwidth(), entry.getnchannels())
            if shape != (SAMPLE_RATE, SAMPLE_WIDTH, 1):
                return None
            return bytes(entry.readframes(entry.getnframes()))
    except (wave.Error, EOFError):
        return None
