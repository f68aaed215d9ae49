"""Microsoft Access (.mdb, .accdb) on Linux: read a whole table through mdbtools' `mdb-export`.

MDBTools cannot write, and its SQL (via ODBC) takes no parameters and compares dates wrongly,
so the table is exported as CSV and the window is applied after mapping. Results go to a
separate CSV/xlsx file that the clinic imports into Access.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Literal

from pydantic import field_validator

from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.files.common import FileConfig
from dozvon.mis.files.connector import FileConnector
from dozvon.mis.source import RawRow, Table

MDB_EXPORT = "mdb-export"
DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class AccessConfig(FileConfig):
    kind: Literal["access"] = "access"
    table: str
    jet3_charset: str = "cp1251"
    """Access 97 (JET3) files store 8-bit text; later versions store UTF-16 and ignore this."""
    results: Literal["separate", "none"] = "none"

    @field_validator("table")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not value or value.startswith("-") or "\n" in value:
            raise ValueError(f"недопустимое имя таблицы {value!r}")
        return value


class AccessConnector(FileConnector):
    Config = AccessConfig
    config: AccessConfig

    @contextlib.contextmanager
    def read(self, window: Window) -> Iterator[Table]:
        path = self.config.path
        if not path.exists():
            raise MisError(f"{self.name}: файл не найден: {path}")
        if path.stat().st_size == 0:
            yield Table([RowError(self.name, None, None, f"файл пуст: {path}")])
            return
        if shutil.which(MDB_EXPORT) is None:
            raise MisError(f"{self.name}: нет программы {MDB_EXPORT} (пакет mdbtools)")
        command = [
            MDB_EXPORT,
            "-D",
            DATE_FORMAT,
            "-T",
            DATETIME_FORMAT,
            "-b",
            "strip",
            str(path),
            self.config.table,
        ]
        env = {**os.environ, "MDB_JET3_CHARSET": self.config.jet3_charset}
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        ) as process:
            assert process.stdout is not None
            text = io.TextIOWrapper(process.stdout, encoding="utf-8", errors="replace", newline="")
            reader = csv.reader(text)
            header = next(reader, None)
            if header is None:
                process.wait()
                raise self._failed(process)
            try:
                yield Table(self._rows(reader, header, process), header)
            finally:
                process.kill()

    def _rows(
        self, reader: Iterator[list[str]], header: list[str], process: subprocess.Popen[bytes]
    ) -> Iterator[RawRow]:
        for number, fields in enumerate(reader, 1):
            yield number, dict(zip(header, fields, strict=False))
        if process.wait() != 0:
            raise self._failed(process)

    def _failed(self, process: subprocess.Popen[bytes]) -> MisError:
        assert process.stderr is not None
        reason = " ".join(process.stderr.read().decode("utf-8", "replace").split())
        return MisError(
            f"{self.name}: {MDB_EXPORT} не прочитал таблицу {self.config.table!r} "
            f"из {self.config.path}: {reason or f'код {process.returncode}'}"
        )

    def write_in_place(self, record: OutcomeRecord, fields: dict[str, object]) -> None:
        raise MisError(f"{self.name}: Access только для чтения; задайте results: separate")
