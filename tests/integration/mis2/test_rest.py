"""Generic REST connector against a FAKE clinic API with the common patterns (fakes/rest_mis.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dozvon.core.appointment import Appointment
from dozvon.core.outcome import Evidence, Outcome
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig, open_connector
from dozvon.mis.rest import RestConnector
from tests.fakes.rest_mis import FakeRestMis
from tests.fakes.server import serve

MSK = ZoneInfo("Europe/Moscow")
DAY = datetime(2026, 11, 27, tzinfo=MSK)
COLUMNS = {
    "ID": "$.id",
    "DATE": "$.date",
    "TIME": "$.time",
    "FIO": "$.patient.fio",
    "TEL": "$.patient.phones[*].number",
    "DOC": "$.doctor.name",
    "SERV": "$.services[*].title",
}
MAPPING = {
    "fields": {
        "external_id": "ID",
        "patient.name": "FIO",
        "patient.phones": "TEL",
        "start_date": "DATE",
        "start_time": "TIME",
        "doctor.name": "DOC",
        "services": "SERV",
    },
    "results": {
        "outcomes": {"confirmed": 2, "declined": 3, "*": 9},
        "fields": {"RESULT": "outcome"},
    },
}
READS = {
    "offset": (
        "api/offset",
        "$.data[*]",
        {"type": "offset", "param": "offset", "size_param": "limit", "size": 10},
    ),
    "page": (
        "api/pages",
        "$.items",
        {"type": "page", "param": "page", "size_param": "per_page", "size": 10, "start": 1},
    ),
    "cursor": (
        "api/cursor",
        "$.data",
        {"type": "cursor", "param": "cursor", "cursor": "$.meta.next_cursor"},
    ),
    "next_link": ("api/linked", "$.data[*]", {"type": "next_link", "next": "$.links.next"}),
}


def seed(fake: FakeRestMis, count: int = 25) -> None:
    for n in range(1, count + 1):
        fake.records.append(
            {
                "id": f"A{n}",
                "date": "2026-11-27",
                "time": f"{8 + n // 6:02d}:{(n % 6) * 10:02d}",
                "patient": {
                    "fio": "Иванов Иван",
                    "phones": [{"number": "+7 916 123-45-67"}, {"number": "8 (495) 765-43-21"}],
                },
                "doctor": {"name": "Петров П. П."},
                "services": [{"title": "ЭКГ"}, {"title": "Консультация"}],
            }
        )
    fake.records.append({**fake.records[0], "id": "LATER", "date": "2026-11-28"})


@pytest.fixture
def fake() -> FakeRestMis:
    return FakeRestMis()


@pytest.fixture
def base_url(fake: FakeRestMis) -> Iterator[str]:
    with serve(fake.app()) as url:
        yield url


def connector(
    base_url: str, auth: dict[str, Any], paging: str = "offset", **extra: Any
) -> RestConnector:
    url, items, page = READS[paging]
    read = {
        "url": url + "?from={start_date}&to={end_date}",
        "items": items,
        "columns": COLUMNS,
        "paging": page,
        **extra.pop("read", {}),
    }
    mis = MisConfig.model_validate(
        {
            "name": "rest-mis",
            "source": {
                "kind": "rest",
                "base_url": base_url + "/",
                "auth": auth,
                "read": read,
                "rate": 500,
                "burst": 20,
                **extra,
            },
            "mapping": extra.pop("mapping", MAPPING),
        }
    )
    conn = open_connector(mis)
    assert isinstance(conn, RestConnector)
    return conn


def window() -> Window:
    return Window(DAY, DAY + timedelta(days=1))


async def fetch(conn: RestConnector) -> list[Appointment | RowError]:
    async with conn:
        return [item async for item in conn.fetch(window())]


AUTHS = {
    "bearer": {"type": "bearer", "token": {"env": "MIS_TOKEN"}},
    "basic": {"type": "basic", "username": "robot", "password": {"env": "MIS_PASSWORD"}},
    "api_key_header": {"type": "api_key", "name": "X-Api-Key", "key": {"env": "MIS_KEY"}},
    "api_key_query": {
        "type": "api_key",
        "name": "api_key",
        "key": {"env": "MIS_KEY"},
        "where": "query",
    },
}


@pytest.fixture(autouse=True)
def secrets_env(fake: FakeRestMis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIS_TOKEN", fake.token)
    monkeypatch.setenv("MIS_PASSWORD", fake.password)
    monkeypatch.setenv("MIS_KEY", fake.api_key)


@pytest.mark.parametrize(
    ("paging", "auth"),
    [
        ("offset", "bearer"),
        ("page", "basic"),
        ("cursor", "api_key_header"),
        ("next_link", "api_key_query"),
    ],
)
async def test_every_paging_and_auth_reads_the_whole_window(
    fake: FakeRestMis, base_url: str, paging: str, auth: str
) -> None:
    seed(fake)
    fake.auth = auth
    items = await fetch(connector(base_url, AUTHS[auth], paging))
    appointments = [a for a in items if isinstance(a, Appointment)]
    assert [a.external_id for a in appointments] == [f"A{n}" for n in range(1, 26)]
    first = appointments[0]
    assert first.patient.phones == ("+79161234567", "+74957654321")
    assert first.services == ("ЭКГ", "Консультация")
    assert first.start == datetime(2026, 11, 27, 8, 10, tzinfo=MSK)
    assert len(fake.requests) >= 3


async def test_oauth2_refreshes_an_expired_token_and_stores_it(
    fake: FakeRestMis, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fake)
    fake.auth = "oauth2"
    store = tmp_path / "tokens.json"
    store.write_text(
        json.dumps({"access_token": "expired-token", "refresh_token": fake.refresh_token})
    )
    monkeypatch.setenv("MIS_CLIENT_SECRET", "cs-abcdef")
    auth = {
        "type": "oauth2",
        "token_url": base_url + "/oauth/token",
        "client_id": "dozvon",
        "client_secret": {"env": "MIS_CLIENT_SECRET"},
        "token_store": str(store),
    }
    items = await fetch(connector(base_url, auth))
    assert len([a for a in items if isinstance(a, Appointment)]) == 25
    saved = json.loads(store.read_text())
    assert saved["access_token"] == fake.token
    assert saved["refresh_token"] == fake.refresh_token  # the server did not rotate it: kept


async def test_write_back_fills_the_json_template_with_types(
    fake: FakeRestMis, base_url: str
) -> None:
    write = {
        "method": "PATCH",
        "url": "api/appointments/{appointment_id}/result",
        "body": {
            "status": "{RESULT}",
            "attempts": "{attempts_total}",
            "talk": "{talk_seconds}",
            "note": "Робот: {outcome_label}",
            "meta": {"channel": "{channel}", "fixed": True},
        },
    }
    conn = connector(base_url, AUTHS["bearer"], write=write)
    async with conn:
        await conn.write(
            OutcomeRecord("A 1&x", 3, Outcome.CONFIRMED, Evidence(talk_seconds=12.6), 3, DAY)
        )
    (stored,) = fake.results["A 1&x"]
    assert stored == {
        "method": "PATCH",
        "status": 2,
        "attempts": 3,
        "talk": 13,
        "note": "Робот: Подтвердил",
        "meta": {"channel": "voice", "fixed": True},
    }


async def test_a_repeated_post_is_recognised_by_its_idempotency_key(
    fake: FakeRestMis, base_url: str
) -> None:
    write = {
        "method": "POST",
        "url": "api/appointments/{appointment_id}/result",
        "body": {"r": "{RESULT}"},
    }
    conn = connector(base_url, AUTHS["bearer"], write=write)
    record = OutcomeRecord("A1", 1, Outcome.BUSY, Evidence(), 1, DAY)
    async with conn:
        await conn.write(record)
        await conn.write(record)
    assert fake.results["A1"] == [{"method": "POST", "r": 9}]


@pytest.mark.parametrize(
    ("mode", "paging", "message"),
    [
        ("html", "offset", "HTML-страница.*Ошибка 500"),
        ("broken_json", "offset", "ответ не JSON"),
        ("repeat", "offset", "зациклил"),
        ("repeat", "next_link", "зациклил"),
    ],
)
async def test_hostile_answers_are_clear_errors(
    fake: FakeRestMis, base_url: str, mode: str, paging: str, message: str
) -> None:
    seed(fake)
    fake.mode = mode
    with pytest.raises(MisError, match=f"rest-mis: GET http://127.0.0.1:\\d+/api/.*: .*{message}"):
        await fetch(connector(base_url, AUTHS["bearer"], paging))


async def test_wrong_types_become_row_errors(fake: FakeRestMis, base_url: str) -> None:
    seed(fake, 3)
    fake.mode = "wrong_types"
    items = await fetch(connector(base_url, AUTHS["bearer"]))
    assert [(e.row, e.field) for e in items if isinstance(e, RowError)] == [
        ("запись 1", "TEL"),
        ("запись 2", "TEL"),
        ("запись 3", "TEL"),
    ]


async def test_an_object_where_a_value_belongs_is_a_row_error(
    fake: FakeRestMis, base_url: str
) -> None:
    seed(fake, 2)
    columns = {**COLUMNS, "DOC": "$.doctor"}
    items = await fetch(connector(base_url, AUTHS["bearer"], read={"columns": columns}))
    errors = [e for e in items if isinstance(e, RowError)]
    assert len(errors) == 2 and errors[0].field == "DOC" and "dict" in errors[0].message


async def test_wrong_secret_names_system_and_masks_it(
    fake: FakeRestMis, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.auth = "api_key_query"
    monkeypatch.setenv("MIS_KEY", "wrong-key-555")
    with pytest.raises(MisError) as caught:
        await fetch(connector(base_url, AUTHS["api_key_query"]))
    assert "HTTP 401" in str(caught.value) and "api_key=***" in str(caught.value)
    assert "wrong-key-555" not in str(caught.value)


async def test_missing_items_path_is_an_error(fake: FakeRestMis, base_url: str) -> None:
    seed(fake, 2)
    with pytest.raises(MisError, match=r"нет записей по пути \$\.rows"):
        await fetch(connector(base_url, AUTHS["bearer"], read={"items": "$.rows[*]"}))


def test_unknown_template_names_fail_at_start(base_url: str) -> None:
    with pytest.raises(MisError, match="неизвестные поля tomorrow"):
        connector(base_url, AUTHS["bearer"], read={"url": "api/offset?d={tomorrow}"})
