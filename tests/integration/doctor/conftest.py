"""sipp as the trunk: a real SIP peer answering OPTIONS on a loopback port."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dozvon.doctor.sip_probe import probe_options

SCENARIO = Path(__file__).with_name("uas_options.xml")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sipp_trunk(tmp_path: Path) -> Iterator[int]:
    port = free_udp_port()
    process = subprocess.Popen(
        ["sipp", "-sf", str(SCENARIO), "-i", "127.0.0.1", "-p", str(port), "-nostdin"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            if process.poll() is not None:
                raise RuntimeError(f"sipp exited with {process.returncode}")
            if _answers(port):
                break
        else:
            raise RuntimeError("sipp never answered OPTIONS")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        return probe_options("127.0.0.1", port, timeout=0.2) is not None
    except ConnectionRefusedError:
        time.sleep(0.1)  # sipp not listening yet: wait before knocking again
        return False
