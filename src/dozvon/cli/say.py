"""`dozvon say`: hear (or read) what the robot will say, through the clinic's lexicon."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dozvon.speech.lexicon import SECTIONS, Lexicon, LexiconError, read_lexicon
from dozvon.speech.say.specialties import SpecialtyError, clinic_table, default_table
from dozvon.speech.text import spoken_text
from dozvon.speech.tts.audio import write_wav
from dozvon.speech.tts.base import SynthesisError
from dozvon.speech.tts.prompts import PromptError
from dozvon.speech.tts.registry import DEFAULT_ENGINE
from dozvon.speech.voice import Voice


def register(app: typer.Typer) -> None:
    @app.command()
    def say(
        text: Annotated[
            str, typer.Argument(help="Текст / text, e.g. «Вы записаны на 27.11 в 10:30»")
        ],
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="WAV-файл 8 кГц / 8 kHz mono 16-bit WAV")
        ] = None,
        text_only: Annotated[
            bool, typer.Option("--text-only", help="Только показать текст / print the spoken form")
        ] = False,
        engine: Annotated[
            str, typer.Option("--engine", "-e", help="Движок / engine")
        ] = DEFAULT_ENGINE,
        voice: Annotated[str | None, typer.Option("--voice", "-v", help="Голос / voice")] = None,
        lexicon: Annotated[
            Path | None, typer.Option("--lexicon", help="Лексикон клиники / clinic lexicon YAML")
        ] = None,
        prompts: Annotated[
            Path | None, typer.Option("--prompts", help="Папка записей / recorded prompts dir")
        ] = None,
        cache: Annotated[
            Path | None, typer.Option("--cache", help="Папка кэша / audio cache dir")
        ] = None,
    ) -> None:
        """Произнести текст / say a text: the spoken form, or an 8 kHz WAV."""
        if out is None and not text_only:
            raise typer.BadParameter(
                "укажите --out FILE.wav или --text-only / give --out or --text-only"
            )
        try:
            loaded = Lexicon.load(lexicon)
            if text_only or out is None:
                typer.echo(spoken_text(text, loaded))
                return
            speaker = Voice.create(
                engine, voice, cache_dir=cache, lexicon_file=lexicon, prompts_dir=prompts
            )
            write_wav(out, speaker.say(text))
        except (LexiconError, PromptError, SynthesisError, ValueError) as exc:
            typer.echo(f"Ошибка / error: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"{out}")

    @app.command("lexicon")
    def check_lexicon(
        path: Annotated[Path, typer.Argument(help="Лексикон клиники / clinic lexicon YAML")],
    ) -> None:
        """Проверить лексикон клиники / validate a clinic lexicon (with its specialties)."""
        try:
            lexicon = Lexicon.load(path)
            own = read_lexicon(path)
            specialties = clinic_table(path)
        except (LexiconError, SpecialtyError) as exc:
            typer.echo(f"Ошибка / error: {exc}", err=True)
            raise typer.Exit(1) from None
        counts = ", ".join(f"{name}: {len(own.get(name, {}))}" for name in SECTIONS)
        added = len(specialties) - len(default_table())
        typer.echo(f"{path}: OK ({counts}, specialties: +{added}); version {lexicon.version}")
