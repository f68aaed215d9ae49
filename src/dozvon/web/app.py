"""`create_app(settings)`: the web UI and JSON API over one site's store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from dozvon.campaign.clock import Clock, SystemClock
from dozvon.channels.telegram.webhook import TelegramHook
from dozvon.config import Settings
from dozvon.store import Store
from dozvon.web import api, forms, hooks, login, pages
from dozvon.web.auth import Accounts, Forbidden, LoginRequired
from dozvon.web.csrf import CsrfFailed
from dozvon.web.rendering import HERE, make_templates, render
from dozvon.web.site import Site, Throttled
from dozvon.web.throttle import LoginThrottle

SESSION_COOKIE = "dozvon_session"
SESSION_SECONDS = 8 * 3600
"""One working shift: a forgotten browser does not stay logged in overnight."""
MIN_SECRET_CHARS = 32
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    config_path: Path | None = None,
    clock: Clock | None = None,
    throttle: LoginThrottle | None = None,
    telegram: TelegramHook | None = None,
) -> FastAPI:
    """Refuses to build without a session secret or with an unusable user entry. `telegram`:
    the webhook receiver, given only by the process that runs the conversations."""
    secret = settings.web.session_secret
    if secret is None or len(secret.get_secret_value()) < MIN_SECRET_CHARS:
        raise ValueError(
            f"web.session_secret не задан или короче {MIN_SECRET_CHARS} символов: "
            "например ${secret:WEB_SESSION_SECRET}, значение: openssl rand -base64 48 / "
            "web.session_secret missing or too short"
        )
    site = Site(
        settings=settings,
        store=store or Store(settings.database.url),
        accounts=Accounts(settings.web.users),
        throttle=throttle or LoginThrottle(),
        clock=clock or SystemClock(),
        templates=make_templates(settings.clinic.timezone),
        config_path=config_path,
    )
    app = FastAPI(title="Dozvon", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.site = site
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret.get_secret_value(),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS,
        same_site="strict",
        https_only=False,
    )
    app.middleware("http")(_security_headers)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_api_route("/healthz", healthz, methods=["GET"])
    for router in (login.router, pages.router, forms.router, api.router):
        app.include_router(router)
    if telegram is not None:
        app.state.telegram = telegram
        app.include_router(hooks.router)
    _install_error_pages(app)
    return app


def healthz() -> dict[str, str]:
    """For a load balancer or systemd: answers without a login and tells nothing."""
    return {"status": "ok"}


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _install_error_pages(app: FastAPI) -> None:
    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def problem(request: Request, status: int, title: str) -> Response:
        if is_api(request):
            return JSONResponse({"detail": title}, status_code=status)
        return render(request, "error.html", {"title": title}, status=status)

    async def login_required(request: Request, _: Exception) -> Response:
        if is_api(request):
            return JSONResponse(
                {"detail": "login required"},
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="dozvon", charset="UTF-8"'},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)

    async def forbidden(request: Request, _: Exception) -> Response:
        return problem(request, 403, "Недостаточно прав / not allowed for your role")

    async def csrf_failed(request: Request, _: Exception) -> Response:
        return problem(request, 403, "Форма устарела, обновите страницу / CSRF token missing")

    async def throttled(request: Request, _: Exception) -> Response:
        return problem(request, 429, "Слишком много попыток входа / too many login attempts")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return problem(request, exc.status_code, str(exc.detail))

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(CsrfFailed, csrf_failed)
    app.add_exception_handler(Throttled, throttled)
    app.add_exception_handler(HTTPException, http_error)
