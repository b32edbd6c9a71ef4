"""The account, contact and opportunity lists: views, search and sort as queries a
pager can slice, as `models.listing` does for leads.

Search uses each table's full-text index (SQLite FTS5 with prefix indexes,
PostgreSQL tsvector + GIN, made by migration 0004) with prefix matching. As for
leads, a search with more than `SORTED_SEARCH_LIMIT` matches is listed newest
entered first (by id), which the index returns in order and stops after a page;
a narrower search is sorted as asked. Sorting by name uses `name_sort` (case,
accents and punctuation ignored) with its (name_sort, id) index, so paging
deep into a million accounts is a keyset seek, never an OFFSET walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import SQL, Column, DatabaseError, Expression, Table, Tuple

from .db import database_proxy, is_postgres
from .entities import Account, Contact, Opportunity, User
from .enums import OpportunityState
from .listing import (
    ENTERED,
    SORTED_SEARCH_LIMIT,
    QueryStopped,
    QueryStopper,
    _fts_match,
    _tsquery,
    search_terms,
)


@dataclass(frozen=True)
class RecordList:
    """What one kind of record's list can show."""

    kind: str
    model: Any
    fts: Table
    views: dict[str, str]
    sorts: dict[str, tuple[str, tuple[Any, ...]]]
    fields: tuple[Any, ...]
    searched: str
    """What the search box says it searches."""


def _fts(name: str) -> Table:
    return Table(name, ("rowid", name))


LISTS: dict[str, RecordList] = {
    "account": RecordList(
        "account",
        Account,
        _fts("account_fts"),
        {"mine": "My accounts", "all": "All accounts"},
        {
            "name": ("Name", (Account.name_sort, Account.id)),
            "created": ("Created", (Account.created_at, Account.id)),
        },
        (Account.id, Account.name, Account.website, Account.phone, Account.city,
         Account.country, Account.owner, Account.created_at, Account.name_sort),
        "name, website, city",
    ),
    "contact": RecordList(
        "contact",
        Contact,
        _fts("contact_fts"),
        {"mine": "My contacts", "all": "All contacts"},
        {
            "name": ("Name", (Contact.name_sort, Contact.id)),
            "created": ("Created", (Contact.created_at, Contact.id)),
        },
        (Contact.id, Contact.first_name, Contact.last_name, Contact.job_title, Contact.email,
         Contact.phone, Contact.account, Contact.owner, Contact.created_at, Contact.name_sort),
        "name, email, job title",
    ),
    "opportunity": RecordList(
        "opportunity",
        Opportunity,
        _fts("opportunity_fts"),
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
    ),
}  # fmt: skip


def record_list(kind: str) -> RecordList:
    try:
        return LISTS[kind]
    except KeyError:
        raise ValueError(f"There is no list of {kind!r}") from None


def _search_condition(spec: RecordList, terms: list[str]) -> Expression:
    model = spec.model
    if is_postgres():
        return Expression(Column(model, "search_tsv"), "@@", _tsquery(terms))
    table = spec.fts._path[0]
    return model.id.in_(
        SQL(f"(SELECT rowid FROM {table} WHERE {table} MATCH ?)", (_fts_match(terms),))
    )


def count_record_matches(kind: str, text: str, limit: int) -> int:
    """How many records (any view) the search matches, counting no further than `limit`."""
    spec = record_list(kind)
    terms = search_terms(text)
    if not terms:
        return 0
    if is_postgres():
        model = spec.model
        inner = (
            model.select(SQL("1"))
            .where(Expression(Column(model, "search_tsv"), "@@", _tsquery(terms)))
            .limit(limit)
        )
    else:
        fts = spec.fts
        column = getattr(fts, fts._path[0])
        inner = (
            fts.select(fts.rowid).where(Expression(column, "MATCH", _fts_match(terms))).limit(limit)
        )
    return inner.count(database_proxy.obj)


def record_search_order(kind: str, search: str, sort: str) -> str:
    """`sort`, or `ENTERED` when more than `SORTED_SEARCH_LIMIT` records match."""
    if sort == ENTERED or not search_terms(search):
        return sort
    if count_record_matches(kind, search, SORTED_SEARCH_LIMIT + 1) > SORTED_SEARCH_LIMIT:
        return ENTERED
    return sort


def _order_columns(spec: RecordList, sort: str, search: str) -> tuple[Any, ...]:
    if sort != ENTERED:
        return spec.sorts[sort][1]
    if search_terms(search) and not is_postgres():
        return (spec.fts.rowid,)
    return (spec.model.id,)


def record_query(
    kind: str,
    view: str,
    user: User | None = None,
    search: str = "",
    sort: str = "name",
    descending: bool = False,
) -> Any:
    """Records of `kind` in a view, filtered by search, in a stable order."""
    spec = record_list(kind)
    if view not in spec.views:
        raise ValueError(f"Unknown view {view!r}")
    if sort != ENTERED and sort not in spec.sorts:
        raise ValueError(f"Unknown sort {sort!r}")
    model = spec.model
    query = model.select()
    if kind in ("account", "contact"):
        query = query.where(model.merged_into.is_null())  # merged away: not listed
    if kind == "opportunity":
        if view in ("open", "mine"):
            query = query.where(model.state == OpportunityState.OPEN)
        elif view in ("won", "lost"):
            query = query.where(model.state == view)
    if view == "mine":
        query = query.where(model.owner == (user.id if user is not None else None))
    terms = search_terms(search)
    if terms and sort == ENTERED and not is_postgres():
        fts = spec.fts
        column = getattr(fts, fts._path[0])
        query = query.join(fts, on=(fts.rowid == model.id)).where(
            Expression(column, "MATCH", _fts_match(terms))
        )
    elif terms:
        query = query.where(_search_condition(spec, terms))
    columns = _order_columns(spec, sort, search)
    return query.order_by(*(c.desc() if descending else c.asc() for c in columns))


def count_records(query: Any, stopper: QueryStopper | None = None) -> int:
    try:
        return query.order_by().count()
    except DatabaseError:
        if stopper is not None and stopper.stopped:
            raise QueryStopped from None
        raise


def record_sort_key(kind: str, row: dict[str, Any], sort: str) -> tuple[Any, ...]:
    if sort == ENTERED:
        return (row["id"],)
    return tuple(row[column.name] for column in record_list(kind).sorts[sort][1])


def record_rows(
    kind: str,
    query: Any,
    offset: int,
    limit: int,
    *,
    sort: str = "name",
    descending: bool = False,
    after: tuple[Any, ...] | None = None,
    before: tuple[Any, ...] | None = None,
    from_end: bool = False,
    search: str = "",
) -> list[dict[str, Any]]:
    """One slice of a `record_query()` with the list's columns, plus `owner_name`
    and (contacts, opportunities) `account_name`, each looked up once per slice.
    `after`/`before`/`from_end` as in `models.listing.lead_rows`."""
    spec = record_list(kind)
    columns = _order_columns(spec, sort, search)
    backwards = from_end or before is not None
    query = query.select(*spec.fields)
    edge = after if after is not None else before
    if edge is not None:
        later = descending == (after is not None)
        if sort == ENTERED:
            (value,) = edge
            query = query.where(columns[0] < value if later else columns[0] > value)
        else:
            values = Tuple(*(c.db_value(v) for c, v in zip(columns, edge, strict=True)))
            query = query.where(Tuple(*columns) < values if later else Tuple(*columns) > values)
    if backwards:
        reverse = not descending
        query = query.order_by(*(c.desc() if reverse else c.asc() for c in columns))
    rows = list(query.offset(offset).limit(limit).dicts())
    if backwards:
        rows.reverse()
    _name_linked(rows, "owner", User, lambda u: str(u), "owner_name")
    if kind in ("contact", "opportunity"):
        _name_linked(rows, "account", Account, lambda a: a.name, "account_name")
    return rows


def _name_linked(rows: list[dict[str, Any]], column: str, model: Any, name: Any, out: str) -> None:
    ids = {row[column] for row in rows} - {None}
    names: dict[int, str] = {}
    if ids:
        fields = (
            (User.id, User.full_name, User.username)
            if model is User
            else (Account.id, Account.name)
        )
        names = {
            record.id: name(record) for record in model.select(*fields).where(model.id.in_(ids))
        }
    for row in rows:
        row[out] = names.get(row[column], "")


def record_ids(kind: str, query: Any, among: Any = None, limit: int | None = None) -> list[int]:
    """Ids of a `record_query()` in its order (up to `limit`), or those of `among`
    still in it."""
    model = record_list(kind).model
    query = query.select(model.id)
    if among is not None:
        query = query.where(model.id.in_(list(among)))
    if limit is not None:
        query = query.limit(limit)
    return [row[0] for row in query.tuples()]
