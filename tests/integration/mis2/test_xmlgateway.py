"""XML gateway connector: HTTP against a FAKE gateway (its real format is not public), and the
folder transport on real files; both fed hostile XML (entity bombs, XXE, cut documents)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dozvon.core.appointment import Appointment
from dozvon.core.outcome import Evidence, Outcome
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig, open_connector
from dozvon.mis.xmlgateway import XmlGatewayConnector
from tests.fakes.server import serve
from tests.fakes.xml_gateway import BOMB, XXE, FakeXmlGateway, rnumb

MSK = ZoneInfo("Europe/Moscow")
DAY = datetime(2026, 11, 27, tzinfo=MSK)
REQUEST = (
    "<request><method>getRnumbs</method>"
    "<beginDate>{start_date}</beginDate><endDate>{end_date}</endDate></request>"
)
RESULT = (
    "<request><method>setResult</method><rnumb_id>{appointment_id}</rnumb_id>"
    "<result>{outcome}</result><note>{outcome_label}</note><attempts>{attempts_total}</attempts></request>"
)
COLUMNS = {
    "ID": "string(@id)",
    "START": "string(dat_bgn)",
    "FIO": "patient/fio",
    "TEL": "patient/phone",
    "DOC": "string(doctor/name)",
    "SPEC": "string(doctor/spec)",
    "DEP": "string(depname)",
}
MAPPING = {
    "fields": {
        "external_id": "ID",
        "patient.name": "FIO",
        "patient.phones": "TEL",
        "start": {"column": "START", "formats": ["%Y-%m-%d %H:%M"]},
        "doctor.name": "DOC",
        "doctor.specialty": "SPEC",
        "branch.name": "DEP",
    },
    "results": {"outcomes": {"confirmed": "1", "declined": "2", "*": "0"}},
}


def records(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"R{n}",
            "dat_bgn": f"2026-11-27 {9 + n // 4:02d}:{(n % 4) * 15:02d}",
            "fio": "Сидоров Сидор <\"&'>",
            "phones": ["+7 916 123-45-67", "8 495 765 43 21"],
            "doctor": "Петров П. П.",
            "spec": "Терапевт",
            "depname": "Филиал на Ленина",
        }
        for n in range(count)
    ] + [
        {
            "id": "LATE",
            "dat_bgn": "2026-11-28 09:00",
            "fio": "x",
            "phones": ["+79161234567"],
            "doctor": "",
            "spec": "",
            "depname": "",
        }
    ]


@pytest.fixture
def fake() -> FakeXmlGateway:
    return FakeXmlGateway(records=records(5))


@pytest.fixture
def base_url(fake: FakeXmlGateway) -> Iterator[str]:
    with serve(fake.app()) as url:
        yield url


def connector(transport: dict[str, Any], **source: Any) -> XmlGatewayConnector:
    mis = MisConfig.model_validate(
        {
            "name": "ariadna",
            "source": {
                "kind": "xml_gateway",
                "transport": transport,
                "request": REQUEST,
                "records": "/response/rnumb",
                "columns": COLUMNS,
                "error": "string(/response/error)",
                "result": RESULT,
                **source,
            },
            "mapping": MAPPING,
        }
    )
    conn = open_connector(mis)
    assert isinstance(conn, XmlGatewayConnector)
    return conn


def http(base_url: str) -> dict[str, Any]:
    return {"type": "http", "url": base_url + "/gateway"}


async def fetch(conn: XmlGatewayConnector) -> list[Appointment | RowError]:
    async with conn:
        return [item async for item in conn.fetch(Window(DAY, DAY + timedelta(days=1)))]


async def test_reads_over_http_by_xpath(fake: FakeXmlGateway, base_url: str) -> None:
    items = await fetch(connector(http(base_url)))
    appointments = [a for a in items if isinstance(a, Appointment)]
    assert [a.external_id for a in appointments] == ["R0", "R1", "R2", "R3", "R4"]
    first = appointments[0]
    assert first.patient.name == "Сидоров Сидор <\"&'>"
    assert first.patient.phones == ("+79161234567", "+74957654321")
    assert (first.doctor.name, first.doctor.specialty, first.branch.name) == (
        "Петров П. П.",
        "Терапевт",
        "Филиал на Ленина",
    )
    assert b"<beginDate>2026-11-27</beginDate><endDate>2026-11-28</endDate>" in fake.received[0]


async def test_writes_result_with_escaped_values(fake: FakeXmlGateway, base_url: str) -> None:
    async with connector(http(base_url)) as conn:
        await conn.write(OutcomeRecord("R<1>&", 2, Outcome.CONFIRMED, Evidence(), 2, DAY))
    assert fake.results == [
        {
            "method": "setResult",
            "rnumb_id": "R<1>&",
            "result": "1",
            "note": "Подтвердил",
            "attempts": "2",
        }
    ]


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("html", "вместо данных пришла HTML-страница.*Шлюз недоступен"),
        ("broken", "XML не разобран"),
        ("bomb", "XML отклонён как опасный"),
        ("xxe", "XML отклонён как опасный"),
        ("error", "шлюз ответил ошибкой: Нет доступа к расписанию"),
    ],
)
async def test_hostile_answers_are_clear_errors(
    fake: FakeXmlGateway, base_url: str, mode: str, message: str
) -> None:
    fake.mode = mode
    with pytest.raises(MisError, match=f"ariadna: POST http://127.0.0.1:\\d+/gateway: {message}"):
        await fetch(connector(http(base_url)))


async def test_folder_transport_reads_files_and_reports_bad_ones(tmp_path: Path) -> None:
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    (inbox / "a-good.xml").write_text(
        "<response>" + "".join(rnumb(r) for r in records(3)) + "</response>", encoding="utf-8"
    )
    (inbox / "b-bomb.xml").write_text(BOMB, encoding="utf-8")
    (inbox / "c-xxe.xml").write_text(XXE, encoding="utf-8")
    (inbox / "d-cut.xml").write_text("<response><rnumb id='9'>", encoding="utf-8")
    (inbox / "e-cp1251.xml").write_bytes(
        b'<?xml version="1.0" encoding="windows-1251"?><response>'
        + rnumb(records(1)[0] | {"id": "W1"}).encode("cp1251")
        + b"</response>"
    )
    conn = connector({"type": "folder", "inbox": str(inbox), "outbox": str(outbox)}, request=None)
    items = await fetch(conn)
    assert [a.external_id for a in items if isinstance(a, Appointment)] == ["R0", "R1", "R2", "W1"]
    errors = {e.row: e.message for e in items if isinstance(e, RowError)}
    assert set(errors) == {"b-bomb.xml", "c-xxe.xml", "d-cut.xml"}
    assert "опасный" in errors["b-bomb.xml"] and "опасный" in errors["c-xxe.xml"]


async def test_folder_results_are_one_file_per_attempt_and_repeatable(tmp_path: Path) -> None:
    conn = connector(
        {"type": "folder", "inbox": str(tmp_path / "in"), "outbox": str(tmp_path / "out")},
        request=None,
    )
    record = OutcomeRecord("R/../1", 1, Outcome.BUSY, Evidence(), 1, DAY)
    await conn.write(record)
    await conn.write(record)
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["result-R_.._1-1.xml"]
    text = (tmp_path / "out" / files[0]).read_text(encoding="utf-8")
    assert "<rnumb_id>R/../1</rnumb_id><result>0</result>" in text


async def test_a_missing_inbox_is_an_error(tmp_path: Path) -> None:
    conn = connector(
        {"type": "folder", "inbox": str(tmp_path / "nope"), "outbox": str(tmp_path)}, request=None
    )
    with pytest.raises(MisError, match=r"папка выгрузки МИС .*nope не найдена"):
        await fetch(conn)


def test_bad_xpath_fails_at_config_time() -> None:
    with pytest.raises(ValueError, match="неверный XPath"):
        connector({"type": "folder", "inbox": "/tmp", "outbox": "/tmp"}, records="//rnumb[")


async def test_namespaced_documents_are_read_with_configured_prefixes(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    plain = "<response>" + rnumb(records(1)[0]) + "</response>"
    namespaced = plain.replace("<response>", '<response xmlns="urn:ariadna:gate">', 1)
    (inbox / "ns.xml").write_text(namespaced, encoding="utf-8")
    columns = {
        k: re.sub(r"\b(patient|fio|phone|doctor|name|spec|depname|dat_bgn)\b", r"a:\1", v)
        for k, v in COLUMNS.items()
    }
    conn = connector(
        {"type": "folder", "inbox": str(inbox), "outbox": str(tmp_path / "out")},
        request=None,
        namespaces={"a": "urn:ariadna:gate"},
        records="/a:response/a:rnumb",
        columns=columns,
    )
    items = await fetch(conn)
    (only,) = items
    assert isinstance(only, Appointment) and only.patient.phones == ("+79161234567", "+74957654321")
