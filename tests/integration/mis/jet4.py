"""A minimal Access 2000 (Jet 4) .mdb writer, for test fixtures only.

Nothing on this machine can create an .mdb (mdbtools only reads; Jackcess lives on Maven
Central, which is unreachable), so the tests write one from the published format description
(mdbtools' HACKING.md): page 0 with its RC4-masked header, a usage-map page, MSysObjects
(definition on page 2, as every reader expects), and one user table with its rows. No indexes,
no memo pages, at most one data page per table: enough for a small worklist, readable by the
real mdbtools (mdb-tables, mdb-export, the MDBTools ODBC driver).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

PAGE = 4096
HEADER_KEY = bytes([0xC7, 0xDA, 0x39, 0x6B])
OLE_EPOCH = datetime(1899, 12, 30)

LONG, INT, DATETIME, TEXT, OLE = 0x04, 0x03, 0x08, 0x0A, 0x0B
FIXED_SIZE = {LONG: 4, INT: 2, DATETIME: 8}

USAGE_PAGE, CATALOG_TDEF, CATALOG_DATA, TABLE_TDEF, TABLE_DATA = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Column:
    name: str
    kind: int

    @property
    def fixed(self) -> bool:
        return self.kind in FIXED_SIZE


def _rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def _header_page() -> bytes:
    page = bytearray(PAGE)
    page[0:4] = b"\x00\x01\x00\x00"
    page[4:20] = b"Standard Jet DB\x00"
    page[0x14] = 0x01  # Jet 4
    plain = bytearray(128)  # 0x18..0x98, masked with RC4; db key 0 = pages not encrypted
    struct.pack_into("<H", plain, 0x3C - 0x18, 1252)
    struct.pack_into("<H", plain, 0x6E - 0x18, 0x0409)
    page[0x18 : 0x18 + 128] = _rc4(HEADER_KEY, bytes(plain))
    return bytes(page)


def _value(column: Column, value: object) -> bytes:
    if column.kind == LONG:
        return struct.pack("<i", int(value))  # type: ignore[call-overload]
    if column.kind == INT:
        return struct.pack("<h", int(value))  # type: ignore[call-overload]
    if column.kind == DATETIME:
        assert isinstance(value, datetime)
        return struct.pack("<d", (value - OLE_EPOCH).total_seconds() / 86400)
    return str(value).encode("utf-16-le")


def _row(columns: Sequence[Column], values: Sequence[object]) -> bytes:
    fixed = b""
    var_parts: list[bytes] = []
    mask = 0
    for number, (column, value) in enumerate(zip(columns, values, strict=True)):
        present = value is not None
        mask |= present << number
        if column.fixed:
            fixed += _value(column, value) if present else bytes(FIXED_SIZE[column.kind])
        else:
            var_parts.append(_value(column, value) if present else b"")
    body = bytearray(struct.pack("<H", len(columns)) + fixed)
    offsets = []
    for part in var_parts:
        offsets.append(len(body))
        body += part
    offsets.append(len(body))  # end of data
    tail = b"".join(struct.pack("<H", o) for o in reversed(offsets))
    mask_bytes = mask.to_bytes((len(columns) + 7) // 8, "little")
    return bytes(body) + tail + struct.pack("<H", len(var_parts)) + mask_bytes


def _data_page(owner: int, rows: Sequence[bytes]) -> bytes:
    page = bytearray(PAGE)
    page[0], page[1] = 0x01, 0x01
    struct.pack_into("<I", page, 4, owner)
    struct.pack_into("<H", page, 12, len(rows))
    end = PAGE
    for number, row in enumerate(rows):
        start = end - len(row)
        if start < 14 + 2 * len(rows):
            raise ValueError("the rows do not fit in one page")
        page[start:end] = row
        struct.pack_into("<H", page, 14 + 2 * number, start)
        end = start
    struct.pack_into("<H", page, 2, end - (14 + 2 * len(rows)))
    return bytes(page)


def _usage_map(page: int) -> bytes:
    bitmap = bytearray(59)
    bitmap[page // 8] |= 1 << (page % 8)
    return b"\x00" + struct.pack("<I", 0) + bytes(bitmap)


def _tdef_page(columns: Sequence[Column], rows: int, system: bool, maps: tuple[int, int]) -> bytes:
    page = bytearray(PAGE)
    page[0], page[1] = 0x02, 0x01
    struct.pack_into("<I", page, 16, rows)
    page[40] = 0x53 if system else 0x4E
    var_count = sum(not c.fixed for c in columns)
    struct.pack_into("<HHH", page, 41, len(columns), var_count, len(columns))
    struct.pack_into("<IIII", page, 47, 0, 0, *maps)
    position, fixed_offset, var_number = 63, 0, 0
    for number, column in enumerate(columns):
        entry = bytearray(25)
        entry[0] = column.kind
        struct.pack_into("<H", entry, 5, number)
        struct.pack_into("<H", entry, 7, 0 if column.fixed else var_number)
        struct.pack_into("<H", entry, 9, number)
        struct.pack_into("<H", entry, 11, 0x0409 if column.kind == TEXT else 0)
        entry[15] = 0x03 if column.fixed else 0x02
        struct.pack_into("<H", entry, 21, fixed_offset if column.fixed else 0)
        size = FIXED_SIZE.get(column.kind, 510 if column.kind == TEXT else 0)
        struct.pack_into("<H", entry, 23, size)
        if column.fixed:
            fixed_offset += FIXED_SIZE[column.kind]
        else:
            var_number += 1
        page[position : position + 25] = entry
        position += 25
    for column in columns:
        name = column.name.encode("utf-16-le")
        page[position : position + 2 + len(name)] = struct.pack("<H", len(name)) + name
        position += 2 + len(name)
    struct.pack_into("<I", page, 8, position - 8)
    struct.pack_into("<H", page, 2, PAGE - position - 8)
    return bytes(page)


CATALOG = [
    Column("Id", LONG),
    Column("ParentId", LONG),
    Column("Name", TEXT),
    Column("Type", INT),
    Column("Flags", LONG),
    Column("LvProp", OLE),
]


def write_mdb(
    path: Path, table: str, columns: Sequence[Column], rows: Sequence[Sequence[object]]
) -> Path:
    """One user table `table` with `columns` and `rows` (None is NULL)."""
    catalog_rows = [_row(CATALOG, [TABLE_TDEF, 0, table, 1, 0, None])]
    usage = _data_page(
        0,
        [
            _usage_map(CATALOG_DATA),
            _usage_map(CATALOG_DATA),
            _usage_map(TABLE_DATA),
            _usage_map(TABLE_DATA),
        ],
    )
    pages = [
        _header_page(),
        usage,
        _tdef_page(CATALOG, 1, True, (USAGE_PAGE << 8 | 0, USAGE_PAGE << 8 | 1)),
        _data_page(CATALOG_TDEF, catalog_rows),
        _tdef_page(columns, len(rows), False, (USAGE_PAGE << 8 | 2, USAGE_PAGE << 8 | 3)),
        _data_page(TABLE_TDEF, [_row(columns, values) for values in rows]),
    ]
    path.write_bytes(b"".join(pages))
    return path
