"""Hostile and random input: scenario files that load or explain themselves with a line, and
people who press anything at all and still end in a known outcome."""

from __future__ import annotations

import asyncio

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dozvon.core.outcome import Outcome
from dozvon.dialog.errors import ScenarioErrors
from dozvon.dialog.loader import load_text
from dozvon.dialog.schema import STEP_KINDS
from tests.unit.dialog.helpers import Mis, make_data, play

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


_PERSON = st.text(alphabet="0123456789*#_h>", max_size=14)
_OUTCOMES = {
    "confirm": {
        "confirmed",
        "declined",
        "reschedule_requested",
        "callback_requested",
        "opted_out",
        "wrong_person",
        "uncertain",
        "hung_up",
    },
    "reschedule": {"confirmed", "reschedule_requested", "wrong_person", "uncertain", "hung_up"},
    "booking": {
        "confirmed",
        "declined",
        "callback_requested",
        "wrong_person",
        "uncertain",
        "hung_up",
    },
    "lab_results_out": {"confirmed", "callback_requested", "wrong_person", "uncertain", "hung_up"},
    "lab_results_in": {"confirmed", "callback_requested", "uncertain", "hung_up"},
    "notify": {"message_left", "hung_up"},
    "follow_up": {"confirmed", "callback_requested", "wrong_person", "uncertain", "hung_up"},
    "survey": {"confirmed", "wrong_person", "uncertain", "hung_up"},
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=st.sampled_from(sorted(_OUTCOMES)), keys=_PERSON)
def test_any_person_gets_a_known_outcome_and_silence_never_confirms(
    mis: Mis, scenario: str, keys: str
) -> None:
    data = make_data(f"options.api_base={mis.url}")
    played = asyncio.run(play(scenario, keys, data))
    assert played.result.outcome.value in _OUTCOMES[scenario]
    if played.result.outcome is Outcome.CONFIRMED:
        assert played.result.evidence.digits
    silent = asyncio.run(play(scenario, "_" * len(keys), data))
    assert silent.result.outcome is not Outcome.CONFIRMED
