"""Real softphones answer our calls and press keys through their control interfaces:
baresip (ctrl_tcp, netstring-framed JSON) and linphone-daemon (a unix socket)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import subprocess
import tempfile
import time
import uuid
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dozvon.media.dtmf_inband import tone
from dozvon.sip.ua import UserAgent

from .conftest import free_port, stop_process, wait_for_port, with_fresh_ports

pytestmark = pytest.mark.sip

HERE = Path(__file__).parent


def fill(template: Path, target: Path, values: dict[str, object]) -> None:
    text = template.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", str(value))
    target.write_text(text)


@dataclass
class Softphone:
    uri: str
    process: subprocess.Popen[bytes]
    control: str | int
    pipe: socket.socket | None = None

    def wait_established(self, timeout: float = 5.0) -> None:
        """Until the softphone itself reports the call up (its media then runs)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if isinstance(self.control, int):
                status = self._baresip("listcalls")
                if "ESTABLISHED" in status.upper():
                    return
            elif "StreamsRunning" in self._linphone("call-status"):
                return
            time.sleep(0.1)
        raise AssertionError("the softphone never reported the call established")

    def _baresip(self, command: str, params: str = "") -> str:
        body = json.dumps({"command": command, "params": params, "token": "t"}).encode()
        with socket.create_connection(("127.0.0.1", int(self.control)), timeout=2) as ctrl:
            ctrl.sendall(str(len(body)).encode() + b":" + body + b",")
            return ctrl.recv(65536).decode(errors="replace")

    def _linphone(self, command: str) -> str:
        """One connection for the whole test: the daemon resets a client that reconnects
        while it is still finishing with the previous one."""
        if self.pipe is None:
            self.pipe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.pipe.settimeout(2)
            self.pipe.connect(str(self.control))
        self.pipe.sendall(f"{command}\n".encode())
        return self.pipe.recv(65536).decode(errors="replace")

    def press(self, key: str) -> None:
        if isinstance(self.control, int):  # baresip ctrl_tcp, netstring-framed JSON
            self._baresip("sndcode", key)
        else:  # linphone-daemon's unix socket
            self._linphone(f"dtmf {key}")


@pytest.fixture
def baresip(tmp_path: Path) -> Iterator[Softphone]:
    phone = with_fresh_ports(lambda: start_baresip(tmp_path))
    try:
        yield phone
    finally:
        stop_process(phone.process)


def start_baresip(tmp_path: Path) -> Softphone:
    sip_port, ctrl_port, rtp = free_port(), free_port(), random.randrange(21000, 32000, 2)
    values = {"SIP_PORT": sip_port, "CTRL_PORT": ctrl_port, "DIR": tmp_path,
              "RTP_FROM": rtp, "RTP_TO": rtp + 20}  # fmt: skip
    for name in ("config", "accounts"):
        fill(HERE / "baresip" / name, tmp_path / name, values)
    with wave.open(str(tmp_path / "prompt.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(bytes(16000) + tone("0", 200))
    process = subprocess.Popen(
        ["baresip", "-f", str(tmp_path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(ctrl_port, process, socket.SOCK_STREAM)
    except BaseException:
        stop_process(process)
        raise
    return Softphone(f"sip:bob@127.0.0.1:{sip_port}", process, ctrl_port)


@pytest.fixture
def linphone(tmp_path: Path) -> Iterator[Softphone]:
    phone = with_fresh_ports(lambda: start_linphone(tmp_path))
    try:
        yield phone
    finally:
        if phone.pipe is not None:
            phone.pipe.close()
        stop_process(phone.process)


def start_linphone(tmp_path: Path) -> Softphone:
    sip_port, rtp = free_port(), random.randrange(21000, 32000, 2)
    fill(HERE / "linphone" / "linphonerc", tmp_path / "linphonerc",
         {"SIP_PORT": sip_port, "RTP_FROM": rtp, "RTP_TO": rtp + 20})  # fmt: skip
    home = tmp_path / "home"
    (home / ".local" / "share" / "linphone").mkdir(
        parents=True, exist_ok=True
    )  # it hangs without this
    pipe_name = f"dozvon-lpd-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        ["linphone-daemon", "--config", str(tmp_path / "linphonerc"), "--auto-answer",
         "--pipe", pipe_name, "--log", str(tmp_path / "linphone.log")],
        env={**os.environ, "HOME": str(home)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(sip_port, process)
    except BaseException:
        stop_process(process)
        raise
    pipe = os.path.join(tempfile.gettempdir(), pipe_name)
    return Softphone(f"sip:linphone@127.0.0.1:{sip_port}", process, pipe)


@pytest.mark.parametrize("phone", ["baresip", "linphone"])
async def test_softphone_answers_and_presses_keys(
    media_ua: UserAgent, phone: str, request: pytest.FixtureRequest
) -> None:
    softphone: Softphone = request.getfixturevalue(phone)
    call = await media_ua.dial(softphone.uri, ring_timeout=5)
    assert await asyncio.wait_for(call.wait_answered(), 10)
    await asyncio.to_thread(softphone.wait_established)
    digits = asyncio.ensure_future(call.collect_digits(2, timeout=8))
    for key in "42":
        await asyncio.to_thread(softphone.press, key)
        await asyncio.sleep(0.4)
    assert await digits == "42"
    await call.hangup()
    assert call.result.hangup_by == "us"
