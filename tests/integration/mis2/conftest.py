"""Real peers for the interface connectors: Medplum's FHIR router on Node, run per session."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

FHIR_DIR = Path(__file__).parent / "fhir_server"


def _npm_ci() -> None:
    """node_modules is not committed (116 MB); `npm ci` installs the locked versions."""
    if (FHIR_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed for the FHIR test server (Node 20 + npm)")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--engine-strict=false"],
        cwd=FHIR_DIR,
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def fhir_base_url() -> Iterator[str]:
    _npm_ci()
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for the FHIR test server")
    # Node 20: @medplum/core expects a global WebSocket, which Node 22 has by default.
    process = subprocess.Popen(
        [node, "--experimental-websocket", "server.mjs", "0"],
        cwd=FHIR_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening "):
            raise RuntimeError(f"FHIR server did not start: {line!r} {process.stderr.read()}")  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{int(line.split()[1])}/fhir/R4"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
