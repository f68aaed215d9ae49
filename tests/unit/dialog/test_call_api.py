"""`call_api` against a real HTTP server on 127.0.0.1 (the demo MIS API with failure modes)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dozvon.core.outcome import Outcome
from tests.unit.dialog.helpers import Mis, free_port_refused, make_data, play, scenario_from

SCENARIO = """name: t
title: Тест
requires: [options.api_base]
steps:
  - call_api:
      method: {method}
      url: "{{{{ options.api_base }}}}{path}?phone={{{{ call.caller | urlencode }}}}"
      headers: {{X-Patient: "{{{{ patient.id }}}}"}}
      {body}
      timeout: 0.5
      save_as: result
      on_error: failed
  - ask: {{prompt: "{{{{ api.result | length }}}}", keys: "1", repeats: 0}}
  - set_outcome: confirmed
  - hangup
  - label: failed
    set_outcome: callback_requested
"""


def scenario(path: str, method: str = "GET", body: str = "") -> Any:
    return scenario_from(SCENARIO.format(method=method, path=path, body=body))


async def run(mis_url: str, path: str, method: str = "GET", body: str = "") -> Any:
    data = make_data(f"options.api_base={mis_url}", "caller=+79161234567")
    return await play(scenario(path, method, body), "1", data)


async def test_json_answer_is_stored_and_used(mis: Mis, mis_requests: list[dict[str, Any]]) -> None:
    played = await run(mis.url, "/slots")
    assert played.result.outcome is Outcome.CONFIRMED
    asks = [s.text for s in played.line.transcript if s.kind == "ask"]
    assert asks == ["3"]
    assert mis_requests[0]["path"] == "/slots?phone=%2B79161234567"
    assert mis_requests[0]["headers"]["X-Patient"] == "P-1"


async def test_query_string_is_kept_out_of_the_evidence(mis: Mis) -> None:
    played = await run(mis.url, "/slots")
    api_steps = [s for s in played.result.evidence.steps if " api: " in s]
    assert api_steps and api_steps[0].endswith(f"GET {mis.url}/slots → 200")
    assert "79161234567" not in " ".join(played.result.evidence.steps)


async def test_json_body_is_rendered_and_sent(mis: Mis, mis_requests: list[dict[str, Any]]) -> None:
    body = 'json: {slot_id: "S-{{ 1 + 1 }}", patient: "{{ patient.id }}", n: 5}'
    played = await run(mis.url, "/appointments", "POST", body)
    assert played.result.outcome is Outcome.CONFIRMED
    assert json.loads(mis_requests[0]["body"]) == {"slot_id": "S-2", "patient": "P-1", "n": 5}


async def test_text_body_is_sent_as_is(mis: Mis, mis_requests: list[dict[str, Any]]) -> None:
    played = await run(mis.url, "/appointments", "POST", 'body: \'{"slot_id": "S-1"}\'')
    assert played.result.outcome is Outcome.CONFIRMED
    assert mis_requests[0]["body"] == b'{"slot_id": "S-1"}'


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/error", "500"),
        ("/slow", "Timeout"),
        ("/garbage", "Expecting"),
        ("/huge", "больше"),
        ("/nowhere", "404"),
        ("/taken/x", "409"),
    ],
)
async def test_failures_take_the_on_error_path(mis: Mis, path: str, reason: str) -> None:
    played = await run(mis.url, path)
    assert played.result.outcome is Outcome.CALLBACK_REQUESTED
    api_steps = [s for s in played.result.evidence.steps if " api: " in s]
    assert "ошибка" in api_steps[0] and reason in api_steps[0], api_steps
    assert played.result.evidence.notes["api.result"] == "error"


async def test_server_that_is_not_there_takes_the_on_error_path() -> None:
    played = await run(free_port_refused(), "/slots")
    assert played.result.outcome is Outcome.CALLBACK_REQUESTED


async def test_header_that_http_cannot_carry_is_a_clear_failure(mis: Mis) -> None:
    text = SCENARIO.format(method="GET", path="/slots", body="").replace(
        "{{ patient.id }}", "{{ clinic.name }}"
    )
    played = await play(scenario_from(text), "1", make_data(f"options.api_base={mis.url}"))
    assert played.result.outcome is Outcome.CALLBACK_REQUESTED
    assert any("заголовок X-Patient: только ASCII" in s for s in played.result.evidence.steps)
