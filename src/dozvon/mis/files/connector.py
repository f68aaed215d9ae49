"""The part of every file connector that is about results: in place, a separate file, or none."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl

from dozvon.mis.base import MisError, OutcomeRecord, Window
from dozvon.mis.config import MisConfig
from dozvon.mis.files.common import (
    FileConfig,
    already_written,
    attempt_column,
    ensure_unlocked,
    id_column,
    replace_atomically,
    same_id,
)
from dozvon.mis.source import RowConnector, check_record
from dozvon.mis.values import display_text

RESULTS_ENCODING = "utf-8-sig"
RESULTS_DELIMITER = ";"
"""Separate CSV results open as columns in a Russian Excel by double-click."""


class FileConnector(RowConnector):
    """A file holds the whole export, so the window is applied here, after mapping."""

    filters_window = True
    config: FileConfig

    def __init__(self, config: FileConfig, mis: MisConfig) -> None:
        super().__init__(mis)
        self.config = config

    def write_in_place(self, record: OutcomeRecord, fields: dict[str, object]) -> None:
        raise NotImplementedError

    def write_sync(self, record: OutcomeRecord) -> None:
        fields = self.mapper.result_fields(record)
        if self.config.results == "none":
            raise MisError(f"{self.name}: запись результатов отключена (results: none)")
        if not fields:
            raise MisError(f"{self.name}: не заданы поля результатов (mapping.results.fields)")
        if self.config.results == "separate":
            assert self.config.results_path is not None
            self.write_separate(self.config.results_path, record, fields)
        else:
            ensure_unlocked(self.config.path, self.name)
            self.write_in_place(record, fields)

    def write_separate(self, path: Path, record: OutcomeRecord, fields: dict[str, object]) -> None:
        """One row per (appointment, attempt); a replay finds its row and adds nothing."""
        key = id_column(self.mapper)
        attempt = attempt_column(self.mapper) or "attempt"
        row = {key: record.appointment_id, attempt: record.attempt, **fields}
        ensure_unlocked(path, self.name)
        header, rows = read_results(path)
        for name in row:
            if name not in header:
                header.append(name)
        for existing in rows:
            if same_id(existing.get(key), record.appointment_id) and already_written(
                existing.get(attempt), record.attempt
            ):
                return
        rows.append(row)
        replace_atomically(path, lambda temp: write_results(temp, header, rows), self.name)

    def check_sync(self, window: Window) -> list[str]:
        """Read the first rows; for results, show the values a write would put where."""
        report = [f"файл: {self.config.path}", *self.check_read(window)]
        fields = self.mapper.result_fields(check_record())
        if self.config.results == "none":
            return [*report, "запись результатов: отключена"]
        target = self.config.results_path if self.config.results == "separate" else self.config.path
        assert target is not None
        ensure_unlocked(target, self.name)
        id_column(self.mapper)
        return [*report, f"запись: в {target}, столбцы {', '.join(fields)}; файл не заблокирован"]


def read_results(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    if not path.exists():
        return [], []
    if path.suffix.lower() == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).active
        assert sheet is not None
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
    else:
        with path.open(encoding=RESULTS_ENCODING, newline="") as handle:
            values = list(csv.reader(handle, delimiter=RESULTS_DELIMITER))
    if not values:
        return [], []
    header = [str(h) for h in values[0]]
    return header, [dict(zip(header, r, strict=False)) for r in values[1:]]


def write_results(path: Path, header: list[str], rows: list[dict[str, Any]]) -> None:
    if path.suffix.lower() == ".xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(h) for h in header])
        book.save(path)
        return
    with path.open("w", encoding=RESULTS_ENCODING, newline="") as handle:
        writer = csv.writer(handle, delimiter=RESULTS_DELIMITER)
        writer.writerow(header)
        for row in rows:
            writer.writerow([display_text(row.get(h)) for h in header])
