"""SIP message model, parser and serializer (RFC 3261 §7, §20): pure functions over bytes.

Kept free of I/O so the same code serves UDP datagrams, TCP streams and the fuzz tests."""

from __future__ import annotations

from dataclasses import dataclass, field

COMPACT_FORMS = {
    "i": "call-id",
    "m": "contact",
    "e": "content-encoding",
    "l": "content-length",
    "c": "content-type",
    "f": "from",
    "s": "subject",
    "k": "supported",
    "t": "to",
    "v": "via",
    "o": "event",
    "r": "refer-to",
    "b": "referred-by",
    "x": "session-expires",
    "u": "allow-events",
}
_SPELLING = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version",
}
# Headers whose value is a comma-separated list (RFC 3261 §7.3.1); others keep commas as data.
LIST_HEADERS = frozenset(
    {
        "via",
        "route",
        "record-route",
        "contact",
        "allow",
        "supported",
        "require",
        "proxy-require",
        "unsupported",
        "accept",
        "allow-events",
    }
)
MANDATORY = ("via", "from", "to", "call-id", "cseq")
MAX_MESSAGE = 65535


class ParseError(ValueError):
    """A message we cannot accept; `what` names the faulty part, `headers` keeps what was readable
    so a server can still answer 400 to a request whose routing headers survived."""

    def __init__(self, what: str, headers: Headers | None = None, is_request: bool = False):
        super().__init__(what)
        self.what = what
        self.headers = headers if headers is not None else Headers()
        self.is_request = is_request


def canonical_name(name: str) -> str:
    """Full lower-case header name for comparison: compact forms expanded."""
    lowered = name.strip().lower()
    return COMPACT_FORMS.get(lowered, lowered)


def spelled(name: str) -> str:
    return _SPELLING.get(name) or "-".join(part.capitalize() for part in name.split("-"))


def split_list(value: str) -> list[str]:
    """Split a comma-joined header value, ignoring commas inside quotes and <...>."""
    items: list[str] = []
    depth_angle = False
    quoted = False
    start = 0
    escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            depth_angle = True
        elif not quoted and char == ">":
            depth_angle = False
        elif char == "," and not quoted and not depth_angle:
            items.append(value[start:index].strip())
            start = index + 1
    items.append(value[start:].strip())
    return [item for item in items if item]


@dataclass(slots=True)
class Headers:
    """Ordered, case-insensitive multi-map; names are stored in canonical lower-case form."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        key = canonical_name(name)
        for item_name, value in self.items:
            if item_name == key:
                return split_list(value)[0] if key in LIST_HEADERS and value else value
        return None

    def get_all(self, name: str) -> list[str]:
        key = canonical_name(name)
        values: list[str] = []
        for item_name, value in self.items:
            if item_name == key:
                values.extend(split_list(value) if key in LIST_HEADERS else [value])
        return values

    def add(self, name: str, value: str) -> None:
        self.items.append((canonical_name(name), value))

    def set(self, name: str, value: str) -> None:
        self.remove(name)
        self.add(name, value)

    def remove(self, name: str) -> None:
        key = canonical_name(name)
        self.items = [(n, v) for n, v in self.items if n != key]

    def replace_first(self, name: str, value: str) -> None:
        """Rewrite the first element (e.g. the top Via), keeping later list elements in place."""
        key = canonical_name(name)
        for index, (item_name, old) in enumerate(self.items):
            if item_name == key:
                rest = split_list(old)[1:] if key in LIST_HEADERS else []
                self.items[index] = (key, ", ".join([value, *rest]))
                return
        self.add(name, value)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def copy(self) -> Headers:
        return Headers(list(self.items))


@dataclass(slots=True)
class Request:
    method: str
    uri: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def start_line(self) -> str:
        return f"{self.method} {self.uri} SIP/2.0"


@dataclass(slots=True)
class Response:
    status: int
    reason: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def start_line(self) -> str:
        return f"SIP/2.0 {self.status} {self.reason}"


Message = Request | Response


def serialize(message: Message) -> bytes:
    """Bytes on the wire; Content-Length is always recomputed from the body."""
    lines = [message.start_line()]
    for name, value in message.headers.items:
        if name != "content-length":
            lines.append(f"{spelled(name)}: {value}")
    lines.append(f"Content-Length: {len(message.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + message.body


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    for separator in (b"\r\n\r\n", b"\n\n"):
        index = data.find(separator)
        if index >= 0:
            return data[:index], data[index + len(separator) :]
    return data, b""


def _header_lines(head: str) -> list[str]:
    """Unfold continuation lines (RFC 3261 §7.3.1: LWS may span lines)."""
    lines: list[str] = []
    for raw in head.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += " " + raw.strip()
        elif raw:
            lines.append(raw)
    return lines


def _parse_start_line(line: str) -> tuple[bool, str, str, str]:
    parts = line.split(" ", 2)
    if len(parts) != 3:
        raise ParseError(f"start line is not 'A B C': {line[:60]!r}")
    if parts[0] == "SIP/2.0":
        if not (len(parts[1]) == 3 and parts[1].isdigit() and 100 <= int(parts[1]) <= 699):
            raise ParseError(f"status code {parts[1][:10]!r} is not 100-699")
        return False, parts[0], parts[1], parts[2]
    if parts[2] != "SIP/2.0":
        raise ParseError(f"unsupported SIP version {parts[2][:20]!r}", is_request=True)
    if not parts[0].isalpha() or not parts[0].isupper():
        raise ParseError(f"method {parts[0][:20]!r} is not a SIP token", is_request=True)
    if not parts[1] or " " in parts[1]:
        raise ParseError("Request-URI is empty or has spaces", is_request=True)
    return True, parts[0], parts[1], parts[2]


def parse_cseq(value: str) -> tuple[int, str]:
    parts = value.split()
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) > 10:
        raise ParseError(f"CSeq {value[:40]!r} is not 'number METHOD'")
    return int(parts[0]), parts[1]


def parse(data: bytes) -> Message:
    """Parse one complete message; raises ParseError naming the faulty part."""
    if len(data) > MAX_MESSAGE:
        raise ParseError(f"message of {len(data)} bytes exceeds {MAX_MESSAGE}")
    raw_head, body = _split_head(data.lstrip(b"\r\n"))
    try:
        head = raw_head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"header bytes are not UTF-8 (offset {exc.start})") from exc
    lines = _header_lines(head)
    if not lines:
        raise ParseError("empty message")
    is_request, first, second, third = _parse_start_line(lines[0])
    headers = Headers()
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or " " in name.strip():
            raise ParseError(f"header line without a name: {line[:60]!r}", headers, is_request)
        headers.add(name, value.strip())
    for name in MANDATORY:
        if not headers.get(name):
            raise ParseError(f"missing {spelled(name)} header", headers, is_request)
    _, cseq_method = parse_cseq(headers.get("cseq") or "")
    if is_request and cseq_method != first:
        raise ParseError(f"CSeq method {cseq_method} differs from {first}", headers, True)
    length_text = headers.get("content-length")
    if length_text is not None:
        if not length_text.isdigit():
            raise ParseError(
                f"Content-Length {length_text[:20]!r} is not a number", headers, is_request
            )
        length = int(length_text)
        if length > len(body):
            raise ParseError(
                f"body truncated: Content-Length {length}, got {len(body)}", headers, is_request
            )
        body = body[:length]
    if is_request:
        return Request(first, second, headers, body)
    return Response(int(second), third, headers, body)


def frame_stream(buffer: bytes) -> tuple[bytes | None, bytes]:
    """Cut one message off a TCP byte stream (RFC 3261 §18.3): Content-Length is mandatory there.
    Returns (message or None if incomplete, remaining buffer)."""
    stripped = buffer.lstrip(b"\r\n")
    end = stripped.find(b"\r\n\r\n")
    if end < 0:
        if len(stripped) > MAX_MESSAGE:
            raise ParseError("stream header exceeds the size limit")
        return None, stripped
    length = 0
    for line in _header_lines(stripped[:end].decode("utf-8", "replace"))[1:]:
        name, _, value = line.partition(":")
        if canonical_name(name) == "content-length":
            if not value.strip().isdigit():
                raise ParseError("stream message has a non-numeric Content-Length")
            length = int(value.strip())
    total = end + 4 + length
    if total > MAX_MESSAGE:
        raise ParseError("stream message exceeds the size limit")
    if len(stripped) < total:
        return None, stripped
    return stripped[:total], stripped[total:]
