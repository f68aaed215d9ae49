"""E-mail against a real SMTP server (aiosmtpd): headers, UTF-8 text and HTML, STARTTLS with
login, a refused mailbox, a server that is down."""

from __future__ import annotations

from email.message import EmailMessage

from dozvon.channels.base import AttemptResult
from dozvon.channels.email import EmailAddressing, SmtpOutbound
from dozvon.channels.text import TextChannel
from dozvon.config.channels import EmailSettings
from dozvon.core.outcome import Channel, Outcome
from dozvon.dialog.library import builtin
from tests.fakes.server import free_port
from tests.unit.channels_text.helpers import CLINIC, PHONE, make_task

from .conftest import PASSWORD, UNKNOWN_MAILBOX, USER, SmtpServer

PATIENT_MAIL = "ivanova@mail.ru"


def email_channel(**settings: object) -> TextChannel:
    config = EmailSettings.model_validate({"from": "robot@clinic.ru", **settings})
    outbound = SmtpOutbound(config, CLINIC.name)
    return TextChannel(
        Channel.EMAIL, outbound, EmailAddressing(), CLINIC, inbox=None, reply_timeout=1
    )


async def confirm_by_mail(channel: TextChannel, address: str = PATIENT_MAIL) -> AttemptResult:
    task = make_task(extra={"email": address})
    return await channel.attempt(task, builtin("confirm"), phone=PHONE, attempt_no=1)


def text_of(letter: EmailMessage, subtype: str) -> str:
    part = letter.get_body(preferencelist=(subtype,))
    assert part is not None
    assert part.get_content_charset() == "utf-8"
    return str(part.get_content())


async def test_letter_arrives_in_russian_without_medical_details(smtp_plain: SmtpServer) -> None:
    channel = email_channel(host="127.0.0.1", port=smtp_plain.port, security="none")
    result = await confirm_by_mail(channel)

    assert result.outcome is Outcome.MESSAGE_LEFT
    [(envelope, letter)] = smtp_plain.mailbox.letters
    assert envelope.rcpt_tos == [PATIENT_MAIL]
    assert envelope.mail_from == "robot@clinic.ru"
    assert letter["Subject"] == "Сообщение от клиники «Здоровье»"
    assert letter["From"] == "Здоровье <robot@clinic.ru>"
    assert letter["To"] == PATIENT_MAIL
    assert letter["Auto-Submitted"] == "auto-generated"
    assert result.evidence.notes["message_ids"] == letter["Message-ID"]
    assert result.evidence.notes["to"] == "i***@mail.ru"
    plain, html = text_of(letter, "plain"), text_of(letter, "html")
    assert "Пожалуйста, перезвоните нам по телефону 8 (495) 123-45-67. Спасибо!" in plain
    assert "<p>Здравствуйте! Это клиника «Здоровье»." in html
    for secret in ("Смирнов", "терапевт", "Мария", "Ленина", "10:30"):
        assert secret not in plain and secret not in html


async def test_starttls_with_login(smtp_starttls: SmtpServer) -> None:
    channel = email_channel(
        host="localhost",
        port=smtp_starttls.port,
        security="starttls",
        ca_file=str(smtp_starttls.ca_file),
        username=USER,
        password=PASSWORD,
    )
    result = await confirm_by_mail(channel)
    assert result.outcome is Outcome.MESSAGE_LEFT
    assert len(smtp_starttls.mailbox.letters) == 1


async def test_wrong_password_is_a_network_error_that_says_why(smtp_starttls: SmtpServer) -> None:
    channel = email_channel(
        host="localhost",
        port=smtp_starttls.port,
        ca_file=str(smtp_starttls.ca_file),
        username=USER,
        password="wrong",
    )
    result = await confirm_by_mail(channel)
    assert result.outcome is Outcome.NETWORK_ERROR
    assert "вход не принят" in result.evidence.notes["error"]
    assert smtp_starttls.mailbox.letters == []


async def test_an_untrusted_certificate_is_refused(smtp_starttls: SmtpServer) -> None:
    channel = email_channel(host="localhost", port=smtp_starttls.port, security="starttls")
    result = await confirm_by_mail(channel)
    assert result.outcome is Outcome.NETWORK_ERROR
    assert smtp_starttls.mailbox.letters == []


async def test_a_refused_mailbox_is_rejected(smtp_plain: SmtpServer) -> None:
    channel = email_channel(host="127.0.0.1", port=smtp_plain.port, security="none")
    result = await confirm_by_mail(channel, UNKNOWN_MAILBOX)
    assert result.outcome is Outcome.REJECTED
    assert "550" in result.evidence.notes["error"]


async def test_server_down_is_a_network_error() -> None:
    channel = email_channel(host="127.0.0.1", port=free_port(), security="none", timeout="2s")
    result = await confirm_by_mail(channel)
    assert result.outcome is Outcome.NETWORK_ERROR
    assert result.evidence.notes["messages"] == "0"
