"""1C OData connector against the documented-behaviour FAKE (tests/fakes/onec_odata.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dozvon.core.appointment import Appointment
from dozvon.core.outcome import Evidence, Outcome
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig, open_connector
from dozvon.mis.onec import OneCConnector
from tests.fakes.onec_odata import ROOT, FakeOneC
from tests.fakes.server import serve

MSK = ZoneInfo("Europe/Moscow")
DAY = datetime(2026, 11, 27, tzinfo=MSK)
DOCS = "Document_ЗаписьНаПрием"
MAPPING = {
    "fields": {
        "external_id": "ID",
        "patient.name": "FIO",
        "patient.phones": "TEL",
        "start": "DATE",
        "doctor.name": "DOC",
    },
    "results": {
        "outcomes": {"confirmed": "Подтвердил", "*": "НеДозвонились"},
        "fields": {"РезультатОбзвона": "outcome", "ПопытокОбзвона": "attempts_total"},
    },
}
COLUMNS = {
    "ID": "$.Ref_Key",
    "DATE": "$.Date",
    "FIO": "$.Пациент.Description",
    "TEL": "$.Пациент.Телефон",
    "DOC": "$.Врач",
}


def seed(fake: FakeOneC, count: int) -> list[str]:
    patient = str(uuid.uuid4())
    fake.sets["Catalog_Пациенты"] = {
        patient: {"Ref_Key": patient, "Description": "Иванов Иван", "Телефон": "8-916-123-45-67"}
    }
    docs: dict[str, dict[str, Any]] = {}
    keys = []
    for n in range(count):
        key = str(uuid.UUID(int=n + 1))
        keys.append(key)
        docs[key] = {
            "Ref_Key": key,
            "Date": (datetime(2026, 11, 27, 8, 0) + timedelta(minutes=3 * n)).isoformat(),
            "Posted": True,
            "Пациент_Key": patient,
            "Врач": "Петров П. П.",
            "РезультатОбзвона": "",
            "ПопытокОбзвона": 0,
        }
    late = str(uuid.UUID(int=10_000))
    docs[late] = {**docs[keys[0]], "Ref_Key": late, "Date": "2026-11-28T09:00:00"}
    fake.sets[DOCS] = docs
    return keys


@pytest.fixture
def fake() -> FakeOneC:
    return FakeOneC()


@pytest.fixture
def base_url(fake: FakeOneC, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ONEC_PASSWORD", fake.password)
    with serve(fake.app()) as url:
        yield url + ROOT


def connector(base_url: str, **source: Any) -> OneCConnector:
    mis = MisConfig.model_validate(
        {
            "name": "1c",
            "source": {
                "kind": "onec_odata",
                "base_url": base_url,
                "username": "Робот",
                "password": {"env": "ONEC_PASSWORD"},
                "entity": DOCS,
                "filter": "Posted eq true",
                "expand": ["Пациент"],
                "columns": COLUMNS,
                "page_size": 50,
                "rate": 500,
                **source,
            },
            "mapping": MAPPING,
        }
    )
    conn = open_connector(mis)
    assert isinstance(conn, OneCConnector)
    return conn


def window() -> Window:
    return Window(DAY, DAY + timedelta(days=1))


async def fetch(conn: OneCConnector) -> list[Appointment | RowError]:
    async with conn:
        return [item async for item in conn.fetch(window())]


async def test_reads_documents_of_the_day_in_pages_with_expanded_patient(
    fake: FakeOneC, base_url: str
) -> None:
    keys = seed(fake, 130)
    items = await fetch(connector(base_url))
    appointments = [a for a in items if isinstance(a, Appointment)]
    assert [a.external_id for a in appointments] == keys
    assert appointments[0].patient.phones == ("+79161234567",)
    assert appointments[0].start == datetime(2026, 11, 27, 8, 0, tzinfo=MSK)
    reads = [r for r in fake.requests if r.startswith("GET")]
    assert len(reads) == 3
    assert "datetime%272026-11-27T00%3A00%3A00%27" in reads[0]


async def test_writes_with_patch_by_guid(fake: FakeOneC, base_url: str) -> None:
    keys = seed(fake, 2)
    async with connector(base_url) as conn:
        await conn.write(OutcomeRecord(keys[1].upper(), 2, Outcome.CONFIRMED, Evidence(), 2, DAY))
    stored = fake.sets[DOCS][keys[1]]
    assert (stored["РезультатОбзвона"], stored["ПопытокОбзвона"]) == ("Подтвердил", 2)


async def test_a_key_that_is_not_a_guid_is_refused_before_sending(
    fake: FakeOneC, base_url: str
) -> None:
    seed(fake, 1)
    async with connector(base_url) as conn:
        with pytest.raises(MisError, match=r"1c: ключ записи 1С: .*не GUID"):
            await conn.write(OutcomeRecord("1') or (1 eq 1", 1, Outcome.BUSY, Evidence(), 1, DAY))
    assert not [r for r in fake.requests if r.startswith("PATCH")]


async def test_unknown_document_names_1c_message(fake: FakeOneC, base_url: str) -> None:
    seed(fake, 1)
    async with connector(base_url) as conn:
        with pytest.raises(
            MisError, match=r"1c: PATCH .*Document_.*guid.*HTTP 404: 1С: Не найден объект"
        ):
            await conn.write(OutcomeRecord(str(uuid.uuid4()), 1, Outcome.BUSY, Evidence(), 1, DAY))


async def test_metadata_check_names_what_exists(fake: FakeOneC, base_url: str) -> None:
    seed(fake, 1)
    with pytest.raises(
        MisError, match=r"нет набора 'Document_ЗаписьНаПриём'; похожие: Document_ЗаписьНаПрием"
    ):
        await fetch(connector(base_url, entity="Document_ЗаписьНаПриём"))
    with pytest.raises(MisError, match=r"нет полей ДатаПриема"):
        await fetch(connector(base_url, date_field="ДатаПриема"))


async def test_wrong_password_is_401_with_the_password_masked(
    fake: FakeOneC, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEC_PASSWORD", "неверный-пароль")
    with pytest.raises(MisError, match=r"1c: GET .*\$metadata: HTTP 401") as caught:
        await fetch(connector(base_url))
    assert "неверный-пароль" not in str(caught.value)


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("html", "HTML-страница.*Ошибка веб-сервера 1С"),
        ("broken_json", "ответ не JSON"),
        ("repeat", "зациклил"),
    ],
)
async def test_hostile_answers_are_clear_errors(
    fake: FakeOneC, base_url: str, mode: str, message: str
) -> None:
    seed(fake, 120)
    fake.mode = mode
    with pytest.raises(MisError, match=f"1c: GET .*Document_.*: .*{message}"):
        await fetch(connector(base_url))


async def test_records_without_the_mapped_fields_are_row_errors(
    fake: FakeOneC, base_url: str
) -> None:
    keys = seed(fake, 2)
    fake.sets[DOCS][keys[0]]["Пациент_Key"] = "00000000-0000-0000-0000-000000000000"
    items = await fetch(connector(base_url))
    errors = [e for e in items if isinstance(e, RowError)]
    assert [(e.row, e.field) for e in errors] == [(keys[0], "TEL")]
