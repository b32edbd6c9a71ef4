"""A database of N leads for the TUI benchmarks, when seed.py is not available.

Raw `executemany` through the models' own connection (the FTS triggers fill the
search index); keys come from `models.entities.lead_keys` like every other lead.
Deterministic: the same N gives the same data.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

FIRST = [
    "Nancy",
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Ken",
    "Dennis",
    "Barbara",
    "Edsger",
    "Donald",
    "Margaret",
    "Tim",
    "Radia",
    "Frances",
]
LAST = [
    "Anderson",
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Thompson",
    "Ritchie",
    "Liskov",
    "Dijkstra",
    "Knuth",
    "Hamilton",
    "Berners-Lee",
    "Perlman",
    "Allen",
    "Smith",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Martinez",
]
COMPANIES = [
    "Contoso Ltd.",
    "Fabrikam Inc",
    "Adventure Works",
    "Northwind Traders",
    "Litware GmbH",
    "Tailspin Toys",
    "Wingtip Toys",
    "Proseware LLC",
    "Woodgrove Bank",
    "Fourth Coffee",
    "Alpine Ski House",
    "Coho Winery",
]
TOPICS = [
    "50 ergonomic chairs",
    "Office refit",
    "Fleet renewal",
    "CRM licences",
    "Coffee machines",
    "Server upgrade",
    "Training days",
    "Standing desks",
    "Printer contract",
    "Cloud migration",
]
STATES = (
    [("open", "new")] * 6
    + [("open", "contacted")]
    + [("qualified", "qualified")] * 2
    + [("disqualified", "lost")]
)
COLUMNS = [
    "street1",
    "street2",
    "street3",
    "city",
    "state_province",
    "postal_code",
    "country",
    "topic",
    "first_name",
    "last_name",
    "job_title",
    "business_phone",
    "mobile_phone",
    "email",
    "company",
    "website",
    "rating",
    "lead_source",
    "owner_id",
    "created_at",
    "modified_at",
    "decision_maker_identified",
    "summary",
    "state",
    "status_reason",
    "stage",
    "email_key",
    "company_key",
    "domain_key",
    "phone_key",
    "person_key",
]


def make_database(path: Path, leads: int, chunk: int = 20_000) -> None:
    import models
    from models.entities import lead_keys

    models.open_database(f"sqlite:///{path}")
    db = models.database_proxy.obj
    users = []
    for username, name, role in (
        ("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR),
        ("riley", "Riley Rep", models.Role.SALESPERSON),
        ("sam", "Sam Manager", models.Role.SALES_MANAGER),
    ):
        users.append(models.create_user(username, name, role).id)
    rng = random.Random(1234)
    start = dt.datetime(2022, 1, 1)
    sql = 'INSERT INTO "lead" ({}) VALUES ({})'.format(
        ", ".join(f'"{c}"' for c in COLUMNS), ", ".join("?" * len(COLUMNS))
    )
    done = 0
    while done < leads:
        rows = []
        for i in range(done, min(leads, done + chunk)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = rng.choice(COMPANIES)
            domain = company.split()[0].lower() + ".com"
            email = f"{first.lower()}.{last.lower()}{i % 50_000}@{domain}"
            state, reason = rng.choice(STATES)
            created = start + dt.timedelta(seconds=i * 90 + rng.randint(0, 80))
            values = {
                "street1": f"{i % 999 + 1} Main Street",
                "street2": "",
                "street3": "",
                "city": "Redmond",
                "state_province": "WA",
                "postal_code": "98052",
                "country": "United States",
                "topic": rng.choice(TOPICS),
                "first_name": first,
                "last_name": last,
                "job_title": "Buyer",
                "business_phone": f"+1 206 555 {i % 10_000:04d}",
                "mobile_phone": "",
                "email": email,
                "company": company,
                "website": f"https://www.{domain}",
                "rating": rng.choice(["hot", "warm", "cold"]),
                "lead_source": "web",
                "owner_id": users[i % len(users)],
                "created_at": created,
                "modified_at": created,
                "decision_maker_identified": 0,
                "summary": "",
                "state": state,
                "status_reason": reason,
                "stage": "qualify",
            }
            values.update(lead_keys(values, "US"))
            rows.append(tuple(values[c] for c in COLUMNS))
        with db.atomic():
            db.cursor().executemany(sql, rows)
        done += len(rows)
        print(f"{done:,} leads", file=sys.stderr, end="\r")
    db.execute_sql("ANALYZE")
    models.close_database()


if __name__ == "__main__":
    target = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    if target.exists():
        sys.exit(f"{target} exists")
    make_database(target, count)
