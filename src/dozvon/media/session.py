"""`RtpSession`: one call's media, driven by the engine's shared clock.

Outbound, each clock tick sends exactly one packet, chosen by priority: an RFC 4733 event
packet, else a frame of an in-band key tone, else a frame of the playing prompt, else silence.
Silence is sent as ordinary G.711 silence (not comfort-noise packets, which need their own
SDP payload type) so the peer's NAT binding and jitter buffer stay alive while we listen.

Inbound, every datagram is parsed, checked against the latched source, put in order by
`RtpReceiver`, decoded and handed to the taps, the recorder and the in-band DTMF detector;
telephone-event packets become digits. Nothing that arrives can raise out of here: bad
packets are counted in `stats` and dropped.
"""

import asyncio
import ipaddress
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dozvon.media import g711, rfc4733, rtp
from dozvon.media.clock import SharedClock
from dozvon.media.dtmf_inband import InbandDtmfDetector, tone
from dozvon.media.g711 import Codec
from dozvon.media.recorder import StereoWavRecorder

log = logging.getLogger(__name__)

SAMPLES_PER_FRAME = 160
FRAME_BYTES = SAMPLES_PER_FRAME * g711.SAMPLE_WIDTH
SILENCE_FRAME = bytes(FRAME_BYTES)
_SILENCE_PAYLOAD = {codec: bytes([codec.silence_byte]) * SAMPLES_PER_FRAME for codec in Codec}
# Audio frames between two outgoing RFC 4733 events, so the peer sees two presses.
_EVENT_GAP_FRAMES = 2
# Inbound audio kept for the recorder before old frames are dropped to stay in step.
_MAX_RECORD_BACKLOG = 5 * FRAME_BYTES
_INBAND_PAUSE_MS = 60
_PACING_SAMPLES = 3000

DigitSource = Literal["rfc4733", "inband", "info"]
DigitMethod = Literal["rfc4733", "inband"]


@dataclass(frozen=True, slots=True)
class DtmfEvent:
    digit: str
    source: DigitSource
    at: float
    """`loop.time()` when the digit was recognised."""


DigitCallback = Callable[[DtmfEvent], None]
TapCallback = Callable[[bytes], None]


@dataclass(slots=True)
class SessionStats:
    packets_sent: int = 0
    packets_received: int = 0
    """Valid RTP packets from the latched peer (before reordering)."""
    lost: int = 0
    late: int = 0
    duplicate: int = 0
    malformed: int = 0
    foreign: int = 0
    """Packets from an address other than the latched peer."""
    unknown_payload: int = 0
    send_errors: int = 0
    pacing_error_ms: deque[float] = field(
        default_factory=lambda: deque(maxlen=_PACING_SAMPLES), repr=False
    )
    """|gap between two outbound packets − packet time| per packet, most recent last: the
    jitter our sending adds, as the peer's jitter buffer sees it."""


def _settle(future: "asyncio.Future[bool]", result: bool) -> None:
    if not future.done():
        future.set_result(result)


class PlayHandle:
    """One queued piece of audio. `await done()` gives True if it played to the end."""

    def __init__(self, pcm: bytes, stop_on_digit: bool, loop: asyncio.AbstractEventLoop) -> None:
        padding = -len(pcm) % FRAME_BYTES
        self._pcm = pcm + bytes(padding) if padding else pcm
        self.stop_on_digit = stop_on_digit
        self._offset = 0
        self._encoded: tuple[Codec, bytes] | None = None
        self._future: asyncio.Future[bool] = loop.create_future()

    @property
    def finished(self) -> bool:
        return self._future.done()

    async def done(self) -> bool:
        return await asyncio.shield(self._future)

    def stop(self) -> None:
        self._finish(False)

    def _next_frame(self, codec: Codec) -> tuple[bytes, bytes]:
        """The next (payload, pcm) pair; the whole prompt is encoded once, then sliced."""
        if self._encoded is None or self._encoded[0] is not codec:
            self._encoded = (codec, g711.encode(codec, self._pcm))
        start = self._offset
        self._offset += FRAME_BYTES
        if self._offset >= len(self._pcm):
            self._finish(True)
        half = start // g711.SAMPLE_WIDTH
        return (
            self._encoded[1][half : half + SAMPLES_PER_FRAME],
            self._pcm[start : start + FRAME_BYTES],
        )

    def _finish(self, completed: bool) -> None:
        _settle(self._future, completed)


@dataclass(slots=True)
class _OutgoingEvent:
    packets: deque[rfc4733.EventPacket]
    sent: asyncio.Future[bool]
    timestamp: int | None = None


@dataclass(slots=True)
class _OutgoingTone:
    pcm: bytes
    sent: asyncio.Future[bool]
    offset: int = 0


@dataclass(frozen=True, slots=True)
class _Remote:
    address: tuple[str, int]
    codec: Codec
    telephone_event_pt: int | None


class RtpSession:
    """Media of one call. Create it with `MediaEngine.open_session()`; see docs/architecture.md."""

    def __init__(
        self,
        transport: asyncio.DatagramTransport,
        local_host: str,
        local_port: int,
        clock: SharedClock,
        on_close: Callable[["RtpSession"], None],
    ) -> None:
        self.local_host = local_host
        self.local_port = local_port
        self._transport = transport
        self._loop = asyncio.get_running_loop()
        self._on_close = on_close
        self._remote: _Remote | None = None
        self._latched: tuple[Any, ...] | None = None
        self._ssrc = random.getrandbits(32)
        self._sequence = random.getrandbits(16)
        self._timestamp = random.getrandbits(32)
        self._marker = True
        self._stats = SessionStats()
        self._receiver = rtp.RtpReceiver()
        self._event_receiver = rfc4733.EventReceiver()
        self._inband: InbandDtmfDetector | None = None
        self._playing: deque[PlayHandle] = deque()
        self._events: deque[_OutgoingEvent] = deque()
        self._event_gap = 0
        self._tones: deque[_OutgoingTone] = deque()
        self._digit_callbacks: list[DigitCallback] = []
        self._taps: list[TapCallback] = []
        self._recorder: StereoWavRecorder | None = None
        self._record_inbound = bytearray()
        self._closed = False
        self._interval = clock.interval
        self._last_sent_at: float | None = None
        self._unsubscribe = clock.subscribe(self._on_tick)

    # -- set-up -------------------------------------------------------------------------------

    def set_remote(
        self, host: str, port: int, codec: Codec, telephone_event_pt: int | None = None
    ) -> None:
        """Where to send (from SDP), in which codec, and the negotiated telephone-event type.

        May be called again (re-INVITE, UPDATE); a new address also forgets the latched source,
        the same address (a session refresh) keeps it.
        """
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f"RTP remote host must be an IP address, got {host!r}") from None
        if not 0 < port < 65536:
            raise ValueError(f"RTP remote port out of range: {port}")
        if telephone_event_pt is not None and not 96 <= telephone_event_pt <= 127:
            raise ValueError(
                f"telephone-event payload type must be dynamic (96-127), got {telephone_event_pt}"
            )
        address = (str(ip), port)
        if self._remote is None or self._remote.address != address:
            self._latched = None  # the peer moved: learn its real source again
        self._remote = _Remote(address, codec, telephone_event_pt)
        if telephone_event_pt is None:
            self._abandon_events()

    @property
    def remote_address(self) -> tuple[str, int] | None:
        """Where packets go now: the latched source if any, else the SDP address."""
        if self._latched is not None:
            return (self._latched[0], self._latched[1])
        return self._remote.address if self._remote else None

    @property
    def stats(self) -> SessionStats:
        received = self._receiver.stats
        self._stats.lost = received.lost
        self._stats.late = received.late + received.out_of_window
        self._stats.duplicate = received.duplicate
        return self._stats

    @property
    def closed(self) -> bool:
        return self._closed

    # -- playback -----------------------------------------------------------------------------

    def play(self, pcm: bytes, stop_on_digit: bool = False) -> PlayHandle:
        """Queue 8 kHz 16-bit mono PCM behind whatever is playing.

        With `stop_on_digit`, any received digit stops it (barge-in), whether it is playing or
        still queued; prompts queued without the flag play on.
        """
        handle = PlayHandle(pcm, stop_on_digit, self._loop)
        if self._closed or not pcm:
            handle._finish(not pcm)
        else:
            self._playing.append(handle)
        return handle

    def stop_playback(self) -> None:
        """Stop the playing prompt and drop everything queued."""
        while self._playing:
            self._playing.popleft().stop()

    # -- digits -------------------------------------------------------------------------------

    async def send_digit(
        self, digit: str, method: DigitMethod = "rfc4733", duration_ms: int = 100
    ) -> bool:
        """Press a key toward the peer; True once fully sent, False if the session closed first."""
        if self._closed:
            return False
        sent: asyncio.Future[bool] = self._loop.create_future()
        if method == "rfc4733":
            if self._remote is None or self._remote.telephone_event_pt is None:
                raise ValueError("the peer did not negotiate telephone-event; use method='inband'")
            packets = rfc4733.event_packets(digit, duration_ms)
            self._events.append(_OutgoingEvent(deque(packets), sent))
        elif method == "inband":
            pcm = tone(digit, duration_ms) + bytes(16 * _INBAND_PAUSE_MS)
            self._tones.append(_OutgoingTone(pcm, sent))
        else:
            raise ValueError(f"unknown DTMF method {method!r} (rfc4733 or inband)")
        return await sent

    def on_digit(self, callback: DigitCallback) -> Callable[[], None]:
        """Call `callback(DtmfEvent)` for every key from any source; returns the unsubscriber."""
        self._digit_callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._digit_callbacks:
                self._digit_callbacks.remove(callback)

        return unsubscribe

    async def collect_digits(
        self,
        max_digits: int,
        timeout: float,
        terminators: str = "#",
        inter_digit_timeout: float | None = None,
    ) -> str:
        """Gather keys until `max_digits`, a terminator (not included) or a timeout.

        `timeout` bounds the whole collection; `inter_digit_timeout`, if given, ends it when the
        caller pauses that long after a key. Returns what was pressed, possibly "".
        """
        keys: asyncio.Queue[str] = asyncio.Queue()
        unsubscribe = self.on_digit(lambda event: keys.put_nowait(event.digit))
        digits = ""
        deadline = self._loop.time() + timeout
        try:
            while len(digits) < max_digits:
                wait = deadline - self._loop.time()
                if digits and inter_digit_timeout is not None:
                    wait = min(wait, inter_digit_timeout)
                try:
                    key = await asyncio.wait_for(keys.get(), max(0.0, wait))
                except TimeoutError:
                    break
                if key in terminators:
                    break
                digits += key
        finally:
            unsubscribe()
        return digits

    def inject_digit(self, digit: str, source: DigitSource = "info") -> None:
        """Report a digit learnt elsewhere (SIP INFO) exactly like one heard in the media."""
        rfc4733.event_code(digit)
        self._emit_digit(digit.upper(), source)

    def enable_inband_detection(self, enabled: bool = True) -> None:
        """Goertzel detection costs CPU on every inbound frame, so it is off by default."""
        self._inband = InbandDtmfDetector() if enabled else None

    # -- listening and recording --------------------------------------------------------------

    def add_tap(self, callback: TapCallback) -> None:
        """Call `callback(pcm)` with every decoded inbound frame, in sequence order."""
        self._taps.append(callback)

    def remove_tap(self, callback: TapCallback) -> None:
        if callback in self._taps:
            self._taps.remove(callback)

    def start_recording(self, path: str | Path) -> None:
        """Record to a two-channel WAV (left: the peer, right: us), 8 kHz 16-bit."""
        self.stop_recording()
        self._recorder = StereoWavRecorder(path)
        self._record_inbound.clear()

    def stop_recording(self) -> None:
        if self._recorder is not None:
            self._recorder.close()
            self._recorder = None

    # -- teardown -----------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop sending, end playback and pending digits, close the file and free the port."""
        if self._closed:
            return
        self._closed = True
        self._unsubscribe()
        for packet in self._receiver.drain():
            self._deliver(packet)
        self.stop_playback()
        self._abandon_events()
        for pending in self._tones:
            _settle(pending.sent, False)
        self._tones.clear()
        self.stop_recording()
        self._transport.close()
        self._on_close(self)

    def _abandon_events(self) -> None:
        for event in self._events:
            _settle(event.sent, False)
        self._events.clear()

    # -- the clock's side ---------------------------------------------------------------------

    def _on_tick(self) -> None:
        remote = self._remote
        if remote is None:
            return
        payload_type = remote.codec.payload_type
        timestamp = self._timestamp
        marker = self._marker
        pcm = SILENCE_FRAME
        if self._events and not self._event_gap and remote.telephone_event_pt is not None:
            payload, marker, timestamp = self._next_event_packet()
            payload_type = remote.telephone_event_pt
        else:
            self._event_gap = max(0, self._event_gap - 1)
            payload, pcm = self._next_audio_frame(remote.codec)
        packet = rtp.build(payload_type, self._sequence, timestamp, self._ssrc, payload, marker)
        self._send(packet, remote)
        now = time.perf_counter()
        if self._last_sent_at is not None:
            gap = now - self._last_sent_at
            self._stats.pacing_error_ms.append(abs(gap - self._interval) * 1000.0)
        self._last_sent_at = now
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._timestamp = (self._timestamp + SAMPLES_PER_FRAME) & 0xFFFFFFFF
        self._marker = False
        if self._recorder is not None:
            self._record(pcm)

    def _next_event_packet(self) -> tuple[bytes, bool, int]:
        event = self._events[0]
        if event.timestamp is None:
            event.timestamp = self._timestamp
        packet = event.packets.popleft()
        if not event.packets:
            self._events.popleft()
            self._event_gap = _EVENT_GAP_FRAMES
            _settle(event.sent, True)
        return packet.payload, packet.marker, event.timestamp

    def _next_audio_frame(self, codec: Codec) -> tuple[bytes, bytes]:
        if self._tones:
            outgoing = self._tones[0]
            pcm = outgoing.pcm[outgoing.offset : outgoing.offset + FRAME_BYTES]
            pcm += bytes(FRAME_BYTES - len(pcm))
            outgoing.offset += FRAME_BYTES
            if outgoing.offset >= len(outgoing.pcm):
                self._tones.popleft()
                _settle(outgoing.sent, True)
            return g711.encode(codec, pcm), pcm
        while self._playing:
            handle = self._playing[0]
            if handle.finished:
                self._playing.popleft()
                continue
            return handle._next_frame(codec)
        return _SILENCE_PAYLOAD[codec], SILENCE_FRAME

    def _send(self, packet: bytes, remote: _Remote) -> None:
        address = self._latched or remote.address
        try:
            self._transport.sendto(packet, address)
        except OSError:
            self._stats.send_errors += 1
            return
        self._stats.packets_sent += 1

    def _record(self, outbound: bytes) -> None:
        assert self._recorder is not None
        inbound = bytes(self._record_inbound[:FRAME_BYTES])
        del self._record_inbound[:FRAME_BYTES]
        if len(self._record_inbound) > _MAX_RECORD_BACKLOG:
            del self._record_inbound[: len(self._record_inbound) - _MAX_RECORD_BACKLOG]
        self._recorder.write(inbound + bytes(FRAME_BYTES - len(inbound)), outbound)

    # -- the network's side -------------------------------------------------------------------

    def _on_datagram(self, data: bytes, address: tuple[Any, ...]) -> None:
        if self._closed:
            return
        try:
            packet = rtp.parse(data)
        except rtp.RtpParseError:
            self._stats.malformed += 1
            return
        if self._latched is None:
            # Symmetric RTP: answer wherever the peer's packets really come from (NAT).
            self._latched = address
        elif address != self._latched:
            self._stats.foreign += 1
            return
        self._stats.packets_received += 1
        for ready in self._receiver.push(packet):
            self._deliver(ready)

    def _on_send_error(self) -> None:
        self._stats.send_errors += 1

    def _deliver(self, packet: rtp.RtpPacket) -> None:
        codec = g711.codec_for_payload_type(packet.payload_type)
        if codec is not None:
            self._hear(g711.decode(codec, packet.payload))
            return
        remote = self._remote
        if remote is not None and packet.payload_type == remote.telephone_event_pt:
            digit = self._event_receiver.feed(packet.timestamp, packet.payload)
            if digit is not None:
                self._emit_digit(digit, "rfc4733")
            return
        self._stats.unknown_payload += 1

    def _hear(self, pcm: bytes) -> None:
        if self._taps:
            for tap in tuple(self._taps):
                try:
                    tap(pcm)
                except Exception:
                    log.exception("media tap failed; removing it")
                    self.remove_tap(tap)
        if self._recorder is not None:
            self._record_inbound += pcm
        if self._inband is not None:
            for digit in self._inband.feed(pcm):
                self._emit_digit(digit, "inband")

    def _emit_digit(self, digit: str, source: DigitSource) -> None:
        for handle in self._playing:
            if handle.stop_on_digit:
                handle.stop()
        event = DtmfEvent(digit, source, self._loop.time())
        for callback in list(self._digit_callbacks):
            try:
                callback(event)
            except Exception:
                log.exception("digit callback failed")
