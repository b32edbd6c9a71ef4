"""The list engine: views, search and sort as queries a pager can slice, for the
lead list and (`models.record_listing`) the account, contact and opportunity lists.

One `ListSpec` says what a list shows (its model, search index, views, sorts,
columns, linked names); the functions below are the same for every list, so each
gets the same indexes-first plans: keyset pages on an index that serves the sort,
full-text prefix search, counts that stop early and can be stopped.

Search uses the full-text index (SQLite FTS5, PostgreSQL tsvector + GIN) with
prefix matching, so typing `acm` finds Acme without scanning the table.

A search that many leads match (`n` matches 150,000 of a million) cannot be
sorted by name or date quickly: every match would be read and sorted before the
first page. So a list sorted by a column sorts a search only when at most
`SORTED_SEARCH_LIMIT` leads match it; beyond that `search_order()` answers
`ENTERED`, the newest entered first (by id), which the index returns in order
and can stop after a page. Typing more words narrows the search until it sorts.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from peewee import SQL, Column, DatabaseError, Expression, Table, Tuple, fn

from .db import database_proxy, is_postgres
from .duplicates import ACCOUNT_RULES, CONTACT_RULES
from .entities import Account, Contact, Lead, User, load_settings
from .enums import LeadState
from .setting_defs import OrgSettings

VIEWS: dict[str, str] = {
    "open": "Open leads",
    "mine": "My open leads",
    "all": "All leads",
    "qualified": "Qualified leads",
    "disqualified": "Disqualified leads",
    "duplicates": "Possible duplicates",
}
SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "created": ("Created", (Lead.created_at, Lead.id)),
    # The folded name (`name_sort`): case and accents ignored on both backends, with
    # an index on (name_sort, id) that serves the order and its keyset pages.
    "name": ("Name", (Lead.name_sort, Lead.id)),
    "company": ("Company", (Lead.company, Lead.id)),
    "topic": ("Topic", (Lead.topic, Lead.id)),
}
ENTERED = "entered"
"""The order of a search with many matches: newest entered first (lead id), any view."""
SORTED_SEARCH_LIMIT = 2000
"""A search with at most this many matches is sorted as the list asks (cheap: read and
sort 2,000 rows); beyond it the list shows it in `ENTERED` order."""
_TOKEN = re.compile(r"\w+", re.UNICODE)
_FTS = Table("lead_fts", ("rowid", "lead_fts"))


def search_terms(text: str) -> list[str]:
    """Words of a search box, lowercased; punctuation (`@`, `.`) separates words."""
    return [t.lower() for t in _TOKEN.findall(text or "")][:8]


def _fts_match(terms: list[str]) -> str:
    return " ".join('"' + t.replace('"', "") + '"*' for t in terms)


def _tsquery(terms: list[str]) -> Any:
    return fn.to_tsquery("simple", " & ".join(f"{t}:*" for t in terms))


@dataclass(frozen=True)
class Linked:
    """A name shown beside each row, read once per page (`owner` -> `owner_name`)."""

    column: str
    model: Any
    fields: tuple[Any, ...]
    name: Callable[[Any], str]
    out: str


@dataclass(frozen=True)
class ListSpec:
    """What one list can show."""

    kind: str
    model: Any
    fts: Table
    """The SQLite FTS5 table over the model (PostgreSQL: the model's `search_tsv`)."""
    views: dict[str, str]
    sorts: dict[str, tuple[str, tuple[Any, ...]]]
    fields: tuple[Any, ...]
    searched: str
    """What the search box says it searches."""
    filter: Callable[[Any, str, Any, OrgSettings | None], Any]
    """`(query, view, user, settings) -> query`: the rows of a view."""
    linked: tuple[Linked, ...] = field(default=())

    @property
    def fts_column(self) -> Any:
        return getattr(self.fts, self.fts._path[0])


def fts_table(name: str) -> Table:
    return Table(name, ("rowid", name))


def list_search_condition(spec: ListSpec, terms: list[str], *, sorted: bool = False) -> Expression:
    """Rows with words starting with each term, through the full-text index.

    `sorted`: the rows are to be sorted by a column (the search has at most
    `SORTED_SEARCH_LIMIT` matches). On PostgreSQL the matches are then read first,
    from the GIN index, behind a fence (`OFFSET 0`), and sorted after: left to
    itself the planner walked the sort's index testing each row, which for a word
    nothing matches read the whole table (0.5-1.1 s on 200,000 accounts)."""
    model = spec.model
    if is_postgres():
        if sorted:
            matched = model.alias("matched")
            inner = (
                matched.select(matched.id)
                .where(Expression(Column(matched, "search_tsv"), "@@", _tsquery(terms)))
                .offset(0)
            )
            return model.id.in_(inner)
        # Column(model, ...) takes the query's alias for the table ("t1"); a bare
        # `lead.search_tsv` is an invalid reference once Peewee aliases the table.
        return Expression(Column(model, "search_tsv"), "@@", _tsquery(terms))
    table = spec.fts._path[0]
    # Parenthesised: Peewee renders IN followed by a bare SQL() without brackets.
    return model.id.in_(
        SQL(f"(SELECT rowid FROM {table} WHERE {table} MATCH ?)", (_fts_match(terms),))
    )


def count_list_matches(spec: ListSpec, text: str, limit: int) -> int:
    """How many rows (any view) the search matches, counting no further than `limit`:
    a few milliseconds however many match (the index is read, not the rows)."""
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
        inner = (
            fts.select(fts.rowid)
            .where(Expression(spec.fts_column, "MATCH", _fts_match(terms)))
            .limit(limit)
        )
    return inner.count(database_proxy.obj)


def list_search_order(spec: ListSpec, search: str, sort: str, limit: int) -> str:
    """`sort`, or `ENTERED` when more than `limit` rows match `search`."""
    if sort == ENTERED or not search_terms(search):
        return sort
    if count_list_matches(spec, search, limit + 1) > limit:
        return ENTERED
    return sort


def order_columns(spec: ListSpec, sort: str, search: str) -> tuple[Any, ...]:
    if sort != ENTERED:
        return spec.sorts[sort][1]
    if search_terms(search) and not is_postgres():
        # The FTS5 rowid (= the row's id): ordering by it lets FTS5 drive the query
        # in rowid order and stop after a page; ordering by the model's id makes
        # SQLite read and sort every match.
        return (spec.fts.rowid,)
    return (spec.model.id,)


def list_query(
    spec: ListSpec,
    view: str,
    user: User | None = None,
    search: str = "",
    sort: str = "created",
    descending: bool = True,
    settings: OrgSettings | None = None,
) -> Any:
    """The rows of a view, filtered by search, in a stable order; slice with
    `list_rows`. `sort` is a key of `spec.sorts` or `ENTERED`."""
    if view not in spec.views:
        raise ValueError(f"Unknown view {view!r}")
    if sort != ENTERED and sort not in spec.sorts:
        raise ValueError(f"Unknown sort {sort!r}")
    model = spec.model
    query = spec.filter(model.select(), view, user, settings)
    terms = search_terms(search)
    if sort == ENTERED and terms and not is_postgres():
        # Joined, not `id IN (...)`, so that the order can be the FTS5 rowid's.
        fts = spec.fts
        query = query.join(fts, on=(fts.rowid == model.id)).where(
            Expression(spec.fts_column, "MATCH", _fts_match(terms))
        )
    elif terms:
        query = query.where(list_search_condition(spec, terms, sorted=sort != ENTERED))
    columns = order_columns(spec, sort, search)
    return query.order_by(*(c.desc() if descending else c.asc() for c in columns))


class QueryStopped(Exception):
    """A `QueryStopper` stopped the query."""


class QueryStopper:
    """Stops the query the thread that made it is running, when called from any thread
    (a count nobody waits for any more: a million matches keep a core busy for
    a second or more).

    A stop that comes before the statement starts is not lost: the query checks
    the flag as it starts (SQLite: a progress handler that also checks it while
    the statement runs), and on PostgreSQL, where a cancel request reaches only a
    statement the server is already running, the cancel is repeated until the
    statement has ended.
    """

    RECANCEL_SECONDS = 0.05

    def __init__(self) -> None:
        self.stopped = False
        self._lock = threading.Lock()
        self._running = False
        self._connection = database_proxy.obj.connection()
        self._postgres = is_postgres()

    def __call__(self) -> None:
        with self._lock:
            if self.stopped:
                return
            self.stopped = True
        self._cancel()

    def _cancel(self) -> None:
        # Under the lock, so that the cancel never reaches the connection's next
        # statement: `running()` cannot end while it is sent.
        with self._lock:
            if not (self._running and self._postgres):
                return  # idle, or SQLite (the progress handler sees the flag)
            try:
                self._connection.cancel()
            except Exception:
                return
        # The request may have reached the server before the statement did.
        retry = threading.Timer(self.RECANCEL_SECONDS, self._cancel)
        retry.daemon = True
        retry.start()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Around the statement that may be stopped; raises `QueryStopped` at once if
        the stop came first."""
        with self._lock:
            if self.stopped:
                raise QueryStopped
            self._running = True
        if not self._postgres:
            # Non-zero stops the statement (as interrupt() would), checked every
            # 1,000 virtual machine steps: also a stop that came just before.
            self._connection.set_progress_handler(lambda: self.stopped, 1000)
        try:
            yield
        finally:
            if not self._postgres:
                self._connection.set_progress_handler(None, 0)
            with self._lock:
                self._running = False


def count_rows(query: Any, stopper: QueryStopper | None = None) -> int:
    """The number of rows of a `list_query()`; raises `QueryStopped` if `stopper`
    (made in this thread) was called before or while it counts."""
    if stopper is None:
        return query.order_by().count()
    try:
        with stopper.running():
            return query.order_by().count()
    except DatabaseError:
        if stopper.stopped:
            raise QueryStopped from None
        raise


def row_sort_key(spec: ListSpec, row: dict[str, Any], sort: str) -> tuple[Any, ...]:
    """The values of a `list_rows()` row that order it in `sort` (for keyset paging)."""
    if sort == ENTERED:
        return (row["id"],)
    return tuple(row[column.name] for column in spec.sorts[sort][1])


def list_rows(
    spec: ListSpec,
    query: Any,
    offset: int,
    limit: int,
    *,
    sort: str = "created",
    descending: bool = True,
    after: tuple[Any, ...] | None = None,
    before: tuple[Any, ...] | None = None,
    from_end: bool = False,
    search: str = "",
) -> list[dict[str, Any]]:
    """One slice of a `list_query(spec, ..., sort, descending)` with just the list's
    columns, plus its linked names (`owner_name`, ...: looked up once per slice, not
    joined per row).

    Deep OFFSETs walk every skipped row, so a pager that already holds a
    neighbouring slice passes its edge instead: `after` (the `row_sort_key()` of
    the row before the slice) or `before` (of the row after it). `from_end` counts
    `offset` from the last row, for slices near the end. `search` is the query's
    search (it decides the order's columns for `ENTERED`).
    """
    columns = order_columns(spec, sort, search)
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
    for linked in spec.linked:
        _name_linked(rows, linked)
    return rows


def _name_linked(rows: list[dict[str, Any]], linked: Linked) -> None:
    ids = {row[linked.column] for row in rows} - {None}
    names: dict[int, str] = {}
    if ids:
        model = linked.model
        records = model.select(*linked.fields).where(model.id.in_(ids))
        names = {record.id: linked.name(record) for record in records}
    for row in rows:
        row[linked.out] = names.get(row[linked.column], "")


def list_ids(spec: ListSpec, query: Any, among: Any = None, limit: int | None = None) -> list[int]:
    """Ids of the rows of a `list_query()` in its order: all (up to `limit`), or only
    those of `among` still in it (to drop selected rows that left a view)."""
    model = spec.model
    query = query.select(model.id)
    if among is not None:
        query = query.where(model.id.in_(list(among)))
    if limit is not None:
        query = query.limit(limit)
    return [row[0] for row in query.tuples()]


# ---------------------------------------------------------------- the lead list
def duplicates_condition(settings: OrgSettings) -> Expression | None:
    """Leads that match an account, contact or other lead by an enabled rule."""
    parts = []
    for rules, model in ((ACCOUNT_RULES, Account), (CONTACT_RULES, Contact)):
        for setting, lead_key, model_key, _ in rules:
            if getattr(settings, setting):
                other = model.alias()
                parts.append(
                    fn.EXISTS(
                        other.select(SQL("1")).where(
                            getattr(other, model_key) == getattr(Lead, lead_key)
                        )
                    )
                )
    if settings.dup_lead_email:
        other = Lead.alias("other_lead")
        parts.append(
            fn.EXISTS(
                other.select(SQL("1")).where(
                    (other.email_key == Lead.email_key) & (other.id != Lead.id)
                )
            )
        )
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


def _lead_view(query: Any, view: str, user: User | None, settings: OrgSettings | None) -> Any:
    if view in ("open", "mine"):
        query = query.where(Lead.state == LeadState.OPEN)
    elif view in ("qualified", "disqualified"):
        query = query.where(Lead.state == view)
    if view == "mine":
        query = query.where(Lead.owner == user)
    if view == "duplicates":
        # A worklist for leads still to qualify: once a lead is closed, the account
        # and contact it matches are usually the very ones qualifying it made.
        condition = duplicates_condition(settings or load_settings())
        query = query.where(
            (Lead.state == LeadState.OPEN) & (condition if condition is not None else SQL("1 = 0"))
        )
    return query


LIST_FIELDS = (
    Lead.id,
    Lead.first_name,
    Lead.last_name,
    Lead.topic,
    Lead.company,
    Lead.state,
    Lead.status_reason,
    Lead.rating,
    Lead.owner,
    Lead.created_at,
    Lead.name_sort,
)
OWNER_NAME = Linked("owner", User, (User.id, User.full_name, User.username), str, "owner_name")
LEADS = ListSpec(
    "lead",
    Lead,
    _FTS,
    VIEWS,
    SORTS,
    LIST_FIELDS,
    "name, company, email, topic",
    _lead_view,
    (OWNER_NAME,),
)


def search_condition(text: str) -> Expression | None:
    """Leads whose name, company, email or topic has words starting with each term."""
    terms = search_terms(text)
    return list_search_condition(LEADS, terms) if terms else None


def count_matches(text: str, limit: int) -> int:
    """How many leads (any view) the search matches, counting no further than `limit`."""
    return count_list_matches(LEADS, text, limit)


def sorted_search_limit() -> int:
    """How many matches a search sorts; past that it lists them as entered."""
    return SORTED_SEARCH_LIMIT


def search_order(search: str, sort: str) -> str:
    """The sort the list can afford for `search`: `sort`, or `ENTERED` when more
    than `SORTED_SEARCH_LIMIT` leads match (see the module's docstring)."""
    return list_search_order(LEADS, search, sort, SORTED_SEARCH_LIMIT)


def lead_query(
    view: str = "open",
    user: User | None = None,
    search: str = "",
    sort: str = "created",
    descending: bool = True,
    settings: OrgSettings | None = None,
) -> Any:
    """Leads in a view, filtered by search, in a stable order; slice with offset/limit.

    `sort` is a key of `SORTS` or `ENTERED` (what `search_order()` answers for a
    search with many matches)."""
    return list_query(LEADS, view, user, search, sort, descending, settings)


def count_leads(query: Any, stopper: QueryStopper | None = None) -> int:
    """The number of leads of a `lead_query()` (see `count_rows`)."""
    return count_rows(query, stopper)


def sort_key(row: dict[str, Any], sort: str) -> tuple[Any, ...]:
    """The values of a `lead_rows()` row that order it in `sort` (for keyset paging)."""
    return row_sort_key(LEADS, row, sort)


def lead_rows(query: Any, offset: int, limit: int, **plan: Any) -> list[dict[str, Any]]:
    """One slice of a `lead_query()` with the lead list's columns and `owner_name`
    (see `list_rows`)."""
    return list_rows(LEADS, query, offset, limit, **plan)


def lead_ids(query: Any, among: Any = None, limit: int | None = None) -> list[int]:
    """Ids of the leads of a `lead_query()` in its order (see `list_ids`)."""
    return list_ids(LEADS, query, among, limit)
