"""Indexes that serve every sort of every account, contact and opportunity view.

Before this, "Created" on a million accounts sorted the whole table for each page
(300-700 ms a page, measured on 1,000,000 rows), and counting "My accounts" read
every row of the owner to check `merged_into_id` (200-350 ms). Now:

- on account and contact, partial indexes of the rows the lists show (`WHERE
  merged_into_id IS NULL`, which every account and contact view asks for):
  (name_sort | created_at, id) serve "All accounts/contacts" in either sort and
  its keyset pages, (owner_id, name_sort | created_at, id) "My ..." the same way,
  and each counts its view from the index alone. Partial, not a column of the
  index: PostgreSQL does not take `IS NULL` as fixing a column for the order,
  and with (name_sort, id) alone a database without statistics had SQLite pick
  the merged_into_id index and sort every row for each page;
- (created_at, id) on opportunity serves "All opportunities" by date (by topic,
  (name_sort, id) from 0004 does);
- (state, created_at | name_sort, id) and (owner_id, state, ...) on opportunity
  serve its open / won / lost / mine views.

The same statements on both backends. On SQLite the new indexes are analysed
when the database has statistics already (seed.py runs ANALYZE), so the planner
weighs them with the others. The DDL is frozen here (see 0001).
"""

UNMERGED = "merged_into_id IS NULL"
# name: (table, columns, the rows it holds or None for all)
INDEXES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    **{
        # merged_into_id last: SQLite counts a view from the index alone only when
        # the index has every column the query names.
        f"{table}_list_{name}": (table, (*columns, "merged_into_id"), UNMERGED)
        for table in ("account", "contact")
        for name, columns in (
            ("name", ("name_sort", "id")),
            ("created", ("created_at", "id")),
            ("owner_name", ("owner_id", "name_sort", "id")),
            ("owner_created", ("owner_id", "created_at", "id")),
        )
    },
    "opportunity_list_created": ("opportunity", ("created_at", "id"), None),
    "opportunity_list_state_created": ("opportunity", ("state", "created_at", "id"), None),
    "opportunity_list_state_name": ("opportunity", ("state", "name_sort", "id"), None),
    "opportunity_list_owner_created": (
        "opportunity",
        ("owner_id", "state", "created_at", "id"),
        None,
    ),
    "opportunity_list_owner_name": ("opportunity", ("owner_id", "state", "name_sort", "id"), None),
}


# 0005's merged_into_id indexes, rebuilt to hold only merged rows: they serve
# "merged into this one" (`merged_into_id = ?` implies IS NOT NULL on both backends),
# and no longer offer `IS NULL` to the planner, which without statistics took
# them over the list indexes and sorted every unmerged row for each page.
MERGED = [
    statement
    for table in ("account", "contact")
    for statement in (
        f'DROP INDEX "{table}_merged_into_id"',
        f'CREATE INDEX "{table}_merged_into_id" ON "{table}" ("merged_into_id") '
        "WHERE merged_into_id IS NOT NULL",
    )
]


def statements() -> list[str]:
    made = list(MERGED)
    for name, (table, columns, where) in INDEXES.items():
        names = ", ".join(f'"{c}"' for c in columns)
        partial = f" WHERE {where}" if where else ""
        made.append(f'CREATE INDEX "{name}" ON "{table}" ({names}){partial}')
    return made


def up(migrator, db):
    from models.db import is_postgres

    for statement in statements():
        db.execute_sql(statement)
    if not is_postgres(db):
        analysed = db.execute_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        ).fetchone()
        if analysed:
            for name in [*INDEXES, "account_merged_into_id", "contact_merged_into_id"]:
                db.execute_sql(f'ANALYZE "{name}"')
