"""Runs a scenario over a `Conversation` and keeps the evidence for the outcome it reaches.

Fail-closed: a dialog that ends without a clear answer is `uncertain`, and `confirmed` is only
accepted right after a valid answer, so silence or a scenario bug never reads as a confirmation.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from dozvon.core.outcome import Channel, Evidence, HangupBy, Outcome
from dozvon.core.rules.consent import may_use_channel
from dozvon.dialog import schema
from dozvon.dialog.context import DialogData, require, template_context
from dozvon.dialog.conversation import (
    Answer,
    AnswerStatus,
    CallerHungUp,
    Conversation,
    DigitEntry,
    Expect,
    KeyChoice,
    Prompt,
)
from dozvon.dialog.errors import (
    DataError,
    NotAllowed,
    ScenarioError,
    ScenarioErrors,
    TemplateFailure,
)
from dozvon.dialog.library import resolver_near
from dozvon.dialog.loader import Resolver, Scenario
from dozvon.dialog.templates import Template

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 256 * 1024
_END = -1


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened, at a time measured from the answer of the line."""

    at: float
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.at:6.1f} {self.kind}: {self.detail}"


@dataclass(frozen=True, slots=True)
class DialogResult:
    outcome: Outcome
    evidence: Evidence
    events: tuple[Event, ...]
    answers: Mapping[str, str] = field(default_factory=dict)


async def run_scenario(
    scenario: Scenario,
    conversation: Conversation,
    data: DialogData,
    *,
    resolve: Resolver | None = None,
    http: httpx.AsyncClient | None = None,
) -> DialogResult:
    """Raises `NotAllowed` or `DataError` before saying a word when the call must not happen.

    `continue_with` finds other scenarios with `resolve`, by default beside the scenario's file
    and among the built-ins."""
    context = check_before_call(scenario, data, conversation.channel)
    run = _Run(scenario, conversation, context, resolve or resolver_near(scenario), http)
    try:
        return await run.run()
    finally:
        if http is None and run.http is not None:
            await run.http.aclose()


def check_before_call(scenario: Scenario, data: DialogData, channel: Channel) -> dict[str, Any]:
    """Everything that can refuse a dialog without a line: call it before dialling, so a refused
    task never rings a phone. Raises `NotAllowed` (consent, 38-FZ) or `DataError` (a required
    field missing, a text the data cannot fill). Returns the template context."""
    patient = data.the_patient
    if patient is not None:
        refusal = may_use_channel(scenario.header.purpose, channel, patient)
        if refusal:
            raise NotAllowed(f"сценарий «{scenario.name}» не разрешён: {refusal}")
    context = template_context(data, channel.value, scenario.header.options)
    require(context, scenario.header.requires)
    _try_texts(scenario, context)
    return context


class _Run:
    def __init__(
        self,
        scenario: Scenario,
        conversation: Conversation,
        context: dict[str, Any],
        resolve: Resolver | None,
        http: httpx.AsyncClient | None,
    ) -> None:
        self.scenario = scenario
        self.line = conversation
        self.resolve = resolve
        self.http = http
        self.answers: dict[str, str] = {}
        self.api: dict[str, Any] = {}
        self.context = {**context, "answers": self.answers, "api": self.api}
        self.outcome: Outcome | None = None
        self.last_answer_ok = False
        self.machine_handled = False
        self.events: list[Event] = []
        self.digits: list[str] = []
        self.notes: dict[str, str] = {"scenario": scenario.name}

    async def run(self) -> DialogResult:
        hangup_by: HangupBy | None = HangupBy.US
        try:
            transferred = await self._steps()
        except CallerHungUp:
            self._event("hangup", "собеседник положил трубку")
            hangup_by = HangupBy.THEM
            self.outcome = self.outcome or Outcome.HUNG_UP
        except TemplateFailure as exc:
            self._fail(f"шаблон: {exc}")
        except (ScenarioError, ScenarioErrors) as exc:
            self._fail(str(exc))
        else:
            if transferred:
                hangup_by = None
        if self.outcome is None:
            self._fail("сценарий закончился без исхода")
        if hangup_by is HangupBy.US:
            await self._hangup()
        outcome = self.outcome or Outcome.UNCERTAIN
        self._event("outcome", outcome.value)
        return DialogResult(
            outcome, self._evidence(hangup_by), tuple(self.events), dict(self.answers)
        )

    async def _hangup(self) -> None:
        with contextlib.suppress(CallerHungUp):
            await self.line.hangup()
        self._event("hangup", "робот завершил разговор")

    async def _steps(self) -> bool:
        """Returns True when the call was handed to a person and is no longer ours."""
        pc = 0
        budget = self.scenario.header.max_steps
        while 0 <= pc < len(self.scenario.steps):
            pc = self._machine_jump(pc)
            if budget == 0:
                self._fail(f"превышен лимит шагов ({self.scenario.header.max_steps}): цикл?")
                return False
            budget -= 1
            step = self.scenario.steps[pc]
            if isinstance(step, schema.Transfer):
                if await self._transfer(step.transfer):
                    return True
                pc = self._jump(step.transfer.on_error, pc + 1)
            else:
                pc = await self._step(step, pc)
        return False

    async def _step(self, step: schema.Step, pc: int) -> int:
        following = pc + 1
        match step:
            case schema.Say(say=prompt):
                await self._say(prompt)
            case schema.Ask(ask=spec):
                return await self._ask(spec, following)
            case schema.Branch(branch=spec):
                return self._branch(spec, following)
            case schema.SetOutcome(set_outcome=outcome):
                self._set_outcome(outcome)
            case schema.Record(record=spec):
                await self._record(spec)
            case schema.CallApi(call_api=spec):
                if not await self._call_api(spec):
                    return self._jump(spec.on_error, following)
            case schema.LeaveMessage(leave_message=prompt):
                await self._leave_message(prompt)
            case schema.Goto(goto=label):
                return self._jump(label, following)
            case schema.Hangup():
                return _END
            case schema.ContinueWith(continue_with=spec):
                return self._continue_with(spec)
        return following

    def _machine_jump(self, otherwise: int) -> int:
        """Detection may finish a few seconds into the call: switch to the machine's branch once."""
        machine = self.scenario.header.on_answering_machine
        if machine is None or self.machine_handled or not self.line.answering_machine_detected:
            return otherwise
        self.machine_handled = True
        self._event("machine", "автоответчик")
        return self.scenario.labels[machine]

    def _jump(self, label: str | None, otherwise: int) -> int:
        if label is None:
            return otherwise
        self._event("goto", label)
        return self.scenario.labels[label]

    async def _say(self, spec: schema.PromptSpec) -> None:
        prompt = self._prompt(spec)
        self._event("say", prompt.text)
        await self.line.say(prompt)

    async def _ask(self, spec: schema.AskSpec, following: int) -> int:
        expect = _expect(spec)
        prompt = self._prompt(spec.prompt)
        answer = Answer(AnswerStatus.TIMEOUT)
        for attempt in range(spec.repeats + 1):
            self._event("ask", prompt.text)
            answer = await self.line.ask(prompt, expect, spec.timeout)
            for press in answer.keys:
                self.digits.append(press.key)
                late = " (во время фразы)" if press.during_prompt else ""
                self.events.append(Event(press.at, "key", press.key + late))
            if answer.status is AnswerStatus.OK:
                break
            self._event(answer.status.value, "тишина" if not answer.keys else answer.value)
            machine = self._machine_jump(_END)
            if machine != _END:
                return machine
            if attempt < spec.repeats:
                retry = (
                    spec.silence_text
                    if answer.status is AnswerStatus.TIMEOUT
                    else spec.invalid_text
                )
                await self._say(retry)
        self.last_answer_ok = answer.status is AnswerStatus.OK
        if self.last_answer_ok:
            if spec.save_as:
                self.answers[spec.save_as] = answer.value
            return self._jump(spec.on_key.get(answer.value), following)
        fallback = spec.on_timeout if answer.status is AnswerStatus.TIMEOUT else spec.on_invalid
        if fallback is None:
            self.outcome = Outcome.UNCERTAIN
            self._event("outcome", "ответ не получен: uncertain")
            return _END
        return self._jump(fallback, following)

    def _branch(self, spec: schema.BranchSpec, following: int) -> int:
        for case in spec.cases:
            if self._condition(case.when):
                self._event("branch", f"{case.when} → {case.goto}")
                return self._jump(case.goto, following)
        return self._jump(spec.otherwise, following)

    def _set_outcome(self, outcome: Outcome) -> None:
        if outcome is Outcome.CONFIRMED and not self.last_answer_ok:
            self.notes["refused_confirmation"] = "confirmed без действительного ответа"
            outcome = Outcome.UNCERTAIN
        self.outcome = outcome
        self._event("set_outcome", outcome.value)

    async def _transfer(self, spec: schema.TransferSpec) -> bool:
        target = self._text(spec.target)
        done = await self.line.transfer(target)
        self._event("transfer", f"{target}: {'соединено' if done else 'не удалось'}")
        if done:
            self.notes["transferred_to"] = target
        return done

    async def _record(self, spec: schema.RecordSpec) -> None:
        if spec.prompt is not None:
            await self._say(spec.prompt)
        recording = await self.line.record(spec.max_seconds)
        self.answers[spec.save_as] = recording.reference if recording else ""
        if recording:
            self.notes[f"recording.{spec.save_as}"] = recording.reference
            self._event("record", f"{recording.seconds:.1f} с: {recording.reference}")
        else:
            self._event("record", "ничего не сказано")

    async def _call_api(self, spec: schema.CallApiSpec) -> bool:
        url = self._text(spec.url)
        headers = {name: self._text(value) for name, value in spec.headers.items()}
        shown = f"{spec.method} {httpx.URL(url).copy_with(query=None)}"
        unsendable = [name for name, value in headers.items() if not value.isascii()]
        if unsendable:
            return self._api_failed(spec, shown, f"заголовок {unsendable[0]}: только ASCII")
        body = self._text(spec.body).encode() if spec.body is not None else None
        payload = _render_json(spec.json_body, self._text) if spec.json_body is not None else None
        if self.http is None:
            # Made on first use: creating a client (its TLS context) costs more than a dialog.
            self.http = httpx.AsyncClient(follow_redirects=False)
        try:
            response = await self.http.request(
                spec.method, url, headers=headers, content=body, json=payload, timeout=spec.timeout
            )
            if len(response.content) > MAX_RESPONSE_BYTES:
                raise ValueError(f"ответ больше {MAX_RESPONSE_BYTES // 1024} КБ")
            response.raise_for_status()
            self.api[spec.save_as] = _parse_body(response)
        except (httpx.HTTPError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else ""
            return self._api_failed(spec, shown, f"{type(exc).__name__} {reason}".strip())
        self._event("api", f"{shown} → {response.status_code}")
        self.notes[f"api.{spec.save_as}"] = str(response.status_code)
        return True

    def _api_failed(self, spec: schema.CallApiSpec, shown: str, reason: str) -> bool:
        self._event("api", f"{shown} → ошибка: {reason}")
        self.notes[f"api.{spec.save_as}"] = "error"
        log.warning("call_api %s failed: %s", shown, reason)
        return False

    async def _leave_message(self, spec: schema.PromptSpec) -> None:
        prompt = self._prompt(spec)
        self._event("leave_message", prompt.text)
        if await self.line.leave_message(prompt):
            self.outcome = Outcome.MESSAGE_LEFT
        else:
            self.outcome = self.outcome or Outcome.ANSWERING_MACHINE
            self._event("leave_message", "сигнал автоответчика не прозвучал")

    def _continue_with(self, spec: schema.ContinueSpec) -> int:
        if self.resolve is None:
            raise ScenarioError(self.scenario.file, None, f"сценарий «{spec.scenario}» недоступен")
        self.scenario = self.resolve(spec.scenario)
        options = self.context["options"]
        self.context["options"] = {**self.scenario.header.options, **options}
        self._event("continue_with", f"{spec.scenario}{'/' + spec.label if spec.label else ''}")
        self.machine_handled = False
        if spec.label is None:
            return 0
        if spec.label not in self.scenario.labels:
            raise ScenarioError(self.scenario.file, None, f"нет метки «{spec.label}»")
        return self.scenario.labels[spec.label]

    def _prompt(self, spec: schema.PromptSpec) -> Prompt:
        if isinstance(spec, schema.PromptFile):
            base = self.scenario.base_dir
            audio = base / spec.file if base else None
            return Prompt(spec.text or spec.file, audio)
        return Prompt(self._text(spec))

    def _text(self, source: str) -> str:
        return self._template(self.scenario.texts, source).render(self.context)

    def _condition(self, source: str) -> bool:
        return bool(self._template(self.scenario.conditions, source).render(self.context))

    def _template(self, compiled: Mapping[str, Template], source: str) -> Template:
        template = compiled.get(source)
        if template is None:
            raise TemplateFailure(f"шаблон не проверен при загрузке: {source[:40]}")
        return template

    def _event(self, kind: str, detail: str) -> None:
        self.events.append(Event(round(self.line.elapsed(), 1), kind, detail))

    def _fail(self, reason: str) -> None:
        self.notes["error"] = reason
        self._event("error", reason)
        log.warning("dialog %s: %s", self.scenario.name, reason)
        self.outcome = self.outcome or Outcome.UNCERTAIN

    def _evidence(self, hangup_by: HangupBy | None) -> Evidence:
        notes = dict(self.notes)
        if self.answers:
            notes["answers"] = json.dumps(self.answers, ensure_ascii=False, sort_keys=True)
        return Evidence(
            digits="".join(self.digits),
            talk_seconds=round(self.line.elapsed(), 1),
            hangup_by=hangup_by,
            steps=tuple(str(event) for event in self.events),
            notes=notes,
        )


def _try_texts(scenario: Scenario, context: dict[str, Any]) -> None:
    """Render every text that depends only on the data, so bad data stops the call before it
    starts, not after «Вы записаны к…» (an unknown specialty, a missing doctor's name)."""
    trial = {**context, "answers": {}, "api": {}}
    for number, source in scenario.data_only:
        try:
            scenario.texts[source].render(trial)
        except TemplateFailure as exc:
            raise DataError(f"{scenario.file}: шаг {number}: данные не подходят: {exc}") from None


def _expect(spec: schema.AskSpec) -> Expect:
    if spec.keys is not None:
        return KeyChoice(frozenset(spec.keys))
    digits = spec.digits
    assert digits is not None, "AskSpec validates that keys or digits is given"
    return DigitEntry(digits.min_length, digits.max_length, digits.min_value, digits.max_value)


def _render_json(value: Any, render: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return render(value)
    if isinstance(value, dict):
        return {key: _render_json(item, render) for key, item in value.items()}
    if isinstance(value, list):
        return [_render_json(item, render) for item in value]
    return value


def _parse_body(response: httpx.Response) -> Any:
    if "json" in response.headers.get("content-type", ""):
        return response.json()
    return response.text
