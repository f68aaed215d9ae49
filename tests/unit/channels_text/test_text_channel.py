"""One scenario over written messages: replies, silence, wrong answers, opt-out, consent."""

from __future__ import annotations

import pytest

from dozvon.channels.text import ReplyInbox, TextChannel
from dozvon.core.outcome import Channel, Outcome
from dozvon.dialog.errors import NotAllowed
from dozvon.dialog.library import builtin
from dozvon.dialog.loader import load_text

from .helpers import CLINIC, DOCTOR, PHONE, PhoneOf, RecordingOutbound, make_task, sms_channel

CONFIRM = builtin("confirm")


async def attempt(channel: TextChannel) -> tuple[Outcome, dict[str, str], str]:
    result = await channel.attempt(make_task(), CONFIRM, phone=PHONE, attempt_no=1)
    return result.outcome, result.evidence.notes, result.evidence.digits


async def test_two_replies_confirm_the_visit_and_the_thanks_is_sent() -> None:
    inbox = ReplyInbox()
    outbound = RecordingOutbound(inbox, replies=["1", "1"])
    outcome, notes, digits = await attempt(sms_channel(outbound, inbox))

    assert outcome is Outcome.CONFIRMED
    assert digits == "11"
    texts = [message.text for _, message in outbound.sent]
    assert len(texts) == 3
    assert "Если да, нажмите 1" in texts[0]
    assert outbound.sent[0][1].keys == ("1", "2")
    assert outbound.sent[1][1].keys == ("1", "2", "3", "9", "0")
    assert "Смирнов" in texts[1]  # the visit is named only after the person said it is them
    assert "27 ноября, в 10:30" in texts[1]  # written, not «двадцать седьмого… десять тридцать»
    assert DOCTOR.split()[-1] not in texts[0]
    assert texts[2].startswith("Спасибо! Ждём вас.")
    assert notes["messages"] == "3" and notes["replies"] == "2"


async def test_silence_is_no_answer_and_nothing_more_is_sent() -> None:
    inbox = ReplyInbox()
    outbound = RecordingOutbound(inbox, replies=[None])
    outcome, notes, _ = await attempt(sms_channel(outbound, inbox))

    assert outcome is Outcome.NO_ANSWER  # not uncertain: nobody was reached
    assert len(outbound.sent) == 1  # no «ответ не получен», no repeated question
    assert notes["replies"] == "0"


async def test_a_reply_that_is_not_an_option_gets_the_question_again() -> None:
    inbox = ReplyInbox()
    outbound = RecordingOutbound(inbox, replies=["да", "1.", "2"])
    outcome, _, digits = await attempt(sms_channel(outbound, inbox))

    assert outcome is Outcome.DECLINED
    second = outbound.sent[1][1].text
    assert second.startswith("Извините, такой ответ не подходит.")
    assert "Если да, нажмите 1" in second
    assert digits == "да12"


async def test_stop_word_opts_out() -> None:
    inbox = ReplyInbox()
    outbound = RecordingOutbound(inbox, replies=["СТОП"])
    outcome, _, _ = await attempt(sms_channel(outbound, inbox))
    assert outcome is Outcome.OPTED_OUT


async def test_a_reply_before_the_question_answers_nothing() -> None:
    inbox = ReplyInbox()
    outbound = RecordingOutbound(inbox, replies=[None])
    channel = sms_channel(outbound, inbox)
    with inbox.listening(Channel.SMS, "+7000"):
        assert inbox.deliver(Channel.SMS, "7000", "1")  # the plus does not matter
    assert not inbox.deliver(Channel.SMS, PHONE, "1")  # nobody listening: dropped
    outcome, _, _ = await attempt(channel)
    assert outcome is Outcome.NO_ANSWER


async def test_one_way_channel_leaves_the_answering_machine_text_only() -> None:
    outbound = RecordingOutbound()
    channel = TextChannel(Channel.EMAIL, outbound, PhoneOf(), CLINIC, inbox=None, reply_timeout=0.2)
    outcome, _, _ = await attempt(channel)

    assert outcome is Outcome.MESSAGE_LEFT
    [(_, message)] = outbound.sent
    assert "перезвоните нам" in message.text
    assert "Смирнов" not in message.text and "Мария" not in message.text
    assert message.keys == ()


async def test_one_way_without_a_machine_branch_sends_what_precedes_the_question() -> None:
    scenario = load_text(
        "name: t\ntitle: Т\nsteps:\n  - say: Завтра приём.\n"
        "  - ask: {prompt: 'Нажмите 1', keys: '1', on_timeout: end}\n"
        "  - label: end\n    say: Ответ не получен.\n",
        "t.yaml",
    )
    outbound = RecordingOutbound()
    channel = TextChannel(Channel.EMAIL, outbound, PhoneOf(), CLINIC, inbox=None, reply_timeout=1)
    result = await channel.attempt(make_task(), scenario, phone=PHONE, attempt_no=1)

    assert result.outcome is Outcome.MESSAGE_LEFT
    assert [m.text for _, m in outbound.sent] == ["Завтра приём."]


async def test_marketing_without_consent_sends_nothing() -> None:
    scenario = load_text(
        "name: promo\ntitle: Акция\npurpose: marketing\nsteps:\n  - say: Скидки!\n", "p.yaml"
    )
    inbox = ReplyInbox()
    outbound = RecordingOutbound(inbox)
    with pytest.raises(NotAllowed, match="no marketing consent"):
        await sms_channel(outbound, inbox).attempt(make_task(), scenario, phone=PHONE, attempt_no=1)
    assert outbound.sent == []

    consented = make_task(marketing_consent=True)
    result = await sms_channel(outbound, inbox).attempt(
        consented, scenario, phone=PHONE, attempt_no=1
    )
    assert [m.text for _, m in outbound.sent] == ["Скидки!"]
    assert result.outcome is Outcome.MESSAGE_LEFT  # a notice asked nothing: it was left
