"""HL7 v2 over MLLP: the MIS pushes SIU^S12/S14/S15, we acknowledge, and we send results back.

HL7 is push, not pull: the listener (an asyncio MLLP server from python-hl7) receives each
message, maps it at once with the clinic's declarative mapping and answers ACK AA, or AE with
the reason (so the MIS shows the clinic what to fix). Accepted appointments are kept by id:
S12 adds, S14 replaces, S15 marks cancelled. `fetch(window)` hands out what is held for the
window. The result goes back as a message built from a configurable template, over MLLP, and
counts as written only when the MIS answers AA/CA. Its control id is derived from
(appointment id, attempt), so a repeated send is recognisable as a duplicate (MSH-10).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Literal

import hl7
from hl7.mllp import InvalidBlockError, open_hl7_connection, start_hl7_server
from pydantic import BaseModel, ConfigDict, Field, field_validator

from dozvon.core.appointment import Appointment
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig
from dozvon.mis.interface import InterfaceConnector
from dozvon.mis.values import SafeTemplate

log = logging.getLogger(__name__)

PATH = re.compile(r"^([A-Z][A-Z0-9]{2})-(\d+)(?:\.(\d+))?(?:\.(\d+))?$")
DEFAULT_COLUMNS: dict[str, str] = {
    "event": "MSH-9.2",
    "control_id": "MSH-10",
    "placer_id": "SCH-1.1",
    "filler_id": "SCH-2.1",
    "start": "SCH-11.4",
    "filler_status": "SCH-25.1",
    "patient_id": "PID-3.1",
    "patient_name": "PID-5",
    "patient_phones": "PID-13.1",
    "patient_phones_e164": "PID-13.12",
    "service": "AIS-3.2",
    "doctor_family": "AIP-3.2",
    "doctor_given": "AIP-3.3",
    "doctor_middle": "AIP-3.4",
    "specialty": "AIP-4.2",
    "location": "AIL-3.1",
}
"""Column → HL7 path ("SEG-field[.component[.subcomponent]]"); a config may add or override."""
EVENTS = frozenset({"S12", "S14", "S15"})
CANCELLED = frozenset({"cancelled", "deleted"})
ACCEPTED_ACKS = frozenset({"AA", "CA"})
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("~", "\\R\\"), ("&", "\\T\\"))


class ResultConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    port: int = Field(ge=1, le=65535)
    template: list[str]
    """One line per segment; `{name}` placeholders from the mapping's outbound values plus
    `control_id` and `now` (HL7 timestamps). Values are HL7-escaped."""
    timeout: float = 10.0
    attempts: int = Field(3, ge=1, le=10)

    @field_validator("template")
    @classmethod
    def _starts_with_msh(cls, lines: list[str]) -> list[str]:
        if not lines or not lines[0].startswith("MSH|"):
            raise ValueError("шаблон результата должен начинаться с сегмента MSH|")
        for line in lines:
            SafeTemplate(line)
        return lines


class Hl7Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["hl7"]
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(2575, ge=0, le=65535)
    encoding: str = "utf-8"
    columns: dict[str, str] = Field(default_factory=dict)
    result: ResultConfig | None = None

    @field_validator("columns")
    @classmethod
    def _paths(cls, columns: dict[str, str]) -> dict[str, str]:
        for name, path in columns.items():
            if not PATH.match(path):
                raise ValueError(f"columns.{name}: путь {path!r} не вида PID-5 или SCH-11.4")
        return columns


def extract(message: hl7.Message, path: str) -> str | None:
    """The text at a path, unescaped; repetitions joined by "; ", a whole field's parts by spaces.

    Works on the raw field text with the message's own separators: python-hl7 nests a field
    differently depending on whether it has repetitions or components.
    """
    match = PATH.match(path)
    if match is None:
        raise ValueError(path)
    name, field_no, component, sub = match.groups()
    try:
        segment = message.segment(name)
    except KeyError:
        return None
    index = int(field_no)
    if index >= len(segment):
        return None
    _, _, rep_sep, comp_sep, sub_sep = message.separators[:5]
    values = []
    for repetition in str(segment[index]).split(rep_sep):
        if component is None:
            parts = repetition.replace(sub_sep, comp_sep).split(comp_sep)
            value = " ".join(message.unescape(p).strip() for p in parts if p.strip())
        else:
            value = _nth(_nth(repetition, comp_sep, component), sub_sep, sub or "1")
            value = message.unescape(value).strip()
        if value:
            values.append(value)
    return "; ".join(values) or None


def _nth(text: str, separator: str, position: str) -> str:
    parts = text.split(separator)
    index = int(position) - 1
    return parts[index] if 0 <= index < len(parts) else ""


def escape(value: object) -> str:
    text = "" if value is None else str(value)
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S%z")


class Hl7Connector(InterfaceConnector):
    Config = Hl7Config

    def __init__(self, config: Hl7Config, mis: MisConfig) -> None:
        super().__init__(mis)
        self.config = config
        self.columns = {**DEFAULT_COLUMNS, **config.columns}
        self.offer([*self.columns, "status"])
        self.held: dict[str, Appointment] = {}
        self.errors: list[RowError] = []
        self._server: asyncio.base_events.Server | None = None
        self.port: int | None = None

    async def start(self) -> int:
        """Start listening; returns the port (useful with listen_port 0)."""
        self._server = await start_hl7_server(
            self._serve,
            self.config.listen_host,
            self.config.listen_port,
            encoding=self.config.encoding,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def __aenter__(self) -> Hl7Connector:
        await self.start()
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: Any, writer: Any) -> None:
        peer = writer.get_extra_info("peername")
        try:
            while not reader.at_eof():
                try:
                    block = await reader.readblock()
                except asyncio.IncompleteReadError:
                    return
                text = block.decode(self.config.encoding, "replace")
                writer.writemessage(self.receive(text, peer))
                await writer.drain()
        except (InvalidBlockError, ValueError) as exc:
            log.warning("%s: MLLP from %s: broken frame, closed: %s", self.name, peer, exc)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def receive(self, text: str, peer: object = None) -> hl7.Message:
        """Take one message; the answer is its ACK (AA) or AE with the reason."""
        try:
            message = hl7.parse(text)
            message.segment("MSH")
        except Exception:
            return _bare_ack("AE", "", "сообщение не разобрано как HL7 v2 (нет MSH?)")
        label = extract(message, "MSH-10") or "?"
        kind = f"{extract(message, 'MSH-9.1') or ''}^{extract(message, 'MSH-9.2') or ''}"
        if kind.split("^")[0] != "SIU" or kind.split("^")[1] not in EVENTS:
            shown = kind.replace("^", " ")
            return _ack(message, "AE", f"тип {shown} не поддерживается: ждём SIU S12, S14, S15")
        row: dict[str, str | None] = {
            name: extract(message, path) for name, path in self.columns.items()
        }
        status = (row.get("filler_status") or "").lower()
        row["status"] = "cancelled" if kind.endswith("S15") or status in CANCELLED else "booked"
        result = self.mapper.map_row(label, row)
        if not isinstance(result, Appointment):
            self.errors.extend(result)
            reason = "; ".join(str(e) for e in result)
            log.info("%s: HL7 %s from %s refused: %s", self.name, label, peer, reason)
            return _ack(message, "AE", reason)
        self.held[result.external_id] = result
        return _ack(message, "AA", "")

    async def fetch(self, window: Window) -> AsyncIterator[Appointment | RowError]:
        if self._server is None:
            await self.start()  # a long-lived connector starts listening on its first sync
        errors, self.errors = self.errors, []
        for error in errors:
            yield error
        for appointment in list(self.held.values()):
            if window.start <= appointment.start < window.end:
                yield appointment

    async def check(self, window: Window) -> list[str]:
        held = sum(1 for a in self.held.values() if window.start <= a.start < window.end)
        state = f"слушаем порт {self.port}" if self._server else "приёмник не запущен"
        return [f"{self.name}: {state}; записей за период: {held}"]

    async def write(self, record: OutcomeRecord) -> None:
        if self.config.result is None:
            raise MisError(f"{self.name}: отправка результата по HL7 не настроена (result)")
        result = self.config.result
        text = self.render(record)
        where = f"{self.name}: MLLP {result.host}:{result.port}"
        for attempt in range(1, result.attempts + 1):
            try:
                ack = await asyncio.wait_for(self._send(text), result.timeout)
            except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
                if attempt == result.attempts:
                    raise MisError(
                        f"{where}: нет ответа ({type(exc).__name__}); попыток: {attempt}"
                    ) from None
                await asyncio.sleep(0.5 * 2 ** (attempt - 1))
                continue
            code = extract(ack, "MSA-1") or ""
            if code not in ACCEPTED_ACKS:
                reason = extract(ack, "MSA-3") or "без пояснения"
                raise MisError(f"{where}: МИС не приняла результат ({code or '?'}): {reason}")
            return

    def render(self, record: OutcomeRecord) -> str:
        assert self.config.result is not None
        values: dict[str, object] = {
            k: escape(v.strftime("%Y%m%d%H%M%S") if isinstance(v, datetime) else v)
            for k, v in self.mapper.outbound(record).items()
        }
        values["control_id"] = escape(f"DZ{record.appointment_id}-{record.attempt}")[:199]
        values["now"] = timestamp(datetime.now(UTC))
        lines = [SafeTemplate(line).render(values) for line in self.config.result.template]
        return "\r".join(lines)

    async def _send(self, text: str) -> hl7.Message:
        assert self.config.result is not None
        reader, writer = await open_hl7_connection(
            self.config.result.host, self.config.result.port, encoding=self.config.encoding
        )
        try:
            writer.writemessage(hl7.parse(text))
            await writer.drain()
            ack: hl7.Message = await reader.readmessage()
            return ack
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def _ack(message: hl7.Message, code: str, reason: str) -> hl7.Message:
    ack = message.create_ack(ack_code=code)
    if reason:
        ack.segment("MSA").assign_field(escape(reason)[:80], 3)
    return ack


def _bare_ack(code: str, control_id: str, reason: str) -> hl7.Message:
    now = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return hl7.parse(
        f"MSH|^~\\&|DOZVON||||{now}||ACK|DZ{now}|P|2.5\rMSA|{code}|{control_id}|{escape(reason)}"
    )
