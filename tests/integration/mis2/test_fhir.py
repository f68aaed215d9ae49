"""FHIR connector against a real FHIR server: Medplum's router with its in-memory repository."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from dozvon.core.appointment import Appointment
from dozvon.core.outcome import Evidence, Outcome
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig, open_connector
from dozvon.mis.fhir import FhirConnector
from tests.fakes.fhir_hostile import HostileFhir
from tests.fakes.server import serve

MSK = ZoneInfo("Europe/Moscow")
DAY = datetime(2026, 11, 27, tzinfo=MSK)

MAPPING = {
    "fields": {
        "external_id": "id",
        "patient.name": "patient_name",
        "patient.phones": "patient_phones",
        "start": "start",
        "doctor.name": "doctor_name",
        "doctor.specialty": "specialty",
        "services": "services",
        "branch.name": "location_name",
        "branch.address": "location_address",
        "branch.phone": "location_phone",
    },
    "results": {
        "fields": {
            "participant_status": {
                "value": "outcome",
                "map": {"confirmed": "accepted", "declined": "declined", "*": "needs-action"},
            },
            "comment": {"template": "Робот: {outcome_label}, попытка {attempt}"},
        }
    },
}


def connector(base_url: str, **source: Any) -> FhirConnector:
    mis = MisConfig.model_validate(
        {
            "name": "fhir-test",
            "source": {"kind": "fhir", "base_url": base_url, "page_size": 2, **source},
            "mapping": MAPPING,
        }
    )
    made = open_connector(mis)
    assert isinstance(made, FhirConnector)
    return made


def create(client: httpx.Client, resource: dict[str, Any]) -> str:
    response = client.post(f"{resource['resourceType']}", json=resource)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture(scope="module")
def seeded(fhir_base_url: str) -> dict[str, str]:
    """A tag per module run keeps searches to our own resources on the shared server."""
    tag = uuid.uuid4().hex[:8]
    with httpx.Client(base_url=fhir_base_url + "/") as client:
        doctor = create(
            client,
            {"resourceType": "Practitioner", "name": [{"family": "Петров", "given": ["Пётр"]}]},
        )
        place = create(
            client,
            {
                "resourceType": "Location",
                "name": f"Филиал {tag}",
                "address": {"text": "Москва, ул. Ленина, 1"},
                "telecom": [{"system": "phone", "value": "+74951234567"}],
            },
        )
        ivan = create(
            client,
            {
                "resourceType": "Patient",
                "name": [{"use": "official", "text": "Иванов Иван Иванович"}],
                "telecom": [
                    {"system": "phone", "value": "8 (495) 765-43-21", "use": "home"},
                    {"system": "phone", "value": "+7 916 123-45-67", "use": "mobile"},
                ],
            },
        )
        mute = create(client, {"resourceType": "Patient", "name": [{"text": "Без Телефона"}]})
        ids: dict[str, str] = {"tag": tag}

        def appointment(name: str, patient: str, hour: int, status: str = "booked") -> None:
            ids[name] = create(
                client,
                {
                    "resourceType": "Appointment",
                    "status": status,
                    "start": (DAY + timedelta(hours=hour)).isoformat(),
                    "end": (DAY + timedelta(hours=hour, minutes=30)).isoformat(),
                    "serviceType": [{"text": "Консультация"}, {"text": "ЭКГ"}],
                    "specialty": [{"text": "Кардиолог"}],
                    "participant": [
                        {"actor": {"reference": f"Patient/{patient}"}, "status": "needs-action"},
                        {"actor": {"reference": f"Practitioner/{doctor}"}, "status": "accepted"},
                        {"actor": {"reference": f"Location/{place}"}, "status": "accepted"},
                    ],
                },
            )

        for hour in (9, 10, 11, 12):
            appointment(f"a{hour}", ivan, hour)
        appointment("mute", mute, 13)
        appointment("cancelled", ivan, 14, status="cancelled")
        appointment("tomorrow", ivan, 24 + 9)
    return ids


def window() -> Window:
    return Window(DAY, DAY + timedelta(days=1))


async def fetch_all(conn: FhirConnector) -> list[Appointment | RowError]:
    return [item async for item in conn.fetch(window())]


async def test_reads_booked_appointments_across_pages_with_included_people(
    fhir_base_url: str, seeded: dict[str, str]
) -> None:
    conn = connector(fhir_base_url)
    async with conn:
        items = await fetch_all(conn)
    appointments = {a.external_id: a for a in items if isinstance(a, Appointment)}
    errors = [e for e in items if isinstance(e, RowError)]
    ours = {seeded[f"a{h}"] for h in (9, 10, 11, 12)}
    assert ours <= set(appointments)
    assert seeded["cancelled"] not in appointments
    assert seeded["tomorrow"] not in appointments
    first = appointments[seeded["a9"]]
    assert first.patient.name == "Иванов Иван Иванович"
    assert first.patient.phones == ("+79161234567", "+74957654321")  # mobile first
    assert first.doctor.name == "Петров Пётр"
    assert first.doctor.specialty == "Кардиолог"
    assert first.services == ("Консультация", "ЭКГ")
    assert first.branch.address == "Москва, ул. Ленина, 1"
    assert first.start == DAY + timedelta(hours=9)
    mute = [e for e in errors if e.row == seeded["mute"]]
    assert mute and mute[0].field == "patient_phones"


async def test_writes_participant_status_and_comment_with_if_match(
    fhir_base_url: str, seeded: dict[str, str]
) -> None:
    conn = connector(fhir_base_url)
    record = OutcomeRecord(seeded["a10"], 2, Outcome.CONFIRMED, Evidence(talk_seconds=12.0), 2, DAY)
    async with conn:
        await conn.write(record)
        await conn.write(record)  # idempotent: the same values again
    with httpx.Client(base_url=fhir_base_url + "/") as client:
        stored = client.get(f"Appointment/{seeded['a10']}").json()
    patient = next(p for p in stored["participant"] if "Patient/" in p["actor"]["reference"])
    assert patient["status"] == "accepted"
    assert stored["comment"] == "Робот: Подтвердил, попытка 2"
    assert stored["status"] == "booked"


async def test_a_concurrent_change_gives_412_and_the_write_retries(
    fhir_base_url: str, seeded: dict[str, str]
) -> None:
    """Someone edits the appointment between our read and our PUT: the real server says 412."""
    conn = connector(fhir_base_url)
    target = seeded["a11"]
    puts: list[int] = []

    async def meddle(request: httpx.Request) -> None:
        if request.method == "PUT" and not puts:
            with httpx.Client(base_url=fhir_base_url + "/") as other:
                current = other.get(f"Appointment/{target}").json()
                current["description"] = "изменено регистратурой"
                assert other.put(f"Appointment/{target}", json=current).status_code == 200

    async def count(response: httpx.Response) -> None:
        if response.request.method == "PUT":
            puts.append(response.status_code)

    async with conn:
        conn.http.client().event_hooks = {"request": [meddle], "response": [count]}
        await conn.write(OutcomeRecord(target, 1, Outcome.DECLINED, Evidence(), 1, DAY))
    assert puts == [412, 200]
    with httpx.Client(base_url=fhir_base_url + "/") as client:
        stored = client.get(f"Appointment/{target}").json()
    assert stored["description"] == "изменено регистратурой"
    patient = next(p for p in stored["participant"] if "Patient/" in p["actor"]["reference"])
    assert patient["status"] == "declined"


async def test_invalid_status_value_is_refused_before_sending(
    fhir_base_url: str, seeded: dict[str, str]
) -> None:
    mis = MisConfig.model_validate(
        {
            "name": "fhir-test",
            "source": {"kind": "fhir", "base_url": fhir_base_url},
            "mapping": {
                **MAPPING,
                "results": {"fields": {"status": {"value": "outcome", "map": {"*": "maybe"}}}},
            },
        }
    )
    conn = open_connector(mis)
    assert isinstance(conn, FhirConnector)
    async with conn:
        with pytest.raises(MisError, match=r"fhir-test: PUT .*Appointment/.*status"):
            await conn.write(OutcomeRecord(seeded["a12"], 1, Outcome.BUSY, Evidence(), 1, DAY))


async def test_unknown_appointment_names_system_and_request(fhir_base_url: str) -> None:
    conn = connector(fhir_base_url)
    async with conn:
        with pytest.raises(MisError, match=r"fhir-test: GET http://.*/Appointment/nope: HTTP 404"):
            await conn.write(OutcomeRecord("nope", 1, Outcome.BUSY, Evidence(), 1, DAY))


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("html", "HTML-страница.*Sign in"),
        ("broken", "ответ не JSON"),
        ("loop", "зациклил"),
        ("outcome", "ожидался Bundle, пришёл OperationOutcome"),
    ],
)
async def test_hostile_server_answers_are_clear_errors(mode: str, message: str) -> None:
    with serve(HostileFhir(mode).app()) as url:
        conn = connector(url + "/fhir")
        async with conn:
            with pytest.raises(
                MisError, match=f"fhir-test: GET http://.*/fhir/Appointment.*: .*{message}"
            ):
                await fetch_all(conn)


async def test_an_expired_token_is_reported_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FHIR_TOKEN", "eyJ-expired-token-123")
    with serve(HostileFhir("expired").app()) as url:
        conn = connector(url + "/fhir", auth={"type": "bearer", "token": {"env": "FHIR_TOKEN"}})
        async with conn:
            with pytest.raises(MisError, match=r"HTTP 401: .*Token expired") as caught:
                await fetch_all(conn)
    assert "eyJ-expired-token-123" not in str(caught.value)


async def test_resources_of_wrong_types_are_row_errors() -> None:
    with serve(HostileFhir("wrong_types").app()) as url:
        conn = connector(url + "/fhir")
        async with conn:
            items = await fetch_all(conn)
    assert [(e.row, e.field) for e in items if isinstance(e, RowError)] == [
        ("w1", "Appointment"),
        ("w2", "Appointment"),
    ]


async def test_an_appointment_without_a_practitioner_still_maps(
    fhir_base_url: str,
) -> None:
    with httpx.Client(base_url=fhir_base_url + "/") as client:
        patient = create(
            client,
            {
                "resourceType": "Patient",
                "name": [{"text": "Одинокий Пациент"}],
                "telecom": [{"system": "phone", "value": "+79161230000"}],
            },
        )
        lone = create(
            client,
            {
                "resourceType": "Appointment",
                "status": "booked",
                "start": "2027-01-11T09:00:00+03:00",
                "participant": [
                    {"actor": {"reference": f"Patient/{patient}"}, "status": "needs-action"}
                ],
            },
        )
    day = datetime(2027, 1, 11, tzinfo=MSK)
    conn = connector(fhir_base_url)
    async with conn:
        items = [i async for i in conn.fetch(Window(day, day + timedelta(days=1)))]
    (only,) = items
    assert isinstance(only, Appointment) and only.external_id == lone and only.doctor.name == ""


def test_a_mapping_naming_an_unknown_fhir_column_fails_at_start(fhir_base_url: str) -> None:
    mis = MisConfig.model_validate(
        {
            "name": "fhir-test",
            "source": {"kind": "fhir", "base_url": fhir_base_url},
            "mapping": {**MAPPING, "fields": {**MAPPING["fields"], "doctor.name": "practitioner"}},
        }
    )
    with pytest.raises(MisError, match="нет столбцов: practitioner"):
        open_connector(mis)
