"""The lead list's queries for search as you type (models/listing.py), on SQLite and
PostgreSQL: a search with more matches than `SORTED_SEARCH_LIMIT` is listed in
`ENTERED` order (newest entered first) through the search index; it must hold
exactly the leads of the straightforward query, page by page. Also the FTS5
prefix-index migration and stopping a running count."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import models
from models import listing
from models.listing import ENTERED, lead_rows, search_order, sort_key

from ..conftest import make_lead
from ..peewee_log import logged
from .plans import assert_no_sort, page_plan

FIRST = ["Nancy", "Nadia", "Grace", "Alan", "Ana", "Nathan"]
COMPANIES = ["Contoso Ltd.", "Northwind Traders", "Fabrikam Inc", "Coho Winery"]


@pytest.fixture
def many(db: object, rep: models.User, admin: models.User) -> list[models.Lead]:
    """24 leads, created at times that do not follow their ids, some closed,
    owned by two users."""
    made = []
    start = dt.datetime(2024, 1, 1)
    for i in range(24):
        first = FIRST[i % len(FIRST)]
        company = COMPANIES[i % len(COMPANIES)]
        lead = make_lead(
            rep if i % 3 else admin,
            first_name=first,
            last_name=f"Tester{i:02d}",
            company=company,
            email=f"{first.lower()}{i}@{company.split()[0].lower()}.com",
            topic=["Chairs", "Desks", "Lamps"][i % 3],
            owner=rep if i % 3 else admin,
        )
        created = start + dt.timedelta(hours=(i * 7) % 24)  # not in id order
        models.Lead.update(created_at=created).where(models.Lead.id == lead.id).execute()
        made.append(lead)
    models.disqualify_lead(admin, made[4].id, models.StatusReason.LOST)
    models.disqualify_lead(admin, made[9].id, models.StatusReason.LOST)
    return made


def straightforward_ids(view: str, user: models.User, search: str, descending: bool) -> list[int]:
    """The leads of a view and search by the plain `id IN (matches)` condition, by id."""
    query = models.lead_query(view, user, "", "created", descending)
    condition = listing.search_condition(search)
    if condition is not None:
        query = query.where(condition)
    column = models.Lead.id
    return [lead.id for lead in query.order_by(column.desc() if descending else column.asc())]


def walk_pages(
    view: str, user: models.User, search: str, sort: str, descending: bool, size: int
) -> list[int]:
    """Every lead of a query read page by page with keyset edges, as the list does."""
    query = models.lead_query(view, user, search, sort, descending)
    ids: list[int] = []
    after = None
    while True:
        rows = lead_rows(
            query, 0, size, sort=sort, descending=descending, after=after, search=search
        )
        ids += [row["id"] for row in rows]
        if len(rows) < size:
            return ids
        after = sort_key(rows[-1], sort)


@pytest.mark.parametrize("view", ["open", "mine", "all", "disqualified"])
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("search", ["n", "na", "con", "nancy contoso", "c", "zzz"])
def test_entered_order_holds_exactly_the_straightforward_results(
    many: list[models.Lead], rep: models.User, view: str, descending: bool, search: str
) -> None:
    expected = straightforward_ids(view, rep, search, descending)
    query = models.lead_query(view, rep, search, ENTERED, descending)
    assert [lead.id for lead in query] == expected
    assert models.count_leads(query) == len(expected)
    assert walk_pages(view, rep, search, ENTERED, descending, size=3) == expected
    if expected:
        # Slices counted from the end (the list's End key) agree too.
        tail = lead_rows(query, 0, 2, sort=ENTERED, descending=descending, from_end=True,
                         search=search)  # fmt: skip
        assert [row["id"] for row in tail] == expected[-2:]
        before = lead_rows(query, 0, 2, sort=ENTERED, descending=descending,
                           before=(expected[-1],), search=search)  # fmt: skip
        assert [row["id"] for row in before] == expected[-3:-1]


@pytest.mark.parametrize("sort", ["created", "name", "company", "topic"])
def test_sorted_search_pages_match_the_sorted_query(
    many: list[models.Lead], rep: models.User, sort: str
) -> None:
    for descending in (True, False):
        query = models.lead_query("all", rep, "n", sort, descending)
        expected = [lead.id for lead in query]
        assert expected, "the data set has leads matching n"
        assert walk_pages("all", rep, "n", sort, descending, size=4) == expected


def test_search_order_sorts_only_small_searches(
    many: list[models.Lead], rep: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    n_matches = models.count_leads(models.lead_query("all", rep, "n"))
    assert listing.count_matches("n", 1000) == n_matches
    assert listing.count_matches("n", 3) == 3  # counts no further than asked
    assert listing.count_matches("", 3) == 0
    monkeypatch.setattr(listing, "SORTED_SEARCH_LIMIT", n_matches)
    assert search_order("n", "name") == "name"  # at the limit: sorted
    monkeypatch.setattr(listing, "SORTED_SEARCH_LIMIT", n_matches - 1)
    assert search_order("n", "name") == ENTERED
    assert search_order("n", "created") == ENTERED
    assert search_order("", "name") == "name"  # no search: always the sort asked for
    assert search_order("nancy contoso", "name") == "name"  # fewer matches


def test_entered_without_search_is_newest_first(many: list[models.Lead], rep: models.User) -> None:
    ids = [lead.id for lead in models.lead_query("all", rep, "", ENTERED)]
    assert ids == sorted((lead.id for lead in many), reverse=True)


def test_unknown_sort_is_an_error(db: object, rep: models.User) -> None:
    with pytest.raises(ValueError):
        models.lead_query("open", rep, "", "colour")


def test_sqlite_search_index_has_prefix_indexes(sqlite_db: Any) -> None:
    (sql,) = sqlite_db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE name = 'lead_fts'"
    ).fetchone()
    assert "prefix='1 2 3 4 5 6'" in sql


def test_prefix_index_migration_rebuilds_the_existing_index(sqlite_db: Any) -> None:
    """A database made before 0003 (plain FTS5 table with rows) keeps its search."""
    ada = models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    lead = make_lead(ada, first_name="Zenobia", company="Quux Ltd.")
    sqlite_db.execute_sql("DROP TABLE lead_fts")
    initial = importlib.import_module("models.migrations.0001_initial")
    sqlite_db.execute_sql(initial.SQLITE_SEARCH[0])  # the table as 0001 made it
    sqlite_db.execute_sql("INSERT INTO lead_fts(lead_fts) VALUES ('rebuild')")
    sqlite_db.execute_sql("DELETE FROM schema_migration WHERE name = '0003_search_prefix_index'")
    assert models.db.migrate(sqlite_db) == ["0003_search_prefix_index"]
    found = models.lead_query("all", ada, "zen quu", ENTERED)
    assert [x.id for x in found] == [lead.id]
    later = make_lead(ada, first_name="Zeno")  # the triggers still feed the new table
    assert [x.id for x in models.lead_query("all", ada, "zen", ENTERED)] == [later.id, lead.id]


def test_a_stopped_count_raises_query_stopped(many: list[models.Lead]) -> None:
    """A count nobody waits for can be stopped from another thread (the list stops
    the count of a search that was typed over)."""
    lead = models.Lead
    others = [lead.alias(f"l{i}") for i in range(6)]
    query = lead.select().from_(lead, *others)  # 24**7 rows: minutes unless stopped
    stopper = models.QueryStopper()
    timer = threading.Timer(0.2, stopper)
    timer.start()
    try:
        with pytest.raises(models.QueryStopped):
            models.count_leads(query, stopper)
    finally:
        timer.cancel()
    # The connection is usable afterwards, and a late stop does no harm.
    stopper()
    assert models.count_leads(models.lead_query("all")) == 24


def _huge_query() -> object:
    lead = models.Lead
    others = [lead.alias(f"l{i}") for i in range(6)]
    return lead.select().from_(lead, *others)  # 24**7 rows: minutes unless stopped


def test_a_stop_before_the_count_starts_is_not_lost(many: list[models.Lead]) -> None:
    stopper = models.QueryStopper()
    stopper()
    with pytest.raises(models.QueryStopped):
        models.count_leads(_huge_query(), stopper)
    assert models.count_leads(models.lead_query("all")) == 24


def test_a_stop_as_the_statement_is_sent_is_not_lost(many: list[models.Lead]) -> None:
    """The stop comes after the count checked the flag but before the server runs
    the statement: on PostgreSQL that first cancel request finds nothing to
    cancel, so the stopper repeats it until the statement has ended."""
    stopper = models.QueryStopper()
    real_running = stopper.running

    @contextlib.contextmanager
    def stopped_once_running() -> Iterator[None]:
        with real_running():
            other = threading.Thread(target=stopper)
            other.start()
            other.join()  # the stop (and its cancel, if any) is over before the count
            yield

    stopper.running = stopped_once_running
    with pytest.raises(models.QueryStopped):
        models.count_leads(_huge_query(), stopper)
    assert models.count_leads(models.lead_query("all")) == 24


@pytest.mark.parametrize("view", ["open", "mine", "all", "qualified", "disqualified", "duplicates"])
def test_every_lead_view_and_sort_is_served_by_an_index(db: Any, rep: models.User, view) -> None:
    """Migration 0008: no page of a lead view, in any sort and direction, sorts the
    view's leads, on both backends (before it, "Open leads" on seed.py's million
    leads sorted 720,000 rows for each page: 0.6-0.7 s, the start of every leadq).
    "All leads" is read through the sort column's own index, in whose ties
    PostgreSQL sorts by id (SQLite's indexes end with the rowid)."""
    for sort in listing.SORTS:
        for descending in (False, True):
            query = models.lead_query(view, rep, "", sort, descending).limit(30)
            assert_no_sort(page_plan(db, query), (sort, descending), ties=view == "all")


def test_lead_pages_ignore_misleading_statistics(sqlite_db: Any) -> None:
    """seed.py's ANALYZE samples (`analysis_limit`): on its million leads SQLite was
    told about 1,000 leads per state, and read "Open leads" through the state index,
    sorting them all. With statistics that say so, a page still comes in order from
    an index, and so do the next ones."""
    rep = models.create_user("riley", "Riley Rep")
    for i in range(40):
        make_lead(rep, first_name=f"Lead{i:02d}", company=COMPANIES[i % 4])
    sqlite_db.execute_sql("ANALYZE")
    for idx, stat in sqlite_db.execute_sql("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'lead'"):
        # as sampled: about 1,000 leads per value of each index's first column
        columns = len(stat.split()) - 1
        sampled = " ".join(["646800", "1001", *["1"] * (columns - 1)])
        sqlite_db.execute_sql("UPDATE sqlite_stat1 SET stat = ? WHERE idx = ?", (sampled, idx))
    sqlite_db.execute_sql("ANALYZE sqlite_schema")  # the planner rereads the statistics
    first = models.lead_query("open", rep, "", "created", True)
    assert_no_sort(page_plan(sqlite_db, first.limit(30)))
    rows = lead_rows(first, 0, 30)
    with logged(lambda record: record.msg) as statements:
        later = lead_rows(first, 0, 30, after=sort_key(rows[-1], "created"))
    sql, params = next(x for x in statements if x[0].startswith('SELECT "t1"."id"'))
    assert "TEMP B-TREE" not in " ".join(
        r[3] for r in sqlite_db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)
    )
    every = [lead.id for lead in models.lead_query("open", rep, "", "created", True)]
    assert [r["id"] for r in rows + later] == every


def test_lead_list_index_migration_analyses_its_indexes(sqlite_db: Any) -> None:
    """On a database with statistics, 0008's indexes get theirs, so the planner weighs
    them against the older ones."""
    rep = models.create_user("riley", "Riley Rep")
    make_lead(rep, first_name="Nancy")
    migration = importlib.import_module("models.migrations.0008_lead_list_indexes")
    for name in migration.INDEXES:
        sqlite_db.execute_sql(f'DROP INDEX "{name}"')
    sqlite_db.execute_sql('CREATE INDEX "lead_state" ON "lead" ("state")')  # as 0001 made them
    sqlite_db.execute_sql('CREATE INDEX "lead_owner_id_state" ON "lead" ("owner_id", "state")')
    sqlite_db.execute_sql("DELETE FROM schema_migration WHERE name = '0008_lead_list_indexes'")
    sqlite_db.execute_sql("ANALYZE")
    assert models.db.migrate(sqlite_db) == ["0008_lead_list_indexes"]
    analysed = {row[0] for row in sqlite_db.execute_sql("SELECT idx FROM sqlite_stat1")}
    assert set(migration.INDEXES) <= analysed
    assert not analysed & set(migration.REPLACED)


def test_lead_list_index_migration_drops_last() -> None:
    """0008 builds its indexes before it drops the two they replace: on PostgreSQL a
    DROP INDEX keeps readers off the table until the migration commits."""
    migration = importlib.import_module("models.migrations.0008_lead_list_indexes")
    kinds = [statement.split()[0] for statement in migration.statements()]
    assert kinds == ["CREATE"] * len(migration.INDEXES) + ["DROP"] * len(migration.REPLACED)
