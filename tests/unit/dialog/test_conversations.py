"""The scripted and terminal conversations, and the YAML reader's line tracking."""

from __future__ import annotations

import pytest

from dozvon.dialog.conversation import (
    AnswerStatus,
    CallerHungUp,
    Conversation,
    DigitEntry,
    KeyChoice,
    Prompt,
)
from dozvon.dialog.errors import ScenarioError
from dozvon.dialog.scripted import ScriptedConversation
from dozvon.dialog.terminal import TerminalConversation
from dozvon.dialog.yamlsource import load_yaml

YES_NO = KeyChoice(frozenset("12"))
SCORE = DigitEntry(min_length=1, max_length=2, min_value=0, max_value=10)


def test_both_implement_the_protocol() -> None:
    assert isinstance(ScriptedConversation(), Conversation)
    assert isinstance(TerminalConversation(), Conversation)


async def test_one_key_answer_with_its_time() -> None:
    line = ScriptedConversation("2")
    answer = await line.ask(Prompt("x" * 14), YES_NO, 5)
    assert answer.status is AnswerStatus.OK
    assert answer.value == "2"
    assert [(k.key, k.at, k.during_prompt) for k in answer.keys] == [("2", 1.8, False)]


async def test_wrong_key_is_invalid_and_silence_is_timeout() -> None:
    line = ScriptedConversation("7_")
    assert (await line.ask(Prompt("a"), YES_NO, 5)).status is AnswerStatus.INVALID
    before = line.clock
    assert (await line.ask(Prompt(""), YES_NO, 5)).status is AnswerStatus.TIMEOUT
    assert line.clock == before + 5


@pytest.mark.parametrize(
    ("script", "status", "value"),
    [
        ("9#", AnswerStatus.OK, "9"),
        ("10", AnswerStatus.OK, "10"),
        ("7_", AnswerStatus.OK, "7"),
        ("11", AnswerStatus.INVALID, "11"),
        ("#", AnswerStatus.INVALID, ""),
        ("_", AnswerStatus.TIMEOUT, ""),
        ("*1", AnswerStatus.INVALID, "*1"),
    ],
)
async def test_digits_up_to_hash(script: str, status: AnswerStatus, value: str) -> None:
    answer = await ScriptedConversation(script).ask(Prompt("a"), SCORE, 5)
    assert answer.status is status
    assert answer.value == value


async def test_barge_in_cuts_the_prompt() -> None:
    line = ScriptedConversation(">1")
    answer = await line.ask(Prompt("x" * 28), YES_NO, 5)
    assert answer.barge_in
    assert answer.keys[0].at == 1.0


async def test_hang_up_during_a_prompt() -> None:
    line = ScriptedConversation("h")
    with pytest.raises(CallerHungUp):
        await line.say(Prompt("Здравствуйте"))
    with pytest.raises(CallerHungUp):
        await line.say(Prompt("ещё"))


def test_script_with_unknown_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="непонятные символы в клавишах: a"):
        ScriptedConversation("1a")


async def test_terminal_prints_the_robot_and_reads_lines() -> None:
    out: list[str] = []
    lines = iter(["12x", ""])
    line = TerminalConversation(interactive=True, write=out.append, read=lambda _p: next(lines))
    first = await line.ask(Prompt("Это вы?"), YES_NO, 5)
    second = await line.ask(Prompt("Точно?"), YES_NO, 5)
    third = await line.ask(Prompt("Ещё раз?"), YES_NO, 5)
    assert (first.value, second.value, third.status) == ("1", "2", AnswerStatus.TIMEOUT)
    assert "   0.0  Робот: Это вы?" in out
    assert "  (понимаю только цифры, * и #)" in out


async def test_terminal_at_end_of_input_is_silence() -> None:
    def closed(_prompt: str) -> str:
        raise EOFError

    line = TerminalConversation(interactive=True, write=lambda _s: None, read=closed)
    assert (await line.ask(Prompt("a"), YES_NO, 5)).status is AnswerStatus.TIMEOUT


def test_yaml_lines_point_at_keys_and_items() -> None:
    located = load_yaml("a: 1\nsteps:\n  - say: x\n  - ask:\n      prompt: y\n", "f.yaml")
    assert located.line_of(("steps", 1, "ask", "prompt")) == 5
    assert located.line_of(("steps", 1, "ask", "missing")) == 4
    assert located.line_of(("steps", 0)) == 3


def test_yaml_refuses_billion_laughs() -> None:
    text = 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n'
    with pytest.raises(ScenarioError, match="якоря"):
        load_yaml(text, "lol.yaml")


def test_yaml_refuses_python_tags() -> None:
    with pytest.raises(ScenarioError, match="не поддерживается") as caught:
        load_yaml("a: !!python/object/apply:os.system ['true']\n", "evil.yaml")
    assert caught.value.line == 1
    with pytest.raises(ScenarioError, match="непонятное значение"):
        load_yaml("a: !!python/name:os.system\n", "evil.yaml")
