"""A broken scenario is refused with the file, the line, the step and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from dozvon.dialog.errors import ScenarioErrors
from dozvon.dialog.loader import load_file, load_text

HEAD = "name: t\ntitle: Тест\nsteps:\n"


def errors_of(text: str) -> list[tuple[int | None, str, str | None]]:
    with pytest.raises(ScenarioErrors) as caught:
        load_text(text, "broken.yaml")
    return [(e.line, e.message, e.step) for e in caught.value.errors]


BROKEN = [
    # (name, scenario text, line, part of the message, step)
    ("not_yaml", HEAD + "  - say: 'Здравствуйте\n  - hangup\n", 6, "это не YAML", None),
    ("bad_indent", HEAD + "  - say: a\n   - hangup\n", 5, "это не YAML", None),
    ("empty_file", "", 1, "файл пуст", None),
    ("top_level_list", "- say: a\n", 1, "ожидался сценарий", None),
    (
        "duplicate_key",
        "name: t\ntitle: a\ntitle: b\nsteps: [hangup]\n",
        3,
        "«title» повторяется",
        None,
    ),
    ("alias", HEAD + "  - &x {say: a}\n  - *x\n", 4, "якоря", None),
    ("missing_title", "name: t\nsteps: [hangup]\n", 1, "«title»: не хватает", None),
    (
        "unknown_field",
        HEAD.replace("steps", "colour: red\nsteps") + "  - hangup\n",
        3,
        "«colour»: неизвестное поле",
        None,
    ),
    ("bad_name", "name: Подтверждение\ntitle: a\nsteps: [hangup]\n", 1, "латинских", None),
    (
        "bad_purpose",
        "name: t\ntitle: a\npurpose: ads\nsteps: [hangup]\n",
        3,
        "ожидалось одно из: 'service', 'marketing'",
        None,
    ),
    ("no_steps", "name: t\ntitle: a\nsteps: []\n", 3, "список пуст", None),
    ("unknown_step", HEAD + "  - say: a\n  - shout: b\n", 5, "ровно один из ключей", "шаг 2"),
    ("two_kinds", HEAD + "  - say: a\n    goto: x\n", 4, "найдено: say, goto", "шаг 1 (say)"),
    ("step_not_mapping", HEAD + "  - 42\n", 4, "шаг должен быть словарём", "шаг 1"),
    (
        "ask_without_prompt",
        HEAD + "  - ask:\n      keys: '12'\n",
        4,
        "«prompt»: не хватает",
        "шаг 1 (ask)",
    ),
    (
        "keys_as_number",
        HEAD + "  - ask:\n      prompt: a\n      keys: 12\n",
        6,
        'keys: "12"',
        "шаг 1 (ask)",
    ),
    (
        "keys_and_digits",
        HEAD + "  - ask:\n      prompt: a\n      keys: '1'\n      digits: {}\n",
        4,
        "либо keys",
        "шаг 1 (ask)",
    ),
    ("bad_key", HEAD + "  - ask:\n      prompt: a\n      keys: '1a'\n", 6, "непонятно: a", None),
    (
        "on_key_not_in_keys",
        HEAD + "  - label: q\n    ask:\n      prompt: a\n      keys: '12'\n"
        "      on_key: {'3': q}\n",
        5,
        "клавиш 3 нет в keys",
        "шаг 1 (ask, метка q)",
    ),
    (
        "negative_timeout",
        HEAD + "  - ask:\n      prompt: a\n      keys: '1'\n      timeout: -1\n",
        7,
        "ожидалось число > 0",
        None,
    ),
    (
        "unknown_outcome",
        HEAD + "  - say: a\n  - set_outcome: maybe\n",
        5,
        "'confirmed'",
        "шаг 2 (set_outcome)",
    ),
    ("hangup_with_args", HEAD + "  - hangup: now\n", 4, "просто «- hangup»", "шаг 1 (hangup)"),
    (
        "goto_nowhere",
        HEAD + "  - label: start\n    say: a\n  - goto: finish\n",
        6,
        "нет метки «finish»; есть: start",
        "шаг 2 (goto)",
    ),
    (
        "duplicate_label",
        HEAD + "  - label: a\n    say: x\n  - label: a\n    say: y\n",
        6,
        "уже есть у шага 1",
        "шаг 2 (say, метка a)",
    ),
    (
        "branch_to_nowhere",
        HEAD + "  - branch:\n      cases:\n        - if: 'true'\n          goto: away\n",
        7,
        "нет метки «away»",
        "шаг 1 (branch)",
    ),
    (
        "call_api_without_fallback",
        HEAD + "  - call_api:\n      url: http://x\n      save_as: r\n",
        4,
        "«on_error»: не хватает",
        "шаг 1 (call_api)",
    ),
    (
        "machine_label_missing",
        HEAD.replace("steps", "on_answering_machine: vm\nsteps") + "  - hangup\n",
        3,
        "нет метки «vm»",
        None,
    ),
    (
        "requires_unknown_root",
        HEAD.replace("steps", "requires: [doctor.name]\nsteps") + "  - hangup\n",
        3,
        "«doctor.name»: ожидался путь",
        None,
    ),
    (
        "template_syntax",
        HEAD + "  - say: '{{ patient.name '\n",
        4,
        "ошибка в шаблоне",
        "шаг 1 (say)",
    ),
    (
        "template_unknown_name",
        HEAD + "  - say: '{{ doctor.name }}'\n",
        4,
        "неизвестные имена: doctor",
        "шаг 1 (say)",
    ),
    (
        "template_unknown_answer",
        HEAD + "  - say: 'a'\n  - say: '{{ answers.rating }}'\n",
        5,
        "answers.rating: такого нет",
        "шаг 2 (say)",
    ),
    (
        "template_unknown_filter",
        HEAD + "  - say: '{{ patient.name | shout }}'\n",
        4,
        "нет фильтра «shout»",
        None,
    ),
    (
        "condition_syntax",
        HEAD + "  - branch:\n      cases:\n        - if: 'answers.x >'\n"
        "          goto: e\n  - label: e\n    hangup:\n",
        6,
        "ошибка в условии",
        "шаг 1 (branch)",
    ),
    ("yaml_boolean_label", HEAD + "  - goto: yes\n", 4, "возьмите в кавычки", "шаг 1 (goto)"),
    (
        "prompt_file_without_dir",
        HEAD + "  - say: {file: hello.wav}\n",
        4,
        "сценарий без каталога",
        None,
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "message", "step"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_broken_scenario_names_line_and_step(
    text: str, line: int | None, message: str, step: str | None
) -> None:
    found = errors_of(text)
    matching = [f for f in found if message in f[1]]
    assert matching, found
    got_line, _, got_step = matching[0]
    assert got_line == line
    if step is not None:
        assert got_step == step


def test_error_text_starts_with_file_and_line() -> None:
    with pytest.raises(ScenarioErrors) as caught:
        load_text(HEAD + "  - say: a\n  - goto: nowhere\n", "clinic/confirm.yaml")
    assert str(caught.value).startswith("clinic/confirm.yaml:5: шаг 2 (goto): нет метки")


def test_all_problems_are_reported_at_once() -> None:
    text = HEAD + "  - goto: a\n  - goto: b\n  - say: '{{ nobody }}'\n"
    assert [line for line, _, _ in errors_of(text)] == [4, 5, 6]


LEAVE_MESSAGE_REFUSED = [
    "{{ patient.name }}",
    "{{ appointment.doctor.name }}",
    "{{ appointments[0].services | join(', ') }}",
    "{{ branch.address }}",
    "{{ branch['name'] }}",
    "{{ options.message }}",
    "{{ answers.code }}",
    "{% set b = branch %}{{ b.phone }}",
    "{% for a in appointments %}x{% endfor %}",
    "{{ call.caller }}",
]


@pytest.mark.parametrize("template", LEAVE_MESSAGE_REFUSED)
def test_leave_message_refuses_anything_but_clinic_and_branch_phone(template: str) -> None:
    text = (
        HEAD
        + "  - ask: {prompt: a, keys: '1', save_as: code}\n"
        + f'  - leave_message: "{template}"\n'
    )
    found = errors_of(text)
    assert found and all(line == 5 for line, _, _ in found), found
    assert any("автоответчика" in message for _, message, _ in found)


def test_leave_message_allows_clinic_and_branch_phone() -> None:
    text = HEAD + (
        '  - leave_message: "Это клиника {{ clinic.name }}. Перезвоните: '
        "{{ branch.phone | phone_ru }}, {{ branch['phone'] }}. Сайт {{ clinic.website }}\"\n"
    )
    assert load_text(text, "ok.yaml").steps


def test_prompt_file_is_checked_beside_the_scenario(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + "  - say: {file: hello.wav, text: Здравствуйте}\n", encoding="utf-8")
    with pytest.raises(ScenarioErrors, match=r"нет файла записи «hello\.wav»"):
        load_file(path)
    (tmp_path / "hello.wav").write_bytes(b"RIFF")
    assert load_file(path).steps


def test_prompt_file_may_not_escape_the_scenario_directory(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + "  - say: {file: ../../etc/passwd}\n", encoding="utf-8")
    with pytest.raises(ScenarioErrors, match="в каталоге сценария"):
        load_file(path)


def test_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes((HEAD + "  - say: Здравствуйте\n").encode("cp1251"))
    with pytest.raises(ScenarioErrors, match="UTF-8"):
        load_file(path)


def test_huge_file_is_refused() -> None:
    with pytest.raises(ScenarioErrors, match="больше"):
        load_text(HEAD + "  - say: a\n" * 60_000, "huge.yaml")
