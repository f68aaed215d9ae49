"""bundle_tasks: one task per first phone and local day; cancelled visits never called about."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from dozvon.core.appointment import Appointment, AppointmentStatus, Branch, Patient
from dozvon.core.task import bundle_tasks, patient_timezone, task_key
from tests.unit.core.strategies import ZONES

MOBILES = ("+79161234567", "+79031112233", "+79245556677")
LANDLINES = ("+74012123456", "+74232123456", "+74951234567")  # Kaliningrad, Vladivostok, Moscow
BASE = datetime(2026, 3, 2, tzinfo=UTC)


@st.composite
def appointments(draw: st.DrawFn) -> list[Appointment]:
    count = draw(st.integers(0, 12))
    result = []
    for index in range(count):
        phones = draw(st.lists(st.sampled_from(MOBILES + LANDLINES), max_size=2, unique=True))
        result.append(
            Appointment(
                external_id=f"A{index}",
                source="mis",
                patient=Patient("Пациент", tuple(phones)),
                start=BASE + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60))),
                branch=Branch(timezone=draw(st.sampled_from((None, *ZONES)))),
                status=draw(st.sampled_from(list(AppointmentStatus))),
            )
        )
    return result


@given(appointments())
def test_tasks_group_by_first_phone_and_local_day(visits: list[Appointment]) -> None:
    tasks = bundle_tasks(visits)
    for task in tasks:
        assert task.appointments
        for visit in task.appointments:
            assert visit.status is AppointmentStatus.BOOKED
            assert visit.patient.phones[0] == task.phones[0]
            zone = patient_timezone(visit)
            assert visit.start.astimezone(ZoneInfo(zone)).date() == task.day
            assert set(visit.patient.phones) <= set(task.phones)
        assert task.key == task_key(task.phones[0], task.day)
        assert len(set(task.phones)) == len(task.phones)
    keys = [task.key for task in tasks]
    assert len(keys) == len(set(keys))


@given(appointments())
def test_every_callable_visit_is_in_exactly_one_task(visits: list[Appointment]) -> None:
    bundled = [v.external_id for task in bundle_tasks(visits) for v in task.appointments]
    callable_ids = [
        v.external_id for v in visits if v.status is AppointmentStatus.BOOKED and v.patient.phones
    ]
    assert sorted(bundled) == sorted(callable_ids)


def visit(
    external_id: str, start: datetime, phone: str = "+79161234567", zone: str | None = None
) -> Appointment:
    return Appointment(
        external_id, "mis", Patient("П", (phone,)), start, branch=Branch(timezone=zone)
    )


def test_two_visits_on_one_day_make_one_task() -> None:
    morning = visit("1", datetime(2026, 3, 3, 6, 0, tzinfo=UTC))
    evening = visit("2", datetime(2026, 3, 3, 15, 0, tzinfo=UTC))
    [task] = bundle_tasks([evening, morning])
    assert [a.external_id for a in task.appointments] == ["1", "2"]
    assert task.key == "+79161234567/2026-03-03"


def test_the_day_is_local_to_the_patient() -> None:
    """23:30 UTC on the 2nd is already the 3rd in Vladivostok: a different task from the 2nd."""
    late = visit("1", datetime(2026, 3, 2, 23, 30, tzinfo=UTC), zone="Asia/Vladivostok")
    early = visit("2", datetime(2026, 3, 2, 1, 0, tzinfo=UTC), zone="Asia/Vladivostok")
    days = sorted(task.day for task in bundle_tasks([late, early]))
    assert days == [date(2026, 3, 2), date(2026, 3, 3)]


def test_kaliningrad_landline_uses_kaliningrad_time_in_summer() -> None:
    """libphonenumber files Kaliningrad under Europe/Bucharest, which keeps summer time."""
    [task] = bundle_tasks([visit("1", datetime(2026, 7, 1, 8, 0, tzinfo=UTC), "+74012123456")])
    assert task.timezone == "Europe/Kaliningrad"


def test_cancelled_and_phoneless_visits_are_left_out() -> None:
    cancelled = Appointment(
        "1", "mis", Patient("П", ("+79161234567",)), BASE, status=AppointmentStatus.CANCELLED
    )
    phoneless = Appointment("2", "mis", Patient("П", ()), BASE)
    assert bundle_tasks([cancelled, phoneless]) == []


def test_appointment_needs_an_aware_start_and_an_id() -> None:
    import pytest

    with pytest.raises(ValueError):
        Appointment("1", "mis", Patient("П", ()), datetime(2026, 3, 2, 9, 0))
    with pytest.raises(ValueError):
        Appointment("", "mis", Patient("П", ()), BASE)


def test_task_day_is_the_day_of_its_key_when_branches_differ_in_zone() -> None:
    """A mobile number has no zone of its own: each visit takes its branch's zone."""
    kaliningrad = visit("1", datetime(2026, 3, 3, 21, 30, tzinfo=UTC), zone="Europe/Kaliningrad")
    vladivostok = visit("2", datetime(2026, 3, 2, 14, 0, tzinfo=UTC), zone="Asia/Vladivostok")
    [task] = bundle_tasks([kaliningrad, vladivostok])
    assert task.day == date(2026, 3, 3)
    assert task.key == "+79161234567/2026-03-03"
