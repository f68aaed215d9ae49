"""Runs a fake remote service (a Starlette app) as a real HTTP server on a free loopback port.

Fakes stand in only for services that cannot run here (Bitrix24, amoCRM, 1C, Renovatio, the
XML gateway); connectors talk real HTTP to them, through the same httpx stack as in production.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Yield the base URL (http://127.0.0.1:PORT) while the app serves in a daemon thread."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("fake server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


async def form_fields(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body, without python-multipart."""
    return dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
