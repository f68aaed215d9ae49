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

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dozvon.core.appointment import Appointment, AppointmentStatus
from dozvon.core.outcome import Outcome
from dozvon.core.phone import split_phones
from dozvon.mis.base import OutcomeRecord, RowError
from dozvon.mis.inbound import (
    DEFAULTS,
    REQUIRED,
    Assembler,
    Column,
    ColumnSource,
    FieldColumn,
    Row,
    RowBatch,
    batched,
    problems_in,
)
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
    the header or the first row is known (`bind_columns`). Rows are mapped a batch at a time,
    a column at a time (`dozvon.mis.inbound`), so the per-row work reads no config.
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
        self._assembler = Assembler(source, self.zone, list(config.fields))
        self._columns: list[str] | None = None
        self._positions: dict[str, int] = {}
        self._fields: list[FieldColumn] = []
        self._compile({})

    def _compile(self, keys: Mapping[str, str]) -> None:
        """One column converter per field, with the row keys the MIS actually uses bound in."""
        self._fields = [
            FieldColumn(
                target,
                spec.label,
                self._source_of(target, spec, keys),
                *self._conversion(target, spec),
            )
            for target, spec in self.config.fields.items()
        ]

    def _conversion(
        self, target: str, spec: FieldSpec
    ) -> tuple[Callable[[object], object], bool, Callable[[], object]]:
        """(one non-empty value → ours, whether text is kept as it is, the empty value)."""
        convert = self._conversions().get(target, _text)
        table = spec.map
        if table is None and target == "history.last_result" and self._history_map:
            table = self._history_map
        if table is not None:
            translate, after = _translator(table, spec.otherwise), convert

            def convert(raw: object, spec: FieldSpec = spec) -> object:
                return after(translate(raw), spec)

        def one(raw: object) -> object:
            return convert(raw, spec)

        default = spec.default
        fallback = DEFAULTS.get(target, "")

        def empty() -> object:
            if default is not None:
                return one(default)
            if target in REQUIRED:
                raise ValueProblem("пустое значение")
            return fallback

        return one, convert is _text, empty

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

    def _source_of(self, target: str, spec: FieldSpec, keys: Mapping[str, str]) -> ColumnSource:
        """Where a field's raw values come from in a batch: a column, several, a template."""
        if spec.column is not None:
            key = keys.get(spec.column, spec.column)
            return lambda column, count: column(key)
        if spec.columns is not None:
            names = [keys.get(c, c) for c in spec.columns]

            def joined(column: Callable[[str], Sequence[object]], count: int) -> list[object]:
                rows = zip(*(column(name) for name in names), strict=True)
                return ["; ".join(t for t in map(as_text, row) if t) for row in rows]

            return joined
        if spec.template is not None:
            template = self._templates[target]
            placeholders = [keys.get(n, n) for n in template.names]

            def rendered(column: Callable[[str], Sequence[object]], count: int) -> list[object]:
                rows = zip(*(column(key) for key in placeholders), strict=True)
                return [
                    template.render(dict(zip(template.names, row, strict=True))) for row in rows
                ]

            return rendered
        const = spec.const
        return lambda column, count: [const] * count

    # -- inbound -------------------------------------------------------------------------------

    def bind_columns(self, columns: Iterable[str]) -> RowError | None:
        """Match the configured columns to what the MIS returned; a missing one fails the source."""
        self._columns = list(columns)
        self._positions = {name: index for index, name in enumerate(self._columns)}
        present = {c.lower(): c for c in self._columns}
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
        rows: Iterable[tuple[int | str, Row] | RowBatch | RowError],
        columns: Iterable[str] | None = None,
    ) -> Iterator[Appointment | RowError]:
        """Map rows (label, row pairs or whole batches); a repeated id is an error, not a twin.

        Pass `columns` when the reader knows them before any row (a cursor description, a CSV
        header), so wrong columns are reported even for an empty result; positional rows need
        them. A reader's own `RowError`s (say, a line in the wrong encoding) pass straight
        through, in their place.
        """
        seen: dict[str, int | str] = {}
        needs_binding = bool(self.config.mis_columns)
        if columns is not None:
            needs_binding = False
            failure = self.bind_columns(columns)
            if failure is not None:
                yield failure
                return
        for item in batched(rows):
            if isinstance(item, RowError):
                yield item
                continue
            if needs_binding:
                needs_binding = False
                first = item.rows[0]
                if not isinstance(first, Mapping):
                    raise TypeError("positional rows need their columns")
                failure = self.bind_columns(first.keys())
                if failure is not None:
                    yield failure
                    return
            yield from self._map_batch(item, seen)

    def map_row(self, label: int | str, row: Mapping[str, object]) -> Appointment | list[RowError]:
        """One row: every configured field converted, or every problem found in it."""
        mapped = list(self._map_batch(RowBatch([label], [row]), {}))
        if len(mapped) == 1 and isinstance(mapped[0], Appointment):
            return mapped[0]
        return [item for item in mapped if isinstance(item, RowError)]

    def _map_batch(
        self, batch: RowBatch, seen: dict[str, int | str]
    ) -> Iterator[Appointment | RowError]:
        labels, rows = list(batch.labels), batch.rows
        count = len(rows)
        if not count:
            return
        column, raw_row = self._access(rows)
        converted: dict[str, Column] = {}
        any_failed = False
        for field in self._fields:
            converted[field.target], failed = field.values(column, count)
            any_failed = any_failed or failed
        errors: dict[int, list[RowError]] = {}
        kept = labels
        if any_failed:
            errors = problems_in(self.source, self._fields, converted, labels, raw_row)
            keep = [index for index in range(count) if index not in errors]
            converted = {t: [values[i] for i in keep] for t, values in converted.items()}
            kept = [labels[i] for i in keep]
        appointments = self._assembler.build(converted, len(kept))
        firsts = list(map(seen.setdefault, converted["external_id"], kept))
        if not errors and firsts == kept:
            yield from appointments
            return
        made = iter(zip(appointments, firsts, kept, strict=True))
        for index in range(count):
            if index in errors:
                yield from errors[index]
                continue
            appointment, first, label = next(made)
            if first != label:
                yield RowError(
                    self.source,
                    label,
                    self.config.fields["external_id"].label,
                    f"повтор id записи {appointment.external_id!r} (уже была в строке {first})",
                )
            else:
                yield appointment

    def _access(
        self, rows: Sequence[Row]
    ) -> tuple[Callable[[str], Sequence[object]], Callable[[int], dict[str, object]]]:
        """A batch's column by key, and one row as a dict (what a `RowError` keeps)."""
        first = rows[0]
        if isinstance(first, Mapping):
            mappings: Sequence[Mapping[str, object]] = rows  # type: ignore[assignment]
            return (
                lambda key: [row.get(key) for row in mappings],
                lambda index: dict(mappings[index]),
            )
        names, positions = self._columns or [], self._positions
        transposed = list(zip(*rows, strict=True))
        none = [None] * len(rows)
        return (
            lambda key: transposed[positions[key]] if key in positions else none,
            lambda index: dict(zip(names, rows[index], strict=True)),
        )

    def _phones(self, raw: object, spec: FieldSpec) -> tuple[str, ...]:
        text = raw if isinstance(raw, str) else as_text(raw)
        numbers, problems = split_phones(text, self.config.phone_region)
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
