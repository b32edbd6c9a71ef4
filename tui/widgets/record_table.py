"""Accounts, contacts and opportunities on the lead list's virtual list engine.

`RecordTable` is a `LeadTable` with another source: the rows come from
`models.record_listing` in pages, only what is on screen is drawn, and the
cursor, multi-select, keyset paging and counting are the lead list's own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import models
from models import (
    OpportunityState,
    OpportunityStatus,
    Stage,
    count_records,
    record_ids,
    record_query,
    record_rows,
    record_search_order,
    record_sort_key,
)

from .lead_table import Column, LeadSource, LeadTable, ListQuery
from .literal import printable


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One record as a list shows it (cells already printable)."""

    id: int
    cells: dict[str, str]
    is_open: bool = True
    duplicate: bool = False
    key: tuple[Any, ...] = ()

    def cell(self, key: str) -> str:
        return self.cells.get(key, "")


def _date(value: object) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, dt.date) else ""


class RecordSource(LeadSource):
    """Rows of one kind of record (`models.record_listing.LISTS`)."""

    kind = "record"
    marks_duplicates = False

    def query(self, spec: ListQuery, user: models.User, order: str) -> Any:
        return record_query(self.kind, spec.view, user, spec.search, order, spec.descending)

    def order(self, spec: ListQuery) -> str:
        return record_search_order(self.kind, spec.search, spec.sort)

    def rows(self, query: Any, **plan: Any) -> list[dict[str, Any]]:
        return record_rows(self.kind, query, **plan)

    def count(self, query: Any, stop: Any) -> int:
        return count_records(query, stop)

    def ids(self, query: Any, among: Any = None, limit: int | None = None) -> list[int]:
        return record_ids(self.kind, query, among, limit)

    def first_page_now(self, spec: ListQuery) -> bool:
        return not spec.search

    def duplicates(self, ids: list[int]) -> set[int]:
        return set()

    def make_row(self, values: dict[str, Any], duplicate: bool, order: str) -> RecordRow:
        return RecordRow(
            id=values["id"],
            cells={k: printable(v) for k, v in self.cells(values).items()},
            is_open=self.is_open(values),
            key=record_sort_key(self.kind, values, order),
        )

    def cells(self, values: dict[str, Any]) -> dict[str, str]:
        raise NotImplementedError

    def is_open(self, values: dict[str, Any]) -> bool:
        return True


class AccountSource(RecordSource):
    kind = "account"
    columns = (
        Column("name", "Account name", 14, 28, flex=3),
        Column("website", "Website", 8, 22, flex=1),
        Column("phone", "Phone", 8, 16),
        Column("city", "City", 6, 16, flex=1),
        Column("owner", "Owner", 6, 16, flex=1),
        Column("created", "Created", 10, 10),
    )
    growth = (("name", 22), ("website", 16), ("phone", 14), ("city", 12), ("owner", 12),
              *((c.key, c.preferred) for c in columns))  # fmt: skip

    def cells(self, values: dict[str, Any]) -> dict[str, str]:
        return {
            "name": values["name"],
            "website": values["website"],
            "phone": values["phone"],
            "city": values["city"],
            "owner": values["owner_name"],
            "created": _date(values["created_at"]),
        }


class ContactSource(RecordSource):
    kind = "contact"
    columns = (
        Column("name", "Full name", 12, 24, flex=3),
        Column("account", "Account", 9, 22, flex=2),
        Column("job_title", "Job title", 8, 18, flex=1),
        Column("email", "Email", 8, 26, flex=2),
        Column("owner", "Owner", 6, 16, flex=1),
    )
    growth = (("name", 18), ("account", 16), ("email", 18), ("job_title", 12), ("owner", 12),
              *((c.key, c.preferred) for c in columns))  # fmt: skip

    def cells(self, values: dict[str, Any]) -> dict[str, str]:
        name = " ".join(p for p in (values["first_name"], values["last_name"]) if p)
        return {
            "name": name,
            "account": values["account_name"],
            "job_title": values["job_title"],
            "email": values["email"],
            "owner": values["owner_name"],
        }


class OpportunitySource(RecordSource):
    kind = "opportunity"
    columns = (
        Column("topic", "Topic", 12, 26, flex=3),
        Column("account", "Account", 9, 20, flex=2),
        Column("value", "Est. value", 10, 14, right=True),
        Column("close", "Est. close", 10, 10),
        Column("stage", "Stage", 7, 8),
        Column("status", "Status", 7, 12),
        Column("owner", "Owner", 6, 16, flex=1),
    )
    growth = (("topic", 18), ("account", 14), ("value", 14), ("status", 12), ("owner", 12),
              *((c.key, c.preferred) for c in columns))  # fmt: skip

    def cells(self, values: dict[str, Any]) -> dict[str, str]:
        state = values["state"]
        value = values["actual_revenue"] if state == OpportunityState.WON else None
        return {
            "topic": values["topic"],
            "account": values["account_name"],
            "value": models.money(value if value is not None else values["estimated_value"]),
            "close": _date(values["estimated_close_date"]),
            "stage": Stage(values["stage"]).label,
            "status": OpportunityStatus(values["status_reason"]).label,
            "owner": values["owner_name"],
        }

    def is_open(self, values: dict[str, Any]) -> bool:
        return values["state"] == OpportunityState.OPEN


SOURCES: dict[str, type[RecordSource]] = {
    "account": AccountSource,
    "contact": ContactSource,
    "opportunity": OpportunitySource,
}


class RecordTable(LeadTable):
    """The accounts, contacts or opportunities of a `ListQuery`, one per line."""

    def __init__(self, kind: str, query: ListQuery, **kwargs: Any) -> None:
        super().__init__(query, source=SOURCES[kind](), **kwargs)
        self.kind = kind
