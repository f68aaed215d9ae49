"""RHVoice, the best free Russian voice, used when it is installed on the system.

It cannot be installed from the registries this project uses (Debian 12 has no package, and
PyPI's ``rhvoice-wrapper-bin`` only builds from GitHub), so it is optional: either the
``RHVoice-test`` command (a built RHVoice) or the ``rhvoice_wrapper`` Python package with its
library. RHVoice takes stress as ``+`` *before* the stressed vowel; our lexicon writes it after."""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from dozvon.speech.lexicon import STRESS_MARK
from dozvon.speech.tts.audio import read_wav, to_telephone
from dozvon.speech.tts.base import SynthesisError, ThreadedSynthesizer

CLI = "RHVoice-test"
_TIMEOUT_S = 60
_AFTER_VOWEL = re.compile(rf"([аеёиоуыэюяАЕЁИОУЫЭЮЯ])\{STRESS_MARK}")


def available() -> bool:
    return shutil.which(CLI) is not None or importlib.util.find_spec("rhvoice_wrapper") is not None


def rhvoice_stress(text: str) -> str:
    """«Ивано+ва» → «Иван+ова»."""
    return _AFTER_VOWEL.sub(lambda m: STRESS_MARK + m.group(1), text)


class RHVoiceSynthesizer(ThreadedSynthesizer):
    engine = "rhvoice"

    def __init__(self, voice: str = "anna") -> None:
        self.voice = voice
        self._cli = shutil.which(CLI)
        self._library: Any = None
        if self._cli is None:
            if importlib.util.find_spec("rhvoice_wrapper") is None:
                raise SynthesisError(f"RHVoice is not installed: neither {CLI} nor rhvoice_wrapper")
            self._library = importlib.import_module("rhvoice_wrapper").TTS(threads=1, quiet=True)

    def synthesize(self, text: str) -> bytes:
        prepared = rhvoice_stress(text)
        wav = self._via_cli(prepared) if self._cli else self._via_library(prepared)
        samples, rate = read_wav(wav, f"{self.engine} output")
        return to_telephone(samples, rate)

    def close(self) -> None:
        """rhvoice_wrapper keeps a non-daemon thread that hangs the exit if not joined."""
        if self._library is not None:
            self._library.join()
            self._library = None

    def _via_cli(self, text: str) -> bytes:
        assert self._cli is not None
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out.wav"
            done = subprocess.run(
                [self._cli, "-p", self.voice, "-o", str(out)],
                input=text.encode(),
                capture_output=True,
                timeout=_TIMEOUT_S,
                check=False,
            )
            if done.returncode != 0 or not out.exists():
                raise SynthesisError(
                    f"{CLI} failed: {done.stderr.decode(errors='replace').strip()}"
                )
            return out.read_bytes()

    def _via_library(self, text: str) -> bytes:
        return bytes(self._library.get(text, voice=self.voice, format_="wav"))
