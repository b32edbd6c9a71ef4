"""Many writers on one database: throughput and the latency tail of a write.

    .venv/bin/python bench/bench_concurrency.py [--seconds 8] [--repeats 3] [--pg]

Runs the history checker's workload (tests/models/history.py: random qualify, edit,
note, disqualify, reactivate, stage moves, deletes through the services) with 8
writer processes on 200 leads, and checks the history afterwards (0 anomalies
expected). Prints, per backend, the medians over the repeats of:

- ops/s: operations per second of all 8 writers together;
- the latency of an acknowledged write: p50, p99 and max;
- the anchor, in the same run: one writer alone on the same database, its median
  write latency; RATIO = p99 with 8 writers / median alone.

On SQLite, also the previous way of waiting for the write lock, for comparison in
the same run: SQLite's own busy handler (sqlite3's `timeout`), whose waits grow
to 100 ms, so that a writer which has waited long keeps losing the lock to
newcomers. `--pg` adds PostgreSQL (a throwaway server, as the tests start one).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models
from tests.models import history

WRITERS = 8
LEADS = 200


def use_sqlite_busy_handler() -> None:
    """In a worker: let SQLite's own busy handler do the waiting (as before)."""
    from models import backends

    backends._BUSY_SLICE_MS = 30_000


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def one_run(
    url: str, writers: int, seconds: float, seed: int, prepare: str | None
) -> dict[str, float]:
    lead_ids = history.setup(url, leads=LEADS, workers=writers)
    ops, elapsed = history.run(
        url, lead_ids, workers=writers, seconds=seconds, max_ops=10**9, seed=seed,
        prepare=prepare,
    )  # fmt: skip
    models.open_database(url, run_migrations=False)
    try:
        anomalies = history.check(ops, lead_ids)
    finally:
        models.close_database()
    if anomalies:
        raise SystemExit(f"{len(anomalies)} anomalies: {anomalies[:5]}")
    writes = [o.latency for o in ops if o.outcome == "ok" and o.op != "move_stage"]
    return {
        "ops_s": len(ops) / elapsed,
        "p50": quantile(writes, 0.50),
        "p99": quantile(writes, 0.99),
        "max": max(writes, default=float("nan")),
        "raw": sum(o.outcome == "raw" for o in ops),
        "busy": sum("DatabaseBusy" in o.detail for o in ops),
    }


def fresh_sqlite(folder: Path, name: str) -> str:
    url = f"sqlite:///{folder / name}"
    models.open_database(url)
    models.close_database()
    return url


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def show(label: str, many: dict[str, float], alone: dict[str, float]) -> None:
    print(
        f"{label:<34} {many['ops_s']:8.1f} ops/s   write p50 {many['p50'] * 1000:7.1f} ms  "
        f"p99 {many['p99'] * 1000:7.1f} ms  max {many['max'] * 1000:8.1f} ms   "
        f"alone p50 {alone['p50'] * 1000:6.1f} ms   "
        f"RATIO p99/alone {many['p99'] / alone['p50']:6.1f}"
        f"   busy {many['busy']:.0f}  raw {many['raw']:.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pg", action="store_true", help="also PostgreSQL")
    parser.add_argument("--dir", default=None, help="where the SQLite files go")
    args = parser.parse_args(argv)

    variants: list[tuple[str, str | None]] = [("sqlite", None)]
    variants.append(
        (
            "sqlite, SQLite's busy handler (before)",
            "bench.bench_concurrency:use_sqlite_busy_handler",
        )
    )
    server = None
    if args.pg:
        from tests.pgserver import PostgresServer

        server = PostgresServer()
        server.start()
        variants.append(("postgresql", None))
    try:
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            folder = Path(tmp)
            for label, prepare in variants:
                many, alone = [], []
                for repeat in range(args.repeats):
                    for writers, out in ((WRITERS, many), (1, alone)):
                        name = f"r{len(many) + len(alone)}-{abs(hash(label)) % 1000}"
                        if label.startswith("postgresql"):
                            url = server.create_database(name)
                            models.open_database(url)
                            models.close_database()
                        else:
                            url = fresh_sqlite(folder, name + ".db")
                        out.append(one_run(url, writers, args.seconds, repeat + 1, prepare))
                show(label, median_of(many), median_of(alone))
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
