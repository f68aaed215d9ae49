"""Templates cannot reach Python internals, call methods, or allocate without bound.

Each escape is tried twice: the loader must refuse it when the scenario is checked, and the
sandbox must refuse it at run time too (in case a check is ever missed).
"""

from __future__ import annotations

from typing import Any

import pytest

from dozvon.dialog.context import template_context
from dozvon.dialog.errors import ScenarioErrors, TemplateFailure
from dozvon.dialog.loader import load_text
from dozvon.dialog.templates import ROOTS, compile_condition, compile_text
from tests.unit.dialog.helpers import make_data

HEAD = "name: t\ntitle: Тест\nsteps:\n"


def context() -> dict[str, Any]:
    return {**template_context(make_data(), "voice", {}), "answers": {"n": "7"}, "api": {}}


ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ lipsum.__globals__ }}",
    "{{ namespace }}",
    "{{ range(10**9) | list }}",
    "{{ self.__init__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ patient.__class__ }}",
    "{{ patient.name.__class__.__base__ }}",
    "{{ patient | attr('__class__') }}",
    "{{ patient.items() }}",
    "{{ patient.name.ljust(10**9) }}",
    "{{ patient.name.format(x=1) }}",
    "{{ appointment.start.replace(year=1) }}",
    "{{ 'a' * 10**9 }}",
    "{{ [1] * 10**9 }}",
    "{{ 2 ** 10**9 }}",
    "{{ '%999999999s' % 'a' }}",
    "{{ 'a' | center(10**9) }}",
    "{{ 'a' | format(1) }}",
    "{{ 'a' | replace('a', 'aa') }}",
    "{{ config }}",
    "{{ request }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{% include 'x' %}",
    "{% import 'x' as y %}",
    "{% extends 'x' %}",
    "{% for a in appointments recursive %}{{ loop(a) }}{% endfor %}",
    "{% for a in patient.name %}{% for b in patient.name %}{% for c in patient.name %}"
    "{% endfor %}{% endfor %}{% endfor %}",
    "{{ loop.cycle(1, 2) }}",
]


@pytest.mark.parametrize("template", ESCAPES)
def test_escape_is_refused_when_the_scenario_is_checked(template: str) -> None:
    text = HEAD + "  - say: " + _yaml_quote(template) + "\n"
    with pytest.raises(ScenarioErrors) as caught:
        load_text(text, "evil.yaml")
    error = caught.value.errors[0]
    assert error.line == 4
    assert error.step == "шаг 1 (say)"
    assert any(
        word in error.message
        for word in ("запрещ", "нельзя", "неизвестные имена", "нет фильтра", "ошибка в шаблоне")
    ), error.message


RUNTIME_ESCAPES = [
    ("{{ ''.__class__.__mro__ }}", "запрещённое"),
    ("{{ patient.name.ljust(10**9) }}", "запрещённое"),
    ("{{ patient.items() }}", "запрещённое"),
    ("{{ appointment.start.replace(year=1) }}", "запрещённое"),
    ("{{ 'a' * 10**9 }}", "повторение"),
    ("{{ [1, 2] * 600 }}", "повторение"),
    ("{{ 2 ** 100000 }}", "степень"),
    ("{{ appointment.start.astimezone }}", "запрещённое"),
    ("{{ '%999999999s' % 'a' }}", "форматирование"),
    ("{{ cycler.__init__ }}", "запрещённое"),
    ("{{ range(10) }}", "нет такого значения"),
    ("{{ patient.middle_name }}", "нет такого значения"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "вложен"),
    ("{{ patient.name * 500 }}", "повторение"),
    ("{{ answers.n * 10**9 }}", "повторение"),
]


@pytest.mark.parametrize(("template", "reason"), RUNTIME_ESCAPES)
def test_escape_is_refused_at_run_time(template: str, reason: str) -> None:
    with pytest.raises(TemplateFailure, match=reason):
        compile_text(template).render(context())


def test_condition_cannot_escape_either() -> None:
    with pytest.raises(TemplateFailure, match="запрещённое"):
        compile_condition("''.__class__.__mro__").render(context())


def test_small_arithmetic_and_filters_still_work() -> None:
    text = compile_text(
        "{{ 2 ** 10 }} {{ 'ab' * 3 }} {{ patient.name | upper }} {{ appointments | length }}"
        " {{ appointment.start.hour }} {{ appointment.start | time_ru }}"
    ).render(context())
    assert text == "1024 ababab ИВАНОВА МАРИЯ ПЕТРОВНА 1 10 десять тридцать"


def test_template_sees_only_plain_values() -> None:
    values = context()
    assert set(values) == ROOTS
    assert set(values["patient"]) == {"name", "id"}
    assert "phones" not in values["patient"]


def test_overlong_text_is_refused() -> None:
    with pytest.raises(TemplateFailure, match="длиннее"):
        compile_text("{% for a in 'x' * 999 %}{{ patient.name }}{% endfor %}").render(context())


def _yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
