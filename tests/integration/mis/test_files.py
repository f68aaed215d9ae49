"""File sources: CSV, xlsx/xls/ods, DBF and Access, with hostile input and write-back."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dbf
import openpyxl
import pytest

from dozvon.campaign.worklist import collect
from dozvon.core.appointment import Appointment
from dozvon.core.outcome import Evidence, Outcome
from dozvon.mis.base import MisError, OutcomeRecord, RowError
from dozvon.mis.config import MisConfigError, load, open_connector
from dozvon.mis.files import csvfile
from dozvon.mis.files.csvfile import detect_delimiter, sniff_encoding
from dozvon.mis.files.dbffile import guess_codepage
from dozvon.mis.source import Connector

from .conftest import WINDOW
from .files_helpers import (
    DBF_FIELDS,
    DBF_RESULTS,
    ROWS,
    HeldLock,
    csv_text,
    file_config,
    write_csv,
    write_dbf,
    write_ods,
    write_xls,
    write_xlsx,
)


def open_file(source: dict[str, Any], **kw: Any) -> Connector:
    return open_connector(load(file_config(source, **kw)))


async def split(conn: Connector) -> tuple[list[Appointment], list[RowError]]:
    return await collect(conn, WINDOW)


def outcome(
    appointment_id: str, attempt: int, result: Outcome = Outcome.CONFIRMED
) -> OutcomeRecord:
    return OutcomeRecord(
        appointment_id=appointment_id,
        attempt=attempt,
        outcome=result,
        evidence=Evidence(),
        attempts_total=attempt,
        finished_at=datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
    )


# -- CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter", "newline"),
    [("cp1251", ";", "\r\n"), ("utf-8-sig", ",", "\n"), ("utf-8", "\t", "\r\n")],
)
async def test_csv_in_clinic_encodings(
    tmp_path: Path, encoding: str, delimiter: str, newline: str
) -> None:
    rows = [*ROWS, [104, "Многострочная\nЗапись", "89161112233", "27.11.2026 12:00", "Врач", "a;b"]]
    path = write_csv(tmp_path / "w.csv", csv_text(rows, delimiter, newline), encoding)
    appts, errors = await split(open_file({"kind": "csv", "path": str(path)}))
    assert errors == []
    assert [a.external_id for a in appts] == ["101", "102", "104"]  # 103 is outside the window
    assert appts[0].patient.name == "Иванова Анна"
    assert appts[0].services == ("ЭКГ", '"консультация"')  # doubled quotes kept, not mangled
    assert appts[2].patient.name == "Многострочная\nЗапись"


async def test_csv_row_labels_are_file_lines_and_bad_rows_are_named(tmp_path: Path) -> None:
    text = (
        "ID;ФИО;ТЕЛЕФОН;ДАТА;ВРАЧ;УСЛУГИ\r\n"
        '101;"Две\r\nстроки";89161234567;27.11.2026 09:00;В;\r\n'  # lines 2-3
        "102;Без телефона;;27.11.2026 09:00;В;\r\n"  # line 4
        "103;Плохая дата;89161234568;31.02.2026 09:00;В;\r\n"  # line 5
        "101;Повтор;89161234569;27.11.2026 10:00;В;\r\n"  # line 6
        "104;Лишнее;89161234570;27.11.2026 10:00;В;;x;y\r\n"  # line 7
        "105;Хорошая;89161234571;27.11.2026 11:00;В;\r\n"
    )
    path = write_csv(tmp_path / "w.csv", text, "cp1251")
    appts, errors = await split(open_file({"kind": "csv", "path": str(path)}))
    assert [a.external_id for a in appts] == ["101", "105"]
    assert [(e.row, e.field) for e in errors] == [
        (4, "ТЕЛЕФОН"),
        (5, "ДАТА"),
        (6, "ID"),
        (7, None),
    ]
    assert all(e.source == "export" for e in errors)


async def test_csv_line_in_the_wrong_encoding_is_one_error(tmp_path: Path) -> None:
    good = csv_text(ROWS[:1]).encode("utf-8")
    bad = "102;Смирнов Олег;89167654321;27.11.2026 10:00;Сидорова;УЗИ\r\n".encode("cp1251")
    path = tmp_path / "mixed.csv"
    path.write_bytes(good + bad)
    conn = open_file({"kind": "csv", "path": str(path)})
    appts, errors = await split(conn)
    assert [a.external_id for a in appts] == ["101"]
    assert [(e.row, e.field) for e in errors] == [(3, None)] and "utf-8" in errors[0].message
    with pytest.raises(MisError, match="separate"):
        await conn.write(outcome("101", 1))  # rewriting would lose the undecodable line
    assert path.read_bytes() == good + bad


async def test_csv_rewritten_after_its_encoding_check_keeps_the_rows_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file replaced between the clean-decoding check and the read (an export still being
    written): what was read before the bad block comes through, and one error marked
    `cut_short` says where reading stopped, so the sync cancels nothing it did not reach. Bad
    bytes in the first block read fall back to naming the bad line itself."""
    monkeypatch.setattr(csvfile, "decodes_cleanly", lambda handle, encoding: True)
    many = [[n, *ROWS[0][1:]] for n in range(1, 301)]
    good = csv_text(many).encode("utf-8")
    bad = "999;Смирнов Олег;89167654321;27.11.2026 10:00;Сидорова;УЗИ\r\n".encode("cp1251")
    path = tmp_path / "growing.csv"
    path.write_bytes(good + bad)
    appts, errors = await split(open_file({"kind": "csv", "path": str(path), "encoding": "utf-8"}))
    assert [(e.row, e.field, e.cut_short) for e in errors] == [(271, None, True)]
    assert "не разобран дальше" in errors[0].message
    assert [a.external_id for a in appts] == [str(n) for n in range(1, 270)]

    path.write_bytes(csv_text(ROWS[:1]).encode("utf-8") + bad)
    appts, errors = await split(open_file({"kind": "csv", "path": str(path), "encoding": "utf-8"}))
    assert [a.external_id for a in appts] == ["101"]
    assert [(e.row, e.field) for e in errors] == [(3, None)]
    assert "не в кодировке utf-8" in errors[0].message


async def test_csv_empty_header_only_and_missing_columns(tmp_path: Path) -> None:
    empty = write_csv(tmp_path / "empty.csv", "", "utf-8")
    _, errors = await split(open_file({"kind": "csv", "path": str(empty)}))
    assert len(errors) == 1 and "пуст" in errors[0].message
    header = write_csv(tmp_path / "header.csv", "ID;ФИО;ТЕЛЕФОН;ДАТА;ВРАЧ;УСЛУГИ\r\n", "utf-8")
    assert await split(open_file({"kind": "csv", "path": str(header)})) == ([], [])
    wrong = write_csv(tmp_path / "wrong.csv", "ID;ИМЯ\r\n1;А\r\n", "utf-8")
    _, errors = await split(open_file({"kind": "csv", "path": str(wrong)}))
    assert len(errors) == 1 and errors[0].row is None and "ТЕЛЕФОН" in (errors[0].field or "")
    with pytest.raises(MisError, match="не удалось прочитать"):
        await split(open_file({"kind": "csv", "path": str(tmp_path / "nope.csv")}))


async def test_csv_write_back_in_place_keeps_the_file_as_it_was(tmp_path: Path) -> None:
    original = csv_text(ROWS, ";", "\r\n")
    path = write_csv(tmp_path / "w.csv", "\ufeff" + original, "utf-8")
    conn = open_file({"kind": "csv", "path": str(path)})
    await conn.write(outcome("102", 1, Outcome.BUSY))
    await conn.write(outcome("102", 2, Outcome.CONFIRMED))
    await conn.write(outcome("102", 1, Outcome.DECLINED))  # stale: an older attempt arrives late
    await conn.write(outcome("102", 2, Outcome.DECLINED))  # replay of attempt 2
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "ID;ФИО;ТЕЛЕФОН;ДАТА;ВРАЧ;УСЛУГИ;РЕЗУЛЬТАТ;ПОПЫТКА;КОГДА"
    assert lines[2].endswith(";Подтвердил;2;26.11.2026 18:00")
    assert lines[1] == original.split("\r\n")[1] + ";;;"  # other rows untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.csv"]  # no temp files left
    with pytest.raises(MisError, match="нет записи"):
        await conn.write(outcome("999", 1))


async def test_cp1251_write_back_refuses_what_cp1251_cannot_hold(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "w.csv", csv_text(ROWS), "cp1251")
    before = path.read_bytes()
    results = {"fields": {"РЕЗУЛЬТАТ": {"const": "✅ да"}}}
    conn = open_file({"kind": "csv", "path": str(path)}, results=results)
    with pytest.raises(MisError, match="cp1251"):
        await conn.write(outcome("101", 1))
    assert path.read_bytes() == before


async def test_locked_file_is_not_written(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "w.csv", csv_text(ROWS), "cp1251")
    before = path.read_bytes()
    conn = open_file({"kind": "csv", "path": str(path)})
    lock = tmp_path / ".~lock.w.csv#"
    lock.write_text("Бухгалтер,host,01.01.2026 10:00,", encoding="utf-8")
    with pytest.raises(MisError, match="открыт в другой программе"):
        await conn.write(outcome("101", 1))
    lock.unlink()
    held = HeldLock(path)
    try:
        with pytest.raises(MisError, match="заблокирован"):
            await conn.write(outcome("101", 1))
    finally:
        held.release()
    assert path.read_bytes() == before
    await conn.write(outcome("101", 1))
    assert path.read_bytes() != before


async def test_separate_results_file_is_idempotent(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "w.csv", csv_text(ROWS), "cp1251")
    results = tmp_path / "results.csv"
    source = {"kind": "csv", "path": str(path), "results": "separate", "results_path": str(results)}
    conn = open_file(source)
    for record in (outcome("101", 1, Outcome.BUSY), outcome("101", 2), outcome("101", 2)):
        await conn.write(record)
    lines = results.read_text(encoding="utf-8-sig").splitlines()
    assert lines == [
        "ID;ПОПЫТКА;РЕЗУЛЬТАТ;КОГДА",
        "101;1;Занято;26.11.2026 18:00",
        "101;2;Подтвердил;26.11.2026 18:00",
    ]


def test_delimiter_detection_and_decoding() -> None:
    assert detect_delimiter('ID;"ФИО, полностью";ТЕЛ') == ";"
    assert detect_delimiter("ID,ФИО,ТЕЛ") == ","
    assert sniff_encoding("Ёж".encode("cp1251"), "auto").name == "cp1251"
    assert sniff_encoding(codecs.BOM_UTF8 + "Ёж".encode(), "auto").bom
    assert sniff_encoding("Ёж".encode()[:-1], "auto").name == "utf-8"  # a sample cut mid-letter


# -- Excel -------------------------------------------------------------------------------------


async def test_xlsx_read_and_write_back(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "w.xlsx", ROWS)
    conn = open_file({"kind": "excel", "path": str(path), "sheet": "Записи"})
    appts, errors = await split(conn)
    assert errors == [] and [a.external_id for a in appts] == ["101", "102"]
    assert appts[0].start.hour == 9 and appts[0].patient.phones == ("+79161234567",)
    await conn.write(outcome("101", 1))
    await conn.write(outcome("101", 1, Outcome.DECLINED))
    sheet = openpyxl.load_workbook(path)["Записи"]
    assert [c.value for c in sheet[2]][-3:] == ["РЕЗУЛЬТАТ", "ПОПЫТКА", "КОГДА"]
    assert [c.value for c in sheet[3]][-3:] == ["Подтвердил", 1, "26.11.2026 18:00"]
    assert sheet["A1"].value == "Выгрузка МИС на 27.11.2026"


async def test_xls_and_ods_are_read(tmp_path: Path) -> None:
    for path in (write_xls(tmp_path / "w.xls", ROWS), write_ods(tmp_path / "w.ods", ROWS)):
        source = {"kind": "excel", "path": str(path), "results": "none"}
        appts, errors = await split(open_file(source))
        assert errors == [] and [a.external_id for a in appts] == ["101", "102"], path
        assert appts[1].patient.name == "Смирнов Олег"


async def test_excel_hostile_input(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(MisError, match="не открыт"):
        await split(open_file({"kind": "excel", "path": str(broken)}))
    good = write_xlsx(tmp_path / "w.xlsx", ROWS)
    with pytest.raises(MisError, match="Записи"):
        await split(open_file({"kind": "excel", "path": str(good), "sheet": "Лист9"}))
    bad_rows = [ROWS[0], ROWS[0], [*ROWS[1][:2], "", *ROWS[1][3:]]]
    bad = write_xlsx(tmp_path / "bad.xlsx", bad_rows, title_row=False)
    appts, errors = await split(open_file({"kind": "excel", "path": str(bad)}))
    assert [a.external_id for a in appts] == ["101"]
    assert [(e.row, e.field) for e in errors] == [(3, "ID"), (4, "ТЕЛЕФОН")]
    with pytest.raises(MisConfigError, match="separate"):
        load(file_config({"kind": "excel", "path": str(tmp_path / "w.ods")}))


# -- DBF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("codepage", ["cp866", "cp1251"])
async def test_dbf_with_zero_codepage_byte_is_read_right(tmp_path: Path, codepage: str) -> None:
    path = write_dbf(tmp_path / "w.dbf", codepage, ROWS, zero_codepage_byte=True)
    assert guess_codepage(path) == codepage
    conn = open_file({"kind": "dbf", "path": str(path)}, fields=DBF_FIELDS, results=DBF_RESULTS)
    appts, errors = await split(conn)
    assert errors == [] and [a.patient.name for a in appts] == ["Иванова Анна", "Смирнов Олег"]
    assert appts[0].start.hour == 9 and appts[0].start.minute == 30


async def test_dbf_write_back_in_place(tmp_path: Path) -> None:
    path = write_dbf(tmp_path / "w.dbf", "cp866", ROWS, zero_codepage_byte=True)
    source = {"kind": "dbf", "path": str(path), "encoding": "cp866"}
    conn = open_file(source, fields=DBF_FIELDS, results=DBF_RESULTS)
    await conn.write(outcome("102", 1, Outcome.NO_ANSWER))
    await conn.write(outcome("102", 1, Outcome.CONFIRMED))  # replay: unchanged
    table = dbf.Table(str(path), codepage="cp866")
    table.open(dbf.READ_ONLY)
    try:
        rows = {int(r["ID"]): r for r in table}
        assert rows[102]["RESULT"].strip() == "Не отвечает"
        assert rows[102]["ATTEMPT"].strip() == "1" and rows[102]["OUTCOME"].strip() == "no_answer"
        assert rows[101]["RESULT"].strip() == "" and rows[101]["FIO"].strip() == "Иванова Анна"
    finally:
        table.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.dbf"]


async def test_dbf_truncated_empty_and_locked(tmp_path: Path) -> None:
    path = write_dbf(tmp_path / "w.dbf", "cp1251", ROWS, zero_codepage_byte=False)
    data = path.read_bytes()
    truncated = tmp_path / "t.dbf"
    truncated.write_bytes(data[: len(data) - 100])  # the last record is cut in half
    conn = open_file(
        {"kind": "dbf", "path": str(truncated)}, fields=DBF_FIELDS, results=DBF_RESULTS
    )
    items = [i async for i in conn.fetch(WINDOW)]
    assert [i.external_id for i in items if isinstance(i, Appointment)] == ["101", "102"]
    [error] = [i for i in items if isinstance(i, RowError)]
    assert error.row == 3 and "обрезан" in error.message

    empty = tmp_path / "e.dbf"
    empty.write_bytes(b"")
    _, errors = await split(open_file({"kind": "dbf", "path": str(empty)}, fields=DBF_FIELDS))
    assert len(errors) == 1 and "пуст" in errors[0].message

    garbage = tmp_path / "g.dbf"
    garbage.write_bytes(b"\x03not a dbf")
    with pytest.raises(MisError, match="DBF"):
        await split(open_file({"kind": "dbf", "path": str(garbage)}, fields=DBF_FIELDS))

    conn = open_file({"kind": "dbf", "path": str(path)}, fields=DBF_FIELDS, results=DBF_RESULTS)
    before = path.read_bytes()
    held = HeldLock(path)
    try:
        with pytest.raises(MisError, match="заблокирован"):
            await conn.write(outcome("101", 1))
    finally:
        held.release()
    assert path.read_bytes() == before


# -- Access ------------------------------------------------------------------------------------


async def test_access_errors_come_from_the_real_mdb_export(tmp_path: Path) -> None:
    fake = tmp_path / "clinic.mdb"
    fake.write_bytes(b"\x00\x01\x00\x00Standard Jet DB\x00" + b"\x00" * 4000)
    source = {"kind": "access", "path": str(fake), "table": "Записи"}
    with pytest.raises(MisError, match="mdb-export"):
        await split(open_file(source))
    fake.write_bytes(b"")
    _, errors = await split(open_file(source))
    assert len(errors) == 1 and "пуст" in errors[0].message
    with pytest.raises(MisConfigError, match="results"):
        load(file_config({**source, "results": "in_place"}))
    conn = open_file(source)
    with pytest.raises(MisError, match="отключена"):
        await conn.write(outcome("1", 1))


async def test_check_reports_the_file_and_refuses_a_locked_one(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "w.csv", csv_text(ROWS), "cp1251")
    before = path.read_bytes()
    conn = open_file({"kind": "csv", "path": str(path)})
    report = await conn.check(WINDOW)
    assert report[0] == f"файл: {path}" and report[-1].startswith(f"запись: в {path}")
    (tmp_path / "~$w.csv").write_text("x", encoding="utf-8")
    with pytest.raises(MisError, match="открыт в другой программе"):
        await conn.check(WINDOW)
    assert path.read_bytes() == before


async def test_empty_sheet_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    _, errors = await split(open_file({"kind": "excel", "path": str(path)}))
    assert len(errors) == 1 and "лист пуст" in errors[0].message
