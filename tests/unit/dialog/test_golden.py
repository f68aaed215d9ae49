"""Golden dialogues: every built-in scenario, every branch, scripted keys → outcome + transcript.

A transcript is what the robot said and what the person did, with simulated times. Review a
changed golden file by reading it aloud; regenerate with DOZVON_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dozvon.core.outcome import Outcome
from dozvon.dialog.simdata import demo_data
from tests.unit.dialog.helpers import SECOND_VISIT, Mis, free_port_refused, make_data, play

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("DOZVON_UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Case:
    name: str
    scenario: str
    keys: str
    outcome: Outcome
    vars: tuple[str, ...] = ()
    line: dict[str, Any] = field(default_factory=dict)
    api: str = "demo"
    """demo: the demo MIS; down: nothing listens; or a failure prefix of the test server."""
    visits: int = 1


C = Case
CASES = [
    # confirm
    C("confirm_yes", "confirm", "11", Outcome.CONFIRMED),
    C("confirm_no", "confirm", "12", Outcome.DECLINED),
    C("confirm_reschedule_request", "confirm", "13", Outcome.RESCHEDULE_REQUESTED),
    C(
        "confirm_reschedule_inline",
        "confirm",
        "1321",
        Outcome.CONFIRMED,
        vars=("options.reschedule_inline=true",),
    ),
    C("confirm_operator", "confirm", "10", Outcome.CALLBACK_REQUESTED),
    C(
        "confirm_operator_busy",
        "confirm",
        "10",
        Outcome.CALLBACK_REQUESTED,
        line={"transfer_succeeds": False},
    ),
    C("confirm_opt_out", "confirm", "19", Outcome.OPTED_OUT),
    C("confirm_wrong_person", "confirm", "2", Outcome.WRONG_PERSON),
    C("confirm_silent_identity", "confirm", "", Outcome.UNCERTAIN),
    C("confirm_silent_menu", "confirm", "1", Outcome.UNCERTAIN),
    C("confirm_wrong_keys", "confirm", "1777", Outcome.UNCERTAIN),
    C("confirm_after_silence", "confirm", "1_1", Outcome.CONFIRMED),
    C("confirm_barge_in", "confirm", ">1>1", Outcome.CONFIRMED),
    C("confirm_hangs_up", "confirm", "1h", Outcome.HUNG_UP),
    C("confirm_hangs_up_after_yes", "confirm", "11h", Outcome.CONFIRMED),
    C("confirm_machine", "confirm", "", Outcome.MESSAGE_LEFT, line={"answering_machine": True}),
    C(
        "confirm_machine_no_beep",
        "confirm",
        "",
        Outcome.ANSWERING_MACHINE,
        line={"answering_machine": True, "beep": False},
    ),
    C("confirm_two_visits", "confirm", "11", Outcome.CONFIRMED, visits=2),
    # reschedule
    C("reschedule_done", "reschedule", "121", Outcome.CONFIRMED),
    C("reschedule_read_again", "reschedule", "1321", Outcome.CONFIRMED),
    C("reschedule_nothing_fits", "reschedule", "10", Outcome.RESCHEDULE_REQUESTED),
    C("reschedule_unheard", "reschedule", "11", Outcome.UNCERTAIN),
    C("reschedule_no_such_slot", "reschedule", "1311", Outcome.CONFIRMED, api="/two"),
    C("reschedule_no_slots", "reschedule", "1", Outcome.RESCHEDULE_REQUESTED, api="/empty"),
    C("reschedule_mis_down", "reschedule", "1", Outcome.RESCHEDULE_REQUESTED, api="down"),
    C("reschedule_slot_taken", "reschedule", "11", Outcome.RESCHEDULE_REQUESTED, api="/taken"),
    C("reschedule_wrong_person", "reschedule", "2", Outcome.WRONG_PERSON),
    C(
        "reschedule_machine",
        "reschedule",
        "",
        Outcome.MESSAGE_LEFT,
        line={"answering_machine": True},
    ),
    # booking
    C("booking_done", "booking", "1131", Outcome.CONFIRMED),
    C("booking_declined", "booking", "12", Outcome.DECLINED),
    C("booking_nothing_fits", "booking", "110", Outcome.CALLBACK_REQUESTED),
    C("booking_mis_down", "booking", "11", Outcome.CALLBACK_REQUESTED, api="down"),
    C("booking_failed", "booking", "111", Outcome.CALLBACK_REQUESTED, api="/taken"),
    C("booking_unheard", "booking", "111", Outcome.UNCERTAIN),
    C("booking_wrong_person", "booking", "2", Outcome.WRONG_PERSON),
    # lab results, outbound
    C("lab_out_heard", "lab_results_out", "11", Outcome.CONFIRMED),
    C("lab_out_repeat", "lab_results_out", "121", Outcome.CONFIRMED),
    C("lab_out_operator", "lab_results_out", "10", Outcome.CALLBACK_REQUESTED),
    C("lab_out_unheard", "lab_results_out", "1", Outcome.UNCERTAIN),
    C("lab_out_wrong_person", "lab_results_out", "2", Outcome.WRONG_PERSON),
    C(
        "lab_out_machine",
        "lab_results_out",
        "",
        Outcome.MESSAGE_LEFT,
        line={"answering_machine": True},
    ),
    # lab results, inbound
    C(
        "lab_in_by_number_ready",
        "lab_results_in",
        "1",
        Outcome.CONFIRMED,
        vars=("caller=+79161234567", "direction=inbound"),
    ),
    C(
        "lab_in_by_code_in_progress",
        "lab_results_in",
        "654321#1",
        Outcome.CONFIRMED,
        vars=("direction=inbound",),
    ),
    C(
        "lab_in_unknown_number_then_code",
        "lab_results_in",
        "123456#21",
        Outcome.CONFIRMED,
        vars=("caller=+79990000000", "direction=inbound"),
    ),
    C(
        "lab_in_code_not_found",
        "lab_results_in",
        "9999#0",
        Outcome.CALLBACK_REQUESTED,
        vars=("direction=inbound",),
    ),
    C(
        "lab_in_mis_down",
        "lab_results_in",
        "123456#",
        Outcome.CALLBACK_REQUESTED,
        vars=("direction=inbound",),
        api="down",
    ),
    C("lab_in_silence", "lab_results_in", "", Outcome.UNCERTAIN, vars=("direction=inbound",)),
    # notify
    C("notify_heard", "notify", "", Outcome.MESSAGE_LEFT),
    C("notify_repeat", "notify", "1", Outcome.MESSAGE_LEFT),
    C("notify_hangs_up", "notify", "h", Outcome.HUNG_UP),
    C("notify_machine", "notify", "", Outcome.MESSAGE_LEFT, line={"answering_machine": True}),
    # follow-up
    C("follow_up_well", "follow_up", "152", Outcome.CONFIRMED),
    C("follow_up_feels_bad", "follow_up", "12", Outcome.CALLBACK_REQUESTED),
    C("follow_up_new_complaints", "follow_up", "141", Outcome.CALLBACK_REQUESTED),
    C("follow_up_silent", "follow_up", "1", Outcome.UNCERTAIN),
    C("follow_up_wrong_person", "follow_up", "2", Outcome.WRONG_PERSON),
    C("follow_up_machine", "follow_up", "", Outcome.MESSAGE_LEFT, line={"answering_machine": True}),
    # survey
    C("survey_nps_with_hash", "survey", "19#", Outcome.CONFIRMED),
    C("survey_nps_ten", "survey", "110", Outcome.CONFIRMED),
    C("survey_nps_no_hash", "survey", "17_", Outcome.CONFIRMED),
    C("survey_nps_out_of_range", "survey", "1111111", Outcome.UNCERTAIN),
    C("survey_no_comment", "survey", "18#_", Outcome.CONFIRMED),
    C("survey_hangs_up_during_comment", "survey", "18#h", Outcome.CONFIRMED),
    C("survey_wrong_person", "survey", "2", Outcome.WRONG_PERSON),
    C("survey_machine", "survey", "", Outcome.MESSAGE_LEFT, line={"answering_machine": True}),
]


def _api_base(case: Case, mis: Mis) -> str:
    if case.api == "demo":
        return mis.url
    if case.api == "down":
        return free_port_refused()
    return mis.url + case.api


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_golden_dialogue(case: Case, mis: Mis) -> None:
    raw = demo_data()
    if case.visits == 2:
        raw["appointments"].append(SECOND_VISIT)
    data = make_data(*case.vars, f"options.api_base={_api_base(case, mis)}", raw=raw)
    played = await play(case.scenario, case.keys, data, **case.line)
    transcript = played.transcript()
    golden = GOLDEN / f"{case.name}.txt"
    if UPDATE:
        golden.write_text(transcript, encoding="utf-8")
    assert played.result.outcome is case.outcome, transcript
    assert transcript == golden.read_text(encoding="utf-8")


def test_every_builtin_scenario_has_golden_dialogues() -> None:
    from dozvon.dialog.library import builtin_names

    covered = {case.scenario for case in CASES}
    assert covered == set(builtin_names())


def test_golden_files_all_belong_to_a_case() -> None:
    names = {case.name for case in CASES}
    assert {path.stem for path in GOLDEN.glob("*.txt")} == names
