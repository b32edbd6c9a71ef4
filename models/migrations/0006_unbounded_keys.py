"""Duplicate-detection keys become unbounded text on PostgreSQL.

A normalised key can be longer than the field it comes from: casefolding spells
"ß" as "ss" (50 + 50 "ß" make a person key of 201 characters in a column of 101),
NFKD spells some characters out in several, and IDNA writes an international
domain in ASCII ("xn--..."), longer than the address typed. PostgreSQL enforced
the old lengths and refused such valid leads with a DataError. varchar -> text is
binary-compatible: no table is rewritten and no index rebuilt, so this is quick
even on a million leads. Keys are capped at `normalize.KEY_MAX` characters so an
index entry always fits. SQLite does not enforce lengths: nothing to do there.
"""

KEYS = {
    "lead": ("email_key", "company_key", "domain_key", "phone_key", "person_key"),
    "account": ("name_key", "domain_key", "phone_key"),
    "contact": ("email_key", "phone_key", "person_key"),
}

POSTGRES = [
    f'ALTER TABLE "{table}" '
    + ", ".join(f'ALTER COLUMN "{column}" TYPE TEXT' for column in columns)
    for table, columns in KEYS.items()
]


def up(migrator, db):
    from models.db import is_postgres

    if is_postgres(db):
        for statement in POSTGRES:
            db.execute_sql(statement)
