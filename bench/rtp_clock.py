"""Media clock benchmark: N RTP sessions over loopback inside one process.

Every session sends a 20 ms G.711 packet 50 times a second and receives (decodes) as many, like
our side of N full-duplex calls. The far end is either the process itself (`--peer pairs`:
sessions paired with each other, so the process does both ends of N/2 calls) or a real peer
(`--peer sipp`: one `sipp -rtp_echo` sends every packet back, so the process does exactly our
side of N calls, as in production). Each configuration runs in its own subprocess:

- pacer `shared`: the engine's one SharedClock walks all sessions each tick (what we ship);
- pacer `task`: the baseline, one asyncio task per session sleeping until its own absolute
  deadline and then sending through the very same per-packet code;
- loop `asyncio` (stock) and `uvloop`.

Printed per run:
- CPU of our process (user+sys, with the kernel's UDP work) as % of one core, per session, and
  per session at the full 50 packets/s (CPU per packet sent × 50: still meaningful when a busy
  machine starves the process and it falls behind);
- pacing error p50/p99/max: per session |gap between two packets − 20 ms|, the jitter the
  peer sees; and how late the shared clock's tick itself fired (p50/p99);
- packets lost in the stream, packets sent but never received over the whole run, and packets
  sent as a share of those due (below 100 % the process could not keep up).
Then ratios of each baseline against ours.

    .venv/bin/python bench/rtp_clock.py --sessions 100,500,1000 --seconds 3 --repeat 3
    .venv/bin/python bench/rtp_clock.py --peer sipp --sessions 500,1000 --seconds 3 --repeat 3

The machine is shared, so --repeat keeps the median-CPU run of each configuration.
"""

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psutil

from dozvon.media import Codec, MediaEngine, RtpSession

WARMUP_SECONDS = 1.0
CPU = "cpu_percent_per_session_per_packet"  # what the ratios compare


def _prompt(seconds: float) -> bytes:
    n = np.arange(int(8000 * seconds))
    return (6000 * np.sin(2 * np.pi * 440 * n / 8000)).astype("<i2").tobytes()


async def _drive_with_own_task(session: RtpSession, interval: float) -> None:
    """Baseline pacer: this session alone, absolute deadlines, its own asyncio task."""
    loop = asyncio.get_running_loop()
    loop_start = loop.time()
    tick = 0
    while True:
        tick += 1
        await asyncio.sleep(max(0.0, loop_start + tick * interval - loop.time()))
        session._on_tick()  # the same per-packet code the shared clock calls


@contextmanager
def sipp_echo(port: int) -> Iterator[int]:
    """A sipp process that echoes RTP arriving on `port` (no SIP call needed); yields its PID."""
    started = subprocess.run(
        ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port + 10), "-cp", str(port + 20),
         "-mi", "127.0.0.1", "-mp", str(port), "-rtp_echo", "-bg", "-nostdin"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    found = re.search(r"PID=\[(\d+)\]", started.stdout + started.stderr)
    if not found:
        raise RuntimeError(f"sipp did not start: {started.stdout} {started.stderr}")
    pid = int(found.group(1))
    try:
        yield pid
    finally:
        os.kill(pid, signal.SIGTERM)


async def _until_quiet(pool: list[RtpSession], limit: float = 5.0) -> None:
    """Let packets still queued in socket buffers arrive, so "never received" means lost."""
    received = -1
    for _ in range(int(limit / 0.1)):
        now_received = sum(s.stats.packets_received for s in pool)
        if now_received == received:
            return
        received = now_received
        await asyncio.sleep(0.1)


async def run_one(
    sessions: int, pacer: str, seconds: float, port_base: int, echo_port: int | None
) -> dict[str, Any]:
    engine = MediaEngine(port_range=(port_base, port_base + 2 * sessions + 200))
    await engine.start()
    pool = [await engine.open_session() for _ in range(sessions)]
    if echo_port is not None:
        for session in pool:
            session.set_remote("127.0.0.1", echo_port, Codec.PCMA, 101)
    else:
        for a, b in zip(pool[::2], pool[1::2], strict=True):
            a.set_remote("127.0.0.1", b.local_port, Codec.PCMA, 101)
            b.set_remote("127.0.0.1", a.local_port, Codec.PCMA, 101)
    prompt = _prompt(WARMUP_SECONDS + seconds + 2)
    for session in pool:
        session.play(prompt)
    tasks: list[asyncio.Task[None]] = []
    if pacer == "task":
        engine.clock.stop()
        tasks = [asyncio.create_task(_drive_with_own_task(s, engine.clock.interval)) for s in pool]
    await asyncio.sleep(WARMUP_SECONDS)
    for session in pool:
        session.stats.pacing_error_ms.clear()
    engine.clock.lateness_ms.clear()
    sent_before = sum(s.stats.packets_sent for s in pool)
    lost_before = sum(s.stats.lost for s in pool)
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu = time.process_time() - cpu_before
    wall = time.perf_counter() - wall_before
    sent_in_window = sum(s.stats.packets_sent for s in pool) - sent_before
    engine.clock.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await _until_quiet(pool)
    pacing = np.concatenate([np.fromiter(s.stats.pacing_error_ms, float) for s in pool])
    lateness = np.fromiter(engine.clock.lateness_ms, float) if pacer == "shared" else np.zeros(1)
    result = {
        "sessions": sessions,
        "pacer": pacer,
        "cpu_percent": 100.0 * cpu / wall,
        "cpu_percent_per_session": 100.0 * cpu / wall / sessions,
        # CPU per packet actually sent (and its echo received): robust when the machine is
        # shared and the process did not get all the CPU it wanted.
        "cpu_percent_per_session_per_packet": 100.0
        * cpu
        / (sent_in_window * engine.clock.interval),
        "pacing_p50_ms": float(np.percentile(pacing, 50)),
        "pacing_p99_ms": float(np.percentile(pacing, 99)),
        "pacing_max_ms": float(pacing.max()),
        "tick_late_p50_ms": float(np.percentile(lateness, 50)),
        "tick_late_p99_ms": float(np.percentile(lateness, 99)),
        "kept_up_percent": 100.0 * sent_in_window / (wall * sessions / engine.clock.interval),
        "lost_in_stream": sum(s.stats.lost for s in pool) - lost_before,
        "never_received": sum(s.stats.packets_sent for s in pool)
        - sum(s.stats.packets_received for s in pool),
    }
    await engine.stop()
    return result


def _child(args: argparse.Namespace) -> None:
    if args.loop == "uvloop":
        import uvloop

        uvloop.install()
    if args.peer == "sipp":
        echo_port = args.port_base - 100
        with sipp_echo(echo_port) as pid:
            time.sleep(0.3)
            peer = psutil.Process(pid)
            peer_before = sum(peer.cpu_times()[:2])
            result = asyncio.run(
                run_one(args.one, args.pacer, args.seconds, args.port_base, echo_port)
            )
            result["peer_cpu_seconds"] = sum(peer.cpu_times()[:2]) - peer_before
    else:
        result = asyncio.run(run_one(args.one, args.pacer, args.seconds, args.port_base, None))
    result["loop"] = args.loop
    print(json.dumps(result))


def _run_child(sessions: int, pacer: str, loop: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable, __file__, "--one", str(sessions), "--pacer", pacer, "--loop", loop,
        "--seconds", str(args.seconds), "--port-base", str(args.port_base), "--peer", args.peer,
    ]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def _print_row(r: dict[str, Any]) -> None:
    print(
        f"{r['sessions']:>5} {r['loop']:>7} {r['pacer']:>6} | "
        f"{r['cpu_percent']:6.1f} % {r['cpu_percent_per_session']:7.3f} % "
        f"{r['cpu_percent_per_session_per_packet']:7.3f} % | "
        f"{r['pacing_p50_ms']:5.2f} {r['pacing_p99_ms']:6.2f} {r['pacing_max_ms']:6.2f} | "
        f"{r['tick_late_p50_ms']:5.2f} {r['tick_late_p99_ms']:5.2f} | "
        f"{r['lost_in_stream']:>4} {r['never_received']:>5} | {r['kept_up_percent']:5.1f} %",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sessions", default="100,500,1000", help="comma-separated session counts")
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per run")
    parser.add_argument("--loops", default="asyncio,uvloop")
    parser.add_argument("--pacers", default="shared,task")
    parser.add_argument("--port-base", type=int, default=40000)
    parser.add_argument("--peer", choices=("pairs", "sipp"), default="pairs")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per configuration; the median-CPU run is kept"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--pacer", default="shared", help=argparse.SUPPRESS)
    parser.add_argument("--loop", default="asyncio", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _child(args)
        return
    print("    N    loop  pacer |  CPU core /session /sess@50pps | pacing p50   p99    max ms"
          " | tick p50   p99 | lost unrecv | sent/due")  # fmt: skip
    results: dict[tuple[int, str, str], dict[str, Any]] = {}
    for sessions in (int(n) for n in args.sessions.split(",")):
        for loop in args.loops.split(","):
            for pacer in args.pacers.split(","):
                runs = [_run_child(sessions, pacer, loop, args) for _ in range(args.repeat)]
                result = sorted(runs, key=lambda r: r["cpu_percent"])[len(runs) // 2]
                results[(sessions, loop, pacer)] = result
                _print_row(result)
    print("\nratios (baseline / ours; >1 means ours is better; CPU per packet sent)")
    for (sessions, loop, pacer), r in results.items():
        if pacer == "shared" and (task := results.get((sessions, loop, "task"))):
            print(
                f"{sessions:>5} {loop:>7}: task-per-session / shared clock: "
                f"CPU {task[CPU] / r[CPU]:.2f}x, "
                f"pacing p99 {task['pacing_p99_ms'] / max(r['pacing_p99_ms'], 1e-3):.2f}x"
            )
        if loop == "uvloop" and (stock := results.get((sessions, "asyncio", pacer))):
            print(
                f"{sessions:>5} {pacer:>7}: stock asyncio / uvloop: "
                f"CPU {stock[CPU] / r[CPU]:.2f}x, "
                f"pacing p99 {stock['pacing_p99_ms'] / max(r['pacing_p99_ms'], 1e-3):.2f}x"
            )


if __name__ == "__main__":
    main()
