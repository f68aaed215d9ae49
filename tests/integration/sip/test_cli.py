"""`dozvon call --json` and `dozvon listen` as an admin runs them, against sipp."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import wave
from collections.abc import Callable
from pathlib import Path

import pytest

from dozvon.media.dtmf_inband import tone

from .conftest import Kamailio, SippFactory, free_port

pytestmark = pytest.mark.sip

JSON_KEYS = {
    "outcome", "sip_status", "answered", "digits", "ring_seconds", "talk_seconds", "hangup_by",
}  # fmt: skip


def run_cli(*args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "dozvon"), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    lines = completed.stdout.strip().splitlines()
    assert len(lines) == 1, completed.stdout
    report: dict[str, object] = json.loads(lines[0])
    assert set(report) == JSON_KEYS
    return report


def write_wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(tone("5", 300))
    return path


def test_call_json_answered_with_digits(sipp: SippFactory, tmp_path: Path) -> None:
    callee = sipp.start("uas_answer_4733", "-m", "1")
    prompt = write_wav(tmp_path / "prompt.wav")
    report = run_cli("call", callee.uri, "--play", str(prompt), "--collect", "2", "--json")
    assert report["answered"] is True
    assert report["digits"] == "12"
    assert report["sip_status"] == 200
    assert report["hangup_by"] == "us"
    assert report["outcome"] == "uncertain"
    assert isinstance(report["ring_seconds"], float) and report["ring_seconds"] >= 0.5


def test_call_json_busy(sipp: SippFactory) -> None:
    callee = sipp.start("uas_reject", status="486", reason="Busy Here")
    report = run_cli("call", callee.uri, "--json")
    assert report == {
        "outcome": "busy",
        "sip_status": 486,
        "answered": False,
        "digits": "",
        "ring_seconds": report["ring_seconds"],
        "talk_seconds": 0.0,
        "hangup_by": None,
    }


def test_call_json_ring_timeout(sipp: SippFactory) -> None:
    callee = sipp.start("uas_ring_forever")
    report = run_cli("call", callee.uri, "--ring-timeout", "1", "--json")
    assert report["outcome"] == "no_answer"
    assert report["sip_status"] == 487


def trunk_config(path: Path, trunk_port: int) -> Path:
    rtp = random.randrange(21000, 32000, 2)
    path.write_text(
        "trunk:\n"
        "  host: 127.0.0.1\n"
        f"  port: {trunk_port}\n"
        "  username: robot\n"
        "  password: ${DOZVON_TEST_TRUNK_PASSWORD}\n"
        "  register: true\n"
        "  bind_host: 127.0.0.1\n"
        f"  bind_port: {free_port()}\n"
        f"  rtp_ports: {{start: {rtp}, end: {rtp + 100}}}\n"
    )
    return path


def test_call_number_through_the_configured_trunk(
    sipp: SippFactory, kamailio_for: Callable[[int], Kamailio], tmp_path: Path
) -> None:
    callee = sipp.start("uas_answer_info", "-m", "1")
    trunk = kamailio_for(callee.port)
    config = trunk_config(tmp_path / "dozvon.yaml", trunk.port)
    report = run_cli(
        "call", "+79161234567", "--config", str(config), "--say", "Добрый день",
        "--collect", "2", "--json", env={"DOZVON_TEST_TRUNK_PASSWORD": "secret"},
    )  # fmt: skip
    assert report["answered"] is True
    assert report["digits"] == "59"
    assert report["outcome"] == "uncertain"
    assert callee.process.wait(5) == 0  # ACK and BYE came through kamailio's route


def test_registration_refused_is_one_readable_line(
    sipp: SippFactory, kamailio_for: Callable[[int], Kamailio], tmp_path: Path
) -> None:
    trunk = kamailio_for(sipp.start("uas_answer_info").port)
    config = trunk_config(tmp_path / "dozvon.yaml", trunk.port)
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "dozvon"), "call", "+79161234567", "--config",
         str(config), "--json"],
        env={**os.environ, "DOZVON_TEST_TRUNK_PASSWORD": "wrong"},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "registration failed" in completed.stderr
    assert "Traceback" not in completed.stderr
