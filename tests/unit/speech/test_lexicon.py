from pathlib import Path

import pytest

from dozvon.speech.lexicon import (
    DEFAULT_LEXICON,
    Lexicon,
    LexiconError,
    default_lexicon,
    surname_forms,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "clinic.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_lexicon_spells_abbreviations_and_marks_stress() -> None:
    said = default_lexicon().apply("Иванова, вы записаны на УЗИ и МРТ. ИВАНОВОЙ")
    assert said == "Ивано+ва, вы записаны на у зэ и и эм эр тэ. ИВАНО+ВОЙ"


def test_abbreviations_are_whole_words_and_case_sensitive() -> None:
    lexicon = Lexicon(abbreviations={"КТ": "ка тэ"})
    assert lexicon.apply("КТ, ОКТ и кт") == "ка тэ, ОКТ и кт"


def test_phrases_match_loosely_and_longest_first() -> None:
    lexicon = Lexicon(
        phrases={
            "Приём врача": "приём",
            "Приём врача-терапевта первичный": "первичный приём терапевта",
        }
    )
    assert lexicon.apply("приём   врача-терапевта первичный") == "первичный приём терапевта"


def test_clinic_file_overrides_default(tmp_path: Path) -> None:
    clinic = write(tmp_path, "abbreviations:\n  УЗИ: ультразвук\nstress:\n  Сидорова: Сидоро+ва\n")
    lexicon = Lexicon.load(clinic)
    assert lexicon.apply("УЗИ, МРТ, Сидорова") == "ультразвук, эм эр тэ, Сидоро+ва"


def test_version_follows_content_not_file(tmp_path: Path) -> None:
    same = write(tmp_path, "stress:\n  Иванова: Ивано+ва\n")
    assert Lexicon.load(same).version == default_lexicon().version
    changed = write(tmp_path, "abbreviations:\n  УЗИ: узи\n")
    assert Lexicon.load(changed).version != default_lexicon().version


def test_empty_clinic_file_is_allowed(tmp_path: Path) -> None:
    assert Lexicon.load(write(tmp_path, "# пусто\n")).version == default_lexicon().version


def test_specialties_section_is_left_to_its_reader(tmp_path: Path) -> None:
    clinic = write(tmp_path, "specialties:\n  x: {}\nabbreviations:\n  ЛОР: лор\n")
    assert Lexicon.load(clinic, with_default=False).abbreviations == {"ЛОР": "лор"}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("stress:\n  Иванова: Иванова\n", 2, "stress 'Иванова': mark the stress with one '+'"),
        ("stress:\n  Иванова: Ива+но+ва\n", 2, "mark the stress with one '+'"),
        ("stress:\n  Иванова: Петро+ва\n", 2, "spells a different word"),
        ("stress:\n  Иванова Анна: Ивано+ва Анна\n", 2, "a single word of Russian letters"),
        ("abbreviations:\n  УЗИ: у 3 и\n", 2, "has digits; write the number in words"),
        ("abbreviations:\n  УЗИ мочи: у зэ и\n", 2, "an abbreviation is a single word"),
        ("abbreviations:\n  УЗИ: [у, зэ]\n", 2, "the spoken form must be text"),
        ("abbreviations:\n  УЗИ: 5\n", 2, "the spoken form must be text"),
        (
            "abbreviations:\n  МРТ: эм\n  УЗИ: у\n  УЗИ: узи\n",
            4,
            "duplicate of the entry on line 3",
        ),
        ("phrases:\n  'Приём': ''\n", 2, "empty spoken form"),
        ("sounds:\n  a: b\n", 1, "unknown section 'sounds'"),
        ("stress: [Иванова]\n", 1, "section 'stress' must map written text to spoken text"),
    ],
)
def test_validator_names_file_line_and_entry(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(LexiconError) as caught:
        Lexicon.load(path)
    assert f"{path}:{line}:" in str(caught.value)
    assert message in str(caught.value)


def test_validator_reports_every_problem_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "stress:\n  Иванова: Иванова\nabbreviations:\n  УЗИ: 1\n")
    with pytest.raises(LexiconError) as caught:
        Lexicon.load(path)
    assert len(caught.value.problems) == 2


@pytest.mark.parametrize("text", ["stress: {a: [\n", "- just\n- a list\n"])
def test_broken_yaml_is_named(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(LexiconError, match=str(path)):
        Lexicon.load(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="cannot read"):
        Lexicon.load(tmp_path / "nope.yaml")


def test_shipped_lexicon_is_valid() -> None:
    assert Lexicon.load(DEFAULT_LEXICON, with_default=False).abbreviations["МРТ"] == "эм эр тэ"


def test_non_utf8_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cp1251.yaml"
    path.write_bytes("stress:\n  Иванова: Ивано+ва\n".encode("cp1251"))
    with pytest.raises(LexiconError, match=f"{path}: not UTF-8 text"):
        Lexicon.load(path)


@pytest.mark.parametrize(
    ("written", "spoken", "forms"),
    [
        (
            "Иванова",
            "Ивано+ва",
            {"Ивановой": "Ивано+вой", "Иванову": "Ивано+ву", "Иванов": "Ивано+в"},
        ),
        ("Ильина", "Ильина+", {"Ильиной": "Ильино+й", "Ильин": "Ильи+н", "Ильиным": "Ильины+м"}),
        ("Ильин", "Ильи+н", {"Ильину": "Ильину+", "Ильиной": "Ильино+й"}),
        ("Пушкин", "Пу+шкин", {"Пушкиным": "Пу+шкиным", "Пушкиной": "Пу+шкиной"}),
        ("Сидоренко", "Сидоре+нко", {}),
    ],
)
def test_surname_forms_carry_the_stress(written: str, spoken: str, forms: dict[str, str]) -> None:
    generated = surname_forms(written, spoken)
    assert forms.items() <= generated.items()
    assert all(form.replace("+", "") in generated for form in forms)


def test_one_surname_entry_marks_every_form_and_explicit_entries_win() -> None:
    lexicon = Lexicon(stress={"Ильина": "Ильина+", "Ильину": "И+льину"})
    assert lexicon.apply("Ильиной, Ильину, ИЛЬИН, Ильина-Петрова") == (
        "Ильино+й, И+льину, ИЛЬИ+Н, Ильина+-Петрова"
    )


def test_yo_restores_the_stress_mis_leave_out() -> None:
    lexicon = Lexicon(stress={"Семенова": "Семёнова"})
    assert lexicon.apply("Семеновой, СЕМЕНОВ, Семёнову") == "Семёновой, СЕМЁНОВ, Семёнову"


def test_phrases_match_e_and_yo_alike() -> None:
    lexicon = Lexicon(phrases={"Прием терапевта": "приём у терапевта"})
    assert (
        lexicon.apply("Приём терапевта, ПРИЕМ ТЕРАПЕВТА") == "приём у терапевта, приём у терапевта"
    )


def test_yo_entry_must_still_be_the_same_word(tmp_path: Path) -> None:
    path = write(tmp_path, "stress:\n  Семенова: Семёнов\n")
    with pytest.raises(LexiconError, match="spells a different word"):
        Lexicon.load(path)
