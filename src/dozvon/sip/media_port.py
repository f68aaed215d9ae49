"""What a call needs from an audio engine. Calls depend on this seam only, so signalling runs
without RTP (tests, probes) and `rtp_media` plugs in dozvon.media's RtpSession."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from dozvon.sip.sdp import Negotiated

DigitHandler = Callable[[str], None]
AudioTap = Callable[[bytes], None]


class MediaChannel(Protocol):
    @property
    def local_port(self) -> int: ...

    def start(self, stream: Negotiated) -> None:
        """Send to (or move to) the negotiated remote; on hold keep the old address."""

    async def play(self, pcm: bytes, barge_in: bool) -> bool:
        """Send 8 kHz 16-bit mono PCM; True if it played to the end."""

    def stop_playback(self) -> None: ...

    def on_digit(self, handler: DigitHandler) -> None:
        """Every key from any source: RFC 4733, in-band tones, or `inject_digit`."""

    def inject_digit(self, digit: str) -> None:
        """A key learnt from signalling (SIP INFO), treated like one heard in the media."""

    def enable_inband_detection(self) -> None: ...

    def add_tap(self, tap: AudioTap) -> None:
        """Received audio as 8 kHz 16-bit PCM, for speech, VAD or AMD."""

    async def close(self) -> None: ...


class MediaFactory(Protocol):
    async def open(self) -> MediaChannel: ...


class NoMedia:
    """A channel that sends nothing: for signalling-only use (tests, OPTIONS probes).
    It still names a port so the SDP is valid; nothing listens there."""

    def __init__(self, port: int = 9) -> None:
        self._port = port
        self.stream: Negotiated | None = None
        self._handlers: list[DigitHandler] = []

    @property
    def local_port(self) -> int:
        return self._port

    def start(self, stream: Negotiated) -> None:
        self.stream = stream

    async def play(self, pcm: bytes, barge_in: bool) -> bool:
        return True

    def stop_playback(self) -> None:
        return None

    def on_digit(self, handler: DigitHandler) -> None:
        self._handlers.append(handler)

    def inject_digit(self, digit: str) -> None:
        for handler in self._handlers:
            handler(digit)

    def enable_inband_detection(self) -> None:
        return None

    def add_tap(self, tap: AudioTap) -> None:
        return None

    async def close(self) -> None:
        return None


class NoMediaFactory:
    async def open(self) -> MediaChannel:
        return NoMedia()
