"""Whatever an author (or an attacker) writes, loading a scenario either works or raises
`ScenarioErrors` with a line: never another exception."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dozvon.dialog.errors import ScenarioErrors
from dozvon.dialog.loader import load_text
from dozvon.dialog.schema import STEP_KINDS

_keys = st.sampled_from(
    [
        *STEP_KINDS,
        "label",
        "prompt",
        "keys",
        "digits",
        "on_key",
        "cases",
        "if",
        "goto",
        "url",
        "save_as",
        "on_error",
        "json",
        "target",
        "name",
        "title",
        "steps",
        "options",
        "requires",
    ]
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 12),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(
        ["{{ patient.name }}", "{% for %}", "{{ ''.__class__ }}", "12", "#", "confirmed", "a"]
    ),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=12,
)


def _loads_or_explains(text: str) -> None:
    try:
        load_text(text, "fuzz.yaml")
    except ScenarioErrors as exc:
        assert exc.errors and all(str(error).startswith("fuzz.yaml") for error in exc.errors)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    _loads_or_explains(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(_keys, _values, max_size=3), max_size=5))
def test_arbitrary_steps(steps: list[dict[str, object]]) -> None:
    document = {"name": "fuzz", "title": "Проверка", "steps": steps}
    _loads_or_explains(yaml.safe_dump(document, allow_unicode=True))
