"""End to end over real SIP: MariaDB as the MIS; sipp callees that answer and press 1, 2 or 3,
are busy, do not answer, or are an answering machine with a beep; a baresip softphone whose keys
are pressed through its control port; the built-in `confirm` scenario. The outcomes must land in
the MariaDB table."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import time as clock_time
from pathlib import Path
from time import sleep as pause

import pytest

from dozvon.campaign.dispatcher import DispatchSettings
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.channels.voice.channel import VoiceChannel
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.phone import normalize_phone
from dozvon.core.rules import CallingHours
from dozvon.dialog.context import Clinic as ClinicInfo
from dozvon.dialog.library import builtin
from dozvon.media import MediaEngine
from dozvon.mis.config import load, open_connector
from dozvon.sip.rtp_media import EngineMedia
from dozvon.sip.ua import UaConfig, UserAgent
from dozvon.speech.tts.registry import create_engine
from dozvon.speech.voice import Voice
from dozvon.store import Store, upgrade
from tests.integration.sip.conftest import free_port, stop_process, wait_for_port, with_fresh_ports
from tests.integration.sip.test_softphones import Softphone, start_baresip

from .conftest import Clinic, tomorrow_moscow

pytestmark = [pytest.mark.sip, pytest.mark.mariadb, pytest.mark.slow]
PEERS = Path(__file__).parent / "peers"
SIPP_SCENARIOS = Path(__file__).parents[1] / "sip" / "scenarios"
CLINIC_NAME = "Здоровье"


ALAW_SILENCE = b"\xd5"


def alaw(*parts: Path | float) -> bytes:
    """Raw 8 kHz A-law for sipp's rtp_stream: WAV files and seconds of silence, in order."""
    out = b""
    for part in parts:
        if isinstance(part, float):
            out += ALAW_SILENCE * int(8000 * part)
            continue
        out += subprocess.run(
            ["sox", str(part), "-r", "8000", "-c", "1", "-t", "raw", "-e", "a-law", "-"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
    return out


def spoken(text: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", "ru", "-w", str(path), text], check=True)
    return path


def tone(path: Path, seconds: float, hertz: int) -> Path:
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            "8000",
            "-c",
            "1",
            str(path),
            "synth",
            str(seconds),
            "sine",
            str(hertz),
        ],
        check=True,
    )
    return path


class Callees:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, scenario: Path, **fill: str) -> int:
        text = scenario.read_text()
        for name, value in fill.items():
            text = text.replace(f"@{name.upper()}@", value)
        path = self.workdir / f"{scenario.stem}-{len(self.running)}.xml"
        path.write_text(text)
        port = free_port()
        process = subprocess.Popen(
            ["sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
             "-mp", str(free_port()), "-nostdin"],
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(port, process)
        self.running.append(process)
        return port

    def stop(self) -> None:
        for process in self.running:
            stop_process(process)


@pytest.fixture
def callees(tmp_path: Path) -> Iterator[Callees]:
    if shutil.which("sipp") is None or shutil.which("sox") is None:
        pytest.fail("sipp and sox are test peers: run scripts/system-packages.sh")
    started = Callees(tmp_path)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
async def voice_ua() -> AsyncIterator[UserAgent]:
    base = free_port() // 2 * 2
    engine = MediaEngine(port_range=(base, min(base + 200, 65534)))
    await engine.start()
    agent = UserAgent(UaConfig(port=0), media=EngineMedia(engine))
    await agent.start()
    try:
        yield agent
    finally:
        with contextlib.suppress(Exception):
            await agent.stop()
        await engine.stop()


@pytest.fixture
def baresip(tmp_path: Path) -> Iterator[Softphone]:
    """A real softphone that answers by itself; the test presses its keys over ctrl_tcp."""
    home = tmp_path / "baresip"
    home.mkdir()
    phone = with_fresh_ports(lambda: start_baresip(home))
    # What the patient says on answering: "Алло?", then silence for the rest of the call
    # (aufile reads it at each call; baresip hangs up when the file ends).
    subprocess.run(
        ["sox", str(spoken("Алло?", home / "hello.wav")), "-r", "8000", "-c", "1", "-b", "16",
         str(home / "prompt.wav"), "pad", "0.3", "60"],
        check=True,
    )  # fmt: skip
    try:
        yield phone
    finally:
        stop_process(phone.process)


def answer_like_a_patient(phone: Softphone, identity_s: float, menu_key: str) -> None:
    phone.wait_established(timeout=30)
    pause(identity_s)
    phone.press("1")
    pause(7)
    phone.press(menu_key)


async def test_outcomes_of_real_calls_land_in_mariadb(
    clinic: Clinic, callees: Callees, baresip: Softphone, voice_ua: UserAgent, tmp_path: Path
) -> None:
    tts = create_engine("espeak-ng", "ru")
    greeting = f"Здравствуйте! Это автоматический помощник клиники «{CLINIC_NAME}»."
    greeting_ms = int(len(tts.synthesize(greeting)) / 16)  # 8 kHz, 16-bit
    hello = tmp_path / "hello.alaw"  # a person says "Алло?" and waits
    hello.write_bytes(alaw(0.3, spoken("Алло?", tmp_path / "hello.wav"), 4.0))
    machine = tmp_path / "machine.alaw"  # a long greeting, then the beep
    greeting_wav = spoken(
        "Здравствуйте. Вы позвонили Ивану Петровичу. Сейчас я не могу ответить. "
        "Оставьте, пожалуйста, сообщение после сигнала.",
        tmp_path / "machine.wav",
    )
    machine.write_bytes(alaw(0.3, greeting_wav, 1.0, tone(tmp_path / "beep.wav", 0.6, 1000), 8.0))

    def presser(digit: str) -> int:
        return callees.start(
            PEERS / "uas_keys.xml",
            identity_ms=str(greeting_ms + 2500),
            menu_ms="7000",
            digit=digit,
            hello=str(hello),
        )

    ports = {
        "confirms": presser("1"),
        "declines": presser("2"),
        "reschedules": presser("3"),
        "busy": callees.start(SIPP_SCENARIOS / "uas_reject.xml", status="486", reason="Busy Here"),
        "silent": callees.start(SIPP_SCENARIOS / "uas_ring_forever.xml"),
        "machine": callees.start(PEERS / "uas_machine.xml", audio=str(machine)),
    }
    patients = [*ports, "softphone"]
    visits = [
        (i + 1, name, f"8 916 000-00-{i + 1:02d}", tomorrow_moscow(10 + i, 30))
        for i, name in enumerate(
            ["Иванова Мария Петровна", "Петров Иван Сергеевич", "Сидорова Анна Ильинична",
             "Кузнецов Олег Петрович", "Смирнова Ольга Викторовна", "Попов Павел Андреевич",
             "Волкова Елена Сергеевна"]
        )
    ]  # fmt: skip
    clinic.fill(visits)
    route = {
        normalize_phone(phone): f"sip:{patients[i]}@127.0.0.1:{ports[patients[i]]}"
        for i, (_, _, phone, _) in enumerate(visits[:-1])
    }
    route[normalize_phone(visits[-1][2])] = baresip.uri
    presses = asyncio.create_task(
        asyncio.to_thread(answer_like_a_patient, baresip, greeting_ms / 1000 + 2.5, "2")
    )

    store = Store(f"sqlite:///{tmp_path / 'dozvon.sqlite'}")
    upgrade(store.engine)
    connector = open_connector(load(clinic.mis_config()))
    voice = VoiceChannel(
        voice_ua, Voice(tts), ClinicInfo(CLINIC_NAME), ring_timeout=3.0, route=route.__getitem__
    )
    runner = CampaignRunner(
        store,
        connector,
        connector,
        {
            "confirm": CampaignSpec(
                "confirm", builtin("confirm"), hours=CallingHours(clock_time(0), clock_time(23, 59))
            )
        },
        {Channel.VOICE: voice},
        dispatch=DispatchSettings(lines=6, calls_per_second=10),
    )
    try:
        summary = await runner.run_once(flush_seconds=10)
        await presses
    finally:
        await connector.aclose()
        store.dispose()

    assert summary.not_written == 0
    in_mis = {visit: outcome for (visit, _), (outcome, _) in clinic.results_rows().items()}
    assert in_mis == {
        "1": Outcome.CONFIRMED.value,
        "2": Outcome.DECLINED.value,
        "3": Outcome.RESCHEDULE_REQUESTED.value,
        "4": Outcome.BUSY.value,
        "5": Outcome.NO_ANSWER.value,
        "6": Outcome.MESSAGE_LEFT.value,
        "7": Outcome.DECLINED.value,
    }
