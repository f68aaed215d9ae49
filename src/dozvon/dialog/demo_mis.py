"""A tiny MIS HTTP API with demo answers, so `dozvon simulate` can run the scenarios that call one.

It serves what the built-in scenarios ask for (free slots, booking, moving a visit, lab order
status) from fixed demo data, on 127.0.0.1 and a free port, in a background thread. A clinic's
real API differs; the scenario's ``call_api`` steps are where that is adapted.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

SLOTS = [
    {"id": "S-1", "start": "2026-11-30T09:00:00+03:00", "doctor": "Сидоров Алексей Иванович"},
    {"id": "S-2", "start": "2026-11-30T14:30:00+03:00", "doctor": "Сидоров Алексей Иванович"},
    {"id": "S-3", "start": "2026-12-01T11:15:00+03:00", "doctor": "Сидоров Алексей Иванович"},
]
LAB_ORDERS = {
    "+79161234567": {
        "found": True,
        "code": "123456",
        "status": "ready",
        "ready_date": "2026-11-26",
    },
    "+79167654321": {
        "found": True,
        "code": "654321",
        "status": "in_progress",
        "ready_date": "2026-11-28",
    },
}


class DemoMisHandler(BaseHTTPRequestHandler):
    server_version = "DozvonDemoMIS/1"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == "/slots":
            self.reply(200, SLOTS)
        elif url.path == "/lab/orders":
            self.reply(200, _lab_order(query))
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self.reply(400, {"error": "bad json"})
            return
        slot = next((s for s in SLOTS if s["id"] == body.get("slot_id")), None)
        booking = url.path == "/appointments" or (
            url.path.startswith("/appointments/") and url.path.endswith("/move")
        )
        if not booking:
            self.reply(404, {"error": "not found"})
        elif slot is None:
            self.reply(409, {"error": "slot taken"})
        else:
            self.reply(200, {"id": "A-2001", "start": slot["start"], "doctor": slot["doctor"]})

    def reply(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the simulator's output is the dialog, not an access log."""


def _lab_order(query: dict[str, str]) -> dict[str, Any]:
    if "phone" in query:
        return LAB_ORDERS.get(query["phone"], {"found": False})
    code = query.get("code")
    return next((o for o in LAB_ORDERS.values() if o["code"] == code), {"found": False})


class DemoMis:
    """``with DemoMis() as mis: mis.url`` — serves until the block ends."""

    def __init__(self, handler: type[BaseHTTPRequestHandler] = DemoMisHandler) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> DemoMis:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
