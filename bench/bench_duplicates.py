"""Finding duplicates for one lead among N accounts and N contacts.

    .venv/bin/python bench/bench_duplicates.py --scale 1000000 [--db PATH] [--lookups 200]

Builds (not timed) a SQLite database with seed.py: N accounts, N contacts and a
few thousand leads (or reuses `--db PATH` when it exists). Then times
`models.find_duplicates(lead)`, the call qualifying makes, for a lead that
matches nothing and for one that matches an account by name, and, as the anchor,
the standard library's sqlite3 running one indexed key lookup and the same seven
indexed lookups `find_duplicates` runs. Prints medians in milliseconds, the
RATIO against the seven raw lookups, and whether the median is under 5 ms.
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

LOOKUPS = (
    ("account", "name_key", "company_key"),
    ("account", "domain_key", "domain_key"),
    ("account", "phone_key", "phone_key"),
    ("contact", "email_key", "email_key"),
    ("contact", "phone_key", "phone_key"),
    ("contact", "person_key", "person_key"),
    ("lead", "email_key", "email_key"),
)


def median_ms(call, repeats: int) -> float:
    """Median wall milliseconds of `call` (also kept: CPU milliseconds in CPU_MS)."""
    times, cpu = [], []
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - started) * 1e3)
        cpu.append((time.process_time() - cpu_started) * 1e3)
    CPU_MS.append(statistics.median(cpu))
    return statistics.median(times)


CPU_MS: list[float] = []


def build(path: Path, scale: int, leads: int) -> None:
    models.open_database(f"sqlite:///{path}")
    try:
        started = time.perf_counter()
        seeding.seed(leads, accounts=scale, contacts=scale)
        print(f"built {path} in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        models.close_database()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=1_000_000, help="accounts and contacts")
    parser.add_argument("--leads", type=int, default=2_000)
    parser.add_argument("--lookups", type=int, default=200, help="timed calls per figure")
    parser.add_argument("--db", default=None, help="reuse (or build and keep) this SQLite file")
    parser.add_argument("--dir", default=None, help="where a temporary database goes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "duplicates.db"
        if not path.exists():
            build(path, args.scale, args.leads)
        models.open_database(f"sqlite:///{path}")
        try:
            run(path, args.lookups)
        finally:
            models.close_database()
    return 0


def run(path: Path, repeats: int) -> None:
    Lead = models.Lead
    accounts, contacts = models.Account.select().count(), models.Contact.select().count()
    rep = models.get_user("riley")
    fresh = Lead.get_or_none(Lead.topic == "Bench: matches nothing")
    if fresh is None:
        fresh = models.create_lead(
            rep, topic="Bench: matches nothing", first_name="Zebulon", last_name="Quartermaine",
            company="Quartermaine Zeppelin Works", website="zeppelin-quartermaine.example",
            business_phone="+1 (808) 555-0999", email="zq@zeppelin-quartermaine.example",
        )  # fmt: skip
    matching = Lead.get(Lead.company == "CONTOSO INC")
    assert not models.find_duplicates(fresh), "the probe lead should match nothing"
    assert models.find_duplicates(matching).accounts, "the Contoso lead should match"

    no_match = median_ms(lambda: models.find_duplicates(fresh), repeats)
    with_match = median_ms(lambda: models.find_duplicates(matching), repeats)

    conn = sqlite3.connect(path)
    values = {key: getattr(fresh, key) for _, _, key in LOOKUPS}

    def one_lookup() -> None:
        conn.execute(
            'SELECT * FROM "account" WHERE name_key = ? LIMIT 50', (values["company_key"],)
        ).fetchall()

    def seven_lookups() -> None:
        for table, column, key in LOOKUPS:
            conn.execute(
                f'SELECT * FROM "{table}" WHERE "{column}" = ? LIMIT 50', (values[key],)
            ).fetchall()

    raw_one = median_ms(one_lookup, repeats)
    raw_seven = median_ms(seven_lookups, repeats)
    conn.close()
    print(f"accounts: {accounts:,}; contacts: {contacts:,}; timed calls per figure: {repeats}")
    print(f"find_duplicates, lead matching nothing (median): {no_match:.3f} ms "
          f"(CPU {CPU_MS[0]:.3f} ms)")  # fmt: skip
    print(f"find_duplicates, lead matching an account (median): {with_match:.3f} ms")
    print(f"raw sqlite3, one indexed key lookup (median): {raw_one:.3f} ms")
    print(f"raw sqlite3, the same seven indexed lookups (median): {raw_seven:.3f} ms "
          f"(CPU {CPU_MS[3]:.3f} ms)")  # fmt: skip
    print(f"RATIO find_duplicates / seven raw lookups: {no_match / raw_seven:.2f}x")
    verdict = "under" if no_match < 5 else "NOT under"
    print(f"median {no_match:.3f} ms is {verdict} the 5 ms target")


if __name__ == "__main__":
    sys.exit(main())
