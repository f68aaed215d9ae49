import logging

import pytest

from dozvon.media.amd import AmdConfig, AmdReason, AmdResult, AmdVerdict, AnsweringMachineDetector
from dozvon.speech.tts.audio import silence
from dozvon.speech.tts.espeak import EspeakSynthesizer

from .conftest import frames, with_noise


def detect(pcm: bytes, config: AmdConfig | None = None) -> AmdResult:
    amd = AnsweringMachineDetector(config, call_id="test")
    for frame in frames(pcm):
        result = amd.push(frame)
        if result is not None:
            return result
    return amd.finish()


@pytest.mark.parametrize("snr_db", [None, 20, 10])
def test_short_allo_then_silence_is_a_human(human_call: bytes, snr_db: float | None) -> None:
    result = detect(with_noise(human_call, snr_db))
    assert (result.verdict, result.reason) == (AmdVerdict.HUMAN, AmdReason.AFTER_GREETING_SILENCE)
    assert 250 <= result.initial_silence_ms <= 700
    assert 100 <= result.greeting_ms < 1500
    assert result.words >= 1
    assert result.after_greeting_silence_ms >= 800


@pytest.mark.parametrize("snr_db", [None, 20, 10])
def test_long_greeting_is_a_machine(machine_call: bytes, snr_db: float | None) -> None:
    result = detect(with_noise(machine_call, snr_db))
    assert result.verdict is AmdVerdict.MACHINE
    assert result.reason in (AmdReason.LONG_GREETING, AmdReason.MAX_WORDS)
    assert result.total_ms < 5000  # decided long before the greeting ends


def test_silence_is_a_machine_by_initial_silence() -> None:
    result = detect(with_noise(silence(4000) + b"\x01\x00" * 800, 30))
    assert (result.verdict, result.reason) == (AmdVerdict.MACHINE, AmdReason.INITIAL_SILENCE)
    assert result.initial_silence_ms >= 2500


def test_thresholds_are_configurable(human_call: bytes) -> None:
    """A clinic that finds short greetings are machines can lower the greeting limit."""
    result = detect(human_call, AmdConfig(greeting_ms=200))
    assert (result.verdict, result.reason) == (AmdVerdict.MACHINE, AmdReason.LONG_GREETING)


def test_too_long_without_decision_is_not_sure(machine_call: bytes) -> None:
    config = AmdConfig(
        greeting_ms=60_000, maximum_number_of_words=1000, total_analysis_time_ms=3000
    )
    result = detect(machine_call, config)
    assert (result.verdict, result.reason) == (AmdVerdict.NOT_SURE, AmdReason.TOO_LONG)


def test_hang_up_before_a_decision_is_not_sure(allo: bytes) -> None:
    amd = AnsweringMachineDetector()
    for frame in frames(silence(300) + allo[:3200]):
        assert amd.push(frame) is None
    assert amd.finish().reason is AmdReason.AUDIO_ENDED


def test_decision_is_logged_with_measurements(
    human_call: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="dozvon.media.amd"):
        result = detect(human_call)
    (record,) = caplog.records
    assert "amd test: human (after_greeting_silence)" in record.getMessage()
    assert f"greeting={result.greeting_ms} ms" in record.getMessage()
    assert record.amd["words"] == result.words  # type: ignore[attr-defined]


def test_frames_after_the_decision_are_ignored(human_call: bytes) -> None:
    amd = AnsweringMachineDetector()
    decided = [r for frame in frames(human_call + human_call) if (r := amd.push(frame))]
    assert len(decided) == 1


@pytest.mark.parametrize("answer", ["Да?", "Да, слушаю.", "Алло, да.", "Алло, кто это?"])
def test_the_ways_people_answer_are_human(answer: str) -> None:
    spoken = EspeakSynthesizer().synthesize(answer)
    result = detect(with_noise(silence(500) + spoken + silence(2500), 20))
    assert result.verdict is AmdVerdict.HUMAN, result
