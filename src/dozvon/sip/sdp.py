"""SDP offer/answer (RFC 3264, RFC 4566 subset): one audio stream, G.711 and telephone-event."""

from __future__ import annotations

from dataclasses import dataclass, field

from dozvon.sip.message import ParseError

# Static payload types we speak; telephone-event is dynamic (101 when we choose).
CODECS = {"PCMA": 8, "PCMU": 0}
TELEPHONE_EVENT = "telephone-event"
DEFAULT_EVENT_PT = 101
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


@dataclass(frozen=True, slots=True)
class MediaOffer:
    """One side's audio: where to send, what it understands, which way it flows."""

    address: str
    port: int
    payload_types: tuple[int, ...]
    rtpmap: dict[int, str] = field(default_factory=dict)
    direction: str = "sendrecv"

    @property
    def on_hold(self) -> bool:
        return self.direction in ("sendonly", "inactive") or self.address == "0.0.0.0"

    def codec_name(self, payload_type: int) -> str | None:
        if payload_type in self.rtpmap:
            return self.rtpmap[payload_type].split("/")[0].upper()
        return {8: "PCMA", 0: "PCMU"}.get(payload_type)

    @property
    def event_payload_type(self) -> int | None:
        for payload_type in self.payload_types:
            if (self.codec_name(payload_type) or "").lower() == TELEPHONE_EVENT:
                return payload_type
        return None


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The agreed stream: the codec both sides use and the remote address to send to."""

    remote_address: str
    remote_port: int
    codec: str
    payload_type: int
    event_payload_type: int | None
    direction: str

    @property
    def on_hold(self) -> bool:
        return self.direction in ("sendonly", "inactive") or self.remote_address == "0.0.0.0"


def parse_sdp(body: bytes) -> MediaOffer:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError("SDP is not UTF-8") from exc
    session_address = ""
    media_address = ""
    port: int | None = None
    payload_types: tuple[int, ...] = ()
    rtpmap: dict[int, str] = {}
    direction = "sendrecv"
    in_audio = False
    for raw in text.splitlines():
        kind, equals, value = raw.strip().partition("=")
        if not equals:
            continue
        if kind == "c":
            address = value.split()[-1].split("/")[0] if len(value.split()) == 3 else ""
            if in_audio:
                media_address = address
            else:
                session_address = address
        elif kind == "m":
            fields = value.split()
            in_audio = fields[:1] == ["audio"] and port is None
            if in_audio:
                if len(fields) < 4 or not fields[1].isdigit():
                    raise ParseError(f"bad SDP media line {value[:60]!r}")
                port = int(fields[1])
                payload_types = tuple(int(f) for f in fields[3:] if f.isdigit())
        elif kind == "a" and in_audio:
            name, _, rest = value.partition(":")
            if name == "rtpmap":
                number, _, encoding = rest.partition(" ")
                if number.isdigit():
                    rtpmap[int(number)] = encoding.strip()
            elif name in DIRECTIONS:
                direction = name
        elif kind == "a" and not in_audio and port is None and value in DIRECTIONS:
            direction = value
    if port is None:
        raise ParseError("SDP has no audio m= line")
    address = media_address or session_address
    if not address:
        raise ParseError("SDP has no c= connection address")
    return MediaOffer(address, port, payload_types, rtpmap, direction)


def build_sdp(
    address: str,
    port: int,
    codecs: tuple[str, ...] = ("PCMA", "PCMU"),
    event_payload_type: int | None = DEFAULT_EVENT_PT,
    direction: str = "sendrecv",
    session_id: int = 0,
    version: int = 0,
) -> bytes:
    payload_types = [CODECS[name] for name in codecs]
    if event_payload_type is not None:
        payload_types.append(event_payload_type)
    lines = [
        "v=0",
        f"o=dozvon {session_id} {version} IN IP4 {address}",
        "s=dozvon",
        f"c=IN IP4 {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(map(str, payload_types))}",
    ]
    lines += [f"a=rtpmap:{CODECS[name]} {name}/8000" for name in codecs]
    if event_payload_type is not None:
        lines += [
            f"a=rtpmap:{event_payload_type} telephone-event/8000",
            f"a=fmtp:{event_payload_type} 0-15",
        ]
    lines += ["a=ptime:20", f"a={direction}"]
    return ("\r\n".join(lines) + "\r\n").encode()


_ANSWER_DIRECTION = {
    "sendrecv": "sendrecv",
    "sendonly": "recvonly",
    "recvonly": "sendonly",
    "inactive": "inactive",
}


def negotiate(remote: MediaOffer, codecs: tuple[str, ...] = ("PCMA", "PCMU")) -> Negotiated:
    """Pick the first of the remote's codecs we also speak (the offerer's order wins).
    Used both on an offer we answer and on the answer to our offer."""
    for payload_type in remote.payload_types:
        name = remote.codec_name(payload_type)
        if name in codecs:
            return Negotiated(
                remote.address,
                remote.port,
                name,
                payload_type,
                remote.event_payload_type,
                remote.direction,
            )
    raise ParseError(f"no common codec in SDP (offered {list(remote.payload_types)})")


def answer_direction(remote_direction: str) -> str:
    return _ANSWER_DIRECTION.get(remote_direction, "sendrecv")
