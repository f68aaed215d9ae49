"""CSV exports, as Russian clinics make them: cp1251 or UTF-8 with a BOM, `;` or `,`, CRLF.

Only the delimiter is detected (from the header line): csv.Sniffer also guesses the quoting
and gets doubled quotes inside a quoted field wrong, so the standard quoting rules are kept.
Decoding tries UTF-8 first and cp1251 last, because cp1251 decodes any bytes at all. A file
that is UTF-8 except for a few lines keeps its good lines; the bad ones become row errors.
A file that decodes cleanly throughout (nearly every file) is read through the C text layer;
only a damaged one is decoded line by line in Python, to name its bad lines.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

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
from dozvon.mis.inbound import BATCH, RowBatch
from dozvon.mis.source import RawRow, Table
from dozvon.mis.values import display_text

DELIMITERS = ";,\t|"


class CsvConfig(FileConfig):
    kind: Literal["csv"] = "csv"
    encoding: str = "auto"
    """auto: UTF-8 (with or without BOM) if it decodes, else cp1251. Or any Python codec name."""
    delimiter: str | None = Field(None, min_length=1, max_length=1)


SAMPLE = 1 << 20
"""Bytes read to decide the encoding; the file itself is then read line by line."""


@dataclass(frozen=True, slots=True)
class Encoding:
    name: str
    bom: bool


def sniff_encoding(sample: bytes, setting: str) -> Encoding:
    """UTF-8 if the sample is (or mostly is) UTF-8, else cp1251; a named codec is taken as is."""
    bom = sample.startswith(codecs.BOM_UTF8)
    if setting != "auto":
        try:
            codecs.lookup(setting)
        except LookupError:
            raise MisError(f"неизвестная кодировка {setting!r}") from None
        return Encoding(setting, bom)
    body = sample[len(codecs.BOM_UTF8) :] if bom else sample
    try:
        codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
        return Encoding("utf-8", bom)
    except UnicodeDecodeError:
        return Encoding("utf-8" if bom or _mostly_utf8(body) else "cp1251", bom)


class DecodedLines:
    """A binary file's lines, decoded one at a time; undecodable ones are kept (with U+FFFD)
    and their 1-based numbers remembered, so the rows on them can be reported."""

    def __init__(self, handle: BinaryIO, encoding: Encoding) -> None:
        self.handle = handle
        self.encoding = encoding
        self.bad: set[int] = set()
        self.newline = "\n"

    def __iter__(self) -> Iterator[str]:
        if decodes_cleanly(self.handle, self.encoding):
            try:
                return self._clean()
            except UnicodeDecodeError:  # rewritten since the check: name its bad lines
                self.handle.seek(0)
        return self._line_by_line()

    def _clean(self) -> Iterator[str]:
        codec = "utf-8-sig" if self.encoding.bom else self.encoding.name
        text = io.TextIOWrapper(self.handle, encoding=codec, newline="")
        try:
            first = text.readline()
        except UnicodeDecodeError:
            text.detach()  # the wrapper would close the file, which is read again line by line
            raise
        self.newline = "\r\n" if first.endswith("\r\n") else "\n"
        return itertools.chain([first] if first else [], text)

    def _line_by_line(self) -> Iterator[str]:
        name = self.encoding.name
        for number, raw in enumerate(self.handle, 1):
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8) if self.encoding.bom else raw
                self.newline = "\r\n" if raw.endswith(b"\r\n") else "\n"
            try:
                yield raw.decode(name)
            except UnicodeDecodeError:
                self.bad.add(number)
                yield raw.decode(name, errors="replace")


def decodes_cleanly(handle: BinaryIO, encoding: Encoding) -> bool:
    """Whether the whole file decodes; read in chunks, the handle is left at its start."""
    decoder = codecs.getincrementaldecoder(encoding.name)()
    try:
        while chunk := handle.read(SAMPLE):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False
    finally:
        handle.seek(0)


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

    @contextlib.contextmanager
    def _open(self) -> Iterator[tuple[DecodedLines, Iterator[str], str] | None]:
        """The file's decoded lines, the line iterator, and the delimiter; None if it is empty."""
        path = self.config.path
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise MisError(f"{self.name}: не удалось прочитать {path}: {exc.strerror}") from None
        with handle:
            sample = handle.read(SAMPLE)
            if not sample.strip():
                yield None
                return
            handle.seek(0)
            lines = DecodedLines(handle, sniff_encoding(sample, self.config.encoding))
            stream = iter(lines)
            first = next(stream)
            delimiter = self.config.delimiter or detect_delimiter(first)
            yield lines, itertools.chain([first], stream), delimiter

    @contextlib.contextmanager
    def read(self, window: Window) -> Iterator[Table]:
        with self._open() as opened:
            if opened is None:
                yield Table([RowError(self.name, None, None, f"файл пуст: {self.config.path}")])
                return
            lines, stream, delimiter = opened
            reader = csv.reader(stream, delimiter=delimiter)
            header = [h.strip() for h in next(reader, [])]
            yield Table(self._rows(reader, header, lines), header)

    def _rows(
        self, reader: Iterator[list[str]], header: list[str], lines: DecodedLines
    ) -> Iterator[RawRow]:
        """Good rows in batches, each labelled by the line it starts on; bad ones as errors."""
        end = reader.line_num  # type: ignore[attr-defined]
        width, bad = len(header), lines.bad
        labels: list[int | str] = []
        rows: list[list[str]] = []
        try:
            for fields in reader:
                start, end = end + 1, reader.line_num  # type: ignore[attr-defined]
                problem = None
                if not (fields and fields[0].strip()) and not "".join(fields).strip():
                    continue  # a blank line, or only delimiters
                if bad and any(n in bad for n in range(start, end + 1)):
                    problem = f"строка не в кодировке {lines.encoding.name}"
                elif len(fields) != width:
                    problem = (
                        f"полей {len(fields)}, а в заголовке {len(header)}: проверьте кавычки "
                        "и разделитель"
                    )
                if problem is None:
                    labels.append(start)
                    rows.append(fields)
                    if len(rows) < BATCH:
                        continue
                if rows:
                    yield RowBatch(labels, rows)
                    labels, rows = [], []
                if problem is not None:
                    yield RowError(self.name, start, None, problem)
        except (csv.Error, UnicodeDecodeError) as exc:
            # UnicodeDecodeError: the file was rewritten after it had decoded cleanly
            if rows:
                yield RowBatch(labels, rows)
                rows = []
            message = f"CSV не разобран дальше этой строки: {exc}"
            yield RowError(self.name, end + 1, None, message, cut_short=True)
        if rows:
            yield RowBatch(labels, rows)

    def write_in_place(self, record: OutcomeRecord, fields: dict[str, object]) -> None:
        with self._open() as opened:
            if opened is None:
                raise MisError(f"{self.name}: файл пуст: {self.config.path}")
            lines, stream, delimiter = opened
            rows = list(csv.reader(stream, delimiter=delimiter))
        if lines.bad:
            raise MisError(
                f"{self.name}: в {self.config.path} есть строки не в кодировке "
                f"{lines.encoding.name}; запись в этот файл потеряла бы их: "
                "задайте results: separate"
            )
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
        self._save(rows, lines, delimiter)

    def _save(self, rows: list[list[str]], lines: DecodedLines, delimiter: str) -> None:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=delimiter, lineterminator=lines.newline).writerows(rows)
        encoding = lines.encoding
        try:
            data = buffer.getvalue().encode(encoding.name)
        except UnicodeEncodeError as exc:
            raise MisError(
                f"{self.name}: значение {exc.object[exc.start : exc.end]!r} не записать "
                f"в кодировке {encoding.name}"
            ) from None
        payload = (codecs.BOM_UTF8 if encoding.bom else b"") + data
        replace_atomically(self.config.path, lambda temp: temp.write_bytes(payload), self.name)
