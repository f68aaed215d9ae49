"""N concurrent calls to sipp through our SIP stack: CPU per call, pacing, loss, setup rate.

Each call is answered by sipp at once (`sip_load_uas.xml`), gets one RFC 4733 digit, and carries
audio both ways: we send 50 packets a second, sipp echoes them back (-rtp_echo). Calls are spread
over one sipp per 250 calls, since a sipp echoes through one socket. The same run is
made under the stock asyncio loop and under uvloop, each in a fresh process, so the table shows
the ratio against that baseline.

    .venv/bin/python bench/sip_load.py --calls 100 500 1000 --loops asyncio uvloop
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from dozvon.media import MediaEngine
from dozvon.sip.call import Call
from dozvon.sip.rtp_media import EngineMedia
from dozvon.sip.ua import UaConfig, UserAgent

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# ---- the measured process ----


def our_udp_drops() -> int:
    """Datagrams the kernel dropped on this process's UDP sockets (full receive buffers):
    tells our own loss apart from loss on sipp's single echo socket."""
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    drops = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    drops += int(fields[-1])
    return drops


async def one_call(ua: UserAgent, target: str, hang_up: asyncio.Event) -> tuple[Call, bool, str]:
    call = await ua.dial(target, ring_timeout=30)
    answered = await call.wait_answered()
    digit = await call.collect_digits(1, timeout=20) if answered else ""
    await hang_up.wait()
    await call.hangup()
    return call, answered, digit


async def measure(
    calls: int, targets: list[str], cps: float, window: float, base: int
) -> dict[str, Any]:
    engine = MediaEngine("127.0.0.1", (base, base + 2 * calls + 400))
    await engine.start()
    ua = UserAgent(UaConfig(port=0), media=EngineMedia(engine))
    await ua.start()
    hang_up = asyncio.Event()
    started = time.perf_counter()
    tasks = []
    for number in range(calls):
        target = targets[number % len(targets)]
        tasks.append(asyncio.create_task(one_call(ua, target, hang_up)))
        await asyncio.sleep(1 / cps)
    while sum(1 for s in engine.sessions if s.remote_address) < calls:
        await asyncio.sleep(0.05)
        if time.perf_counter() - started > 60:
            break
    setup_seconds = time.perf_counter() - started
    await asyncio.sleep(2.0)  # let every digit arrive and the echo settle
    sessions = list(engine.sessions)
    for session in sessions:
        session.stats.pacing_error_ms.clear()
    lost_before = sum(s.stats.lost for s in sessions)
    received_before = sum(s.stats.packets_received for s in sessions)
    sent_before = sum(s.stats.packets_sent for s in sessions)
    skipped_before = engine.clock.skipped
    drops_before = our_udp_drops()
    process = psutil.Process()
    cpu_before = process.cpu_times()
    wall_before = time.perf_counter()
    await asyncio.sleep(window)
    cpu_after = process.cpu_times()
    wall = time.perf_counter() - wall_before
    cpu = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / wall
    pacing = [value for s in sessions for value in s.stats.pacing_error_ms]
    lost = sum(s.stats.lost for s in sessions) - lost_before
    received = sum(s.stats.packets_received for s in sessions) - received_before
    our_drops = our_udp_drops() - drops_before
    sent = sum(s.stats.packets_sent for s in sessions) - sent_before
    skipped = engine.clock.skipped - skipped_before
    hang_up.set()
    results = await asyncio.gather(*tasks)
    await ua.stop()
    await engine.stop()
    return {
        "calls": calls,
        "answered": sum(1 for _, answered, _ in results if answered),
        "digits": sum(1 for _, _, digit in results if digit == "1"),
        "cpu_percent": round(100 * cpu, 1),
        "cpu_per_call": round(100 * cpu / calls, 3),
        "pacing_p50_ms": round(percentile(pacing, 0.50), 2),
        "pacing_p99_ms": round(percentile(pacing, 0.99), 2),
        "pacing_max_ms": round(max(pacing, default=float("nan")), 2),
        "sent_pps": round(sent / wall),
        "received_pps": round(received / wall),
        "skipped_ticks": skipped,
        "lost": lost,
        "our_drops": our_drops,
        "setup_rate": round(calls / setup_seconds, 1),
        "sessions": len(sessions),
    }


def worker(args: argparse.Namespace) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    targets = args.target.split(",")
    coroutine = measure(args.calls[0], targets, args.cps, args.window, args.rtp_base)
    if args.loop == "uvloop":
        import uvloop

        result = uvloop.run(coroutine)
    else:
        result = asyncio.run(coroutine)
    print(json.dumps(result))


# ---- the driver ----


def start_callees(calls: int, per_callee: int) -> list[tuple[subprocess.Popen[bytes], int]]:
    """Enough sipp callees that none echoes more than `per_callee` calls: one sipp echoes all
    its calls through a single socket, whose receive buffer overflows first."""
    callees = []
    for share in range(0, calls, per_callee):
        port, media_port = free_port(), free_port()
        process = subprocess.Popen(
            ["sipp", "-sf", str(HERE / "sip_load_uas.xml"), "-i", "127.0.0.1", "-p", str(port),
             "-mi", "127.0.0.1", "-mp", str(media_port), "-rtp_echo", "-nostdin",
             "-m", str(min(per_callee, calls - share))],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        callees.append((process, port))
    time.sleep(0.5)
    return callees


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def run_one(
    calls: int, loop: str, cps: float, window: float, rtp_base: int, per_callee: int
) -> dict[str, Any]:
    callees = start_callees(calls, per_callee)
    watched = [psutil.Process(process.pid) for process, _ in callees]
    sipp_before = cpu_seconds(watched)
    sipp_wall = time.perf_counter()
    targets = ",".join(f"sip:load@127.0.0.1:{port}" for _, port in callees)
    try:
        completed = subprocess.run(
            [sys.executable, __file__, "--worker", "--loop", loop, "--calls", str(calls),
             "--target", targets, "--cps", str(cps), "--window", str(window),
             "--rtp-base", str(rtp_base)],
            capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
        sipp_seconds = cpu_seconds(watched) - sipp_before
        result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
        result["sipp_cpu_percent_avg"] = round(
            100 * sipp_seconds / (time.perf_counter() - sipp_wall), 1
        )
    finally:
        for process, _ in callees:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
                process.wait(5)
    result["loop"] = loop
    result["callees"] = len(callees)
    return result


COLUMNS = [
    ("calls", "calls"), ("loop", "loop"), ("answered", "answered"), ("digits", "digits"),
    ("cpu_percent", "CPU %"), ("cpu_per_call", "%/call"), ("pacing_p50_ms", "p50 ms"),
    ("pacing_p99_ms", "p99 ms"), ("pacing_max_ms", "max ms"), ("lost", "lost (echo)"),
    ("our_drops", "our drops"),
    ("sent_pps", "tx pps"), ("received_pps", "rx pps"), ("skipped_ticks", "skipped ticks"),
    ("setup_rate", "setup/s"), ("sipp_cpu_percent_avg", "sipp %"),
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--loops", nargs="+", default=["asyncio", "uvloop"])
    parser.add_argument("--cps", type=float, default=200.0, help="calls started per second")
    parser.add_argument("--window", type=float, default=5.0, help="seconds measured")
    parser.add_argument("--rtp-base", type=int, default=20000, help="first RTP port we use")
    parser.add_argument(
        "--per-callee", type=int, default=250, help="calls per sipp callee (one echo socket each)"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--loop", default="asyncio", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    rows = []
    for calls in args.calls:
        for loop in args.loops:
            row = run_one(calls, loop, args.cps, args.window, args.rtp_base, args.per_callee)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    print("| " + " | ".join(title for _, title in COLUMNS) + " | CPU vs asyncio |")
    print("|" + "---|" * (len(COLUMNS) + 1))
    baseline = {r["calls"]: r["cpu_percent"] for r in rows if r["loop"] == "asyncio"}
    for row in rows:
        ratio = row["cpu_percent"] / baseline[row["calls"]] if baseline.get(row["calls"]) else None
        cells = [str(row[key]) for key, _ in COLUMNS]
        cells.append(f"{ratio:.2f}×" if ratio else "—")
        print("| " + " | ".join(cells) + " |")
    print(f"\nmedian CPU per call: {statistics.median(r['cpu_per_call'] for r in rows):.3f} %")


if __name__ == "__main__":
    main()
