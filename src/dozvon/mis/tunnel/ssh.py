"""An SSH tunnel to a database that only the clinic's server can see.

Preferred over the HTTP tunnel whenever the clinic can allow SSH: the driver keeps real bind
parameters and transactions, and the host key is verified. asyncssh forwards a local port on
127.0.0.1 to the database host as seen from the SSH server.
"""

from __future__ import annotations

from pathlib import Path

import asyncssh
from pydantic import ConfigDict, Field

from dozvon.mis.base import MisError
from dozvon.mis.config import SecretRef

DEFAULT_PORTS = {
    "mysql": 3306,
    "mariadb": 3306,
    "postgresql": 5432,
    "firebird": 3050,
    "mssql": 1433,
    "oracle": 1521,
}


class SshConfig(SecretRef):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    port: int = Field(22, ge=1, le=65535)
    user: str
    key_file: Path | None = None
    known_hosts: Path | None = None
    """The server's host key must be known; without this, ~/.ssh/known_hosts is used."""
    remote_host: str | None = None
    """The database host as the SSH server sees it; by default the host from the URL."""


class SshTunnel:
    def __init__(self, config: SshConfig) -> None:
        self.config = config
        self._conn: asyncssh.SSHClientConnection | None = None
        self._listener: asyncssh.SSHListener | None = None

    @property
    def is_open(self) -> bool:
        return self._listener is not None

    async def open(self, db_host: str, db_port: int | None, backend: str = "") -> tuple[str, int]:
        """Connect and forward; returns the local (host, port) to give the driver instead."""
        cfg = self.config
        port = db_port or DEFAULT_PORTS.get(backend, 0)
        if not port:
            raise MisError(f"SSH-туннель: укажите порт базы в url ({backend})")
        options: dict[str, object] = {"port": cfg.port, "username": cfg.user}
        password = cfg.password()
        if password is not None:
            options["password"] = password
        if cfg.key_file is not None:
            options["client_keys"] = [str(cfg.key_file)]
        if cfg.known_hosts is not None:  # never None-as-"don't check": omitted means the default
            options["known_hosts"] = str(cfg.known_hosts)
        try:
            self._conn = await asyncssh.connect(cfg.host, **options)
            self._listener = await self._conn.forward_local_port(
                "127.0.0.1", 0, cfg.remote_host or db_host, port
            )
        except (OSError, asyncssh.Error) as exc:
            await self.close()
            raise MisError(f"SSH-туннель к {cfg.user}@{cfg.host}:{cfg.port}: {exc}") from None
        return "127.0.0.1", self._listener.get_port()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._conn is not None:
            self._conn.close()
            await self._conn.wait_closed()
            self._conn = None
