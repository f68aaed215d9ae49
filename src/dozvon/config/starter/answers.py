"""The questions `dozvon init` asks and how each answer is checked: a bad answer raises
`ValueError` with the reason in Russian and English, and the prompt asks again."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from dozvon.config.types import WEEKDAYS

RU_DAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")
_CALLER_ID = re.compile(r"^\+?\d{3,15}$")
_NAME = re.compile(r"^[\w.\-]+$")
_INLINE_PASSWORD = re.compile(r"(?:^|;)\s*(?:pwd|password)\s*=", re.I)
_HTTP_URL = re.compile(r"^https?://[^\s/@]+(?:/\S*)?$")


def text(value: str) -> str:
    if not value.strip():
        raise ValueError("нужно непустое значение / a value is required")
    return value.strip()


def zone(value: str) -> str:
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"неизвестный часовой пояс {value.strip()!r}: например Europe/Moscow,"
            " Asia/Yekaterinburg / unknown IANA time zone"
        ) from None
    return value.strip()


def clock(value: str) -> str:
    match = _CLOCK.match(value)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"ожидалось время ЧЧ:ММ, например 09:00 / expected HH:MM: {value!r}")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def weekdays(value: str) -> tuple[str, ...]:
    names = [part for part in re.split(r"[\s,]+", value.strip().lower()) if part]
    unknown = [name for name in names if name not in WEEKDAYS]
    if not names or unknown:
        raise ValueError(
            "ожидались дни через пробел: пн вт ср чт пт сб вс (или mon..sun)"
            f" / expected weekday names{': ' + ', '.join(unknown) if unknown else ''}"
        )
    days = sorted({WEEKDAYS[name] for name in names})
    return tuple(RU_DAYS[day] for day in days)


def whole(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError(
                f"ожидалось целое число / expected a whole number: {value!r}"
            ) from None
        if not low <= number <= high:
            raise ValueError(f"ожидалось число от {low} до {high} / expected {low}..{high}")
        return number

    return parse


def calls_per_second(value: str) -> float:
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        raise ValueError(
            f"ожидалось число, например 1 или 0.5 / expected a number: {value!r}"
        ) from None
    if not 0 < number <= 100:
        raise ValueError("ожидалось число больше 0 и не больше 100 / expected 0 < cps <= 100")
    return number


def yes_no(value: str) -> bool:
    answer = value.strip().lower()
    if answer in {"y", "yes", "д", "да", "true"}:
        return True
    if answer in {"n", "no", "н", "нет", "false"}:
        return False
    raise ValueError("ответьте да или нет / answer yes or no")


def transport(value: str) -> str:
    if value.strip().lower() not in {"udp", "tcp"}:
        raise ValueError("ожидалось udp или tcp / expected udp or tcp")
    return value.strip().lower()


def host(value: str) -> str:
    if not _HOST.match(value.strip()):
        raise ValueError(f"ожидалось имя или адрес без порта / expected a host name: {value!r}")
    return value.strip()


def optional_user(value: str) -> str:
    if value.strip() and not _NAME.match(value.strip()):
        raise ValueError(f"имя пользователя без пробелов / a user name without spaces: {value!r}")
    return value.strip()


def required_user(value: str) -> str:
    return optional_user(text(value))


def caller_id(value: str) -> str:
    number = re.sub(r"[\s()\-]", "", value)
    if number and not _CALLER_ID.match(number):
        raise ValueError(f"ожидался номер вида +74951234567 / expected a number: {value!r}")
    return number


def sql_url(value: str) -> str:
    try:
        url = make_url(value.strip())
    except ArgumentError:
        raise ValueError(
            "ожидался адрес SQLAlchemy, например postgresql://user@host/db / expected a URL"
        ) from None
    if url.password is not None:
        raise ValueError(
            "пароль в адресе не пишется: он будет в MIS_PASSWORD / leave the password out"
        )
    return value.strip()


def odbc_target(value: str) -> str:
    if _INLINE_PASSWORD.search(value):
        raise ValueError("PWD= не пишется: пароль будет в MIS_PASSWORD / leave PWD= out")
    return text(value)


def http_url(value: str) -> str:
    if not _HTTP_URL.match(value.strip()):
        raise ValueError(
            "ожидался адрес http(s)://хост/путь без логина и пароля"
            f" / expected http(s)://host/path without credentials: {value!r}"
        )
    return value.strip()


def field_name(value: str) -> str:
    if not _NAME.match(value.strip()):
        raise ValueError(f"имя поля без пробелов / a field name without spaces: {value!r}")
    return value.strip()


@dataclass(frozen=True)
class Question:
    """One connection fact of a MIS kind: asked interactively, its default used otherwise."""

    name: str
    prompt: str
    default: str
    parse: Callable[[str], str]


@dataclass(frozen=True)
class Answers:
    clinic_name: str = "Клиника"
    timezone: str = "Europe/Moscow"
    mis_kind: str = "sql"
    mis_facts: dict[str, str] = field(default_factory=dict)
    """Question name → answer; a missing one takes the kind's default."""
    trunk_host: str = "sip.example.ru"
    trunk_port: int = 5060
    trunk_transport: str = "udp"
    trunk_register: bool = True
    trunk_username: str = "clinic"
    caller_id: str = ""
    lines: int = 2
    cps: float = 1.0
    hours_start: str = "09:00"
    hours_end: str = "20:00"
    weekdays: tuple[str, ...] = RU_DAYS[:6]
