"""MIS rows into `Appointment`s a batch at a time, one field (column) after another.

A worklist repeats itself down each column: a day has a few hundred distinct times, a clinic a
few dozen doctors and services. So every field is converted down its column with a cache of
the texts it has already seen, and the core objects are built by `map` over the converted
columns, which spends no Python frame per row (100k-row worklists: docs/performance.md, "MIS
sync"). A value that cannot be converted becomes a `Problem` in its column; the rows holding
one become `RowError`s and the rest of the batch still comes through.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dozvon.core.appointment import (
    Appointment,
    AppointmentStatus,
    Branch,
    Doctor,
    MisHistory,
    Patient,
)
from dozvon.mis.base import RowError
from dozvon.mis.values import ValueProblem

Row = Mapping[str, Any] | Sequence[Any]
"""A record as a reader hands it over: by column name, or positional in the table's columns."""

CACHE_SIZE = 4096
"""Distinct values remembered per field; the cache starts afresh when it is full."""
MIN_SAMPLE = 100
"""Values seen before a field may decide that caching does not pay (nine in ten are new)."""

DEFAULTS: dict[str, object] = {
    "patient.name": "",
    "patient.id": None,
    "patient.marketing_consent": False,
    "patient.robot_call_consent": True,
    "doctor.name": "",
    "doctor.specialty": "",
    "services": (),
    "branch.name": "",
    "branch.address": "",
    "branch.phone": "",
    "branch.timezone": None,
    "status": AppointmentStatus.BOOKED,
    "history.last_result": None,
    "history.attempts": 0,
    "history.last_attempt_at": None,
}
"""What an optional field holds when the MIS leaves it empty (`extra.*`: an empty string)."""

REQUIRED = frozenset({"external_id", "patient.phones", "start", "start_date", "start_time"})

_MISS = object()
_doctor = functools.lru_cache(maxsize=CACHE_SIZE)(Doctor)
_branch = functools.lru_cache(maxsize=CACHE_SIZE)(Branch)
"""Frozen, so rows may share them: one Doctor per doctor instead of one per visit."""


@dataclass(frozen=True, slots=True)
class RowBatch:
    """Consecutive good records of one reader, with the labels an admin finds them by."""

    labels: Sequence[int | str]
    rows: Sequence[Row]


@dataclass(frozen=True, slots=True)
class Problem:
    """A value its field could not take; the message is shown to the clinic's admin."""

    message: str


Column = list[Any]
"""A converted field down a batch: our values, or `Problem`s."""
ColumnSource = Callable[[Callable[[str], Sequence[object]], int], Sequence[object]]
"""(the batch's column by MIS name, the row count) → one raw value per row."""


class FieldColumn:
    """One configured field compiled for a column: raw MIS values in, our values or Problems out.

    `convert` takes one non-empty value (text already stripped) and may raise `ValueProblem`;
    `plain` fields keep text as it is, so they need no cache.
    """

    __slots__ = ("convert_all", "label", "source", "target")

    def __init__(
        self,
        target: str,
        label: str,
        source: ColumnSource,
        convert: Callable[[object], object],
        plain: bool,
        empty: Callable[[], object],
    ) -> None:
        self.target = target
        self.label = label
        self.source = source
        self.convert_all = _column_converter(convert, plain, empty)

    def values(self, column: Callable[[str], Sequence[object]], count: int) -> tuple[Column, bool]:
        """The converted column and whether any value in it is a `Problem`."""
        return self.convert_all(self.source(column, count))


def _column_converter(
    convert: Callable[[object], object], plain: bool, empty: Callable[[], object]
) -> Callable[[Sequence[object]], tuple[Column, bool]]:
    def one(raw: object) -> object:
        """Any value, the slow way; never raises."""
        try:
            if raw.__class__ is str:
                text = raw.strip()
                if text:
                    return text if plain else convert(text)
                return empty()
            if raw is None:
                return empty()
            return convert(raw)
        except ValueProblem as exc:
            return Problem(str(exc))

    if plain:

        def plain_column(raws: Sequence[object]) -> tuple[Column, bool]:
            """All text, or all integer ids (a database key), is the usual column: converted by
            one C-level `map`; an empty or any other value takes the per-value way."""
            try:
                out: Column = list(map(str.strip, raws))  # type: ignore[arg-type]
            except TypeError:
                out = list(map(str, raws)) if set(map(type, raws)) == {int} else [""]
            if "" not in out:
                return out, False
            out = [one(raw) for raw in raws]
            return out, any(value.__class__ is Problem for value in out)

        return plain_column

    cache: dict[object, object] = {}
    caching = True

    def cached_column(raws: Sequence[object]) -> tuple[Column, bool]:
        """Equal texts, integers and naive times convert equally, so each is converted once;
        an aware time is not a safe key (equal instants in other zones would share a result).
        A field whose values hardly repeat (phones, names) stops caching after one batch."""
        nonlocal caching
        if not caching:
            out = [one(raw) for raw in raws]
            return out, any(value.__class__ is Problem for value in out)
        out = []
        append, get, failed, misses = out.append, cache.get, False, 0
        for raw in raws:
            cls = raw.__class__
            if cls is str or cls is int or cls is date or (cls is datetime and raw.tzinfo is None):  # type: ignore[attr-defined]
                value = get(raw, _MISS)
                if value is _MISS:
                    misses += 1
                    if len(cache) >= CACHE_SIZE:
                        cache.clear()
                    value = cache[raw] = one(raw)
            else:
                value = one(raw)
            failed = failed or value.__class__ is Problem
            append(value)
        if len(raws) >= MIN_SAMPLE and misses > len(raws) * 0.9:
            caching = False
            cache.clear()
        return out, failed

    return cached_column


class Assembler:
    """Converted columns into core objects, for the fields a mapping configures."""

    def __init__(self, source: str, zone: ZoneInfo, targets: Sequence[str]) -> None:
        self.source = source
        self.zone = zone
        self.extra = [(t, t[len("extra.") :]) for t in targets if t.startswith("extra.")]
        self.has_history = any(t.startswith("history.") for t in targets)
        self.has_branch = any(t.startswith("branch.") for t in targets)

    def build(self, columns: Mapping[str, Column], count: int) -> list[Appointment]:
        def column(target: str) -> Sequence[Any] | itertools.repeat[Any]:
            values = columns.get(target)
            return values if values is not None else itertools.repeat(DEFAULTS[target], count)

        starts = columns.get("start")
        if starts is None:
            combine = functools.partial(datetime.combine, tzinfo=self.zone)
            starts = list(map(combine, columns["start_date"], columns["start_time"]))
        histories: Sequence[Any] | itertools.repeat[Any] = itertools.repeat(None, count)
        if self.has_history:
            histories = list(
                map(
                    MisHistory,
                    column("history.last_result"),
                    column("history.attempts"),
                    column("history.last_attempt_at"),
                )
            )
        branches: Sequence[Any] | itertools.repeat[Any] = itertools.repeat(Branch(), count)
        if self.has_branch:
            branches = list(
                map(
                    _branch,
                    column("branch.name"),
                    column("branch.address"),
                    column("branch.phone"),
                    column("branch.timezone"),
                )
            )
        if self.extra:
            names = [name for _, name in self.extra]
            values = zip(*(columns[target] for target, _ in self.extra), strict=True)
            extras: Sequence[object] = [dict(zip(names, row, strict=True)) for row in values]
        else:
            extras = [{} for _ in range(count)]
        patients = map(
            Patient,
            column("patient.name"),
            columns["patient.phones"],
            column("patient.id"),
            column("patient.marketing_consent"),
            column("patient.robot_call_consent"),
        )
        return list(
            map(
                Appointment,
                columns["external_id"],
                itertools.repeat(self.source, count),
                patients,
                starts,
                map(_doctor, column("doctor.name"), column("doctor.specialty")),
                column("services"),
                branches,
                column("status"),
                histories,
                extras,
            )
        )


BATCH = 500
"""Rows mapped together: enough to amortise the per-batch work, few enough to stream."""


def batched(
    items: Iterable[tuple[int | str, Row] | RowBatch | RowError],
) -> Iterator[RowBatch | RowError]:
    """Group a reader's single (label, row) pairs into batches; errors keep their place."""
    labels: list[int | str] = []
    rows: list[Row] = []
    for item in items:
        if isinstance(item, tuple):
            labels.append(item[0])
            rows.append(item[1])
            if len(rows) < BATCH:
                continue
            item = RowBatch(labels, rows)
            labels, rows = [], []
        elif rows:
            yield RowBatch(labels, rows)
            labels, rows = [], []
        yield item
    if rows:
        yield RowBatch(labels, rows)


def problems_in(
    source: str,
    fields: Sequence[FieldColumn],
    columns: Mapping[str, Column],
    labels: Sequence[int | str],
    raw_row: Callable[[int], dict[str, object]],
) -> dict[int, list[RowError]]:
    """Per row index, a `RowError` for each of its fields that holds a `Problem`, in the
    mapping's field order (the order the admin wrote them)."""
    found: dict[int, list[tuple[str, str]]] = {}
    for field in fields:
        for index, value in enumerate(columns[field.target]):
            if isinstance(value, Problem):
                found.setdefault(index, []).append((field.label, value.message))
    bad: dict[int, list[RowError]] = {}
    for index, problems in found.items():
        raw = raw_row(index)
        bad[index] = [RowError(source, labels[index], f, m, raw) for f, m in problems]
    return bad
