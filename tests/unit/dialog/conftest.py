"""Fixtures for the dialog tests: a real local HTTP server standing in for a clinic's MIS API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dozvon.dialog.demo_mis import DemoMis
from tests.unit.dialog.helpers import Mis, RecordingHandler


@pytest.fixture(scope="session")
def mis() -> Iterator[Mis]:
    """The demo MIS API on 127.0.0.1 and a free port, with failure modes under path prefixes."""
    handler = type("Handler", (RecordingHandler,), {"requests": []})
    with DemoMis(handler) as server:
        yield Mis(server.url, handler.requests)


@pytest.fixture()
def mis_requests(mis: Mis) -> list[dict[str, Any]]:
    mis.requests.clear()
    return mis.requests
