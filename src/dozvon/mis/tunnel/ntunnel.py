"""The Navicat `ntunnel_mysql.php` wire format (v206), as bytes in and results out: no sockets.

Many clinics on shared hosting already run Navicat's script; our own `dozvon_tunnel.php`
speaks the same format. The request is a form POST (`actn`, `host`, `port`, `login`,
`password`, `db`, `q[]`, `encodeBase64`); the reply is big-endian binary:

    header   u32 1111 | u16 version | u32 errno | 6 × 0   (then, if errno, Block(message))
    actn=C   Block(host info) Block(protocol) Block(server version)
    actn=Q   per statement: u32 errno | u32 affected | u32 insert id | u32 fields | u32 rows
             | 12 × 0
             errno   → Block(message)
             fields  → per field Block(name) Block(table) u32 type u32 flags u32 length,
                       then rows × fields values (Block, or 0xFF for NULL)
             else    → Block(info)
             then 0x01 if another result follows, else 0x00
    Block    length < 254: u8 length + bytes; else 0xFE + u32 length + bytes
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

MAGIC = 1111
HEADER = struct.Struct(">IHI6x")
RESULT_HEADER = struct.Struct(">IIIII12x")
FIELD_TAIL = struct.Struct(">III")
NULL = 0xFF
LONG_BLOCK = 0xFE

_INTEGER_TYPES = frozenset({1, 2, 3, 8, 9, 13})
_FLOAT_TYPES = frozenset({4, 5})
_DECIMAL_TYPES = frozenset({0, 246})
_DATETIME_TYPES = frozenset({7, 12})
_DATE_TYPES = frozenset({10, 14})


class TunnelProtocolError(Exception):
    """The reply is not in the tunnel format (often a PHP error page instead)."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    table: str
    type: int
    flags: int
    length: int


@dataclass(slots=True)
class Result:
    errno: int = 0
    error: str = ""
    affected: int = 0
    insert_id: int = 0
    columns: list[Column] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    connect: bool = False
    """The script could not connect to MySQL: no statement ran."""


def request_form(
    action: str, statements: Sequence[str], credentials: dict[str, str]
) -> dict[str, str | list[str]]:
    """The form fields; `encodeBase64` only with statements (v206 fails on it for actn=C)."""
    form: dict[str, str | list[str]] = {"actn": action, **credentials}
    if statements:
        form["encodeBase64"] = "1"
        form["q[]"] = [base64.b64encode(s.encode()).decode("ascii") for s in statements]
    return form


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise TunnelProtocolError(f"ответ туннеля оборван на байте {self.pos}")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def unpack(self, shape: struct.Struct) -> tuple[Any, ...]:
        return shape.unpack(self.take(shape.size))

    def block(self) -> bytes | None:
        first = self.take(1)[0]
        if first == NULL:
            return None
        if first == LONG_BLOCK:
            (size,) = struct.unpack(">I", self.take(4))
            return self.take(size)
        return self.take(first)

    def text(self) -> str:
        return (self.block() or b"").decode("utf-8", "replace")

    @property
    def done(self) -> bool:
        return self.pos >= len(self.data)


def _header(reader: _Reader) -> tuple[int, int]:
    if len(reader.data) < HEADER.size:
        raise TunnelProtocolError(_not_a_tunnel(reader.data))
    magic, version, errno = reader.unpack(HEADER)
    if magic != MAGIC:
        raise TunnelProtocolError(_not_a_tunnel(reader.data))
    return version, errno


def _not_a_tunnel(data: bytes) -> str:
    sample = " ".join(data[:200].decode("utf-8", "replace").split())
    return f"ответ не в формате туннеля: {sample!r}"


def parse_connect(data: bytes) -> tuple[int, dict[str, str]]:
    """The reply to actn=C: (errno, info); errno comes with the MySQL error message."""
    reader = _Reader(data)
    version, errno = _header(reader)
    if errno:
        return errno, {"error": reader.text()}
    return 0, {
        "tunnel_version": str(version),
        "host_info": reader.text(),
        "protocol": reader.text(),
        "server_version": reader.text(),
    }


def parse_query(data: bytes) -> list[Result]:
    """The reply to actn=Q: one result per statement that ran (a connect error gives one)."""
    reader = _Reader(data)
    _, errno = _header(reader)
    if errno:
        return [Result(errno=errno, error=reader.text(), connect=True)]
    results = []
    while not reader.done:
        errno, affected, insert_id, fields, rows = reader.unpack(RESULT_HEADER)
        result = Result(errno=errno, affected=affected, insert_id=insert_id)
        if errno:
            result.error = reader.text()
        elif fields:
            result.columns = [_column(reader) for _ in range(fields)]
            result.rows = list(_rows(reader, result.columns, rows))
        else:
            reader.text()
        results.append(result)
        if reader.done or reader.take(1)[0] == 0:
            break
    return results


def _column(reader: _Reader) -> Column:
    name, table = reader.text(), reader.text()
    kind, flags, length = reader.unpack(FIELD_TAIL)
    return Column(name, table, kind, flags, length)


def _rows(reader: _Reader, columns: list[Column], count: int) -> Iterator[tuple[Any, ...]]:
    for _ in range(count):
        yield tuple(convert(reader.block(), column.type) for column in columns)


def convert(raw: bytes | None, kind: int) -> Any:
    """mysqli's text values into Python ones, by the column's MYSQLI_TYPE_* code."""
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    if kind in _INTEGER_TYPES:
        return int(text)
    if kind in _FLOAT_TYPES:
        return float(text)
    if kind in _DECIMAL_TYPES:
        return Decimal(text)
    if kind in _DATETIME_TYPES:
        return None if text.startswith("0000") else datetime.fromisoformat(text)
    if kind in _DATE_TYPES:
        return None if text.startswith("0000") else date.fromisoformat(text)
    return text
