"""A logged-out TestClient over a seeded SQLite store, and a helper to log in as any role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dozvon.campaign.clock import ManualClock
from dozvon.store import Store
from dozvon.web import create_app
from tests.integration.web.site import NOW, PASSWORDS, Seeded, make_store, seed, settings_for

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = make_store(tmp_path / "dozvon.sqlite")
    yield store
    store.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def seeded(store: Store, clock: ManualClock) -> Seeded:
    return seed(store, clock)


@pytest.fixture
def client(tmp_path: Path, store: Store, clock: ManualClock, seeded: Seeded) -> TestClient:
    app = create_app(settings_for(tmp_path / "dozvon.sqlite"), store=store, clock=clock)
    return TestClient(app, follow_redirects=False)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture
def login(client: TestClient) -> Callable[[str], TestClient]:
    def as_role(role: str) -> TestClient:
        token = csrf_of(client.get("/login").text)
        answer = client.post(
            "/login",
            data={"username": role, "password": PASSWORDS[role], "csrf_token": token},
        )
        assert answer.status_code == 303, answer.text
        return client

    return as_role
