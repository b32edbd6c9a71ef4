"""Indexes that serve every sort of the lead list's open, qualified, disqualified
and "My open leads" views, as 0007 did for the other lists.

The lead list's pages were ordered by an index on the sort's column alone
(created_at, name_sort, company, topic) and filtered by state on the way. That
holds only while the planner believes the state filter keeps most rows. On the
1,000,000-lead database seed.py makes (its ANALYZE samples: `analysis_limit`),
SQLite's statistics put about 1,000 leads in each state, so it read the 720,000
open leads through the state index and sorted them for every page: 0.6-0.7 s for
the first page of "Open leads", which is the start-up of every `leadq`, and a
temporary B-tree of the whole view in memory. A state with few leads had the
opposite risk: walking the whole date index to find a page of them.

(state, sort column, id) and (owner_id, state, sort column, id) serve both the
filter and the order, and their keyset pages. They replace 0001's (state) and
(owner_id, state), which are their prefixes: left beside them, the state index
kept its misleading statistics and SQLite went on choosing it (ANALYZE of the
new indexes alone gives them true ones). "All leads" keeps the single-column
indexes; the "Possible duplicates" worklist is the open leads that match a
record, read in the same order.

The same statements on both backends; on SQLite the new indexes are analysed when
the database has statistics already. The DDL is frozen here (see 0001).
"""

SORT_COLUMNS = {
    "created": "created_at",
    "name": "name_sort",
    "company": "company",
    "topic": "topic",
}
# name: (table, columns)
INDEXES: dict[str, tuple[str, tuple[str, ...]]] = {
    **{
        f"lead_list_state_{sort}": ("lead", ("state", column, "id"))
        for sort, column in SORT_COLUMNS.items()
    },
    **{
        f"lead_list_owner_{sort}": ("lead", ("owner_id", "state", column, "id"))
        for sort, column in SORT_COLUMNS.items()
    },
}


# 0001's, now prefixes of the ones above.
REPLACED = ("lead_state", "lead_owner_id_state")


def statements() -> list[str]:
    """The new indexes first, the replaced ones dropped last: on PostgreSQL a DROP
    INDEX locks the table against readers until the migration commits, where a
    CREATE INDEX lets them read; dropped first, every session's list waited for
    all eight indexes to be built (18-25 s on a million leads)."""
    made = []
    for name, (table, columns) in INDEXES.items():
        names = ", ".join(f'"{c}"' for c in columns)
        made.append(f'CREATE INDEX "{name}" ON "{table}" ({names})')
    return made + [f'DROP INDEX "{name}"' for name in REPLACED]


def up(migrator, db):
    from models.db import is_postgres

    for statement in statements():
        db.execute_sql(statement)
    if not is_postgres(db):
        analysed = db.execute_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        ).fetchone()
        if analysed:
            for name in INDEXES:
                db.execute_sql(f'ANALYZE "{name}"')
