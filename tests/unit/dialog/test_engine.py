"""The engine's promises: fail-closed outcomes, a step budget, evidence, and the core rules."""

from __future__ import annotations

import json
import re

import pytest

from dozvon.core.outcome import Channel, HangupBy, Outcome
from dozvon.dialog.errors import DataError, NotAllowed
from dozvon.dialog.library import builtin
from dozvon.dialog.simdata import demo_data
from tests.unit.dialog.helpers import make_data, play, scenario_from

HEAD = "name: t\ntitle: Тест\nsteps:\n"


async def test_endless_goto_loop_stops_at_the_step_budget() -> None:
    scenario = scenario_from(
        "name: t\ntitle: Т\nmax_steps: 50\nsteps:\n  - label: a\n    say: Привет\n  - goto: a\n"
    )
    played = await play(scenario)
    assert played.result.outcome is Outcome.UNCERTAIN
    assert "лимит шагов (50)" in played.result.evidence.notes["error"]
    assert sum(1 for s in played.line.transcript if s.kind == "say") == 25


async def test_confirmed_without_a_valid_answer_is_uncertain() -> None:
    scenario = scenario_from(HEAD + "  - say: Привет\n  - set_outcome: confirmed\n  - hangup\n")
    played = await play(scenario)
    assert played.result.outcome is Outcome.UNCERTAIN
    assert "refused_confirmation" in played.result.evidence.notes


async def test_confirmed_after_silence_is_uncertain_even_if_the_scenario_says_so() -> None:
    scenario = scenario_from(
        HEAD + "  - ask: {prompt: 'Нажмите 1', keys: '1', repeats: 0, on_timeout: ok}\n"
        "  - label: ok\n    set_outcome: confirmed\n"
    )
    played = await play(scenario, "_")
    assert played.result.outcome is Outcome.UNCERTAIN


async def test_scenario_that_ends_without_outcome_is_uncertain() -> None:
    played = await play(scenario_from(HEAD + "  - say: Привет\n"))
    assert played.result.outcome is Outcome.UNCERTAIN
    assert played.result.evidence.notes["error"] == "сценарий закончился без исхода"


async def test_ask_without_fallback_ends_uncertain_after_repeats() -> None:
    scenario = scenario_from(
        HEAD + "  - ask: {prompt: 'Нажмите 1', keys: '1', repeats: 1}\n  - set_outcome: confirmed\n"
    )
    played = await play(scenario, "__")
    assert played.result.outcome is Outcome.UNCERTAIN
    asks = [s for s in played.line.transcript if s.kind == "ask"]
    assert len(asks) == 2


async def test_missing_value_at_run_time_ends_uncertain_with_the_reason() -> None:
    scenario = scenario_from(
        HEAD + "  - ask: {prompt: 'Код?', digits: {}, save_as: code}\n"
        "  - say: '{{ answers.code.digits }}'\n  - hangup\n"
    )
    played = await play(scenario, "12#")
    assert played.result.outcome is Outcome.UNCERTAIN
    assert "digits" in played.result.evidence.notes["error"]
    assert played.line.hung_up


async def test_outcome_reached_before_a_failing_goodbye_is_kept() -> None:
    scenario = scenario_from(
        HEAD + "  - ask: {prompt: 'Нажмите 1', keys: '1'}\n  - set_outcome: confirmed\n"
        "  - say: '{{ api.nothing }}'\n  - call_api: {url: 'http://127.0.0.1:9', save_as: nothing,"
        " on_error: e}\n  - label: e\n    hangup:\n"
    )
    played = await play(scenario, "1")
    assert played.result.outcome is Outcome.CONFIRMED
    assert "nothing" in played.result.evidence.notes["error"]


async def test_marketing_by_robot_voice_is_refused_before_a_word() -> None:
    scenario = scenario_from(
        HEAD.replace("steps", "purpose: marketing\nsteps") + "  - say: Скидки!\n"
    )
    data = make_data("patient.marketing_consent=true")
    with pytest.raises(NotAllowed, match=r"38-FZ"):
        await play(scenario, data=data)


async def test_marketing_in_a_text_channel_needs_consent() -> None:
    scenario = scenario_from(
        HEAD.replace("steps", "purpose: marketing\nsteps")
        + "  - say: Скидки!\n  - set_outcome: message_left\n"
    )
    with pytest.raises(NotAllowed, match="consent"):
        await play(scenario, channel=Channel.TELEGRAM)
    played = await play(
        scenario, data=make_data("patient.marketing_consent=true"), channel=Channel.TELEGRAM
    )
    assert played.result.outcome is Outcome.MESSAGE_LEFT


async def test_patient_who_refused_robot_calls_is_not_called() -> None:
    with pytest.raises(NotAllowed, match="refused robot calls"):
        await play("confirm", data=make_data("patient.robot_call_consent=false"))


async def test_missing_required_data_is_refused_before_the_call() -> None:
    raw = demo_data()
    raw["appointments"] = []
    with pytest.raises(DataError, match="appointments"):
        await play("confirm", data=make_data(raw=raw))
    with pytest.raises(DataError, match=r"options\.api_base"):
        await play("reschedule", data=make_data("options.api_base="))


async def test_evidence_keeps_keys_with_times_what_was_said_and_timings() -> None:
    played = await play("confirm", "1_1")
    evidence = played.result.evidence
    assert evidence.digits == "11"
    assert evidence.hangup_by is HangupBy.US
    assert evidence.talk_seconds == round(played.line.clock, 1) == 52.6
    keys = [step for step in evidence.steps if " key: " in step]
    assert [re.sub(r"\s+", " ", k.strip()) for k in keys] == ["9.5 key: 1", "50.4 key: 1"]
    assert any("timeout: тишина" in step for step in evidence.steps)
    assert any("Мария Петровна" in step for step in evidence.steps)
    assert evidence.notes["scenario"] == "confirm"
    assert json.loads(evidence.notes["answers"]) == {"choice": "1"}


async def test_barge_in_is_marked_in_the_evidence() -> None:
    played = await play("confirm", ">11")
    assert any("key: 1 (во время фразы)" in step for step in played.result.evidence.steps)


async def test_successful_transfer_leaves_the_line_to_the_operator() -> None:
    played = await play("confirm", "10")
    assert played.result.evidence.hangup_by is None
    assert not played.line.hung_up
    assert played.result.evidence.notes["transferred_to"] == "operator"


async def test_patient_hanging_up_is_recorded_as_theirs() -> None:
    played = await play("confirm", "1h")
    assert played.result.outcome is Outcome.HUNG_UP
    assert played.result.evidence.hangup_by is HangupBy.THEM


async def test_confirm_says_it_is_a_robot_within_five_seconds() -> None:
    played = await play("confirm", "11")
    first = played.line.transcript[0]
    assert first.at == 0.0
    spoken_before = first.text[: first.text.index("автоматический помощник")]
    assert len(spoken_before) / 14.0 < 5.0


@pytest.mark.parametrize("scenario", ["confirm", "lab_results_out", "reschedule", "follow_up"])
async def test_no_medical_detail_before_identity_is_confirmed(scenario: str) -> None:
    played = await play(scenario, "2", make_data("options.api_base=http://127.0.0.1:9"))
    said = played.said
    for detail in ("Сидоров", "терапевт", "анализ", "десять тридцать", "ноября"):
        assert detail not in said
    assert played.result.outcome is Outcome.WRONG_PERSON


async def test_answering_machine_message_has_no_medical_details() -> None:
    played = await play("confirm", answering_machine=True)
    message = next(s.text for s in played.line.transcript if s.kind == "message")
    assert "Здоровье" in message
    for detail in ("Мария", "Иванова", "Сидоров", "терапевт", "ноября", "Лесная"):
        assert detail not in message


async def test_machine_detected_mid_call_switches_to_the_message() -> None:
    scenario = builtin("confirm")
    from dozvon.dialog.engine import run_scenario
    from dozvon.dialog.scripted import ScriptedConversation

    class LateDetection(ScriptedConversation):
        @property
        def answering_machine_detected(self) -> bool:
            return self.clock > 3.0

    line = LateDetection("")
    result = await run_scenario(scenario, line, make_data())
    assert result.outcome is Outcome.MESSAGE_LEFT
    assert [s.kind for s in line.transcript] == ["say", "message"]


async def test_continue_with_brings_the_other_scenarios_option_defaults(mis) -> None:  # type: ignore[no-untyped-def]
    data = make_data("options.reschedule_inline=true", f"options.api_base={mis.url}")
    played = await play("confirm", "1321", data)
    assert played.result.outcome is Outcome.CONFIRMED
    assert any("continue_with: reschedule/slots" in s for s in played.result.evidence.steps)


async def test_data_the_texts_cannot_say_is_refused_before_the_call() -> None:
    data = make_data("appointments.0.doctor.specialty=звездочёт")
    with pytest.raises(DataError, match=r"шаг 3: данные не подходят: .*звездочёт"):
        await play("confirm", data=data)


async def test_continue_with_a_missing_scenario_ends_uncertain() -> None:
    scenario = scenario_from(
        HEAD + "  - ask: {prompt: 'Нажмите 1', keys: '1'}\n  - set_outcome: declined\n"
        "  - continue_with: {scenario: nowhere_to_be_found}\n"
    )
    played = await play(scenario, "1")
    assert played.result.outcome is Outcome.DECLINED
    assert "nowhere_to_be_found" in played.result.evidence.notes["error"]
    scenario = scenario_from(HEAD + "  - continue_with: {scenario: confirm, label: nowhere}\n")
    played = await play(scenario)
    assert played.result.outcome is Outcome.UNCERTAIN
    assert "нет метки «nowhere»" in played.result.evidence.notes["error"]


async def test_a_task_bundled_by_core_runs_with_all_its_visits() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dozvon.core.appointment import Appointment, Branch, Doctor, Patient
    from dozvon.core.task import bundle_tasks
    from dozvon.dialog.context import Clinic, DialogData

    zone = ZoneInfo("Asia/Yekaterinburg")
    patient = Patient("Петров Сергей Иванович", ("+73432000000",))
    branch = Branch("Центр", "улица Мира, дом 1", "+73432000001")
    visits = [
        Appointment(
            "A",
            "mis",
            patient,
            datetime(2026, 11, 27, 9, 0, tzinfo=zone),
            Doctor("Орлова Анна Павловна", "терапевт"),
            branch=branch,
        ),
        Appointment(
            "B",
            "mis",
            patient,
            datetime(2026, 11, 27, 12, 0, tzinfo=zone),
            Doctor("Киселёв Олег Петрович", "хирург"),
            branch=branch,
        ),
    ]
    [task] = bundle_tasks(visits)
    data = DialogData.for_task(task, Clinic("Здоровье"))
    played = await play("confirm", "11", data)
    assert played.result.outcome is Outcome.CONFIRMED
    assert "Это Сергей Иванович?" in played.said
    assert "к врачу-терапевту Орловой Анне Павловне" in played.said
    assert "в девять часов" in played.said and "в двенадцать часов" in played.said


async def test_the_same_scenario_runs_on_a_text_channel() -> None:
    played = await play("confirm", "11", channel=Channel.TELEGRAM)
    assert played.result.outcome is Outcome.CONFIRMED


async def test_recorded_prompt_is_passed_with_its_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dozvon.dialog.conversation import Prompt
    from dozvon.dialog.engine import run_scenario
    from dozvon.dialog.scripted import ScriptedConversation

    (tmp_path / "hello.wav").write_bytes(b"RIFF")
    scenario = scenario_from(
        HEAD + "  - say: {file: hello.wav, text: Здравствуйте!}\n  - set_outcome: message_left\n",
        tmp_path,
    )
    prompts: list[Prompt] = []

    class Capturing(ScriptedConversation):
        async def say(self, prompt: Prompt) -> None:
            prompts.append(prompt)
            await super().say(prompt)

    result = await run_scenario(scenario, Capturing(), make_data())
    assert result.outcome is Outcome.MESSAGE_LEFT
    assert prompts == [Prompt("Здравствуйте!", tmp_path / "hello.wav")]


async def test_machine_detected_during_a_question_stops_the_repeats() -> None:
    from dozvon.dialog.engine import run_scenario
    from dozvon.dialog.scripted import ScriptedConversation

    class DetectedWhileAsking(ScriptedConversation):
        @property
        def answering_machine_detected(self) -> bool:
            return self.clock > 8.0

    line = DetectedWhileAsking("")
    result = await run_scenario(builtin("confirm"), line, make_data())
    assert result.outcome is Outcome.MESSAGE_LEFT
    assert [s.kind for s in line.transcript] == ["say", "ask", "silence", "message"]


async def test_continue_with_finds_builtins_without_a_resolver(mis) -> None:  # type: ignore[no-untyped-def]
    from dozvon.dialog.engine import run_scenario
    from dozvon.dialog.scripted import ScriptedConversation

    data = make_data("options.reschedule_inline=true", f"options.api_base={mis.url}")
    result = await run_scenario(builtin("confirm"), ScriptedConversation("1321"), data)
    assert result.outcome is Outcome.CONFIRMED


def test_check_before_call_refuses_without_a_line() -> None:
    from dozvon.dialog.engine import check_before_call

    context = check_before_call(builtin("confirm"), make_data(), Channel.VOICE)
    assert context["patient"]["name"] == "Иванова Мария Петровна"
    with pytest.raises(NotAllowed):
        check_before_call(
            builtin("confirm"), make_data("patient.robot_call_consent=false"), Channel.VOICE
        )
    with pytest.raises(DataError, match=r"звездочёт"):
        check_before_call(
            builtin("confirm"),
            make_data("appointments.0.doctor.specialty=звездочёт"),
            Channel.VOICE,
        )
