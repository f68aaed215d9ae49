from pathlib import Path

import numpy as np
import pytest

from dozvon.speech.lexicon import Lexicon
from dozvon.speech.tts.audio import SAMPLE_RATE, from_pcm, to_pcm, wav_bytes
from dozvon.speech.tts.cache import AudioCache, cache_key
from dozvon.speech.tts.prompts import PromptError, PromptLibrary
from dozvon.speech.voice import Voice

from .conftest import CountingEngine


def test_second_synthesis_comes_from_the_cache(tmp_path: Path, counting: CountingEngine) -> None:
    voice = Voice(counting, cache=AudioCache(tmp_path))
    first = voice.say("Вы записаны на 27.11 в 10:30")
    again = Voice(counting, cache=AudioCache(tmp_path)).say("Вы записаны на 27.11 в 10:30")
    assert first == again
    assert counting.calls == ["Вы записаны на двадцать седьмое ноября в десять тридцать"]


def test_cache_key_separates_engine_voice_lexicon_and_text(
    tmp_path: Path, counting: CountingEngine
) -> None:
    keys = {
        cache_key("espeak-ng", "ru", "v1", "текст"),
        cache_key("espeak-ng", "ru+f3", "v1", "текст"),
        cache_key("rhvoice", "ru", "v1", "текст"),
        cache_key("espeak-ng", "ru", "v2", "текст"),
        cache_key("espeak-ng", "ru", "v1", "текст!"),
    }
    assert len(keys) == 5
    cache = AudioCache(tmp_path)
    Voice(counting, Lexicon(), cache).say("УЗИ")
    Voice(counting, Lexicon(abbreviations={"УЗИ": "узи"}), cache).say("УЗИ")
    assert counting.calls == ["УЗИ", "узи"]


def test_damaged_cache_entry_is_rebuilt(tmp_path: Path, counting: CountingEngine) -> None:
    cache = AudioCache(tmp_path)
    voice = Voice(counting, Lexicon(), cache)
    voice.say("проверка")
    (entry,) = tmp_path.glob("*/*.wav")
    entry.write_bytes(b"garbage")
    voice.say("проверка")
    assert len(counting.calls) == 2
    assert cache.stats.misses == 2


def test_prune_removes_old_entries_only(tmp_path: Path, counting: CountingEngine) -> None:
    import os

    cache = AudioCache(tmp_path)
    voice = Voice(counting, Lexicon(), cache)
    voice.say("вчера")
    voice.say("сегодня")
    version = Lexicon().version
    old = cache.path(cache_key(counting.engine, counting.voice, version, "вчера"))
    os.utime(old, (0, 0))
    assert cache.prune(older_than_s=3600) == 1
    assert not old.exists()
    assert cache.path(cache_key(counting.engine, counting.voice, version, "сегодня")).exists()


def test_presynthesis_reports_progress_and_fills_the_cache(
    tmp_path: Path, counting: CountingEngine
) -> None:
    voice = Voice(counting, cache=AudioCache(tmp_path))
    seen: list[tuple[int, int]] = []
    report = voice.presynthesize(
        ["один", "два", "один", "три"], progress=lambda d, t: seen.append((d, t))
    )
    assert (report.messages, report.synthesized, report.cached) == (3, 3, 0)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    again = voice.presynthesize(["один", "два", "четыре"])
    assert (again.synthesized, again.cached) == (1, 2)


async def test_async_presynthesis_and_say(tmp_path: Path, counting: CountingEngine) -> None:
    voice = Voice(counting, cache=AudioCache(tmp_path))
    messages = [f"номер {n}" for n in range(4)] + [("номер", "4")]
    report = await voice.presynthesize_async(messages, concurrency=2)
    assert (report.messages, report.synthesized) == (5, 6)  # the last message is two parts
    await voice.say_async("номер 3")
    await voice.say_parts_async(["номер", "4"])
    assert len(counting.calls) == 6


def test_parts_are_cached_separately(tmp_path: Path, counting: CountingEngine) -> None:
    voice = Voice(counting, cache=AudioCache(tmp_path))
    voice.say_parts(["Вы записаны к врачу", "Петрову"])
    voice.say_parts(["Вы записаны к врачу", "Сидорову"])
    assert counting.calls == ["Вы записаны к врачу", "Петрову", "Сидорову"]


def test_presynthesized_message_is_one_cache_read_at_call_time(
    tmp_path: Path, counting: CountingEngine
) -> None:
    cache = AudioCache(tmp_path)
    voice = Voice(counting, cache=cache)
    report = voice.presynthesize([("Здравствуйте,", "Анна Петровна!"), ("Здравствуйте,", "Олег!")])
    assert (report.messages, report.synthesized, report.cached) == (2, 3, 1)
    hits = cache.stats.hits
    pcm = Voice(counting, cache=cache).say_parts(["Здравствуйте,", "Олег!"])
    assert cache.stats.hits == hits + 1
    assert len(counting.calls) == 3
    assert pcm != voice.say("Здравствуйте, Олег!")  # the parts, not the whole text, were said


def make_prompts(tmp_path: Path) -> Path:
    """A clinic's recording at 44.1 kHz stereo: here a 600 Hz tone stands in for a voice."""
    tmp_path.mkdir(exist_ok=True)
    rate = 44100
    t = np.arange(rate // 2) / rate
    tone = (0.4 * np.sin(2 * np.pi * 600 * t)).astype(np.float32)
    stereo = np.repeat((tone * 32767).astype("<i2"), 2).tobytes()
    import wave

    with wave.open(str(tmp_path / "greeting.wav"), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(stereo)
    (tmp_path / "prompts.yaml").write_text(
        "greeting.wav: Здравствуйте! Вас беспокоит клиника «Здоровье».\n", encoding="utf-8"
    )
    return tmp_path


def test_recorded_prompt_plays_and_only_the_rest_is_synthesized(
    tmp_path: Path, counting: CountingEngine
) -> None:
    voice = Voice(counting, prompts=PromptLibrary(make_prompts(tmp_path)))
    pcm = voice.say("Здравствуйте!  Вас беспокоит клиника «Здоровье». Анна Петровна?")
    assert counting.calls == ["Анна Петровна?"]
    head = from_pcm(pcm)[: SAMPLE_RATE // 2 - 100]
    spectrum = np.abs(np.fft.rfft(head))
    assert np.fft.rfftfreq(len(head), 1 / SAMPLE_RATE)[np.argmax(spectrum)] == pytest.approx(
        600, abs=5
    )


def test_rerecorded_prompt_invalidates_cached_messages(
    tmp_path: Path, counting: CountingEngine
) -> None:
    prompts = make_prompts(tmp_path / "prompts")
    cache = AudioCache(tmp_path / "cache")
    parts = ["Здравствуйте! Вас беспокоит клиника «Здоровье».", "Анна Петровна?"]
    before = Voice(counting, cache=cache, prompts=PromptLibrary(prompts)).say_parts(parts)
    (prompts / "greeting.wav").write_bytes(wav_bytes(to_pcm(np.zeros(4000, dtype=np.float32))))
    after = Voice(counting, cache=cache, prompts=PromptLibrary(prompts)).say_parts(parts)
    assert before != after


def test_prompt_library_version_follows_the_recordings(tmp_path: Path) -> None:
    library = PromptLibrary(make_prompts(tmp_path))
    before = library.version
    (tmp_path / "greeting.wav").write_bytes(wav_bytes(to_pcm(np.zeros(800, dtype=np.float32))))
    assert PromptLibrary(tmp_path).version != before


@pytest.mark.parametrize(
    ("index", "message"),
    [
        ("missing.wav: Привет\n", "missing.wav: no such WAV file"),
        ("../x.wav: Привет\n", "no such WAV file"),
        ("greeting.wav: ''\n", "greeting.wav: the text the recording says is missing"),
        ("- a\n", "expected 'file.wav: text it says' lines"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_bad_prompt_index_is_named(tmp_path: Path, index: str, message: str) -> None:
    make_prompts(tmp_path)
    (tmp_path / "prompts.yaml").write_text(index, encoding="utf-8")
    with pytest.raises(PromptError, match=message):
        PromptLibrary(tmp_path)


def test_second_presynthesis_finds_whole_messages_cached(
    tmp_path: Path, counting: CountingEngine
) -> None:
    voice = Voice(counting, cache=AudioCache(tmp_path))
    messages = [("Здравствуйте,", "Анна Петровна!"), ("Здравствуйте,", "Олег!")]
    voice.presynthesize(messages)
    again = voice.presynthesize(messages)
    assert (again.synthesized, again.cached) == (0, 2)
