"""The starter config and secrets template rendered from a clinic's answers."""

from __future__ import annotations

from dataclasses import dataclass

from dozvon.config.starter.answers import Answers
from dozvon.config.starter.mis_kinds import MIS_KINDS, guide
from dozvon.config.starter.yamltext import lines, quoted

SIP_SECRET = "SIP_PASSWORD"


@dataclass(frozen=True)
class Starter:
    config: str
    secrets: str
    env_names: tuple[str, ...]
    """Environment variables the admin must set (all listed in `secrets`)."""


SECRET_HELP = {
    SIP_SECRET: "пароль SIP-транка / SIP trunk password",
    "MIS_PASSWORD": "пароль пользователя МИС / the MIS user's password",
    "MIS_TOKEN": "токен API МИС / the MIS API token",
    "AMOCRM_TOKEN": "долгосрочный токен amoCRM / amoCRM long-lived token",
    "BITRIX24_WEBHOOK": "адрес входящего вебхука целиком / the whole inbound webhook URL",
}


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
    return "clinic:\n" + lines(
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
  # PostgreSQL для нескольких процессов / for several workers: docs/guide/config.md"""


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
        lines(
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
        lines([("mis:", f"# подробно / details: {guide(answers.mis_kind)}")], 0),
        lines(
            [
                (f"name: {answers.mis_kind}", "# в сообщениях об ошибках / named in errors"),
                ("selection: filtered", "# МИС отдаёт, кому звонить / the MIS says whom to call"),
                ("source:", ""),
            ],
            2,
        ),
        kind.source(facts),
        lines(
            [
                ("mapping:", ""),
                (f"  timezone: {answers.timezone}", "# время МИС — местное / MIS times are local"),
                ("  fields:", "# наше поле: поле МИС / ours: the MIS's"),
            ],
            2,
        ),
        lines(kind.fields(facts), 6),
    ]
    if kind.results:
        parts.append(kind.results)
    return "\n".join(parts)


def _secrets_file(names: tuple[str, ...], config_name: str) -> str:
    rows = [
        f"# Секреты для {config_name}: ИМЯ=значение. Права 600, не в репозитории.",
        "# Secrets: NAME=value. Mode 600, never committed.",
        "# systemd: EnvironmentFile=<этот файл>;  shell: set -a; . ./secrets.env; set +a",
    ]
    for name in names:
        rows += ["", f"# {SECRET_HELP[name]}", f"{name}="]
    return "\n".join(rows) + "\n"
