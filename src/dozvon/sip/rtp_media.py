"""Plugs dozvon.media's RtpSession into calls (the `MediaChannel` seam)."""

from __future__ import annotations

from dozvon.media import Codec, DtmfEvent, MediaEngine, RtpSession
from dozvon.sip.media_port import AudioTap, DigitHandler, MediaChannel
from dozvon.sip.sdp import Negotiated


class RtpChannel:
    def __init__(self, session: RtpSession) -> None:
        self.session = session

    @property
    def local_port(self) -> int:
        return self.session.local_port

    def start(self, stream: Negotiated) -> None:
        if stream.remote_address == "0.0.0.0" or not stream.remote_port:
            return  # RFC 2543-style hold: keep sending where we did, the peer ignores it
        event_pt = stream.event_payload_type
        self.session.set_remote(
            stream.remote_address,
            stream.remote_port,
            Codec[stream.codec],
            event_pt if event_pt is not None and 96 <= event_pt <= 127 else None,
        )

    async def play(self, pcm: bytes, barge_in: bool) -> bool:
        return await self.session.play(pcm, stop_on_digit=barge_in).done()

    def stop_playback(self) -> None:
        self.session.stop_playback()

    def on_digit(self, handler: DigitHandler) -> None:
        def forward(event: DtmfEvent) -> None:
            handler(event.digit)

        self.session.on_digit(forward)

    def inject_digit(self, digit: str) -> None:
        self.session.inject_digit(digit, "info")

    def enable_inband_detection(self) -> None:
        self.session.enable_inband_detection(True)

    def add_tap(self, tap: AudioTap) -> None:
        self.session.add_tap(tap)

    async def close(self) -> None:
        await self.session.close()


class EngineMedia:
    """A `MediaFactory` over one running MediaEngine (its shared clock drives every call)."""

    def __init__(self, engine: MediaEngine) -> None:
        self.engine = engine

    async def open(self) -> MediaChannel:
        return RtpChannel(await self.engine.open_session())
