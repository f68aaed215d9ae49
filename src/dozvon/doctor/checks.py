"""What `dozvon doctor` checks. Each check says what it saw and, when it fails, how to fix it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from dozvon.config import ConfigError, Settings
from dozvon.config.trunk import TrunkSettings
from dozvon.doctor.sip_probe import probe_options
from dozvon.store import current_revision, head_revision, make_engine

LOW_DISK_BYTES = 1 << 30
CRITICAL_DISK_BYTES = 100 << 20
RTP_PORTS_CHECKED = 2000
_ENV_REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


def config_checks(
    path: Path | None, error: ConfigError | None, environ: Mapping[str, str]
) -> Iterator[Check]:
    if path is None:
        yield Check(
            "Конфигурация / config",
            Status.WARN,
            "файл не задан: встроенные значения / no file: built-in defaults",
            "dozvon doctor --config /etc/dozvon/dozvon.yaml (или DOZVON_CONFIG)",
        )
        return
    if error is None:
        yield Check("Конфигурация / config", Status.OK, str(path))
    else:
        for issue in error.issues:
            yield Check(
                "Конфигурация / config",
                Status.FAIL,
                str(issue),
                f"исправьте и проверьте: dozvon config check {path}",
            )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    names = sorted(_env_references(text))
    missing = [name for name in names if name not in environ]
    if missing:
        yield Check(
            "Переменные окружения / environment",
            Status.FAIL,
            "не заданы / not set: " + ", ".join(missing),
            "задайте их (systemd: EnvironmentFile=/etc/dozvon/secrets.env) или ${secret:ИМЯ}",
        )
    elif names:
        yield Check("Переменные окружения / environment", Status.OK, ", ".join(names))


def _env_references(text: str) -> set[str]:
    """Variables named in the config's values; a `${NAME}` in a comment is not a reference."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return set()  # the config check above already names the YAML error
    found: set[str] = set()
    pending: list[object] = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            found.update(_ENV_REFERENCE.findall(value))
    return found


def secrets_file_check(settings: Settings) -> Iterator[Check]:
    if settings.secrets_file is None or not settings.secrets_file.exists():
        return
    mode = stat.S_IMODE(settings.secrets_file.stat().st_mode)
    if mode & 0o077:
        yield Check(
            "Файл секретов / secrets file",
            Status.WARN,
            f"{settings.secrets_file}: права {mode:o}, читают другие / readable by others",
            f"chmod 600 {settings.secrets_file}",
        )
    else:
        yield Check(
            "Файл секретов / secrets file", Status.OK, f"{settings.secrets_file} ({mode:o})"
        )


def tool_checks() -> Iterator[Check]:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        yield Check(
            "espeak-ng",
            Status.FAIL,
            "не найден / not found",
            "apt-get install espeak-ng (или make demo)",
        )
    else:
        voices = subprocess.run(
            [espeak, "--voices=ru"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
        if re.search(r"^\s*\d+\s+ru\b", voices, re.M):
            yield Check("espeak-ng", Status.OK, f"{espeak}, русский голос есть / Russian voice")
        else:
            yield Check(
                "espeak-ng",
                Status.FAIL,
                "нет русского голоса / no Russian voice",
                "apt-get install --reinstall espeak-ng-data",
            )
    sox = shutil.which("sox")
    if sox is None:
        yield Check("sox", Status.FAIL, "не найден / not found", "apt-get install sox")
    else:
        yield Check("sox", Status.OK, sox)


def _bind(host: str, port: int, kind: socket.SocketKind) -> OSError | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc
    return None


def port_checks(trunk: TrunkSettings | None) -> Iterator[Check]:
    trunk = trunk or TrunkSettings(host="-")  # the ports a trunk would bind by default
    host, port, transport = trunk.bind_host, trunk.bind_port, trunk.transport
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    error = _bind(host, port, kind)
    name = f"Порт SIP / SIP port {transport.upper()} {host}:{port}"
    if error is None:
        yield Check(name, Status.OK, "свободен / free")
    else:
        yield Check(
            name,
            Status.FAIL,
            f"занят или запрещён / busy or denied: {error.strerror}",
            f"остановите программу на порту (ss -lunp | grep {port}) или смените trunk.bind_port",
        )
    start, end, lines = trunk.rtp_ports.start, trunk.rtp_ports.end, trunk.lines
    candidates = list(range(start + start % 2, end, 2))[:RTP_PORTS_CHECKED]
    busy = sum(1 for rtp in candidates if _bind(host, rtp, socket.SOCK_DGRAM) is not None)
    free = len(candidates) - busy
    name = f"Порты RTP / RTP ports {start}-{end}"
    detail = f"свободно {free} из {len(candidates)} проверенных / free {free} of {len(candidates)}"
    if free < lines:
        yield Check(
            name,
            Status.FAIL,
            detail,
            f"нужно не меньше {lines} (trunk.lines): расширьте trunk.rtp_ports / widen the range",
        )
    elif busy:
        yield Check(name, Status.WARN, detail, "часть портов занята другой программой")
    else:
        yield Check(name, Status.OK, detail)


def database_checks(settings: Settings) -> Iterator[Check]:
    url = make_url(settings.database.url)
    shown = url.render_as_string(hide_password=True)
    name = "База данных / database"
    sqlite_file = _sqlite_file(settings)
    if sqlite_file is not None and not sqlite_file.exists():
        yield Check(
            name,
            Status.FAIL,
            f"{shown}: файла ещё нет / no database file yet",
            "dozvon db upgrade --config <файл>",
        )
        return
    try:
        engine = make_engine(url)
        try:
            current = current_revision(engine)
        finally:
            engine.dispose()
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        yield Check(
            name,
            Status.FAIL,
            f"{shown}: недоступна / unreachable: {reason}",
            "проверьте database.url, что сервер запущен и пользователь имеет доступ",
        )
        return
    head = head_revision()
    if current != head:
        yield Check(
            name,
            Status.FAIL,
            f"{shown}: схема {current or 'пустая'}, нужна {head} / schema behind",
            "dozvon db upgrade --config <файл>",
        )
    else:
        yield Check(name, Status.OK, f"{shown}, схема {head} / schema up to date")


def trunk_checks(trunk: TrunkSettings | None, timeout: float) -> Iterator[Check]:
    if trunk is None:
        yield Check(
            "SIP-транк / trunk",
            Status.WARN,
            "не настроен: звонить некуда / not configured",
            "добавьте раздел trunk: (см. examples/dozvon.example.yaml)",
        )
        return
    target = f"{trunk.host}:{trunk.port}"
    try:
        socket.getaddrinfo(trunk.host, trunk.port)
    except OSError as exc:
        yield Check(
            "SIP-транк / trunk",
            Status.FAIL,
            f"{trunk.host} не находится в DNS / does not resolve: {exc.strerror}",
            "проверьте trunk.host и DNS-сервер (/etc/resolv.conf)",
        )
        return
    try:
        answer = probe_options(trunk.host, trunk.port, trunk.transport, timeout)
    except OSError as exc:
        answer, problem = None, exc.strerror or str(exc)
    else:
        problem = f"нет ответа на OPTIONS за {timeout:g} с / no answer to OPTIONS"
    if answer is not None:
        yield Check("SIP-транк / trunk", Status.OK, f"{target} ответил / answered: {answer}")
    else:
        yield Check(
            "SIP-транк / trunk",
            Status.FAIL,
            f"{target} ({trunk.transport}): {problem}",
            "проверьте trunk.host/port/transport, межсетевой экран и что оператор пускает ваш IP",
        )


def disk_checks(settings: Settings) -> Iterator[Check]:
    places = {"кэш речи / speech cache": settings.speech.cache_dir}
    sqlite_file = _sqlite_file(settings)
    if sqlite_file is not None:
        places["база / database"] = sqlite_file.parent
    for label, place in places.items():
        existing = _nearest_existing(place)
        free = shutil.disk_usage(existing).free
        detail = f"{place}: свободно {free / (1 << 30):.1f} ГиБ / GiB free"
        if free < CRITICAL_DISK_BYTES:
            yield Check(f"Диск / disk: {label}", Status.FAIL, detail, "освободите место на диске")
        elif free < LOW_DISK_BYTES:
            yield Check(
                f"Диск / disk: {label}",
                Status.WARN,
                detail,
                "меньше 1 ГиБ / under 1 GiB",
            )
        else:
            yield Check(f"Диск / disk: {label}", Status.OK, detail)


def _sqlite_file(settings: Settings) -> Path | None:
    url = make_url(settings.database.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _nearest_existing(path: Path) -> Path:
    current = path.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def writable_check(settings: Settings) -> Iterator[Check]:
    place = _nearest_existing(settings.speech.cache_dir)
    if os.access(place, os.W_OK):
        return
    yield Check(
        "Права / permissions",
        Status.FAIL,
        f"{place}: нет записи / not writable",
        f"chown dozvon {place} (или смените speech.cache_dir)",
    )
