"""The account, contact and opportunity lists: views, search, sort, keyset pages
(both backends)."""

from __future__ import annotations

import pytest

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
