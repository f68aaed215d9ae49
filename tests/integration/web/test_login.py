"""Logging in and out: every route but /login and /healthz needs a login; wrong passwords,
throttling, CSRF on the login form, cookie flags, and secrets never reaching a page."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.integration.web.conftest import csrf_of
from tests.integration.web.site import PASSWORDS, SESSION_SECRET

PAGES = [
    "/",
    "/partials/campaigns",
    "/report",
    "/report.csv",
    "/report.xlsx",
    "/attempts",
    "/tasks/1",
    "/undelivered",
    "/do-not-call",
    "/doctor",
    "/scenarios",
]
API = ["/api/campaigns", "/api/report", "/api/undelivered", "/api/do-not-call"]


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize("path", PAGES)
def test_a_page_sends_the_anonymous_to_login(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=" + path.split("?")[0])


@pytest.mark.parametrize("path", API)
def test_the_api_answers_401_to_the_anonymous(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "path", ["/campaigns/confirm-tomorrow/pause", "/do-not-call", "/do-not-call/remove"]
)
def test_an_anonymous_post_goes_to_login_and_changes_nothing(client: TestClient, path: str) -> None:
    assert client.post(path, data={"phone": "+79161234567"}).status_code == 303
    assert client.post("/api/campaigns/confirm-tomorrow/pause").status_code == 401


def test_healthz_needs_no_login(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_the_right_password_opens_the_dashboard(login: Callable[[str], TestClient]) -> None:
    client = login("viewer")
    page = client.get("/")
    assert page.status_code == 200
    assert "confirm-tomorrow" in page.text


def test_a_wrong_password_is_refused(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"username": "admin", "password": "wrong", "csrf_token": token}
    )
    assert answer.status_code == 401
    assert "Неверное имя или пароль" in answer.text
    assert client.get("/").status_code == 303


def test_an_unknown_user_is_refused_the_same_way(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"username": "nobody", "password": "x", "csrf_token": token}
    )
    assert answer.status_code == 401


def test_five_failures_block_even_the_right_password(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        wrong = {"username": "operator", "password": "guess", "csrf_token": token}
        assert client.post("/login", data=wrong).status_code == 401
    right = {"username": "operator", "password": PASSWORDS["operator"], "csrf_token": token}
    answer = client.post("/login", data=right)
    assert answer.status_code == 429
    assert client.get("/").status_code == 303


def test_basic_auth_failures_are_throttled_too(client: TestClient) -> None:
    for _ in range(5):
        assert client.get("/api/campaigns", headers=basic("admin", "guess")).status_code == 401
    answer = client.get("/api/campaigns", headers=basic("admin", PASSWORDS["admin"]))
    assert answer.status_code == 429


def test_login_without_csrf_token_is_forbidden(client: TestClient) -> None:
    client.get("/login")
    answer = client.post("/login", data={"username": "admin", "password": PASSWORDS["admin"]})
    assert answer.status_code == 403
    assert client.get("/").status_code == 303


def test_the_session_cookie_is_httponly_and_samesite_strict(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"username": "admin", "password": PASSWORDS["admin"], "csrf_token": token},
    )
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


def test_login_returns_to_the_page_asked_for_but_never_off_site(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    form = {"username": "admin", "password": PASSWORDS["admin"], "csrf_token": token}
    assert client.post("/login", data={**form, "next": "/report"}).headers["location"] == "/report"
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    form["csrf_token"] = token
    answer = client.post("/login", data={**form, "next": "//evil.example/x"})
    assert answer.headers["location"] == "/"


def test_logout_ends_the_session(login: Callable[[str], TestClient]) -> None:
    client = login("admin")
    token = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/").status_code == 303


def test_a_forged_cookie_is_not_a_login(client: TestClient) -> None:
    client.cookies.set("dozvon_session", "eyJ1c2VyIjogImFkbWluIn0=.forged.signature")
    assert client.get("/").status_code == 303


def test_basic_auth_reaches_the_api(client: TestClient) -> None:
    answer = client.get("/api/campaigns", headers=basic("viewer", PASSWORDS["viewer"]))
    assert answer.status_code == 200
    assert [c["campaign"] for c in answer.json()] == ["confirm-tomorrow", "lab-results"]


def test_secrets_never_reach_a_page(login: Callable[[str], TestClient]) -> None:
    client = login("admin")
    settings = client.app.state.site.settings  # type: ignore[attr-defined]
    hashes = [u.password_hash.get_secret_value() for u in settings.web.users]
    for path in PAGES + API:
        body = client.get(path).text
        assert SESSION_SECRET not in body
        assert all(h not in body and h.split("$")[-1] not in body for h in hashes)
        assert all(p not in body for p in PASSWORDS.values())
