"""Qualifying N leads on PostgreSQL through the model layer against psycopg issuing
the same statements.

    .venv/bin/python bench/bench_qualify_pg.py --scale 10000 [--repeats 3]

Setup (not timed): a throwaway PostgreSQL server (as the tests start one) and a
template database with the demo users and N open, duplicate-free leads (the same
as bench_qualify.py); each run gets a fresh copy (`CREATE DATABASE ... TEMPLATE`).

- ORM: `models.qualify_leads(actor, ids)`, default settings, a transaction per
  lead, on leadq's PostgreSQL database (timeouts, reconnection, fault messages).
- Anchor: psycopg 3 (the same driver, autocommit off by hand: BEGIN ... COMMIT per
  lead), issuing per lead the statements the rules make necessary, as the model
  layer does: the settings read, the lead read under its row lock (FOR UPDATE),
  the guard update, the advisory locks on the new records' duplicate keys, one
  duplicate lookup per model, the three inserts (RETURNING id) with the
  opportunity's audit event, the link update and the lead's audit event.

Both sides' statements for one lead are printed first, so a reader can check
they do the same work. Prints medians and the RATIO ORM / anchor, wall and CPU
(target: at most 2x).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

import models
from bench.bench_qualify import LEAD_READ, build
from models.entities import Lead, utcnow
from models.locks import _LOCK_IDS_SQL, key_lock_ids
from tests.pgserver import PostgresServer

ADDRESS = "street1, street2, street3, city, state_province, postal_code, country"


def run_orm(url: str, actor_id: int) -> tuple[float, float]:
    models.open_database(url, run_migrations=False)
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


def _lookup(table: str, columns: tuple[str, ...]) -> str:
    return (
        " UNION ALL ".join(
            f'SELECT * FROM (SELECT {n} AS "rule", "id" FROM "{table}" '
            f'WHERE "{column}" = %s ORDER BY "id" LIMIT 50) AS "r{n}"'
            for n, column in enumerate(columns)
        )
        + " ORDER BY 1, 2"
    )


ACCOUNT_LOOKUP = _lookup("account", ("name_key", "domain_key", "phone_key"))
CONTACT_LOOKUP = _lookup("contact", ("email_key", "phone_key", "person_key"))


def run_raw(url: str, actor_id: int, trace: list[str] | None = None) -> tuple[float, float]:
    """The anchor: what hand-written psycopg code must do to qualify the same leads."""
    conn = psycopg.connect(url, autocommit=True)
    cur = conn.cursor()

    def run(sql: str, params: Any = ()) -> Any:
        if trace is not None:
            trace.append(sql)
        return cur.execute(sql, params)

    ids = [row[0] for row in cur.execute('SELECT id FROM "lead" ORDER BY id').fetchall()]
    select = f'SELECT {", ".join(LEAD_READ)} FROM "lead" WHERE id = %s FOR UPDATE'
    settings_rows: list | None = None
    settings: dict = {}
    started, cpu = time.perf_counter(), time.process_time()
    for lead_id in ids:
        run("BEGIN")
        rows = run('SELECT "key", "value" FROM "setting"').fetchall()
        if rows != settings_rows:
            settings_rows, settings = rows, {k: json.loads(v) for k, v in rows}
        (topic, first, last, title, phone, mobile, email, company, website, s1, s2, s3, city,
         state, postal, country, owner, budget, company_key, domain_key, phone_key, email_key,
         person_key, lead_state, existing_account, existing_contact,
         ) = run(select, (lead_id,)).fetchone()  # fmt: skip
        assert lead_state == "open" and existing_account is None and existing_contact is None
        assert company.strip() and settings.get("auto_create_on_qualify", True)
        now = utcnow()
        changed = run(
            'UPDATE "lead" SET state = %s, status_reason = %s, closed_by_id = %s, '
            "closed_at = %s, modified_at = %s WHERE id = %s AND state = %s",
            ("qualified", "qualified", actor_id, now, now, lead_id, "open"),
        ).rowcount
        assert changed == 1
        keys = [f"account.name_key={company_key}", f"account.domain_key={domain_key}",
                f"account.phone_key={phone_key}", f"contact.email_key={email_key}",
                f"contact.phone_key={phone_key}", f"contact.person_key={person_key}"]  # fmt: skip
        run(_LOCK_IDS_SQL, (key_lock_ids(keys),)).fetchall()
        assert not run(ACCOUNT_LOOKUP, (company_key, domain_key, phone_key)).fetchall()
        assert not run(CONTACT_LOOKUP, (email_key, phone_key, person_key)).fetchall()
        account_id = run(
            f'INSERT INTO "account" (name, website, phone, {ADDRESS}, owner_id, created_at, '
            "modified_at, name_key, domain_key, phone_key) "
            f"VALUES ({', '.join(['%s'] * 16)}) RETURNING id",
            (company, website, phone, s1, s2, s3, city, state, postal, country, actor_id, now,
             now, company_key, domain_key, phone_key),
        ).fetchone()[0]  # fmt: skip
        contact_id = run(
            f'INSERT INTO "contact" (first_name, last_name, job_title, phone, mobile_phone, '
            f"email, account_id, {ADDRESS}, owner_id, created_at, modified_at, email_key, "
            f"phone_key, person_key) VALUES ({', '.join(['%s'] * 20)}) RETURNING id",
            (first, last, title, phone, mobile, email, account_id, s1, s2, s3, city, state,
             postal, country, actor_id, now, now, email_key, phone_key, person_key),
        ).fetchone()[0]  # fmt: skip
        opportunity_id = run(
            'INSERT INTO "opportunity" (topic, account_id, contact_id, estimated_value, stage, '
            "originating_lead_id, owner_id, created_at, modified_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (topic, account_id, contact_id, budget, "develop", lead_id, owner or actor_id,
             now, now),
        ).fetchone()[0]  # fmt: skip
        run(
            'INSERT INTO "audit_event" (at, actor_id, action, entity_type, entity_id, summary) '
            "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (now, actor_id, "created", "opportunity", opportunity_id,
             f"Created from lead {first} {last}"),
        ).fetchone()  # fmt: skip
        run(
            'UPDATE "lead" SET account_id = %s, contact_id = %s, stage = %s WHERE id = %s',
            (account_id, contact_id, "develop", lead_id),
        )
        run(
            'INSERT INTO "audit_event" (at, actor_id, action, entity_type, entity_id, summary) '
            "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (now, actor_id, "qualified", "lead", lead_id,
             f"Qualified. Created account {company}; Created contact {first} {last}; "
             f"Created opportunity {topic}."),
        ).fetchone()  # fmt: skip
        run("COMMIT")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return elapsed, cpu


class _Statements(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        sql = record.msg[0] if isinstance(record.msg, tuple) else str(record.msg)
        self.seen.append(sql)


def statements_per_lead(server: PostgresServer) -> tuple[list[str], list[str]]:
    """The SQL each side sends for the second of two leads."""
    template = server.create_database("trace")
    actor_id = build(template, 2)
    sides = []
    for name in ("orm", "raw"):
        url = _copy(server, "trace", f"trace_{name}")
        seen: list[str] = []
        if name == "raw":
            run_raw(url, actor_id, trace=seen)
            seen = seen[len(seen) // 2 :]
        else:
            models.open_database(url, run_migrations=False)
            handler = _Statements()
            peewee_logger = logging.getLogger("peewee")
            try:
                actor = models.User.get_by_id(actor_id)
                models.qualify_lead(actor, 1)
                peewee_logger.addHandler(handler)
                peewee_logger.setLevel(logging.DEBUG)
                models.qualify_lead(actor, 2)
            finally:
                peewee_logger.removeHandler(handler)
                peewee_logger.setLevel(logging.WARNING)
                models.close_database()
            seen = handler.seen
        sides.append([" ".join(sql.split()[:4]) for sql in seen])
    return sides[0], sides[1]


def _copy(server: PostgresServer, template: str, name: str) -> str:
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return server.url(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=10_000, help="leads (default 10,000)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    server = PostgresServer()
    server.start()
    runs: dict[str, list[tuple[float, float]]] = {"orm": [], "raw": []}
    try:
        orm_sql, raw_sql = statements_per_lead(server)
        print(f"statements per lead, models.qualify_leads ({len(orm_sql)}): {orm_sql}")
        print(f"statements per lead, psycopg anchor ({len(raw_sql)}): {raw_sql}")
        template = server.create_database("template_leads")
        actor_id = build(template, args.scale)
        for repeat in range(args.repeats):
            for name, runner in (("orm", run_orm), ("raw", run_raw)):
                url = _copy(server, "template_leads", f"run_{name}")
                runs[name].append(runner(url, actor_id))
            print(
                f"repeat {repeat + 1} (load {os.getloadavg()[0]:.2f}): "
                + ", ".join(
                    f"{name} {w:.2f} s (CPU {c:.2f} s)" for name, [*_, (w, c)] in runs.items()
                ),
                flush=True,
            )
    finally:
        server.stop()
    wall = {name: statistics.median(w for w, _ in timings) for name, timings in runs.items()}
    cpu = {name: statistics.median(c for _, c in timings) for name, timings in runs.items()}
    print(f"leads qualified: {args.scale:,} (auto-create on, duplicate rules on, no duplicates)")
    for name, label in (("orm", "models.qualify_leads"), ("raw", "psycopg anchor")):
        print(f"{label} (median of {args.repeats}): {wall[name]:.2f} s wall, {cpu[name]:.2f} s "
              f"CPU ({wall[name] / args.scale * 1e3:.3f} ms per lead)")  # fmt: skip
    print(f"RATIO ORM / psycopg anchor: {wall['orm'] / wall['raw']:.2f}x wall, "
          f"{cpu['orm'] / cpu['raw']:.2f}x CPU (target <= 2x)")  # fmt: skip
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
