"""espeak-ng, the default engine: a Debian package, run as a subprocess (which also keeps its
GPL-3 code out of our process), at a real-time factor of about 0.003 on this machine.

espeak-ng 1.51 ignores stress marks in Russian text (neither «+» nor U+0301 works), and it
stresses some surnames wrongly («И́ванова»). A word the lexicon marked («Ивано+ва») is therefore
sent as espeak phonemes (``[[IvVn'ova#]]``): espeak transcribes the bare word itself, and we move
its stress mark onto the vowel the lexicon chose. If the transcription cannot be aligned with the
word's vowels, the word is spoken unmarked rather than garbled."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from functools import lru_cache

from dozvon.core.phone import mask_name
from dozvon.speech.lexicon import STRESS_MARK
from dozvon.speech.tts.audio import read_wav, to_telephone
from dozvon.speech.tts.base import SynthesisError, ThreadedSynthesizer

log = logging.getLogger(__name__)

EXECUTABLE = "espeak-ng"
_LETTER_VOWELS = "аеёиоуыэюя"
_PHONEME_VOWELS = set("aAoVeEiIuUy8Y@")
_STRESSED = {"а": "a", "я": "a", "о": "o", "ё": "o", "е": "e", "э": "e", "и": "i", "ы": "y",
             "у": "u", "ю": "u"}  # fmt: skip
_UNSTRESSED = {"a": "V", "A": "V", "o": "V", "e": "I", "E": "I"}
_MARKED_WORD = re.compile(rf"[\w-]*\{STRESS_MARK}[\w-]*")
_TIMEOUT_S = 30


class EspeakSynthesizer(ThreadedSynthesizer):
    engine = "espeak-ng"

    def __init__(
        self, voice: str = "ru", *, speed: int = 150, executable: str = EXECUTABLE
    ) -> None:
        path = shutil.which(executable)
        if path is None:
            raise SynthesisError(f"{executable} not found; install the Debian package espeak-ng")
        self.voice = voice
        self.speed = speed
        self._executable = path

    def synthesize(self, text: str) -> bytes:
        prepared = _MARKED_WORD.sub(lambda m: self._phonemes(m.group()), text)
        wav = self._run(["-v", self.voice, "-s", str(self.speed), "--stdout", "--stdin"], prepared)
        samples, rate = read_wav(wav, f"{self.engine} output")
        return to_telephone(samples, rate)

    def _phonemes(self, marked: str) -> str:
        bare = marked.replace(STRESS_MARK, "")
        transcribed = _transcribe(self._executable, self.voice, bare)
        moved = move_stress(transcribed, marked)
        if moved is None:
            # the word may be a patient's surname: initials only, the full word at DEBUG
            log.warning("espeak-ng: cannot place a stress in %s; said unmarked", mask_name(bare))
            log.debug("espeak-ng: %r transcribed as %r", marked, transcribed)
            return bare
        return f"[[{moved}]]"

    def _run(self, args: list[str], text: str) -> bytes:
        try:
            done = subprocess.run(
                [self._executable, *args],
                input=text.encode(),
                capture_output=True,
                timeout=_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SynthesisError(f"{self.engine}: no audio after {_TIMEOUT_S} s") from None
        if done.returncode != 0 or not done.stdout:
            message = done.stderr.decode(errors="replace").strip() or f"exit code {done.returncode}"
            raise SynthesisError(f"{self.engine} failed: {message}")
        return done.stdout


@lru_cache(maxsize=4096)
def _transcribe(executable: str, voice: str, word: str) -> str:
    done = subprocess.run(
        [executable, "-v", voice, "-q", "-x", "--stdin"],
        input=word.encode(),
        capture_output=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    return done.stdout.decode(errors="replace").strip()


def move_stress(phonemes: str, marked: str) -> str | None:
    """Put espeak's primary stress on the vowel ``marked`` stresses («Ивано+ва») and give that
    vowel its full quality; the vowel that lost the stress is reduced as Russian reduces it.
    None if espeak's vowels do not line up one-to-one with the word's vowel letters."""
    if not phonemes or " " in phonemes:
        return None
    before = marked[: marked.index(STRESS_MARK)].lower()
    letter_count = sum(c in _LETTER_VOWELS for c in marked.lower())
    target_vowel = sum(c in _LETTER_VOWELS for c in before) - 1
    chars = [c for c in phonemes if c not in "',"]
    vowels = [i for i in range(len(chars)) if _is_vowel(chars, i)]
    if len(vowels) != letter_count or target_vowel < 0:
        return None
    target = vowels[target_vowel]
    old = _espeak_stressed(phonemes)
    if old is not None and old != target and chars[old] in _UNSTRESSED:
        chars[old] = _UNSTRESSED[chars[old]]
    chars[target] = _STRESSED[before[-1]]
    if chars[target + 1 : target + 2] == ["#"]:
        del chars[target + 1]
    return "".join(chars[:target]) + "'" + "".join(chars[target:])


def _is_vowel(chars: list[str], i: int) -> bool:
    """A syllable nucleus: not a non-syllabic glide (``I^``) nor an epenthetic schwa (``@-``)."""
    nxt = chars[i + 1 : i + 2]
    return chars[i] in _PHONEME_VOWELS and nxt != ["^"] and not (chars[i] == "@" and nxt == ["-"])


def _espeak_stressed(phonemes: str) -> int | None:
    """Index, among the mark-free phoneme characters, of the vowel espeak stressed."""
    mark = phonemes.find("'")
    if mark < 0:
        return None
    chars = [c for c in phonemes if c not in "',"]
    start = len([c for c in phonemes[:mark] if c not in "',"])
    return next((i for i in range(start, len(chars)) if _is_vowel(chars, i)), None)
