"""What every file source shares: its settings, lock detection, atomic replacement, results files.

A file is the MIS's export; the results go back either into the same file (a column per result
field) or into a separate results file the MIS imports. Either way the file on disk is only
ever replaced whole (a temp file beside it, then a rename), so a crash or a full disk leaves the
old file, never half of a new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from dozvon.mis.base import MisError
from dozvon.mis.mapping import Mapper
from dozvon.mis.values import ValueProblem, as_int, as_text

ResultsMode = Literal["in_place", "separate", "none"]


class FileConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path
    results: ResultsMode = "in_place"
    """in_place: a column per result field in the same file; separate: rows in results_path."""
    results_path: Path | None = None

    @model_validator(mode="after")
    def _results_path(self) -> FileConfig:
        if self.results == "separate" and self.results_path is None:
            raise ValueError("results: separate требует results_path (.csv или .xlsx)")
        if self.results_path is not None and self.results_path.suffix.lower() not in (
            ".csv",
            ".xlsx",
        ):
            raise ValueError("results_path: поддерживаются .csv и .xlsx")
        return self


def ensure_unlocked(path: Path, source: str) -> None:
    """Refuse to replace a file someone has open for editing: their save would undo ours."""
    for marker in (path.with_name(f".~lock.{path.name}#"), path.with_name(f"~${path.name}")):
        if marker.exists():
            raise MisError(
                f"{source}: файл {path} открыт в другой программе (есть {marker.name}); "
                "закройте его и повторите"
            )
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    except PermissionError as exc:
        raise MisError(f"{source}: нет доступа к файлу {path}: {exc.strerror}") from None
    with handle:
        for probe in (fcntl.flock, _lockf):
            try:
                probe(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raise MisError(
                    f"{source}: файл {path} заблокирован другой программой; результаты не записаны"
                ) from None
            except OSError:
                continue  # a filesystem without locks (some network shares): nothing to learn
            probe(handle.fileno(), fcntl.LOCK_UN)


def _lockf(fd: int, operation: int) -> None:
    """POSIX record locks, which LibreOffice and Samba use and flock() does not see."""
    if operation == fcntl.LOCK_UN:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return
    with open(fd, "rb", closefd=False) as readable:  # lockf(LOCK_SH) needs a readable fd
        fcntl.lockf(readable.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)


def replace_atomically(path: Path, write: Callable[[Path], object], source: str) -> None:
    """Write the new content to a temp file in the same directory, then rename it over `path`."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    temp = Path(name)
    try:
        write(temp)
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        if path.exists():
            with contextlib.suppress(OSError):
                os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except PermissionError as exc:
        raise MisError(f"{source}: нет прав на запись {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def id_column(mapper: Mapper) -> str:
    """Write-back finds the row by the column the appointment id was read from."""
    column = mapper.config.fields["external_id"].column
    if column is None:
        raise MisError(
            f"{mapper.source}: запись в файл требует, чтобы external_id был одним столбцом"
        )
    return column


def attempt_column(mapper: Mapper) -> str | None:
    """The result column holding our attempt number, if any: it guards against stale writes."""
    for name, spec in mapper.config.results.fields.items():
        if spec.value == "attempt":
            return name
    return None


def already_written(existing: object, attempt: int) -> bool:
    """A row that already holds this attempt or a later one must not be overwritten."""
    try:
        return as_int(existing) >= attempt
    except ValueProblem:
        return False


def same_id(cell: object, appointment_id: str) -> bool:
    return as_text(cell) == appointment_id
