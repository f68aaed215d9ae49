"""Helpers for the dialog tests: demo data, a scripted run, a recording MIS server."""

from __future__ import annotations

import io
import json
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from dozvon.dialog.context import DialogData
from dozvon.dialog.demo_mis import DemoMisHandler
from dozvon.dialog.engine import DialogResult, run_scenario
from dozvon.dialog.library import find, resolver_near
from dozvon.dialog.loader import Scenario, load_text
from dozvon.dialog.scripted import ScriptedConversation
from dozvon.dialog.simdata import demo_data, dialog_data, set_var

SECOND_VISIT = {
    "id": "A-1002",
    "start": "2026-11-27T11:15:00+03:00",
    "doctor": {"name": "Козлова Елена Сергеевна", "specialty": "врач ультразвуковой диагностики"},
    "services": ["УЗИ брюшной полости"],
}


@dataclass
class Played:
    result: DialogResult
    line: ScriptedConversation

    @property
    def said(self) -> str:
        return "\n".join(
            s.text for s in self.line.transcript if s.kind in ("say", "ask", "message")
        )

    def transcript(self) -> str:
        lines = [f"{s.at:6.1f} {s.kind}: {s.text}".rstrip() for s in self.line.transcript]
        return "\n".join([*lines, f"outcome: {self.result.outcome.value}", ""])


def make_data(*assignments: str, raw: dict[str, Any] | None = None) -> DialogData:
    data = raw if raw is not None else demo_data()
    for assignment in assignments:
        set_var(data, assignment)
    return dialog_data(data, "test")


async def play(
    scenario: Scenario | str,
    keys: str = "",
    data: DialogData | None = None,
    **line_options: Any,
) -> Played:
    chosen = find(scenario) if isinstance(scenario, str) else scenario
    line = ScriptedConversation(keys, **line_options)
    result = await run_scenario(chosen, line, data or make_data(), resolve=resolver_near(chosen))
    return Played(result, line)


def scenario_from(text: str, tmp_path: Path | None = None) -> Scenario:
    return load_text(text, "test.yaml", base_dir=tmp_path)


class RecordingHandler(DemoMisHandler):
    """The demo MIS, plus failure modes chosen by path prefix, recording every request."""

    requests: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        self._note(None)
        if not self._fail():
            super().do_GET()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        self._note(raw)
        if self._fail():
            return
        self.rfile = io.BytesIO(raw)  # the demo MIS handler reads the body again
        super().do_POST()

    def _note(self, body: bytes | None) -> None:
        self.requests.append(
            {"method": self.command, "path": self.path, "body": body, "headers": dict(self.headers)}
        )

    def _fail(self) -> bool:
        if self.path.startswith("/error"):
            self.reply(500, {"error": "boom"})
        elif self.path.startswith("/slow"):
            time.sleep(1.0)
            self.reply(200, [])
        elif self.path.startswith("/garbage"):
            data = b"{not json"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif self.path.startswith("/huge"):
            self.reply(200, ["x" * 1000] * 400)
        elif self.path.startswith("/two/slots"):
            self.reply(
                200,
                [
                    {"id": "S-1", "start": "2026-11-30T09:00:00+03:00"},
                    {"id": "S-2", "start": "2026-11-30T14:30:00+03:00"},
                ],
            )
        elif self.path.startswith("/two/"):
            self.path = self.path.removeprefix("/two")
            return False
        elif self.path.startswith("/empty/slots"):
            self.reply(200, [])
        elif self.path.startswith("/taken/"):
            self.reply(409, {"error": "slot taken"})
        else:
            return False
        return True


@dataclass
class Mis:
    url: str
    requests: list[dict[str, Any]]

    def json_bodies(self) -> list[Any]:
        return [json.loads(r["body"]) for r in self.requests if r["body"]]


def free_port_refused() -> str:
    """An address where nothing listens: the port of a socket we bound and closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
