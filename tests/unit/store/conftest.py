"""Every store test runs on SQLite and on the local PostgreSQL, in a throwaway database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from dozvon.store import Store, upgrade
from dozvon.store.models import Base
from tests.unit.store.pg import throwaway_database


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with throwaway_database() as url:
        yield url


@pytest.fixture(scope="session")
def pg_store(pg_url: str) -> Iterator[Store]:
    store = Store(pg_url)
    upgrade(store.engine)
    yield store
    store.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        sqlite_store = Store(f"sqlite:///{tmp_path / 'var' / 'dozvon.sqlite'}")
        upgrade(sqlite_store.engine)
        yield sqlite_store
        sqlite_store.dispose()
        return
    pg: Store = request.getfixturevalue("pg_store")
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with pg.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield pg
