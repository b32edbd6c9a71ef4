"""Qualifying N leads through the model layer against raw sqlite3 doing the same writes.

    .venv/bin/python bench/bench_qualify.py --scale 10000 [--repeats 3]

Setup (not timed): a fresh SQLite file with the demo users and N open leads that
duplicate nothing (unique company, website, phone, email and name), written by
seed.py's bulk path; the file is copied so both sides start from the same state.

- ORM: `models.qualify_leads(actor, ids)` with the default settings (auto-create
  account, contact and opportunity on; every duplicate rule on). Each lead is its
  own transaction, as the rules require.
- Anchor (`run_raw`): the standard library's sqlite3, one transaction, row by row,
  issuing per lead the statements the rules make necessary: the settings read, the
  lead read, the guard update, one duplicate lookup per model, the three inserts
  with their normalised keys, the link update and the audit event. For
  information: the same with a transaction per lead (what those commits cost),
  and only the inserts and updates (the anchor of the first version of this
  benchmark, which left out the settings and duplicate reads).

Before timing, both sides qualify one lead on a small copy with SQLite's statement
trace on, and the statements are printed, so a reader can check they do the same
work. Prints medians and the RATIO ORM / anchor, wall and CPU (target: at most 3x).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models
from models import demo, seeding
from models.entities import Lead, lead_keys

LEAD_READ = (
    "topic", "first_name", "last_name", "job_title", "business_phone", "mobile_phone",
    "email", "company", "website", "street1", "street2", "street3", "city", "state_province",
    "postal_code", "country", "owner_id", "estimated_budget", "company_key", "domain_key",
    "phone_key", "email_key", "person_key", "state", "existing_account_id",
    "existing_contact_id",
)  # fmt: skip


def build(path: Path | str, count: int) -> int:
    """A database (a SQLite file, or a database URL) with `count` open, duplicate-free
    leads; returns the acting user's id."""
    models.open_database(path if isinstance(path, str) else f"sqlite:///{path}")
    try:
        users = {u.username: models.create_user(u.username, u.full_name, u.role)
                 for u in demo.DEMO_USERS}  # fmt: skip
        rep = users["riley"]
        rows = []
        for i in range(count):
            values = {
                "topic": f"Bench order {i}",
                "first_name": "Quinn",
                "last_name": f"Benchley{i}",
                "job_title": "Buyer",
                "business_phone": f"+1 (646) {200 + i // 10_000:03d}-{i % 10_000:04d}",
                "mobile_phone": "",
                "email": f"quinn{i}@benchco{i}.example",
                "company": f"Bench Company {i}",
                "website": f"https://www.benchco{i}.example",
                "street1": f"{i} Main Street",
                "street2": "",
                "street3": "",
                "city": "Chicago",
                "state_province": "IL",
                "postal_code": "60601",
                "country": "United States",
                "rating": "warm",
                "owner": rep.id,
                "created_at": demo.BASE_TIME,
                "modified_at": demo.BASE_TIME,
                "estimated_budget": Decimal(1000 + i),
                "decision_maker_identified": False,
                "summary": "",
                "state": "open",
                "status_reason": "new",
                "stage": "qualify",
            }
            values.update(lead_keys(values, "US"))
            rows.append(values)
        columns = tuple(rows[0])
        with models.database_proxy.atomic():
            seeding.bulk_insert(Lead, columns, [tuple(r[c] for c in columns) for r in rows])
        return rep.id
    finally:
        models.close_database()


def run_orm(path: Path, actor_id: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds)."""
    models.open_database(f"sqlite:///{path}")
    try:
        actor = models.User.get_by_id(actor_id)
        ids = [row[0] for row in Lead.select(Lead.id).order_by(Lead.id).tuples()]
        started, cpu = time.perf_counter(), time.process_time()
        outcomes = models.qualify_leads(actor, ids)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        bad = [o for o in outcomes if o.status != "qualified"]
        if bad:
            raise SystemExit(f"{len(bad)} leads were not qualified: {bad[0]}")
        return elapsed, cpu
    finally:
        models.close_database()


def run_raw(
    path: Path,
    actor_id: int,
    full: bool = True,
    per_lead: bool = False,
    trace: list[str] | None = None,
) -> tuple[float, float]:
    """The anchor: what hand-written sqlite3 code must do to qualify the same leads.

    `full` (the anchor the target is measured against): per lead, the statements the
    rules make necessary, as the model layer issues them: the settings read (they
    are read fresh for each qualification; parsed again only when they changed),
    the lead's columns that qualifying uses, the guard update, one indexed duplicate
    lookup per model (the same UNION ALL text), the account, contact and opportunity
    inserts with the normalised keys (copied from the lead: the same fields give the
    same keys), the link update and the audit event. Without `full`: only the
    inserts and updates, as the first version of this benchmark did. `per_lead`:
    each lead its own `BEGIN IMMEDIATE` ... `COMMIT`, as the rules require of the
    model layer (for information: the cost of those commits).
    """
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = wal", "foreign_keys = 1", "synchronous = normal"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("PRAGMA cache_size = -32000")
    if trace is not None:
        conn.set_trace_callback(trace.append)
    ids = [row[0] for row in conn.execute('SELECT id FROM "lead" ORDER BY id')]
    select = f'SELECT {", ".join(LEAD_READ)} FROM "lead" WHERE id = ?'
    address = "street1, street2, street3, city, state_province, postal_code, country"
    settings_rows: list | None = None
    settings: dict = {}
    started, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    for lead_id in ids:
        if per_lead:
            conn.execute("COMMIT")
            conn.execute("BEGIN IMMEDIATE")
        if full:
            rows = conn.execute('SELECT "key", "value" FROM "setting"').fetchall()
            if rows != settings_rows:
                settings_rows, settings = rows, {k: json.loads(v) for k, v in rows}
        (topic, first, last, title, phone, mobile, email, company, website, s1, s2, s3, city,
         state, postal, country, owner, budget, company_key, domain_key, phone_key, email_key,
         person_key, lead_state, existing_account, existing_contact,
         ) = conn.execute(select, (lead_id,)).fetchone()  # fmt: skip
        assert lead_state == "open" and existing_account is None and existing_contact is None
        assert company.strip() and settings.get("auto_create_on_qualify", True)
        now = models.entities.utcnow()
        changed = conn.execute(
            'UPDATE "lead" SET state = ?, status_reason = ?, closed_by_id = ?, closed_at = ?, '
            "modified_at = ? WHERE id = ? AND state = ?",
            ("qualified", "qualified", actor_id, now, now, lead_id, "open"),
        ).rowcount
        assert changed == 1
        if full:
            for table, keys in (
                ("account", (("name_key", company_key), ("domain_key", domain_key),
                             ("phone_key", phone_key))),
                ("contact", (("email_key", email_key), ("phone_key", phone_key),
                             ("person_key", person_key))),
            ):  # fmt: skip
                sql = " UNION ALL ".join(
                    f'SELECT * FROM (SELECT {n} AS "rule", "id" FROM "{table}" '
                    f'WHERE "{column}" = ? ORDER BY "id" LIMIT 50) AS "r{n}"'
                    for n, (column, _) in enumerate(keys)
                )
                hits = conn.execute(sql + " ORDER BY 1, 2", [v for _, v in keys]).fetchall()
                assert not hits
        account_id = conn.execute(
            f'INSERT INTO "account" (name, website, phone, {address}, owner_id, created_at, '
            "modified_at, name_key, domain_key, phone_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (company, website, phone, s1, s2, s3, city, state, postal, country, actor_id, now,
             now, company_key, domain_key, phone_key),
        ).lastrowid  # fmt: skip
        contact_id = conn.execute(
            f'INSERT INTO "contact" (first_name, last_name, job_title, phone, mobile_phone, '
            f"email, account_id, {address}, owner_id, created_at, modified_at, email_key, "
            "phone_key, person_key) "
            f"VALUES ({', '.join('?' * 20)})",
            (first, last, title, phone, mobile, email, account_id, s1, s2, s3, city, state,
             postal, country, actor_id, now, now, email_key, phone_key, person_key),
        ).lastrowid  # fmt: skip
        conn.execute(
            'INSERT INTO "opportunity" (topic, account_id, contact_id, estimated_value, stage, '
            "originating_lead_id, owner_id, created_at, modified_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (topic, account_id, contact_id, budget, "develop", lead_id, owner or actor_id,
             now, now),
        )  # fmt: skip
        conn.execute(
            'UPDATE "lead" SET account_id = ?, contact_id = ?, stage = ? WHERE id = ?',
            (account_id, contact_id, "develop", lead_id),
        )
        conn.execute(
            'INSERT INTO "audit_event" (at, actor_id, action, entity_type, entity_id, summary) '
            "VALUES (?, ?, ?, ?, ?, ?)",
            (now, actor_id, "qualified", "lead", lead_id,
             f"Qualified. Created account {company}; Created contact {first} {last}; "
             f"Created opportunity {topic}."),
        )  # fmt: skip
    conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return elapsed, cpu


def statements_per_lead(tmp: Path) -> tuple[list[str], list[str]]:
    """The SQL each side sends for one lead (the second of two), traced on a small
    copy: printed so that a reader can check that the anchor does the same work."""
    template = tmp / "trace.db"
    actor_id = build(template, 2)
    sides = []
    for name in ("orm", "raw"):
        copy = tmp / f"trace-{name}.db"
        shutil.copyfile(template, copy)
        seen: list[str] = []
        if name == "raw":
            run_raw(copy, actor_id, trace=seen, per_lead=True)
        else:
            models.open_database(f"sqlite:///{copy}")
            try:
                conn = models.database_proxy.obj.connection()
                actor = models.User.get_by_id(actor_id)
                models.qualify_lead(actor, 1)
                conn.set_trace_callback(seen.append)
                models.qualify_lead(actor, 2)
                conn.set_trace_callback(None)
            finally:
                models.close_database()
        if name == "raw":  # keep the statements of the second lead, between COMMITs
            commits = [i for i, sql in enumerate(seen) if sql == "COMMIT"]
            seen = seen[commits[1] + 1 : commits[2] + 1]
        sides.append([" ".join(sql.split()[:4]) for sql in seen])
    return sides[0], sides[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=10_000, help="leads (default 10,000)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where the temporary databases go")
    args = parser.parse_args(argv)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in RUNNERS}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        orm_sql, raw_sql = statements_per_lead(Path(tmp))
        print(f"statements per lead, models.qualify_leads ({len(orm_sql)}): {orm_sql}")
        print(f"statements per lead, raw anchor with a transaction per lead ({len(raw_sql)}): "
              f"{raw_sql}")  # fmt: skip
        template = Path(tmp) / "template.db"
        actor_id = build(template, args.scale)
        for repeat in range(args.repeats):
            for name, runner in RUNNERS.items():
                copy = Path(tmp) / f"{name}.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{copy}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(template, copy)
                runs[name].append(runner(copy, actor_id))
            print(
                f"repeat {repeat + 1} (load {os.getloadavg()[0]:.2f}): "
                + ", ".join(
                    f"{name} {w:.2f} s (CPU {c:.2f} s)" for name, [*_, (w, c)] in runs.items()
                ),
                flush=True,
            )
    wall = {name: statistics.median(w for w, _ in timings) for name, timings in runs.items()}
    cpu = {name: statistics.median(c for _, c in timings) for name, timings in runs.items()}
    per_lead = {
        name: (wall[name] / args.scale * 1e3, cpu[name] / args.scale * 1e3) for name in runs
    }
    print(f"leads qualified: {args.scale:,} (auto-create on, duplicate rules on, no duplicates)")
    for name, label in LABELS.items():
        print(f"{label} (median of {args.repeats}): {wall[name]:.2f} s wall, {cpu[name]:.2f} s CPU "
              f"({per_lead[name][0]:.3f} / {per_lead[name][1]:.3f} ms per lead)")  # fmt: skip
    print(f"RATIO ORM / raw anchor: {wall['orm'] / wall['raw']:.2f}x wall, "
          f"{cpu['orm'] / cpu['raw']:.2f}x CPU (target <= 3x)")  # fmt: skip
    print(f"ratio ORM / raw with a transaction per lead: {wall['orm'] / wall['raw_each']:.2f}x "
          f"wall, {cpu['orm'] / cpu['raw_each']:.2f}x CPU")  # fmt: skip
    print(f"ratio ORM / raw inserts and updates only: {wall['orm'] / wall['raw_writes']:.2f}x "
          f"wall, {cpu['orm'] / cpu['raw_writes']:.2f}x CPU")  # fmt: skip
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


RUNNERS = {
    "orm": run_orm,
    "raw": run_raw,
    "raw_each": lambda path, actor: run_raw(path, actor, per_lead=True),
    "raw_writes": lambda path, actor: run_raw(path, actor, full=False),
}
LABELS = {
    "orm": "models.qualify_leads, a transaction per lead",
    "raw": "raw sqlite3 anchor, the same statements, one transaction",
    "raw_each": "raw sqlite3, the same statements, a transaction per lead",
    "raw_writes": "raw sqlite3, inserts and updates only, one transaction",
}


if __name__ == "__main__":
    sys.exit(main())
