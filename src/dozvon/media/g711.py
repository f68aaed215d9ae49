"""G.711 A-law and µ-law for 8 kHz, 16-bit little-endian mono PCM."""

from enum import IntEnum

from dozvon.media._audioop import audioop

SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2


class Codec(IntEnum):
    """A G.711 codec, valued by its static RTP payload type (RFC 3551)."""

    PCMU = 0
    PCMA = 8

    @property
    def payload_type(self) -> int:
        return int(self)

    @property
    def silence_byte(self) -> int:
        """The codeword for a zero sample: 0xD5 in A-law, 0xFF in µ-law."""
        return 0xD5 if self is Codec.PCMA else 0xFF


def encode(codec: Codec, pcm: bytes) -> bytes:
    """Encode 16-bit PCM into one byte per sample."""
    if codec is Codec.PCMA:
        return audioop.lin2alaw(pcm, SAMPLE_WIDTH)
    return audioop.lin2ulaw(pcm, SAMPLE_WIDTH)


def decode(codec: Codec, payload: bytes) -> bytes:
    """Decode G.711 bytes into 16-bit PCM (two bytes per input byte)."""
    if codec is Codec.PCMA:
        return audioop.alaw2lin(payload, SAMPLE_WIDTH)
    return audioop.ulaw2lin(payload, SAMPLE_WIDTH)


_BY_PAYLOAD_TYPE = {codec.payload_type: codec for codec in Codec}


def codec_for_payload_type(payload_type: int) -> Codec | None:
    """The G.711 codec of a static payload type, or None for any other type."""
    return _BY_PAYLOAD_TYPE.get(payload_type)
