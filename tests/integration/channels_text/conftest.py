"""A real SMTP server (aiosmtpd) on a free port, optionally with STARTTLS and login; and the
SMS.ru and Bot API fakes served over real HTTP."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fakes.server import free_port, serve
from tests.fakes.smsru import FakeSmsRu
from tests.fakes.telegram import FakeBotApi

USER, PASSWORD = "robot", "s3cret-smtp"
UNKNOWN_MAILBOX = "nobody@clinic-mail.ru"
T = TypeVar("T")


@dataclass
class Mailbox:
    """aiosmtpd handler: keeps every accepted letter; refuses one mailbox as a server does."""

    letters: list[tuple[Envelope, EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(  # aiosmtpd calls hooks by these names
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == UNKNOWN_MAILBOX:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        letter = message_from_bytes(raw, policy=policy.default)
        assert isinstance(letter, EmailMessage)
        self.letters.append((envelope, letter))
        return "250 Message accepted"


def authenticate(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth: Any
) -> AuthResult:
    ok = isinstance(auth, LoginPassword) and (auth.login, auth.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def answer_questions(
    sent: Callable[[], list[T]],
    asks: Callable[[T], bool],
    answer: Callable[[str], object],
    answers: list[str],
) -> None:
    """The patient: after each new message that asks something, gives the next answer."""
    seen = 0
    while answers:
        messages = sent()
        if len(messages) > seen:
            seen = len(messages)
            if asks(messages[-1]):
                answer(answers.pop(0))
        await asyncio.sleep(0.01)


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox
    ca_file: Path | None = None


@pytest.fixture
def smtp_plain() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield SmtpServer(port, mailbox)
    controller.stop()


@pytest.fixture
def smtp_starttls(tmp_path: Path) -> Iterator[SmtpServer]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="localhost",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    yield SmtpServer(port, mailbox, cert)
    controller.stop()


@pytest.fixture
def smsru() -> Iterator[tuple[FakeSmsRu, str]]:
    fake = FakeSmsRu()
    with serve(fake.app()) as url:
        yield fake, url


@pytest.fixture
def bot() -> Iterator[tuple[FakeBotApi, str]]:
    fake = FakeBotApi(chats={5550001})
    with serve(fake.app()) as url:
        yield fake, url
