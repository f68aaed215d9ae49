"""/login and /logout. Failed logins are logged with the name and address, never the password."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from dozvon.web import csrf, guards
from dozvon.web.auth import Role, User, client_address, session_user, start_session
from dozvon.web.rendering import render
from dozvon.web.site import Throttled, get_site

log = logging.getLogger(__name__)
router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site: `//evil.example` or a full URL would make an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    if session_user(request, get_site(request).accounts) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next)})


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    csrf.check(request, csrf_token)
    site = get_site(request)
    address = client_address(request)
    context = {"next": safe_next(next), "username": username, "message_kind": "error"}
    try:
        user = await site.login(username, password, address)
    except Throttled:
        log.warning("login throttled", extra={"user": username, "address": address})
        context["message"] = "Слишком много попыток, подождите минуту / too many attempts, wait"
        return render(request, "login.html", context, status=429)
    if user is None:
        log.warning("login failed", extra={"user": username, "address": address})
        context["message"] = "Неверное имя или пароль / wrong user name or password"
        return render(request, "login.html", context, status=401)
    start_session(request, user, csrf.new_token())
    log.info("login", extra={"user": user.name, "address": address})
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, user: Annotated[User, Depends(guards.page(Role.VIEWER))]) -> Response:
    request.session.clear()
    log.info("logout", extra={"user": user.name})
    return RedirectResponse("/login", status_code=303)
