"""The declarative mapping: fields, value maps, dates and zones, phones, templates, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from dozvon.core.appointment import Appointment, AppointmentStatus
from dozvon.core.outcome import Evidence, Outcome
from dozvon.mis.base import OutcomeRecord, RowError
from dozvon.mis.mapping import Mapper, MappingConfig

BASE = {
    "external_id": "ID",
    "patient.name": {"template": "{FAM} {IM} {OT}"},
    "patient.phones": {"columns": ["TEL1", "TEL2"]},
    "start": {"column": "DT", "formats": ["%d.%m.%Y %H:%M"]},
    "doctor.name": "DOC",
    "services": {"column": "SRV", "split": ","},
    "status": {"column": "ST", "map": {"1": "booked", "0": "cancelled"}},
    "extra.cabinet": "CAB",
}
ROW = {
    "ID": 101.0,
    "FAM": "Иванова",
    "IM": "Анна",
    "OT": None,
    "TEL1": "8 (916) 123-45-67 доб. 12, 8-916-123-45-67",
    "TEL2": "+7 495 123 45 67",
    "DT": "27.11.2026 09:30",
    "DOC": "Петров П. П.",
    "SRV": "ЭКГ, консультация",
    "ST": 1,
    "CAB": "12",
}


def mapper(**overrides: object) -> Mapper:
    fields = dict(BASE)
    fields.update(overrides.pop("fields", {}))  # type: ignore[arg-type]
    return Mapper(MappingConfig.model_validate({"fields": fields, **overrides}), "test-mis")


def test_full_row_maps_every_field() -> None:
    [appt] = list(mapper().map_rows([(2, ROW)]))
    assert isinstance(appt, Appointment)
    assert appt.external_id == "101"
    assert appt.patient.name == "Иванова Анна"
    assert appt.patient.phones == ("+79161234567", "+74951234567")
    assert appt.start == datetime(2026, 11, 27, 9, 30, tzinfo=ZoneInfo("Europe/Moscow"))
    assert appt.start.astimezone(UTC).hour == 6
    assert appt.services == ("ЭКГ", "консультация")
    assert appt.status is AppointmentStatus.BOOKED
    assert appt.extra == {"cabinet": "12"}
    assert appt.source == "test-mis"


def test_naive_time_uses_the_clinic_zone() -> None:
    [appt] = list(mapper(timezone="Asia/Yekaterinburg").map_rows([(2, ROW)]))
    assert isinstance(appt, Appointment)
    assert appt.start.utcoffset().total_seconds() == 5 * 3600  # type: ignore[union-attr]


def test_separate_date_and_time_columns() -> None:
    fields = {k: v for k, v in BASE.items() if k != "start"}
    fields |= {"start_date": "D", "start_time": "T"}
    m = Mapper(MappingConfig.model_validate({"fields": fields}), "m")
    [appt] = list(m.map_rows([(1, {**ROW, "D": "2026-11-27", "T": "14:05"})]))
    assert isinstance(appt, Appointment)
    assert (appt.start.hour, appt.start.minute, appt.start.day) == (14, 5, 27)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"TEL1": "", "TEL2": None}, "TEL1, TEL2", "пустое"),
        ({"TEL1": "12-34", "TEL2": ""}, "TEL1, TEL2", "годного"),
        ({"DT": "32.13.2026 25:00"}, "DT", "разобрать"),
        ({"ST": 7}, "ST", "'7'"),
        ({"ID": None}, "ID", "пустое"),
    ],
)
def test_bad_field_is_a_row_error_naming_the_field(
    change: dict[str, object], field: str, words: str
) -> None:
    [err] = list(mapper().map_rows([(7, {**ROW, **change})]))
    assert isinstance(err, RowError)
    assert (err.source, err.row, err.field) == ("test-mis", 7, field)
    assert words in err.message


def test_several_bad_fields_give_several_errors_and_good_rows_survive() -> None:
    rows = [
        (2, ROW),
        (3, {**ROW, "ID": 102, "DT": "вчера", "TEL1": "", "TEL2": ""}),
        (4, {**ROW, "ID": 103}),
    ]
    out = list(mapper().map_rows(rows))
    assert [type(x).__name__ for x in out] == ["Appointment", "RowError", "RowError", "Appointment"]
    assert {e.field for e in out if isinstance(e, RowError)} == {"DT", "TEL1, TEL2"}


def test_duplicate_id_is_an_error_on_the_second_row() -> None:
    out = list(mapper().map_rows([(2, ROW), (3, ROW)]))
    assert isinstance(out[0], Appointment)
    assert isinstance(out[1], RowError)
    assert out[1].row == 3 and "строке 2" in out[1].message


def test_missing_columns_fail_once_not_per_row() -> None:
    rows = [(i, {"ID": i, "OTHER": 1}) for i in range(2, 50)]
    out = list(mapper().map_rows(rows))
    assert len(out) == 1 and isinstance(out[0], RowError)
    assert out[0].row is None and "DT" in (out[0].field or "")


def test_columns_match_case_insensitively() -> None:
    upper = {k.lower(): v for k, v in ROW.items()}
    [appt] = list(mapper().map_rows([(2, upper)]))
    assert isinstance(appt, Appointment)


def test_constants_and_defaults() -> None:
    m = mapper(
        fields={
            "branch.name": {"const": "Центральный"},
            "doctor.specialty": {"column": "SPEC", "default": "терапевт"},
        }
    )
    [appt] = list(m.map_rows([(2, {**ROW, "SPEC": " "})]))
    assert isinstance(appt, Appointment)
    assert appt.branch.name == "Центральный" and appt.doctor.specialty == "терапевт"


@pytest.mark.parametrize(
    "template",
    ["{FAM.__class__}", "{FAM[0]}", "{FAM!r}", "{FAM:>999999}", "{}"],
)
def test_unsafe_templates_are_refused(template: str) -> None:
    with pytest.raises(ValidationError):
        mapper(fields={"patient.name": {"template": template}})


def test_config_errors_are_explained() -> None:
    with pytest.raises(ValidationError, match="обязательные поля"):
        MappingConfig.model_validate({"fields": {"external_id": "ID"}})
    with pytest.raises(ValidationError, match="неизвестные поля"):
        MappingConfig.model_validate({"fields": {**BASE, "patient.nmae": "X"}})
    with pytest.raises(ValidationError, match="ровно один"):
        MappingConfig.model_validate(
            {"fields": {**BASE, "doctor.name": {"column": "A", "const": "B"}}}
        )
    with pytest.raises(ValidationError, match="часовой пояс"):
        MappingConfig.model_validate({"fields": BASE, "timezone": "Mars/Olympus"})
    with pytest.raises(ValidationError, match="нет значения для исходов"):
        MappingConfig.model_validate({"fields": BASE, "results": {"outcomes": {"confirmed": 2}}})


RECORD = OutcomeRecord(
    appointment_id="101",
    attempt=2,
    outcome=Outcome.BUSY,
    evidence=Evidence(sip_status=486, talk_seconds=0.4),
    attempts_total=2,
    finished_at=datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
)


def test_outbound_maps_outcome_and_local_time() -> None:
    m = mapper(
        results={
            "outcomes": {"confirmed": 2, "*": 9},
            "fields": {
                "RES": "outcome",
                "RES_TEXT": {"template": "Робот: {outcome_label}, попытка {attempt}"},
                "WHEN": {"value": "finished_at", "format": "%d.%m.%Y %H:%M"},
                "SRC": {"const": "dozvon"},
            },
        }
    )
    values = m.outbound(RECORD)
    assert values["outcome"] == 9 and values["RES"] == 9
    assert values["RES_TEXT"] == "Робот: Занято, попытка 2"
    assert values["WHEN"] == "26.11.2026 18:00"
    assert values["finished_at"] == datetime(2026, 11, 26, 18, 0)
    assert values["appointment_id"] == "101" and values["attempt"] == 2
    assert m.result_fields(RECORD) == {k: values[k] for k in ("RES", "RES_TEXT", "WHEN", "SRC")}


def test_history_is_read_back_through_the_outcome_map() -> None:
    m = mapper(
        fields={"history.last_result": "LAST", "history.attempts": "N"},
        results={"outcomes": {"confirmed": 2, "busy": 5, "*": 9}},
    )
    [appt] = list(m.map_rows([(2, {**ROW, "LAST": "5", "N": "2"})]))
    assert isinstance(appt, Appointment) and appt.history is not None
    assert (appt.history.last_result, appt.history.attempts) == ("busy", 2)
    [err] = list(m.map_rows([(3, {**ROW, "ID": 5, "LAST": "77", "N": 1})]))
    assert isinstance(err, RowError) and err.field == "LAST"


def test_ambiguous_reverse_map_needs_an_explicit_one() -> None:
    with pytest.raises(ValidationError, match="явно"):
        mapper(
            fields={"history.last_result": "LAST"},
            results={"outcomes": {"busy": 5, "no_answer": 5, "*": 9}},
        )
