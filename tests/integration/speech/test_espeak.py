import asyncio
import logging
import wave
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest

from dozvon.speech.tts.audio import (
    SAMPLE_RATE,
    SPEECH_LEVEL_DBFS,
    active_level_dbfs,
    from_pcm,
    wav_bytes,
)
from dozvon.speech.tts.base import SynthesisError, Synthesizer
from dozvon.speech.tts.espeak import EspeakSynthesizer, move_stress
from dozvon.speech.tts.registry import create_engine


def test_espeak_gives_8_khz_16_bit_mono_speech(espeak: EspeakSynthesizer) -> None:
    pcm = espeak.synthesize("Здравствуйте! Вы записаны на двадцать седьмое ноября.")
    with wave.open(BytesIO(wav_bytes(pcm))) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (8000, 2, 1)
    samples = from_pcm(pcm)
    seconds = len(samples) / SAMPLE_RATE
    assert 2.0 < seconds < 6.0
    assert np.sqrt(np.mean(samples**2)) > 0.02  # speech, not silence
    assert isinstance(espeak, Synthesizer)


async def test_async_path_does_not_block_the_loop(espeak: EspeakSynthesizer) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    pcms = await asyncio.gather(*(espeak.synthesize_async(f"проверка {n}") for n in range(4)))
    task.cancel()
    assert all(len(p) > 1000 for p in pcms)
    assert ticks > 4  # the loop kept running while espeak-ng worked


def test_stress_mark_changes_the_sound(espeak: EspeakSynthesizer) -> None:
    plain = espeak.synthesize("Иванова")
    stressed = espeak.synthesize("Ивано+ва")
    assert plain != stressed
    assert len(stressed) > 1000


@pytest.mark.parametrize(
    ("phonemes", "marked", "moved"),
    [
        ("Iv'AnVva#", "Ивано+ва", "IvVn'ova#"),
        ("Iv'AnVva#", "Ива+нова", "Iv'anVva#"),
        ("'jurI^jjivna#", "Юрье+вна", "jurI^jj'evna#"),
        ("Iv'AnVva#", "Иванова+", "IvVnVv'a"),
    ],
)
def test_move_stress(phonemes: str, marked: str, moved: str) -> None:
    assert move_stress(phonemes, marked) == moved


@pytest.mark.parametrize(
    ("phonemes", "marked"), [("Iv'An", "Ивано+ва"), ("", "А+"), ("a b", "а+б")]
)
def test_move_stress_refuses_what_does_not_align(phonemes: str, marked: str) -> None:
    assert move_stress(phonemes, marked) is None


def test_unalignable_stress_is_said_unmarked(
    espeak: EspeakSynthesizer, caplog: pytest.LogCaptureFixture
) -> None:
    """Latin letters have no Russian vowels to align with: the word is spoken, not dropped, and
    the warning names it by its initial only (it may be a patient's surname)."""
    with caplog.at_level(logging.INFO, logger="dozvon.speech.tts.espeak"):
        assert len(espeak.synthesize("Smi+th")) > 1000
    (warning,) = caplog.records
    assert "S." in warning.getMessage() and "Smith" not in warning.getMessage()


def test_missing_executable_is_named() -> None:
    with pytest.raises(SynthesisError, match="no-such-espeak not found"):
        EspeakSynthesizer(executable="no-such-espeak")


def test_registry_builds_and_refuses() -> None:
    assert create_engine("espeak-ng", "ru+f3").voice == "ru+f3"
    with pytest.raises(SynthesisError, match="unknown speech engine 'yandex'; known: espeak-ng"):
        create_engine("yandex")


def test_cloud_engine_plugs_in_through_an_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real (tiny) installed distribution declaring a `dozvon.tts` entry point."""
    (tmp_path / "dozvon_fake_cloud.py").write_text(
        "from dozvon.speech.tts.espeak import EspeakSynthesizer\n"
        "class Cloud(EspeakSynthesizer):\n"
        "    engine = 'cloud'\n"
        "def create(voice):\n"
        "    return Cloud(voice or 'ru')\n",
        encoding="utf-8",
    )
    info = tmp_path / "dozvon_fake_cloud-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Name: dozvon-fake-cloud\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[dozvon.tts]\ncloud = dozvon_fake_cloud:create\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    engine = create_engine("cloud", "ru+f2")
    assert (engine.engine, engine.voice) == ("cloud", "ru+f2")
    assert len(engine.synthesize("облако")) > 1000


def test_recordings_are_matched_to_the_level_espeak_speaks_at(espeak: EspeakSynthesizer) -> None:
    level = active_level_dbfs(from_pcm(espeak.synthesize("Для подтверждения нажмите один.")))
    assert level == pytest.approx(SPEECH_LEVEL_DBFS, abs=2.0)
