import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dozvon.media import g711
from dozvon.media.g711 import Codec

ALL_CODES = bytes(range(256))


@pytest.mark.parametrize("codec", list(Codec))
def test_every_codeword_survives_decode_then_encode(codec: Codec) -> None:
    decoded = g711.decode(codec, ALL_CODES)
    again = g711.encode(codec, decoded)
    # µ-law has two zeros (0x7F and 0xFF); the encoder always picks 0xFF.
    expected = ALL_CODES.replace(b"\x7f", b"\xff") if codec is Codec.PCMU else ALL_CODES
    assert again == expected


@pytest.mark.parametrize("codec", list(Codec))
def test_silence_codeword_decodes_to_near_zero(codec: Codec) -> None:
    samples = np.frombuffer(g711.decode(codec, bytes([codec.silence_byte]) * 4), dtype="<i2")
    assert np.abs(samples).max() <= 8


@pytest.mark.parametrize(
    ("codec", "code", "value"), [(Codec.PCMA, 0x55, -8), (Codec.PCMU, 0x00, -32124)]
)
def test_known_g711_values(codec: Codec, code: int, value: int) -> None:
    assert np.frombuffer(g711.decode(codec, bytes([code])), dtype="<i2")[0] == value


@given(st.lists(st.integers(-32768, 32767), min_size=1, max_size=400), st.sampled_from(list(Codec)))
def test_round_trip_error_is_within_g711_quantisation(samples: list[int], codec: Codec) -> None:
    pcm = np.array(samples, dtype="<i2")
    restored = np.frombuffer(g711.decode(codec, g711.encode(codec, pcm.tobytes())), dtype="<i2")
    error = np.abs(restored.astype(int) - pcm.astype(int))
    # Logarithmic companding: the step grows with the level, about 1/16 of it at most.
    assert np.all(error <= np.maximum(16, np.abs(pcm.astype(int)) // 16))


def test_payload_types_map_to_codecs() -> None:
    assert g711.codec_for_payload_type(0) is Codec.PCMU
    assert g711.codec_for_payload_type(8) is Codec.PCMA
    assert g711.codec_for_payload_type(101) is None
