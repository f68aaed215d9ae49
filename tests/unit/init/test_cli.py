"""`dozvon init` end to end through typer's CliRunner: files, modes, prompts and refusals."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dozvon.cli import app
from dozvon.config import load_settings
from dozvon.config.secretfile import read_secrets
from dozvon.config.starter import MIS_KINDS, Starter
from dozvon.mis import config as mis_config

SECRET_ENV = ("SIP_PASSWORD", "MIS_PASSWORD", "MIS_TOKEN", "AMOCRM_TOKEN", "BITRIX24_WEBHOOK")


@pytest.fixture
def real_secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Real-looking secrets in the environment: none may leak into the output or the files."""
    values = {name: f"real-{name.lower()}-Zx9q" for name in SECRET_ENV}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["init", *args], input=input)
    return result.exit_code, result.output


@pytest.mark.parametrize("kind", sorted(MIS_KINDS))
def test_non_interactive_writes_a_loading_config_and_no_secret(
    kind: str, tmp_path: Path, real_secrets: dict[str, str]
) -> None:
    out = tmp_path / "etc" / "dozvon.yaml"
    code, output = run("--out", str(out), "--mis", kind, "--non-interactive")
    assert code == 0, output
    secrets = tmp_path / "etc" / "secrets.env"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert all(value == "" for value in read_secrets(secrets).values())
    for text in (output, out.read_text(encoding="utf-8"), secrets.read_text(encoding="utf-8")):
        for value in real_secrets.values():
            assert value not in text
    settings, _ = load_settings(out)
    assert settings.mis is not None
    assert mis_config.load(settings.mis).source["kind"] == kind
    steps = ("db upgrade", "dozvon doctor", "dozvon mis test", "--dry-run", "simulate confirm")
    for step in steps:
        assert step in output
    assert "SIP_PASSWORD" in output


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "dozvon.yaml"
    out.write_text("# the clinic's own config\n", encoding="utf-8")
    code, output = run("--out", str(out), "--non-interactive")
    assert code == 1
    assert "--force" in output
    assert out.read_text(encoding="utf-8") == "# the clinic's own config\n"
    assert not (tmp_path / "secrets.env").exists()


def test_an_existing_secrets_file_alone_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "secrets.env").write_text("SIP_PASSWORD=kept\n", encoding="utf-8")
    code, _ = run("--out", str(tmp_path / "dozvon.yaml"), "--non-interactive")
    assert code == 1
    assert not (tmp_path / "dozvon.yaml").exists()


def test_force_overwrites_the_config_and_keeps_secret_values(tmp_path: Path) -> None:
    out = tmp_path / "dozvon.yaml"
    secrets = tmp_path / "secrets.env"
    out.write_text("old: config\n", encoding="utf-8")
    secrets.write_text("SIP_PASSWORD=kept-value\n", encoding="utf-8")
    secrets.chmod(0o644)
    code, output = run("--out", str(out), "--mis", "rest", "--non-interactive", "--force")
    assert code == 0, output
    assert "kind: rest" in out.read_text(encoding="utf-8")
    assert read_secrets(secrets) == {"SIP_PASSWORD": "kept-value", "MIS_TOKEN": ""}
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600


def test_unknown_kind_is_a_usage_error(tmp_path: Path) -> None:
    code, output = run(
        "--out", str(tmp_path / "d.yaml"), "--mis", "oracle-forms", "--non-interactive"
    )
    assert code == 2
    assert "oracle-forms" in output
    assert not (tmp_path / "d.yaml").exists()


def answers(**changed: str) -> str:
    """The interactive answers in the order asked (MIS kind given with --mis sql)."""
    order = {
        "name": "Клиника «Здоровье»",
        "zone": "Europe/Samara",
        "url": "mysql+pymysql://reader@10.0.0.7/mis",
        "host": "sip.provider.ru",
        "port": "5060",
        "transport": "udp",
        "register": "да",
        "user": "clinic42",
        "caller": "+7 846 200-00-00",
        "lines": "4",
        "cps": "2",
        "start": "9:00",
        "end": "19:30",
        "days": "пн вт ср чт пт",
    }
    order.update(changed)
    return "\n".join(order.values()) + "\n"


def test_interactive_answers_reach_the_file(tmp_path: Path, real_secrets: dict[str, str]) -> None:
    out = tmp_path / "dozvon.yaml"
    code, output = run("--out", str(out), "--mis", "sql", input=answers())
    assert code == 0, output
    settings, _ = load_settings(out)
    assert settings.clinic.name == "Клиника «Здоровье»"
    assert settings.clinic.timezone == "Europe/Samara"
    trunk = settings.trunk
    assert trunk is not None
    assert (trunk.host, trunk.username, trunk.caller_id) == (
        "sip.provider.ru",
        "clinic42",
        "+78462000000",
    )
    assert (trunk.lines, trunk.cps, trunk.sip_register) == (4, 2.0, True)
    assert trunk.password is not None
    assert trunk.password.get_secret_value() == real_secrets["SIP_PASSWORD"]  # from the env only
    hours = settings.campaigns[0].hours
    assert hours.weekdays == [0, 1, 2, 3, 4]
    assert str(hours.end) == "19:30:00"
    assert settings.mis is not None
    assert settings.mis["source"]["url"] == "mysql+pymysql://reader@10.0.0.7/mis"
    for value in real_secrets.values():
        assert value not in output


def test_bad_answers_are_asked_again_with_the_reason(tmp_path: Path) -> None:
    out = tmp_path / "dozvon.yaml"
    typed = answers(
        zone="Mars/Olympus\nEurope/Samara",
        url="postgresql://reader:hunter2@db/mis\npostgresql://reader@db/mis",
        port="пять\n5070",
        lines="много\n0\n6",
        end="08:00\n21:00",
        days="пн [bold]сре\nпн ср пт",
    )
    code, output = run("--out", str(out), "--mis", "sql", input=typed)
    assert code == 0, output
    assert "неизвестный часовой пояс 'Mars/Olympus'" in output
    assert "пароль в адресе не пишется" in output
    assert output.count("ожидалось целое число") == 2
    assert "ожидалось число от 1 до 1000" in output
    assert "конец должен быть позже 09:00" in output
    assert "[bold]сре" in output
    settings, _ = load_settings(out, {"SIP_PASSWORD": "x"})
    assert settings.trunk is not None
    assert (settings.trunk.port, settings.trunk.lines) == (5070, 6)
    assert settings.campaigns[0].hours.weekdays == [0, 2, 4]
    assert "hunter2" not in out.read_text(encoding="utf-8")


def test_mis_kind_is_chosen_from_the_menu(tmp_path: Path) -> None:
    out = tmp_path / "dozvon.yaml"
    number = str(list(MIS_KINDS).index("fhir") + 1)
    typed = (
        "\n".join(
            [
                "",
                "",
                "99\n" + number,
                "https://fhir.clinic.ru/r4/",
                "",
                "",
                "",
                "нет",
                "",
                "",
                "1",
                "1",
                "",
                "",
                "",
            ]
        )
        + "\n"
    )
    code, output = run("--out", str(out), input=typed)
    assert code == 0, output
    assert "ожидался номер" in output
    settings, _ = load_settings(out, {"MIS_TOKEN": "x"})
    assert settings.mis is not None and settings.mis["source"]["kind"] == "fhir"
    assert settings.trunk is not None
    assert settings.trunk.sip_register is False and settings.trunk.password is None


def test_input_that_ends_early_stops_without_writing(tmp_path: Path) -> None:
    out = tmp_path / "dozvon.yaml"
    code, output = run("--out", str(out), "--mis", "csv", input="Клиника\n")
    assert code == 1
    assert "прерван" in output
    assert not out.exists()


def test_a_starter_that_does_not_load_is_reported_not_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The self-check guards the templates: a broken one fails loudly with file:line."""
    broken = Starter("trunk:\n  host: sip.example.ru\n  lines: many\n", "", ())
    monkeypatch.setattr("dozvon.cli.init.render", lambda answers, name: broken)
    code, output = run("--out", str(tmp_path / "dozvon.yaml"), "--non-interactive")
    assert code == 3
    assert "dozvon.yaml:3 trunk.lines" in output
