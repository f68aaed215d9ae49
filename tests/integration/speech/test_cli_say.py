import wave
from pathlib import Path

from typer.testing import CliRunner

from dozvon.cli import app

runner = CliRunner()
CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")


def test_say_writes_an_8_khz_wav(tmp_path: Path) -> None:
    out = tmp_path / "say.wav"
    result = runner.invoke(app, ["say", "Вы записаны на 27.11 в 10:30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with wave.open(str(out)) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (8000, 2, 1)
        assert wav.getnframes() > 8000


def test_text_only_prints_the_spoken_form() -> None:
    result = runner.invoke(app, ["say", "--text-only", "Иванова, УЗИ 27.11 в 09:05"])
    assert result.exit_code == 0
    assert result.output.strip() == "Ивано+ва, у зэ и двадцать седьмого ноября в девять ноль пять"


def test_clinic_lexicon_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "lexicon.yaml"
    bad.write_text("abbreviations:\n  МРТ: эм 2\n", encoding="utf-8")
    result = runner.invoke(app, ["say", "--text-only", "МРТ", "--lexicon", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2: abbreviations 'МРТ'" in result.output


def test_out_or_text_only_is_required() -> None:
    result = runner.invoke(app, ["say", "привет"])
    assert result.exit_code == 2


def test_unknown_engine_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["say", "привет", "-e", "nope", "-o", str(tmp_path / "x.wav")])
    assert result.exit_code == 1
    assert "unknown speech engine 'nope'" in result.output


def test_lexicon_check_counts_entries(tmp_path: Path) -> None:
    good = tmp_path / "lexicon.yaml"
    forms = "".join(f"    {case}: мануальщик-{case}\n" for case in CASES)
    good.write_text(
        f"stress:\n  Сидорова: Си+дорова\nspecialties:\n  мануальный терапевт:\n{forms}",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["lexicon", str(good)])
    assert result.exit_code == 0, result.output
    assert "phrases: 0, abbreviations: 0, stress: 1, specialties: +1" in result.output


def test_lexicon_check_names_a_broken_specialty(tmp_path: Path) -> None:
    bad = tmp_path / "lexicon.yaml"
    bad.write_text("stress: {}\nspecialties:\n  хирург:\n    nomn: хирург\n", encoding="utf-8")
    result = runner.invoke(app, ["lexicon", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:3: specialty 'хирург': missing case form(s)" in result.output
