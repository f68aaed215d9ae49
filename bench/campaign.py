"""A campaign of N patients against a pool of sipp callees on L lines: how close to the
physical limit does the dispatcher run, and what does dispatching cost?

Real ring and talk times are shortened 20× so the run takes a minute or two: a realistic call
rings 4–12 s and talks 20–60 s; here 0.2–0.6 s and 1–3 s. The mix: 70 % answer, 15 % busy
(retried after 2 s), 15 % never answer (ring timeout 1.5 s, retried after 3 s). The channel is
the SIP stack alone (dial, ring, talk until the callee hangs up): the dialog and TTS are not
what is measured here. Store: SQLite; MIS: an SQLite file through the SQL connector.

The baseline beside the run is the physical limit: the sum of every call's line time divided
by L (no dispatcher could finish sooner; retries that are not yet due stretch the real run past
it, whatever the dispatcher does). Utilisation is sampled every 0.1 s: the share of busy lines
while the due work could fill every line, and busy lines against the lines due work wanted.
Dispatcher CPU is the CPU of every dispatcher step (store calls on their thread, decisions on
the loop), next to the whole process (SIP, RTP, write-back, sync).

    .venv/bin/python bench/campaign.py --patients 2000 --lines 100 --cps 80
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import socket
import sqlite3
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from dozvon.campaign import dispatcher as dispatcher_module
from dozvon.campaign.dispatcher import DispatchSettings
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.channels.base import AttemptResult
from dozvon.channels.voice.channel import signalling_evidence
from dozvon.channels.voice.signalling import signalling_outcome
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours, OutcomeRetry, RetryPolicy
from dozvon.core.task import Task, TaskStatus
from dozvon.media import MediaEngine
from dozvon.mis.config import load, open_connector
from dozvon.sip.rtp_media import EngineMedia
from dozvon.sip.ua import UaConfig, UserAgent
from dozvon.store import Store, upgrade
from dozvon.store.models import TaskRow

HERE = Path(__file__).parent
SCENARIOS = HERE.parent / "tests" / "integration" / "sip" / "scenarios"
MOSCOW = ZoneInfo("Europe/Moscow")
SHORTEN = 20


class RingAndTalk:
    """The voice channel's signalling half: the outcome of an unanswered call, else 'confirmed'
    once the callee hangs up."""

    kind = Channel.VOICE

    def __init__(self, ua: UserAgent, route: dict[str, str], ring_timeout: float) -> None:
        self.ua, self.route, self.ring_timeout = ua, route, ring_timeout
        self.durations: list[float] = []

    async def attempt(
        self, task: Task, scenario: Any, *, phone: str, attempt_no: int
    ) -> AttemptResult:
        started = time.monotonic()
        call = await self.ua.dial(self.route[phone], None, self.ring_timeout)
        try:
            if not await call.wait_answered():
                outcome = signalling_outcome(call.result) or Outcome.NETWORK_ERROR
                return AttemptResult(outcome, signalling_evidence(call))
            await call.ended.wait()
            return AttemptResult(Outcome.CONFIRMED, signalling_evidence(call))
        finally:
            await call.hangup()
            self.durations.append(time.monotonic() - started)


def sipp(
    scenario: Path, workdir: Path, port: int, media_port: int, **fill: str
) -> subprocess.Popen[bytes]:
    text = scenario.read_text()
    for name, value in fill.items():
        text = text.replace(f"@{name.upper()}@", value)
    path = workdir / f"{scenario.stem}-{port}.xml"
    path.write_text(text)
    return subprocess.Popen(
        ["sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
         "-mp", str(media_port), "-nostdin", "-l", "5000", "-max_socket", "5000"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def make_mis(path: Path, patients: int) -> None:
    tomorrow = datetime.now(MOSCOW).date() + timedelta(days=1)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, name TEXT, phone TEXT, at TEXT, "
                   "result TEXT, attempts INTEGER DEFAULT 0)")  # fmt: skip
        db.executemany(
            "INSERT INTO visits (id, name, phone, at) VALUES (?, ?, ?, ?)",
            [
                (i, f"Пациент {i}", f"+7916{i:07d}",
                 f"{tomorrow} {8 + i % 12:02d}:{i % 60:02d}:00")
                for i in range(1, patients + 1)
            ],
        )  # fmt: skip


def mis_config(path: Path) -> dict[str, Any]:
    return {
        "name": "bench",
        "source": {
            "kind": "sql",
            "url": f"sqlite:///{path}",
            "select": "SELECT id, name, phone, at FROM visits "
            "WHERE at >= :window_start AND at < :window_end",
            "writeback": "UPDATE visits SET result = :outcome_code, attempts = :attempt "
            "WHERE id = :appointment_id AND attempts < :attempt",
        },
        "mapping": {
            "timezone": "Europe/Moscow",
            "fields": {
                "external_id": "id",
                "patient.name": "name",
                "patient.phones": "phone",
                "start": "at",
            },
        },
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run(args: argparse.Namespace, workdir: Path) -> None:
    ports = {"answer": free_port(), "busy": free_port(), "silent": free_port()}
    pools = {
        "answer": sipp(HERE / "campaign_uas.xml", workdir, ports["answer"], free_port(),
                       ring_min="200", ring_max="600", talk_min="1000", talk_max="3000"),
        "busy": sipp(SCENARIOS / "uas_reject.xml", workdir, ports["busy"], free_port(),
                     status="486", reason="Busy Here"),
        "silent": sipp(SCENARIOS / "uas_ring_forever.xml", workdir, ports["silent"], free_port()),
    }  # fmt: skip
    try:
        await measure(args, workdir, ports)
    finally:
        for process in pools.values():
            process.terminate()
            process.wait()


async def measure(args: argparse.Namespace, workdir: Path, ports: dict[str, int]) -> None:
    rng = random.Random(1)
    kinds = rng.choices(list(ports), weights=[70, 15, 15], k=args.patients)
    route = {
        f"+7916{i:07d}": f"sip:p{i}@127.0.0.1:{ports[kinds[i - 1]]}"
        for i in range(1, args.patients + 1)
    }

    mis_path = workdir / "mis.sqlite"
    make_mis(mis_path, args.patients)
    store = Store(f"sqlite:///{workdir / 'dozvon.sqlite'}")
    upgrade(store.engine)
    connector = open_connector(load(mis_config(mis_path)))
    rtp_base = free_port() // 2 * 2
    engine = MediaEngine(port_range=(rtp_base, min(rtp_base + 4 * args.lines + 100, 65534)))
    await engine.start()
    ua = UserAgent(UaConfig(port=0), media=EngineMedia(engine))
    await ua.start()
    channel = RingAndTalk(ua, route, ring_timeout=1.5)
    retry = RetryPolicy(
        max_attempts=3,
        max_per_day=3,
        per_outcome={
            Outcome.BUSY: OutcomeRetry(timedelta(seconds=2), 3),
            Outcome.NO_ANSWER: OutcomeRetry(timedelta(seconds=3), 2),
            Outcome.NETWORK_ERROR: OutcomeRetry(timedelta(seconds=2), 2),
        },
    )
    spec = CampaignSpec("bench", hours=CallingHours(clock_time(0), clock_time(23, 59)), retry=retry)
    runner = CampaignRunner(
        store, connector, connector, {"bench": spec}, {Channel.VOICE: channel},
        dispatch=DispatchSettings(lines=args.lines, calls_per_second=args.cps, poll_seconds=1.0),
    )  # fmt: skip

    dispatcher = runner.dispatcher
    cpu = {"dispatch": 0.0}

    per_step: dict[str, float] = {}

    def timed(fn: Any) -> Any:
        """CPU of one dispatcher step, on whichever thread runs it (the store's, or the loop's
        for the pure decisions): awaits are never inside, so nothing else is counted."""

        def wrapper(*a: Any, **k: Any) -> Any:
            begin = time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                spent = time.thread_time() - begin
                cpu["dispatch"] += spent
                per_step[fn.__name__] = per_step.get(fn.__name__, 0.0) + spent

        return wrapper

    for name in (
        "running_campaigns",
        "due_tasks",
        "next_due_at",
        "blocked_numbers",
        "recent_contacts",
        "start_attempt",
        "finish_attempt",
        "postpone",
        "close_task",
    ):
        setattr(runner.state, name, timed(getattr(runner.state, name)))  # fmt: skip
    dispatcher_module.before_attempt = timed(dispatcher_module.before_attempt)
    dispatcher_module.after_attempt = timed(dispatcher_module.after_attempt)

    def waiting() -> int:
        """Tasks due now and not on a line: the work a free line could take."""
        query = select(func.count()).where(
            TaskRow.status == TaskStatus.PENDING, TaskRow.next_due_at <= datetime.now(UTC)
        )
        with store.unit_of_work() as uow:
            return int(uow.session.scalar(query) or 0)

    samples: list[tuple[int, int]] = []

    async def sample(stop: asyncio.Event) -> None:
        while not stop.is_set():
            samples.append((dispatcher.lines.busy, await asyncio.to_thread(waiting)))
            if len(samples) % 50 == 0:
                print(f"  {len(channel.durations)} calls done, {dispatcher.lines.busy} lines busy",
                      flush=True)  # fmt: skip
            await asyncio.sleep(0.1)

    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    sync_begin = time.monotonic()
    await runner.sync()
    sync_seconds = time.monotonic() - sync_begin
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample(stop))
    begin = time.monotonic()
    summary = await runner.run_once(flush_seconds=60)
    wall = time.monotonic() - begin
    stop.set()
    await sampler
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    await ua.stop()
    await engine.stop()
    await connector.aclose()

    line_time = sum(channel.durations)
    limit = line_time / args.lines
    full = [busy for busy, due in samples if busy + due >= args.lines]
    utilisation = sum(full) / (len(full) * args.lines) if full else float("nan")
    wanted = sum(min(args.lines, busy + due) for busy, due in samples)
    efficiency = sum(busy for busy, _ in samples) / wanted if wanted else float("nan")
    process_cpu = (cpu_end.ru_utime + cpu_end.ru_stime) - (cpu_start.ru_utime + cpu_start.ru_stime)
    print(f"patients {args.patients}, lines {args.lines}, cps {args.cps}, loop {args.loop}, "
          f"times shortened {SHORTEN}x")  # fmt: skip
    print(f"sync (MIS → store)            {sync_seconds:8.1f} s")
    print(f"calls placed                  {len(channel.durations):8d}  outcomes {summary.outcomes}")
    print(f"written back                  {summary.written_back:8d}  left {summary.not_written}")
    print(f"wall time                     {wall:8.1f} s")
    print(f"physical limit (Σ line time/L){limit:8.1f} s   ratio wall/limit {wall / limit:5.2f}")
    print(f"lines busy while work ≥ lines {utilisation:8.1%}   peak lines {dispatcher.lines.peak}")
    print(
        f"lines busy of those wanted    {efficiency:8.1%}   (a line is wanted if a due task waits)"
    )
    dispatch_cpu = cpu["dispatch"]
    steps = ", ".join(f"{k} {v:.1f}" for k, v in sorted(per_step.items(), key=lambda kv: -kv[1]))
    print(f"dispatcher CPU by step (s)    {steps}")
    share = dispatch_cpu / wall
    print(f"dispatcher CPU                {dispatch_cpu:8.1f} s  ({share:.1%} of a core)")
    print(
        f"whole process CPU             {process_cpu:8.1f} s  ({process_cpu / wall:.1%} of a core)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--cps", type=float, default=80.0)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="uvloop")
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop

        uvloop.install()
    with tempfile.TemporaryDirectory(prefix="dozvon-bench-") as workdir:
        asyncio.run(run(args, Path(workdir)))


if __name__ == "__main__":
    main()
