"""Excel and OpenDocument sheets: read xlsx/xls/ods with python-calamine, write xlsx with openpyxl.

calamine (Rust) reads all three formats and is many times faster than openpyxl; it gives
numbers as floats (101.0) and dates as datetime, which the mapping already understands.
Only xlsx can be written back in place: for xls and ods the results go to a separate file.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import Any, Literal

import openpyxl
import python_calamine as calamine
from pydantic import Field, model_validator

from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.files.common import (
    FileConfig,
    already_written,
    attempt_column,
    id_column,
    replace_atomically,
    same_id,
)
from dozvon.mis.files.connector import FileConnector
from dozvon.mis.source import RawRow, Table
from dozvon.mis.values import as_text

WRITABLE = ".xlsx"
HEADER_SEARCH = 20


class ExcelConfig(FileConfig):
    kind: Literal["excel"] = "excel"
    sheet: str | int = 0
    """A sheet name, or its 0-based position."""
    header_row: int | None = Field(None, ge=1)
    """1-based row of the column names; by default the first non-empty row."""

    @model_validator(mode="after")
    def _writable(self) -> ExcelConfig:
        if self.results == "in_place" and self.path.suffix.lower() != WRITABLE:
            raise ValueError(
                f"запись результатов в {self.path.suffix} на место невозможна: "
                "задайте results: separate и results_path"
            )
        return self


def _blank(row: list[Any]) -> bool:
    return all(as_text(v) == "" for v in row)


class ExcelConnector(FileConnector):
    Config = ExcelConfig
    config: ExcelConfig

    def _sheet(self) -> calamine.CalamineSheet:
        path = self.config.path
        try:
            book = calamine.CalamineWorkbook.from_path(str(path))
        except FileNotFoundError:
            raise MisError(f"{self.name}: файл не найден: {path}") from None
        except Exception as exc:  # calamine raises several unrelated types for broken files
            raise MisError(f"{self.name}: {path} не открыт как таблица Excel/ODS: {exc}") from None
        sheet = self.config.sheet
        try:
            if isinstance(sheet, int):
                return book.get_sheet_by_index(sheet)
            return book.get_sheet_by_name(sheet)
        except (calamine.WorksheetNotFound, IndexError):
            raise MisError(
                f"{self.name}: в {path} нет листа {sheet!r}; есть: {', '.join(book.sheet_names)}"
            ) from None

    @contextlib.contextmanager
    def read(self, window: Window) -> Iterator[Table]:
        rows = list(itertools.islice(enumerate(self._sheet().iter_rows(), 1), HEADER_SEARCH))
        found = self._header_in([(n, [as_text(v) for v in values]) for n, values in rows])
        if found is None:
            yield Table([RowError(self.name, None, None, f"лист пуст: {self.config.path}")])
            return
        number, header = found
        rest = itertools.dropwhile(
            lambda item: item[0] <= number, enumerate(self._sheet().iter_rows(), 1)
        )
        yield Table(self._rows(rest, header), header)

    def _header_in(self, rows: list[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
        """The configured row; else the first row naming every mapped column (a title row or
        two above the table is common); else the first non-empty row."""
        if self.config.header_row is not None:
            return next(((n, r) for n, r in rows if n == self.config.header_row), None)
        wanted = {c.lower() for c in self.mapper.config.mis_columns}
        for number, names in rows:
            if wanted <= {n.lower() for n in names}:
                return number, names
        return next(((n, r) for n, r in rows if any(r)), None)

    def _rows(self, rows: Iterator[tuple[int, list[Any]]], header: list[str]) -> Iterator[RawRow]:
        for number, values in rows:
            if not _blank(values):
                yield number, dict(zip(header, values, strict=False))

    def write_in_place(self, record: OutcomeRecord, fields: dict[str, object]) -> None:
        path = self.config.path
        book = openpyxl.load_workbook(path)
        sheet = self.config.sheet
        ws = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
        header_at, columns = self._header(ws)
        key = columns.get(id_column(self.mapper).lower())
        if key is None:
            raise MisError(f"{self.name}: в {path} нет столбца {id_column(self.mapper)!r}")
        for name in fields:
            if name.lower() not in columns:
                column = max(columns.values(), default=0) + 1
                ws.cell(header_at, column, name)
                columns[name.lower()] = column
        guard = attempt_column(self.mapper)
        for row in range(header_at + 1, ws.max_row + 1):
            if same_id(ws.cell(row, key).value, record.appointment_id):
                if guard and already_written(
                    ws.cell(row, columns[guard.lower()]).value, record.attempt
                ):
                    return
                for name, value in fields.items():
                    ws.cell(row, columns[name.lower()], value)
                break
        else:
            raise MisError(f"{self.name}: в {path} нет записи с id {record.appointment_id!r}")
        replace_atomically(path, book.save, self.name)

    def _header(self, ws: Any) -> tuple[int, dict[str, int]]:
        rows = [
            (row[0].row, [as_text(c.value) for c in row])
            for row in ws.iter_rows(max_row=HEADER_SEARCH)
            if row
        ]
        found = self._header_in(rows)
        if found is None:
            raise MisError(f"{self.name}: в {self.config.path} не найдена строка заголовка")
        number, names = found
        return number, {name.lower(): i for i, name in enumerate(names, 1) if name}
