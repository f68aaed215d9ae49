"""SMS through the SMS.ru fake: the documented answers and error codes, a generic gateway
described by config, hostile answers, and a dialog answered by reply digits."""

from __future__ import annotations

import asyncio

import pytest

from dozvon.channels.sms import HttpGateway, PhoneAddressing, SmsOutbound, SmsRuGateway
from dozvon.channels.sms.gateway import SmsGateway
from dozvon.channels.text import DeliveryFailed, ReplyInbox, TextChannel
from dozvon.config.channels import HttpSmsSettings, SmsRuSettings
from dozvon.core.outcome import Channel, Outcome
from dozvon.dialog.library import builtin
from tests.fakes.smsru import FakeSmsRu
from tests.unit.channels_text.helpers import CLINIC, PHONE, make_task

from .conftest import answer_questions

DIGITS = PHONE.removeprefix("+")


def smsru_gateway(url: str, api_key: str = "FAKE-API-ID-0000") -> SmsRuGateway:
    return SmsRuGateway(
        SmsRuSettings(kind="smsru", api_key=api_key, url=f"{url}/sms/send")  # type: ignore[arg-type]
    )


def generic_gateway(url: str) -> HttpGateway:
    """SMS.ru's same API described as a generic gateway, the way an admin would for another."""
    return HttpGateway(
        HttpSmsSettings.model_validate(
            {
                "kind": "http",
                "url": f"{url}/sms/send",
                "body": "form",
                "fields": {"api_id": "{token}", "to": "{phone_digits}", "msg": "{text}", "json": 1},
                "token": "FAKE-API-ID-0000",
                "success_path": "$.sms.*.status",
                "success_values": ["OK"],
                "message_id_path": "$.sms.*.sms_id",
            }
        )
    )


async def refusal(gateway: SmsGateway, phone: str = PHONE) -> DeliveryFailed:
    try:
        with pytest.raises(DeliveryFailed) as caught:
            await gateway.send(phone, "Текст")
    finally:
        await gateway.aclose()
    return caught.value


async def test_smsru_accepts_and_returns_the_sms_id(smsru: tuple[FakeSmsRu, str]) -> None:
    fake, url = smsru
    gateway = smsru_gateway(url)
    message_id = await gateway.send(PHONE, "Завтра приём в 10:30")
    await gateway.aclose()
    assert message_id.startswith("000000-")
    assert fake.texts_to(DIGITS) == ["Завтра приём в 10:30"]


@pytest.mark.parametrize(
    ("setup", "phone", "outcome", "words"),
    [
        ("unreachable", PHONE, Outcome.INVALID_NUMBER, "код 207"),
        ("none", "+7916123", Outcome.INVALID_NUMBER, "код 202"),
        ("limit", PHONE, Outcome.NETWORK_ERROR, "лимит SMS.ru: код 230"),
        ("unavailable", PHONE, Outcome.NETWORK_ERROR, "код 220"),
        ("html", PHONE, Outcome.NETWORK_ERROR, "не JSON: «<html><body><h1>Технические"),
    ],
)
async def test_smsru_refusals_map_to_outcomes(
    smsru: tuple[FakeSmsRu, str], setup: str, phone: str, outcome: Outcome, words: str
) -> None:
    fake, url = smsru
    if setup == "unreachable":
        fake.unreachable.add(DIGITS)
    elif setup == "limit":
        fake.per_number_daily = 0
    elif setup != "none":
        fake.mode = setup
    failed = await refusal(smsru_gateway(url), phone)
    assert failed.outcome is outcome
    assert words in failed.reason
    assert fake.sent == []


async def test_smsru_wrong_key_says_to_check_the_settings(smsru: tuple[FakeSmsRu, str]) -> None:
    _, url = smsru
    failed = await refusal(smsru_gateway(url, api_key="wrong"))
    assert failed.outcome is Outcome.NETWORK_ERROR
    assert "проверьте настройки: код 200 Неправильный api_id" in failed.reason


async def test_generic_gateway_sends_and_judges_by_its_config(smsru: tuple[FakeSmsRu, str]) -> None:
    fake, url = smsru
    gateway = generic_gateway(url)
    message_id = await gateway.send(PHONE, "Привет, мир & всё")
    assert message_id.startswith("000000-")
    assert fake.texts_to(DIGITS) == ["Привет, мир & всё"]

    fake.unreachable.add(DIGITS)
    failed = await refusal(gateway)
    assert "$.sms.*.status = 'ERROR'" in failed.reason


async def test_generic_gateway_does_not_take_an_html_200_for_success(
    smsru: tuple[FakeSmsRu, str],
) -> None:
    fake, url = smsru
    fake.mode = "html"
    failed = await refusal(generic_gateway(url))
    assert failed.outcome is Outcome.NETWORK_ERROR
    assert "не JSON" in failed.reason


async def test_unreachable_gateway_is_a_network_error() -> None:
    from tests.fakes.server import free_port

    failed = await refusal(smsru_gateway(f"http://127.0.0.1:{free_port()}"))
    assert failed.outcome is Outcome.NETWORK_ERROR
    assert "недоступен" in failed.reason


async def patient_replies(fake: FakeSmsRu, inbox: ReplyInbox, answers: list[str]) -> None:
    """The patient's phone; the provider's incoming-SMS webhook would call `deliver` just so."""
    await answer_questions(
        lambda: fake.texts_to(DIGITS),
        lambda text: "Ответьте цифрой" in text,
        lambda answer: inbox.deliver(Channel.SMS, DIGITS, answer),
        answers,
    )


async def test_a_dialog_answered_by_reply_digits(smsru: tuple[FakeSmsRu, str]) -> None:
    fake, url = smsru
    inbox = ReplyInbox()
    gateway = smsru_gateway(url)
    channel = TextChannel(
        Channel.SMS, SmsOutbound(gateway), PhoneAddressing(), CLINIC, inbox=inbox, reply_timeout=5
    )
    patient = asyncio.create_task(patient_replies(fake, inbox, ["1", "может быть", "3"]))
    try:
        result = await channel.attempt(make_task(), builtin("confirm"), phone=PHONE, attempt_no=1)
    finally:
        await gateway.aclose()
    await patient

    assert result.outcome is Outcome.RESCHEDULE_REQUESTED
    texts = fake.texts_to(DIGITS)
    assert len(texts) == 4
    assert "Если да, ответьте 1" in texts[0]
    assert texts[1].endswith("Ответьте цифрой: 1, 2, 3, 9, 0.")
    assert texts[2].startswith("Извините, такой ответ не подходит.")
    assert texts[3].startswith("Хорошо. Администратор перезвонит вам")
    assert result.evidence.notes["to"] == "+*********67"
