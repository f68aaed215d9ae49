"""Real softphones answer our calls and press keys through their control interfaces:
baresip (ctrl_tcp, netstring-framed JSON) and linphone-daemon (a unix socket)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import tempfile
import uuid
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dozvon.media.dtmf_inband import tone
from dozvon.sip.ua import UserAgent

from .conftest import free_port, stop_process, wait_for_port

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

    def press(self, key: str) -> None:
        if isinstance(self.control, int):  # baresip ctrl_tcp
            body = json.dumps({"command": "sndcode", "params": key, "token": "t"}).encode()
            with socket.create_connection(("127.0.0.1", self.control), timeout=2) as ctrl:
                ctrl.sendall(str(len(body)).encode() + b":" + body + b",")
                ctrl.recv(4096)  # the response: the command was taken
        else:  # linphone-daemon pipe
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as pipe:
                pipe.settimeout(2)
                pipe.connect(self.control)
                pipe.sendall(f"dtmf {key}\n".encode())
                pipe.recv(4096)


@pytest.fixture
def baresip(tmp_path: Path) -> Iterator[Softphone]:
    sip_port, ctrl_port, rtp = free_port(), free_port(), free_port() // 2 * 2
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
        yield Softphone(f"sip:bob@127.0.0.1:{sip_port}", process, ctrl_port)
    finally:
        stop_process(process)


@pytest.fixture
def linphone(tmp_path: Path) -> Iterator[Softphone]:
    sip_port, rtp = free_port(), free_port() // 2 * 2
    fill(HERE / "linphone" / "linphonerc", tmp_path / "linphonerc",
         {"SIP_PORT": sip_port, "RTP_FROM": rtp, "RTP_TO": rtp + 20})  # fmt: skip
    home = tmp_path / "home"
    (home / ".local" / "share" / "linphone").mkdir(parents=True)  # it hangs without this
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
        pipe = os.path.join(tempfile.gettempdir(), pipe_name)
        yield Softphone(f"sip:linphone@127.0.0.1:{sip_port}", process, pipe)
    finally:
        stop_process(process)


@pytest.mark.parametrize("phone", ["baresip", "linphone"])
async def test_softphone_answers_and_presses_keys(
    media_ua: UserAgent, phone: str, request: pytest.FixtureRequest
) -> None:
    softphone: Softphone = request.getfixturevalue(phone)
    call = await media_ua.dial(softphone.uri, ring_timeout=5)
    assert await asyncio.wait_for(call.wait_answered(), 10)
    await asyncio.sleep(0.5)  # let the softphone's media start
    digits = asyncio.ensure_future(call.collect_digits(2, timeout=8))
    for key in "42":
        await asyncio.to_thread(softphone.press, key)
        await asyncio.sleep(0.4)
    assert await digits == "42"
    await call.hangup()
    assert call.result.hangup_by == "us"
