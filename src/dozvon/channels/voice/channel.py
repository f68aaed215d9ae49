"""The voice channel: dial through the trunk, let signalling or the dialog decide the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable
from typing import Any

from dozvon.channels.base import AttemptResult
from dozvon.channels.voice.conversation import SipConversation
from dozvon.channels.voice.signalling import signalling_outcome
from dozvon.core.outcome import Channel, Evidence, HangupBy
from dozvon.core.task import Task
from dozvon.dialog.context import Clinic, DialogData
from dozvon.dialog.engine import check_before_call, run_scenario
from dozvon.dialog.errors import DataError, NotAllowed
from dozvon.dialog.loader import Scenario
from dozvon.sip.call import Call
from dozvon.sip.ua import UserAgent
from dozvon.speech.voice import Voice


def signalling_evidence(call: Call) -> Evidence:
    result = call.result
    hangup = HangupBy(result.hangup_by) if result.hangup_by else None
    return Evidence(
        sip_status=result.sip_status,
        ring_seconds=result.ring_seconds,
        talk_seconds=result.talk_seconds,
        hangup_by=hangup,
        notes={"reason": result.reason} if result.reason else {},
    )


HANGUP_SECONDS = 10.0


async def end(call: Call) -> None:
    """Hang up, but never wait forever for the far end to agree: the line is ours to free."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(call.hangup(), HANGUP_SECONDS)
        await asyncio.wait_for(call.ended.wait(), HANGUP_SECONDS)


class VoiceChannel:
    kind = Channel.VOICE

    def __init__(
        self,
        ua: UserAgent,
        voice: Voice,
        clinic: Clinic,
        *,
        caller_id: str | None = None,
        ring_timeout: float = 30.0,
        route: Callable[[str], str] | None = None,
    ) -> None:
        self.ua = ua
        self.voice = voice
        """Lexicon, recorded prompts and the audio cache in front of the TTS engine."""
        self.clinic = clinic
        self.caller_id = caller_id
        self.ring_timeout = ring_timeout
        self.route = route or (lambda phone: phone)
        """A number → the SIP target: by default the number itself, sent through the trunk."""

    def refusal(self, task: Task, scenario: Any) -> str | None:
        assert isinstance(scenario, Scenario)
        try:
            check_before_call(scenario, DialogData.for_task(task, self.clinic), Channel.VOICE)
        except (NotAllowed, DataError) as exc:
            return str(exc)
        return None

    async def attempt(
        self, task: Task, scenario: Any, *, phone: str, attempt_no: int
    ) -> AttemptResult:
        assert isinstance(scenario, Scenario)
        data = DialogData.for_task(task, self.clinic)
        call = await self.ua.dial(self.route(phone), self.caller_id, self.ring_timeout)
        # Listening starts before the answer: a patient's «Алло?» comes in the first frames,
        # and answering-machine detection that misses it hears only silence (a machine).
        conversation = SipConversation(call, self.voice)
        try:
            if not await call.wait_answered():
                outcome = signalling_outcome(call.result)
                assert outcome is not None
                return AttemptResult(outcome, signalling_evidence(call))
            conversation.answered()
            result = await run_scenario(scenario, conversation, data)
        finally:
            conversation.close()
            await end(call)
        wire = signalling_evidence(call)
        evidence = dataclasses.replace(
            result.evidence,
            sip_status=wire.sip_status,
            ring_seconds=wire.ring_seconds,
            talk_seconds=wire.talk_seconds,
        )
        return AttemptResult(result.outcome, evidence)
