"""Every MIS kind `dozvon init` offers renders a config the real loaders accept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dozvon.config import ConfigError, parse_document, validate
from dozvon.config.secretfile import read_secrets
from dozvon.config.settings import Settings
from dozvon.config.starter import MIS_KINDS, Answers, Starter, render
from dozvon.config.starter import answers as parse
from dozvon.config.starter.mis_kinds import guide
from dozvon.mis import config as mis_config

STAND_INS = {
    "SIP_PASSWORD": "dummy",
    "MIS_PASSWORD": "dummy",
    "MIS_TOKEN": "dummy",
    "AMOCRM_TOKEN": "dummy",
    "BITRIX24_WEBHOOK": "https://portal.bitrix24.ru/rest/1/abcdef123/",
}


def load(result: Starter) -> Settings:
    return validate(parse_document(result.config, None, {n: "x" for n in result.env_names}))


def test_offers_only_kinds_the_mis_package_has() -> None:
    assert set(MIS_KINDS) <= set(mis_config.KINDS)


@pytest.mark.parametrize("kind", sorted(MIS_KINDS))
def test_the_config_points_at_an_existing_integration_page(kind: str) -> None:
    page = guide(kind)
    assert f"# подробно / details: {page}" in render(Answers(mis_kind=kind)).config
    assert (Path(__file__).parents[3] / page).is_file()


@pytest.mark.parametrize("kind", sorted(MIS_KINDS))
def test_every_kind_loads_and_its_mis_section_validates(kind: str) -> None:
    result = render(Answers(mis_kind=kind))
    settings = load(result)
    assert settings.mis is not None
    mis = mis_config.load(settings.mis)
    assert mis.source["kind"] == kind
    assert settings.campaigns[0].name == "confirm"
    assert settings.trunk is not None and settings.trunk.password is not None


@pytest.mark.parametrize("kind", sorted(MIS_KINDS))
async def test_every_kind_opens_a_connector(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond the schema: the connector's own constructor checks (templates, field names)."""
    for name, value in STAND_INS.items():
        monkeypatch.setenv(name, value)
    settings = load(render(Answers(mis_kind=kind)))
    assert settings.mis is not None
    connector = mis_config.open_connector(mis_config.load(settings.mis))
    await connector.aclose()


@pytest.mark.parametrize("kind", sorted(MIS_KINDS))
def test_secrets_template_lists_every_referenced_name_empty(kind: str, tmp_path: Path) -> None:
    result = render(Answers(mis_kind=kind))
    path = tmp_path / "secrets.env"
    path.write_text(result.secrets, encoding="utf-8")
    assert read_secrets(path) == {name: "" for name in result.env_names}
    for name in result.env_names:
        assert name in result.config


@pytest.mark.parametrize("kind", sorted(MIS_KINDS))
def test_every_reference_in_the_text_is_a_listed_secret(kind: str) -> None:
    """`dozvon doctor` reads references from the raw text, comments included."""
    result = render(Answers(mis_kind=kind))
    referenced = set(re.findall(r"(?<!\$)\$\{([A-Za-z_]\w*)\}", result.config))
    assert referenced <= set(result.env_names)


def test_a_missing_secret_is_reported_by_name() -> None:
    result = render(Answers())
    with pytest.raises(ConfigError, match="SIP_PASSWORD"):
        validate(parse_document(result.config, None, {}))


def test_hostile_answers_stay_plain_values() -> None:
    name = 'Клиника "Здоровье" ${HOME} # не комментарий\nвторая строка: да'
    result = render(Answers(clinic_name=name, caller_id="+74951234567"))
    settings = load(result)
    assert settings.clinic.name == name
    assert settings.trunk is not None and settings.trunk.caller_id == "+74951234567"


def test_ip_trunk_without_user_has_no_password() -> None:
    answers = Answers(trunk_register=False, trunk_username="", mis_kind="csv")
    result = render(answers)
    settings = load(result)
    assert result.env_names == ()
    assert settings.trunk is not None
    assert settings.trunk.password is None
    assert settings.trunk.sip_register is False


def test_answers_reach_the_settings() -> None:
    answers = Answers(
        timezone="Asia/Yekaterinburg",
        trunk_host="10.0.0.5",
        trunk_port=5080,
        trunk_transport="tcp",
        lines=8,
        cps=0.5,
        hours_start="10:00",
        hours_end="18:30",
        weekdays=("пн", "ср", "пт"),
        mis_kind="onec_odata",
        mis_facts={
            "base_url": "https://1c.clinic.ru/base/odata/standard.odata/",
            "username": "robot",
        },
    )
    settings = load(render(answers))
    trunk = settings.trunk
    assert trunk is not None
    assert (trunk.host, trunk.port, trunk.transport) == ("10.0.0.5", 5080, "tcp")
    assert (trunk.lines, trunk.cps) == (8, 0.5)
    hours = settings.campaigns[0].hours
    assert (hours.start.isoformat(), hours.end.isoformat()) == ("10:00:00", "18:30:00")
    assert hours.weekdays == [0, 2, 4]
    assert settings.clinic.timezone == "Asia/Yekaterinburg"
    assert settings.mis is not None
    assert settings.mis["source"]["username"] == "robot"
    assert settings.mis["mapping"]["timezone"] == "Asia/Yekaterinburg"


def test_sqlite_mis_needs_no_password() -> None:
    result = render(Answers(mis_kind="sql", mis_facts={"url": "sqlite:////srv/mis/mis.sqlite"}))
    assert result.env_names == ("SIP_PASSWORD",)
    settings = load(result)
    assert settings.mis is not None and "password_env" not in settings.mis["source"]


def test_odbc_connection_string_goes_under_its_own_key() -> None:
    target = "DRIVER={MariaDB Unicode};SERVER=10.0.0.5;DATABASE=mis"
    settings = load(render(Answers(mis_kind="odbc", mis_facts={"dsn": target})))
    assert settings.mis is not None
    assert settings.mis["source"]["connection_string"] == target
    assert "dsn" not in settings.mis["source"]


@pytest.mark.parametrize(
    ("parse", "value", "message"),
    [
        (parse.zone, "Mars/Olympus", "часовой пояс"),
        (parse.clock, "25:00", "ЧЧ:ММ"),
        (parse.clock, "девять", "ЧЧ:ММ"),
        (parse.weekdays, "пн сре", "сре"),
        (parse.whole(1, 1000), "много", "целое число"),
        (parse.whole(1, 1000), "0", "от 1 до 1000"),
        (parse.calls_per_second, "0", "больше 0"),
        (parse.yes_no, "может быть", "да или нет"),
        (parse.transport, "tls", "udp или tcp"),
        (parse.host, "sip example", "имя или адрес"),
        (parse.caller_id, "звоните", "номер вида"),
        (parse.sql_url, "postgresql://u:secret@h/db", "пароль"),
        (parse.sql_url, "not a url", "SQLAlchemy"),
        (parse.odbc_target, "DSN=mis;PWD=secret", "PWD"),
        (parse.http_url, "https://user:pass@mis.ru/api", "без логина"),
        (parse.http_url, "ftp://mis.ru", "http"),
        (parse.text, "  ", "непустое"),
    ],
)
def test_bad_answers_say_what_is_expected(parse: object, value: str, message: str) -> None:
    assert callable(parse)
    with pytest.raises(ValueError, match=re.escape(message)):
        parse(value)


def test_good_answers_are_normalised() -> None:
    assert parse.clock("9:05") == "09:05"
    assert parse.weekdays("пт, mon ср") == ("пн", "ср", "пт")
    assert parse.calls_per_second("0,5") == 0.5
    assert parse.caller_id("+7 (495) 123-45-67") == "+74951234567"
    assert parse.yes_no("Да") is True
