"""An SSH tunnel to a database behind a firewall: a throwaway OpenSSH sshd on a free port."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest

from dozvon.mis.base import MisError
from dozvon.mis.config import load, open_connector

from .conftest import SELECT, Backend, mis_config
from .test_sql import collect

pytestmark = pytest.mark.mariadb
SSHD = "/usr/sbin/sshd"


@dataclass
class Sshd:
    port: int
    client_key: Path
    known_hosts: Path
    wrong_known_hosts: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    host_key = tmp_path / "host_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
    client = asyncssh.generate_private_key("ssh-ed25519")
    client_key = tmp_path / "client_ed25519"
    client.write_private_key(str(client_key))
    client_key.chmod(0o600)
    (tmp_path / "authorized_keys").write_bytes(client.export_public_key())
    port = _free_port()
    public = (tmp_path / "host_ed25519.pub").read_text().split()[:2]
    (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{port} {' '.join(public)}\n")
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().split()[:2]
    (tmp_path / "wrong_known_hosts").write_text(f"[127.0.0.1]:{port} {' '.join(other)}\n")
    config = tmp_path / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"AuthorizedKeysFile {tmp_path / 'authorized_keys'}\nPidFile {tmp_path / 'sshd.pid'}\n"
        "UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nAllowTcpForwarding yes\n"
    )
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield Sshd(port, client_key, tmp_path / "known_hosts", tmp_path / "wrong_known_hosts")
    finally:
        process.terminate()
        process.wait()


def _source(db: Backend, sshd: Sshd, known_hosts: Path) -> dict[str, object]:
    database = db.url.rsplit("/", 1)[1]
    return {
        "kind": "sql",
        # "db.internal" resolves nowhere here: only the SSH server can reach the database
        "url": f"mysql+pymysql://root@db.internal:3306/{database}",
        "select": SELECT,
        "ssh": {
            "host": "127.0.0.1",
            "port": sshd.port,
            "user": "root",
            "key_file": str(sshd.client_key),
            "known_hosts": str(known_hosts),
            "remote_host": "127.0.0.1",
        },
    }


async def test_database_behind_ssh(sshd: Sshd, maria: Backend) -> None:
    conn = open_connector(load(mis_config(_source(maria, sshd, sshd.known_hosts))))
    try:
        appts, errors = await collect(conn)
    finally:
        await conn.aclose()
    assert [a.external_id for a in appts] == ["101", "102", "104", "105"] and len(errors) == 2


async def test_unknown_host_key_is_refused(sshd: Sshd, maria: Backend) -> None:
    conn = open_connector(load(mis_config(_source(maria, sshd, sshd.wrong_known_hosts))))
    with pytest.raises(MisError, match="SSH"):
        await collect(conn)
    await conn.aclose()
