"""What the database plans for a list's page: the tests that no page of a list
sorts its table (migrations 0007 and 0008) read it the same way on both backends."""

from __future__ import annotations

from typing import Any

import models


def page_plan(db: Any, query: Any) -> list[str]:
    """The plan of `query`'s first page; on PostgreSQL with sorting and sequential
    scans priced out, so that it shows an index if one can serve the order."""
    sql, params = query.sql()
    if models.db.is_postgres():
        db.execute_sql("SET enable_sort = off")
        db.execute_sql("SET enable_seqscan = off")
        try:
            return [r[0] for r in db.execute_sql("EXPLAIN " + sql, params)]
        finally:
            db.execute_sql("RESET enable_sort")
            db.execute_sql("RESET enable_seqscan")
    return [r[3] for r in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]


def assert_no_sort(plan: list[str], why: object = None, *, ties: bool = False) -> None:
    """The plan reads its rows in order from an index: no sort step, no table scan.
    With `ties`, PostgreSQL may sort rows that tie on the index's column by id (an
    incremental sort of a presorted key, which still stops after the page)."""
    text = " | ".join(plan)
    assert "TEMP B-TREE" not in text, (why, text)
    steps = [line.lstrip(" ->") for line in plan]
    if ties:
        steps = [s for s in steps if not s.startswith(("Incremental Sort", "Sort Key"))]
    assert not any(step.startswith("Sort") for step in steps), (why, text)
    assert "Seq Scan" not in text and "INDEX" in text.upper(), (why, text)
