"""MIS sync benchmark: 100,000 appointments from MariaDB and from a CSV file, into the store.

For each source three runs (four for CSV), each in its own subprocess so peak memory is clean:

- `raw`: the bare driver reading the same rows (pymysql's unbuffered SSCursor; csv.reader
  over the decoded file), the floor nothing can beat;
- `ours`: the connector through `Source.fetch`, i.e. streaming, mapping every field (dates in
  the clinic's zone, phones to E.164, services split), duplicate-id check, `Appointment`s out;
- `floor` (CSV only): csv.reader plus building each row's `Patient` and `Appointment` from
  values converted in advance, the least any Python `Source` of the file can do;
- `store`: the whole `dozvon sync`: `campaign.sync.sync_campaign` into a fresh SQLite store
  (upsert, tasks, audit). It runs over `--store-rows` rows (its own table and file) and is
  compared per row. With `--store-url postgresql://postgres@127.0.0.1:5432/postgres` the store
  is PostgreSQL instead: each run creates and drops its own database on that server.

Printed: rows/s, wall seconds (median of --repeat), peak RSS growth over the process after
imports and setup, and per source the ratios against raw in time per row. The issue's goal is
`ours` within 2× of raw.

    .venv/bin/python bench/mis_sync.py --rows 100000 --repeat 5

Needs the local MariaDB (root, no password, 127.0.0.1:3306); it creates and drops its own
database `dozvon_bench_mis`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pymysql
import pymysql.cursors
from sqlalchemy.engine import make_url

from dozvon.campaign.sync import sync_campaign
from dozvon.core.appointment import Appointment, Branch, Doctor, Patient
from dozvon.mis.base import Window
from dozvon.mis.config import load, open_connector
from dozvon.mis.source import Connector
from dozvon.store import Store, upgrade

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
SMALL = "visits_store"
"""The table (and CSV) of the `store` runs."""


def select(table: str) -> str:
    """The admin's SELECT; `table` is one of this script's own constants."""
    columns = "visit_id, fio, tel, visit_at, doctor, specialty, services"
    return (
        f"SELECT {columns} FROM {table} "  # noqa: S608
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


def prepare_mariadb(tables: dict[str, list[tuple[Any, ...]]]) -> None:
    conn = pymysql.connect(host="127.0.0.1", user="root", charset="utf8mb4", autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        cur.execute(f"CREATE DATABASE {DATABASE}")
        cur.execute(f"USE {DATABASE}")
        for table, data in tables.items():
            cur.execute(
                f"CREATE TABLE {table} (visit_id INT PRIMARY KEY, fio VARCHAR(100), "
                "tel VARCHAR(40), visit_at DATETIME, doctor VARCHAR(100), "
                "specialty VARCHAR(50), services VARCHAR(200), KEY (visit_at))"
            )
            for start in range(0, len(data), 5000):
                cur.executemany(
                    f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
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
# A run is set up first (imports, an empty store), then the callable it returns is timed.

Run = Callable[[], int]


def raw_mariadb(_: Path) -> Run:
    def run() -> int:
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

    return run


def raw_csv(path: Path) -> Run:
    def run() -> int:
        count = 0
        with path.open(encoding="cp1251", newline="") as handle:
            reader = csv.reader(handle, delimiter=";")
            next(reader)
            for _row in reader:
                count += 1
        return count

    return run


def floor_csv(path: Path) -> Run:
    """csv.reader plus the two objects a row must become (`Patient`, `Appointment`), with every
    value already converted: the least any `Source` of a CSV file can do in Python."""
    start = DAY.replace(hour=9, tzinfo=ZoneInfo("Europe/Moscow"))
    doctor, phones, services = Doctor("Петров П. П.", "терапевт"), ("+79161234567",), ("ЭКГ",)

    def run() -> int:
        count = 0
        with path.open(encoding="cp1251", newline="") as handle:
            reader = csv.reader(handle, delimiter=";")
            next(reader)
            for fields in reader:
                patient = Patient(fields[1], phones, None, False, True)
                Appointment(fields[0], "bench", patient, start, doctor, services, BRANCH)
                count += 1
        return count

    return run


BRANCH = Branch()


def window() -> Window:
    zone = ZoneInfo("Europe/Moscow")
    return Window(DAY.replace(tzinfo=zone), (DAY + timedelta(days=1)).replace(tzinfo=zone))


def connector(source: dict[str, Any]) -> Connector:
    return open_connector(load({"name": "bench", "source": source, "mapping": MAPPING}))


def ours(source: dict[str, Any]) -> Run:
    mis = connector(source)

    async def fetch() -> int:
        count = 0
        async for item in mis.fetch(window()):
            if not isinstance(item, Appointment):
                raise SystemExit(f"unexpected row error: {item}")
            count += 1
        await mis.aclose()
        return count

    return lambda: asyncio.run(fetch())


STORE_URL = os.environ.get("DOZVON_BENCH_STORE_URL", "")
"""The PostgreSQL server of `--store-url`, handed to the children; empty for SQLite."""


def into_store(source: dict[str, Any]) -> Run:
    mis = connector(source)
    folder = tempfile.TemporaryDirectory()  # removed when the child exits
    url = f"sqlite:///{Path(folder.name) / 'dozvon.sqlite'}"
    database = f"dozvon_bench_store_{os.getpid()}"
    if STORE_URL:
        url = str(make_url(STORE_URL).set(database=database))
        pg_admin(f'CREATE DATABASE "{database}"')
    store = Store(url)
    upgrade(store.engine)

    async def sync() -> int:
        now = datetime(2026, 11, 26, 9, tzinfo=UTC)
        report = await sync_campaign(store, mis, "bench", window(), now)
        await mis.aclose()
        store.dispose()
        folder.cleanup()
        if STORE_URL:
            pg_admin(f'DROP DATABASE IF EXISTS "{database}"')
        if report.errors:
            raise SystemExit(f"unexpected row error: {report.errors[0]}")
        return report.appointments

    return lambda: asyncio.run(sync())


def pg_admin(statement: str) -> None:
    """CREATE/DROP DATABASE of a name this script made up (they take no parameters)."""
    admin = make_url(STORE_URL).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(statement.encode())


def mariadb_source(table: str) -> dict[str, Any]:
    url = f"mysql+pymysql://root@127.0.0.1:3306/{DATABASE}?charset=utf8mb4"
    return {"kind": "sql", "url": url, "select": select(table)}


def csv_source(path: Path) -> dict[str, Any]:
    return {"kind": "csv", "path": str(path), "results": "none"}


RUNS: dict[str, Callable[[Path], Run]] = {
    "mariadb/raw": raw_mariadb,
    "mariadb/ours": lambda _: ours(mariadb_source("visits")),
    "mariadb/store": lambda _: into_store(mariadb_source(SMALL)),
    "csv/raw": raw_csv,
    "csv/floor": floor_csv,
    "csv/ours": lambda path: ours(csv_source(path)),
    "csv/store": lambda path: into_store(csv_source(path.with_name(f"{SMALL}.csv"))),
}


def child(name: str, path: Path) -> None:
    run = RUNS[name](path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    count = run()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": count, "seconds": seconds, "peak_kb": peak - before}))


def measure(name: str, path: Path, repeat: int) -> dict[str, float]:
    results: list[dict[str, float]] = []
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
    parser.add_argument("--store-rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store-url", help="PostgreSQL server for the store runs")
    parser.add_argument("--child")
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.path)
        return
    if args.store_url:
        os.environ["DOZVON_BENCH_STORE_URL"] = args.store_url
    data, small = rows(args.rows), rows(args.store_rows)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "visits.csv"
        prepare_csv(data, csv_path)
        prepare_csv(small, csv_path.with_name(f"{SMALL}.csv"))
        prepare_mariadb({"visits": data, SMALL: small})
        try:
            results = {name: measure(name, csv_path, args.repeat) for name in RUNS}
        finally:
            drop_mariadb()
    into = "PostgreSQL" if args.store_url else "SQLite"
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; median of {args.repeat}")
    print(f"store runs: {args.store_rows} rows into {into}")
    print(f"{'run':<15}{'rows':>9}{'seconds':>9}{'rows/s':>10}{'peak MB':>9}")
    for name, r in results.items():
        print(
            f"{name:<15}{r['rows']:>9}{r['seconds']:>9.2f}{rate(r):>10.0f}"
            f"{r['peak_kb'] / 1024:>9.1f}"
        )
    for source in ("mariadb", "csv"):
        raw = results[f"{source}/raw"]
        for run in ("floor", "ours", "store"):
            mine = results.get(f"{source}/{run}")
            if mine is None:
                continue
            print(
                f"{source}/{run}: time per row ×{rate(raw) / rate(mine):.2f} of raw, "
                f"peak memory +{(mine['peak_kb'] - raw['peak_kb']) / 1024:.1f} MB"
            )


def rate(result: dict[str, float]) -> float:
    return result["rows"] / result["seconds"]


if __name__ == "__main__":
    main()
