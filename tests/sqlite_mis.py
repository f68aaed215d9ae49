"""The small MIS the daemon and CLI tests start from: an SQLite `visits` table tomorrow, and the
`mis:` config section that reads it and writes each outcome code back into `result`."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")


def tomorrows_visits(count: int, name: str = "Иванова Мария Петровна") -> list[tuple[Any, ...]]:
    """Visit i at 1i:00 tomorrow (Moscow), phone +7916000000i."""
    tomorrow = datetime.now(MOSCOW).date() + timedelta(days=1)
    return [(i, name, f"+7916000000{i}", f"{tomorrow} 1{i}:00:00") for i in range(1, count + 1)]


def sqlite_mis(path: Path, visits: list[tuple[Any, ...]], **fields: Any) -> dict[str, Any]:
    """Create the MIS at `path` holding `visits`; its `mis:` section, `fields` added to the
    mapping."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE visits (id INTEGER, name TEXT, phone TEXT, at TEXT, result TEXT)")
        db.executemany("INSERT INTO visits VALUES (?, ?, ?, ?, NULL)", visits)
    return {
        "name": "clinic",
        "source": {
            "kind": "sql",
            "url": f"sqlite:///{path}",
            "select": "SELECT id, name, phone, at FROM visits "
            "WHERE at >= :window_start AND at < :window_end",
            "writeback": "UPDATE visits SET result = :outcome_code WHERE id = :appointment_id",
        },
        "mapping": {
            "fields": {
                "external_id": "id",
                "patient.name": "name",
                "patient.phones": "phone",
                "start": "at",
                **fields,
            }
        },
    }
