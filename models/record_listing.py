"""The account, contact and opportunity lists: `ListSpec`s of the list engine in
`models.listing`, which the lead list uses too.

Search uses each table's full-text index (SQLite FTS5 with prefix indexes,
PostgreSQL tsvector + GIN, made by migration 0004) with prefix matching. As for
leads, a search with more than `SORTED_SEARCH_LIMIT` matches is listed newest
entered first (by id), which the index returns in order and stops after a page;
a narrower search is sorted as asked. Every sort of every view has an index that
serves it (`name_sort` from 0004, the created and owner indexes from 0007), so
paging deep into a million accounts is a keyset seek, never an OFFSET walk or a
sort of the table.
"""

from __future__ import annotations

from typing import Any

from .entities import Account, Contact, Opportunity, User
from .enums import OpportunityState
from .listing import (
    OWNER_NAME,
    SORTED_SEARCH_LIMIT,
    Linked,
    ListSpec,
    QueryStopper,
    count_rows,
    fts_table,
    list_ids,
    list_query,
    list_rows,
    list_search_order,
    row_sort_key,
)

ACCOUNT_NAME = Linked("account", Account, (Account.id, Account.name), lambda a: a.name,
                      "account_name")  # fmt: skip


def _unmerged(query: Any, view: str, user: User | None, settings: Any) -> Any:
    model = query.model
    query = query.where(model.merged_into.is_null())  # merged away: not listed
    if view == "mine":
        query = query.where(model.owner == (user.id if user is not None else None))
    return query


def _opportunities(query: Any, view: str, user: User | None, settings: Any) -> Any:
    if view in ("open", "mine"):
        query = query.where(Opportunity.state == OpportunityState.OPEN)
    elif view in ("won", "lost"):
        query = query.where(Opportunity.state == view)
    if view == "mine":
        query = query.where(Opportunity.owner == (user.id if user is not None else None))
    return query


LISTS: dict[str, ListSpec] = {
    "account": ListSpec(
        "account",
        Account,
        fts_table("account_fts"),
        {"mine": "My accounts", "all": "All accounts"},
        {
            "name": ("Name", (Account.name_sort, Account.id)),
            "created": ("Created", (Account.created_at, Account.id)),
        },
        (Account.id, Account.name, Account.website, Account.phone, Account.city,
         Account.country, Account.owner, Account.created_at, Account.name_sort),
        "name, website, city",
        _unmerged,
        (OWNER_NAME,),
    ),
    "contact": ListSpec(
        "contact",
        Contact,
        fts_table("contact_fts"),
        {"mine": "My contacts", "all": "All contacts"},
        {
            "name": ("Name", (Contact.name_sort, Contact.id)),
            "created": ("Created", (Contact.created_at, Contact.id)),
        },
        (Contact.id, Contact.first_name, Contact.last_name, Contact.job_title, Contact.email,
         Contact.phone, Contact.account, Contact.owner, Contact.created_at, Contact.name_sort),
        "name, email, job title",
        _unmerged,
        (OWNER_NAME, ACCOUNT_NAME),
    ),
    "opportunity": ListSpec(
        "opportunity",
        Opportunity,
        fts_table("opportunity_fts"),
        {
            "open": "Open opportunities",
            "mine": "My open opportunities",
            "won": "Won opportunities",
            "lost": "Lost opportunities",
            "all": "All opportunities",
        },
        {
            "created": ("Created", (Opportunity.created_at, Opportunity.id)),
            "name": ("Topic", (Opportunity.name_sort, Opportunity.id)),
        },
        (Opportunity.id, Opportunity.topic, Opportunity.account, Opportunity.estimated_value,
         Opportunity.estimated_close_date, Opportunity.stage, Opportunity.state,
         Opportunity.status_reason, Opportunity.actual_revenue, Opportunity.owner,
         Opportunity.created_at, Opportunity.name_sort),
        "topic",
        _opportunities,
        (OWNER_NAME, ACCOUNT_NAME),
    ),
}  # fmt: skip


def record_list(kind: str) -> ListSpec:
    try:
        return LISTS[kind]
    except KeyError:
        raise ValueError(f"There is no list of {kind!r}") from None


def record_search_order(kind: str, search: str, sort: str) -> str:
    """`sort`, or `ENTERED` when more than `SORTED_SEARCH_LIMIT` records match."""
    return list_search_order(record_list(kind), search, sort, SORTED_SEARCH_LIMIT)


def record_query(
    kind: str,
    view: str,
    user: User | None = None,
    search: str = "",
    sort: str = "name",
    descending: bool = False,
) -> Any:
    """Records of `kind` in a view, filtered by search, in a stable order."""
    return list_query(record_list(kind), view, user, search, sort, descending)


def count_records(query: Any, stopper: QueryStopper | None = None) -> int:
    """The number of records of a `record_query()`; stopped as `count_rows` is."""
    return count_rows(query, stopper)


def record_sort_key(kind: str, row: dict[str, Any], sort: str) -> tuple[Any, ...]:
    return row_sort_key(record_list(kind), row, sort)


def record_rows(
    kind: str, query: Any, offset: int, limit: int, **plan: Any
) -> list[dict[str, Any]]:
    """One slice of a `record_query()` with the list's columns, plus `owner_name`
    and (contacts, opportunities) `account_name`, each looked up once per slice.
    `plan` (sort, descending, after, before, from_end, search) as in
    `models.listing.list_rows`; the sort defaults to the name, ascending."""
    plan.setdefault("sort", "name")
    plan.setdefault("descending", False)
    return list_rows(record_list(kind), query, offset, limit, **plan)


def record_ids(kind: str, query: Any, among: Any = None, limit: int | None = None) -> list[int]:
    """Ids of a `record_query()` in its order (up to `limit`), or those of `among`
    still in it."""
    return list_ids(record_list(kind), query, among, limit)
