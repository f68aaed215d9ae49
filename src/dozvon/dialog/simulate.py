"""One simulated dialog as `dozvon simulate` runs it: demo data, keys scripted or typed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dozvon.core.outcome import Channel
from dozvon.dialog.demo_mis import DemoMis
from dozvon.dialog.engine import DialogResult, run_scenario
from dozvon.dialog.library import find, resolver_near
from dozvon.dialog.simdata import demo_data, dialog_data, set_var
from dozvon.dialog.terminal import TerminalConversation


@dataclass
class Simulation:
    scenario: str
    data: dict[str, Any] = field(default_factory=demo_data)
    source: str = "демо-данные"
    keys: str | None = None
    """None: read keys from the keyboard."""
    answering_machine: bool = False
    channel: Channel = Channel.VOICE
    write: Callable[[str], None] = print
    read: Callable[[str], str] = input

    def set(self, assignment: str) -> None:
        set_var(self.data, assignment)

    def run(self) -> DialogResult:
        """Raises ScenarioErrors, DataError or NotAllowed when the dialog cannot start."""
        scenario = find(self.scenario)
        conversation = TerminalConversation(
            script=self.keys or "",
            interactive=self.keys is None,
            answering_machine=self.answering_machine,
            channel=self.channel,
            write=self.write,
            read=self.read,
        )
        options = self.data.setdefault("options", {})
        with DemoMis() as mis:
            if isinstance(options, dict) and not options.get("api_base"):
                options["api_base"] = mis.url
            data = dialog_data(self.data, self.source)
            return asyncio.run(
                run_scenario(scenario, conversation, data, resolve=resolver_near(scenario))
            )


def call_json(result: DialogResult) -> dict[str, Any]:
    """The same fields as `dozvon call --json`, plus the dialog's steps and answers."""
    evidence = result.evidence
    return {
        "outcome": result.outcome.value,
        "sip_status": evidence.sip_status,
        "answered": True,
        "digits": evidence.digits,
        "ring_seconds": evidence.ring_seconds,
        "talk_seconds": evidence.talk_seconds,
        "hangup_by": evidence.hangup_by.value if evidence.hangup_by else None,
        "steps": [{"at": e.at, "kind": e.kind, "text": e.detail} for e in result.events],
        "answers": dict(result.answers),
    }
