"""dBase/FoxPro tables, read and written back in place with the `dbf` library.

Old Russian exports are cp866 (DOS) or cp1251 (Windows), and many carry 0 in the codepage
byte (offset 29), where the libraries would assume ASCII and fail. So the encoding is a
setting; "auto" trusts a non-zero codepage byte and otherwise looks at the bytes themselves.
Write-back edits a copy and renames it over the original, so the table is never half-written.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import dbf

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
from dozvon.mis.values import ValueProblem, as_bool, as_date, display_text

CODEPAGE_BYTE = 29
HEADER_SIZE = 32
MEMO_SUFFIXES = (".dbt", ".fpt", ".DBT", ".FPT")
NEW_FIELD_WIDTH = 60
DBF_FIELD_NAME = 10


class DbfConfig(FileConfig):
    kind: Literal["dbf"] = "dbf"
    encoding: str = "auto"
    """auto, cp866 or cp1251 (or another codec the dbf library knows)."""


def guess_codepage(path: Path) -> str:
    """cp866 keeps Russian letters in 0x80–0xAF and 0xE0–0xEF; cp1251 in 0xC0–0xFF."""
    head = path.read_bytes()[: 1 << 20]
    if len(head) > CODEPAGE_BYTE and head[CODEPAGE_BYTE] != 0:
        return ""  # the file says it; let the library read its codepage byte
    body = head[int.from_bytes(head[8:10], "little") :] if len(head) >= HEADER_SIZE else b""
    dos = sum(1 for b in body if 0x80 <= b <= 0xAF)
    windows = sum(1 for b in body if 0xC0 <= b <= 0xDF or 0xF0 <= b <= 0xFF)
    return "cp866" if dos >= windows else "cp1251"


class DbfConnector(FileConnector):
    Config = DbfConfig
    config: DbfConfig

    def _open(self, path: Path, mode: Any) -> dbf.Table:
        codepage = self.config.encoding
        if codepage == "auto":
            codepage = guess_codepage(path)
        try:
            table = dbf.Table(str(path), codepage=codepage or None)
            table.open(mode)
        except FileNotFoundError:
            raise MisError(f"{self.name}: файл не найден: {path}") from None
        except (dbf.DbfError, ValueError, OSError, LookupError) as exc:
            raise MisError(f"{self.name}: {path} не открыт как DBF: {exc}") from None
        return table

    @contextlib.contextmanager
    def read(self, window: Window) -> Iterator[Table]:
        path = self.config.path
        if path.exists() and path.stat().st_size == 0:
            yield Table([RowError(self.name, None, None, f"файл пуст: {path}")])
            return
        table = self._open(path, dbf.READ_ONLY)
        try:
            names = list(table.field_names)
            yield Table(self._rows(table, names, path), names)
        finally:
            table.close()

    def _rows(self, table: dbf.Table, names: list[str], path: Path) -> Iterator[RawRow]:
        expected = len(table)
        with path.open("rb") as handle:
            header = int.from_bytes(handle.read(HEADER_SIZE)[8:10], "little")
        width = table.record_length
        present = max(0, (path.stat().st_size - header) // width) if width else 0
        for index in range(min(expected, present)):
            record = table[index]
            if dbf.is_deleted(record):
                continue
            row: dict[str, object] = {}
            problem = None
            for name in names:
                try:
                    row[name] = record[name]
                except (UnicodeDecodeError, ValueError, dbf.DbfError) as exc:
                    problem = (name, str(exc))
                    break
            if problem is not None:
                yield RowError(self.name, index + 1, problem[0], f"поле не прочитано: {problem[1]}")
            else:
                yield index + 1, row
        if present < expected:
            yield RowError(
                self.name,
                present + 1,
                None,
                f"файл обрезан: в заголовке {expected} записей, в файле {present}",
                cut_short=True,
            )

    def write_in_place(self, record: OutcomeRecord, fields: dict[str, object]) -> None:
        path = self.config.path
        for name in fields:
            if len(name) > DBF_FIELD_NAME or not name.isascii():
                raise MisError(f"{self.name}: имя поля DBF {name!r}: до 10 латинских символов")
        memos = [path.with_suffix(s) for s in MEMO_SUFFIXES if path.with_suffix(s).exists()]

        def edit(temp: Path) -> None:
            shutil.copy2(path, temp)
            for memo in memos:
                shutil.copy2(memo, temp.with_suffix(memo.suffix))
            table = self._open(temp, dbf.READ_WRITE)
            try:
                self._update(table, record, fields)
            finally:
                table.close()
                for backup in temp.parent.glob(f"{temp.stem}_backup*"):  # left by add_fields
                    backup.unlink()

        replace_atomically(path, edit, self.name)
        # the memo file follows its table; the table was replaced atomically first
        for memo in memos:
            temp_memo = next(path.parent.glob(f".{path.name}.*{memo.suffix}"), None)
            if temp_memo is not None:
                temp_memo.replace(memo)

    def _update(self, table: dbf.Table, record: OutcomeRecord, fields: dict[str, object]) -> None:
        existing = {n.upper() for n in table.field_names}
        missing = [n for n in fields if n.upper() not in existing]
        if missing:
            table.add_fields("; ".join(f"{n.upper()} C({NEW_FIELD_WIDTH})" for n in missing))
        key = id_column(self.mapper).upper()
        guard = attempt_column(self.mapper)
        for row in table:
            if same_id(row[key], record.appointment_id):
                if guard and already_written(row[guard.upper()], record.attempt):
                    return
                try:
                    with row:
                        for name, value in fields.items():
                            row[name.upper()] = _fit(table, name.upper(), value)
                except (dbf.DbfError, ValueError, UnicodeEncodeError) as exc:
                    raise MisError(f"{self.name}: значение не записано в DBF: {exc}") from None
                return
        raise MisError(
            f"{self.name}: в {self.config.path} нет записи с id {record.appointment_id!r}"
        )


def _fit(table: dbf.Table, name: str, value: object) -> object:
    """The value in the shape the field's type wants; text is cut to the field's width."""
    info = table.field_info(name)
    kind = chr(info.field_type) if isinstance(info.field_type, int) else str(info.field_type)
    try:
        if kind in "NFIB" and not isinstance(value, bool):
            return value if isinstance(value, int | float) else float(display_text(value))
        if kind == "D":
            return value.date() if isinstance(value, datetime) else as_date(value, ("%Y-%m-%d",))
        if kind == "L":
            return as_bool(value)
        if kind in "T@" and isinstance(value, date):
            return value
    except (ValueProblem, ValueError) as exc:
        raise MisError(f"поле {name} ({kind}): {exc}") from None
    return display_text(value)[: info.length]
