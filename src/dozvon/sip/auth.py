"""Digest authentication (RFC 2617 / RFC 8760 MD5 subset) for answering 401 and 407 challenges."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from dozvon.sip.message import ParseError


@dataclass(frozen=True, slots=True)
class Challenge:
    realm: str
    nonce: str
    opaque: str | None = None
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    stale: bool = False


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str


def _auth_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    index = 0
    while index < len(text):
        while index < len(text) and text[index] in " ,":
            index += 1
        equals = text.find("=", index)
        if equals < 0:
            break
        name = text[index:equals].strip().lower()
        index = equals + 1
        if index < len(text) and text[index] == '"':
            end = text.find('"', index + 1)
            if end < 0:
                raise ParseError("unterminated quoted value in a digest challenge")
            value = text[index + 1 : end]
            index = end + 1
        else:
            end = text.find(",", index)
            end = len(text) if end < 0 else end
            value = text[index:end].strip()
            index = end
        params[name] = value
    return params


def parse_challenge(header: str) -> Challenge:
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        raise ParseError(f"unsupported auth scheme {scheme[:20]!r}")
    params = _auth_params(rest)
    if "nonce" not in params or "realm" not in params:
        raise ParseError("digest challenge lacks realm or nonce")
    algorithm = params.get("algorithm", "MD5")
    if algorithm.upper() not in ("MD5", "MD5-SESS"):
        raise ParseError(f"unsupported digest algorithm {algorithm[:20]!r}")
    qop = tuple(q.strip() for q in params.get("qop", "").split(",") if q.strip())
    return Challenge(
        params["realm"],
        params["nonce"],
        params.get("opaque"),
        algorithm,
        qop,
        params.get("stale", "").lower() == "true",
    )


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def authorization(
    challenge: Challenge,
    credentials: Credentials,
    method: str,
    uri: str,
    nonce_count: int = 1,
    cnonce: str | None = None,
) -> str:
    """The Authorization / Proxy-Authorization value answering one challenge."""
    cnonce = cnonce or secrets.token_hex(8)
    ha1 = _md5(f"{credentials.username}:{challenge.realm}:{credentials.password}")
    if challenge.algorithm.upper() == "MD5-SESS":
        ha1 = _md5(f"{ha1}:{challenge.nonce}:{cnonce}")
    ha2 = _md5(f"{method}:{uri}")
    parts = [
        f'username="{credentials.username}"',
        f'realm="{challenge.realm}"',
        f'nonce="{challenge.nonce}"',
        f'uri="{uri}"',
        f"algorithm={challenge.algorithm}",
    ]
    if "auth" in challenge.qop:
        nc = f"{nonce_count:08x}"
        response = _md5(f"{ha1}:{challenge.nonce}:{nc}:{cnonce}:auth:{ha2}")
        parts += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
    else:
        response = _md5(f"{ha1}:{challenge.nonce}:{ha2}")
    parts.append(f'response="{response}"')
    if challenge.opaque is not None:
        parts.append(f'opaque="{challenge.opaque}"')
    return "Digest " + ", ".join(parts)
