"""`dozvon message` through the SMS.ru fake and a real SMTP server, and its errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dozvon.cli import app
from tests.fakes.smsru import FakeSmsRu

from .conftest import SmtpServer

runner = CliRunner()


def config(tmp_path: Path, section: str) -> Path:
    path = tmp_path / "dozvon.yaml"
    path.write_text(f"clinic: {{name: Здоровье}}\ntext_channels:\n{section}", encoding="utf-8")
    return path


def test_sms_goes_out_and_its_id_is_printed(tmp_path: Path, smsru: tuple[FakeSmsRu, str]) -> None:
    fake, url = smsru
    path = config(
        tmp_path, f"  sms: {{kind: smsru, api_key: '${{SMSRU_KEY}}', url: '{url}/sms/send'}}\n"
    )
    args = ["message", "Проверка связи", "--channel", "sms", "--to", "8 (916) 123-45-67"]
    result = runner.invoke(app, [*args, "--config", str(path)], env={"SMSRU_KEY": fake.api_id})
    assert result.exit_code == 0, result.output
    assert "отправлено / sent: 000000-" in result.output
    assert fake.texts_to("79161234567") == ["Проверка связи"]

    refused = runner.invoke(app, [*args, "--config", str(path)], env={"SMSRU_KEY": "wrong"})
    assert refused.exit_code == 1
    assert "Неправильный api_id" in refused.output


def test_email_and_bad_input(tmp_path: Path, smtp_plain: SmtpServer) -> None:
    path = config(
        tmp_path,
        f"  email: {{host: 127.0.0.1, port: {smtp_plain.port}, security: none, "
        "from: robot@clinic.ru}\n",
    )
    base = ["message", "Проверка", "--config", str(path), "--channel"]
    sent = runner.invoke(app, [*base, "email", "--to", "ivanova@mail.ru"])
    assert sent.exit_code == 0, sent.output
    [(_, letter)] = smtp_plain.mailbox.letters
    assert letter.get_body(("plain",)).get_content().strip() == "Проверка"

    bad = runner.invoke(app, [*base, "email", "--to", "ivanova@"])
    assert bad.exit_code == 2 and "e-mail" in bad.output
    missing = runner.invoke(app, [*base, "telegram", "--to", "123"])
    assert missing.exit_code == 2 and "telegram не настроен" in missing.output
