"""The history checker (history.py) on both backends: several processes run random
operations on a shared set of leads; afterwards every rule is checked against the
database and the audit trail. On PostgreSQL a second run has a nemesis ending
random sessions, which leadq must ride out."""

from __future__ import annotations

import models

from . import history


def _verdict(db_url: str, ops: list[history.Op], lead_ids: list[int]) -> list[str]:
    models.open_database(db_url, run_migrations=False)
    return history.check(ops, lead_ids)


def test_random_operations_by_four_processes_break_no_rule(db, db_url) -> None:
    models.close_database()
    lead_ids = history.setup(db_url, leads=8, workers=4)
    ops, _ = history.run(db_url, lead_ids, workers=4, seconds=3.0, max_ops=300)
    anomalies = _verdict(db_url, ops, lead_ids)
    assert anomalies == [], (history.summary(ops), anomalies[:20])
    outcomes = history.summary(ops)
    assert outcomes.get("ok", 0) > 0 and outcomes.get("raw", 0) == 0
    # The workload did meet the rules: some operations were refused.
    assert outcomes.get("refused", 0) > 0


def test_sessions_ended_by_the_server_break_no_rule(pg_url) -> None:
    from ..conftest import _truncate_postgres

    models.open_database(pg_url)
    _truncate_postgres()
    models.close_database()
    lead_ids = history.setup(pg_url, leads=8, workers=4)
    ops, _ = history.run(pg_url, lead_ids, workers=4, seconds=3.0, max_ops=300, nemesis=0.15)
    try:
        anomalies = _verdict(pg_url, ops, lead_ids)
    finally:
        models.close_database()
    assert anomalies == [], (history.summary(ops), anomalies[:20])
    assert history.summary(ops).get("raw", 0) == 0
