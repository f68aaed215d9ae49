"""HL7 v2 over MLLP with real peers: the `mllp_send` tool (python-hl7's CLI, a separate process)
sends to our listener, and a python-hl7 MLLP server plays the MIS that receives our results."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import hl7
import pytest
from hl7.mllp import start_hl7_server

from dozvon.core.appointment import Appointment, AppointmentStatus
from dozvon.core.outcome import Evidence, Outcome
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig, open_connector
from dozvon.mis.hl7v2 import Hl7Connector

MSK = ZoneInfo("Europe/Moscow")
DAY = datetime(2026, 11, 27, tzinfo=MSK)
MAPPING = {
    "fields": {
        "external_id": "placer_id",
        "patient.name": "patient_name",
        "patient.phones": {"columns": ["patient_phones", "patient_phones_e164"]},
        "start": {"column": "start", "formats": ["%Y%m%d%H%M", "%Y%m%d%H%M%S"]},
        "doctor.name": {"template": "{doctor_family} {doctor_given}"},
        "doctor.specialty": "specialty",
        "services": "service",
        "status": "status",
    },
    "results": {
        "outcomes": {"confirmed": "CONFIRMED", "declined": "CANCELLED", "*": "NOANSWER"},
    },
}
RESULT_TEMPLATE = [
    "MSH|^~\\&|DOZVON|CLINIC|MIS|CLINIC|{now}||SIU^S14|{control_id}|P|2.5|||||||UNICODE UTF-8",
    "SCH|{appointment_id}" + "|" * 24 + "{outcome}",  # SCH-25 filler status
    "NTE|1||{outcome_label}; попыток {attempts_total}",
]


PHONES = "+79161234567~^PRN^PH^^^^^^^^^+74957654321"


def siu(event: str, control: str, placer: str, start: str, phones: str = PHONES) -> str:
    schedule = "|".join(["SCH", placer, "F" + placer] + [""] * 8 + [f"^^^{start}"] + [""] * 13)
    return "\r".join(
        [
            f"MSH|^~\\&|MIS|CLINIC|DOZVON|CLINIC|20261126120000||SIU^{event}|{control}|P|2.5"
            "|||||||UNICODE UTF-8",
            schedule + "|BOOKED",
            f"PID|||P1||Иванов^Иван^Иванович||||||||{phones}",
            "AIS|1||SVC1^Приём кардиолога",
            "AIP|1||D1^Петров^Пётр|^Кардиолог",
        ]
    )


def make(**source: Any) -> Hl7Connector:
    mis = MisConfig.model_validate(
        {
            "name": "hl7-test",
            "source": {"kind": "hl7", "listen_port": 0, **source},
            "mapping": MAPPING,
        }
    )
    conn = open_connector(mis)
    assert isinstance(conn, Hl7Connector)
    return conn


@pytest.fixture
async def listener() -> AsyncIterator[Hl7Connector]:
    async with make() as conn:
        yield conn


async def mllp_send(port: int, messages: list[str], tmp_path: Path) -> str:
    """python-hl7's own CLI, in a separate process: a real MLLP client that is not our code."""
    tool = shutil.which("mllp_send") or str(Path(sys.executable).parent / "mllp_send")
    path = tmp_path / "messages.hl7"
    path.write_text("\n".join(m.replace("\r", "\n") for m in messages) + "\n", encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        tool,
        "--loose",
        "--file",
        str(path),
        "--port",
        str(port),
        "127.0.0.1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    return out.decode()


def acks(output: str) -> list[str]:
    return [line for line in output.replace("\r", "\n").splitlines() if line.startswith("MSA|")]


def window() -> Window:
    return Window(DAY, DAY + timedelta(days=1))


async def held(conn: Hl7Connector) -> list[Appointment | RowError]:
    return [item async for item in conn.fetch(window())]


async def test_new_modified_and_cancelled_appointments_from_mllp_send(
    listener: Hl7Connector, tmp_path: Path
) -> None:
    assert listener.port
    out = await mllp_send(
        listener.port,
        [
            siu("S12", "M1", "A1", "202611270900"),
            siu("S12", "M2", "A2", "202611271000"),
            siu("S14", "M3", "A1", "202611271130"),
            siu("S15", "M4", "A2", "202611271000"),
        ],
        tmp_path,
    )
    assert acks(out) == ["MSA|AA|M1", "MSA|AA|M2", "MSA|AA|M3", "MSA|AA|M4"]
    items = {a.external_id: a for a in await held(listener) if isinstance(a, Appointment)}
    assert items["A1"].start == DAY + timedelta(hours=11, minutes=30)
    assert items["A1"].patient.name == "Иванов Иван Иванович"
    assert items["A1"].patient.phones == ("+79161234567", "+74957654321")
    assert items["A1"].doctor.name == "Петров Пётр"
    assert items["A1"].services == ("Приём кардиолога",)
    assert items["A2"].status is AppointmentStatus.CANCELLED


async def test_bad_messages_get_ae_with_the_reason(listener: Hl7Connector, tmp_path: Path) -> None:
    assert listener.port
    adt = "MSH|^~\\&|MIS|CLINIC|DOZVON|CLINIC|20261126||ADT^A01|M9|P|2.5\rPID|||P1"
    out = await mllp_send(
        listener.port,
        [
            siu("S12", "M5", "A5", "202611271200", phones="нет"),
            siu("S12", "M6", "A6", "27/11/2026 noon"),
            adt,
        ],
        tmp_path,
    )
    lines = acks(out)
    assert len(lines) == 3
    assert lines[0].startswith("MSA|AE|M5|") and "patient_phones" in lines[0]
    assert lines[1].startswith("MSA|AE|M6|") and "start" in lines[1]
    assert lines[2].startswith("MSA|AE|M9|") and "ADT A01" in lines[2]
    items = await held(listener)
    assert not [a for a in items if isinstance(a, Appointment)]
    assert {e.row for e in items if isinstance(e, RowError)} == {"M5", "M6"}


async def test_garbage_gets_ae_and_the_listener_survives(
    listener: Hl7Connector, tmp_path: Path
) -> None:
    assert listener.port
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.write(b"\x0bthis is not hl7\x1c\r")
    await writer.drain()
    answer = await asyncio.wait_for(reader.readuntil(b"\x1c\r"), 5)
    writer.close()
    assert b"MSA|AE|" in answer
    out = await mllp_send(listener.port, [siu("S12", "M7", "A7", "202611270800")], tmp_path)
    assert acks(out) == ["MSA|AA|M7"]


class FakeMis:
    """The MIS side of the result channel: a python-hl7 MLLP server that acks as told."""

    def __init__(self, code: str = "AA") -> None:
        self.code = code
        self.received: list[hl7.Message] = []

    async def __call__(self, reader: Any, writer: Any) -> None:
        try:
            while not reader.at_eof():
                message = await reader.readmessage()
                self.received.append(message)
                ack = message.create_ack(ack_code=self.code)
                if self.code != "AA":
                    ack.segment("MSA").assign_field("неизвестная запись", 3)
                writer.writemessage(ack)
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()


async def result_peer(code: str) -> tuple[FakeMis, asyncio.base_events.Server, int]:
    peer = FakeMis(code)
    server = await start_hl7_server(peer, "127.0.0.1", 0, encoding="utf-8")
    return peer, server, int(server.sockets[0].getsockname()[1])


def record(outcome: Outcome = Outcome.CONFIRMED) -> OutcomeRecord:
    return OutcomeRecord("A|1", 2, outcome, Evidence(talk_seconds=9), 2, DAY)


async def test_result_goes_back_as_configured_message() -> None:
    peer, server, port = await result_peer("AA")
    try:
        conn = make(result={"host": "127.0.0.1", "port": port, "template": RESULT_TEMPLATE})
        await conn.write(record())
    finally:
        server.close()
        await server.wait_closed()
    (message,) = peer.received
    assert str(message.segment("MSH")[9]) == "SIU^S14"
    assert str(message.segment("MSH")[10]) == "DZA\\F\\1-2"  # id with | is escaped
    assert str(message.segment("SCH")[25]) == "CONFIRMED"
    assert "Подтвердил; попыток 2" in str(message.segment("NTE")[3])


async def test_result_refused_by_mis_is_an_error() -> None:
    peer, server, port = await result_peer("AE")
    try:
        conn = make(result={"host": "127.0.0.1", "port": port, "template": RESULT_TEMPLATE})
        with pytest.raises(MisError, match=r"hl7-test: MLLP 127\.0\.0\.1:\d+: .*AE.*неизвестная"):
            await conn.write(record(Outcome.BUSY))
    finally:
        server.close()
        await server.wait_closed()
    assert len(peer.received) == 1


async def test_unreachable_mis_is_an_error_after_bounded_attempts() -> None:
    _, server, port = await result_peer("AA")
    server.close()
    await server.wait_closed()
    conn = make(
        result={"host": "127.0.0.1", "port": port, "template": RESULT_TEMPLATE, "attempts": 2}
    )
    with pytest.raises(MisError, match=r"нет ответа .*попыток: 2"):
        await conn.write(record())


async def test_the_first_fetch_starts_the_listener(tmp_path: Path) -> None:
    conn = make()
    try:
        assert await held(conn) == []
        assert conn.port
        out = await mllp_send(conn.port, [siu("S12", "M8", "A8", "202611270830")], tmp_path)
        assert acks(out) == ["MSA|AA|M8"]
        assert [a.external_id for a in await held(conn) if isinstance(a, Appointment)] == ["A8"]
    finally:
        await conn.aclose()
