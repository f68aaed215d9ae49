"""What a call needs from an audio engine. The sip package depends on this seam only, so
signalling is testable without RTP and the media package stays free of SIP."""

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
        """Start sending to (or move to) the negotiated remote; hold when stream.on_hold."""

    async def play(self, pcm: bytes) -> None:
        """Send 8 kHz 16-bit mono PCM; returns when played out or stopped."""

    def stop_playback(self) -> None: ...

    def on_digit(self, handler: DigitHandler) -> None:
        """Digits detected in media (RFC 4733 or in-band tones)."""

    def add_tap(self, tap: AudioTap) -> None:
        """Received audio as 8 kHz 16-bit PCM, for speech, VAD or AMD."""

    def close(self) -> None: ...


class MediaFactory(Protocol):
    async def open(self, local_host: str) -> MediaChannel: ...


class NoMedia:
    """A channel that sends nothing: for signalling-only use (tests, OPTIONS probes).
    It still names a port so the SDP is valid; nothing listens there."""

    def __init__(self, port: int = 9) -> None:
        self._port = port
        self.stream: Negotiated | None = None
        self._digit: DigitHandler | None = None

    @property
    def local_port(self) -> int:
        return self._port

    def start(self, stream: Negotiated) -> None:
        self.stream = stream

    async def play(self, pcm: bytes) -> None:
        return None

    def stop_playback(self) -> None:
        return None

    def on_digit(self, handler: DigitHandler) -> None:
        self._digit = handler

    def add_tap(self, tap: AudioTap) -> None:
        return None

    def close(self) -> None:
        return None


class NoMediaFactory:
    async def open(self, local_host: str) -> MediaChannel:
        return NoMedia()
