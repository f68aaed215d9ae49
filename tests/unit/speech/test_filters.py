from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2.sandbox import SandboxedEnvironment

from dozvon.speech.filters import FILTERS, make_filters
from dozvon.speech.say import SpecialtyTable
from dozvon.speech.say.specialties import DEFAULT_TABLE

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")


def test_filters_render_a_confirmation_in_a_sandbox() -> None:
    env = SandboxedEnvironment()
    env.filters.update(FILTERS)
    template = env.from_string(
        "{{ patient | name_ru }}, вы записаны к {{ spec | specialty_ru('datv') }} "
        "{{ doctor | name_ru('datv') }} на {{ start | date_ru('accs') }} в {{ start | time_ru }}. "
        "Справки по телефону {{ phone | phone_ru }}."
    )
    text = template.render(
        patient="Иванова Анна Петровна",
        spec="Терапевт",
        doctor="Петров Сергей Иванович",
        start=datetime(2026, 11, 27, 10, 30, tzinfo=ZoneInfo("Europe/Moscow")),
        phone="+74951234567",
    )
    assert text == (
        "Иванова Анна Петровна, вы записаны к врачу-терапевту Петрову Сергею Ивановичу на "
        "двадцать седьмое ноября в десять тридцать. Справки по телефону восемь, четыреста "
        "девяносто пять, сто двадцать три, сорок пять, шестьдесят семь."
    )


def test_every_promised_filter_is_there() -> None:
    assert {"date_ru", "time_ru", "name_ru", "specialty_ru", "number_ru", "phone_ru"} <= set(
        FILTERS
    )


def test_clinic_specialty_table_reaches_templates(tmp_path: Path) -> None:
    own = tmp_path / "clinic.yaml"
    forms = "".join(f"    {case}: мануальному терапевту\n" for case in CASES)
    own.write_text(f"specialties:\n  мануальный терапевт:\n{forms}", encoding="utf-8")
    env = SandboxedEnvironment()
    env.filters.update(make_filters(SpecialtyTable.load(DEFAULT_TABLE, own)))
    template = env.from_string("к {{ a | specialty_ru('datv') }} и {{ b | specialty_ru('datv') }}")
    assert template.render(a="Мануальный терапевт", b="ЛОР") == (
        "к мануальному терапевту и врачу-оториноларингологу"
    )
