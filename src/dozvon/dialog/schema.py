"""The scenario language: one pydantic model per step kind.

A step is a mapping with exactly one kind key (``say``, ``ask``, ...) and an optional ``label``.
Steps run top to bottom; ``goto``, ``branch`` and an ask's ``on_key`` jump to labels.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from dozvon.core.outcome import Outcome
from dozvon.core.rules.consent import Purpose

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
KEY_ALPHABET = "0123456789*#"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class PromptFile(_Model):
    """A recorded prompt: the clinic's own voice for fixed phrases."""

    file: Text
    text: str = ""
    """What the recording says: shown by the simulator, kept in the evidence."""


PromptSpec = Text | PromptFile


class DigitsSpec(_Model):
    min_length: int = Field(1, ge=1, le=20)
    max_length: int = Field(10, ge=1, le=20)
    min_value: int | None = None
    max_value: int | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DigitsSpec:
        if self.min_length > self.max_length:
            raise ValueError("min_length больше max_length")
        if None not in (self.min_value, self.max_value) and self.min_value > self.max_value:  # type: ignore[operator]
            raise ValueError("min_value больше max_value")
        return self


class AskSpec(_Model):
    prompt: PromptSpec
    keys: str | None = None
    """The keys that answer, e.g. "12" (one key is expected)."""
    digits: DigitsSpec | None = None
    """Or several digits ended by #."""
    timeout: float = Field(6.0, gt=0, le=60)
    repeats: int = Field(2, ge=0, le=5)
    """How many more times the prompt is said after silence or a wrong key."""
    save_as: Identifier | None = None
    on_key: dict[str, Identifier] = Field(default_factory=dict)
    on_timeout: Identifier | None = None
    on_invalid: Identifier | None = None
    silence_text: str = "Извините, ответ не получен."
    invalid_text: str = "Извините, такой ответ не подходит."

    @field_validator("keys", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(f'напишите клавиши в кавычках: keys: "{value}"')
        if isinstance(value, list):
            return "".join(str(item) for item in value)
        return value

    @field_validator("keys")
    @classmethod
    def _keys_known(cls, value: str | None) -> str | None:
        if value is None:
            return None
        wrong = sorted(set(value) - set(KEY_ALPHABET))
        if wrong or not value:
            raise ValueError(f"клавиши — это цифры, * и #; непонятно: {''.join(wrong) or 'пусто'}")
        if len(set(value)) != len(value):
            raise ValueError("клавиша указана дважды")
        return value

    @model_validator(mode="after")
    def _one_kind_of_answer(self) -> AskSpec:
        if (self.keys is None) == (self.digits is None):
            raise ValueError("укажите либо keys (одна клавиша), либо digits (цифры до #)")
        if self.keys is not None:
            extra = sorted(set(self.on_key) - set(self.keys))
            if extra:
                raise ValueError(f"on_key: клавиш {', '.join(extra)} нет в keys «{self.keys}»")
        return self


class Case(_Model):
    when: Text = Field(alias="if")
    goto: Identifier


class BranchSpec(_Model):
    cases: list[Case] = Field(min_length=1)
    otherwise: Identifier | None = Field(None, alias="else")


class TransferSpec(_Model):
    target: Text
    on_error: Identifier | None = None


class RecordSpec(_Model):
    prompt: PromptSpec | None = None
    max_seconds: float = Field(60.0, gt=0, le=600)
    save_as: Identifier


class CallApiSpec(_Model):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: Text
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(None, alias="json")
    body: str | None = None
    timeout: float = Field(5.0, gt=0, le=30)
    save_as: Identifier
    on_error: Identifier

    @model_validator(mode="after")
    def _one_body(self) -> CallApiSpec:
        if self.json_body is not None and self.body is not None:
            raise ValueError("укажите либо json, либо body")
        return self


class ContinueSpec(_Model):
    scenario: Identifier
    label: Identifier | None = None


class _Step(_Model):
    label: Identifier | None = None


class Say(_Step):
    say: PromptSpec


class Ask(_Step):
    ask: AskSpec


class Branch(_Step):
    branch: BranchSpec


class SetOutcome(_Step):
    set_outcome: Outcome


class Transfer(_Step):
    transfer: TransferSpec


class Record(_Step):
    record: RecordSpec


class CallApi(_Step):
    call_api: CallApiSpec


class LeaveMessage(_Step):
    leave_message: PromptSpec


class Goto(_Step):
    goto: Identifier


class Hangup(_Step):
    hangup: None = None


class ContinueWith(_Step):
    continue_with: ContinueSpec


Step = (
    Say
    | Ask
    | Branch
    | SetOutcome
    | Transfer
    | Record
    | CallApi
    | LeaveMessage
    | Goto
    | Hangup
    | ContinueWith
)
STEP_KINDS: dict[str, type[_Step]] = {
    "say": Say,
    "ask": Ask,
    "branch": Branch,
    "set_outcome": SetOutcome,
    "transfer": Transfer,
    "record": Record,
    "call_api": CallApi,
    "leave_message": LeaveMessage,
    "goto": Goto,
    "hangup": Hangup,
    "continue_with": ContinueWith,
}


def step_kind(step: Step) -> str:
    return next(kind for kind, model in STEP_KINDS.items() if isinstance(step, model))


class Header(_Model):
    """Everything in a scenario file but its steps (those are validated one by one)."""

    name: Identifier
    title: Text
    description: str = ""
    purpose: Purpose = Purpose.SERVICE
    direction: Literal["outbound", "inbound"] = "outbound"
    requires: list[str] = Field(default_factory=list)
    """Data the scenario cannot run without, as paths: ``patient.name``, ``options.api_base``."""
    options: dict[str, str | int | float | bool] = Field(default_factory=dict)
    """Defaults a campaign may override, seen by templates as ``options``."""
    on_answering_machine: Identifier | None = None
    max_steps: int = Field(200, ge=1, le=10_000)
    steps: list[Any] = Field(min_length=1)
