"""Qualifying N leads through the model layer against raw sqlite3 doing the same writes.

    .venv/bin/python bench/bench_qualify.py --scale 10000 [--repeats 3]

Setup (not timed): a fresh SQLite file with the demo users and N open leads that
duplicate nothing (unique company, website, phone, email and name), written by
seed.py's bulk path; the file is copied so both sides start from the same state.

- ORM: `models.qualify_leads(ids, actor)` with the default settings (auto-create
  account, contact and opportunity on; every duplicate rule on). Each lead is its
  own transaction with the guard update, the duplicate lookups, three inserts,
  the link update and the audit event.
- Anchor: the standard library's sqlite3, one transaction, row by row: read the
  lead, the guard update, insert the account, contact and opportunity, update the
  lead's links, insert the audit event. Two more anchors, for information: the
  same plus the seven indexed duplicate lookups per lead, and that again with
  one transaction per lead as the ORM path has.

Prints medians and the RATIO ORM / raw (target: at most 3x).
"""

from __future__ import annotations

import argparse
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
import seed
from models.entities import Lead, lead_keys

LEAD_READ = (
    "topic", "first_name", "last_name", "job_title", "business_phone", "mobile_phone",
    "email", "company", "website", "street1", "street2", "street3", "city", "state_province",
    "postal_code", "country", "owner_id", "estimated_budget", "company_key", "domain_key",
    "phone_key", "email_key", "person_key",
)  # fmt: skip


def build(path: Path, count: int) -> int:
    """A database with `count` open, duplicate-free leads; returns the acting user's id."""
    models.open_database(f"sqlite:///{path}")
    try:
        users = {u.username: models.create_user(u.username, u.full_name, u.role)
                 for u in seed.DEMO_USERS}  # fmt: skip
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
                "created_at": seed.BASE_TIME,
                "modified_at": seed.BASE_TIME,
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
            seed.bulk_insert(Lead, columns, [tuple(r[c] for c in columns) for r in rows])
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
        outcomes = models.qualify_leads(ids, actor)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        bad = [o for o in outcomes if o.status != "qualified"]
        if bad:
            raise SystemExit(f"{len(bad)} leads were not qualified: {bad[0]}")
        return elapsed, cpu
    finally:
        models.close_database()


def run_raw(
    path: Path, actor_id: int, lookups: bool, per_lead: bool = False
) -> tuple[float, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = wal", "foreign_keys = 1", "synchronous = normal"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("PRAGMA cache_size = -32000")
    ids = [row[0] for row in conn.execute('SELECT id FROM "lead" ORDER BY id')]
    select = f'SELECT {", ".join(LEAD_READ)} FROM "lead" WHERE id = ?'
    address = "street1, street2, street3, city, state_province, postal_code, country"
    started, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    for lead_id in ids:
        if per_lead:
            conn.execute("COMMIT")
            conn.execute("BEGIN IMMEDIATE")
        (topic, first, last, title, phone, mobile, email, company, website, s1, s2, s3, city,
         state, postal, country, owner, budget, company_key, domain_key, phone_key, email_key,
         person_key) = conn.execute(select, (lead_id,)).fetchone()  # fmt: skip
        now = models.entities.utcnow()
        changed = conn.execute(
            'UPDATE "lead" SET state = ?, status_reason = ?, closed_by_id = ?, closed_at = ?, '
            "modified_at = ? WHERE id = ? AND state = ?",
            ("qualified", "qualified", actor_id, now, now, lead_id, "open"),
        ).rowcount
        assert changed == 1
        if lookups:
            for table, column, value in (
                ("account", "name_key", company_key),
                ("account", "domain_key", domain_key),
                ("account", "phone_key", phone_key),
                ("contact", "email_key", email_key),
                ("contact", "phone_key", phone_key),
                ("contact", "person_key", person_key),
                ("lead", "email_key", email_key),
            ):
                conn.execute(
                    f'SELECT * FROM "{table}" WHERE "{column}" = ? LIMIT 50', (value,)
                ).fetchall()
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=10_000, help="leads (default 10,000)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where the temporary databases go")
    args = parser.parse_args(argv)
    orm, raw, raw_lookups, raw_each = [], [], [], []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        template = Path(tmp) / "template.db"
        actor_id = build(template, args.scale)
        for repeat in range(args.repeats):
            for name, timings, runner in (
                ("orm", orm, lambda p: run_orm(p, actor_id)),
                ("raw", raw, lambda p: run_raw(p, actor_id, lookups=False)),
                ("raw+lookups", raw_lookups, lambda p: run_raw(p, actor_id, lookups=True)),
                ("raw+each", raw_each, lambda p: run_raw(p, actor_id, True, per_lead=True)),
            ):
                copy = Path(tmp) / f"{name}.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{copy}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(template, copy)
                timings.append(runner(copy))
            print(
                f"repeat {repeat + 1}: models.qualify_leads {orm[-1][0]:.2f} s "
                f"(CPU {orm[-1][1]:.2f} s), raw {raw[-1][0]:.2f} s (CPU {raw[-1][1]:.2f} s), "
                f"raw with duplicate lookups {raw_lookups[-1][0]:.2f} s",
                flush=True,
            )
    orm_s, raw_s, raw_l, raw_e = (
        statistics.median(t[0] for t in ts) for ts in (orm, raw, raw_lookups, raw_each)
    )
    orm_cpu, raw_cpu = (statistics.median(t[1] for t in ts) for ts in (orm, raw))
    print(f"leads qualified: {args.scale:,} (auto-create on, duplicate rules on, no duplicates)")
    print(f"models.qualify_leads (median of {args.repeats}): {orm_s:.2f} s "
          f"({orm_s / args.scale * 1e3:.3f} ms per lead)")  # fmt: skip
    print(f"raw sqlite3, same inserts and updates, one transaction (median): {raw_s:.2f} s")
    print(f"raw sqlite3 plus the 7 duplicate lookups per lead (median): {raw_l:.2f} s")
    print(f"RATIO ORM / raw: {orm_s / raw_s:.2f}x (target <= 3x)")
    print(f"raw sqlite3 with the lookups, one transaction per lead (median): {raw_e:.2f} s")
    print(f"ratio ORM / raw with lookups: {orm_s / raw_l:.2f}x")
    print(f"ratio ORM / raw with lookups, a transaction per lead: {orm_s / raw_e:.2f}x")
    print(f"CPU time (median): ORM {orm_cpu:.2f} s, raw {raw_cpu:.2f} s, "
          f"ratio {orm_cpu / raw_cpu:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
