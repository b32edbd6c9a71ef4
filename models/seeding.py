"""Seeding: deterministic demo data written into an empty leadq database.

`seed.py` and `leadq seed` run it, and `leadq` on the first run of an empty database.

The same arguments always give the same data (a fixed random seed and fixed
timestamps for generated rows; only what the model services stamp with the
current time differs between runs).

What a presenter finds in a seeded database:

- Users (`DEMO_USERS`): `admin` (Ada Admin, system administrator), `morgan`
  (sales manager), `riley` and `sam` (salespeople). The SSH demo signs them in by
  these user names.
- Leads in every state and status reason, rating, lead source and owner, many
  with notes (some with small attachments).
- `Demo: ...` leads: open, every Qualify-stage field filled in, a company, and no
  duplicates, ready to qualify in front of an audience.
- `Demo duplicate (...)` leads: each matches an existing account or contact by
  one duplicate rule (account name with another legal suffix and case, website
  domain, phone written differently, contact email, contact phone, contact
  name), and two leads share an email.
- The lead qualifying process feature on, with one demo process ("Standard B2B
  qualification") assigned to six open leads: half ready to qualify, half blocked.
- Qualified leads with accounts, contacts and opportunities created by
  `models.qualify_lead` (so their notes show on the opportunity and the audit
  trail is real), and disqualified leads closed by `models.disqualify_lead`.

Volume (`--leads 1000000`, `--accounts N`, `--contacts N`) goes in with chunked
`insert_many` inside one transaction, with explicit ids (the database is empty)
and the duplicate keys computed by `models.entities.lead_keys` from a small pool
of distinct values, since normalising a phone number costs about 40 us.

Seeding refuses a database that already has users or leads (`SeedRefused`);
`--reset` empties it first. Everything is written in one transaction: a seed that is
interrupted or killed leaves the database as it was (empty), ready to seed again.
The counts are checked (`check_counts`) before the database is opened, so a refused
request creates no file.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import backends
from .db import database_proxy, is_postgres
from .demo import (
    ATTACHMENTS,
    BASE_ACCOUNTS,
    BASE_CONTACTS,
    BASE_TIME,
    CUSTOMER_AREAS,
    CUSTOMER_FIRST,
    CUSTOMER_KIND,
    CUSTOMER_LAST,
    DEMO_LEADS,
    DEMO_USERS,
    DUPLICATE_LEADS,
    HOSTILE_TOPIC,
    JOB_TITLES,
    NOTE_TEXTS,
    OPPORTUNITY_STAGE_MIX,
    PLACES,
    PROCESSES,
    PROSPECT_AREAS,
    PROSPECT_FIRST,
    PROSPECT_KIND,
    PROSPECT_LAST,
    RANDOM_SEED,
    RATINGS,
    SHARED_EMAIL,
    SOURCES,
    STREET_NAMES,
    TIMEFRAMES,
    TOPICS,
    company_name,
    phone_number,
)
from .duplicates import DuplicatesFound
from .entities import (
    Account,
    AuditEvent,
    BaseModel,
    Contact,
    Lead,
    Note,
    Opportunity,
    User,
    lead_keys,
)
from .enums import DISQUALIFY_REASONS, LeadState, Rating, Stage, StatusReason
from .errors import LeadqError, ValidationError
from .leads import disqualify_lead, reactivate_lead
from .mapping import ACCOUNT_MAPPING, CONTACT_MAPPING, OPPORTUNITY_MAPPING
from .normalize import sort_key
from .notes import add_note
from .opening import parse_url
from .opportunities import move_opportunity_stage
from .processes.demo import seed_demo_process
from .qualify import QualifyChoice, qualify_lead
from .settings import load_settings
from .users import create_user

# SQLite page cache while bulk writing (KiB): random inserts into a dozen indexes of a
# million rows thrash the app's 32 MB cache; the memory is taken only as pages are used.
BULK_CACHE_KIB = 1_000_000
# How many closed leads at most go through the model services (the rest in bulk).
SERVICE_QUALIFY_MAX = 40
SERVICE_DISQUALIFY_MAX = 16
# The most leads (and accounts, contacts) one seed writes: ten times the largest
# demo the spec names. A SQLite file takes about BYTES_PER_LEAD a lead (measured:
# 76.8 MB for 50,000 default-seeded leads, every index and the search index included).
MAX_COUNT = 10_000_000
BYTES_PER_LEAD = 1_550


class SeedRefused(LeadqError):
    """The database already holds data; seeding would mix demo rows into it."""


@dataclass
class SeedSummary:
    users: int = 0
    leads: int = 0
    accounts: int = 0
    contacts: int = 0
    opportunities: int = 0
    notes: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"Seeded {self.users} users, {self.leads:,} leads, {self.accounts:,} accounts, "
            f"{self.contacts:,} contacts, {self.opportunities:,} opportunities and "
            f"{self.notes:,} notes in {self.seconds:.1f} s."
        )


# --- Helpers -----------------------------------------------------------------------


class KeyCache:
    """Normalised keys, computed once per distinct value with `lead_keys`.

    `lead_keys` treats each field on its own, so caching per field gives exactly
    what it would give for the whole row.
    """

    def __init__(self, region: str = "US") -> None:
        self.region = region
        self._phone: dict[str, str | None] = {}
        self._company: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        self._person: dict[tuple[str, str], str | None] = {}

    def phone(self, phone: str) -> str | None:
        key = self._phone.get(phone, ...)
        if key is ...:
            key = self._phone[phone] = lead_keys({"business_phone": phone}, self.region)[
                "phone_key"
            ]
        return key

    def company(self, company: str, website: str) -> tuple[str | None, str | None]:
        """(company key, website domain key)."""
        keys = self._company.get((company, website))
        if keys is None:
            found = lead_keys({"company": company, "website": website}, self.region)
            keys = self._company[company, website] = (found["company_key"], found["domain_key"])
        return keys

    def person(self, first: str, last: str) -> str | None:
        pair = (first, last)
        key = self._person.get(pair, ...)
        if key is ...:
            key = self._person[pair] = lead_keys(
                {"first_name": first, "last_name": last}, self.region
            )["person_key"]
        return key

    def lead(self, row: dict[str, Any]) -> None:
        row["email_key"] = (row["email"] or "").strip().lower() or None
        row["company_key"], row["domain_key"] = self.company(row["company"], row["website"])
        row["phone_key"] = self.phone(row["business_phone"])
        row["person_key"] = self.person(row["first_name"], row["last_name"])
        row["name_sort"] = sort_key(row["last_name"], row["first_name"])


def insert_sql(model: type[BaseModel], columns: Sequence[str]) -> str:
    """One row's parametrised INSERT for `model`, columns named as the model maps them."""
    names = ", ".join(f'"{model._meta.fields[name].column_name}"' for name in columns)
    marks = ", ".join([model._meta.database.param] * len(columns))
    return f'INSERT INTO "{model._meta.table_name}" ({names}) VALUES ({marks})'


def bulk_insert(model: type[BaseModel], columns: Sequence[str], rows: list[tuple]) -> None:
    """Write rows (tuples in `columns` order, already in database form) in one statement
    prepared once and run with DB-API `executemany`.

    Peewee's `insert_many` spends about 90% of its time building SQL text for every
    value (measured: 50 of 57 s for 50,000 leads), so the bulk path builds the
    statement once. Call it inside a transaction.
    """
    if rows:
        cursor = model._meta.database.cursor()
        cursor.executemany(insert_sql(model, columns), rows)


def _fix_sequences(tables: Iterable[type[BaseModel]]) -> None:
    """After explicit ids, move PostgreSQL's id sequences past them."""
    if not is_postgres():
        return
    for model in tables:
        table = model._meta.table_name
        database_proxy.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{table}"'
        )


def database_is_empty() -> bool:
    return not (User.select().exists() or Lead.select().exists())


def reset_database() -> None:
    """Delete every row (the schema and its migrations stay)."""
    db = database_proxy.obj
    if is_postgres(db):
        names = [
            row[0]
            for row in db.execute_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'schema_migration'"
            ).fetchall()
        ]
        if names:
            quoted = ", ".join(f'"{name}"' for name in names)
            db.execute_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        return
    tables = [
        row[0]
        for row in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migration' "
            "AND name NOT LIKE 'sqlite_%' AND name NOT GLOB '*_fts*'"
        ).fetchall()
    ]
    db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic():
            for name in tables:
                db.execute_sql(f'DELETE FROM "{name}"')
            for fts in ("lead_fts", "account_fts", "contact_fts", "opportunity_fts"):
                db.execute_sql(f"INSERT INTO {fts}({fts}) VALUES ('delete-all')")
    finally:
        db.execute_sql("PRAGMA foreign_keys = ON")


# --- The generator -----------------------------------------------------------------

LEAD_COLUMNS = (
    "id", "topic", "first_name", "last_name", "job_title", "business_phone", "mobile_phone",
    "email", "company", "website", "street1", "street2", "street3", "city", "state_province",
    "postal_code", "country", "rating", "lead_source", "owner", "created_at", "modified_at",
    "existing_account", "existing_contact", "purchase_timeframe", "estimated_budget",
    "purchase_process", "decision_maker_identified", "summary", "state", "status_reason",
    "stage", "closed_by", "closed_at", "account", "contact", "email_key", "company_key",
    "domain_key", "phone_key", "person_key", "name_sort",
)  # fmt: skip
ACCOUNT_COLUMNS = (
    "id", "name", "website", "phone", "street1", "street2", "street3", "city",
    "state_province", "postal_code", "country", "owner", "created_at", "modified_at",
    "name_key", "domain_key", "phone_key", "name_sort",
)  # fmt: skip
CONTACT_COLUMNS = (
    "id", "first_name", "last_name", "job_title", "phone", "mobile_phone", "email", "account",
    "street1", "street2", "street3", "city", "state_province", "postal_code", "country",
    "owner", "created_at", "modified_at", "email_key", "phone_key", "person_key", "name_sort",
)  # fmt: skip
OPPORTUNITY_COLUMNS = (
    "id", "topic", "account", "contact", "estimated_value", "stage", "originating_lead",
    "owner", "created_at", "modified_at", "name_sort",
)  # fmt: skip
NOTE_COLUMNS = (
    "text", "attachment_name", "attachment_data", "author", "created_at", "lead",
)  # fmt: skip
AUDIT_COLUMNS = ("at", "actor", "action", "entity_type", "entity_id", "summary")
COLUMNS: dict[type[BaseModel], tuple[str, ...]] = {
    Account: ACCOUNT_COLUMNS,
    Contact: CONTACT_COLUMNS,
    Lead: LEAD_COLUMNS,
    Opportunity: OPPORTUNITY_COLUMNS,
    Note: NOTE_COLUMNS,
    AuditEvent: AUDIT_COLUMNS,
}
WRITE_ORDER = tuple(COLUMNS)
# Rows generated before they are written: memory stays flat at any scale.
FLUSH_ROWS = 20_000


class Generator:
    def __init__(self, users: dict[str, int], region: str) -> None:
        self.rng = random.Random(RANDOM_SEED)
        self.users = users
        self.keys = KeyCache(region)
        self.reps = [users["riley"], users["sam"]]
        self.owners = [*self.reps, *self.reps, users["morgan"]]
        # Rows waiting to be written, in the order foreign keys need.
        self.pending: dict[type[BaseModel], list[tuple]] = {model: [] for model in WRITE_ORDER}
        self.written: dict[type[BaseModel], int] = dict.fromkeys(WRITE_ORDER, 0)
        self.base_account_ids: list[int] = []
        self.base_contact_ids: list[int] = []
        self.demo_lead_ids: list[int] = []
        self.to_qualify: list[int] = []
        self.to_disqualify: list[tuple[int, str]] = []
        self.owner_of: dict[int, int] = {}

    def stamp(self, days_back_max: int = 180) -> dt.datetime:
        return BASE_TIME - dt.timedelta(seconds=self.rng.randrange(days_back_max * 86_400))

    # Accounts and contacts.
    def add_account(self, values: dict[str, Any]) -> int:
        account_id = self.count(Account) + 1
        values["id"] = account_id
        name_key, domain_key = self.keys.company(values["name"], values["website"])
        values["name_key"], values["domain_key"] = name_key, domain_key
        values["phone_key"] = self.keys.phone(values["phone"])
        values["name_sort"] = sort_key(values["name"])
        values.setdefault("modified_at", values["created_at"])
        self.add(Account, tuple(values.get(c, "") for c in ACCOUNT_COLUMNS))
        return account_id

    def add_contact(self, values: dict[str, Any]) -> int:
        contact_id = self.count(Contact) + 1
        values["id"] = contact_id
        values["email_key"] = values["email"].strip().lower() or None
        values["phone_key"] = self.keys.phone(values["phone"])
        values["person_key"] = self.keys.person(values["first_name"], values["last_name"])
        values["name_sort"] = sort_key(values["last_name"], values["first_name"])
        values.setdefault("modified_at", values["created_at"])
        self.add(Contact, tuple(values.get(c, "") for c in CONTACT_COLUMNS))
        return contact_id

    def base_customers(self) -> None:
        for index, (name, website, phone, street, city, state, postal, country) in enumerate(
            BASE_ACCOUNTS
        ):
            owner = self.owners[index % len(self.owners)]
            created = BASE_TIME - dt.timedelta(days=400 - index)
            address = {
                "street1": street,
                "city": city,
                "state_province": state,
                "postal_code": postal,
                "country": country,
            }
            account_id = self.add_account(
                {"name": name, "website": website, "phone": phone, "owner": owner,
                 "created_at": created, "account": None, **address}
            )  # fmt: skip
            self.base_account_ids.append(account_id)
            domain = self.keys.company(name, website)[1]
            area = phone.split()[1] if phone.startswith("+1 ") else "425"
            for offset in range(2):
                first, last, title = BASE_CONTACTS[(index * 2 + offset) % len(BASE_CONTACTS)]
                contact_id = self.add_contact(
                    {"first_name": first, "last_name": last, "job_title": title,
                     "phone": f"+1 {area} 555 {200 + index * 2 + offset:04d}",
                     "mobile_phone": "", "email": f"{first}.{last}@{domain}".lower(),
                     "account": account_id, "owner": owner, "created_at": created, **address}
                )  # fmt: skip
                self.base_contact_ids.append(contact_id)

    def extra_accounts(self, count: int) -> None:
        for index in range(count):
            name, website = company_name(CUSTOMER_KIND, index)
            city, state, postal, country = PLACES[index % len(PLACES)]
            self.add_account(
                {"name": name, "website": website,
                 "phone": phone_number(CUSTOMER_AREAS, index % 20_000 + 20_000),
                 "street1": f"{index % 900 + 1} {STREET_NAMES[index % len(STREET_NAMES)]}",
                 "city": city, "state_province": state, "postal_code": postal,
                 "country": country, "owner": self.owners[index % len(self.owners)],
                 "created_at": self.stamp(720)}
            )  # fmt: skip

    def extra_contacts(self, count: int) -> None:
        accounts = self.count(Account)
        for index in range(count):
            first = CUSTOMER_FIRST[index % len(CUSTOMER_FIRST)]
            last = CUSTOMER_LAST[(index // len(CUSTOMER_FIRST)) % len(CUSTOMER_LAST)]
            account_id = index % accounts + 1 if accounts else None
            city, state, postal, country = PLACES[index % len(PLACES)]
            self.add_contact(
                {"first_name": first, "last_name": last,
                 "job_title": JOB_TITLES[index % len(JOB_TITLES)],
                 "phone": phone_number(CUSTOMER_AREAS, index % 20_000 + 40_000), "mobile_phone": "",
                 "email": f"{first}.{last}{index}@customers.example".lower(),
                 "account": account_id, "city": city, "state_province": state,
                 "postal_code": postal, "country": country,
                 "owner": self.owners[index % len(self.owners)],
                 "created_at": self.stamp(720)}
            )  # fmt: skip

    # Leads.
    def lead_row(self, index: int, customer: bool) -> dict[str, Any]:
        rng = self.rng
        first_names = CUSTOMER_FIRST if customer else PROSPECT_FIRST
        last_names = CUSTOMER_LAST if customer else PROSPECT_LAST
        first, last = rng.choice(first_names), rng.choice(last_names)
        pool = max(400, min(50_000, index // 20))
        company, website = company_name(
            CUSTOMER_KIND if customer else PROSPECT_KIND, rng.randrange(pool)
        )
        areas = CUSTOMER_AREAS if customer else PROSPECT_AREAS
        city, state, postal, country = rng.choice(PLACES)
        created = self.stamp()
        filled = rng.random()
        return {
            "topic": rng.choice(TOPICS).format(n=rng.choice((5, 10, 12, 20, 25, 40, 50, 100))),
            "first_name": first,
            "last_name": last,
            "job_title": rng.choice(JOB_TITLES),
            "business_phone": phone_number(areas, rng.randrange(pool)),
            "mobile_phone": phone_number(areas, rng.randrange(pool) + pool) if filled > 0.5 else "",
            "email": f"{first}.{last}.{index}@{website}".lower(),
            "company": company,
            "website": f"https://www.{website}" if filled > 0.2 else website,
            "street1": f"{rng.randrange(1, 999)} {rng.choice(STREET_NAMES)}",
            "street2": "",
            "street3": "",
            "city": city,
            "state_province": state,
            "postal_code": postal,
            "country": country,
            "rating": rng.choice(RATINGS).value,
            "lead_source": rng.choice(SOURCES).value if filled > 0.1 else None,
            "owner": rng.choice(self.owners),
            "created_at": created,
            "modified_at": created,
            "purchase_timeframe": rng.choice(TIMEFRAMES).value if filled > 0.4 else None,
            "estimated_budget": Decimal(rng.randrange(10, 5000) * 100) if filled > 0.5 else None,
            "purchase_process": rng.choice(PROCESSES).value if filled > 0.6 else None,
            "decision_maker_identified": filled > 0.7,
            "summary": "Needs a proposal before the budget review." if filled > 0.8 else "",
            "state": LeadState.OPEN.value,
            "status_reason": StatusReason.NEW.value,
            "stage": Stage.QUALIFY.value,
        }

    def add_lead(self, row: dict[str, Any]) -> int:
        lead_id = self.count(Lead) + 1
        row["id"] = lead_id
        self.keys.lead(row)
        self.owner_of[lead_id] = row["owner"]
        self.add(Lead, tuple(row.get(c) for c in LEAD_COLUMNS))
        return lead_id

    def special_leads(self) -> None:
        """The hand-made leads a presenter looks for."""
        rep = self.reps
        for index, spec in enumerate(DEMO_LEADS):
            topic, first, last, title, company, website, phone, email = spec[:8]
            budget, timeframe, process = spec[8:]
            row = self.lead_row(index, customer=False)
            row.update(
                topic=topic, first_name=first, last_name=last, job_title=title,
                company=company, website=website, business_phone=phone, mobile_phone="",
                email=email, owner=rep[index % 2], rating=Rating.HOT.value,
                lead_source=SOURCES[index % len(SOURCES)].value,
                estimated_budget=Decimal(budget), purchase_timeframe=timeframe,
                purchase_process=process, decision_maker_identified=True,
                summary=f"{first} needs {topic[6:].lower()}; budget approved, "
                "decision expected this quarter.",
                status_reason=StatusReason.CONTACTED.value,
                created_at=BASE_TIME - dt.timedelta(hours=index + 1),
            )  # fmt: skip
            row["modified_at"] = row["created_at"]
            self.demo_lead_ids.append(self.add_lead(row))
        for index, spec in enumerate(DUPLICATE_LEADS):
            _rule, topic, first, last, company, website, phone, email = spec
            row = self.lead_row(index, customer=False)
            row.update(
                topic=topic, first_name=first, last_name=last, company=company,
                website=website, business_phone=phone, mobile_phone="", email=email,
                owner=rep[index % 2], created_at=BASE_TIME - dt.timedelta(days=1, hours=index),
            )  # fmt: skip
            row["modified_at"] = row["created_at"]
            self.add_lead(row)
        for index, (first, email) in enumerate(
            (("Pat", SHARED_EMAIL), ("Patricia", SHARED_EMAIL.upper()))
        ):
            row = self.lead_row(index, customer=False)
            row.update(
                topic=f"Demo duplicate (lead email): Shared inbox {index + 1}",
                first_name=first, last_name="Keller", email=email, owner=rep[index],
                company=f"Keller & Daughters {'East' if index else 'West'}", website="",
                created_at=BASE_TIME - dt.timedelta(days=1, hours=8 + index),
            )  # fmt: skip
            row["modified_at"] = row["created_at"]
            self.add_lead(row)
        row = self.lead_row(0, customer=False)
        row.update(
            topic=HOSTILE_TOPIC,
            first_name="[b]Bracket[/b]",
            last_name="O'Brien \x1b[0m",
            email="literal.text@mailbox.example",
            created_at=BASE_TIME - dt.timedelta(days=1, hours=10),
        )
        row["modified_at"] = row["created_at"]
        self.add_lead(row)

    def volume_leads(self, count: int, service_qualify: int, service_disqualify: int) -> None:
        rng = self.rng
        for index in range(count):
            draw = rng.random()
            if draw < 0.10:  # qualified
                row = self.lead_row(index, customer=True)
                if len(self.to_qualify) < service_qualify:
                    self.to_qualify.append(self.add_lead(row))
                else:
                    self.bulk_qualified(row)
                continue
            row = self.lead_row(index, customer=False)
            if draw < 0.28:  # disqualified
                reason = DISQUALIFY_REASONS[index % len(DISQUALIFY_REASONS)].value
                if len(self.to_disqualify) < service_disqualify:
                    self.to_disqualify.append((self.add_lead(row), reason))
                    continue
                closed = row["created_at"] + dt.timedelta(days=rng.randrange(1, 30))
                row.update(
                    state=LeadState.DISQUALIFIED.value,
                    status_reason=reason,
                    closed_by=row["owner"],
                    closed_at=min(closed, BASE_TIME),
                )
                lead_id = self.add_lead(row)
                self.audit_row(row, "disqualified", f"Disqualified: {StatusReason(reason).label}")
            else:
                if draw > 0.70:
                    row["status_reason"] = StatusReason.CONTACTED.value
                lead_id = self.add_lead(row)
            self.lead_notes(lead_id, row, index)

    def audit_row(self, row: dict[str, Any], action: str, summary: str) -> None:
        self.add(
            AuditEvent, (row["closed_at"], row["closed_by"], action, "lead", row["id"], summary)
        )

    def bulk_qualified(self, row: dict[str, Any]) -> None:
        """A lead qualified into an account, contact and opportunity, written in bulk."""
        owner = row["owner"]
        closed = min(row["created_at"] + dt.timedelta(days=self.rng.randrange(1, 40)), BASE_TIME)
        account_id = self.add_account(
            {**{target: row[source] for source, target in ACCOUNT_MAPPING},
             "owner": owner, "created_at": closed}
        )  # fmt: skip
        contact_id = self.add_contact(
            {**{target: row[source] for source, target in CONTACT_MAPPING},
             "account": account_id, "owner": owner, "created_at": closed}
        )  # fmt: skip
        row.update(
            state=LeadState.QUALIFIED.value, status_reason=StatusReason.QUALIFIED.value,
            stage=Stage.DEVELOP.value, closed_by=owner, closed_at=closed,
            account=account_id, contact=contact_id,
        )  # fmt: skip
        lead_id = self.add_lead(row)
        opportunity_id = self.count(Opportunity) + 1
        values = {
            **{target: row[source] for source, target in OPPORTUNITY_MAPPING},
            "id": opportunity_id, "account": account_id, "contact": contact_id,
            "estimated_value": row["estimated_budget"],
            "stage": self.rng.choice(OPPORTUNITY_STAGE_MIX).value,
            "originating_lead": lead_id, "owner": owner, "created_at": closed,
            "modified_at": closed, "name_sort": sort_key(row["topic"]),
        }  # fmt: skip
        self.add(Opportunity, tuple(values[c] for c in OPPORTUNITY_COLUMNS))
        self.audit_row(
            row,
            "qualified",
            f"Qualified. Created account {row['company']}; Created contact "
            f"{row['first_name']} {row['last_name']}; Created opportunity {row['topic']}.",
        )
        self.lead_notes(lead_id, row, lead_id)

    def lead_notes(self, lead_id: int, row: dict[str, Any], index: int) -> None:
        rng = self.rng
        if rng.random() > 0.4:
            return
        for number in range(rng.choice((1, 1, 2, 3))):
            at = row["created_at"] + dt.timedelta(hours=rng.randrange(1, 200))
            name = data = None
            if rng.random() < 0.12:
                name, template = ATTACHMENTS[index % len(ATTACHMENTS)]
                data = template.replace(b"{n}", str(index + number).encode())
            self.add(
                Note,
                (rng.choice(NOTE_TEXTS), name, data, row["owner"], min(at, BASE_TIME), lead_id),
            )

    def count(self, model: type[BaseModel]) -> int:
        return self.written[model] + len(self.pending[model])

    def add(self, model: type[BaseModel], row: tuple) -> None:
        pending = self.pending[model]
        pending.append(row)
        if len(pending) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write what is pending, parents before children (call inside a transaction)."""
        for model in WRITE_ORDER:
            rows = self.pending[model]
            bulk_insert(model, COLUMNS[model], rows)
            self.written[model] += len(rows)
            rows.clear()


# --- Services: the part of the story the audit trail must tell --------------------


def _through_services(gen: Generator, users: dict[str, User]) -> None:
    by_id = {user.id: user for user in users.values()}
    for position, lead_id in enumerate(gen.to_qualify):
        actor = by_id[gen.owner_of[lead_id]]
        lead = Lead.get_by_id(lead_id)
        add_note(actor, lead, NOTE_TEXTS[position % len(NOTE_TEXTS)])
        if position % 3 == 0:
            name, template = ATTACHMENTS[position % len(ATTACHMENTS)]
            add_note(
                actor, lead, "Attached for the team.",
                (name, template.replace(b"{n}", str(position).encode())),
            )  # fmt: skip
        try:
            result = qualify_lead(actor, lead_id)
        except DuplicatesFound as exc:
            # What a rep does in the picker: link the matching account, link a contact
            # only when its email matches, and create the rest anyway.
            matches = exc.matches
            same_email = [c for c in matches.contacts if "same email" in c.rules]
            choice = QualifyChoice(
                link_account_id=matches.accounts[0].id if matches.accounts else None,
                link_contact_id=same_email[0].id if same_email else None,
                ignore_duplicates=True,
            )
            result = qualify_lead(actor, lead_id, choice)
        if result.opportunity is not None and position % 4 == 1:
            move_opportunity_stage(actor, result.opportunity.id, 1)
    for position, (lead_id, reason) in enumerate(gen.to_disqualify):
        actor = by_id[gen.owner_of[lead_id]]
        add_note(actor, Lead.get_by_id(lead_id), "Spoke to them; not going ahead.")
        disqualify_lead(actor, lead_id, reason)
        if position == 0:
            reactivate_lead(actor, lead_id)  # history shows a reactivation
            disqualify_lead(actor, lead_id, reason)


def _qualifying_process_demo(gen: Generator, users: dict[str, User]) -> None:
    """One demo qualifying process (SPEC section 4), the feature switched on, assigned
    to six open leads: every other one ready to qualify, the rest blocked by open
    required activities. The `Demo: ...` leads stay unassigned."""
    query = (
        Lead.select(Lead.id)
        .where((Lead.state == LeadState.OPEN.value) & Lead.id.not_in(gen.demo_lead_ids))
        .order_by(Lead.id.desc())
        .limit(6)
    )
    lead_ids = sorted(lead_id for (lead_id,) in query.tuples())
    seed_demo_process(users["admin"], lead_ids, on=BASE_TIME.date(), at=BASE_TIME)


# --- Entry points --------------------------------------------------------------------


def seed(
    leads: int = 300,
    *,
    accounts: int | None = None,
    contacts: int | None = None,
    reset: bool = False,
    progress: Callable[[str], None] | None = None,
) -> SeedSummary:
    """Fill the open database (`models.open_database`) with demo data.

    `leads` counts every lead, the hand-made demo ones included; `accounts` and
    `contacts` are the minimum numbers of those (qualified leads add their own).
    Refuses a database that already has users or leads unless `reset`.
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    check_counts(leads, accounts, contacts)
    if reset:
        reset_database()
    elif not database_is_empty():
        raise SeedRefused(
            "This database already has users or leads; seeding fills only an empty one. "
            "Use `python seed.py --reset` to empty it first, or choose another --db."
        )
    db = database_proxy.obj
    sqlite = not is_postgres(db)
    if sqlite:
        cache = db.execute_sql("PRAGMA cache_size").fetchone()[0]
        db.execute_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        # One transaction of minutes for a million leads: sessions waiting for the
        # database meanwhile are told that demo data is being written. All or nothing:
        # a seed cut short leaves no demo rows.
        with backends.long_write(db, f"writing {leads:,} demo leads"), db.atomic():
            _seed_rows(leads, accounts, contacts, say)
    finally:
        if sqlite:
            db.execute_sql(f"PRAGMA cache_size = {int(cache)}")
    say("services done; analysing")
    if sqlite:
        db.execute_sql("PRAGMA analysis_limit = 1000")
    db.execute_sql("ANALYZE")
    summary = SeedSummary(
        users=User.select().count(),
        leads=Lead.select().count(),
        accounts=Account.select().count(),
        contacts=Contact.select().count(),
        opportunities=Opportunity.select().count(),
        notes=Note.select().count(),
        seconds=time.perf_counter() - started,
    )
    say(summary.line())
    return summary


def _seed_rows(
    leads: int, accounts: int | None, contacts: int | None, say: Callable[[str], None]
) -> None:
    """Every demo row: users, the bulk rows, then what goes through the services
    (inside the caller's transaction, so that the services' own are savepoints)."""
    region = load_settings().phone_region
    users = {u.username: create_user(u.username, u.full_name, u.role) for u in DEMO_USERS}
    gen = Generator({name: user.id for name, user in users.items()}, region)
    want_accounts = len(BASE_ACCOUNTS) + max(0, leads // 20) if accounts is None else accounts
    want_contacts = 2 * len(BASE_ACCOUNTS) + max(0, leads // 10) if contacts is None else contacts
    _bulk(gen, leads, want_accounts, want_contacts, say)
    say(f"{gen.count(Lead):,} leads written; qualifying and disqualifying through the services")
    _through_services(gen, users)
    _qualifying_process_demo(gen, users)


def check_counts(
    leads: int, accounts: int | None = None, contacts: int | None = None, url: str | None = None
) -> None:
    """Refuse counts that are negative or above `MAX_COUNT` and, for a SQLite file in
    an existing directory, a seed the disk has no room for. Opens and creates nothing."""
    for name, count in (("leads", leads), ("accounts", accounts), ("contacts", contacts)):
        if count is not None and count < 0:
            raise ValidationError({name: f"--{name} cannot be negative (got {count:,})."})
        if count is not None and count > MAX_COUNT:
            raise ValidationError(
                {
                    name: f"--{name} {count:,} is too many: a seed writes at most "
                    f"{MAX_COUNT:,} (a SQLite file of about {_size(MAX_COUNT * BYTES_PER_LEAD)}); "
                    f"{count:,} would need about {_size(count * BYTES_PER_LEAD)} of disk."
                }
            )
    if url is not None:
        _check_room(leads, url)


def _check_room(leads: int, url: str) -> None:
    target = parse_url(url)
    if target.backend != "sqlite" or target.target == ":memory:":
        return
    directory = Path(os.path.abspath(target.target)).parent
    if not directory.is_dir():
        return  # open_database says what is wrong with the path
    # The file, and its write-ahead log, which holds the whole seed until it commits.
    need = 2 * leads * BYTES_PER_LEAD
    free = shutil.disk_usage(directory).free
    if need > free:
        raise ValidationError(
            {
                "leads": f"Seeding {leads:,} leads needs about {_size(need)} free in "
                f"{directory} (the file and its write-ahead log); it has {_size(free)}."
            }
        )


def _size(count: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if count < 1000 or unit == "PB":
            return f"{count:,.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


def _bulk(
    gen: Generator, leads: int, accounts: int, contacts: int, say: Callable[[str], None]
) -> None:
    """Generate and write the bulk rows (inside the caller's transaction)."""
    gen.base_customers()
    gen.extra_accounts(max(0, accounts - gen.count(Account)))
    gen.extra_contacts(max(0, contacts - gen.count(Contact)))
    say(f"{gen.count(Account):,} accounts, {gen.count(Contact):,} contacts written")
    gen.special_leads()
    gen.volume_leads(max(0, leads - gen.count(Lead)), SERVICE_QUALIFY_MAX, SERVICE_DISQUALIFY_MAX)
    gen.flush()
    _fix_sequences(WRITE_ORDER)
