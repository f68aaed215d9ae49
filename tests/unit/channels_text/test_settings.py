"""The `text_channels:` section: secrets only by reference, a success test for any gateway,
and the builder gives exactly the channels that are configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from dozvon.channels.setup import open_text_channels
from dozvon.channels.text import TextChannel
from dozvon.config import ConfigError, parse_document, validate
from dozvon.core.outcome import Channel

FULL = """
clinic: {name: Здоровье}
text_channels:
  reply_timeout: 30m
  email:
    host: smtp.clinic.local
    port: 465
    security: ssl
    username: robot
    password: ${SMTP_PASSWORD}
    from: robot@clinic.ru
  sms:
    kind: smsru
    api_key: ${SMSRU_API_ID}
    sender: CLINIC
  telegram:
    token: ${secret:telegram_token}
secrets_file: secrets.env
"""


async def test_every_configured_channel_is_built(tmp_path: Path) -> None:
    (tmp_path / "secrets.env").write_text("telegram_token=123:abc\n")
    path = tmp_path / "dozvon.yaml"
    path.write_text(FULL)
    document = parse_document(FULL, path, {"SMTP_PASSWORD": "p", "SMSRU_API_ID": "k"})
    settings = validate(document)
    assert settings.text_channels.reply_timeout.total_seconds() == 1800
    assert settings.text_channels.email is not None
    assert settings.text_channels.email.password is not None
    assert settings.text_channels.email.password.get_secret_value() == "p"
    built = open_text_channels(settings)
    try:
        assert set(built.channels) == {Channel.EMAIL, Channel.SMS, Channel.TELEGRAM}
        assert len(built.pollers) == 1
    finally:
        await built.aclose()


async def test_sms_is_one_way_unless_replies_reach_dozvon() -> None:
    section = "text_channels:\n  sms: {kind: smsru, api_key: '${K}', replies: %s}\n"
    for replies, two_way in (("false", False), ("true", True)):
        settings = validate(parse_document(section % replies, None, {"K": "k"}))
        built = open_text_channels(settings)
        sms = built.channels[Channel.SMS]
        assert isinstance(sms, TextChannel)
        assert (sms.inbox is not None) is two_way
        await built.aclose()


async def test_nothing_configured_builds_nothing() -> None:
    built = open_text_channels(validate(parse_document("clinic: {name: X}\n", None, {})))
    assert built.channels == {}


def test_a_literal_token_is_refused_with_its_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_document("text_channels:\n  telegram:\n    token: 123:abc\n", None, {})
    assert "text_channels.telegram.token" in str(caught.value)
    assert ":3" in str(caught.value)


def test_a_generic_gateway_needs_a_success_test() -> None:
    text = "text_channels:\n  sms:\n    kind: http\n    url: https://gw.example/send\n"
    with pytest.raises(ConfigError, match="success_path"):
        validate(parse_document(text, None, {}))
    bad_regex = text + "    success_regex: '(['\n"
    with pytest.raises(ConfigError, match="regex"):
        validate(parse_document(bad_regex, None, {}))


def test_an_unknown_provider_is_refused() -> None:
    text = "text_channels:\n  sms:\n    kind: smsc\n    api_key: ${K}\n"
    with pytest.raises(ConfigError, match="kind"):
        validate(parse_document(text, None, {"K": "x"}))


WEBHOOK = """
text_channels:
  telegram:
    token: ${T}
    poll: %s
    webhook:
      url: https://clinic.example.ru/hooks/telegram
      secret_token: ${W}
"""
GOOD_SECRET = "A1_-" * 10


async def test_a_webhook_replaces_the_poller_and_is_set_at_start() -> None:
    settings = validate(parse_document(WEBHOOK % "false", None, {"T": "1:a", "W": GOOD_SECRET}))
    built = open_text_channels(settings)
    try:
        assert built.pollers == []
        assert built.telegram_hook is not None
        assert built.telegram_hook.accepts(GOOD_SECRET)
        assert not built.telegram_hook.accepts(GOOD_SECRET[:-1])
        assert len(built.starters) == 1
    finally:
        await built.aclose()


@pytest.mark.parametrize(
    ("poll", "secret", "message"),
    [
        ("true", GOOD_SECRET, "poll: false"),
        ("false", "short", "32 to 256"),
        ("false", "x" * 31 + " ", "32 to 256"),
        ("false", "я" * 40, "32 to 256"),
    ],
)
def test_webhook_settings_that_cannot_work_are_refused(
    poll: str, secret: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        validate(parse_document(WEBHOOK % poll, None, {"T": "1:a", "W": secret}))


def test_no_poll_and_no_webhook_would_lose_every_reply() -> None:
    text = "text_channels:\n  telegram:\n    token: ${T}\n    poll: false\n"
    with pytest.raises(ConfigError, match="needs a webhook"):
        validate(parse_document(text, None, {"T": "1:a"}))


def test_a_webhook_url_must_be_https_and_the_secret_a_reference() -> None:
    plain = (WEBHOOK % "false").replace("https://", "http://")
    with pytest.raises(ConfigError, match="url"):
        validate(parse_document(plain, None, {"T": "1:a", "W": GOOD_SECRET}))
    literal = (WEBHOOK % "false").replace("${W}", GOOD_SECRET)
    with pytest.raises(ConfigError, match="secret_token"):
        parse_document(literal, None, {"T": "1:a"})
