"""A text channel: one scenario run as written messages, judged like a call.

The same rules apply as to a call: `check_before_call` (consent, 38-FZ art. 18 for marketing,
the data the scenario needs) runs before the first message, so a refused task never writes to
anyone. What differs is the reading of silence: an unanswered question is `no_answer`, and a
message that asked nothing (a notice, any e-mail) is `message_left`; never `uncertain`, which
would count the patient as reached.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Protocol

from dozvon.channels.base import AttemptResult
from dozvon.channels.text.conversation import DeliveryFailed, Outbound, TextConversation
from dozvon.channels.text.inbox import ReplyInbox
from dozvon.core.outcome import Channel, Evidence, Outcome
from dozvon.core.task import Task
from dozvon.dialog.context import Clinic, DialogData
from dozvon.dialog.engine import check_before_call, run_scenario
from dozvon.dialog.errors import DataError
from dozvon.dialog.loader import Scenario

_SILENT = frozenset({Outcome.UNCERTAIN, Outcome.HUNG_UP})
"""What the engine makes of a dialog nobody answered."""


class Addressing(Protocol):
    """Where the task's person is reached on this channel, and how that is shown in logs."""

    def address(self, task: Task, phone: str) -> str:
        """Raises `DataError` naming the missing or malformed field."""
        ...

    def masked(self, address: str) -> str: ...


def extra_value(task: Task, name: str) -> str:
    """The first non-empty `extra.<name>` among the task's appointments (the MIS maps it),
    or ""."""
    for appointment in task.appointments:
        value = str(appointment.extra.get(name, "")).strip()
        if value:
            return value
    return ""


def extra_field(task: Task, name: str) -> str:
    """`extra_value`, required."""
    value = extra_value(task, name)
    if not value:
        raise DataError(f"нет адреса для этого канала: в записи не заполнено поле extra.{name}")
    return value


class TextChannel:
    def __init__(
        self,
        kind: Channel,
        outbound: Outbound,
        addressing: Addressing,
        clinic: Clinic,
        *,
        inbox: ReplyInbox | None,
        reply_timeout: float,
    ) -> None:
        """`inbox` None: a one-way channel (e-mail), whose dialog ends at the first question."""
        self.kind = kind
        self.outbound = outbound
        self.addressing = addressing
        self.clinic = clinic
        self.inbox = inbox
        self.reply_timeout = reply_timeout

    async def attempt(
        self, task: Task, scenario: Any, *, phone: str, attempt_no: int
    ) -> AttemptResult:
        assert isinstance(scenario, Scenario)
        data = DialogData.for_task(task, self.clinic)
        check_before_call(scenario, data, self.kind)
        address = self.addressing.address(task, phone)
        listening = (
            self.inbox.listening(self.kind, address)
            if self.inbox is not None
            else contextlib.nullcontext(None)
        )
        with listening as replies:
            line = TextConversation(self.kind, self.outbound, address, replies, self.reply_timeout)
            try:
                result = await run_scenario(scenario, line, data)
            except DeliveryFailed as exc:
                notes = {**self._notes(address, line), "error": exc.reason}
                return AttemptResult(exc.outcome, Evidence(notes=notes))
        notes = {**result.evidence.notes, **self._notes(address, line)}
        evidence = dataclasses.replace(result.evidence, notes=notes)
        return AttemptResult(self._outcome(result.outcome, line), evidence)

    def _outcome(self, outcome: Outcome, line: TextConversation) -> Outcome:
        if line.opted_out:
            return Outcome.OPTED_OUT
        if line.replies_received or outcome not in _SILENT or not line.message_ids:
            return outcome
        # Delivered with nothing to answer (one-way, or a notice without a question) is a
        # message left; a question nobody answered is no answer.
        return Outcome.NO_ANSWER if line.questions_sent else Outcome.MESSAGE_LEFT

    def _notes(self, address: str, line: TextConversation) -> dict[str, str]:
        notes = {
            "channel": self.kind.value,
            "to": self.addressing.masked(address),
            "messages": str(len(line.message_ids)),
            "replies": str(line.replies_received),
        }
        if line.message_ids:
            notes["message_ids"] = ",".join(line.message_ids)
        if line.closing_failed:
            notes["closing_failed"] = line.closing_failed
        return notes
