from pathlib import Path

import pytest

from dozvon.speech.say import SpecialtyError, SpecialtyTable, specialty_ru
from dozvon.speech.say.grammar import Case
from dozvon.speech.say.specialties import DEFAULT_TABLE, clinic_table, default_table


@pytest.mark.parametrize(
    ("written", "case", "spoken"),
    [
        ("Терапевт", "datv", "врачу-терапевту"),
        ("Врач - терапевт", "gent", "врача-терапевта"),
        ("ВРАЧ-ПЕДИАТР", "ablt", "врачом-педиатром"),
        ("Врач ультразвуковой диагностики", "datv", "врачу ультразвуковой диагностики"),
        ("врач УЗИ", "ablt", "врачом ультразвуковой диагностики"),
        ("Оториноларинголог", "datv", "врачу-оториноларингологу"),
        ("ЛОР", "accs", "врача-оториноларинголога"),
        ("акушер-гинеколог", "loct", "враче-акушере-гинекологе"),
        ("Врач-терапевт участковый", "datv", "врачу-терапевту участковому"),
        ("Детский хирург", "datv", "детскому хирургу"),
        (
            "Медицинская сестра процедурного кабинета",
            "accs",
            "медицинскую сестру процедурного кабинета",
        ),
        ("Врач общей практики", "ablt", "врачом общей практики"),
    ],
)
def test_specialties(written: str, case: str, spoken: str) -> None:
    assert specialty_ru(written, case) == spoken


def test_shipped_table_is_large_and_animate() -> None:
    table = default_table()
    assert len(table) >= 30
    # every entry names a person: the accusative of a masculine head equals its genitive
    for line in DEFAULT_TABLE.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("accs:") and "сестр" not in line:
            accs = line.split(":", 1)[1].strip()
            assert accs.split()[0].endswith(("а", "о")), accs


def test_unknown_specialty_names_the_fix() -> None:
    with pytest.raises(SpecialtyError, match="'космонавт' is not in the specialties table"):
        specialty_ru("космонавт", "datv")
    assert default_table().unknown(["Терапевт", "космонавт", ""]) == ["космонавт"]
    with pytest.raises(SpecialtyError, match="None is not a specialty"):
        specialty_ru(None, "datv")  # type: ignore[arg-type]


def test_lexicon_file_without_specialties_adds_none(tmp_path: Path) -> None:
    lexicon = tmp_path / "lexicon.yaml"
    lexicon.write_text("abbreviations:\n  УЗИ: у зэ и\n", encoding="utf-8")
    assert len(clinic_table(lexicon)) == len(default_table())
    assert clinic_table(None) is default_table()


def test_clinic_table_adds_and_overrides(tmp_path: Path) -> None:
    own = tmp_path / "clinic.yaml"
    own.write_text(
        "specialties:\n  врач-мануальный терапевт:\n    aliases: [мануальщик]\n"
        + "".join(f"    {c.value}: форма-{c.value}\n" for c in Case),
        encoding="utf-8",
    )
    table = SpecialtyTable.load(DEFAULT_TABLE, own)
    assert table.say("мануальщик", "datv") == "форма-datv"
    assert table.say("терапевт", "datv") == "врачу-терапевту"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("specialties: [a, b]\n", "expected a top-level 'specialties:' mapping"),
        ("specialties:\n  хирург: врач\n", ":2: specialty 'хирург': expected a mapping"),
        (
            "specialties:\n  хирург:\n    nomn: хирург\n",
            ":2: specialty 'хирург': missing case form\\(s\\) gent, datv, accs, ablt, loct",
        ),
        ("specialties: {x: [\n", "not valid YAML"),
    ],
)
def test_malformed_table_is_named(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SpecialtyError, match=message) as caught:
        SpecialtyTable.load(bad)
    assert str(bad) in str(caught.value)


def test_alias_clash_is_named(tmp_path: Path) -> None:
    forms = "".join(f"    {c.value}: x\n" for c in Case)
    bad = tmp_path / "clash.yaml"
    bad.write_text(
        f"specialties:\n  хирург:\n{forms}  другой:\n    aliases: [Хирург]\n{forms}",
        encoding="utf-8",
    )
    with pytest.raises(SpecialtyError, match="'Хирург' is already used by"):
        SpecialtyTable.load(bad)


def test_non_utf8_table_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cp1251.yaml"
    path.write_bytes("specialties:\n  хирург: {}\n".encode("cp1251"))
    with pytest.raises(SpecialtyError, match="not UTF-8 text"):
        SpecialtyTable.load(path)
