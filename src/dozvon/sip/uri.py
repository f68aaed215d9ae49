"""SIP URIs, name-addr values (From, To, Contact, Route) and Via values (RFC 3261 §19, §20)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace

from dozvon.sip.message import ParseError

Params = dict[str, str | None]
BRANCH_MAGIC = "z9hG4bK"


def split_params(text: str) -> tuple[str, Params]:
    """'value;a=1;b' -> ('value', {'a': '1', 'b': None}); semicolons inside quotes are data."""
    parts: list[str] = []
    quoted = False
    start = 0
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    params: Params = {}
    for part in parts[1:]:
        name, equals, value = part.strip().partition("=")
        if name:
            params[name.strip().lower()] = value.strip() if equals else None
    return parts[0].strip(), params


def format_params(params: Params) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


def new_tag() -> str:
    return secrets.token_hex(6)


def new_branch() -> str:
    return BRANCH_MAGIC + secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class SipUri:
    host: str
    user: str = ""
    port: int | None = None
    scheme: str = "sip"
    params: Params = field(default_factory=dict)

    @property
    def transport(self) -> str | None:
        """The transport the URI asks for (RFC 3261 §19.1.1), lower-case, if any."""
        value = self.params.get("transport")
        return value.lower() if value else None

    def __str__(self) -> str:
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}:{user}{host}{port}{format_params(self.params)}"


def _parse_hostport(text: str, whole: str) -> tuple[str, int | None]:
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket:
            raise ParseError(f"unclosed IPv6 host in {whole[:60]!r}")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = text.partition(":")
    if not host or any(c in host for c in " <>\"'"):
        raise ParseError(f"bad host in {whole[:60]!r}")
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ParseError(f"bad port in {whole[:60]!r}")
        return host, int(port_text)
    return host, None


def parse_uri(text: str) -> SipUri:
    """Parse sip:/sips: URIs; URI headers (?...) are dropped, they never matter to a UA."""
    scheme, colon, rest = text.strip().partition(":")
    if not colon or scheme.lower() not in ("sip", "sips"):
        raise ParseError(f"not a sip: URI: {text[:60]!r}")
    rest = rest.split("?", 1)[0]
    address, params = split_params(rest)
    user, at, hostport = address.rpartition("@")
    host, port = _parse_hostport(hostport, text)
    return SipUri(host, user.split(":", 1)[0] if at else "", port, scheme.lower(), params)


@dataclass(frozen=True, slots=True)
class NameAddr:
    uri: SipUri
    display: str = ""
    params: Params = field(default_factory=dict)

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def with_tag(self, tag: str) -> NameAddr:
        return replace(self, params={**self.params, "tag": tag})

    def __str__(self) -> str:
        display = f'"{self.display}" ' if self.display else ""
        return f"{display}<{self.uri}>{format_params(self.params)}"


def parse_name_addr(text: str) -> NameAddr:
    """Both forms: '"Name" <sip:a@b;x>;tag=1' and bare 'sip:a@b;tag=1' (params go to the header)."""
    text = text.strip()
    display = ""
    if "<" in text:
        before, _, after = text.partition("<")
        uri_text, closed, params_text = after.partition(">")
        if not closed:
            raise ParseError(f"unclosed '<' in {text[:60]!r}")
        display = before.strip().strip('"')
        _, params = split_params(params_text)
        return NameAddr(parse_uri(uri_text), display, params)
    address, params = split_params(text)
    return NameAddr(parse_uri(address), "", params)


@dataclass(frozen=True, slots=True)
class Via:
    transport: str
    host: str
    port: int | None
    params: Params = field(default_factory=dict)

    @property
    def branch(self) -> str:
        return self.params.get("branch") or ""

    def __str__(self) -> str:
        port = f":{self.port}" if self.port else ""
        return f"SIP/2.0/{self.transport.upper()} {self.host}{port}{format_params(self.params)}"


_VIA = re.compile(r"^SIP\s*/\s*2\.0\s*/\s*([A-Za-z]+)\s+(\S+)\s*$", re.IGNORECASE)


def parse_via(text: str) -> Via:
    """One Via value; LWS around the slashes is legal (RFC 4475 §3.1.1.1)."""
    value, params = split_params(text)
    match = _VIA.match(value)
    if match is None:
        raise ParseError(f"bad Via {value[:40]!r}")
    host, port = _parse_hostport(match.group(2), text)
    return Via(match.group(1).upper(), host, port, params)
