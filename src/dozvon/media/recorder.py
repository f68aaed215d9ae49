"""Call recording to a two-channel WAV: left = what the far end said, right = what we played.

Two channels rather than a mix so that speech analytics and a listener can tell the voices apart;
a mono mix is one `sox -c 1` away. Frames are buffered and written about once a second so that
recording a thousand calls does not mean a thousand small writes every 20 ms.
"""

import wave
from pathlib import Path

from dozvon.media._audioop import audioop
from dozvon.media.g711 import SAMPLE_RATE, SAMPLE_WIDTH

_FLUSH_BYTES = SAMPLE_RATE * SAMPLE_WIDTH * 2  # one second of stereo


class StereoWavRecorder:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 - closed in close()
        self._wav.setnchannels(2)
        self._wav.setsampwidth(SAMPLE_WIDTH)
        self._wav.setframerate(SAMPLE_RATE)
        self._pending = bytearray()
        self.frames = 0

    def write(self, inbound: bytes, outbound: bytes) -> None:
        """Append one block; both sides must hold the same number of samples."""
        left = audioop.tostereo(inbound, SAMPLE_WIDTH, 1, 0)
        right = audioop.tostereo(outbound, SAMPLE_WIDTH, 0, 1)
        self._pending += audioop.add(left, right, SAMPLE_WIDTH)
        self.frames += len(inbound) // SAMPLE_WIDTH
        if len(self._pending) >= _FLUSH_BYTES:
            self._flush()

    def close(self) -> None:
        self._flush()
        self._wav.close()

    def _flush(self) -> None:
        # writeframesraw: writeframes would seek back and patch the header on every call.
        self._wav.writeframesraw(bytes(self._pending))
        self._pending.clear()
