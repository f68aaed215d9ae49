"""JSON records into the flat rows the declarative mapping reads, by JSONPath.

The mapping (dozvon.mis.mapping) speaks of columns. For a JSON API the config names each
column by a JSONPath (RFC 9535) into one record, e.g. `TEL: "$.contacts[*].phone"`; several
matches are joined with "; " (which is how the mapping expects several phones). Paths are
compiled once, so a bad path fails at config time, not on row 10 000.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonpath
from jsonpath import CompoundJSONPath, JSONPath, JSONPathError

from dozvon.mis.base import RowError
from dozvon.mis.interface import scalar_problem
from dozvon.mis.values import as_text

Path = JSONPath | CompoundJSONPath


def compile_path(path: str) -> Path:
    """RFC 9535 syntax; member names may be Cyrillic (`$.Пациент.Телефон`), as 1C's are."""
    try:
        return jsonpath.compile(path)
    except JSONPathError as exc:
        raise ValueError(f"неверный JSONPath {path!r}: {str(exc).splitlines()[0]}") from None


def first(path: Path, body: Any) -> Any:
    """The first match or None: for next links, cursors and totals."""
    matches = path.findall(body)
    return matches[0] if matches else None


class JsonColumns:
    """Column name → JSONPath, compiled; `row` turns one JSON record into a mapping row."""

    def __init__(self, columns: Mapping[str, str]) -> None:
        self.paths = {name: compile_path(path) for name, path in columns.items()}

    def row(self, source: str, label: int | str, record: Any) -> dict[str, Any] | RowError:
        if not isinstance(record, Mapping):
            return RowError(
                source, label, None, f"запись не объект JSON, а {type(record).__name__}"
            )
        row: dict[str, Any] = {}
        for name, path in self.paths.items():
            values = path.findall(record)
            for value in values:
                problem = scalar_problem(value)
                if problem:
                    return RowError(source, label, name, problem, _shown(record))
            if not values:
                row[name] = None
            elif len(values) == 1:
                row[name] = values[0]
            else:
                row[name] = "; ".join(as_text(v) for v in values if v is not None)
        return row


def _shown(record: Mapping[str, Any]) -> dict[str, object]:
    """Only the top-level scalars go into the error: enough to find it, not the whole record."""
    return {k: v for k, v in record.items() if not isinstance(v, Mapping | list)}
