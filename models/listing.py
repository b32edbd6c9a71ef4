"""The lead list: views, search and sort as queries a pager can slice.

Search uses the full-text index (SQLite FTS5, PostgreSQL tsvector + GIN) with
prefix matching, so typing `acm` finds Acme without scanning the table.
"""

from __future__ import annotations

import re
from typing import Any

from peewee import SQL, Column, Expression, Tuple, fn

from .db import is_postgres
from .entities import Account, Contact, Lead, User
from .enums import LeadState
from .settings import OrgSettings, load_settings

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
    "name": ("Name", (Lead.last_name, Lead.first_name, Lead.id)),
    "company": ("Company", (Lead.company, Lead.id)),
    "topic": ("Topic", (Lead.topic, Lead.id)),
}
_TOKEN = re.compile(r"\w+", re.UNICODE)


def search_terms(text: str) -> list[str]:
    """Words of a search box, lowercased; punctuation (`@`, `.`) separates words."""
    return [t.lower() for t in _TOKEN.findall(text or "")][:8]


def search_condition(text: str) -> Expression | None:
    """Leads whose name, company, email or topic has words starting with each term."""
    terms = search_terms(text)
    if not terms:
        return None
    if is_postgres():
        query = " & ".join(f"{t}:*" for t in terms)
        # Column(Lead, ...) takes the query's alias for lead ("t1"); a bare
        # `lead.search_tsv` is an invalid reference once Peewee aliases the table.
        return Expression(Column(Lead, "search_tsv"), "@@", fn.to_tsquery("simple", query))
    match = " ".join('"' + t.replace('"', "") + '"*' for t in terms)
    # Parenthesised: Peewee renders IN followed by a bare SQL() without brackets.
    return Lead.id.in_(SQL("(SELECT rowid FROM lead_fts WHERE lead_fts MATCH ?)", (match,)))


def duplicates_condition(settings: OrgSettings) -> Expression | None:
    """Leads that match an account, contact or other lead by an enabled rule."""
    from .duplicates import ACCOUNT_RULES, CONTACT_RULES

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


def lead_query(
    view: str = "open",
    user: User | None = None,
    search: str = "",
    sort: str = "created",
    descending: bool = True,
    settings: OrgSettings | None = None,
) -> Any:
    """Leads in a view, filtered by search, in a stable order; slice with offset/limit."""
    if view not in VIEWS:
        raise ValueError(f"Unknown view {view!r}")
    query = Lead.select()
    if view in ("open", "mine"):
        query = query.where(Lead.state == LeadState.OPEN)
    elif view in ("qualified", "disqualified"):
        query = query.where(Lead.state == view)
    if view == "mine":
        query = query.where(Lead.owner == user)
    if view == "duplicates":
        condition = duplicates_condition(settings or load_settings())
        query = query.where(condition if condition is not None else SQL("1 = 0"))
    condition = search_condition(search)
    if condition is not None:
        query = query.where(condition)
    _, columns = SORTS[sort]
    return query.order_by(*(c.desc() if descending else c.asc() for c in columns))


def count_leads(query: Any) -> int:
    return query.order_by().count()


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
)


def sort_key(row: dict[str, Any], sort: str) -> tuple[Any, ...]:
    """The values of a `lead_rows()` row that order it in `sort` (for keyset paging)."""
    return tuple(row[column.name] for column in SORTS[sort][1])


def lead_rows(
    query: Any,
    offset: int,
    limit: int,
    *,
    sort: str = "created",
    descending: bool = True,
    after: tuple[Any, ...] | None = None,
    before: tuple[Any, ...] | None = None,
    from_end: bool = False,
) -> list[dict[str, Any]]:
    """One slice of a `lead_query(..., sort, descending)` with just the lead list's
    columns, plus `owner_name` (looked up once per slice, not joined per row).

    Deep OFFSETs walk every skipped row, so a pager that already holds a
    neighbouring slice passes its edge instead: `after` (the `sort_key()` of the
    row before the slice) or `before` (of the row after it). `from_end` counts
    `offset` from the last row, for slices near the end.
    """
    columns = SORTS[sort][1]
    backwards = from_end or before is not None
    query = query.select(*LIST_FIELDS)
    edge = after if after is not None else before
    if edge is not None:
        values = Tuple(*(c.db_value(v) for c, v in zip(columns, edge, strict=True)))
        later = descending == (after is not None)
        query = query.where(Tuple(*columns) < values if later else Tuple(*columns) > values)
    if backwards:
        reverse = not descending
        query = query.order_by(*(c.desc() if reverse else c.asc() for c in columns))
    rows = list(query.offset(offset).limit(limit).dicts())
    if backwards:
        rows.reverse()
    owners = {row["owner"] for row in rows} - {None}
    names: dict[int, str] = {}
    if owners:
        users = User.select(User.id, User.full_name, User.username).where(User.id.in_(owners))
        names = {user.id: str(user) for user in users}
    for row in rows:
        row["owner_name"] = names.get(row["owner"], "")
    return rows


def lead_ids(query: Any, among: Any = None, limit: int | None = None) -> list[int]:
    """Ids of the leads of a `lead_query()` in its order: all (up to `limit`), or
    only those of `among` still in it (to drop selected leads that left a view)."""
    query = query.select(Lead.id)
    if among is not None:
        query = query.where(Lead.id.in_(list(among)))
    if limit is not None:
        query = query.limit(limit)
    return [row[0] for row in query.tuples()]
