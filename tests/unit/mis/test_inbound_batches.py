"""Rows mapped a batch and a column at a time: order, errors in place, duplicates, caches."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dozvon.core.appointment import Appointment, Patient
from dozvon.mis.base import RowError
from dozvon.mis.inbound import BATCH, CACHE_SIZE, MIN_SAMPLE, RowBatch, batched
from dozvon.mis.mapping import Mapper, MappingConfig

MOSCOW = ZoneInfo("Europe/Moscow")
COLUMNS = ["id", "fio", "tel", "at", "doc"]
FIELDS = {
    "external_id": "id",
    "patient.name": "fio",
    "patient.phones": "tel",
    "start": {"column": "at", "formats": ["%d.%m.%Y %H:%M"]},
    "doctor.name": "doc",
}


def mapper() -> Mapper:
    return Mapper(MappingConfig.model_validate({"fields": FIELDS}), "batch-mis")


def row(number: int, *, tel: str | None = None, at: object = "27.11.2026 09:30") -> list[object]:
    phone = tel if tel is not None else f"8 916 {number:07d}"
    return [number, f"Пациент {number}", phone, at, "Петров П. П."]


def labelled(rows: list[list[object]]) -> list[tuple[int | str, list[object]]]:
    return [(index + 2, values) for index, values in enumerate(rows)]


def test_a_bad_row_in_a_batch_becomes_errors_in_its_place_and_the_rest_come_through() -> None:
    rows = [row(1), row(2, tel="нет", at="вчера"), row(3)]
    items = list(mapper().map_rows(labelled(rows), COLUMNS))
    assert [type(item) for item in items] == [Appointment, RowError, RowError, Appointment]
    phone_error, date_error = items[1], items[2]
    assert isinstance(phone_error, RowError) and isinstance(date_error, RowError)
    assert (phone_error.row, phone_error.field) == (3, "tel")
    assert (date_error.row, date_error.field) == (3, "at")
    assert "вчера" in date_error.message
    assert phone_error.raw == dict(zip(COLUMNS, rows[1], strict=True))


def test_positional_and_named_rows_map_to_the_same_appointments() -> None:
    rows = [row(n) for n in range(1, 6)]
    positional = list(mapper().map_rows(labelled(rows), COLUMNS))
    named = list(
        mapper().map_rows([(n, dict(zip(COLUMNS, r, strict=True))) for n, r in labelled(rows)])
    )
    assert positional == named
    assert [a.external_id for a in positional if isinstance(a, Appointment)] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]


def test_a_repeated_id_is_caught_within_a_batch_and_across_batches() -> None:
    rows = [row(n) for n in range(1, BATCH + 10)]
    rows.insert(3, row(2))  # same batch as the first 2
    rows.append(row(1))  # a later batch
    items = list(mapper().map_rows(labelled(rows), COLUMNS))
    errors = [item for item in items if isinstance(item, RowError)]
    assert [(e.row, "уже была в строке 3" in e.message) for e in errors] == [
        (5, True),
        (len(rows) + 1, False),
    ]
    assert "уже была в строке 2" in errors[1].message
    assert sum(isinstance(item, Appointment) for item in items) == BATCH + 9


def test_a_bad_value_seen_again_is_an_error_again() -> None:
    """The second bad date is answered from the field's cache; it must still fail its row."""
    rows = [row(1, at="31.02.2026 10:00"), row(2), row(3, at="31.02.2026 10:00")]
    items = list(mapper().map_rows(labelled(rows), COLUMNS))
    assert [item.row for item in items if isinstance(item, RowError)] == [2, 4]


def test_equal_instants_in_other_zones_keep_their_own_zone() -> None:
    """Aware times are not cached by value: 09:30 Moscow equals 06:30 UTC."""
    moscow = datetime(2026, 11, 27, 9, 30, tzinfo=MOSCOW)
    rows = [row(1, at=moscow), row(2, at=moscow.astimezone(UTC))]
    first, second = list(mapper().map_rows(labelled(rows), COLUMNS))
    assert isinstance(first, Appointment) and isinstance(second, Appointment)
    assert first.start.tzinfo is MOSCOW
    assert second.start.tzinfo is UTC


def test_naive_times_are_the_clinics_wall_clock() -> None:
    naive = datetime(2026, 11, 27, 9, 30)
    [appointment] = list(mapper().map_rows(labelled([row(1, at=naive)]), COLUMNS))
    assert isinstance(appointment, Appointment)
    assert appointment.start == naive.replace(tzinfo=MOSCOW)


def test_a_field_that_stops_caching_still_reports_its_problems() -> None:
    """Unique phones switch their field's cache off after a batch; a bad one later still fails."""
    rows = [row(n) for n in range(1, BATCH + MIN_SAMPLE)]
    rows.append(row(BATCH + MIN_SAMPLE, tel="12"))
    items = list(mapper().map_rows(labelled(rows), COLUMNS))
    [error] = [item for item in items if isinstance(item, RowError)]
    assert error.field == "tel"
    appointments = [item for item in items if isinstance(item, Appointment)]
    assert appointments[-1].patient.phones == (f"+7916{BATCH + MIN_SAMPLE - 1:07d}",)


def test_more_distinct_values_than_the_cache_holds_still_convert_right() -> None:
    start = datetime(2026, 11, 27, 8, 0)
    times = [start + timedelta(minutes=n) for n in range(CACHE_SIZE + 50)]
    rows = [row(n, at=f"{t:%d.%m.%Y %H:%M}") for n, t in enumerate(times, 1)]
    items = list(mapper().map_rows(labelled(rows), COLUMNS))
    assert [a.start for a in items if isinstance(a, Appointment)] == [
        t.replace(tzinfo=MOSCOW) for t in times
    ]


def test_batched_groups_pairs_and_keeps_errors_in_their_place() -> None:
    error = RowError("s", 3, None, "broken line")
    whole = RowBatch([10, 11], [["a"], ["b"]])
    items = list(batched([(1, ["x"]), (2, ["y"]), error, whole, (12, ["z"])]))
    assert items == [RowBatch([1, 2], [["x"], ["y"]]), error, whole, RowBatch([12], [["z"]])]


def test_batched_cuts_long_runs_into_batches() -> None:
    items = list(batched((n, [n]) for n in range(BATCH * 2 + 1)))
    assert [len(batch.rows) for batch in items if isinstance(batch, RowBatch)] == [BATCH, BATCH, 1]


def test_readonly_records_are_dataclasses_hashed_and_compared_by_value() -> None:
    one = Patient("Иванова Анна", ("+79161234567",))
    same = Patient("Иванова Анна", ("+79161234567",))
    assert one == same and hash(one) == hash(same)
    assert dataclasses.replace(one, name="Петрова") != one


def test_whole_columns_of_text_or_integers_read_as_one_value_at_a_time_would() -> None:
    """The C-level `map` taken for an all-text or all-integer column agrees with the per-value
    conversion that any other column takes (Excel's 101.0 is "101", a flag is "True")."""
    fields = {**FIELDS, "extra.code": "code"}
    config = MappingConfig.model_validate({"fields": fields})
    columns = [*COLUMNS, "code"]
    cases: list[list[object]] = [[" A1 ", "B2"], [7, 8], [101.0, 7], [True, 7], ["x", None]]
    for codes in cases:
        rows = [[*row(n), code] for n, code in enumerate(codes, 1)]
        batch = list(Mapper(config, "m").map_rows(labelled(rows), columns))
        single = [
            item
            for one_row in labelled(rows)
            for item in Mapper(config, "m").map_rows([one_row], columns)
        ]
        assert batch == single
    [first, second] = list(
        Mapper(config, "m").map_rows(labelled([[*row(1), 101.0], [*row(2), True]]), columns)
    )
    assert isinstance(first, Appointment) and isinstance(second, Appointment)
    assert (first.extra["code"], second.extra["code"]) == ("101", "True")
