"""No raw database error leaves a service: a database-side refusal (here a trigger
that raises, as a constraint or a PL/pgSQL rule would) comes out as a sentence,
without the driver's text (PostgreSQL's `CONTEXT: PL/pgSQL ...` lines)."""

from __future__ import annotations

import peewee
import pytest

import models
from models.db import is_postgres

from ..conftest import make_lead

SQLITE_TRIGGER = (
    "CREATE TRIGGER refuse_accounts BEFORE INSERT ON account "
    "BEGIN SELECT RAISE(ABORT, 'accounts are frozen'); END"
)
PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION refuse_accounts() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'accounts are frozen'; END $$ LANGUAGE plpgsql"
)
PG_TRIGGER = (
    "CREATE TRIGGER refuse_accounts BEFORE INSERT ON account "
    "FOR EACH ROW EXECUTE FUNCTION refuse_accounts()"
)


@pytest.fixture
def frozen_accounts(db):  # type: ignore[no-untyped-def]
    if is_postgres():
        db.execute_sql(PG_FUNCTION)
        db.execute_sql(PG_TRIGGER)
    else:
        db.execute_sql(SQLITE_TRIGGER)
    yield
    db.execute_sql("DROP TRIGGER refuse_accounts" + (" ON account" if is_postgres() else ""))
    if is_postgres():
        db.execute_sql("DROP FUNCTION refuse_accounts()")


def test_qualify_says_a_sentence_and_saves_nothing(db, admin, frozen_accounts) -> None:
    lead = make_lead(admin)
    with pytest.raises(models.LeadqError) as caught:
        models.qualify_lead(admin, lead.id)
    assert isinstance(caught.value, peewee.DatabaseError)  # code catching Peewee's still does
    message = caught.value.message
    assert "nothing was saved" in message
    assert "CONTEXT" not in message and "PL/pgSQL" not in message and "frozen" not in message
    assert models.get_lead(lead.id).is_open and not models.Contact.select().exists()


def test_bulk_qualify_reports_a_sentence_per_lead(db, admin, frozen_accounts) -> None:
    first = make_lead(admin)
    second = make_lead(admin, email="b@x.com", company="Other")
    outcomes = models.qualify_leads(admin, [first.id, second.id])
    assert [o.status for o in outcomes] == ["failed", "failed"]
    for outcome in outcomes:
        assert "nothing was saved" in outcome.message
        assert "CONTEXT" not in outcome.message and "frozen" not in outcome.message
