"""CSRF: a random token per session, sent back in every form as `csrf_token` and by scripts
using the session as the `X-CSRF-Token` header. SameSite=Strict cookies already stop most
cross-site posts; the token covers older browsers and same-site tricks."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

FIELD = "csrf_token"
HEADER = "x-csrf-token"
_KEY = "csrf"


class CsrfFailed(Exception):
    """The token is missing or does not match this session's."""


def csrf_token(request: Request) -> str:
    token = request.session.get(_KEY)
    if not isinstance(token, str):
        token = new_token()
        request.session[_KEY] = token
    return token


def new_token() -> str:
    return secrets.token_urlsafe(32)


def check(request: Request, submitted: str | None) -> None:
    expected = request.session.get(_KEY)
    if not isinstance(expected, str) or not submitted:
        raise CsrfFailed
    if not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise CsrfFailed


async def check_form(request: Request) -> None:
    """For HTML forms: the token travels in the form body."""
    form = await request.form()
    value = form.get(FIELD)
    check(request, value if isinstance(value, str) else None)
