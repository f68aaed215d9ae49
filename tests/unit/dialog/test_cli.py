"""`dozvon simulate` and `dozvon scenario`, run the way an admin runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dozvon.cli import app
from dozvon.dialog.library import builtin_names
from dozvon.dialog.simdata import demo_data

runner = CliRunner()


def test_simulate_confirm_with_keys_prints_the_call_fields_as_json() -> None:
    result = runner.invoke(app, ["simulate", "confirm", "--keys", "11", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert {
        k: printed[k] for k in ("outcome", "sip_status", "answered", "digits", "hangup_by")
    } == {
        "outcome": "confirmed",
        "sip_status": None,
        "answered": True,
        "digits": "11",
        "hangup_by": "us",
    }
    assert printed["ring_seconds"] == 0.0
    assert printed["talk_seconds"] > 0
    assert printed["steps"][0] == {
        "at": 0.0,
        "kind": "say",
        "text": "Здравствуйте! Это автоматический помощник клиники «Здоровье».",
    }


def test_simulate_prints_the_dialogue_and_the_outcome() -> None:
    result = runner.invoke(app, ["simulate", "confirm", "--keys", "12"])
    assert result.exit_code == 0, result.output
    assert "Робот: Это Мария Петровна?" in result.stdout
    assert "Пациент нажимает: 2" in result.stdout
    assert result.stdout.rstrip().endswith("Итог: declined; клавиши: 12")


def test_simulate_reads_keys_from_the_keyboard_without_a_script() -> None:
    result = runner.invoke(app, ["simulate", "confirm"], input="1\n9\n")
    assert result.exit_code == 0, result.output
    assert "Итог: opted_out" in result.stdout


def test_simulate_interactive_json_keeps_stdout_for_the_json() -> None:
    result = runner.invoke(app, ["simulate", "confirm", "--json"], input="1\n2\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcome"] == "declined"
    assert "клавиши (Enter — промолчать" in result.stderr


def test_simulate_interactive_empty_line_is_silence() -> None:
    result = runner.invoke(app, ["simulate", "confirm"], input="\n\n\n")
    assert "Итог: uncertain" in result.stdout


def test_simulate_with_data_file_and_vars(tmp_path: Path) -> None:
    data = demo_data()
    data["patient"]["name"] = "Петров Сергей Иванович"
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(
        app,
        ["simulate", "confirm", "--data", str(path), "--var", "clinic.name=Медлайн", "--keys", "2"],
    )
    assert result.exit_code == 0, result.output
    assert "клиники «Медлайн»" in result.stdout
    assert "Это Сергей Иванович?" in result.stdout


def test_simulate_answering_machine() -> None:
    result = runner.invoke(app, ["simulate", "confirm", "--machine", "--json"])
    assert json.loads(result.stdout)["outcome"] == "message_left"


def test_simulate_uses_the_demo_mis_for_scenarios_that_call_it() -> None:
    result = runner.invoke(app, ["simulate", "booking", "--keys", "1121", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcome"] == "confirmed"


def test_simulate_refuses_bad_data_with_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"clinic": {"name": "X"}, "appointments": [{"id": "1", "start": "завтра"}]}')
    result = runner.invoke(app, ["simulate", "confirm", "--data", str(path), "--keys", "1"])
    assert result.exit_code == 2
    assert "appointments.0.start" in result.stderr


def test_simulate_refuses_bad_keys_and_vars() -> None:
    result = runner.invoke(app, ["simulate", "confirm", "--keys", "1x"])
    assert result.exit_code == 2 and "непонятные символы в клавишах: x" in result.stderr
    result = runner.invoke(app, ["simulate", "confirm", "--var", "clinic.name"])
    assert result.exit_code == 2 and "ключ=значение" in result.stderr


def test_simulate_unknown_scenario_lists_the_known_ones() -> None:
    result = runner.invoke(app, ["simulate", "confrim", "--keys", "1"])
    assert result.exit_code == 2
    assert "нет встроенного сценария «confrim»; есть: booking, confirm" in result.stderr


def test_scenario_list_shows_every_builtin() -> None:
    result = runner.invoke(app, ["scenario", "list"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert listed == builtin_names()
    assert set(listed) == {
        "booking",
        "confirm",
        "follow_up",
        "lab_results_in",
        "lab_results_out",
        "notify",
        "reschedule",
        "survey",
    }


def test_scenario_check_passes_the_builtins() -> None:
    from importlib import resources

    folder = Path(str(resources.files("dozvon.dialog.scenarios")))
    result = runner.invoke(app, ["scenario", "check", *map(str, sorted(folder.glob("*.yaml")))])
    assert result.exit_code == 0, result.output
    assert result.stdout.count(": ok") == 8


def test_scenario_check_reports_lines_and_fails(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("name: good\ntitle: Х\nsteps:\n  - hangup\n", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntitle: Х\nsteps:\n  - say: hi\n  - goto: there\n", encoding="utf-8")
    result = runner.invoke(app, ["scenario", "check", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{good}: ok" in result.stdout
    assert f"{bad}:5: шаг 2 (goto): нет метки «there»" in result.stderr


def test_scenario_check_follows_continue_with(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(
        "name: a\ntitle: Х\nsteps:\n  - continue_with: {scenario: confirm, label: nowhere}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["scenario", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:4: шаг 1 (continue_with): в сценарии «confirm» нет метки «nowhere»" in (
        result.stderr
    )
