"""Two processes acting on the same lead at the same moment, on SQLite (one file
shared by both, BEGIN IMMEDIATE) and on PostgreSQL (row lock + guard update):
exactly one wins, the other gets LeadClosed naming the winner, and exactly one
set of records exists."""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_module
import time
from typing import Any

import pytest

import models
from models import Account, Contact, Lead, LeadClosed, LeadState, Opportunity

from ..conftest import make_lead

TIMEOUT = 90


def _race_worker(
    url: str,
    username: str,
    rounds: list[tuple[str, int, float]],
    barrier: Any,
    results: Any,
) -> None:
    """Run in a separate process: for each round wait at the barrier with the other
    process, then act on the lead. `hold` seconds are spent inside the transaction
    (while creating the opportunity) so that the other process really arrives while
    this one holds the lead."""
    import models.qualify

    models.open_database(url, run_migrations=False)
    actor = models.get_user(username)
    real_create = models.qualify._create_opportunity
    hold = {"seconds": 0.0}

    def slow_create(*args: Any, **kwargs: Any) -> Any:
        time.sleep(hold["seconds"])
        return real_create(*args, **kwargs)

    models.qualify._create_opportunity = slow_create
    for action, lead_id, seconds in rounds:
        hold["seconds"] = seconds
        barrier.wait(timeout=TIMEOUT)
        try:
            if action == "qualify":
                result = models.qualify_lead(actor, lead_id)
                outcome = ("won", result.opportunity.id)
            else:
                models.disqualify_lead(actor, lead_id, models.StatusReason.LOST)
                outcome = ("won", None)
        except LeadClosed as exc:
            outcome = ("closed", str(exc))
        except Exception as exc:  # reported to the test, which fails on it
            outcome = ("error", f"{type(exc).__name__}: {exc}")
        results.put((username, lead_id, *outcome))
    models.close_database()


def run_race(url: str, plans: dict[str, list[tuple[str, int, float]]]) -> list[tuple]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(plans))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_race_worker, args=(url, user, rounds, barrier, results))
        for user, rounds in plans.items()
    ]
    for proc in procs:
        proc.start()
    expected = sum(len(rounds) for rounds in plans.values())
    out = []
    try:
        for _ in range(expected):
            out.append(results.get(timeout=TIMEOUT))
    except queue_module.Empty:
        pytest.fail(f"workers did not report in time; got {out}")
    finally:
        for proc in procs:
            proc.join(timeout=TIMEOUT)
            if proc.is_alive():
                proc.kill()
    assert all(proc.exitcode == 0 for proc in procs), [p.exitcode for p in procs]
    return out


@pytest.fixture
def two_reps(db) -> tuple[models.User, models.User]:
    return (
        models.create_user("ann", "Ann Able"),
        models.create_user("bob", "Bob Baker"),
    )


def test_two_processes_race_on_the_same_leads(db, db_url, two_reps) -> None:
    """One pair of processes runs every round (starting processes is the slow part)."""
    ann, _ = two_reps
    # Round 1: the winner holds its transaction open for a moment, so the loser is
    # certainly waiting on it. Rounds 2-3: no delay, a plain race. Round 4: Ann
    # qualifies while Bob disqualifies.
    leads = [
        make_lead(
            ann,
            topic=f"race {i}",
            company=f"Race Co {i}",
            email=f"r{i}@race{i}.com",
            first_name=f"R{i}",
            business_phone=f"+1 206 555 01{i:02d}",
            website=f"race{i}.com",
        )
        for i in range(4)
    ]
    holds = [0.5, 0.0, 0.0]
    rounds = [("qualify", lead.id, hold) for lead, hold in zip(leads, holds, strict=False)]
    outcomes = run_race(
        db_url,
        {
            "ann": [*rounds, ("qualify", leads[3].id, 0.3)],
            "bob": [*rounds, ("disqualify", leads[3].id, 0.0)],
        },
    )
    assert not [o for o in outcomes if o[2] == "error"], outcomes

    names = {"ann": "Ann Able", "bob": "Bob Baker"}
    for lead in leads[:3]:
        mine = [o for o in outcomes if o[1] == lead.id]
        winners = [o for o in mine if o[2] == "won"]
        losers = [o for o in mine if o[2] == "closed"]
        assert len(winners) == 1 and len(losers) == 1, mine
        winner = winners[0][0]
        assert names[winner] in losers[0][3]  # the message names who qualified it
        assert "qualified" in losers[0][3]

        fresh = Lead.get_by_id(lead.id)
        assert fresh.state == LeadState.QUALIFIED
        assert fresh.closed_by.username == winner
        opportunities = list(Opportunity.select().where(Opportunity.originating_lead == lead.id))
        assert [o.id for o in opportunities] == [winners[0][3]]
        qualified_events = models.AuditEvent.select().where(
            (models.AuditEvent.entity_id == lead.id) & (models.AuditEvent.action == "qualified")
        )
        assert qualified_events.count() == 1

    mixed = [o for o in outcomes if o[1] == leads[3].id]
    assert sorted(o[2] for o in mixed) == ["closed", "won"], mixed
    winner = next(o[0] for o in mixed if o[2] == "won")
    loser_message = next(o[3] for o in mixed if o[2] == "closed")
    fresh = Lead.get_by_id(leads[3].id)
    if winner == "ann":
        assert fresh.state == LeadState.QUALIFIED and "Ann Able" in loser_message
        assert Opportunity.select().count() == 4
        assert (Account.select().count(), Contact.select().count()) == (4, 4)
    else:
        assert fresh.state == LeadState.DISQUALIFIED and "Bob Baker" in loser_message
        assert Opportunity.select().count() == 3
        assert (Account.select().count(), Contact.select().count()) == (3, 3)


def test_edit_racing_a_qualification_does_not_reopen_the_lead(db, two_reps, monkeypatch) -> None:
    """Ann's edit has read the open lead when Bob qualifies it. Ann's save must not
    write the stale state back (it would reopen a qualified lead): Bob waits for
    Ann's edit to commit (the edit holds the lead's lock)."""
    import models.leads

    from .racing import Race

    ann, bob = two_reps
    lead = make_lead(ann)
    race = Race()
    bob_qualifies = race.add(lambda: models.qualify_lead(bob, lead.id))
    real_lock = models.leads.locked_open_lead

    def lock_then_let_bob_in(lead_id: int, *args: Any) -> Lead:
        found = real_lock(lead_id, *args)
        race.start_and_settle(bob_qualifies)  # Bob finishes, or waits for Ann's edit
        return found

    monkeypatch.setattr(models.leads, "locked_open_lead", lock_then_let_bob_in)
    try:
        models.update_lead(ann, lead.id, {"city": "Seattle"})
    finally:
        race.close()
    assert bob_qualifies.error is None
    fresh = Lead.get_by_id(lead.id)
    assert fresh.state == LeadState.QUALIFIED
    assert fresh.closed_by_id == bob.id
    assert fresh.stage == models.Stage.DEVELOP
    assert fresh.city == "Seattle"  # Bob qualified the lead as Ann left it
    assert fresh.account_id is not None and fresh.contact_id is not None
    assert models.Contact.get_by_id(fresh.contact_id).city == "Seattle"


def test_delete_racing_a_qualification_keeps_the_opportunitys_lead(
    db, two_reps, monkeypatch
) -> None:
    """Ann's delete has checked that no opportunity came from the lead when Bob
    qualifies it. The delete must not then remove the lead and its notes from under
    Bob's new opportunity: either Bob waits and finds the lead gone, or Ann's delete
    sees the opportunity and is refused."""
    import threading

    ann, bob = two_reps
    lead = make_lead(ann)
    note = models.add_note(ann, lead, "keep me")
    bob_done = threading.Event()
    bob_errors: list[BaseException] = []
    real_opportunity = Lead.opportunity

    def opportunity_then_let_bob_in(self: Lead) -> Opportunity | None:
        found = real_opportunity(self)
        if threading.current_thread() is threading.main_thread() and not bob_thread.ident:
            bob_thread.start()
            bob_done.wait(timeout=1.5)  # Bob finishes, or is blocked by Ann's delete
        return found

    def bob_qualifies() -> None:
        try:
            with models.thread_connection():
                models.qualify_lead(bob, lead.id)
        except BaseException as exc:
            bob_errors.append(exc)
        finally:
            bob_done.set()

    bob_thread = threading.Thread(target=bob_qualifies)
    monkeypatch.setattr(Lead, "opportunity", opportunity_then_let_bob_in)
    try:
        models.delete_lead(ann, lead.id)
        deleted = True
    except models.PermissionDenied:
        deleted = False
    bob_thread.join(timeout=TIMEOUT)

    if deleted:
        # Bob lost: a clear error, and nothing was created for a lead that is gone.
        assert len(bob_errors) == 1 and isinstance(bob_errors[0], models.LeadqError)
        assert Opportunity.select().count() == 0
        assert Account.select().count() == 0
    else:
        assert bob_errors == []
        opp = Opportunity.get()
        assert opp.originating_lead_id == lead.id
        assert [n.id for n in opp.notes_for_display()] == [note.id]
