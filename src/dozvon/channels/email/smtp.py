"""Sending through the clinic's SMTP server with aiosmtplib (async: a slow server does not
stall the calls running on the same loop)."""

from __future__ import annotations

import logging
from email.headerregistry import Address

import aiosmtplib

from dozvon.channels.email.message import compose, mask_email, parse_address
from dozvon.channels.text.conversation import DeliveryFailed, Message
from dozvon.config.channels import EmailSettings
from dozvon.core.outcome import Outcome

log = logging.getLogger(__name__)


class SmtpOutbound:
    def __init__(self, settings: EmailSettings, clinic: str) -> None:
        self.settings = settings
        self.clinic = clinic
        mailbox = parse_address(settings.from_address)
        self.sender = Address(settings.from_name or clinic, addr_spec=mailbox.addr_spec)

    async def send(self, address: str, message: Message) -> str:
        letter = compose(message, sender=self.sender, to=address, clinic=self.clinic)
        settings = self.settings
        password = settings.password.get_secret_value() if settings.password else None
        try:
            await aiosmtplib.send(
                letter,
                hostname=settings.host,
                port=settings.port,
                username=settings.username or None,
                password=password if settings.username else None,
                use_tls=settings.security == "ssl",
                start_tls=settings.security == "starttls",
                timeout=settings.timeout.total_seconds(),
                cert_bundle=str(settings.ca_file) if settings.ca_file else None,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            reason = "; ".join(f"{e.code} {e.message}" for e in exc.recipients)
            raise DeliveryFailed(Outcome.REJECTED, f"сервер отказал адресату: {reason}") from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            log.error("smtp login refused", extra={"code": exc.code})
            raise DeliveryFailed(
                Outcome.NETWORK_ERROR, f"SMTP: вход не принят ({exc.code}), проверьте настройки"
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(Outcome.NETWORK_ERROR, f"SMTP: {exc}") from None
        message_id = str(letter["Message-ID"])
        log.info("e-mail sent", extra={"to": mask_email(address), "message_id": message_id})
        return message_id
