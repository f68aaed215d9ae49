"""FastAPI dependencies that let a request in only with the right login, role and CSRF token."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import Request

from dozvon.web import csrf
from dozvon.web.auth import (
    Forbidden,
    LoginRequired,
    Role,
    User,
    basic_credentials,
    client_address,
    session_user,
)
from dozvon.web.site import get_site

log = logging.getLogger(__name__)
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def page(needed: Role) -> Callable[[Request], Awaitable[User]]:
    """A page or a form post: the session's user; posts also need the form's CSRF token."""

    async def dependency(request: Request) -> User:
        user = session_user(request, get_site(request).accounts)
        if user is None:
            raise LoginRequired
        if request.method not in _SAFE:
            await csrf.check_form(request)
        if not user.may(needed):
            raise Forbidden
        request.state.user = user
        return user

    return dependency


def api(needed: Role) -> Callable[[Request], Awaitable[User]]:
    """The session (then changes need the X-CSRF-Token header) or HTTP Basic, for scripts."""

    async def dependency(request: Request) -> User:
        site = get_site(request)
        user = session_user(request, site.accounts)
        if user is not None:
            if request.method not in _SAFE:
                csrf.check(request, request.headers.get(csrf.HEADER))
        else:
            credentials = basic_credentials(request)
            if credentials is None:
                raise LoginRequired
            address = client_address(request)
            user = await site.login(*credentials, address)
            if user is None:
                log.warning("api login failed", extra={"user": credentials[0], "address": address})
                raise LoginRequired
        if not user.may(needed):
            raise Forbidden
        return user

    return dependency
