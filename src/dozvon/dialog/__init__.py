"""Scenarios: what the robot says, asks and decides, run over any `Conversation`.

The public surface: load a scenario, build its data, run it over a conversation.
"""

from dozvon.dialog.context import Clinic, DialogData
from dozvon.dialog.conversation import (
    Answer,
    AnswerStatus,
    CallerHungUp,
    Conversation,
    DigitEntry,
    Expect,
    KeyChoice,
    KeyPress,
    Prompt,
    Recording,
    judge,
)
from dozvon.dialog.engine import DialogResult, Event, check_before_call, run_scenario
from dozvon.dialog.errors import DataError, NotAllowed, ScenarioError, ScenarioErrors
from dozvon.dialog.library import builtin, builtin_names, find, resolver_near
from dozvon.dialog.loader import Scenario, load_file, load_text

__all__ = [
    "Answer",
    "AnswerStatus",
    "CallerHungUp",
    "Clinic",
    "Conversation",
    "DataError",
    "DialogData",
    "DialogResult",
    "DigitEntry",
    "Event",
    "Expect",
    "KeyChoice",
    "KeyPress",
    "NotAllowed",
    "Prompt",
    "Recording",
    "Scenario",
    "ScenarioError",
    "ScenarioErrors",
    "builtin",
    "builtin_names",
    "check_before_call",
    "find",
    "judge",
    "load_file",
    "load_text",
    "resolver_near",
    "run_scenario",
]
