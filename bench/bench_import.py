"""Importing N CSV rows with duplicate checking against raw sqlite3 `executemany`.

    .venv/bin/python bench/bench_import.py --rows 1000000 [--repeats 3]

For each repeat, in a child process (so that its peak memory is its own):
`models.importing.import_leads` reads a generated CSV file of N rows (5% of them
repeat an earlier row's email, so the within-file check has work to do) into a
fresh SQLite file with the `skip` policy; it is timed whole (reading the file,
validation, keys, the set-based duplicate lookups, the inserts, the commits).
The anchor then writes exactly the rows the import stored, read back from the
lead table, into a second fresh file with the same schema, indexes, search
triggers and connection settings, with the standard library's sqlite3
`executemany` in one transaction; only the `executemany` calls and the commit are
timed. Prints both medians and the RATIO (target: at most 2x), and the import's
peak memory at N/10 and at N rows (streamed: about the same).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CHUNK = 20_000
FIRST = ["Nancy", "Bob", "Zoë", "Jean", "Marie", "Ann", "Ben", "Yvonne", "Björn", "Li"]
LAST = ["Anderson", "Smith", "Müller", "Dupont", "Curie", "Lee", "McKay", "Ångström", "Wang"]
KIND = ["Ltd", "Inc.", "GmbH", "LLC", "SARL", "AB"]
CITIES = ["Redmond", "Seattle", "Paris", "Berlin", "Stockholm", "Shanghai"]


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            "Topic,First Name,Last Name,Job Title,Business Phone,Email,Company Name,Website,"
            "City,Rating,Lead Source,Budget Amount\r\n"
        )
        for i in range(rows):
            n = rng.randrange(i) if i > 20 and rng.random() < 0.05 else i
            company = f"Company {n % 50_000} {KIND[n % len(KIND)]}"
            handle.write(
                f"Interest {i} in chairs,{FIRST[n % 10]},{LAST[n % 9]}{n},Buyer,"
                f"+1 206 {200 + n % 700:03d} {n % 10_000:04d},user{n}@example{n % 5000}.com,"
                f'"{company}",www.example{n % 5000}.com,{CITIES[n % 6]},Hot,Trade Show,'
                f"{(n % 900) * 100}.00\r\n"
            )


def child_import(csv_path: str, db_path: str) -> None:
    import models
    from models.importing import import_leads

    models.open_database(f"sqlite:///{db_path}")
    user = models.create_user("bench", "Bench", models.Role.SYSTEM_ADMINISTRATOR)
    started, cpu = time.perf_counter(), time.process_time()
    reject_path = Path(db_path).with_suffix(".rejects.csv")  # a file, as `leadq import` writes
    with open(csv_path, "rb") as handle, reject_path.open("w", newline="") as reject:
        summary = import_leads(user, handle, csv_path, policy="skip", reject=reject)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    models.close_database()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "peak_mib": peak,
                "created": summary.created,
                "skipped": summary.skipped,
                "rejected": summary.rejected,
            }
        )
    )


def run_import(csv_path: Path, db_path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(csv_path), str(db_path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_anchor(imported: Path, fresh: Path) -> tuple[float, float]:
    """(wall, CPU) seconds for raw executemany of the imported lead rows into a fresh file."""
    import models

    models.open_database(f"sqlite:///{fresh}")  # the same migrations: schema and indexes
    models.close_database()
    source = sqlite3.connect(imported)
    columns = [row[1] for row in source.execute("PRAGMA table_info(lead)")]
    rows = source.execute(f"SELECT {', '.join(columns)} FROM lead ORDER BY id").fetchall()
    batches = source.execute("SELECT * FROM import_batch").fetchall()
    users = source.execute("SELECT * FROM user").fetchall()
    source.close()
    conn = sqlite3.connect(fresh, isolation_level=None)
    for pragma in ("journal_mode=wal", "foreign_keys=1", "synchronous=normal", "cache_size=-32000"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO user VALUES ({', '.join('?' * len(users[0]))})", users)
    conn.executemany(
        f"INSERT INTO import_batch VALUES ({', '.join('?' * len(batches[0]))})", batches
    )
    conn.execute("COMMIT")
    sql = f"INSERT INTO lead ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    started, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN")
    for start in range(0, len(rows), CHUNK):
        conn.executemany(sql, rows[start : start + CHUNK])
    conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return elapsed, cpu


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child_import(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", help="where the files go (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        work = Path(tmp)
        csv_path, small_csv = work / "leads.csv", work / "small.csv"
        write_csv(csv_path, args.rows)
        write_csv(small_csv, max(args.rows // 10, 1))
        print(f"{args.rows:,} rows, {csv_path.stat().st_size / 2**20:,.0f} MiB of CSV")
        imports, anchors = [], []
        for repeat in range(args.repeats):
            db, fresh = work / f"import{repeat}.db", work / f"anchor{repeat}.db"
            result = run_import(csv_path, db)
            anchor, anchor_cpu = run_anchor(db, fresh)
            imports.append(result)
            anchors.append((anchor, anchor_cpu))
            print(
                f"  run {repeat + 1}: import {result['wall']:.1f} s wall ({result['cpu']:.1f} s "
                f"CPU; created {result['created']:,}, skipped {result['skipped']:,}, rejected "
                f"{result['rejected']:,}; peak {result['peak_mib']} MiB), raw executemany "
                f"{anchor:.1f} s wall ({anchor_cpu:.1f} s CPU)"
            )
            for leftover in work.glob("*.db*"):
                leftover.unlink()
            db.with_suffix(".rejects.csv").unlink(missing_ok=True)
        small = run_import(small_csv, work / "small.db")
        wall = statistics.median(r["wall"] for r in imports)
        cpu = statistics.median(r["cpu"] for r in imports)
        anchor = statistics.median(a[0] for a in anchors)
        anchor_cpu = statistics.median(a[1] for a in anchors)
        print(
            f"import median {wall:.1f} s wall, {cpu:.1f} s CPU; raw sqlite3 executemany "
            f"median {anchor:.1f} s wall, {anchor_cpu:.1f} s CPU"
        )
        print(f"RATIO {wall / anchor:.2f}x wall, {cpu / anchor_cpu:.2f}x CPU (target: at most 2x)")
        big_peak = statistics.median(r["peak_mib"] for r in imports)
        print(
            f"peak memory: {small['peak_mib']} MiB at {max(args.rows // 10, 1):,} rows, "
            f"{big_peak:.0f} MiB at {args.rows:,} rows (streamed: flat)"
        )


if __name__ == "__main__":
    main()
