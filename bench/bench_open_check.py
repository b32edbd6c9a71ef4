"""What the start-up integrity check costs: `PRAGMA quick_check` against reading the file.

    .venv/bin/python bench/bench_open_check.py --scale 50000 [--repeats 5] [--db PATH]

On a file seeded with N leads (or the one --db names), each repeat times, in turn:

- the anchor: reading the whole file sequentially (1 MiB reads, page cache warm),
  the least any check that looks at every page can cost;
- `PRAGMA quick_check` on its own connection, as `models.opening.quick_check` runs
  it (without the time limit);
- `PRAGMA integrity_check` (what quick_check leaves out: index contents against
  their tables), for comparison;
- `models.opening.check_sqlite_file` as `open_database` runs it (header, size,
  permissions and the quick_check bounded by QUICK_CHECK_SECONDS).

Prints medians, the check's speed in MB/s, how large a file the start-up budget
covers in full, and the RATIO of quick_check to the plain read. Figures: docs/errors.md.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models
from models import opening, seeding


def read_all(path: Path) -> None:
    with open(path, "rb", buffering=0) as handle:
        while handle.read(1 << 20):
            pass


def pragma(path: Path, name: str) -> None:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(f"PRAGMA {name}").fetchall()
        assert rows == [("ok",)], rows
    finally:
        connection.close()


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=50_000, help="leads to seed")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--db", type=Path, help="an existing leadq SQLite file instead")
    parser.add_argument("--dir", type=Path, help="where to make the seeded file")
    args = parser.parse_args()
    if args.db is None:
        folder = Path(tempfile.mkdtemp(prefix="leadq-check-", dir=args.dir))
        path = folder / "seeded.db"
        models.open_database(f"sqlite:///{path}")
        try:
            seeding.seed(leads=args.scale)
        finally:
            models.close_database()
    else:
        path = args.db
    size_mb = path.stat().st_size / 1e6
    read_all(path)  # warm the page cache for every measure alike
    runs: dict[str, list[float]] = {"read": [], "quick": [], "integrity": [], "open": []}
    for _ in range(args.repeats):
        runs["read"].append(timed(lambda: read_all(path)))
        runs["quick"].append(timed(lambda: pragma(path, "quick_check")))
        runs["integrity"].append(timed(lambda: pragma(path, "integrity_check")))
        runs["open"].append(timed(lambda: opening.check_sqlite_file(str(path), models.db.data_dir)))
    median = {name: statistics.median(values) for name, values in runs.items()}
    speed = size_mb / median["quick"]
    print(f"file: {path} ({size_mb:,.1f} MB), medians of {args.repeats}")
    print(f"read the whole file:         {median['read'] * 1000:8.1f} ms")
    print(f"PRAGMA quick_check:          {median['quick'] * 1000:8.1f} ms ({speed:,.0f} MB/s)")
    print(f"PRAGMA integrity_check:      {median['integrity'] * 1000:8.1f} ms")
    print(f"check_sqlite_file (bounded): {median['open'] * 1000:8.1f} ms")
    budget = opening.QUICK_CHECK_SECONDS
    print(f"a {budget} s budget checks files up to about {speed * budget:,.0f} MB in full")
    print(f"RATIO quick_check / read: {median['quick'] / median['read']:.2f}")
    print(f"RATIO integrity_check / quick_check: {median['integrity'] / median['quick']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
