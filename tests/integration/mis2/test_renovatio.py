"""Renovatio adapter against the FAKE public API (tests/fakes/renovatio.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dozvon.core.appointment import Appointment, AppointmentStatus
from dozvon.core.outcome import Evidence, Outcome
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig, open_connector
from dozvon.mis.renovatio import RenovatioConnector
from tests.fakes.renovatio import FakeRenovatio
from tests.fakes.server import serve

MSK = ZoneInfo("Europe/Moscow")
DAY = datetime(2026, 11, 27, tzinfo=MSK)
MAPPING = {
    "fields": {
        "external_id": "id",
        "patient.id": "patient_id",
        "patient.name": "patient_name",
        "patient.phones": "patient_phone",
        "start": "start",
        "doctor.name": "doctor",
        "services": "services",
        "status": {"column": "cancelled", "map": {"1": "cancelled", "0": "booked"}},
    }
}


def seed(fake: FakeRenovatio) -> None:
    def add(n: int, when: str, status: str = "upcoming", phone: str = "+79161234567") -> None:
        fake.appointments[n] = {
            "id": n,
            "patient_id": 500 + n,
            "patient_name": "Иванова Мария",
            "patient_phone": phone,
            "patient_birth_date": "01.02.1980",
            "doctor": "Петров Пётр Петрович",
            "doctor_id": 7,
            "time_start": when,
            "status": status,
            "is_first": 0,
            "services": [{"title": "Приём терапевта", "price": 1500, "count": 1}],
        }

    add(1, "27.11.2026 09:00")
    add(2, "27.11.2026 10:30", status="refused")
    add(3, "27.11.2026 11:00", status="completed")
    add(4, "28.11.2026 09:00")
    add(5, "27.11.2026 12:00", phone="")
    add(6, "27.11.2026 25:99")


@pytest.fixture
def fake() -> FakeRenovatio:
    return FakeRenovatio()


@pytest.fixture
def base_url(fake: FakeRenovatio, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("RNOVA_KEY", fake.api_key)
    with serve(fake.app()) as url:
        yield url + "/api/public/"


def connector(base_url: str, **source: Any) -> RenovatioConnector:
    mis = MisConfig.model_validate(
        {
            "name": "rnova",
            "source": {
                "kind": "renovatio",
                "base_url": base_url,
                "api_key": {"env": "RNOVA_KEY"},
                **source,
            },
            "mapping": MAPPING,
        }
    )
    conn = open_connector(mis)
    assert isinstance(conn, RenovatioConnector)
    return conn


async def fetch(conn: RenovatioConnector) -> list[Appointment | RowError]:
    async with conn:
        return [item async for item in conn.fetch(Window(DAY, DAY + timedelta(days=1)))]


async def test_reads_the_day_with_statuses_and_checks_times(
    fake: FakeRenovatio, base_url: str
) -> None:
    seed(fake)
    items = await fetch(connector(base_url))
    appointments = {a.external_id: a for a in items if isinstance(a, Appointment)}
    errors = {e.row: e.field for e in items if isinstance(e, RowError)}
    assert set(appointments) == {"1", "2"}
    assert appointments["1"].start == datetime(2026, 11, 27, 9, 0, tzinfo=MSK)
    assert appointments["1"].services == ("Приём терапевта",)
    assert appointments["2"].status is AppointmentStatus.CANCELLED
    assert errors == {"5": "patient_phone", "6": "time_start"}
    assert fake.calls[0] == (
        "getAppointments",
        {"date_from": "27.11.2026", "date_to": "27.11.2026", "show_patient_data": "1"},
    )


async def test_confirms_and_optionally_cancels(fake: FakeRenovatio, base_url: str) -> None:
    seed(fake)
    async with connector(base_url, cancel_on_decline=True) as conn:
        await conn.write(OutcomeRecord("1", 1, Outcome.CONFIRMED, Evidence(), 1, DAY))
        await conn.write(OutcomeRecord("4", 1, Outcome.DECLINED, Evidence(), 1, DAY))
        await conn.write(OutcomeRecord("3", 1, Outcome.NO_ANSWER, Evidence(), 1, DAY))
    assert fake.appointments[1]["is_confirmed"] == 1
    assert fake.appointments[4]["status"] == "refused"
    assert [m for m, _ in fake.calls] == ["confirmAppointment", "cancelAppointment"]


async def test_error_flag_with_status_200_is_an_error(
    fake: FakeRenovatio, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RNOVA_KEY", "stolen-and-wrong-key")
    with pytest.raises(
        MisError, match=r"rnova: POST .*getAppointments: Renovatio: ошибка 401 Неверный ключ"
    ) as caught:
        await fetch(connector(base_url))
    assert "stolen-and-wrong-key" not in str(caught.value)


async def test_unknown_appointment_is_an_error(fake: FakeRenovatio, base_url: str) -> None:
    async with connector(base_url) as conn:
        with pytest.raises(MisError, match="ошибка 404 Запись не найдена"):
            await conn.write(OutcomeRecord("999", 1, Outcome.CONFIRMED, Evidence(), 1, DAY))


@pytest.mark.parametrize(
    ("mode", "message"),
    [("html", "HTML-страница.*Технические работы"), ("broken_json", "ответ не JSON")],
)
async def test_hostile_answers_are_clear_errors(
    fake: FakeRenovatio, base_url: str, mode: str, message: str
) -> None:
    seed(fake)
    fake.mode = mode
    with pytest.raises(MisError, match=f"rnova: POST .*getAppointments: .*{message}"):
        await fetch(connector(base_url))


async def test_wrong_types_are_row_errors(fake: FakeRenovatio, base_url: str) -> None:
    seed(fake)
    fake.mode = "wrong_types"
    items = await fetch(connector(base_url))
    assert {(e.row, e.field) for e in items if isinstance(e, RowError)} >= {
        ("1", "services"),
        ("2", "services"),
    }
