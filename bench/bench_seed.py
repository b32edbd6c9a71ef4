"""Seeding N leads with seed.py against raw sqlite3 `executemany` of the same rows.

    .venv/bin/python bench/bench_seed.py --scale 1000000 [--repeats 1]

For each repeat: `seeding.seed(leads=N)` runs on a fresh SQLite file (timed whole:
generating the rows, the bulk writes, the demo part through the model services,
ANALYZE). The anchor then copies exactly the rows that seed wrote, table by table,
into a second fresh file with the same schema, indexes, search triggers and
connection settings (the page cache seed.py uses while bulk writing), using the
standard library's sqlite3 `executemany` in one transaction; only the
`executemany` calls and the commit are timed, not reading the rows back. Prints
both medians and the RATIO (target: at most 2x).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models
from models import seeding

CHUNK = 20_000


def tables_in_order(conn: sqlite3.Connection) -> list[str]:
    """Tables with their rows, parents first (the order seed writes them in)."""
    order = ["user", "user_key", "setting", "account", "contact", "lead", "opportunity"]
    order += ["note", "audit_event"]
    order += ["qualifying_process", "process_level", "process_activity"]
    order += ["lead_process", "lead_activity"]
    present = {
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT GLOB '*_fts*' AND name <> 'schema_migration'"
        )
    }
    return [t for t in order if t in present] + sorted(present - set(order))


def run_seed(
    path: Path, leads: int, accounts: int | None, contacts: int | None
) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one seed."""
    models.open_database(f"sqlite:///{path}")
    try:
        started, cpu = time.perf_counter(), time.process_time()
        seeding.seed(leads, accounts=accounts, contacts=contacts)
        return time.perf_counter() - started, time.process_time() - cpu
    finally:
        models.close_database()


def run_anchor(source: Path, target: Path) -> tuple[float, float, int]:
    """Copy every row of `source` into a fresh `target` with raw executemany."""
    models.open_database(f"sqlite:///{target}")  # the same migrated schema, empty
    models.close_database()
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode = wal", "foreign_keys = 1", "synchronous = normal"):
        dst.execute(f"PRAGMA {pragma}")
    dst.execute("PRAGMA busy_timeout = 30000")
    dst.execute(f"PRAGMA cache_size = -{seeding.BULK_CACHE_KIB}")  # as models.seeding's bulk writes
    rows_copied = 0
    timed = cpu = 0.0
    dst.execute("BEGIN IMMEDIATE")
    for table in tables_in_order(src):
        cursor = src.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
        columns = [d[0] for d in cursor.description]
        sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
            table, ", ".join(f'"{c}"' for c in columns), ", ".join("?" * len(columns))
        )
        while rows := cursor.fetchmany(CHUNK):
            started, cpu_started = time.perf_counter(), time.process_time()
            dst.executemany(sql, rows)
            timed += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
            rows_copied += len(rows)
    started, cpu_started = time.perf_counter(), time.process_time()
    dst.execute("COMMIT")
    dst.execute("PRAGMA analysis_limit = 1000")  # as seed.py does
    dst.execute("ANALYZE")
    timed += time.perf_counter() - started
    cpu += time.process_time() - cpu_started
    src.close()
    dst.close()
    return timed, cpu, rows_copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=1_000_000, help="leads (default 1,000,000)")
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument("--contacts", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--dir", default=None, help="where the temporary databases go")
    args = parser.parse_args(argv)
    seeded, anchored, seeded_cpu, anchored_cpu = [], [], [], []
    rows = 0
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            source, target = Path(tmp) / "seeded.db", Path(tmp) / "anchor.db"
            wall, cpu = run_seed(source, args.scale, args.accounts, args.contacts)
            seeded.append(wall)
            seeded_cpu.append(cpu)
            wall, cpu, rows = run_anchor(source, target)
            anchored.append(wall)
            anchored_cpu.append(cpu)
        print(
            f"repeat {repeat + 1}: seed {seeded[-1]:.2f} s (CPU {seeded_cpu[-1]:.2f} s), "
            f"raw executemany {anchored[-1]:.2f} s (CPU {anchored_cpu[-1]:.2f} s)",
            flush=True,
        )
    seed_s, anchor_s = statistics.median(seeded), statistics.median(anchored)
    seed_cpu, anchor_cpu = statistics.median(seeded_cpu), statistics.median(anchored_cpu)
    print(f"leads: {args.scale:,}; rows written in all tables: {rows:,}")
    print(f"seed.py (median of {args.repeats}): {seed_s:.2f} s wall, {seed_cpu:.2f} s CPU")
    print(
        f"raw sqlite3 executemany of the same rows (median): {anchor_s:.2f} s wall, "
        f"{anchor_cpu:.2f} s CPU"
    )
    print(f"RATIO seed / raw executemany: {seed_s / anchor_s:.2f}x wall (target <= 2x)")
    print(f"RATIO (CPU time): {seed_cpu / anchor_cpu:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
