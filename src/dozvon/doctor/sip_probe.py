"""A SIP OPTIONS "ping": does anything at the trunk's address speak SIP?

Self-contained on purpose: `dozvon doctor` must work even when the SIP stack is what is broken.
"""

from __future__ import annotations

import secrets
import socket

from dozvon import __version__


def options_request(
    host: str, port: int, local_host: str, local_port: int, transport: str
) -> bytes:
    """A minimal RFC 3261 OPTIONS, out of dialog, with fresh branch, tag and Call-ID."""
    target = f"sip:{host}:{port}"
    local = f"{local_host}:{local_port}"
    headers = [
        f"OPTIONS {target} SIP/2.0",
        f"Via: SIP/2.0/{transport.upper()} {local};branch=z9hG4bK{secrets.token_hex(8)};rport",
        "Max-Forwards: 70",
        f"From: <sip:dozvon-doctor@{local_host}>;tag={secrets.token_hex(4)}",
        f"To: <{target}>",
        f"Call-ID: {secrets.token_hex(12)}@{local_host}",
        "CSeq: 1 OPTIONS",
        f"Contact: <sip:dozvon-doctor@{local}>",
        "Accept: application/sdp",
        f"User-Agent: Dozvon-doctor/{__version__}",
        "Content-Length: 0",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode("ascii")


def probe_options(host: str, port: int, transport: str = "udp", timeout: float = 2.0) -> str | None:
    """The status line of the first SIP response, or None when nothing answered in time.

    Raises OSError when the address cannot be resolved or reached at all.
    """
    family, kind, _, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    )[0]
    with socket.socket(family, kind) as sock:
        sock.settimeout(timeout)
        sock.connect(address)
        local_host, local_port = sock.getsockname()[:2]
        sock.send(options_request(host, port, local_host, local_port, transport))
        try:
            data = sock.recv(65535)
        except TimeoutError:
            return None
    first_line = data.split(b"\r\n", 1)[0].decode("utf-8", "replace")
    return first_line if first_line.startswith("SIP/2.0 ") else None
