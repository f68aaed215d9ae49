"""Bits of YAML text for the starter config: safe scalars and commented key lines."""

from __future__ import annotations

import json

FILL = "# ← ЗАПОЛНИТЕ / FILL IN"
COMMENT_COLUMN = 38


def quoted(value: str) -> str:
    """A double-quoted YAML scalar (JSON is valid YAML) whose `${` is never a reference."""
    return json.dumps(value.replace("${", "$${"), ensure_ascii=False)


def lines(pairs: list[tuple[str, str]], indent: int) -> str:
    """`key: value  # comment` lines with the comments in one column."""
    out = []
    for left, comment in pairs:
        line = " " * indent + left
        out.append(f"{line:<{COMMENT_COLUMN}} {comment}" if comment else line)
    return "\n".join(out)
