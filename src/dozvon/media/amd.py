"""Answering-machine detection in the manner of Asterisk's app_amd.

It measures what Asterisk measures: the silence before anyone speaks, the length of the
greeting, the number of words in it and the silence after it. A person says «Алло?» and waits;
a machine either stays silent, or talks for long, or says many words. Speech and silence come
from the Silero VAD scores rather than Asterisk's energy threshold, so line noise is not a word.

Every decision is returned and logged with its measurements, so a clinic can tune the
thresholds against its own patients' phones. Sans-I/O: push 20 ms frames of 8 kHz PCM."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from enum import StrEnum

from dozvon.media.vad import WINDOW_MS, SpeechScorer

log = logging.getLogger(__name__)


class AmdVerdict(StrEnum):
    HUMAN = "human"
    MACHINE = "machine"
    NOT_SURE = "not_sure"


class AmdReason(StrEnum):
    INITIAL_SILENCE = "initial_silence"
    LONG_GREETING = "long_greeting"
    MAX_WORDS = "max_words"
    AFTER_GREETING_SILENCE = "after_greeting_silence"
    TOO_LONG = "too_long"
    AUDIO_ENDED = "audio_ended"


@dataclass(frozen=True)
class AmdConfig:
    """Asterisk amd.conf's settings under the same names; defaults are Asterisk's, except the
    word count, raised for Russian greetings such as «Алло, да, слушаю»."""

    initial_silence_ms: int = 2500
    greeting_ms: int = 1500
    after_greeting_silence_ms: int = 800
    total_analysis_time_ms: int = 5000
    min_word_length_ms: int = 100
    between_words_silence_ms: int = 50
    maximum_number_of_words: int = 4
    speech_threshold: float = 0.5
    """Silero probability at which a 32 ms window is voice."""


@dataclass(frozen=True)
class AmdResult:
    verdict: AmdVerdict
    reason: AmdReason
    initial_silence_ms: int
    greeting_ms: int
    words: int
    after_greeting_silence_ms: int
    total_ms: int


class AnsweringMachineDetector:
    def __init__(self, config: AmdConfig | None = None, call_id: str = "") -> None:
        self.config = config or AmdConfig()
        self.call_id = call_id
        self.result: AmdResult | None = None
        self._scorer = SpeechScorer()
        self._initial_silence_ms = 0
        self._in_greeting = False
        self._greeting_start_ms = 0
        self._greeting_end_ms = 0
        self._words = 0
        self._voice_run_ms = 0
        self._silence_run_ms = 0
        self._in_word = False
        self._position_ms = 0

    def push(self, frame: bytes) -> AmdResult | None:
        """Returns the result once, when decided; afterwards the frames are ignored."""
        if self.result is not None:
            return None
        for end_ms, probability in self._scorer.push(frame):
            self._position_ms = end_ms
            decided = self._step(probability >= self.config.speech_threshold)
            if decided is not None:
                return self._decide(*decided)
        return None

    def finish(self) -> AmdResult:
        """The audio stopped (hang-up) before a decision."""
        if self.result is None:
            self._decide(AmdVerdict.NOT_SURE, AmdReason.AUDIO_ENDED)
        assert self.result is not None
        return self.result

    def _step(self, voiced: bool) -> tuple[AmdVerdict, AmdReason] | None:
        config = self.config
        if voiced:
            self._silence_run_ms = 0
            self._voice_run_ms += WINDOW_MS
            if self._voice_run_ms >= config.min_word_length_ms and not self._in_word:
                self._in_word = True
                self._words += 1
                if not self._in_greeting:
                    self._in_greeting = True
                    self._greeting_start_ms = self._position_ms - self._voice_run_ms
            if self._in_word:
                self._greeting_end_ms = self._position_ms
            if self._words >= config.maximum_number_of_words:
                return AmdVerdict.MACHINE, AmdReason.MAX_WORDS
            if self._in_greeting and self._greeting_length() >= config.greeting_ms:
                return AmdVerdict.MACHINE, AmdReason.LONG_GREETING
        else:
            self._silence_run_ms += WINDOW_MS
            if self._silence_run_ms >= config.between_words_silence_ms:
                self._in_word = False
                self._voice_run_ms = 0
            if not self._in_greeting:
                self._initial_silence_ms = self._position_ms
                if self._initial_silence_ms >= config.initial_silence_ms:
                    return AmdVerdict.MACHINE, AmdReason.INITIAL_SILENCE
            elif self._silence_run_ms >= config.after_greeting_silence_ms:
                return AmdVerdict.HUMAN, AmdReason.AFTER_GREETING_SILENCE
        if self._position_ms >= config.total_analysis_time_ms:
            return AmdVerdict.NOT_SURE, AmdReason.TOO_LONG
        return None

    def _greeting_length(self) -> int:
        return self._greeting_end_ms - self._greeting_start_ms

    def _decide(self, verdict: AmdVerdict, reason: AmdReason) -> AmdResult:
        self.result = AmdResult(
            verdict=verdict,
            reason=reason,
            initial_silence_ms=self._greeting_start_ms if self._in_greeting else self._position_ms,
            greeting_ms=self._greeting_length() if self._in_greeting else 0,
            words=self._words,
            after_greeting_silence_ms=self._silence_run_ms if self._in_greeting else 0,
            total_ms=self._position_ms,
        )
        self._scorer.close()
        log.info(
            "amd %s: %s (%s) initial_silence=%d ms greeting=%d ms words=%d "
            "after_greeting_silence=%d ms total=%d ms",
            self.call_id or "-", verdict, reason, self.result.initial_silence_ms,
            self.result.greeting_ms, self.result.words, self.result.after_greeting_silence_ms,
            self.result.total_ms,
            extra={"amd": asdict(self.result)},
        )  # fmt: skip
        return self.result
