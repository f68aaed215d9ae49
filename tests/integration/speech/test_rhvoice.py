import wave
from io import BytesIO

import pytest

from dozvon.speech.tts import rhvoice
from dozvon.speech.tts.audio import wav_bytes


def test_stress_moves_before_the_vowel_for_rhvoice() -> None:
    assert rhvoice.rhvoice_stress("Ивано+ва Анна") == "Иван+ова Анна"


@pytest.mark.skipif(
    not rhvoice.available(),
    reason="RHVoice is not installed here (no Debian package; PyPI's Linux build needs GitHub): "
    "this test runs only where RHVoice-test or rhvoice_wrapper is present",
)
def test_rhvoice_gives_telephone_audio() -> None:
    engine = rhvoice.RHVoiceSynthesizer()
    try:
        pcm = engine.synthesize("Здравствуйте! Вы записаны к врачу.")
    finally:
        engine.close()
    with wave.open(BytesIO(wav_bytes(pcm))) as wav:
        assert wav.getframerate() == 8000
        assert wav.getnframes() > 8000
