"""Bitrix24 connector against the documented-behaviour FAKE portal (tests/fakes/bitrix24.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dozvon.core.appointment import Appointment
from dozvon.core.outcome import Evidence, Outcome
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.bitrix24 import Bitrix24Connector, php_query
from dozvon.mis.config import MisConfig, open_connector
from dozvon.mis.http import HttpRetry
from tests.fakes.bitrix24 import FakeBitrix24, parse_php_query
from tests.fakes.server import serve

MSK = ZoneInfo("Europe/Moscow")
DAY = datetime(2026, 11, 27, tzinfo=MSK)
MAPPING = {
    "fields": {
        "external_id": "id",
        "patient.name": "contact.name",
        "patient.phones": "contact.phones",
        "start": {"column": "ufCrm5VisitAt", "formats": ["%Y-%m-%dT%H:%M:%S%z"]},
        "doctor.name": "ufCrm5Doctor",
    },
    "results": {
        "outcomes": {"confirmed": 41, "declined": 42, "*": 49},
        "fields": {"ufCrm5CallResult": "outcome", "ufCrm5Attempts": "attempts_total"},
    },
}


def seed(fake: FakeBitrix24, count: int) -> None:
    fake.contacts[1] = {
        "ID": "1",
        "NAME": "Иван",
        "LAST_NAME": "Иванов",
        "PHONE": [{"VALUE": "8 (916) 123-45-67", "VALUE_TYPE": "MOBILE"}],
    }
    fake.contacts[2] = {"ID": "2", "NAME": "Без", "LAST_NAME": "Номера", "PHONE": []}
    for n in range(1, count + 1):
        at = DAY + timedelta(hours=8, minutes=5 * n)
        fake.items[n] = {
            "id": n,
            "title": f"Запись {n}",
            "contactId": 1,
            "ufCrm5VisitAt": at.isoformat(),
            "ufCrm5Doctor": "Петров П. П.",
            "ufCrm5CallResult": None,
        }
    later = (DAY + timedelta(days=1, hours=9)).isoformat()
    fake.items[1000] = {**fake.items[1], "id": 1000, "ufCrm5VisitAt": later}
    fake.items[1001] = {**fake.items[1], "id": 1001, "contactId": 2}
    fake.items[1002] = {**fake.items[1], "id": 1002, "ufCrm5Doctor": {"name": "объект"}}


@pytest.fixture
def fake() -> FakeBitrix24:
    return FakeBitrix24()


@pytest.fixture
def base_url(fake: FakeBitrix24) -> Iterator[str]:
    with serve(fake.app()) as url:
        yield url


def connector(
    base_url: str, monkeypatch: pytest.MonkeyPatch, secret: str = "s3cr3tw3bh00k", **source: Any
) -> Bitrix24Connector:
    monkeypatch.setenv("B24_WEBHOOK", f"{base_url}/rest/7/{secret}/")
    mis = MisConfig.model_validate(
        {
            "name": "b24",
            "source": {
                "kind": "bitrix24",
                "webhook": {"env": "B24_WEBHOOK"},
                "date_field": "ufCrm5VisitAt",
                "rate": 200,
                "burst": 10,
                "comment": "Робот: {outcome_label}",
                **source,
            },
            "mapping": MAPPING,
        }
    )
    conn = open_connector(mis)
    assert isinstance(conn, Bitrix24Connector)
    conn.http.retry = HttpRetry(attempts=4, base_delay=0.05, max_delay=0.2)
    return conn


def window() -> Window:
    return Window(DAY, DAY + timedelta(days=1))


async def fetch(conn: Bitrix24Connector) -> list[Appointment | RowError]:
    async with conn:
        return [item async for item in conn.fetch(window())]


def record(n: int, attempt: int = 1, outcome: Outcome = Outcome.CONFIRMED) -> OutcomeRecord:
    return OutcomeRecord(str(n), attempt, outcome, Evidence(), attempt, DAY)


def test_php_query_round_trips_nested_fields() -> None:
    params = {"entityTypeId": 2, "id": 5, "fields": {"ufCrm1": "Да & нет", "list": [1, 2]}}
    assert parse_php_query(php_query(params)) == {
        "entityTypeId": "2",
        "id": "5",
        "fields": {"ufCrm1": "Да & нет", "list": {"0": "1", "1": "2"}},
    }


async def test_reads_items_in_pages_of_50_with_contact_phones(
    fake: FakeBitrix24, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fake, 120)
    items = await fetch(connector(base_url, monkeypatch))
    appointments = [a for a in items if isinstance(a, Appointment)]
    errors = {e.row: e for e in items if isinstance(e, RowError)}
    assert len(appointments) == 120
    assert fake.calls.count("crm.item.list") == 3
    assert fake.calls.count("crm.contact.list") == 3
    first = appointments[0]
    assert (first.external_id, first.patient.name) == ("1", "Иванов Иван")
    assert first.patient.phones == ("+79161234567",)
    assert first.start == DAY + timedelta(hours=8, minutes=5)
    assert "1000" not in {a.external_id for a in appointments}  # outside the window
    assert errors["1001"].field == "contact.phones"
    assert errors["1002"].field == "ufCrm5Doctor" and "dict" in errors["1002"].message


async def test_writes_in_batches_of_50_and_twice_changes_nothing(
    fake: FakeBitrix24, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fake, 60)
    conn = connector(base_url, monkeypatch)
    records = [record(n) for n in range(1, 61)]
    async with conn:
        await conn.write_many(records)
        await conn.write_many(records)
        await conn.write(record(3, attempt=2, outcome=Outcome.DECLINED))
    assert max(fake.batch_sizes) == 50
    assert fake.items[1]["ufCrm5CallResult"] == "41"
    assert fake.items[3]["ufCrm5CallResult"] == "42"
    assert fake.items[3]["ufCrm5Attempts"] == "2"
    mine = [c for c in fake.comments if c["ENTITY_ID"] == "3"]
    assert [c["COMMENT"] for c in mine] == [
        "Робот: Подтвердил [dozvon 3#1]",
        "Робот: Отказался [dozvon 3#2]",
    ]
    assert len(fake.comments) == 61
    assert all(c["ENTITY_TYPE"] == "deal" for c in fake.comments)


async def test_query_limit_exceeded_is_waited_out(
    fake: FakeBitrix24, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another integration on the same webhook has spent the bucket: we wait and go on."""
    seed(fake, 120)
    fake.busy_for = 3
    items = await fetch(connector(base_url, monkeypatch))
    assert fake.refused == 3
    assert len([a for a in items if isinstance(a, Appointment)]) == 120


async def test_a_limit_that_never_clears_fails_naming_the_code(
    fake: FakeBitrix24, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.bucket = 0
    expected = r"b24: POST .*/rest/7/\*\*\*/crm\.item\.list: .*HTTP 503.*QUERY_LIMIT"
    with pytest.raises(MisError, match=expected):
        await fetch(connector(base_url, monkeypatch))


async def test_wrong_secret_is_reported_with_the_secret_masked(
    fake: FakeBitrix24, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(MisError) as caught:
        await fetch(connector(base_url, monkeypatch, secret="WRONGsecret42"))
    text = str(caught.value)
    assert "INVALID_CREDENTIALS" in text and "HTTP 401" in text
    assert "WRONGsecret42" not in text and "/rest/7/***/" in text


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("html", "HTML-страница.*502 Bad Gateway"),
        ("broken_json", "ответ не JSON"),
        ("repeat_page", "зациклил"),
    ],
)
async def test_hostile_answers_are_clear_errors(
    fake: FakeBitrix24, base_url: str, monkeypatch: pytest.MonkeyPatch, mode: str, message: str
) -> None:
    seed(fake, 60)
    fake.mode = mode
    with pytest.raises(MisError, match=f"b24: POST .*crm.item.list: .*{message}"):
        await fetch(connector(base_url, monkeypatch))


async def test_unknown_item_fails_the_batch_with_the_command(
    fake: FakeBitrix24, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fake, 1)
    conn = connector(base_url, monkeypatch)
    async with conn:
        with pytest.raises(MisError, match=r"batch: команда u0 \(crm\.item\.update\): NOT_FOUND"):
            await conn.write(record(999))


def test_webhook_must_look_like_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("B24_WEBHOOK", "https://portal.example/api/")
    with pytest.raises(MisError, match="webhook Bitrix24 должен быть вида"):
        open_connector(
            MisConfig.model_validate(
                {
                    "name": "b24",
                    "source": {
                        "kind": "bitrix24",
                        "webhook": {"env": "B24_WEBHOOK"},
                        "date_field": "x",
                    },
                    "mapping": MAPPING,
                }
            )
        )


async def test_smart_process_comments_go_to_its_dynamic_timeline(
    fake: FakeBitrix24, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fake, 1)
    conn = connector(base_url, monkeypatch, entity_type_id=156)
    async with conn:
        await conn.write(record(1))
    (comment,) = fake.comments
    assert comment["ENTITY_TYPE"] == "dynamic_156"
