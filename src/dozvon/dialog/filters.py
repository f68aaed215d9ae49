"""Filters scenarios need beyond the speech ones: addressing a person, reading MIS timestamps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from dozvon.speech.say.names import Role, name_ru, split_name


def given_name(full_name: str, case: str = "nomn") -> str:
    """«Иванова Мария Петровна» → «Мария Петровна»: how one politely addresses a Russian patient.

    Falls back to the whole name when the MIS gives no first name (a lone surname)."""
    polite = [
        part.text for part in split_name(full_name) if part.role in (Role.FIRST, Role.PATRONYMIC)
    ]
    return name_ru(" ".join(polite) if polite else full_name, case)


def as_datetime(value: str | datetime) -> datetime:
    """ISO text from an MIS API («2026-11-28T09:00:00+03:00») → what the speech filters read."""
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{value!r}: ожидались дата и время ISO 8601") from None


DIALOG_FILTERS: dict[str, Callable[..., Any]] = {
    "given_name": given_name,
    "as_datetime": as_datetime,
}
