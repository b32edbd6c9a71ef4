"""A CRM a rep can live in: closing opportunities, name sorts, record search, name keys.

- opportunity: estimated close date, the Develop/Propose/Close steps, and closing
  (state, status reason, actual revenue and close date, competitor, description,
  who and when);
- `name_sort` on lead, account, contact and opportunity: the name folded (case,
  accents and punctuation ignored), with an index on (name_sort, id) that serves
  the name sort and its keyset paging on both backends;
- search indexes for accounts, contacts and opportunities, as leads have them
  (FTS5 with prefix indexes on SQLite, a generated tsvector with GIN on PostgreSQL);
- the stored normalised keys are recomputed: company and person keys now drop
  punctuation instead of turning it into a space (`Margie's` -> `margies`), and
  every `name_sort` is filled. The rows are read and written in id batches.

The DDL is frozen here (see 0001 for why); the keys are computed with
`models.normalize`, which is what this migration brings the stored keys up to.
"""

OPPORTUNITY_COLUMNS = [
    '"estimated_close_date" DATE',
    "\"customer_need\" TEXT NOT NULL DEFAULT ''",
    "\"proposed_solution\" TEXT NOT NULL DEFAULT ''",
    '"final_decision_date" DATE',
    "\"steps_done\" TEXT NOT NULL DEFAULT ''",
    "\"state\" VARCHAR(16) NOT NULL DEFAULT 'open'",
    "\"status_reason\" VARCHAR(32) NOT NULL DEFAULT 'in_progress'",
    '"actual_revenue" NUMERIC(15, 2)',
    '"actual_close_date" DATE',
    "\"competitor\" VARCHAR(100) NOT NULL DEFAULT ''",
    "\"close_description\" TEXT NOT NULL DEFAULT ''",
    '"closed_by_id" INTEGER REFERENCES "user" ("id") ON DELETE SET NULL',
    '"closed_at" {timestamp}',
    "\"name_sort\" VARCHAR(255) NOT NULL DEFAULT ''",
]
NAME_SORT = "\"name_sort\" VARCHAR(255) NOT NULL DEFAULT ''"
COMMON = [
    *(f'ALTER TABLE "opportunity" ADD COLUMN {column}' for column in OPPORTUNITY_COLUMNS),
    f'ALTER TABLE "lead" ADD COLUMN {NAME_SORT}',
    f'ALTER TABLE "account" ADD COLUMN {NAME_SORT}',
    f'ALTER TABLE "contact" ADD COLUMN {NAME_SORT}',
    'CREATE INDEX "opportunity_closed_by_id" ON "opportunity" ("closed_by_id")',
    'CREATE INDEX "opportunity_state_stage" ON "opportunity" ("state", "stage")',
]
# Created after the keys are filled: one index build instead of a million updates.
INDEXES = [
    'CREATE INDEX "lead_name_sort_id" ON "lead" ("name_sort", "id")',
    'CREATE INDEX "account_name_sort_id" ON "account" ("name_sort", "id")',
    'CREATE INDEX "contact_name_sort_id" ON "contact" ("name_sort", "id")',
    'CREATE INDEX "opportunity_name_sort_id" ON "opportunity" ("name_sort", "id")',
]

# (table, searched columns)
SEARCHED = {
    "account": ("name", "website", "city"),
    "contact": ("first_name", "last_name", "email", "job_title"),
    "opportunity": ("topic",),
}


def _sqlite_search(table: str, columns: tuple[str, ...]) -> list[str]:
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    fts = f"{table}_fts"
    return [
        f"""CREATE VIRTUAL TABLE {fts} USING fts5({names},
            content='{table}', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2', prefix='1 2 3 4 5 6')""",
        f"""CREATE TRIGGER {fts}_insert AFTER INSERT ON "{table}" BEGIN
            INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});
        END""",
        f"""CREATE TRIGGER {fts}_delete AFTER DELETE ON "{table}" BEGIN
            INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});
        END""",
        f"""CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON "{table}" BEGIN
            INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});
            INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});
        END""",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _postgres_search(table: str, columns: tuple[str, ...]) -> list[str]:
    # As the lead's: '@', '.', '/' and ':' separate words, so a website or an email
    # is found by its parts.
    text = " || ' ' || ".join(f"translate(coalesce({c}, ''), '@./:', '    ')" for c in columns)
    return [
        f"""ALTER TABLE "{table}" ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
            to_tsvector('simple', {text})) STORED""",
        f'CREATE INDEX {table}_search_tsv ON "{table}" USING gin (search_tsv)',
    ]


def _recompute(db, table: str, columns: tuple[str, ...], compute) -> None:
    """Rewrite the keys of every row of `table`, in batches of ids."""
    param = db.param
    quoted = ", ".join('"' + c + '"' for c in columns)
    select = f'SELECT "id", {quoted} FROM "{table}" WHERE "id" > {param} ORDER BY "id" LIMIT 5000'

    last = 0
    update = None
    while True:
        rows = db.execute_sql(select, (last,)).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        changes = [(*compute(*row[1:]).values(), row[0]) for row in rows]
        if update is None:
            names = list(compute(*rows[0][1:]))
            sets = ", ".join(f'"{name}" = {param}' for name in names)
            update = f'UPDATE "{table}" SET {sets} WHERE "id" = {param}'
        db.cursor().executemany(update, changes)


def _recompute_keys(db) -> None:
    from models import normalize

    _recompute(
        db,
        "lead",
        ("company", "first_name", "last_name"),
        lambda company, first, last: {
            "company_key": normalize.company_key(company),
            "person_key": normalize.person_key(first, last),
            "name_sort": normalize.sort_key(last, first),
        },
    )
    _recompute(
        db,
        "account",
        ("name",),
        lambda name: {
            "name_key": normalize.company_key(name),
            "name_sort": normalize.sort_key(name),
        },
    )
    _recompute(
        db,
        "contact",
        ("first_name", "last_name"),
        lambda first, last: {
            "person_key": normalize.person_key(first, last),
            "name_sort": normalize.sort_key(last, first),
        },
    )
    _recompute(
        db, "opportunity", ("topic",), lambda topic: {"name_sort": normalize.sort_key(topic)}
    )


def up(migrator, db):
    from models.db import is_postgres

    postgres = is_postgres(db)
    timestamp = "TIMESTAMP" if postgres else "DATETIME"
    for statement in COMMON:
        db.execute_sql(statement.format(timestamp=timestamp))
    _recompute_keys(db)
    for statement in INDEXES:
        db.execute_sql(statement)
    for table, columns in SEARCHED.items():
        for statement in (_postgres_search if postgres else _sqlite_search)(table, columns):
            db.execute_sql(statement)
