"""CSV exports, as Russian clinics make them: cp1251 or UTF-8 with a BOM, `;` or `,`, CRLF.

Only the delimiter is detected (from the header line): csv.Sniffer also guesses the quoting
and gets doubled quotes inside a quoted field wrong, so the standard quoting rules are kept.
Decoding tries UTF-8 first and cp1251 last, because cp1251 decodes any bytes at all. A file
that is UTF-8 except for a few lines keeps its good lines; the bad ones become row errors.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

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
from dozvon.mis.values import display_text

DELIMITERS = ";,\t|"


class CsvConfig(FileConfig):
    kind: Literal["csv"] = "csv"
    encoding: str = "auto"
    """auto: UTF-8 (with or without BOM) if it decodes, else cp1251. Or any Python codec name."""
    delimiter: str | None = Field(None, min_length=1, max_length=1)


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    bom: bool
    bad_lines: frozenset[int]
    """1-based physical lines that did not decode (shown with U+FFFD, reported as errors)."""

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text[:65536] else "\n"


def decode(data: bytes, encoding: str) -> Decoded:
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    if encoding == "auto":
        try:
            return Decoded(body.decode("utf-8"), "utf-8", bom, frozenset())
        except UnicodeDecodeError:
            encoding = "utf-8" if bom or _mostly_utf8(body) else "cp1251"
    try:
        return Decoded(body.decode(encoding), encoding, bom, frozenset())
    except UnicodeDecodeError:
        pass
    except LookupError:
        raise MisError(f"неизвестная кодировка {encoding!r}") from None
    lines, bad = [], set()
    for number, line in enumerate(body.splitlines(keepends=True), 1):
        try:
            lines.append(line.decode(encoding))
        except UnicodeDecodeError:
            bad.add(number)
            lines.append(line.decode(encoding, errors="replace"))
    return Decoded("".join(lines), encoding, bom, frozenset(bad))


def _mostly_utf8(body: bytes) -> bool:
    """Most non-ASCII lines are valid UTF-8: the file is UTF-8 with a few damaged lines."""
    good = bad = 0
    for line in body.splitlines():
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return good > bad


def detect_delimiter(header: str) -> str:
    try:
        return csv.Sniffer().sniff(header, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in DELIMITERS}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ";"


class CsvConnector(FileConnector):
    Config = CsvConfig
    config: CsvConfig

    def _load(self) -> tuple[Decoded, str] | None:
        path = self.config.path
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise MisError(f"{self.name}: не удалось прочитать {path}: {exc.strerror}") from None
        if not data.strip():
            return None
        decoded = decode(data, self.config.encoding)
        first_line = decoded.text.split("\n", 1)[0]
        return decoded, self.config.delimiter or detect_delimiter(first_line)

    @contextlib.contextmanager
    def read(self, window: Window) -> Iterator[Table]:
        loaded = self._load()
        if loaded is None:
            yield Table([RowError(self.name, None, None, f"файл пуст: {self.config.path}")])
            return
        decoded, delimiter = loaded
        reader = csv.reader(io.StringIO(decoded.text, newline=""), delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        yield Table(self._rows(reader, header, decoded), header)

    def _rows(
        self, reader: Iterator[list[str]], header: list[str], decoded: Decoded
    ) -> Iterator[RawRow]:
        end = reader.line_num  # type: ignore[attr-defined]
        try:
            for fields in reader:
                start, end = end + 1, reader.line_num  # type: ignore[attr-defined]
                if not any(f.strip() for f in fields):
                    continue
                if decoded.bad_lines and any(n in decoded.bad_lines for n in range(start, end + 1)):
                    yield RowError(
                        self.name, start, None, f"строка не в кодировке {decoded.encoding}"
                    )
                elif len(fields) != len(header):
                    yield RowError(
                        self.name,
                        start,
                        None,
                        f"полей {len(fields)}, а в заголовке {len(header)}: проверьте кавычки "
                        "и разделитель",
                    )
                else:
                    yield start, dict(zip(header, fields, strict=True))
        except csv.Error as exc:
            yield RowError(self.name, end + 1, None, f"CSV не разобран дальше этой строки: {exc}")

    def write_in_place(self, record: OutcomeRecord, fields: dict[str, object]) -> None:
        loaded = self._load()
        if loaded is None:
            raise MisError(f"{self.name}: файл пуст: {self.config.path}")
        decoded, delimiter = loaded
        if decoded.bad_lines:
            raise MisError(
                f"{self.name}: в {self.config.path} есть строки не в кодировке "
                f"{decoded.encoding}; запись в этот файл потеряла бы их: "
                "задайте results: separate"
            )
        rows = list(csv.reader(io.StringIO(decoded.text, newline=""), delimiter=delimiter))
        header = rows[0]
        lower = [h.strip().lower() for h in header]
        key = id_column(self.mapper).lower()
        if key not in lower:
            raise MisError(f"{self.name}: в {self.config.path} нет столбца {key!r}")
        for name in fields:
            if name.lower() not in lower:
                header.append(name)
                lower.append(name.lower())
        for row in rows[1:]:  # new columns: every row gets its (empty) cells, or it is ragged
            if any(cell.strip() for cell in row):
                row.extend([""] * (len(header) - len(row)))
        key_at = lower.index(key)
        guard = attempt_column(self.mapper)
        for row in rows[1:]:
            if len(row) > key_at and same_id(row[key_at], record.appointment_id):
                if guard and already_written(row[lower.index(guard.lower())], record.attempt):
                    return
                for name, value in fields.items():
                    row[lower.index(name.lower())] = display_text(value)
                break
        else:
            raise MisError(
                f"{self.name}: в {self.config.path} нет записи с id {record.appointment_id!r}"
            )
        self._save(rows, decoded, delimiter)

    def _save(self, rows: list[list[str]], decoded: Decoded, delimiter: str) -> None:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=delimiter, lineterminator=decoded.newline).writerows(rows)
        try:
            data = buffer.getvalue().encode(decoded.encoding)
        except UnicodeEncodeError as exc:
            raise MisError(
                f"{self.name}: значение {exc.object[exc.start : exc.end]!r} не записать "
                f"в кодировке {decoded.encoding}"
            ) from None
        payload = (codecs.BOM_UTF8 if decoded.bom else b"") + data
        replace_atomically(self.config.path, lambda temp: temp.write_bytes(payload), self.name)
