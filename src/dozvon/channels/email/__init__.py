"""E-mail over SMTP (aiosmtplib): one-way, so a scenario's e-mail is its answering-machine text."""

from dozvon.channels.email.message import EmailAddressing, compose, mask_email
from dozvon.channels.email.smtp import SmtpOutbound

__all__ = ["EmailAddressing", "SmtpOutbound", "compose", "mask_email"]
