"""A bad config names the file, the line and the key, and says what was expected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dozvon.config import ConfigError, load_settings

Fails = Callable[..., ConfigError]


def test_bad_yaml_reports_its_line(fails: Fails) -> None:
    error = fails("clinic:\n  name: Клиника\n  timezone: [Europe/Moscow\nweb: {}\n")
    [issue] = error.issues
    assert issue.file is not None and issue.file.name == "dozvon.yaml"
    assert issue.line in (3, 4)
    assert "YAML" in issue.message


def test_wrong_type_names_file_line_and_key(fails: Fails) -> None:
    error = fails(
        """\
        clinic:
          name: Тест
        trunk:
          host: sip.example.ru
          lines: много
        """
    )
    [issue] = error.issues
    assert (issue.line, issue.key) == (5, ("trunk", "lines"))
    assert "целое число" in issue.message
    assert str(error).startswith(f"{issue.file}:5 trunk.lines: ")


def test_unknown_key_is_refused_where_it_is(fails: Fails) -> None:
    error = fails(
        """\
        campaigns:
          - name: confirm
            scenario: confirm
            hours:
              start: "09:00"
              finish: "20:00"
        """
    )
    [issue] = error.issues
    assert issue.line == 6
    assert issue.key == ("campaigns", 0, "hours", "finish")
    assert "неизвестный ключ" in issue.message
    assert "campaigns[0].hours.finish" in str(error)


def test_missing_required_key_points_at_its_section(fails: Fails) -> None:
    error = fails("clinic: {}\ntrunk:\n  port: 5060\n")
    [issue] = error.issues
    assert (issue.line, issue.key) == (2, ("trunk", "host"))
    assert "обязательный" in issue.message


def test_every_problem_is_reported_at_once(fails: Fails) -> None:
    error = fails("web:\n  port: x\nclinic:\n  timezone: Mars/Olympus\n")
    assert {issue.line for issue in error.issues} == {2, 4}
    assert any("часовой пояс" in issue.message for issue in error.issues)


def test_duplicate_key_is_refused(fails: Fails) -> None:
    error = fails("web:\n  port: 1\n  port: 2\n")
    assert error.issues[0].line == 3
    assert "повтор" in error.issues[0].message


@pytest.mark.parametrize(
    "text",
    ["- a\n- b\n", "just text\n", "? [a, b]\n: c\n", "base: &b {x: 1}\nweb:\n  <<: *b\n"],
)
def test_hostile_shapes_are_refused_cleanly(fails: Fails, text: str) -> None:
    error = fails(text)
    assert error.issues and error.issues[0].line is not None


def test_python_tags_are_not_executed(fails: Fails) -> None:
    error = fails("clinic:\n  name: !!python/object/apply:os.system ['true']\n")
    assert error.issues[0].line == 2


def test_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert str(path) in str(caught.value)


def test_non_utf8_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cp1251.yaml"
    path.write_bytes("clinic:\n  name: Клиника\n".encode("cp1251"))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_settings(path, {})


def test_marketing_by_voice_is_refused_with_its_line(fails: Fails) -> None:
    error = fails(
        """\
        campaigns:
          - name: promo
            scenario: notify
            purpose: marketing
        """
    )
    [issue] = error.issues
    assert issue.line == 2
    assert "38-ФЗ" in issue.message


def test_final_outcomes_cannot_be_given_a_retry(fails: Fails) -> None:
    error = fails(
        """\
        campaigns:
          - name: confirm
            scenario: confirm
            retry:
              per_outcome:
                opted_out: {delay: 1h, max_attempts: 2}
        """
    )
    assert error.issues[0].line == 5
    assert "opted_out" in error.issues[0].message


@pytest.mark.parametrize(
    ("snippet", "line"),
    [
        ("hours: {start: '20:00', end: '09:00'}", 4),
        ("hours: {weekdays: [0, 1]}", 4),
        ("hours: {weekdays: []}", 4),
        ("retry: {per_outcome: {busy: {delay: soon}}}", 4),
        ("schedule: ['every day']", 4),
        ("channels: [voice, voice]", 2),
        ("channels: [pigeon]", 4),
    ],
)
def test_campaign_values_are_checked(fails: Fails, snippet: str, line: int) -> None:
    error = fails(f"campaigns:\n  - name: c\n    scenario: confirm\n    {snippet}\n")
    assert error.issues[0].line == line


def test_campaign_names_must_differ(fails: Fails) -> None:
    text = "campaigns:\n  - {name: a, scenario: x}\n  - {name: a, scenario: y}\n"
    assert "кампаний" in str(fails(text))
