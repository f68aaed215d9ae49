"""The letter itself: Russian plain text with a simple HTML twin, UTF-8 throughout."""

from __future__ import annotations

import html
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from dozvon.channels.text.channel import extra_field
from dozvon.channels.text.conversation import Message
from dozvon.core.task import Task
from dozvon.dialog.errors import DataError

EMAIL_FIELD = "email"


def parse_address(text: str) -> Address:
    """Raises `DataError` naming the field: a bad address must not reach the SMTP server."""
    try:
        address = Address(addr_spec=text)
    except (HeaderParseError, ValueError, IndexError) as exc:
        raise DataError(f"extra.{EMAIL_FIELD}: неверный адрес e-mail ({exc})") from None
    if not address.username or "." not in address.domain or address.addr_spec != text:
        raise DataError(f"extra.{EMAIL_FIELD}: неверный адрес e-mail")
    return address


def mask_email(address: str) -> str:
    user, _, domain = address.partition("@")
    return f"{user[:1]}***@{domain}"


class EmailAddressing:
    def address(self, task: Task, phone: str) -> str:
        text = extra_field(task, EMAIL_FIELD)
        return parse_address(text).addr_spec

    def masked(self, address: str) -> str:
        return mask_email(address)


def compose(message: Message, *, sender: Address, to: str, clinic: str) -> EmailMessage:
    letter = EmailMessage()
    letter["From"] = sender
    letter["To"] = parse_address(to)
    letter["Subject"] = f"Сообщение от клиники «{clinic}»"
    letter["Date"] = formatdate(localtime=True)
    letter["Message-ID"] = make_msgid(domain=sender.domain)
    letter["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a robot
    letter.set_content(message.text + "\n", charset="utf-8")
    paragraphs = "".join(f"<p>{html.escape(p)}</p>\n" for p in message.paragraphs)
    letter.add_alternative(
        f'<!DOCTYPE html>\n<html lang="ru"><meta charset="utf-8">\n<body>\n{paragraphs}</body>'
        "</html>\n",
        subtype="html",
        charset="utf-8",
    )
    return letter
