"""uvicorn as Dozvon runs it: alone (`dozvon serve`) or inside the daemon's event loop
(`dozvon run --web`), with the same listener settings either way."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from dozvon.config.web import WebSettings

PROXY = "127.0.0.1"
"""X-Forwarded-* headers are believed only from a reverse proxy on this host."""


def server_config(app: FastAPI, web: WebSettings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=web.host,
        port=web.port,
        proxy_headers=True,
        forwarded_allow_ips=PROXY,
        server_header=False,
    )


class EmbeddedServer(uvicorn.Server):
    """uvicorn in a loop whose owner already handles SIGTERM: it stops when told, instead of
    taking the signals for itself (and re-raising them when it exits)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebStartFailed(RuntimeError):
    pass


class EmbeddedWeb:
    def __init__(self, app: FastAPI, web: WebSettings) -> None:
        self.server = EmbeddedServer(server_config(app, web))
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Returns once the port listens; raises `WebStartFailed` when it cannot (in use)."""
        self._task = asyncio.create_task(self._serve())
        while not self.server.started:
            if self._task.done():
                raise WebStartFailed("веб-сервер не запустился / the web server did not start")
            await asyncio.sleep(0.05)

    async def _serve(self) -> None:
        # uvicorn exits the process (SystemExit) when it cannot bind; here that only ends
        # the web task, and `start` reports it.
        with contextlib.suppress(SystemExit):
            await self.server.serve()

    @property
    def stopped(self) -> bool:
        return self._task is not None and self._task.done()

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            await self._task
