"""Real SIP peers for the tests: each test starts its own sipp (or kamailio, baresip...) on free
ports and stops it by PID. Scenarios and configs live beside this file."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from dozvon.media import MediaEngine
from dozvon.sip.rtp_media import EngineMedia
from dozvon.sip.transaction import TimerConfig
from dozvon.sip.ua import UaConfig, UserAgent

SCENARIOS = Path(__file__).parent / "scenarios"
T = TypeVar("T")


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port free for both UDP and TCP right now."""
    while True:
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        other = socket.SOCK_STREAM if kind == socket.SOCK_DGRAM else socket.SOCK_DGRAM
        with socket.socket(socket.AF_INET, other) as check:
            try:
                check.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def port_in_use(port: int, kind: int = socket.SOCK_DGRAM) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def wait_for_port(
    port: int, process: subprocess.Popen[bytes], kind: int = socket.SOCK_DGRAM
) -> None:
    deadline = time.monotonic() + 10
    while not port_in_use(port, kind):
        if process.poll() is not None:
            raise PeerExited(f"peer exited with {process.returncode} before binding {port}")
        if time.monotonic() > deadline:
            stop_process(process)
            raise RuntimeError(f"peer did not bind port {port}")
        time.sleep(0.02)


class PeerExited(RuntimeError):
    """The peer died before binding its port: usually another process took the port first."""


def with_fresh_ports(start: Callable[[], T], attempts: int = 3) -> T:
    """Start a peer again on newly picked ports if it lost a race for the first ones."""
    for attempt in range(attempts):
        try:
            return start()
        except PeerExited:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(3)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(3)


@dataclass
class Sipp:
    port: int
    media_port: int
    process: subprocess.Popen[bytes]

    @property
    def uri(self) -> str:
        return f"sip:callee@127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


class SippFactory:
    """Starts sipp with a scenario (optionally a template filled in with @NAME@ values)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.running: list[Sipp] = []

    def start(self, scenario: str, *extra: str, echo: bool = False, **fill: str) -> Sipp:
        return with_fresh_ports(lambda: self._start(scenario, extra, echo, fill))

    def _start(
        self, scenario: str, extra: tuple[str, ...], echo: bool, fill: dict[str, str]
    ) -> Sipp:
        text = (SCENARIOS / f"{scenario}.xml").read_text()
        for name, value in fill.items():
            text = text.replace(f"@{name.upper()}@", value)
        path = self.workdir / f"{scenario}-{len(self.running)}.xml"
        path.write_text(text)
        port, media_port = free_port(), free_port()
        command = [
            "sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(port),
            "-mi", "127.0.0.1", "-mp", str(media_port), "-nostdin", "-timeout_error",
            *(["-rtp_echo"] if echo else []), *extra,
        ]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if "t1" in extra:  # a TCP caller binds nothing before it connects
            time.sleep(0.2)
            if process.poll() is not None:
                raise PeerExited(f"sipp exited with {process.returncode}")
        else:
            wait_for_port(port, process)
        sipp = Sipp(port, media_port, process)
        self.running.append(sipp)
        return sipp

    def stop_all(self) -> None:
        for sipp in self.running:
            stop_process(sipp.process)


@pytest.fixture
def sipp(tmp_path: Path) -> Iterator[SippFactory]:
    factory = SippFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.stop_all()


FAST_TIMERS = TimerConfig(t1=0.05, t2=0.4, t4=0.5)  # Timer B = 3.2 s instead of 32 s


@pytest.fixture
async def ua() -> AsyncIterator[UserAgent]:
    agent = UserAgent(UaConfig(port=0, timers=FAST_TIMERS))
    await agent.start()
    try:
        yield agent
    finally:
        with contextlib.suppress(Exception):
            await agent.stop()


@pytest.fixture
async def media_ua() -> AsyncIterator[UserAgent]:
    """A UA with real RTP (dozvon.media) on a port range of its own."""
    # below the kernel's ephemeral range (32768+) and away from the media bench (40000+);
    # the engine skips single ports another process holds
    base = random.randrange(21000, 32000, 2)
    engine = MediaEngine(port_range=(base, base + 400))
    await engine.start()
    agent = UserAgent(UaConfig(port=0, timers=FAST_TIMERS), media=EngineMedia(engine))
    await agent.start()
    try:
        yield agent
    finally:
        with contextlib.suppress(Exception):
            await agent.stop()
        await engine.stop()


@dataclass
class Kamailio:
    port: int
    noauth_port: int
    process: subprocess.Popen[bytes]


@pytest.fixture
def kamailio_for(tmp_path: Path) -> Iterator[Callable[[int], Kamailio]]:
    """Start kamailio as a trunk in front of a callee port; stopped by PID after the test."""
    started: list[Kamailio] = []

    def start(callee_port: int) -> Kamailio:
        return with_fresh_ports(lambda: start_once(callee_port))

    def start_once(callee_port: int) -> Kamailio:
        port, noauth_port = free_port(), free_port()
        text = (Path(__file__).parent / "kamailio" / "kamailio.cfg").read_text()
        for name, value in {
            "PORT": port,
            "NOAUTH_PORT": noauth_port,
            "CALLEE_PORT": callee_port,
            "CTL": tmp_path / "kamailio_ctl",
        }.items():
            text = text.replace(f"@{name}@", str(value))
        config = tmp_path / "kamailio.cfg"
        config.write_text(text)
        process = subprocess.Popen(
            ["kamailio", "-f", str(config), "-DD", "-E", "-P", str(tmp_path / "kamailio.pid")],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "kamailio.log").open("wb"),
        )
        wait_for_port(port, process)
        wait_for_port(port, process, socket.SOCK_STREAM)
        trunk = Kamailio(port, noauth_port, process)
        started.append(trunk)
        return trunk

    try:
        yield start
    finally:
        for trunk in started:
            stop_process(trunk.process)
