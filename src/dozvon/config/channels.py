"""`text_channels:` how Dozvon writes to patients: e-mail (SMTP), SMS (an HTTP gateway), Telegram.

A channel without its section is simply not available: a campaign plan stops at it. Passwords,
API keys and bot tokens are accepted only as ${ENV} or ${secret:NAME} (the loader refuses
literals in keys named password, token, api_key).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from dozvon.config.types import STRICT, Duration


class EmailSettings(BaseModel):
    model_config = STRICT | ConfigDict(populate_by_name=True)

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    """starttls: port 587 upgraded after EHLO; ssl: TLS from the first byte (465); none: a
    relay on the same host only."""
    ca_file: Path | None = None
    """The PEM certificate of a private CA that signed an internal relay's certificate."""
    username: str = ""
    password: SecretStr | None = None
    from_address: str = Field(alias="from", min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    """Written `from:` in the file."""
    from_name: str = ""
    """Shown as the sender; the clinic's name when empty."""
    timeout: Duration = timedelta(seconds=30)


class SmsCommon(BaseModel):
    model_config = STRICT

    replies: bool = False
    """true only when incoming SMS reach Dozvon (a gateway webhook feeding the reply inbox);
    otherwise SMS is one-way like e-mail: the scenario's answering-machine text is sent."""


class SmsRuSettings(SmsCommon):
    """SMS.ru (sms.ru/api/send): the API key of the account, the approved sender name."""

    kind: Literal["smsru"]
    api_key: SecretStr
    """The account's api_id."""
    sender: str = ""
    """An approved sender name (`from`); the account's default when empty."""
    test: bool = False
    """`test=1`: SMS.ru checks the request and charges nothing; no SMS is sent."""
    url: str = "https://sms.ru/sms/send"
    timeout: Duration = timedelta(seconds=15)


class HttpSmsSettings(SmsCommon):
    """Any gateway with an HTTP API, described by templates with {phone}, {phone_digits},
    {text}, {sender} and {token} placeholders."""

    kind: Literal["http"]
    url: str = Field(min_length=8, pattern=r"^https?://")
    method: Literal["GET", "POST"] = "POST"
    body: Literal["json", "form", "none"] = "json"
    fields: dict[str, Any] = {}
    """The JSON body, the form fields, or (body: none) the query parameters."""
    headers: dict[str, str] = {}
    token: SecretStr | None = None
    sender: str = ""
    success_path: str | None = None
    """A JSONPath into the response, e.g. `$.status`; success when its value is listed in
    `success_values`."""
    success_values: list[str] = []
    success_regex: str | None = None
    """Or a regular expression the response text must contain."""
    message_id_path: str | None = None
    timeout: Duration = timedelta(seconds=15)

    @field_validator("success_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"неверное регулярное выражение / bad regex: {exc}") from None
        return value

    @model_validator(mode="after")
    def _success_defined(self) -> HttpSmsSettings:
        if self.success_path is None and self.success_regex is None:
            raise ValueError(
                "укажите success_path (с success_values) или success_regex: шлюзы отвечают 200 "
                "и на ошибки / set success_path or success_regex: gateways answer errors with 200"
            )
        if self.success_path is not None and not self.success_values:
            raise ValueError("success_path без success_values / success_path needs success_values")
        return self


SmsSettings = Annotated[SmsRuSettings | HttpSmsSettings, Field(discriminator="kind")]


MIN_WEBHOOK_SECRET = 32
"""Telegram allows 1 to 256 characters; a short one could be guessed by whoever finds the URL."""


class TelegramWebhookSettings(BaseModel):
    """Telegram POSTs each update to `url`; `dozvon run --web` answers on /hooks/telegram."""

    model_config = STRICT

    url: str = Field(pattern=r"^https://[^/\s]+/\S*$")
    """The public HTTPS address (Telegram sends to ports 443, 80, 88, 8443 only); a reverse
    proxy terminates TLS and forwards it to web.host:web.port/hooks/telegram."""
    secret_token: SecretStr
    """Sent back by Telegram in X-Telegram-Bot-Api-Secret-Token: as ${ENV} or ${secret:NAME}."""

    @field_validator("secret_token")
    @classmethod
    def _secret_shape(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if not re.fullmatch(rf"[A-Za-z0-9_-]{{{MIN_WEBHOOK_SECRET},256}}", secret):
            raise ValueError(
                f"secret_token: от {MIN_WEBHOOK_SECRET} до 256 символов A-Z, a-z, 0-9, _ и -, "
                "например openssl rand -hex 32 / "
                f"{MIN_WEBHOOK_SECRET} to 256 characters of A-Z, a-z, 0-9, _ and -"
            )
        return value


class TelegramSettings(BaseModel):
    model_config = STRICT

    token: SecretStr
    api_url: str = "https://api.telegram.org"
    poll: bool = True
    """Read replies by getUpdates long polling; false when `webhook` delivers them instead."""
    webhook: TelegramWebhookSettings | None = None
    poll_timeout: Duration = timedelta(seconds=30)
    max_retry_wait: Duration = timedelta(seconds=30)
    """A 429 asking to wait longer than this fails the attempt instead (retried later)."""

    @model_validator(mode="after")
    def _one_way_in(self) -> TelegramSettings:
        # Telegram refuses getUpdates while a webhook is set, and without either nobody would
        # read the replies: every question would silently end as no_answer.
        if self.poll and self.webhook is not None:
            raise ValueError(
                "webhook задан — укажите poll: false (getUpdates не работает при webhook) / "
                "a webhook needs poll: false"
            )
        if not self.poll and self.webhook is None:
            raise ValueError(
                "poll: false без webhook: ответы никто не примет / poll: false needs a webhook"
            )
        return self


class TextChannelsSettings(BaseModel):
    model_config = STRICT

    email: EmailSettings | None = None
    sms: SmsSettings | None = None
    telegram: TelegramSettings | None = None
    reply_timeout: Duration = timedelta(minutes=15)
    """How long a question waits for a written reply (text attempts take no trunk line)."""
