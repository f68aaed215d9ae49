"""`speech:` how text becomes telephone audio."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from dozvon.config.types import STRICT


class SpeechSettings(BaseModel):
    model_config = STRICT

    engine: str = Field(default="espeak-ng", min_length=1)
    """Name of a synthesizer the speech package provides (espeak-ng by default)."""
    voice: str = "ru"
    cache_dir: Path = Path("./var/cache/speech")
    lexicon: Path | None = None
    """A pronunciation override file (names, street names)."""
