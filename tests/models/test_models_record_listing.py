"""The account, contact and opportunity lists: views, search, sort, keyset pages
(both backends)."""

from __future__ import annotations

import importlib

import pytest
from peewee import SQL

import models
from models.listing import ENTERED
from models.record_listing import (
    count_records,
    record_ids,
    record_query,
    record_rows,
    record_search_order,
    record_sort_key,
)

from ..conftest import make_lead
from .plans import assert_no_sort, page_plan


@pytest.fixture
def accounts(db, rep):
    names = ["zimmerman Travel", "Äpfel GmbH", "JANET Supplies", "Margie's Travel", "adatum"]
    other = models.create_user("sam", "Sam Rep")
    made = [
        models.create_account(rep if i % 2 == 0 else other, name=name, city="Seattle",
                              ignore_duplicates=True)
        for i, name in enumerate(names)
    ]  # fmt: skip
    return made


def names(kind, view, user, search="", sort="name", descending=False):
    query = record_query(kind, view, user, search, sort, descending)
    key = "name" if kind == "account" else "topic" if kind == "opportunity" else "last_name"
    return [row[key] for row in record_rows(kind, query, 0, 50, sort=sort, descending=descending,
                                            search=search)]  # fmt: skip


def test_account_name_sort_ignores_case_accents_punctuation(accounts, rep) -> None:
    assert names("account", "all", rep) == [
        "adatum",
        "Äpfel GmbH",
        "JANET Supplies",
        "Margie's Travel",
        "zimmerman Travel",
    ]
    assert names("account", "mine", rep) == ["adatum", "JANET Supplies", "zimmerman Travel"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("trav", {"Margie's Travel", "zimmerman Travel"}), ("janet sup", {"JANET Supplies"}),
     ("seattle", None), ("nothing", set())],
)  # fmt: skip
def test_account_search_by_word_prefix(accounts, rep, text, expected) -> None:
    found = set(names("account", "all", rep, text))
    assert found == (expected if expected is not None else {a.name for a in accounts})


def test_keyset_pages_match_offset_pages(accounts, rep) -> None:
    query = record_query("account", "all", rep)
    whole = record_rows("account", query, 0, 10)
    first = record_rows("account", query, 0, 2)
    after = record_rows("account", query, 0, 2, after=record_sort_key("account", first[-1], "name"))
    assert [r["id"] for r in first + after] == [r["id"] for r in whole[:4]]
    last = record_rows("account", query, 0, 2, from_end=True)
    assert [r["id"] for r in last] == [r["id"] for r in whole[-2:]]
    before = record_rows("account", query, 0, 2, before=record_sort_key("account", last[0], "name"))
    assert [r["id"] for r in before] == [r["id"] for r in whole[-4:-2]]
    assert count_records(query) == 5
    assert len(record_ids("account", query, among=[accounts[0].id, 999])) == 1


def test_contacts_show_their_account_and_owner(db, rep) -> None:
    account = models.create_account(rep, name="Fabrikam")
    models.create_contact(rep, first_name="Ann", last_name="Beta", account=account.id)
    models.create_contact(rep, first_name="Cy", last_name="alpha")
    rows = record_rows("contact", record_query("contact", "all", rep), 0, 10)
    assert [(r["last_name"], r["account_name"], r["owner_name"]) for r in rows] == [
        ("alpha", "", "Riley Rep"),
        ("Beta", "Fabrikam", "Riley Rep"),
    ]


def test_opportunity_views_follow_state(db, rep) -> None:
    first = models.qualify_lead(rep, make_lead(rep).id).opportunity
    second = models.create_opportunity(rep, topic="Second deal")
    models.close_opportunity_won(rep, first.id, "10")
    assert names("opportunity", "open", rep) == ["Second deal"]
    assert names("opportunity", "won", rep) == ["50 ergonomic chairs"]
    assert names("opportunity", "lost", rep) == []
    assert set(names("opportunity", "all", rep, "deal")) == {"Second deal"}
    assert second.name_sort == "second deal"


def test_search_with_many_matches_is_listed_as_entered(db, rep, monkeypatch) -> None:
    import models.record_listing as listing

    monkeypatch.setattr(listing, "SORTED_SEARCH_LIMIT", 2)
    for i in range(4):
        models.create_account(rep, name=f"Acme {i}", ignore_duplicates=True)
    assert record_search_order("account", "acme", "name") == ENTERED
    assert record_search_order("account", "acme 1", "name") == "name"
    query = record_query("account", "all", rep, "acme", ENTERED, True)
    rows = record_rows("account", query, 0, 10, sort=ENTERED, descending=True, search="acme")
    assert [r["name"] for r in rows] == ["Acme 3", "Acme 2", "Acme 1", "Acme 0"]


def test_unknown_views_and_sorts(db, rep) -> None:
    with pytest.raises(ValueError):
        record_query("account", "won", rep)
    with pytest.raises(ValueError):
        record_query("contact", "all", rep, sort="value")
    with pytest.raises(ValueError):
        record_query("lead", "all", rep)


def test_merged_accounts_are_not_listed(db, rep, admin) -> None:
    master = models.create_account(rep, name="Fabrikam")
    other = models.create_account(rep, name="Fabrikam Inc", ignore_duplicates=True)
    models.merge_accounts(admin, master.id, other.id)
    assert names("account", "all", rep) == ["Fabrikam"]


@pytest.mark.parametrize("kind", ["account", "contact", "opportunity"])
def test_every_view_and_sort_is_served_by_an_index(db, rep, kind) -> None:
    """Migration 0007: no page of any view, in any sort and direction, sorts the table
    (on a million accounts that was 300-700 ms a page), on both backends."""
    spec = models.record_list(kind)
    for view in spec.views:
        for sort in spec.sorts:
            for descending in (False, True):
                query = record_query(kind, view, rep, "", sort, descending).limit(100)
                assert_no_sort(page_plan(db, query), (view, sort, descending))


@pytest.mark.parametrize("kind", ["account", "contact"])
def test_my_records_are_counted_from_an_index(db, rep, kind) -> None:
    query = record_query(kind, "mine", rep).order_by().select(SQL("1"))
    plan = " | ".join(page_plan(db, query))
    if models.db.is_postgres():
        # Which owner index PostgreSQL picks depends on the table's statistics, which
        # an earlier test on the same server may have left (autovacuum analyses a
        # table once a test has filled it): the 0007 one, or a bitmap scan of the
        # foreign key's. Either way the owner's rows are found through an index.
        assert "Index Cond: (owner_id =" in plan and "Seq Scan" not in plan, plan
    else:
        assert f"{kind}_list_owner_" in plan and "COVERING INDEX" in plan, plan


def test_list_index_migration_analyses_its_indexes(sqlite_db) -> None:
    """On a database with statistics (seed.py runs ANALYZE), 0007's indexes get theirs,
    so the planner weighs them against the older ones."""
    rep = models.create_user("riley", "Riley Rep")
    migration = importlib.import_module("models.migrations.0007_list_indexes")
    for _ in range(3):
        models.create_account(rep, name="Fabrikam", ignore_duplicates=True)
    for name in migration.INDEXES:
        sqlite_db.execute_sql(f'DROP INDEX "{name}"')
    for table in ("account", "contact"):  # as 0005 made them
        sqlite_db.execute_sql(f'DROP INDEX "{table}_merged_into_id"')
        sqlite_db.execute_sql(
            f'CREATE INDEX "{table}_merged_into_id" ON "{table}" ("merged_into_id")'
        )
    sqlite_db.execute_sql("DELETE FROM schema_migration WHERE name = '0007_list_indexes'")
    sqlite_db.execute_sql("ANALYZE")
    assert models.db.migrate(sqlite_db) == ["0007_list_indexes"]
    analysed = {row[0] for row in sqlite_db.execute_sql("SELECT idx FROM sqlite_stat1")}
    assert {"account_list_created", "account_list_owner_name"} <= analysed
    assert names("account", "mine", rep, sort="created") == ["Fabrikam"] * 3


def test_a_sorted_search_reads_its_matches_first(db, rep) -> None:
    """A sorted search (at most SORTED_SEARCH_LIMIT matches) reads the matches from
    the search index, then sorts them: on PostgreSQL, left to itself, the planner
    walked the name index testing every row, so a word nothing matches read the
    whole table (0.5-1.1 s on 200,000 accounts). A search listed as entered walks
    the id order and stops after a page instead."""
    for name in ("Blue Ridge Supply", "blue harbor", "Red Ridge"):
        models.create_account(rep, name=name, ignore_duplicates=True)
    assert names("account", "all", rep, "ridge") == ["Blue Ridge Supply", "Red Ridge"]
    assert names("account", "all", rep, "nothing") == []
    sorted_sql, _ = record_query("account", "all", rep, "ridge", "name").sql()
    entered_sql, _ = record_query("account", "all", rep, "ridge", ENTERED).sql()
    if models.db.is_postgres():
        assert "IN (SELECT" in sorted_sql and "OFFSET" in sorted_sql  # a fence: not flattened
        assert "IN (SELECT" not in entered_sql
    else:
        assert "IN (SELECT rowid FROM account_fts" in sorted_sql
        assert "JOIN" in entered_sql
