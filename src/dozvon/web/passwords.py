"""Password hashes for `web.users`: the standard library's scrypt, no extra dependency.

The stored form is `scrypt$n$r$p$salt$hash` (salt and hash in base64), so the cost can be raised
later without invalidating hashes made today.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1
"""OWASP's scrypt minimum; about 16 MiB and some tens of ms per check on this machine."""
_SALT_BYTES = 16
_HASH_BYTES = 32
_MAX_N = 2**20


class BadHash(ValueError):
    """The configured hash is not in the `scrypt$n$r$p$salt$hash` form."""


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, n, r, p)
    return "$".join([SCHEME, str(n), str(r), str(p), _b64(salt), _b64(digest)])


def verify_password(password: str, encoded: str) -> bool:
    n, r, p, salt, expected = parse_hash(encoded)
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(expected)), expected)


def parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    """Check the form up front, so a typo in the secrets file stops the server at start."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise BadHash("ожидается scrypt$n$r$p$salt$hash (dozvon web hash-password)")
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except ValueError as exc:
        raise BadHash("n, r, p или base64 повреждены / corrupt n, r, p or base64") from exc
    if not (1 < n <= _MAX_N and n & (n - 1) == 0 and 0 < r <= 32 and 0 < p <= 16):
        raise BadHash("недопустимые n, r, p / out-of-range scrypt cost")
    if len(salt) < 8 or len(digest) < 16:
        raise BadHash("слишком короткие соль или хеш / salt or hash too short")
    return n, r, p, salt, digest


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, size: int = _HASH_BYTES) -> bytes:
    memory = 128 * r * (n + p) + (1 << 20)
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=memory, dklen=size
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
