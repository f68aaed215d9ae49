"""A good config loads into typed settings that become core rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from pathlib import Path

from dozvon.config import Settings, load_document, load_settings
from dozvon.config.database import DEFAULT_URL
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import Purpose

Load = Callable[..., Settings]
REPO = Path(__file__).resolve().parents[3]


def test_no_config_means_the_defaults() -> None:
    settings, document = load_settings(None, {})
    assert settings.database.url == DEFAULT_URL
    assert settings.clinic.timezone == "Europe/Moscow"
    assert settings.trunk is None
    assert document.path is None


def test_dozvon_config_variable_names_the_file(write: Callable[[str, str], Path]) -> None:
    path = write("clinic:\n  name: Из переменной\n", "other.yaml")
    settings, document = load_settings(None, {"DOZVON_CONFIG": str(path)})
    assert settings.clinic.name == "Из переменной"
    assert document.path == path


def test_empty_file_means_the_defaults(load: Load) -> None:
    assert load("# nothing yet\n").web.port == 8080


def test_campaign_becomes_core_rules(load: Load) -> None:
    settings = load(
        """\
        campaigns:
          - name: confirm
            scenario: confirm
            hours:
              start: 9:30
              end: 20:00
              weekdays: [пн, вт, wed, Thu, fri]
              holidays: [2026-03-09]
            retry:
              max_attempts: 4
              per_outcome:
                busy: {delay: 15 мин, max_attempts: 2}
                no_answer: {delay: 2h, max_attempts: 0}
            channels: [voice, sms]
            schedule: ["0 18 * * 1-5", "*/15 9-19 * * *"]
          - name: promo
            scenario: notify
            purpose: marketing
            channels: [sms]
        """
    )
    confirm, promo = settings.campaigns
    hours = confirm.hours.to_rule()
    assert (hours.start, hours.end) == (time(9, 30), time(20, 0))
    assert hours.weekdays == frozenset({0, 1, 2, 3, 4})
    assert hours.holidays == frozenset({date(2026, 3, 9)})
    policy = confirm.retry.to_rule()
    assert policy.max_attempts == 4
    assert policy.per_outcome[Outcome.BUSY].delay == timedelta(minutes=15)
    assert policy.per_outcome[Outcome.NO_ANSWER].max_attempts == 0
    assert Outcome.ANSWERING_MACHINE in policy.per_outcome
    assert confirm.channels == [Channel.VOICE, Channel.SMS]
    assert promo.purpose is Purpose.MARKETING


def test_trunk_section(load: Load) -> None:
    settings = load(
        """\
        trunk:
          host: sip.example.ru
          transport: tcp
          register: false
          lines: 30
          cps: 2.5
          ring_timeout: 40s
          rtp_ports: {start: 20000, end: 20100}
        """
    )
    trunk = settings.trunk
    assert trunk is not None
    assert trunk.transport == "tcp"
    assert trunk.sip_register is False
    assert trunk.ring_timeout == timedelta(seconds=40)
    assert (trunk.rtp_ports.start, trunk.rtp_ports.end) == (20000, 20100)


def test_line_of_finds_nested_keys_and_falls_back_to_parents(
    write: Callable[[str, str], Path],
) -> None:
    path = write("clinic:\n  name: x\nmis:\n  kind: sql\n  query: |\n    SELECT 1\n", "d.yaml")
    document = load_document(path, {})
    assert document.line_of(("mis", "query")) == 5
    assert document.line_of(("mis", "missing", "deeper")) == 3
    assert document.line_of(()) == 1
    issue = document.issue(("mis", "query"), "bad query")
    assert str(issue) == f"{path}:5 mis.query: bad query"


def test_example_config_is_valid() -> None:
    settings, _ = load_settings(REPO / "examples" / "dozvon.example.yaml", {})
    assert [campaign.name for campaign in settings.campaigns] == ["confirm", "promo"]
    assert settings.trunk is not None and settings.trunk.password is not None
