"""Reading an Update defensively: over a webhook its body may be anything at all."""

from __future__ import annotations

from typing import Any


def part(value: object, key: str) -> dict[str, Any]:
    """`value[key]` when both are objects, else {}."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def chat_id(value: object) -> str | None:
    """A chat or user id: an integer (never a bool or a string that only looks like one)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None
