"""`dozvon init`'s pure half: a clinic's answers become a commented config and a secrets template.

Kept apart from the prompts so every MIS kind can be rendered and loaded in tests without a
terminal. Secrets are never asked for: the config only names environment variables, and
`secrets.env` lists them with empty values for the admin to fill in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from dozvon.config.types import WEEKDAYS

FILL = "# ← ЗАПОЛНИТЕ / FILL IN"
COMMENT_COLUMN = 38
SIP_SECRET = "SIP_PASSWORD"
RU_DAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")
_CALLER_ID = re.compile(r"^\+?\d{3,15}$")
_NAME = re.compile(r"^[\w.\-]+$")
_INLINE_PASSWORD = re.compile(r"(?:^|;)\s*(?:pwd|password)\s*=", re.I)
_HTTP_URL = re.compile(r"^https?://[^\s/@]+(?:/\S*)?$")


# -- answers and their checks ------------------------------------------------------------------


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


@dataclass(frozen=True)
class Starter:
    config: str
    secrets: str
    env_names: tuple[str, ...]
    """Environment variables the admin must set (all listed in `secrets`)."""


# -- YAML pieces -------------------------------------------------------------------------------


def quoted(value: str) -> str:
    """A double-quoted YAML scalar (JSON is valid YAML) whose `${` is never a reference."""
    return json.dumps(value.replace("${", "$${"), ensure_ascii=False)


def _lines(pairs: list[tuple[str, str]], indent: int) -> str:
    """`key: value  # comment` lines with the comments in one column."""
    out = []
    for left, comment in pairs:
        line = " " * indent + left
        out.append(f"{line:<{COMMENT_COLUMN}} {comment}" if comment else line)
    return "\n".join(out)


TABLE_FIELDS = [
    ("external_id: id", FILL + ": id записи на приём / appointment id"),
    ("patient.name: fio", "# ФИО пациента / patient's name"),
    ("patient.phones: phone", "# телефон(ы) / phone(s)"),
    ("start: visit_at", "# дата и время приёма / visit date and time"),
    ("doctor.name: doctor", "# врач / doctor"),
    ('# status: {column: state, map: {"записан": booked, "отменён": cancelled}}', ""),
    ("# doctor.specialty: specialty", ""),
    ("# branch.address: address", ""),
]

SQL_SELECT = """\
    # Записи на приём в окне :window_start … :window_end (местное время клиники).
    # Appointments in the window :window_start … :window_end (the clinic's local time).
    select: |                          # ← ЗАПОЛНИТЕ / FILL IN
      SELECT a.id, p.fio, p.phone, a.visit_at, d.fio AS doctor
      FROM appointments a
      JOIN patients p ON p.id = a.patient_id
      JOIN doctors d ON d.id = a.doctor_id
      WHERE a.visit_at >= :window_start AND a.visit_at < :window_end
    # Запись результата; повтор той же попытки ничего не меняет / write-back, idempotent by attempt.
    # Параметры / parameters: :appointment_id :attempt :outcome :outcome_label :finished_at ...
    # writeback: |
    #   UPDATE appointments SET call_result = :outcome, call_attempt = :attempt
    #   WHERE id = :appointment_id AND call_attempt < :attempt"""

SQL_RESULTS = """\
    # results:                         # исходы → коды МИС для :outcome / outcomes → MIS codes
    #   outcomes: {confirmed: 2, declined: 3, "*": 9}"""


def _sql_source(facts: dict[str, str]) -> str:
    url = facts["url"]
    pairs = [("kind: sql", ""), (f"url: {quoted(url)}", "# без пароля / no password here")]
    if make_url(url).get_backend_name() != "sqlite":
        pairs.append(("password_env: MIS_PASSWORD", "# пароль — из окружения / from the env"))
    return _lines(pairs, 4) + "\n" + SQL_SELECT


def _sql_secrets(facts: dict[str, str]) -> tuple[str, ...]:
    return () if make_url(facts["url"]).get_backend_name() == "sqlite" else ("MIS_PASSWORD",)


def _odbc_source(facts: dict[str, str]) -> str:
    target = facts["dsn"]
    key = "connection_string" if "=" in target else "dsn"
    pairs = [
        ("kind: odbc", ""),
        (f"{key}: {quoted(target)}", "# DSN из /etc/odbc.ini или DRIVER={...};SERVER=..."),
        ("password_env: MIS_PASSWORD", "# удалите, если пароль в DSN / remove if the DSN has it"),
    ]
    return _lines(pairs, 4) + "\n" + SQL_SELECT


def _file_source(kind: str, extra: list[tuple[str, str]]) -> Callable[[dict[str, str]], str]:
    def source(facts: dict[str, str]) -> str:
        pairs = [
            (f"kind: {kind}", ""),
            (f"path: {quoted(facts['path'])}", "# выгрузка МИС / the MIS's export file"),
            ("results: in_place", "# in_place | separate | none: куда писать результат"),
            ("# results_path: /srv/mis/import/results.csv", "# для / for results: separate"),
            *extra,
        ]
        return _lines(pairs, 4)

    return source


FILE_FIELDS = [
    ("external_id: ID", FILL + ": столбец id записи / appointment id column"),
    ("patient.name: FIO", ""),
    ("patient.phones: PHONE", "# несколько столбцов: {columns: [MOB, HOME]}"),
    ('start: {column: VISIT_AT, formats: ["%d.%m.%Y %H:%M"]}', "# формат даты МИС / date format"),
    ("doctor.name: DOCTOR", ""),
]

FILE_RESULTS = """\
    results:                           # столбцы результата в файле / result columns in the file
      fields:
        RESULT: outcome_label          # «Подтвердил», «Не отвечает», ...
        ATTEMPT: attempt"""


def _rest_source(facts: dict[str, str]) -> str:
    head = _lines(
        [
            ("kind: rest", ""),
            (f"base_url: {quoted(facts['base_url'])}", ""),
            ("auth:", "# none | bearer | basic | api_key | oauth2"),
            ("  type: bearer", ""),
            ("  token: {env: MIS_TOKEN}", "# токен — из окружения / from the environment"),
        ],
        4,
    )
    return (
        head
        + """
    read:                              # ← ЗАПОЛНИТЕ по документации API / FILL IN from the API docs
      url: "appointments?date={start_date}"
      items: "$.items[*]"              # JSONPath к списку записей / to the list of records
      columns:                         # столбец: JSONPath в записи / column: JSONPath in a record
        ID: "$.id"
        FIO: "$.patient.name"
        PHONE: "$.patient.phone"
        START: "$.start"
        DOCTOR: "$.doctor.name"
      # paging: {type: offset, param: offset, size_param: limit, size: 100}
    # write:                           # запись результата / write-back
    #   method: PATCH
    #   url: "appointments/{appointment_id}"
    #   body: {call_result: "{outcome}", attempt: "{attempt}"}"""
    )


REST_FIELDS = [
    ("external_id: ID", "# имена столбцов из read.columns / names from read.columns"),
    ("patient.name: FIO", ""),
    ("patient.phones: PHONE", ""),
    ("start: START", ""),
    ("doctor.name: DOCTOR", ""),
]


def _bitrix24_source(facts: dict[str, str]) -> str:
    return _lines(
        [
            ("kind: bitrix24", ""),
            ("webhook: {env: BITRIX24_WEBHOOK}", "# https://портал/rest/<id>/<ключ>/ — секрет"),
            ("entity_type_id: 2", "# 2 сделки, 1 лиды, 128+ смарт-процесс / deals, leads"),
            (f"date_field: {quoted(facts['date_field'])}", FILL + ": поле даты приёма"),
            ('# filter: {"=stageId": "C1:NEW"}', "# только нужная стадия / one stage only"),
            ('comment: "Робот: {outcome_label}"', "# комментарий в ленте / timeline comment"),
        ],
        4,
    )


def _crm_fields(start_column: str) -> list[tuple[str, str]]:
    return [
        ("external_id: id", ""),
        ("patient.name: contact.name", "# из контакта / from the contact"),
        ("patient.phones: contact.phones", ""),
        (f"start: {quoted(start_column)}", "# дата и время приёма / visit time"),
    ]


def _amocrm_source(facts: dict[str, str]) -> str:
    return _lines(
        [
            ("kind: amocrm", ""),
            (f"base_url: {quoted(facts['base_url'])}", ""),
            ("auth:", "# долгосрочный токен или oauth2 / long-lived token or oauth2"),
            ("  type: bearer", ""),
            ("  token: {env: AMOCRM_TOKEN}", "# токен — из окружения / from the environment"),
            ("pipeline_id: 0", FILL + ": id воронки / pipeline id"),
            ("status_ids: [0]", FILL + ": этап «Записан» / the stage(s) to call"),
            ("date_field_id: 0", FILL + ": id поля даты приёма / visit date field"),
            ('note: "Робот: {outcome_label}"', "# примечание к сделке / a note on the lead"),
        ],
        4,
    )


AMOCRM_RESULTS = """\
    # results:                         # поля сделки для результата / lead fields for the result
    #   fields: {cf.777: outcome_label}"""

BITRIX24_RESULTS = """\
    # results:                         # поля элемента для результата / item fields for the result
    #   fields: {ufCrm5CallResult: outcome_label}"""


def _onec_source(facts: dict[str, str]) -> str:
    return _lines(
        [
            ("kind: onec_odata", ""),
            (f"base_url: {quoted(facts['base_url'])}", "# …/<база>/odata/standard.odata/"),
            (f"username: {quoted(facts['username'])}", "# пользователь 1С / 1C user"),
            ("password: {env: MIS_PASSWORD}", "# пароль — из окружения / from the environment"),
            ('entity: "Document_ЗаписьНаПрием"', FILL + ": набор сущностей / entity set"),
            ('date_field: "Date"', "# поле даты приёма / visit date field"),
            ("# expand: [Пациент]", "# связанные объекты / related objects"),
            ("columns:", "# столбец: JSONPath / column: JSONPath"),
            ('  ID: "$.Ref_Key"', ""),
            ('  START: "$.Date"', ""),
            ('  FIO: "$.Пациент.Description"', FILL),
            ('  PHONE: "$.Пациент.Телефон"', FILL),
        ],
        4,
    )


ONEC_FIELDS = [
    ("external_id: ID", "# имена столбцов из columns / names from columns"),
    ("patient.name: FIO", ""),
    ("patient.phones: PHONE", ""),
    ("start: START", ""),
]


def _fhir_source(facts: dict[str, str]) -> str:
    return _lines(
        [
            ("kind: fhir", ""),
            (f"base_url: {quoted(facts['base_url'])}", "# FHIR R4"),
            ("auth:", "# без авторизации / without auth: {type: none}"),
            ("  type: bearer", ""),
            ("  token: {env: MIS_TOKEN}", "# токен — из окружения / from the environment"),
            ("status: booked", "# какие Appointment звать / which Appointments to call"),
        ],
        4,
    )


FHIR_FIELDS = [
    ("external_id: id", "# столбцы FHIR фиксированы / FHIR columns are fixed"),
    ("patient.name: patient_name", ""),
    ("patient.phones: patient_phones", ""),
    ("start: start", ""),
    ("doctor.name: doctor_name", ""),
    ("doctor.specialty: specialty", ""),
    ("branch.name: location_name", ""),
    ("branch.address: location_address", ""),
]

FHIR_RESULTS = """\
    results:
      fields:
        participant_status:            # статус пациента в Appointment / the patient's status
          value: outcome
          map: {confirmed: accepted, declined: declined, "*": needs-action}
        comment: {template: "Робот: {outcome_label}, попытка {attempt}"}"""


@dataclass(frozen=True)
class MisKind:
    """What `dozvon init` knows of one MIS kind: its menu line, questions and skeleton."""

    label: str
    questions: tuple[Question, ...]
    source: Callable[[dict[str, str]], str]
    fields: Callable[[dict[str, str]], list[tuple[str, str]]]
    results: str
    secrets: Callable[[dict[str, str]], tuple[str, ...]]


def _url_question(default: str) -> Question:
    return Question("base_url", "Адрес API / base URL", default, http_url)


def _path_question(default: str) -> Question:
    return Question("path", "Путь к файлу выгрузки / export file path", default, text)


def _secrets(*names: str) -> Callable[[dict[str, str]], tuple[str, ...]]:
    return lambda facts: names


def _fixed(fields: list[tuple[str, str]]) -> Callable[[dict[str, str]], list[tuple[str, str]]]:
    return lambda facts: fields


MIS_KINDS: dict[str, MisKind] = {
    "sql": MisKind(
        "SQL: PostgreSQL, MySQL/MariaDB, MS SQL, Firebird, SQLite, Oracle",
        (
            Question(
                "url",
                "Адрес базы SQLAlchemy без пароля / database URL without the password",
                "postgresql://dozvon@127.0.0.1:5432/mis",
                sql_url,
            ),
        ),
        _sql_source,
        _fixed(TABLE_FIELDS),
        SQL_RESULTS,
        _sql_secrets,
    ),
    "odbc": MisKind(
        "ODBC (unixODBC): DSN или строка подключения / a DSN or a connection string",
        (
            Question(
                "dsn", "DSN или строка без PWD / DSN or string without PWD", "MIS", odbc_target
            ),
        ),
        _odbc_source,
        _fixed(TABLE_FIELDS),
        SQL_RESULTS,
        _secrets("MIS_PASSWORD"),
    ),
    "csv": MisKind(
        "Файл CSV / a CSV file",
        (_path_question("/srv/mis/export/appointments.csv"),),
        _file_source("csv", [("# encoding: auto", "# cp1251, utf-8; auto угадывает / guesses")]),
        _fixed(FILE_FIELDS),
        FILE_RESULTS,
        _secrets(),
    ),
    "excel": MisKind(
        "Файл Excel (.xlsx) / an Excel file",
        (_path_question("/srv/mis/export/appointments.xlsx"),),
        _file_source("excel", [("sheet: 0", "# лист: номер или имя / sheet number or name")]),
        _fixed(FILE_FIELDS),
        FILE_RESULTS,
        _secrets(),
    ),
    "dbf": MisKind(
        "Файл DBF / a DBF table",
        (_path_question("/srv/mis/export/appointments.dbf"),),
        _file_source("dbf", [("# encoding: auto", "# cp866, cp1251; auto угадывает / guesses")]),
        _fixed(FILE_FIELDS),
        FILE_RESULTS,
        _secrets(),
    ),
    "rest": MisKind(
        "REST API (JSON)",
        (_url_question("https://mis.example.ru/api/"),),
        _rest_source,
        _fixed(REST_FIELDS),
        "",
        _secrets("MIS_TOKEN"),
    ),
    "bitrix24": MisKind(
        "Битрикс24 (входящий вебхук) / Bitrix24 inbound webhook",
        (
            Question(
                "date_field",
                "Поле сделки с датой приёма / the item field with the visit time",
                "ufCrm5VisitAt",
                field_name,
            ),
        ),
        _bitrix24_source,
        lambda facts: _crm_fields(facts["date_field"]),
        BITRIX24_RESULTS,
        _secrets("BITRIX24_WEBHOOK"),
    ),
    "amocrm": MisKind(
        "amoCRM / Kommo",
        (_url_question("https://clinic.amocrm.ru"),),
        _amocrm_source,
        _fixed(_crm_fields("visit_at")),
        AMOCRM_RESULTS,
        _secrets("AMOCRM_TOKEN"),
    ),
    "onec_odata": MisKind(
        "1С:Предприятие через OData / 1C OData",
        (
            _url_question("http://1c.local/clinic/odata/standard.odata/"),
            Question("username", "Пользователь 1С / 1C user", "dozvon", field_name),
        ),
        _onec_source,
        _fixed(ONEC_FIELDS),
        "",
        _secrets("MIS_PASSWORD"),
    ),
    "fhir": MisKind(
        "FHIR R4",
        (_url_question("https://fhir.example.ru/fhir/"),),
        _fhir_source,
        _fixed(FHIR_FIELDS),
        FHIR_RESULTS,
        _secrets("MIS_TOKEN"),
    ),
}
"""Keys are the `kind:` values of dozvon.mis.config.KINDS that `dozvon init` offers."""

SECRET_HELP = {
    SIP_SECRET: "пароль SIP-транка / SIP trunk password",
    "MIS_PASSWORD": "пароль пользователя МИС / the MIS user's password",
    "MIS_TOKEN": "токен API МИС / the MIS API token",
    "AMOCRM_TOKEN": "долгосрочный токен amoCRM / amoCRM long-lived token",
    "BITRIX24_WEBHOOK": "адрес входящего вебхука целиком / the whole inbound webhook URL",
}


# -- rendering ---------------------------------------------------------------------------------


def facts_of(answers: Answers) -> dict[str, str]:
    """The kind's facts, each answered one or its default."""
    kind = MIS_KINDS[answers.mis_kind]
    return {q.name: answers.mis_facts.get(q.name, q.default) for q in kind.questions}


def env_names(answers: Answers) -> tuple[str, ...]:
    trunk = (SIP_SECRET,) if answers.trunk_username else ()
    return trunk + MIS_KINDS[answers.mis_kind].secrets(facts_of(answers))


def render(answers: Answers, config_name: str = "dozvon.yaml") -> Starter:
    names = env_names(answers)
    config = "\n\n".join(
        [
            _header(answers, config_name),
            _clinic(answers),
            DATABASE,
            _trunk(answers),
            _campaign(answers),
            _mis(answers),
        ]
    )
    return Starter(config + "\n", _secrets_file(names, config_name), names)


def _header(answers: Answers, config_name: str) -> str:
    return f"""\
# Dozvon: конфигурация клиники / clinic configuration (создано `dozvon init`).
# Проверка / check:   dozvon config check {config_name}
#
# Пароли и токены здесь НЕ пишутся (такой файл отвергается): только ссылки на переменные
# окружения ${{ИМЯ}} или {{env: ИМЯ}}. Сами значения — в secrets.env (права 600):
#   под systemd / under systemd:  EnvironmentFile=/etc/dozvon/secrets.env
#   в терминале / in a shell:     set -a; . ./secrets.env; set +a
# Secrets are never written here, only environment variable names; values go to secrets.env.
#
# Строки с «ЗАПОЛНИТЕ» — под вашу МИС / lines marked FILL IN depend on your MIS."""


def _clinic(answers: Answers) -> str:
    return "clinic:\n" + _lines(
        [
            (f"name: {quoted(answers.clinic_name)}", ""),
            (f"timezone: {answers.timezone}", "# пояс клиники (IANA) / the clinic's zone"),
            ("region: RU", "# страна номеров без кода / country of numbers without a code"),
        ],
        2,
    )


DATABASE = """\
database:                              # база Dozvon (не МИС) / Dozvon's own database
  url: sqlite:///./var/dozvon.sqlite
  # Для нескольких процессов / for several workers:
  # url: postgresql://dozvon:${DB_PASSWORD}@127.0.0.1/dozvon"""


def _trunk(answers: Answers) -> str:
    auth: list[tuple[str, str]]
    if answers.trunk_username:
        auth = [
            (f"username: {quoted(answers.trunk_username)}", ""),
            (f"password: ${{{SIP_SECRET}}}", "# из окружения / from the environment"),
        ]
    else:
        auth = [("# username: clinic", "# IP-транк без пароля / an IP trunk without a password")]
    caller = quoted(answers.caller_id)
    return "trunk:                                 # подробно / details: docs/guide/trunk.md\n" + (
        _lines(
            [
                (f"host: {quoted(answers.trunk_host)}", "# регистратор или АТС / registrar or PBX"),
                (f"port: {answers.trunk_port}", ""),
                (f"transport: {answers.trunk_transport}", "# udp | tcp"),
                (
                    f"register: {'true' if answers.trunk_register else 'false'}",
                    "# REGISTER с паролем; false — IP-транк / false: an IP trunk",
                ),
                *auth,
                (f"caller_id: {caller}", "# номер А, если оператор разрешает / caller id"),
                (f"lines: {answers.lines}", "# одновременных звонков / concurrent calls"),
                (f"cps: {answers.cps:g}", "# новых звонков в секунду / new calls per second"),
                ("ring_timeout: 30s", "# сколько ждать ответа / how long to ring"),
                ("bind_host: 0.0.0.0", "# наш адрес / our address"),
                ("bind_port: 5060", ""),
                ("rtp_ports: {start: 10000, end: 20000}", "# откройте в firewall / open for RTP"),
                ("# outbound_proxy: proxy.example.ru:5060", "# если нужен / if required"),
            ],
            2,
        )
    )


def _campaign(answers: Answers) -> str:
    days = ", ".join(answers.weekdays)
    return f"""\
campaigns:
  - name: confirm
    scenario: confirm                  # подтверждение записи / appointment confirmation
    purpose: service                   # service | marketing (реклама — не голосом, 38-ФЗ ст. 18)
    hours:                             # местное время пациента / the patient's local time
      start: "{answers.hours_start}"
      end: "{answers.hours_end}"
      weekdays: [{days}]
      holidays: []                     # праздники ГГГГ-ММ-ДД / holidays YYYY-MM-DD
    retry:
      max_attempts: 5
      max_per_day: 3
      per_outcome:
        busy: {{delay: 10m, max_attempts: 4}}
        no_answer: {{delay: 1h, max_attempts: 3}}
    channels: [voice]
    schedule: ["0 17 * * *"]           # cron: выборка на завтра в 17:00 / sync for tomorrow"""


def _mis(answers: Answers) -> str:
    kind = MIS_KINDS[answers.mis_kind]
    facts = facts_of(answers)
    parts = [
        "mis:                                   # подключение к МИС / the clinic's MIS",
        _lines(
            [
                (f"name: {answers.mis_kind}", "# в сообщениях об ошибках / named in errors"),
                ("selection: filtered", "# МИС отдаёт, кому звонить / the MIS says whom to call"),
                ("source:", ""),
            ],
            2,
        ),
        kind.source(facts),
        _lines(
            [
                ("mapping:", ""),
                (f"  timezone: {answers.timezone}", "# время МИС — местное / MIS times are local"),
                ("  fields:", "# наше поле: поле МИС / ours: the MIS's"),
            ],
            2,
        ),
        _lines(kind.fields(facts), 6),
    ]
    if kind.results:
        parts.append(kind.results)
    return "\n".join(parts)


def _secrets_file(names: tuple[str, ...], config_name: str) -> str:
    lines = [
        f"# Секреты для {config_name}: ИМЯ=значение. Права 600, не в репозитории.",
        "# Secrets: NAME=value. Mode 600, never committed.",
        "# systemd: EnvironmentFile=<этот файл>;  shell: set -a; . ./secrets.env; set +a",
    ]
    for name in names:
        lines += ["", f"# {SECRET_HELP[name]}", f"{name}="]
    return "\n".join(lines) + "\n"
