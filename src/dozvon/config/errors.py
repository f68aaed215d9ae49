"""Config errors that say where: the file, the line and the dotted key, and what was expected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

Key = tuple[str | int, ...]


def dotted(key: Key) -> str:
    """`("campaigns", 0, "hours")` → `campaigns[0].hours`: how an admin reads it in the file."""
    text = ""
    for part in key:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    file: Path | None
    line: int | None
    key: Key
    message: str

    def __str__(self) -> str:
        where = str(self.file) if self.file else "<config>"
        if self.line is not None:
            where += f":{self.line}"
        if self.key:
            where += f" {dotted(self.key)}"
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """One or more problems in a config; `str()` lists each as `file:line key: message`."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))

    @classmethod
    def at(cls, file: Path | None, line: int | None, key: Key, message: str) -> ConfigError:
        return cls([ConfigIssue(file, line, key, message)])
