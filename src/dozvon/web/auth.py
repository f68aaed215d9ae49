"""Who is asking: the configured users, the login session, HTTP Basic for scripts, and roles.

viewer reads; operator also pauses and resumes campaigns and edits the do-not-call list;
admin may do everything. Users are looked up in the settings on every request, so removing a
user from the config ends their sessions at the next restart.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from enum import IntEnum

from fastapi import Request

from dozvon.config.web import WebUser
from dozvon.web.passwords import BadHash, hash_password, parse_hash, verify_password

SESSION_USER = "user"


class Role(IntEnum):
    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role

    def may(self, needed: Role) -> bool:
        return self.role >= needed


class LoginRequired(Exception):
    """Nobody logged in: a page redirects to /login, the API answers 401."""


class Forbidden(Exception):
    """Logged in, but the role is too low."""


class Accounts:
    """The users from `web.users`, their hashes checked when the app is built."""

    def __init__(self, users: list[WebUser]) -> None:
        if not users:
            raise ValueError("web.users пуст: войти будет некому / no users configured")
        self._hashes: dict[str, str] = {}
        self._users: dict[str, User] = {}
        for user in users:
            encoded = user.password_hash.get_secret_value()
            try:
                parse_hash(encoded)
            except BadHash as exc:
                raise ValueError(f"web.users[{user.name}].password_hash: {exc}") from exc
            self._hashes[user.name] = encoded
            self._users[user.name] = User(user.name, Role[user.role.upper()])
        self._decoy = hash_password("decoy")

    def get(self, name: str) -> User | None:
        return self._users.get(name)

    def authenticate(self, name: str, password: str) -> User | None:
        """An unknown name costs one scrypt too, so timing does not tell which names exist."""
        encoded = self._hashes.get(name, self._decoy)
        ok = verify_password(password, encoded)
        return self._users.get(name) if ok else None


def session_user(request: Request, accounts: Accounts) -> User | None:
    name = request.session.get(SESSION_USER)
    return accounts.get(name) if isinstance(name, str) else None


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """`Authorization: Basic` for scripts calling /api/; None when absent or malformed."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, sep, password = decoded.partition(":")
    return (name, password) if sep else None


def start_session(request: Request, user: User, csrf: str) -> None:
    """A fresh session on login: nothing from before the login carries over."""
    request.session.clear()
    request.session[SESSION_USER] = user.name
    request.session["csrf"] = csrf


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
