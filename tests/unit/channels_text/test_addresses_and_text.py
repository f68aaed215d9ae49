"""Addresses from the MIS's extra fields, checked before anything is sent; SMS wording."""

from __future__ import annotations

import pytest

from dozvon.channels.email import EmailAddressing, mask_email
from dozvon.channels.sms import sms_text
from dozvon.channels.telegram import ChatAddressing
from dozvon.channels.telegram.outbound import keyboard
from dozvon.channels.telegram.updates import reply_of
from dozvon.channels.text import Message
from dozvon.dialog.errors import DataError

from .helpers import PHONE, make_task


def test_sms_asks_for_a_reply_not_a_key_press() -> None:
    message = Message(
        ("Завтра приём.", "Если придёте, нажмите 1. Нажмите 2, если нет."), ("1", "2")
    )
    text = sms_text(message)
    assert "нажмите" not in text.lower()
    assert "Если придёте, ответьте 1. Ответьте 2, если нет." in text
    assert text.endswith("Ответьте цифрой: 1, 2.")
    assert sms_text(Message(("Оцените от 0 до 10.",), number_reply=True)).endswith("числом.")
    assert sms_text(Message(("Ждём вас.",))) == "Ждём вас."


@pytest.mark.parametrize(
    "bad", ["ivanov", "ivanov@", "@mail.ru", "a b@mail.ru", "ivanov@localhost", "x@y.ru\r\nBcc: z"]
)
def test_a_bad_email_address_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(DataError, match=r"extra\.email"):
        EmailAddressing().address(make_task(extra={"email": bad}), PHONE)


def test_email_address_is_taken_from_extra_and_masked_for_logs() -> None:
    addressing = EmailAddressing()
    assert addressing.address(make_task(extra={"email": " ivanova@mail.ru "}), PHONE) == (
        "ivanova@mail.ru"
    )
    assert mask_email("ivanova@mail.ru") == "i***@mail.ru"
    with pytest.raises(DataError, match=r"не заполнено поле extra\.email"):
        addressing.address(make_task(), PHONE)


def test_telegram_chat_id_must_be_a_number() -> None:
    addressing = ChatAddressing()
    assert addressing.address(make_task(extra={"telegram_chat_id": "-100123"}), PHONE) == "-100123"
    assert addressing.masked("123456789") == "******789"
    with pytest.raises(DataError, match="telegram_chat_id"):
        addressing.address(make_task(extra={"telegram_chat_id": "@ivanova"}), PHONE)


def test_keyboard_rows_and_updates() -> None:
    rows = keyboard(("1", "2", "3", "4", "5", "6"))["inline_keyboard"]
    assert [len(row) for row in rows] == [5, 1]
    assert rows[0][0] == {"text": "1", "callback_data": "1"}
    press = {
        "update_id": 5,
        "callback_query": {"id": "q", "message": {"chat": {"id": 7}}, "data": "2"},
    }
    assert reply_of(press) == ("7", "2", "q")
    typed = {"update_id": 6, "message": {"chat": {"id": 7}, "text": "1"}}
    assert reply_of(typed) == ("7", "1", None)
    assert reply_of({"update_id": 7, "edited_message": {}}) is None
    assert reply_of({"update_id": 8, "callback_query": {"id": "q", "data": "1"}}) is None
