"""Fixture files made on the spot: CSV in clinic encodings, xlsx, xls, ods and DBF."""

from __future__ import annotations

import subprocess
import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import dbf
import openpyxl
import xlwt

from dozvon.mis.base import MisError
from dozvon.mis.files.common import ensure_unlocked

HEADER = ["ID", "ФИО", "ТЕЛЕФОН", "ДАТА", "ВРАЧ", "УСЛУГИ"]
ROWS: list[list[Any]] = [
    [
        101,
        "Иванова Анна",
        "8 916 123-45-67",
        "27.11.2026 09:30",
        "Петров П. П.",
        'ЭКГ; "консультация"',
    ],
    [102, "Смирнов Олег", "+7 (916) 765-43-21", "27.11.2026 10:00", "Сидорова", "УЗИ"],
    [103, "Послезавтра Иван", "89161112255", "28.11.2026 09:00", "Петров П. П.", ""],
]
FIELDS = {
    "external_id": "ID",
    "patient.name": "ФИО",
    "patient.phones": "ТЕЛЕФОН",
    "start": {"column": "ДАТА", "formats": ["%d.%m.%Y %H:%M"]},
    "doctor.name": "ВРАЧ",
    "services": "УСЛУГИ",
}
RESULTS = {
    "fields": {
        "РЕЗУЛЬТАТ": "outcome_label",
        "ПОПЫТКА": "attempt",
        "КОГДА": {"value": "finished_at", "format": "%d.%m.%Y %H:%M"},
    }
}


def file_config(
    source: dict[str, Any],
    fields: dict[str, Any] | None = None,
    results: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "name": "export",
        "source": source,
        "mapping": {"fields": fields or FIELDS, "results": results or RESULTS},
    }


def write_csv(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def csv_text(rows: list[list[Any]], delimiter: str = ";", newline: str = "\r\n") -> str:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows([HEADER, *rows])
    return buffer.getvalue()


def write_xlsx(path: Path, rows: list[list[Any]], title_row: bool = True) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Записи"
    if title_row:
        sheet.append(["Выгрузка МИС на 27.11.2026"])
    sheet.append(HEADER)
    for row in rows:
        when = datetime.strptime(row[3], "%d.%m.%Y %H:%M")
        sheet.append([row[0], row[1], row[2], when, *row[4:]])
    book.save(path)
    return path


def write_xls(path: Path, rows: list[list[Any]]) -> Path:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Лист1")
    for c, name in enumerate(HEADER):
        sheet.write(0, c, name)
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(path))
    return path


def write_ods(path: Path, rows: list[list[Any]]) -> Path:
    """A minimal OpenDocument spreadsheet: the three parts the format requires, text cells."""

    def cell(value: Any) -> str:
        if isinstance(value, int):
            return f'<table:table-cell office:value-type="float" office:value="{value}"/>'
        return (
            f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}'
            "</text:p></table:table-cell>"
        )

    body = "".join(
        "<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>"
        for row in [HEADER, *rows]
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Лист1">{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return path


DBF_FIELDS = {
    "external_id": "ID",
    "patient.name": "FIO",
    "patient.phones": "TEL",
    "start_date": "DT",
    "start_time": "TM",
    "doctor.name": "DOC",
}
DBF_RESULTS = {"fields": {"RESULT": "outcome_label", "ATTEMPT": "attempt", "OUTCOME": "outcome"}}


def write_dbf(path: Path, codepage: str, rows: list[list[Any]], zero_codepage_byte: bool) -> Path:
    table = dbf.Table(
        str(path), "ID N(10,0); FIO C(60); TEL C(40); DT D; TM C(5); DOC C(40)", codepage=codepage
    )
    table.open(dbf.READ_WRITE)
    for row in rows:
        when = datetime.strptime(row[3], "%d.%m.%Y %H:%M")
        table.append((row[0], row[1], row[2], when.date(), when.strftime("%H:%M"), row[4]))
    table.close()
    if zero_codepage_byte:
        data = bytearray(path.read_bytes())
        data[29] = 0
        path.write_bytes(bytes(data))
    return path


class HeldLock:
    """Another process holding a lock on the file, as an editor or a file-share client would."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            ["flock", "--no-fork", "--exclusive", str(path), "sleep", "60"]
        )
        for _ in range(200):
            try:
                ensure_unlocked(path, "probe")
            except MisError:
                return
            time.sleep(0.02)
        raise RuntimeError("flock did not take the lock")

    def release(self) -> None:
        self.process.kill()
        self.process.wait()
