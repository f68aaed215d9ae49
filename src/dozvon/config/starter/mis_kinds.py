"""What `dozvon init` knows of each MIS kind: its menu line, its few questions, its `source:`
block and a mapping skeleton whose clinic-specific lines are marked FILL IN."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import make_url

from dozvon.config.starter.answers import (
    Question,
    field_name,
    http_url,
    odbc_target,
    sql_url,
    text,
)
from dozvon.config.starter.yamltext import FILL, lines, quoted

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
    return lines(pairs, 4) + "\n" + SQL_SELECT


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
    return lines(pairs, 4) + "\n" + SQL_SELECT


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


def _bearer_api(kind: str, facts: dict[str, str], env: str, auth: str) -> list[tuple[str, str]]:
    """The head of an HTTP API's source: its address and a bearer token from the environment."""
    return [
        (f"kind: {kind}", ""),
        (f"base_url: {quoted(facts['base_url'])}", ""),
        ("auth:", auth),
        ("  type: bearer", ""),
        (f"  token: {{env: {env}}}", "# токен — из окружения / from the environment"),
    ]


def _rest_source(facts: dict[str, str]) -> str:
    head = lines(
        [
            *_bearer_api("rest", facts, "MIS_TOKEN", "# none | bearer | basic | api_key | oauth2"),
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


def _named_columns(where: str) -> list[tuple[str, str]]:
    """Fields of a kind whose columns are named in its own `source:` block."""
    return [
        ("external_id: ID", f"# имена столбцов из {where} / names from {where}"),
        ("patient.name: FIO", ""),
        ("patient.phones: PHONE", ""),
        ("start: START", ""),
    ]


def _bitrix24_source(facts: dict[str, str]) -> str:
    return lines(
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
    return lines(
        [
            *_bearer_api("amocrm", facts, "AMOCRM_TOKEN", "# долгосрочный токен или oauth2"),
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
    return lines(
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


def _fhir_source(facts: dict[str, str]) -> str:
    return lines(
        [
            *_bearer_api("fhir", facts, "MIS_TOKEN", "# без авторизации: {type: none}"),
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


ENCODING_LINE = ("# encoding: auto", "# cp1251, cp866, utf-8; auto угадывает / guesses")


def _file_kind(kind: str, label: str, extension: str, extra: tuple[str, str]) -> MisKind:
    def source(facts: dict[str, str]) -> str:
        return lines(
            [
                (f"kind: {kind}", ""),
                (f"path: {quoted(facts['path'])}", "# выгрузка МИС / the MIS's export file"),
                ("results: in_place", "# in_place | separate | none: куда писать результат"),
                ("# results_path: /srv/mis/import/results.csv", "# для / for results: separate"),
                extra,
            ],
            4,
        )

    path = _path_question(f"/srv/mis/export/appointments.{extension}")
    return MisKind(label, (path,), source, _fixed(FILE_FIELDS), FILE_RESULTS, _secrets())


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
    "csv": _file_kind("csv", "Файл CSV / a CSV file", "csv", ENCODING_LINE),
    "excel": _file_kind(
        "excel",
        "Файл Excel (.xlsx) / an Excel file",
        "xlsx",
        ("sheet: 0", "# лист: номер или имя / sheet number or name"),
    ),
    "dbf": _file_kind("dbf", "Файл DBF / a DBF table", "dbf", ENCODING_LINE),
    "rest": MisKind(
        "REST API (JSON)",
        (_url_question("https://mis.example.ru/api/"),),
        _rest_source,
        _fixed([*_named_columns("read.columns"), ("doctor.name: DOCTOR", "")]),
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
        _fixed(_named_columns("columns")),
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

_PAGES = {"csv": "files", "excel": "files", "dbf": "files", "onec_odata": "1c-odata"}


def guide(kind: str) -> str:
    """The page in docs/integrations/ with a full example for this kind."""
    return f"docs/integrations/{_PAGES.get(kind, kind)}.md"
