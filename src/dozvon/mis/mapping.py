"""The declarative mapping: MIS records into `Appointment`, and our outcomes into MIS values.

Every connector (SQL, ODBC, files, tunnels, REST, ...) produces plain row dicts and hands them
here, so a clinic describes its fields once, in the config, whatever the transport:

    mapping:
      timezone: Europe/Moscow          # naive MIS times are wall-clock time in this zone
      fields:                          # ours: theirs
        external_id: ID
        patient.name: {template: "{FAM} {IM} {OT}"}
        patient.phones: {columns: [TEL_MOB, TEL_HOME]}
        start: {column: DATA_PRIEMA, formats: ["%d.%m.%Y %H:%M"]}
        status: {column: STATUS, map: {"1": booked, "0": cancelled}}
        extra.cabinet: KABINET
      results:
        outcomes: {confirmed: 2, declined: 3, "*": 9}
        fields:                        # theirs: ours
          RESULT: outcome
          ATTEMPTS: attempts_total
          NOTE: {template: "Робот: {outcome_label}"}

`Mapper` is the compiled form; it is what connectors call.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dozvon.core.appointment import (
    Appointment,
    AppointmentStatus,
    Branch,
    Doctor,
    MisHistory,
    Patient,
)
from dozvon.core.outcome import Outcome
from dozvon.core.phone import split_phones
from dozvon.mis.base import OutcomeRecord, RowError
from dozvon.mis.values import (
    DEFAULT_DATE_FORMATS,
    DEFAULT_DATETIME_FORMATS,
    DEFAULT_TIME_FORMATS,
    SafeTemplate,
    ValueProblem,
    as_bool,
    as_date,
    as_datetime,
    as_int,
    as_text,
    as_time,
)

Row = Mapping[str, Any]

INBOUND_TARGETS: frozenset[str] = frozenset(
    {
        "external_id",
        "patient.id",
        "patient.name",
        "patient.phones",
        "patient.marketing_consent",
        "patient.robot_call_consent",
        "start",
        "start_date",
        "start_time",
        "doctor.name",
        "doctor.specialty",
        "services",
        "branch.name",
        "branch.address",
        "branch.phone",
        "branch.timezone",
        "status",
        "history.last_result",
        "history.attempts",
        "history.last_attempt_at",
    }
)
"""Our side of an inbound mapping; `extra.<name>` keys are accepted too (message variables)."""

OUTCOME_LABELS_RU: dict[Outcome, str] = {
    Outcome.CONFIRMED: "Подтвердил",
    Outcome.DECLINED: "Отказался",
    Outcome.RESCHEDULE_REQUESTED: "Просит перенести",
    Outcome.WRONG_PERSON: "Не тот человек",
    Outcome.MESSAGE_LEFT: "Оставлено сообщение",
    Outcome.ANSWERING_MACHINE: "Автоответчик",
    Outcome.NO_ANSWER: "Не отвечает",
    Outcome.BUSY: "Занято",
    Outcome.INVALID_NUMBER: "Неверный номер",
    Outcome.REJECTED: "Сброшен",
    Outcome.NETWORK_ERROR: "Ошибка связи",
    Outcome.HUNG_UP: "Положил трубку",
    Outcome.UNCERTAIN: "Ответ неясен",
    Outcome.OPTED_OUT: "Отказ от звонков",
    Outcome.CALLBACK_REQUESTED: "Просит перезвонить",
}

OUTBOUND_VALUES: frozenset[str] = frozenset(
    {
        "appointment_id",
        "attempt",
        "attempts_total",
        "outcome",
        "outcome_code",
        "outcome_label",
        "finished_at",
        "talk_seconds",
        "ring_seconds",
        "sip_status",
        "digits",
        "channel",
    }
)
"""What an outbound field may name; every one is also bound as a `:param` in SQL write-back."""

ANY_OUTCOME = "*"
_REQUIRED = frozenset({"external_id", "patient.phones", "start", "start_date", "start_time"})
_ABSENT = object()
"""An empty optional MIS value: the field keeps our default."""
CACHE_SIZE = 4096
"""Distinct texts remembered per field: a worklist repeats its times, doctors and services."""


class Conversion(NamedTuple):
    """A field's conversion: of any raw value, and of stripped non-empty text (None: kept)."""

    any_value: Callable[[object], object]
    from_text: Callable[[str], object] | None


_EMPTY_BRANCH = Branch()
_doctor = functools.lru_cache(maxsize=CACHE_SIZE)(Doctor)
_branch = functools.lru_cache(maxsize=CACHE_SIZE)(Branch)
"""Frozen, so rows may share them: one Doctor per doctor instead of one per visit."""


class FieldSpec(BaseModel):
    """One inbound field: where its value comes from, then how it is translated.

    Exactly one source: `column`, `columns` (joined with "; ", for phones spread over several
    columns), `const`, or `template` (`{COLUMN}` placeholders only).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str | None = None
    columns: list[str] | None = None
    const: str | int | float | bool | None = None
    template: str | None = None
    map: dict[str, str] | None = None
    """MIS value (as text) → our value; a value outside the map is an error unless `otherwise`."""
    otherwise: str | None = None
    default: str | None = None
    """Used when the MIS value is empty."""
    formats: list[str] | None = None
    """strptime formats for dates and times, tried in order (ISO is always accepted)."""
    split: str | None = None
    """Separator for list fields (`services`)."""

    @model_validator(mode="before")
    @classmethod
    def _column_shorthand(cls, data: object) -> object:
        return {"column": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        given = [
            name
            for name in ("column", "columns", "const", "template")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "укажите ровно один источник: column, columns, const или template "
                f"(указано: {', '.join(given) or 'ничего'})"
            )
        if self.template is not None:
            SafeTemplate(self.template)
        return self

    @property
    def mis_columns(self) -> tuple[str, ...]:
        if self.column is not None:
            return (self.column,)
        if self.columns is not None:
            return tuple(self.columns)
        if self.template is not None:
            return SafeTemplate(self.template).names
        return ()

    @property
    def label(self) -> str:
        """How an error names this field: the MIS column the admin knows."""
        return ", ".join(self.mis_columns) or "const"


class OutFieldSpec(BaseModel):
    """One outbound value: one of ours (`value`, maybe re-mapped), a constant, or a template."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str | None = None
    const: str | int | float | bool | None = None
    template: str | None = None
    map: dict[str, str | int] | None = None
    format: str | None = None
    """strftime format for `finished_at`; without it the MIS gets a naive local datetime."""

    @model_validator(mode="before")
    @classmethod
    def _value_shorthand(cls, data: object) -> object:
        return {"value": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_source(self) -> OutFieldSpec:
        given = [n for n in ("value", "const", "template") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("укажите ровно один источник: value, const или template")
        if self.value is not None and self.value not in OUTBOUND_VALUES:
            raise ValueError(
                f"неизвестное значение {self.value!r}; "
                f"доступны: {', '.join(sorted(OUTBOUND_VALUES))}"
            )
        if self.template is not None:
            unknown = set(SafeTemplate(self.template).names) - OUTBOUND_VALUES
            if unknown:
                raise ValueError(f"в шаблоне неизвестные поля: {', '.join(sorted(unknown))}")
        return self


class ResultsMapping(BaseModel):
    """Our outcome into MIS values: the value map and the named fields a sink writes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    outcomes: dict[str, str | int] | None = None
    """Our outcome code → the MIS's value; "*" catches every outcome not listed."""
    fields: dict[str, OutFieldSpec] = Field(default_factory=dict)
    """MIS field (a column, or a `:param` of the write-back statement) → what goes into it."""
    datetime_format: str | None = None
    """Applied to `finished_at` (and bound params) when the MIS stores times as text."""

    @field_validator("outcomes")
    @classmethod
    def _known_outcomes(cls, value: dict[str, str | int] | None) -> dict[str, str | int] | None:
        if value is None:
            return None
        known = {o.value for o in Outcome} | {ANY_OUTCOME}
        unknown = set(value) - known
        if unknown:
            raise ValueError(
                f"неизвестные исходы: {', '.join(sorted(unknown))}; "
                f"доступны: {', '.join(sorted(known))}"
            )
        missing = {o.value for o in Outcome} - set(value)
        if missing and ANY_OUTCOME not in value:
            raise ValueError(
                f'нет значения для исходов {", ".join(sorted(missing))}: добавьте их или "*"'
            )
        return value


class MappingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "Europe/Moscow"
    """The clinic's zone: naive MIS times are read as, and written in, this wall-clock time."""
    phone_region: str = "RU"
    fields: dict[str, FieldSpec]
    results: ResultsMapping = Field(default_factory=ResultsMapping)
    datetime_formats: list[str] = Field(default_factory=lambda: list(DEFAULT_DATETIME_FORMATS))
    date_formats: list[str] = Field(default_factory=lambda: list(DEFAULT_DATE_FORMATS))
    time_formats: list[str] = Field(default_factory=lambda: list(DEFAULT_TIME_FORMATS))
    services_separator: str = ";"

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"неизвестный часовой пояс {value!r}") from None
        return value

    @field_validator("fields")
    @classmethod
    def _known_targets(cls, value: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        unknown = [k for k in value if k not in INBOUND_TARGETS and not k.startswith("extra.")]
        if unknown:
            raise ValueError(
                f"неизвестные поля: {', '.join(unknown)}; доступны: "
                f"{', '.join(sorted(INBOUND_TARGETS))} и extra.<имя>"
            )
        missing = [k for k in ("external_id", "patient.phones") if k not in value]
        if "start" not in value and not {"start_date", "start_time"} <= set(value):
            missing.append("start (или start_date и start_time)")
        if missing:
            raise ValueError(f"обязательные поля не заданы: {', '.join(missing)}")
        return value

    @model_validator(mode="after")
    def _history_map_is_unambiguous(self) -> MappingConfig:
        spec = self.fields.get("history.last_result")
        if spec is not None and spec.map is None and self.results.outcomes:
            _reverse_outcomes(self.results.outcomes)
        return self

    @property
    def mis_columns(self) -> frozenset[str]:
        """Every MIS column the inbound side reads (constants need none)."""
        return frozenset(c for spec in self.fields.values() for c in spec.mis_columns)


def _reverse_outcomes(outcomes: Mapping[str, str | int]) -> dict[str, str]:
    """Read back the MIS's own result codes (selection mode "all") through the write-back map."""
    reverse: dict[str, str] = {}
    for ours, theirs in outcomes.items():
        if ours == ANY_OUTCOME:
            continue
        key = as_text(theirs)
        if key in reverse:
            raise ValueError(
                f"history.last_result: значение МИС {key!r} означает и {reverse[key]}, и {ours}; "
                "задайте map для history.last_result явно"
            )
        reverse[key] = ours
    return reverse


class Mapper:
    """A `MappingConfig` compiled for one source: `map_rows` for rows in, `outbound` for results.

    Column names are matched case-insensitively (Firebird and Oracle upper-case them) once
    the first row or the cursor description is known (`bind_columns`). Binding compiles every
    field into one extractor closure, so the per-row loop reads no config (100k-row worklists:
    docs/performance.md, "MIS sync").
    """

    def __init__(self, config: MappingConfig, source: str) -> None:
        self.config = config
        self.source = source
        self.zone = ZoneInfo(config.timezone)
        self._templates = {
            target: SafeTemplate(spec.template)
            for target, spec in config.fields.items()
            if spec.template is not None
        }
        self._out_templates = {
            name: SafeTemplate(spec.template)
            for name, spec in config.results.fields.items()
            if spec.template is not None
        }
        self._history_map: dict[str, str] | None = None
        history = config.fields.get("history.last_result")
        if history is not None and history.map is None and config.results.outcomes:
            self._history_map = _reverse_outcomes(config.results.outcomes)
        targets = set(config.fields)
        self._has_history = any(t.startswith("history.") for t in targets)
        self._has_branch = any(t.startswith("branch.") for t in targets)
        self._extra = [(t, t[len("extra.") :]) for t in config.fields if t.startswith("extra.")]
        self._converts = {
            target: self._converter(target, spec) for target, spec in config.fields.items()
        }
        self._fields: list[tuple[str, str, Callable[[Row], object]]] = []
        self._compile({})

    def _converter(self, target: str, spec: FieldSpec) -> Conversion:
        """Raw MIS value → ours, value map first; the text path is memoized, being pure.

        Only text is a safe cache key: equal datetimes in different zones would share a result.
        """
        convert = self._conversions().get(target, _text)
        table = spec.map if spec.map is not None else None
        if table is None and target == "history.last_result" and self._history_map:
            table = self._history_map
        if table is not None:
            translate, after = _translator(table, spec.otherwise), convert

            def convert(raw: object, spec: FieldSpec = spec) -> object:
                return after(translate(raw), spec)

        def any_value(raw: object) -> object:
            return convert(raw, spec)

        if convert is _text:
            return Conversion(any_value, None)
        return Conversion(any_value, functools.lru_cache(maxsize=CACHE_SIZE)(any_value))

    def _conversions(self) -> dict[str, Callable[[Any, FieldSpec], Any]]:
        """Per target, the conversion after mapping; every other target is plain text."""
        return {
            "patient.phones": self._phones,
            "patient.marketing_consent": _bool,
            "patient.robot_call_consent": _bool,
            "start": self._datetime,
            "start_date": self._date,
            "start_time": self._time,
            "services": self._services,
            "status": _status,
            "history.last_result": _outcome,
            "history.attempts": _int,
            "history.last_attempt_at": self._datetime,
        }

    def _compile(self, keys: Mapping[str, str]) -> None:
        """One extractor per field, with the row keys the MIS actually uses bound in."""
        self._fields = [
            (target, spec.label, self._extractor(target, spec, keys))
            for target, spec in self.config.fields.items()
        ]

    def _extractor(
        self, target: str, spec: FieldSpec, keys: Mapping[str, str]
    ) -> Callable[[Row], object]:
        """row → our value, `_ABSENT` for an empty optional field, or `ValueProblem`."""
        convert, from_text = self._converts[target]
        default, required = spec.default, target in _REQUIRED

        read = self._reader(target, spec, keys)

        def extract(row: Row) -> object:
            raw = read(row)
            if raw.__class__ is str:
                text = raw.strip()  # every conversion strips text first anyway
                if text:
                    return text if from_text is None else from_text(text)
            elif raw is not None:
                return convert(raw)
            if default is not None:
                return convert(default)
            if required:
                raise ValueProblem("пустое значение")
            return _ABSENT

        return extract

    def _reader(
        self, target: str, spec: FieldSpec, keys: Mapping[str, str]
    ) -> Callable[[Row], object]:
        if spec.column is not None:  # the common case: a C-level call, no Python frame
            return operator.methodcaller("get", keys.get(spec.column, spec.column))
        if spec.columns is not None:
            names = [keys.get(c, c) for c in spec.columns]

            def joined(row: Row) -> object:
                parts = (as_text(row.get(name)) for name in names)
                return "; ".join(p for p in parts if p)

            return joined
        if spec.template is not None:
            template = self._templates[target]
            placeholders = [(n, keys.get(n, n)) for n in template.names]
            return lambda row: template.render({n: row.get(key) for n, key in placeholders})
        const = spec.const
        return lambda row: const

    # -- inbound -------------------------------------------------------------------------------

    def bind_columns(self, columns: Iterable[str]) -> RowError | None:
        """Match the configured columns to what the MIS returned; a missing one fails the source."""
        present = {c.lower(): c for c in columns}
        keys = {}
        missing = []
        for wanted in sorted(self.config.mis_columns):
            actual = present.get(wanted.lower())
            if actual is None:
                missing.append(wanted)
            else:
                keys[wanted] = actual
        self._compile(keys)
        if missing:
            return RowError(
                self.source,
                None,
                ", ".join(missing),
                f"в ответе МИС нет столбцов: {', '.join(missing)}; "
                f"есть: {', '.join(sorted(present.values())) or 'ничего'}",
            )
        return None

    def map_rows(
        self,
        rows: Iterable[tuple[int | str, Row] | RowError],
        columns: Iterable[str] | None = None,
    ) -> Iterator[Appointment | RowError]:
        """Map (row label, row) pairs; the second row with the same id is an error, not a twin.

        Pass `columns` when the reader knows them before any row (a cursor description, a CSV
        header), so wrong columns are reported even for an empty result. A reader's own
        `RowError`s (say, a line in the wrong encoding) pass straight through.
        """
        seen: dict[str, int | str] = {}
        needs_binding = bool(self.config.mis_columns)
        if columns is not None:
            needs_binding = False
            failure = self.bind_columns(columns)
            if failure is not None:
                yield failure
                return
        for item in rows:
            if isinstance(item, RowError):
                yield item
                continue
            label, row = item
            if needs_binding:
                needs_binding = False
                failure = self.bind_columns(row.keys())
                if failure is not None:
                    yield failure
                    return
            result = self.map_row(label, row)
            if isinstance(result, Appointment):
                external_id = result.external_id
                first = seen.setdefault(external_id, label)
                if first != label:
                    yield RowError(
                        self.source,
                        label,
                        self.config.fields["external_id"].label,
                        f"повтор id записи {external_id!r} (уже была в строке {first})",
                    )
                    continue
                yield result
            else:
                yield from result

    def map_row(self, label: int | str, row: Row) -> Appointment | list[RowError]:
        """One row: every configured field converted, or every problem found in it."""
        values: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for target, field, extract in self._fields:
            try:
                value = extract(row)
            except ValueProblem as exc:
                problems.append((field, str(exc)))
                continue
            if value is not _ABSENT:
                values[target] = value
        if problems:
            return [RowError(self.source, label, field, msg, dict(row)) for field, msg in problems]
        return self._appointment(values)

    def _appointment(self, values: dict[str, Any]) -> Appointment:
        get = values.get
        start = get("start")
        if start is None:
            start = datetime.combine(values["start_date"], values["start_time"], self.zone)
        history = None
        if self._has_history:
            history = MisHistory(
                get("history.last_result"),
                get("history.attempts", 0),
                get("history.last_attempt_at"),
            )
        branch = _EMPTY_BRANCH
        if self._has_branch:
            branch = _branch(
                get("branch.name", ""),
                get("branch.address", ""),
                get("branch.phone", ""),
                get("branch.timezone"),
            )
        # Positional arguments: keywords cost 0.7 µs an Appointment (docs/decisions.md).
        return Appointment(
            values["external_id"],
            self.source,
            Patient(
                get("patient.name", ""),
                values["patient.phones"],
                get("patient.id"),
                get("patient.marketing_consent", False),
                get("patient.robot_call_consent", True),
            ),
            start,
            _doctor(get("doctor.name", ""), get("doctor.specialty", "")),
            get("services", ()),
            branch,
            get("status", AppointmentStatus.BOOKED),
            history,
            {name: get(target, "") for target, name in self._extra},
        )

    def _phones(self, raw: object, spec: FieldSpec) -> tuple[str, ...]:
        numbers, problems = split_phones(as_text(raw), self.config.phone_region)
        if not numbers:
            raise ValueProblem("нет ни одного годного телефона: " + "; ".join(problems))
        return tuple(numbers)

    def _services(self, raw: object, spec: FieldSpec) -> tuple[str, ...]:
        separator = spec.split or self.config.services_separator
        return tuple(p.strip() for p in as_text(raw).split(separator) if p.strip())

    def _datetime(self, raw: object, spec: FieldSpec) -> datetime:
        return as_datetime(raw, self.zone, spec.formats or self.config.datetime_formats)

    def _date(self, raw: object, spec: FieldSpec) -> date:
        return as_date(raw, spec.formats or self.config.date_formats)

    def _time(self, raw: object, spec: FieldSpec) -> time:
        return as_time(raw, spec.formats or self.config.time_formats)

    # -- outbound ------------------------------------------------------------------------------

    def outbound(self, record: OutcomeRecord) -> dict[str, object]:
        """Every built-in value (for SQL `:params`) plus the configured MIS fields."""
        ours = self.builtin_values(record)
        values: dict[str, object] = dict(ours)
        values.update(self.result_fields(record, ours))
        return values

    def result_fields(
        self, record: OutcomeRecord, ours: Mapping[str, object] | None = None
    ) -> dict[str, object]:
        """Only the configured MIS fields: what a file sink writes as columns."""
        ours = ours if ours is not None else self.builtin_values(record)
        results = self.config.results
        out: dict[str, object] = {}
        for name, spec in results.fields.items():
            if spec.const is not None:
                out[name] = spec.const
            elif spec.template is not None:
                out[name] = self._out_templates[name].render(ours)
            else:
                assert spec.value is not None
                value = ours[spec.value]
                if spec.map is not None:
                    value = spec.map.get(as_text(value), spec.map.get(ANY_OUTCOME, value))
                if spec.format is not None and isinstance(value, datetime):
                    value = value.strftime(spec.format)
                out[name] = value
        return out

    def builtin_values(self, record: OutcomeRecord) -> dict[str, object]:
        results = self.config.results
        finished: object = record.finished_at.astimezone(self.zone).replace(tzinfo=None)
        if results.datetime_format is not None:
            finished = record.finished_at.astimezone(self.zone).strftime(results.datetime_format)
        return {
            "appointment_id": record.appointment_id,
            "attempt": record.attempt,
            "attempts_total": record.attempts_total,
            "outcome": self.outcome_value(record.outcome),
            "outcome_code": record.outcome.value,
            "outcome_label": OUTCOME_LABELS_RU[record.outcome],
            "finished_at": finished,
            "talk_seconds": round(record.evidence.talk_seconds),
            "ring_seconds": round(record.evidence.ring_seconds),
            "sip_status": record.evidence.sip_status,
            "digits": record.evidence.digits,
            "channel": record.channel,
        }

    def outcome_value(self, outcome: Outcome) -> str | int:
        table = self.config.results.outcomes
        if table is None:
            return outcome.value
        return table.get(outcome.value, table.get(ANY_OUTCOME, outcome.value))


def _text(raw: object, spec: FieldSpec) -> str:
    return as_text(raw)


def _translator(table: Mapping[str, object], otherwise: str | None) -> Callable[[object], object]:
    def translate(raw: object) -> object:
        key = as_text(raw)
        if key in table:
            return table[key]
        if otherwise is not None:
            return otherwise
        raise ValueProblem(f"значение {key[:40]!r} не описано в map ({', '.join(table)})")

    return translate


def _int(raw: object, spec: FieldSpec) -> int:
    return as_int(raw)


def _bool(raw: object, spec: FieldSpec) -> bool:
    return as_bool(raw)


def _outcome(raw: object, spec: FieldSpec) -> str:
    text = as_text(raw)
    try:
        return Outcome(text).value
    except ValueError:
        raise ValueProblem(
            f"результат {text[:40]!r} не из наших исходов; задайте map для history.last_result"
        ) from None


def _status(raw: object, spec: FieldSpec) -> AppointmentStatus:
    text = as_text(raw).lower()
    try:
        return AppointmentStatus(text)
    except ValueError:
        raise ValueProblem(
            f"статус {text[:40]!r} не booked/cancelled; задайте map для status"
        ) from None
