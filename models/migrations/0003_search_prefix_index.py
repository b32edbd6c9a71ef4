"""Prefix indexes for the lead search (SQLite FTS5 `prefix=`).

Search as you type asks for prefixes (`n*`, `na*`, `nan*`); without a prefix
index FTS5 merges the postings of every word that starts with the prefix before
it can return the first match (60-900 ms on 1,000,000 leads). With an index per
prefix length up to 6 it reads one list, in rowid order, and can stop after a
page. The table is recreated with the option and rebuilt from `lead` (about
20-90 s on 1,000,000 leads, once); the triggers of 0001 keep it up to date as
before (they name the table, so they carry over). PostgreSQL needs nothing: its
GIN index answers `word:*` prefix queries.
"""

SQLITE = [
    "DROP TABLE lead_fts",
    """CREATE VIRTUAL TABLE lead_fts USING fts5(
        topic, first_name, last_name, company, email,
        content='lead', content_rowid='id', tokenize='unicode61 remove_diacritics 2',
        prefix='1 2 3 4 5 6')""",
    "INSERT INTO lead_fts(lead_fts) VALUES ('rebuild')",
]


def up(migrator, db):
    from models.db import is_postgres

    if not is_postgres(db):
        for statement in SQLITE:
            db.execute_sql(statement)
