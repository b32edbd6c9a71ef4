"""Services that read and then write decide on what they read under a lock: the
test's session pauses right after its deciding read while another session runs
(see racing.py). Without the lock the other session slips in and a rule breaks;
with it, the other session waits and then sees what the first one committed.
Both backends: SQLite serialises writers with BEGIN IMMEDIATE, PostgreSQL by row
and advisory locks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import models
import models.leads
import models.notes
import models.opportunities
import models.qualify
import models.settings
from models import Account, AuditEvent, Lead, LeadState, Opportunity, Stage

from ..conftest import make_lead
from .racing import Race


@pytest.fixture
def race(db) -> Iterator[Race]:
    race = Race()
    yield race
    race.close()


def pause_after(
    monkeypatch: pytest.MonkeyPatch,
    target: Any,
    name: str,
    then: Callable[[], None],
    when: Callable[[], bool] = lambda: True,
) -> None:
    """Make `target.name` run `then()` once, in the test's own thread, after its
    first call (for which `when()` holds) returns."""
    real = getattr(target, name)
    fired = threading.Event()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if threading.current_thread() is threading.main_thread() and not fired.is_set() and when():
            fired.set()
            then()
        return result

    monkeypatch.setattr(target, name, wrapper)


def events(lead_id: int, action: str) -> list[AuditEvent]:
    return list(
        AuditEvent.select()
        .where(
            (AuditEvent.entity_type == "lead")
            & (AuditEvent.entity_id == lead_id)
            & (AuditEvent.action == action)
        )
        .order_by(AuditEvent.id)
    )


def test_two_reactivations_of_one_lead_one_wins(db, admin, race, monkeypatch) -> None:
    lead = make_lead(admin)
    models.disqualify_lead(admin, lead.id, models.StatusReason.LOST)
    bob = race.add(lambda: models.reactivate_lead(admin, lead.id))
    pause_after(monkeypatch, models.leads, "locked_lead", lambda: race.start_and_settle(bob))
    models.reactivate_lead(admin, lead.id)
    bob.join()
    assert isinstance(bob.error, models.ValidationError), bob.error
    assert "already open" in str(bob.error)
    assert len(events(lead.id, "reactivated")) == 1
    assert Lead.get_by_id(lead.id).state == LeadState.OPEN


def test_a_note_never_lands_on_a_lead_qualified_meanwhile(db, admin, race, monkeypatch) -> None:
    lead = make_lead(admin)
    qualifier = race.add(lambda: models.qualify_lead(admin, lead.id))
    pause_after(monkeypatch, models.notes, "locked", lambda: race.start_and_settle(qualifier))
    note = models.add_note(admin, lead, "called them")
    qualifier.join()
    assert qualifier.error is None, qualifier.error
    # The note came first (the qualification waited for it), so it is carried over.
    (noted,) = events(lead.id, "note_added")
    (qualified,) = events(lead.id, "qualified")
    assert noted.id < qualified.id
    opportunity = Opportunity.get(Opportunity.originating_lead == lead.id)
    assert [n.id for n in opportunity.notes_for_display()] == [note.id]


def test_qualify_builds_records_from_the_lead_as_it_closes(db, admin, race, monkeypatch) -> None:
    """An edit acknowledged while qualifying runs is in the account it creates; or
    the edit is refused because the lead closed."""
    lead = make_lead(admin, company="Old Name Ltd")
    editor = race.add(lambda: models.update_lead(admin, lead.id, {"company": "New Name Ltd"}))
    reader = models.qualify._LEAD_READER

    class PausingReader:
        def get(self, lead_id: int) -> Lead | None:
            found = reader.get(lead_id)
            if threading.current_thread() is threading.main_thread():
                race.start_and_settle(editor)
            return found

    monkeypatch.setattr(models.qualify, "_LEAD_READER", PausingReader())
    result = models.qualify_lead(admin, lead.id)
    editor.join()
    account = Account.get_by_id(result.account.id)
    if editor.acknowledged:
        assert account.name == "New Name Ltd"
    else:
        assert isinstance(editor.error, models.LeadClosed), editor.error
        assert account.name == "Old Name Ltd"
        assert Lead.get_by_id(lead.id).company == "Old Name Ltd"


def test_eight_sessions_qualifying_one_companys_leads_make_one_account(
    db, admin, race, monkeypatch
) -> None:
    leads = [
        make_lead(
            admin,
            first_name=f"Person{i}",
            last_name=f"Number{i}",
            email=f"p{i}@mail{i}.example",
            business_phone=f"+1 206 555 01{i:02d}",
            mobile_phone="",
            website="",
            company="Contoso Ltd.",
        )
        for i in range(8)
    ]
    others = [
        race.add(lambda lead_id=lead.id: models.qualify_lead(admin, lead_id)) for lead in leads[1:]
    ]
    pause_after(
        monkeypatch, models.qualify, "find_duplicates", lambda: race.start_and_settle(*others)
    )
    models.qualify_lead(admin, leads[0].id)
    for other in others:
        other.join()
        assert isinstance(other.error, models.DuplicatesFound), other.error
        assert [m.title for m in other.error.matches.accounts] == ["Contoso Ltd."]
    assert Account.select().count() == 1
    assert Lead.select().where(Lead.state == LeadState.QUALIFIED).count() == 1


def test_two_stage_moves_both_count(db, admin, race, monkeypatch) -> None:
    result = models.qualify_lead(admin, make_lead(admin).id)
    opportunity_id = result.opportunity.id
    mover = race.add(lambda: models.move_opportunity_stage(admin, opportunity_id, 1))
    pause_after(monkeypatch, models.opportunities, "locked", lambda: race.start_and_settle(mover))
    models.move_opportunity_stage(admin, opportunity_id, 1)
    mover.join()
    assert mover.error is None, mover.error
    assert Opportunity.get_by_id(opportunity_id).stage == Stage.CLOSE
    summaries = [
        e.summary
        for e in AuditEvent.select()
        .where((AuditEvent.entity_type == "opportunity") & (AuditEvent.action == "stage_changed"))
        .order_by(AuditEvent.id)
    ]
    assert summaries == ["Stage Develop -> Propose", "Stage Propose -> Close"]


def test_two_admins_changing_one_setting_audit_one_change(db, admin, race, monkeypatch) -> None:
    other = race.add(lambda: models.change_setting(admin, "auto_create_on_qualify", False))
    pause_after(
        monkeypatch,
        models.settings,
        "load_settings",
        lambda: race.start_and_settle(other),
        when=lambda: models.database_proxy.in_transaction(),
    )
    models.change_setting(admin, "auto_create_on_qualify", False)
    other.join()
    assert other.error is None, other.error
    changes = AuditEvent.select().where(AuditEvent.action == "setting_changed")
    assert [e.summary for e in changes] == [
        "Create account, contact and opportunity by default upon qualifying: on -> off"
    ]
