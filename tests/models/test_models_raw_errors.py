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


# Every write service, and the ones that report per record -----------------------------

NOT_SERVICES = {
    "record": "the audit writer services call inside their own transaction",
    "can_delete": "a question, it writes nothing",
    "merge_fields": "a read for the merge screen",
}


def test_every_service_that_takes_an_actor_says_sentences() -> None:
    """A service without the guard would let a constraint's or a trigger's raw text
    (PostgreSQL's CONTEXT lines) through to the user: each one has it."""
    import inspect

    unguarded = [
        name
        for name in models.__all__
        if inspect.isfunction(getattr(models, name))
        and "actor" in inspect.signature(getattr(models, name)).parameters
        and name not in NOT_SERVICES
        and not getattr(getattr(models, name), "no_raw_errors", False)
    ]
    assert unguarded == []


@pytest.fixture
def refusing(db):  # type: ignore[no-untyped-def]
    """`refusing(table, event)`: a trigger refuses that write until the test ends."""
    made: list[str] = []

    def refuse(table: str, event: str) -> None:
        _refuse(db, table, event)
        made.append(table)

    yield refuse
    for table in made:
        db.execute_sql(f"DROP TRIGGER refuse_{table}" + (f' ON "{table}"' if is_postgres() else ""))
        if is_postgres():
            db.execute_sql(f"DROP FUNCTION refuse_{table}()")


def _refuse(db, table: str, event: str) -> None:  # type: ignore[no-untyped-def]
    quoted = f'"{table}"'
    if is_postgres():
        db.execute_sql(PG_FUNCTION.replace("refuse_accounts", f"refuse_{table}"))
        db.execute_sql(
            f"CREATE TRIGGER refuse_{table} BEFORE {event} ON {quoted} "
            f"FOR EACH ROW EXECUTE FUNCTION refuse_{table}()"
        )
    else:
        db.execute_sql(
            f"CREATE TRIGGER refuse_{table} BEFORE {event} ON {quoted} "
            "BEGIN SELECT RAISE(ABORT, 'accounts are frozen'); END"
        )


def _said(message: str) -> None:
    assert "nothing was saved" in message
    assert "CONTEXT" not in message and "PL/pgSQL" not in message and "frozen" not in message


def test_reassigning_reports_a_sentence_per_record(db, admin, rep, refusing) -> None:
    account = models.create_account(admin, name="Contoso")
    refusing("account", "UPDATE")
    (outcome,) = models.assign_owner(admin, "account", [account.id], rep.id)
    assert not outcome.done
    _said(outcome.message)
    assert models.Account.get_by_id(account.id).owner_id == admin.id


def test_a_merge_the_database_refuses_says_a_sentence(db, admin, refusing) -> None:
    master = models.create_account(admin, name="Contoso")
    other = models.create_account(admin, name="Fabrikam")
    person = models.create_contact(admin, last_name="Lee", account=other.id)
    refusing("account", "UPDATE")
    with pytest.raises(models.LeadqError) as caught:
        models.merge_accounts(admin, master.id, other.id, {"city": other.id})
    _said(caught.value.message)
    assert models.Contact.get_by_id(person.id).account_id == other.id
    assert models.Account.get_by_id(other.id).merged_into_id is None


def test_a_user_the_database_refuses_says_a_sentence(db, admin, refusing) -> None:
    refusing("user", "INSERT")
    with pytest.raises(models.LeadqError) as caught:
        models.create_user("sam", "Sam Seller", models.Role.SALESPERSON, actor=admin)
    _said(caught.value.message)
    assert [u.username for u in models.User.select()] == ["ada"]
