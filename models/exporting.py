"""Exporting leads: any view, search or selection, as CSV, JSON or JSON Lines.

The columns are the lead form's (`LEAD_FORM_FIELDS`), so a file leadq exports is
read back by `import_leads` field for field. CSV headers are the form's labels and
choices are written as their labels (what a spreadsheet user reads); JSON keys are
the field names and values are stored values (amounts as strings, exactly). In
CSV, a cell that a spreadsheet would run as a formula is neutralised with a
leading `'` (see `csvfile.neutralise_formula`), which the import takes off again.

Leads are read in pages of ids, so memory stays flat however many are exported.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from .csvfile import neutralise_formula
from .entities import LEAD_FORM_FIELDS, Lead, User
from .enums import LeadSource, PurchaseProcess, PurchaseTimeframe, Rating
from .errors import ValidationError
from .listing import VIEWS, lead_query
from .validation import FIELD_LABELS

FORMATS = ("csv", "json", "jsonl")
PAGE = 2000
_LABELS = {
    "rating": Rating,
    "lead_source": LeadSource,
    "purchase_timeframe": PurchaseTimeframe,
    "purchase_process": PurchaseProcess,
}


def export_ids(
    user: User | None, view: str = "all", search: str = "", ids: Iterable[int] | None = None
) -> Iterator[int]:
    """The ids of the leads to export, ascending: a view filtered by a search, or
    only `ids` (a selection) among them. The view is checked at once, before
    anything is written."""
    if view not in VIEWS:
        raise ValidationError(
            {"view": f"There is no view {view!r}: use one of {', '.join(VIEWS)}."}
        )
    query = lead_query(view, user, search).order_by(Lead.id).select(Lead.id)
    wanted = sorted(set(ids)) if ids is not None else None
    return _paged_ids(query, wanted)


def _paged_ids(query: Any, wanted: list[int] | None) -> Iterator[int]:
    if wanted is not None:
        for start in range(0, len(wanted), PAGE):
            chunk = wanted[start : start + PAGE]
            yield from (row[0] for row in query.where(Lead.id.in_(chunk)).tuples())
        return
    last = 0
    while True:
        page = [row[0] for row in query.where(Lead.id > last).limit(PAGE).tuples()]
        yield from page
        if len(page) < PAGE:
            return
        last = page[-1]


def _leads(ids: Iterator[int]) -> Iterator[dict[str, Any]]:
    fields = [Lead.id, *(getattr(Lead, name) for name in LEAD_FORM_FIELDS)]
    chunk: list[int] = []
    for lead_id in ids:
        chunk.append(lead_id)
        if len(chunk) >= PAGE:
            yield from Lead.select(*fields).where(Lead.id.in_(chunk)).order_by(Lead.id).dicts()
            chunk = []
    if chunk:
        yield from Lead.select(*fields).where(Lead.id.in_(chunk)).order_by(Lead.id).dicts()


def csv_cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in _LABELS:
        return _LABELS[name](value).label
    if name == "decision_maker_identified":
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return neutralise_formula(str(value))


def json_value(name: str, value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if name == "decision_maker_identified":
        return bool(value)
    return value


def export_leads(
    out: IO[str],
    ids: Iterator[int],
    fmt: str = "csv",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the leads `ids` names (see `export_ids`) to `out`; returns how many."""
    if fmt not in FORMATS:
        raise ValidationError({"format": f"The format is one of: {', '.join(FORMATS)}."})
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow([FIELD_LABELS[name] for name in LEAD_FORM_FIELDS])
    elif fmt == "json":
        out.write("[")
    for lead in _leads(ids):
        if fmt == "csv":
            writer.writerow([csv_cell(name, lead[name]) for name in LEAD_FORM_FIELDS])
        else:
            item = {name: json_value(name, lead[name]) for name in LEAD_FORM_FIELDS}
            text = json.dumps(item, ensure_ascii=False)
            if fmt == "json":
                out.write(("\n" if count == 0 else ",\n") + text)
            else:
                out.write(text + "\n")
        count += 1
        if progress is not None and count % PAGE == 0:
            progress(count)
    if fmt == "json":
        out.write("\n]\n" if count else "]\n")
    return count
