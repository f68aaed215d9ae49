"""amoCRM connector against the documented-behaviour FAKE account (tests/fakes/amocrm.py)."""

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
from dozvon.mis.amocrm import AmoCrmConnector
from dozvon.mis.auth import FileTokenStore, TokenPair
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig, open_connector
from dozvon.mis.http import HttpRetry
from tests.fakes.amocrm import FakeAmoCrm
from tests.fakes.server import serve

MSK = ZoneInfo("Europe/Moscow")
DAY = datetime(2026, 11, 27, tzinfo=MSK)
PIPELINE, BOOKED, OTHER = 10, 142001, 142002
DATE_FIELD, RESULT_FIELD = 555, 777
MAPPING = {
    "fields": {
        "external_id": "id",
        "patient.name": "contact.name",
        "patient.phones": "contact.phones",
        "start": "visit_at",
        "doctor.name": "cf.556",
    },
    "results": {
        "outcomes": {"confirmed": "Подтвердил", "declined": "Отказался", "*": "Не дозвонились"},
        "fields": {f"cf.{RESULT_FIELD}": "outcome"},
    },
}


def lead(n: int, at: datetime, status: int = BOOKED, contact: int = 1) -> dict[str, Any]:
    return {
        "id": n,
        "name": f"Запись {n}",
        "price": 0,
        "pipeline_id": PIPELINE,
        "status_id": status,
        "contact_ids": [contact],
        "custom_fields_values": [
            {
                "field_id": DATE_FIELD,
                "field_name": "Визит",
                "values": [{"value": int(at.timestamp())}],
            },
            {"field_id": 556, "field_name": "Врач", "values": [{"value": "Петров П. П."}]},
        ],
    }


def seed(fake: FakeAmoCrm, count: int) -> None:
    fake.contacts[1] = {
        "id": 1,
        "name": "Иванов Иван",
        "custom_fields_values": [
            {
                "field_id": 1,
                "field_code": "PHONE",
                "values": [{"value": "+7 916 123-45-67", "enum_code": "MOB"}],
            }
        ],
    }
    for n in range(1, count + 1):
        fake.leads[n] = lead(n, DAY + timedelta(hours=8, minutes=n))
    fake.leads[900] = lead(900, DAY + timedelta(days=2))  # out of the window
    fake.leads[901] = lead(901, DAY + timedelta(hours=9), status=OTHER)  # other stage
    bad = lead(902, DAY + timedelta(hours=9))
    bad["custom_fields_values"][0]["values"] = [{"value": "завтра"}]
    fake.leads[902] = bad


@pytest.fixture
def fake() -> FakeAmoCrm:
    return FakeAmoCrm()


@pytest.fixture
def base_url(fake: FakeAmoCrm) -> Iterator[str]:
    with serve(fake.app()) as url:
        yield url


def oauth(
    fake: FakeAmoCrm, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    monkeypatch.setenv("AMO_SECRET", fake.client_secret)
    store = tmp_path / "amo-tokens.json"
    first = fake.issue()
    store.write_text(json.dumps({k: first[k] for k in ("access_token", "refresh_token")}))
    return {
        "type": "oauth2",
        "token_url": f"{base_url}/oauth2/access_token",
        "client_id": fake.client_id,
        "client_secret": {"env": "AMO_SECRET"},
        "token_store": str(store),
        "redirect_uri": "https://clinic.example/amo",
        "body": "json",
    }


def connector(base_url: str, auth: dict[str, Any], **source: Any) -> AmoCrmConnector:
    mis = MisConfig.model_validate(
        {
            "name": "amo",
            "source": {
                "kind": "amocrm",
                "base_url": base_url,
                "auth": auth,
                "pipeline_id": PIPELINE,
                "status_ids": [BOOKED],
                "date_field_id": DATE_FIELD,
                **source,
            },
            "mapping": MAPPING,
        }
    )
    conn = open_connector(mis)
    assert isinstance(conn, AmoCrmConnector)
    conn.http.retry = HttpRetry(attempts=4, base_delay=0.05, max_delay=0.3)
    return conn


def window() -> Window:
    return Window(DAY, DAY + timedelta(days=1))


async def fetch(conn: AmoCrmConnector) -> list[Appointment | RowError]:
    async with conn:
        return [item async for item in conn.fetch(window())]


async def test_reads_leads_of_the_stage_in_pages_and_checks_dates_here(
    fake: FakeAmoCrm, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fake, 260)
    items = await fetch(connector(base_url, oauth(fake, base_url, tmp_path, monkeypatch)))
    appointments = [a for a in items if isinstance(a, Appointment)]
    errors = [e for e in items if isinstance(e, RowError)]
    assert len(appointments) == 260
    assert fake.log.count("GET /api/v4/leads") == 2
    first = appointments[0]
    assert first.patient.phones == ("+79161234567",)
    assert first.patient.name == "Иванов Иван"
    assert first.doctor.name == "Петров П. П."
    assert first.start == DAY + timedelta(hours=8, minutes=1)
    assert {a.external_id for a in appointments}.isdisjoint({"900", "901"})
    assert [(e.row, e.field) for e in errors] == [("902", f"cf.{DATE_FIELD}")]


async def test_expired_token_is_refreshed_once_and_the_new_pair_is_stored_first(
    fake: FakeAmoCrm, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fake, 3)
    auth = oauth(fake, base_url, tmp_path, monkeypatch)
    old = json.loads(Path(auth["token_store"]).read_text())
    fake.expire_all()
    items = await fetch(connector(base_url, auth))
    assert len([a for a in items if isinstance(a, Appointment)]) == 3
    stored = json.loads(Path(auth["token_store"]).read_text())
    assert fake.refreshes == 1
    assert stored["refresh_token"] != old["refresh_token"]
    assert stored["refresh_token"] in fake.refresh_tokens  # the rotated one is live
    assert old["refresh_token"] not in fake.refresh_tokens  # the old one is spent
    assert stored["access_token"] in fake.access_tokens
    assert oct(Path(auth["token_store"]).stat().st_mode & 0o777) == "0o600"
    # A second connector started later uses the stored pair without refreshing again.
    await fetch(connector(base_url, auth))
    assert fake.refreshes == 1


async def test_revoked_refresh_token_is_a_clear_error_with_secrets_masked(
    fake: FakeAmoCrm, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = oauth(fake, base_url, tmp_path, monkeypatch)
    stored = json.loads(Path(auth["token_store"]).read_text())
    fake.expire_all()
    fake.refresh_tokens.clear()
    with pytest.raises(
        MisError, match=r"обновление токена отклонено .*HTTP 400.*повторная авторизация"
    ) as caught:
        await fetch(connector(base_url, auth))
    text = str(caught.value)
    assert stored["refresh_token"] not in text and fake.client_secret not in text


async def test_long_lived_token_and_rate_limit(
    fake: FakeAmoCrm, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our limiter keeps us under 7 req/s; 429s (quota spent elsewhere) are waited out."""
    seed(fake, 600)
    token = fake.issue()["access_token"]
    monkeypatch.setenv("AMO_TOKEN", token)
    conn = connector(base_url, {"type": "bearer", "token": {"env": "AMO_TOKEN"}}, rate=6)
    items = await fetch(conn)
    assert len([a for a in items if isinstance(a, Appointment)]) == 600
    assert fake.limited == 0  # six pages and contact look-ups, never over the limit
    fake.busy_for = 2
    assert len([a for a in await fetch(conn) if isinstance(a, Appointment)]) == 600
    assert fake.limited == 2


async def test_writes_fields_calls_and_notes_once(
    fake: FakeAmoCrm, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fake, 3)
    conn = connector(
        base_url,
        oauth(fake, base_url, tmp_path, monkeypatch),
        note="Робот: {outcome_label}",
        calls=True,
    )
    records = [
        OutcomeRecord("1", 1, Outcome.CONFIRMED, Evidence(talk_seconds=21.4), 1, DAY),
        OutcomeRecord("2", 1, Outcome.BUSY, Evidence(), 1, DAY),
    ]
    async with conn:
        await conn.write_many(records)
        await conn.write_many(records)
    values = {f["field_id"]: f["values"][0]["value"] for f in fake.leads[1]["custom_fields_values"]}
    assert values[RESULT_FIELD] == "Подтвердил"
    assert [(c["uniq"], c["call_status"], c["duration"]) for c in fake.calls] == [
        ("dozvon-1-1", 4, 21),
        ("dozvon-2-1", 7, 0),
    ]
    assert fake.calls[0]["phone"] == "+7 916 123-45-67"
    assert [n["params"]["text"] for n in fake.notes[1]] == ["Робот: Подтвердил [dozvon 1#1]"]
    assert len(fake.notes[2]) == 1


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("html", "HTML-страница.*Вход в amoCRM"),
        ("broken_json", "ответ не JSON"),
        ("repeat_next", "зациклил"),
    ],
)
async def test_hostile_answers_are_clear_errors(
    fake: FakeAmoCrm,
    base_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    message: str,
) -> None:
    seed(fake, 300)
    fake.mode = mode
    with pytest.raises(MisError, match=f"amo: GET http://.*/api/v4/leads.*: .*{message}"):
        await fetch(connector(base_url, oauth(fake, base_url, tmp_path, monkeypatch)))


def offline(mapping: dict[str, Any]) -> MisConfig:
    """A config that is never connected: for checks made when the connector is built."""
    return MisConfig.model_validate(
        {
            "name": "amo",
            "source": {
                "kind": "amocrm",
                "base_url": "https://x.amocrm.ru",
                "auth": {"type": "bearer", "token": {"env": "HOME"}},
                "pipeline_id": 1,
                "status_ids": [2],
                "date_field_id": 3,
            },
            "mapping": mapping,
        }
    )


def test_result_fields_must_name_custom_fields() -> None:
    with pytest.raises(MisError, match=r"cf\.<id поля>.*RESULT"):
        open_connector(offline({**MAPPING, "results": {"fields": {"RESULT": "outcome"}}}))


async def test_a_lead_without_an_optional_field_still_maps(
    fake: FakeAmoCrm, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """amoCRM leaves empty custom fields out of the answer: absent reads as empty."""
    seed(fake, 2)
    fake.leads[1]["custom_fields_values"] = fake.leads[1]["custom_fields_values"][:1]
    items = await fetch(connector(base_url, oauth(fake, base_url, tmp_path, monkeypatch)))
    appointments = {a.external_id: a for a in items if isinstance(a, Appointment)}
    assert appointments["1"].doctor.name == ""
    assert appointments["2"].doctor.name == "Петров П. П."


def test_a_mapping_naming_an_unknown_lead_column_fails_at_start() -> None:
    fields = {**MAPPING["fields"], "doctor.name": "doctor"}
    with pytest.raises(MisError, match=r"нет столбцов doctor; есть .*cf\.<id поля>"):
        open_connector(offline({**MAPPING, "fields": fields}))


async def test_a_new_token_that_cannot_be_stored_is_never_used(
    fake: FakeAmoCrm, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rotated pair is saved before use: if saving fails, no request carries the new token."""
    seed(fake, 1)
    auth = oauth(fake, base_url, tmp_path, monkeypatch)
    fake.expire_all()

    def full_disk(self: FileTokenStore, pair: TokenPair) -> None:
        raise MisError("диск заполнен")

    monkeypatch.setattr(FileTokenStore, "save", full_disk)
    with pytest.raises(MisError, match="диск заполнен"):
        await fetch(connector(base_url, auth))
    assert fake.refreshes == 1
    assert fake.log == []  # no request got past authorisation
