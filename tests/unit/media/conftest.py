"""Fixtures for media unit tests: Russian speech synthesised on the spot with espeak-ng."""

import subprocess
from pathlib import Path

import pytest

from dozvon.media.player import load_wav

PHRASES = (
    "Здравствуйте! Это клиника Здоровье. Напоминаем, что вы записаны к врачу терапевту "
    "на завтра, в десять часов тридцать минут. Если вы придёте, нажмите один. "
    "Алло, алло, вы меня слышите? Да, да, конечно, я приду. Ааааа, Ииииии, Ууууу, Эээээ. "
    "Раз, два, три, четыре, пять, шесть, семь, восемь, девять, десять."
)


@pytest.fixture(scope="session")
def russian_speech(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Russian speech, a male and a female voice, as 8 kHz PCM (espeak-ng speaks at 22.05 kHz)."""
    folder: Path = tmp_path_factory.mktemp("speech")
    pcm = b""
    for voice, pitch in (("ru", "50"), ("ru+f3", "70")):
        path = folder / f"{voice}.wav"
        path.write_bytes(
            subprocess.run(
                ["espeak-ng", "-v", voice, "-p", pitch, "--stdout", PHRASES],
                check=True,
                capture_output=True,
            ).stdout
        )
        pcm += load_wav(path)
    return pcm
