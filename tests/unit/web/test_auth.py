"""Building the app: refused without a session secret or with an unusable user; small helpers."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from starlette.requests import Request

from dozvon.config import Settings
from dozvon.config.web import WebUser
from dozvon.web import create_app
from dozvon.web.auth import Accounts, Role, basic_credentials
from dozvon.web.login import safe_next
from dozvon.web.passwords import hash_password

HASH = hash_password("secret-password", n=2**10)


def settings(tmp_path: Path, **web: object) -> Settings:
    return Settings.model_validate(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'x.sqlite'}"},
            "web": {"users": [{"name": "admin", "password_hash": HASH, "role": "admin"}], **web},
        }
    )


def test_the_app_refuses_to_start_without_a_session_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="session_secret"):
        create_app(settings(tmp_path))


def test_the_app_refuses_a_short_session_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="session_secret"):
        create_app(settings(tmp_path, session_secret="short"))


def test_the_app_starts_with_a_long_secret(tmp_path: Path) -> None:
    assert create_app(settings(tmp_path, session_secret="k" * 40)).title == "Dozvon"


def test_a_bad_hash_names_the_user() -> None:
    with pytest.raises(ValueError, match=r"web.users\[anna\].password_hash"):
        Accounts([WebUser.model_validate({"name": "anna", "password_hash": "hunter2"})])


def test_no_users_means_no_app() -> None:
    with pytest.raises(ValueError, match=r"web\.users"):
        Accounts([])


def test_accounts_check_passwords_and_roles() -> None:
    accounts = Accounts(
        [WebUser.model_validate({"name": "v", "password_hash": HASH, "role": "viewer"})]
    )
    user = accounts.authenticate("v", "secret-password")
    assert user is not None and user.role is Role.VIEWER
    assert not user.may(Role.OPERATOR)
    assert accounts.authenticate("v", "wrong") is None
    assert accounts.authenticate("nobody", "secret-password") is None


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/report?date=2026-11-26", "/report?date=2026-11-26"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_next_stays_on_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def request_with(authorization: str) -> Request:
    scope = {"type": "http", "headers": [(b"authorization", authorization.encode())]}
    return Request(scope)


def test_basic_credentials_parse_and_refuse_garbage() -> None:
    good = base64.b64encode(b"anna:pa:ss").decode()
    assert basic_credentials(request_with(f"Basic {good}")) == ("anna", "pa:ss")
    assert basic_credentials(request_with("Basic !!!")) is None
    assert basic_credentials(request_with("Bearer abc")) is None
    no_colon = base64.b64encode(b"anna").decode()
    assert basic_credentials(request_with(f"Basic {no_colon}")) is None
