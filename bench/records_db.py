"""A database of N accounts, N contacts and N leads for the list benchmarks, written
set-based: one `INSERT ... SELECT` per table over a generated sequence.

    python bench/records_db.py PATH_OR_URL [N]

seed.py writes rows one by one from Python (over an hour for a million of each
here); this writes the few thousand distinct values (names, companies, phones,
places) into small temporary pools with their normalised keys computed by
`models.normalize`, as every saved record gets them, and lets the database build
the million rows by joining a sequence to the pools. The schema is the migrations'
(FTS triggers included, so the search indexes fill as the rows go in). Names come
from seed.py's pools, so the same words find the same kinds of matches.
Deterministic: the same N gives the same data. SQLite or PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASE_TIME = dt.datetime(2026, 1, 1)
SPAN_SECONDS = 720 * 86_400
ADDRESS = ("street1", "street2", "street3", "city", "state_province", "postal_code", "country")


def _pools(db: Any, owners: list[int]) -> dict[str, int]:
    """Temporary tables of distinct values with their keys; returns their sizes."""
    from models import demo, normalize

    companies = []
    for kinds, offset in ((demo.CUSTOMER_KIND, 0), (demo.PROSPECT_KIND, 100_000)):
        size = len(kinds) * len(demo.COMPANY_ADJ) * len(demo.COMPANY_NOUN)
        for index in range(size):
            name, domain = demo.company_name(kinds, index)
            website = f"www.{domain}"
            keys = (normalize.company_key(name), normalize.website_domain(website))
            companies.append((offset + index, name, website, *keys, normalize.sort_key(name)))
    people = []
    for pool, (firsts, lasts) in enumerate(
        ((demo.CUSTOMER_FIRST, demo.CUSTOMER_LAST), (demo.PROSPECT_FIRST, demo.PROSPECT_LAST))
    ):
        for index in range(len(firsts) * len(lasts)):
            first, last = firsts[index % len(firsts)], lasts[index // len(firsts)]
            people.append((pool * 100_000 + index, first, last, normalize.person_key(first, last),
                           normalize.sort_key(last, first)))  # fmt: skip
    phones = []
    for pool, areas in enumerate((demo.CUSTOMER_AREAS, demo.PROSPECT_AREAS)):
        for index in range(20_000):
            phone = demo.phone_number(areas, index + 20_000)
            phones.append((pool * 100_000 + index, phone, normalize.phone_key(phone)))
    places = [(i, f"{i % 900 + 1} {demo.STREET_NAMES[i % len(demo.STREET_NAMES)]}", *place)
              for i, place in enumerate(demo.PLACES)]  # fmt: skip
    titles = list(enumerate(demo.JOB_TITLES))
    topics = [(i, t.format(n=10 + i * 7)) for i, t in enumerate(demo.TOPICS)]
    owner_rows = list(enumerate(owners))
    tables = {
        "pool_company": (("idx", "name", "website", "name_key", "domain_key", "name_sort"),
                         companies),
        "pool_person": (("idx", "first_name", "last_name", "person_key", "name_sort"), people),
        "pool_phone": (("idx", "phone", "phone_key"), phones),
        "pool_place": (("idx", "street1", "city", "state_province", "postal_code", "country"),
                       places),
        "pool_title": (("idx", "title"), titles),
        "pool_topic": (("idx", "topic"), topics),
        "pool_owner": (("idx", "owner_id"), owner_rows),
    }  # fmt: skip
    mark = db.param
    for table, (columns, rows) in tables.items():
        db.execute_sql(f"DROP TABLE IF EXISTS {table}")
        types = {"idx": "INTEGER PRIMARY KEY", "owner_id": "INTEGER"}
        names = ", ".join(f"{c} {types.get(c, 'TEXT')}" for c in columns)
        db.execute_sql(f"CREATE TEMPORARY TABLE {table} ({names})")
        sql = f"INSERT INTO {table} VALUES ({', '.join([mark] * len(columns))})"
        db.cursor().executemany(sql, rows)
    names = len(demo.COMPANY_ADJ) * len(demo.COMPANY_NOUN)
    return {
        "customer_companies": len(demo.CUSTOMER_KIND) * names,
        "prospect_companies": len(demo.PROSPECT_KIND) * names,
        "customers": len(demo.CUSTOMER_FIRST) * len(demo.CUSTOMER_LAST),
        "prospects": len(demo.PROSPECT_FIRST) * len(demo.PROSPECT_LAST),
        "places": len(places),
        "titles": len(titles),
        "topics": len(topics),
        "owners": len(owners),
    }  # fmt: skip


def _sequence(postgres: bool, count: int) -> str:
    """A `FROM` source of rows `s.i` = 1 .. count."""
    if postgres:
        return f"generate_series(1, {count}) AS s(i)"
    return (
        f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) "
        "SELECT i FROM n) AS s"
    )


def _stamp(postgres: bool) -> str:
    """A created time spread over two years, scrambled by the row number."""
    seconds = f"((s.i * 7919) % {SPAN_SECONDS})"
    if postgres:
        return f"(TIMESTAMP '{BASE_TIME:%Y-%m-%d}' - make_interval(secs => {seconds}))"
    return f"datetime('{BASE_TIME:%Y-%m-%d}', '-' || {seconds} || ' seconds')"


def _insert(db: Any, table: str, values: dict[str, str], source: str) -> None:
    columns = ", ".join(f'"{c}"' for c in values)
    select = ", ".join(values.values())
    sql = f'INSERT INTO "{table}" ({columns}) SELECT {select} FROM {source}'
    if db.param == "%s":  # psycopg: a modulo is written %%
        sql = sql.replace("%", "%%")
    db.execute_sql(sql)


def _address(place: str = "pl") -> dict[str, str]:
    return {
        "street1": f"{place}.street1",
        "street2": "''",
        "street3": "''",
        "city": f"{place}.city",
        "state_province": f"{place}.state_province",
        "postal_code": f"{place}.postal_code",
        "country": f"{place}.country",
    }


def _joins(sizes: dict[str, int], companies: str, people: str, phones: int) -> str:
    """The pools each row takes its values from, by its number `s.i`."""
    return (
        f" JOIN pool_company c ON c.idx = {companies}"
        f" JOIN pool_person p ON p.idx = {people}"
        f" JOIN pool_phone ph ON ph.idx = {phones} + (s.i * 7) % 20000"
        f" JOIN pool_place pl ON pl.idx = s.i % {sizes['places']}"
        f" JOIN pool_title t ON t.idx = s.i % {sizes['titles']}"
        f" JOIN pool_topic tp ON tp.idx = s.i % {sizes['topics']}"
        f" JOIN pool_owner o ON o.idx = s.i % {sizes['owners']}"
    )


def write_accounts(db: Any, postgres: bool, count: int, sizes: dict[str, int]) -> None:
    stamp = _stamp(postgres)
    values = {
        **_address(),
        "name": "c.name",
        "website": "c.website",
        "phone": "ph.phone",
        "owner_id": "o.owner_id",
        "created_at": stamp,
        "modified_at": stamp,
        "name_key": "c.name_key",
        "domain_key": "c.domain_key",
        "phone_key": "ph.phone_key",
        "name_sort": "c.name_sort",
    }
    source = _sequence(postgres, count) + _joins(
        sizes, f"(s.i * 7919) % {sizes['customer_companies']}", f"s.i % {sizes['customers']}", 0
    )
    _insert(db, "account", values, source)


def write_contacts(
    db: Any, postgres: bool, count: int, sizes: dict[str, int], accounts: int
) -> None:
    stamp = _stamp(postgres)
    email = "lower(p.first_name || '.' || p.last_name || s.i || '@customers.example')"
    values = {
        **_address(),
        "first_name": "p.first_name",
        "last_name": "p.last_name",
        "job_title": "t.title",
        "phone": "ph.phone",
        "mobile_phone": "''",
        "email": email,
        "account_id": f"(s.i - 1) % {accounts} + 1" if accounts else "NULL",
        "owner_id": "o.owner_id",
        "created_at": stamp,
        "modified_at": stamp,
        "email_key": email,
        "phone_key": "ph.phone_key",
        "person_key": "p.person_key",
        "name_sort": "p.name_sort",
    }
    source = _sequence(postgres, count) + _joins(
        sizes, "0", f"(s.i * 31) % {sizes['customers']}", 0
    )
    _insert(db, "contact", values, source)


def write_leads(db: Any, postgres: bool, count: int, sizes: dict[str, int]) -> None:
    stamp = _stamp(postgres)
    email = "lower(p.first_name || '.' || p.last_name || (s.i % 50000) || '@' || c.domain_key)"
    state = (
        "CASE WHEN s.i % 10 < 7 THEN 'open' WHEN s.i % 10 < 9 THEN 'qualified' "
        "ELSE 'disqualified' END"
    )
    reason = (
        "CASE WHEN s.i % 10 < 6 THEN 'new' WHEN s.i % 10 < 7 THEN 'contacted' "
        "WHEN s.i % 10 < 9 THEN 'qualified' ELSE 'lost' END"
    )
    values = {
        **_address(),
        "topic": "tp.topic",
        "first_name": "p.first_name",
        "last_name": "p.last_name",
        "job_title": "t.title",
        "business_phone": "ph.phone",
        "mobile_phone": "''",
        "email": email,
        "company": "c.name",
        "website": "c.website",
        "rating": "CASE s.i % 3 WHEN 0 THEN 'hot' WHEN 1 THEN 'warm' ELSE 'cold' END",
        "lead_source": "'web'",
        "owner_id": "o.owner_id",
        "created_at": stamp,
        "modified_at": stamp,
        "decision_maker_identified": "FALSE" if postgres else "0",
        "summary": "''",
        "state": state,
        "status_reason": reason,
        "stage": "'qualify'",
        "email_key": email,
        "company_key": "c.name_key",
        "domain_key": "c.domain_key",
        "phone_key": "ph.phone_key",
        "person_key": "p.person_key",
        "name_sort": "p.name_sort",
    }
    companies = f"100000 + (s.i * 7919) % {sizes['prospect_companies']}"
    people = f"100000 + (s.i * 31) % {sizes['prospects']}"
    source = _sequence(postgres, count) + _joins(sizes, companies, people, 100_000)
    _insert(db, "lead", values, source)


def make_database(url: str, rows: int, *, say: Any = print) -> None:
    """Users, then `rows` accounts, contacts and leads, then ANALYZE."""
    import models
    from models import normalize
    from models.db import is_postgres

    models.open_database(url)
    db = models.database_proxy.obj
    postgres = is_postgres()
    if postgres:  # the app's 30 s statement timeout is for people, not for bulk writes
        db.execute_sql("SET statement_timeout = 0")
    owners = []
    for user in models.DEMO_USERS:
        owners.append(models.create_user(user.username, user.full_name, user.role).id)
    with db.atomic():
        sizes = _pools(db, owners)
    for name, write in (
        ("accounts", lambda: write_accounts(db, postgres, rows, sizes)),
        ("contacts", lambda: write_contacts(db, postgres, rows, sizes, rows)),
        ("leads", lambda: write_leads(db, postgres, rows, sizes)),
    ):
        began = time.perf_counter()
        with db.atomic():
            write()
        say(f"{rows:,} {name} in {time.perf_counter() - began:.1f} s")
    # The keys the SQL wrote are the ones the models compute.
    contact = models.Contact.select().order_by(models.Contact.id.desc()).get()
    assert contact.email_key == normalize.email_key(contact.email), contact.email
    lead = models.Lead.select().order_by(models.Lead.id.desc()).get()
    assert lead.email_key == normalize.email_key(lead.email), lead.email
    db.execute_sql("ANALYZE")
    models.close_database()


def main() -> None:
    target = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    url = target if "://" in target else f"sqlite:///{Path(target).resolve()}"
    if "://" not in target and Path(target).exists():
        sys.exit(f"{target} exists")
    make_database(url, rows)


if __name__ == "__main__":
    main()
