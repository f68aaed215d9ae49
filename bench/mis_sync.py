"""MIS sync benchmark: 100,000 appointments from MariaDB and from a CSV file.

For each source two runs, each in its own subprocess so peak memory is clean:

- `raw`: the bare driver reading the same rows (pymysql's unbuffered SSCursor; csv.reader
  over the decoded file), the floor nothing can beat;
- `ours`: the connector through `Source.fetch`, i.e. streaming, mapping every field (dates in
  the clinic's zone, phones to E.164, services split), duplicate-id check, `Appointment`s out.

Printed: rows/s, wall seconds, peak RSS growth over the process after imports, and the ratios
ours/raw. The goal is within 2× of raw in time.

    .venv/bin/python bench/mis_sync.py --rows 100000 --repeat 3

Needs the local MariaDB (root, no password, 127.0.0.1:3306); it creates and drops its own
database `dozvon_bench_mis`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pymysql
import pymysql.cursors

DATABASE = "dozvon_bench_mis"
DAY = datetime(2026, 11, 27)
SURNAMES = ["Иванова", "Петров", "Сидорова", "Смирнов", "Кузнецова", "Попов", "Васильева"]
NAMES = ["Анна Петровна", "Иван Сергеевич", "Мария Олеговна", "Олег Иванович"]
SERVICES = ["ЭКГ", "УЗИ брюшной полости", "Консультация терапевта", "Анализ крови", "МРТ"]
MOBILE_CODES = ["903", "905", "915", "916", "926", "977", "985"]
COLUMNS = ["visit_id", "fio", "tel", "visit_at", "doctor", "specialty", "services"]
MAPPING: dict[str, Any] = {
    "timezone": "Europe/Moscow",
    "fields": {
        "external_id": "visit_id",
        "patient.name": "fio",
        "patient.phones": "tel",
        "start": {"column": "visit_at", "formats": ["%d.%m.%Y %H:%M"]},
        "doctor.name": "doctor",
        "doctor.specialty": "specialty",
        "services": "services",
    },
}
SELECT = (
    "SELECT visit_id, fio, tel, visit_at, doctor, specialty, services FROM visits "
    "WHERE visit_at >= :window_start AND visit_at < :window_end"
)


def rows(count: int) -> list[tuple[Any, ...]]:
    rng = random.Random(7)
    out = []
    for i in range(1, count + 1):
        code, number = rng.choice(MOBILE_CODES), rng.randrange(10**6, 10**7)
        phone = f"8 {code} {number}"
        if i % 3 == 0:
            digits = str(number)
            phone = f"+7 ({code}) {digits[:3]}-{digits[3:5]}-{digits[5:]}"
        out.append(
            (
                i,
                f"{rng.choice(SURNAMES)} {rng.choice(NAMES)}",
                phone,
                DAY + timedelta(minutes=8 * 60 + rng.randrange(0, 12 * 60)),
                f"{rng.choice(SURNAMES)} {rng.choice(NAMES)}",
                "терапевт",
                "; ".join(rng.sample(SERVICES, 2)),
            )
        )
    return out


def prepare_mariadb(data: list[tuple[Any, ...]]) -> None:
    conn = pymysql.connect(host="127.0.0.1", user="root", charset="utf8mb4", autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        cur.execute(f"CREATE DATABASE {DATABASE}")
        cur.execute(f"USE {DATABASE}")
        cur.execute(
            "CREATE TABLE visits (visit_id INT PRIMARY KEY, fio VARCHAR(100), tel VARCHAR(40), "
            "visit_at DATETIME, doctor VARCHAR(100), specialty VARCHAR(50), "
            "services VARCHAR(200), KEY (visit_at))"
        )
        for start in range(0, len(data), 5000):
            cur.executemany(
                "INSERT INTO visits VALUES (%s, %s, %s, %s, %s, %s, %s)",
                data[start : start + 5000],
            )
    conn.close()


def prepare_csv(data: list[tuple[Any, ...]], path: Path) -> None:
    with path.open("w", encoding="cp1251", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(COLUMNS)
        for row in data:
            writer.writerow([*row[:3], row[3].strftime("%d.%m.%Y %H:%M"), *row[4:]])


def drop_mariadb() -> None:
    conn = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    conn.close()


# -- the measured runs (each in a child process) ---------------------------------------------


def raw_mariadb(_: Path) -> int:
    conn = pymysql.connect(
        host="127.0.0.1",
        user="root",
        database=DATABASE,
        charset="utf8mb4",
        cursorclass=pymysql.cursors.SSCursor,
    )
    count = 0
    with conn.cursor() as cur:
        cur.execute(
            "SELECT visit_id, fio, tel, visit_at, doctor, specialty, services FROM visits "
            "WHERE visit_at >= %s AND visit_at < %s",
            (DAY, DAY + timedelta(days=1)),
        )
        for _row in cur:
            count += 1
    conn.close()
    return count


def raw_csv(path: Path) -> int:
    count = 0
    with path.open(encoding="cp1251", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        for _row in reader:
            count += 1
    return count


def ours(source: dict[str, Any]) -> int:
    from dozvon.core.appointment import Appointment
    from dozvon.mis.base import Window
    from dozvon.mis.config import load, open_connector

    connector = open_connector(load({"name": "bench", "source": source, "mapping": MAPPING}))
    zone = ZoneInfo("Europe/Moscow")
    window = Window(DAY.replace(tzinfo=zone), (DAY + timedelta(days=1)).replace(tzinfo=zone))

    async def run() -> int:
        count = 0
        async for item in connector.fetch(window):
            if not isinstance(item, Appointment):
                raise SystemExit(f"unexpected row error: {item}")
            count += 1
        await connector.aclose()
        return count

    return asyncio.run(run())


def ours_mariadb(_: Path) -> int:
    url = f"mysql+pymysql://root@127.0.0.1:3306/{DATABASE}?charset=utf8mb4"
    return ours({"kind": "sql", "url": url, "select": SELECT})


def ours_csv(path: Path) -> int:
    return ours({"kind": "csv", "path": str(path), "results": "none"})


RUNS = {
    "mariadb/raw": raw_mariadb,
    "mariadb/ours": ours_mariadb,
    "csv/raw": raw_csv,
    "csv/ours": ours_csv,
}


def child(name: str, path: Path) -> None:
    import dozvon.mis.files.csvfile
    import dozvon.mis.sql  # noqa: F401

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    count = RUNS[name](path)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": count, "seconds": seconds, "peak_kb": peak - before}))


def measure(name: str, path: Path, repeat: int) -> dict[str, float]:
    results = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--child", name, "--path", str(path)],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
        results.append(json.loads(out.stdout))
    best = sorted(results, key=lambda r: r["seconds"])[len(results) // 2]
    best["peak_kb"] = statistics.median(r["peak_kb"] for r in results)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child")
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.path)
        return
    data = rows(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "worklist.csv"
        prepare_csv(data, csv_path)
        prepare_mariadb(data)
        try:
            results = {name: measure(name, csv_path, args.repeat) for name in RUNS}
        finally:
            drop_mariadb()
    print(f"{'run':<14}{'rows':>9}{'seconds':>9}{'rows/s':>10}{'peak MB':>9}")
    for name, r in results.items():
        rate = r["rows"] / r["seconds"]
        print(
            f"{name:<14}{r['rows']:>9}{r['seconds']:>9.2f}{rate:>10.0f}{r['peak_kb'] / 1024:>9.1f}"
        )
    for source in ("mariadb", "csv"):
        raw, mine = results[f"{source}/raw"], results[f"{source}/ours"]
        print(
            f"{source}: ours/raw time ×{mine['seconds'] / raw['seconds']:.2f}, "
            f"peak memory +{(mine['peak_kb'] - raw['peak_kb']) / 1024:.1f} MB"
        )


if __name__ == "__main__":
    main()
