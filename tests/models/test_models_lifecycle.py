"""A lead's life besides qualifying: disqualify, reactivate, delete, notes and
attachments, editing, and the opportunity's stage moves. Audit events included."""

from __future__ import annotations

import pytest

import models
from models import (
    AuditEvent,
    DisqualifyRefused,
    Lead,
    LeadState,
    Note,
    Opportunity,
    PermissionDenied,
    Stage,
    StatusReason,
    ValidationError,
)

from ..conftest import make_lead

FILE = ("brief.txt", b"line 1\nline 2\x00\x01\xfe")


def latest_event(entity_type: str, entity_id: int | None) -> AuditEvent:
    return (
        AuditEvent.select()
        .where((AuditEvent.entity_type == entity_type) & (AuditEvent.entity_id == entity_id))
        .order_by(AuditEvent.id.desc())
        .get()
    )


def with_notes(actor: models.User, **overrides: object) -> tuple[Lead, list[int]]:
    lead = make_lead(actor, **overrides)
    ids = [
        models.add_note(actor, lead, "First call").id,
        models.add_note(actor, lead, "", attachment=FILE).id,
    ]
    return lead, ids


# --- disqualify --------------------------------------------------------------------


@pytest.mark.parametrize("reason", list(models.DISQUALIFY_REASONS))
def test_disqualify_with_each_reason(db, rep, reason) -> None:
    lead, note_ids = with_notes(rep)
    returned = models.disqualify_lead(rep, lead.id, reason)
    fresh = Lead.get_by_id(lead.id)
    assert returned.state == fresh.state == LeadState.DISQUALIFIED
    assert fresh.status_reason == reason
    assert fresh.closed_by_id == rep.id and fresh.closed_at is not None
    assert [n.id for n in Note.select().where(Note.lead == lead.id).order_by(Note.id)] == note_ids
    assert models.attachment_bytes(note_ids[1]) == FILE
    event = latest_event("lead", lead.id)
    assert event.action == "disqualified"
    assert event.summary == f"Disqualified: {StatusReason(reason).label}"
    assert event.actor_id == rep.id


def test_disqualify_reason_labels() -> None:
    assert [r.label for r in models.DISQUALIFY_REASONS] == [
        "Lost",
        "Cannot contact",
        "No longer interested",
        "Canceled",
    ]


@pytest.mark.parametrize("reason", ["", "qualified", "new", "bored"])
def test_disqualify_needs_a_real_reason(db, rep, reason) -> None:
    lead = make_lead(rep)
    with pytest.raises(ValidationError) as caught:
        models.disqualify_lead(rep, lead.id, reason)
    assert "reason" in caught.value.errors
    assert "Lost" in str(caught.value)
    assert Lead.get_by_id(lead.id).is_open


def test_disqualify_refused_when_an_opportunity_exists(db, rep) -> None:
    lead = make_lead(rep)
    models.qualify_lead(rep, lead.id)
    models.reactivate_lead(rep, lead.id)  # open again, but its opportunity remains
    with pytest.raises(DisqualifyRefused) as caught:
        models.disqualify_lead(rep, lead.id, StatusReason.LOST)
    assert "50 ergonomic chairs" in str(caught.value)
    assert "opportunity" in str(caught.value)
    fresh = Lead.get_by_id(lead.id)
    assert fresh.state == LeadState.OPEN and fresh.closed_by_id is None
    assert latest_event("lead", lead.id).action == "reactivated"


def test_disqualify_allowed_after_qualifying_without_opportunity(db, admin, rep) -> None:
    models.change_setting(admin, "auto_create_on_qualify", False)
    lead = make_lead(rep)
    models.qualify_lead(rep, lead.id, models.QualifyChoice(True, True, False))
    models.reactivate_lead(rep, lead.id)
    models.disqualify_lead(rep, lead.id, StatusReason.NO_LONGER_INTERESTED)
    assert Lead.get_by_id(lead.id).state == LeadState.DISQUALIFIED


# --- reactivate ---------------------------------------------------------------------


@pytest.mark.parametrize("close", ["qualified", "disqualified"])
def test_reactivate_reopens_and_keeps_notes(db, rep, close) -> None:
    lead, note_ids = with_notes(rep)
    if close == "qualified":
        models.qualify_lead(rep, lead.id)
        assert Lead.get_by_id(lead.id).stage == Stage.DEVELOP
    else:
        models.disqualify_lead(rep, lead.id, StatusReason.CANCELED)
    returned = models.reactivate_lead(rep, lead.id)
    fresh = Lead.get_by_id(lead.id)
    assert returned.state == fresh.state == LeadState.OPEN
    assert fresh.status_reason == StatusReason.NEW
    assert fresh.stage == Stage.QUALIFY
    assert fresh.closed_by_id is None and fresh.closed_at is None
    assert sorted(n.id for n in fresh.notes_for_display()) == note_ids
    assert models.attachment_bytes(note_ids[1]) == FILE
    event = latest_event("lead", lead.id)
    assert (event.action, event.summary) == ("reactivated", f"Reactivated (was {close})")
    # Open again: editable and can take notes.
    models.update_lead(rep, lead.id, {"topic": "Reopened"})
    models.add_note(rep, fresh, "after reactivation")
    assert Lead.get_by_id(lead.id).topic == "Reopened"


def test_reactivating_an_open_lead_is_refused(db, rep) -> None:
    lead = make_lead(rep)
    with pytest.raises(ValidationError, match="already open"):
        models.reactivate_lead(rep, lead.id)
    assert [e.action for e in lead.history()] == ["created"]


# --- delete -------------------------------------------------------------------------


def test_delete_removes_the_lead_with_its_notes_and_attachments(db, rep) -> None:
    lead, note_ids = with_notes(rep)
    _keep, keep_ids = with_notes(rep, topic="keep me")
    models.delete_lead(rep, lead.id)
    assert not Lead.select().where(Lead.id == lead.id).exists()
    assert Note.select().where(Note.id.in_(note_ids)).count() == 0
    assert sorted(n.id for n in Note.select()) == keep_ids  # other leads' notes stay
    with pytest.raises(models.NotFound):
        models.get_lead(lead.id)
    with pytest.raises(models.NotFound):
        models.attachment_bytes(note_ids[1])
    event = latest_event("lead", lead.id)
    assert event.action == "deleted"
    assert "2 note(s)" in event.summary and "Nancy Anderson" in event.summary


def test_delete_closed_lead(db, rep) -> None:
    lead, _ = with_notes(rep)
    models.disqualify_lead(rep, lead.id, StatusReason.LOST)
    models.delete_lead(rep, lead.id)
    assert Lead.select().count() == 0 and Note.select().count() == 0


def test_salesperson_deletes_only_own_leads(db, admin, rep) -> None:
    other = models.create_user("sam", "Sam Seller", models.Role.SALESPERSON)
    manager = models.create_user("mia", "Mia Manager", models.Role.SALES_MANAGER)
    lead, note_ids = with_notes(other)
    assert not models.can_delete(rep, lead)
    with pytest.raises(PermissionDenied, match="Sam Seller"):
        models.delete_lead(rep, lead.id)
    assert Lead.select().where(Lead.id == lead.id).exists()
    assert Note.select().where(Note.id.in_(note_ids)).count() == 2

    assert models.can_delete(other, lead)
    assert models.can_delete(manager, lead) and models.can_delete(admin, lead)
    models.delete_lead(manager, lead.id)
    second = make_lead(other)
    models.delete_lead(admin, second.id)
    own = make_lead(rep)
    models.delete_lead(rep, own.id)
    assert Lead.select().count() == 0


def test_lead_with_an_opportunity_is_kept(db, rep, admin) -> None:
    """Not a matter of role: an administrator is refused too, with its own error."""
    lead, note_ids = with_notes(rep)
    models.qualify_lead(rep, lead.id)
    for actor in (rep, admin):
        with pytest.raises(models.DeleteRefused, match="opportunity") as caught:
            models.delete_lead(actor, lead.id)
        assert not isinstance(caught.value, PermissionDenied)
        assert "Delete the opportunity first" in str(caught.value)
    assert Note.select().where(Note.id.in_(note_ids)).count() == 2


# --- notes ----------------------------------------------------------------------------


def test_notes_on_every_kind_of_record(db, rep) -> None:
    lead = make_lead(rep)
    result = models.qualify_lead(rep, lead.id)
    for target in (result.account, result.contact, result.opportunity):
        note = models.add_note(rep, target, f"on {type(target).__name__}", attachment=FILE)
        shown = target.notes_for_display()
        assert note.id in [n.id for n in shown]
        stored = Note.get_by_id(note.id)
        assert stored.author_id == rep.id
        assert (stored.attachment_name, bytes(stored.attachment_data)) == FILE
        assert stored.attachment_size == len(FILE[1])
        assert latest_event(type(target).__name__.lower(), target.id).action == "note_added"


@pytest.mark.parametrize(
    ("text", "attachment", "field"),
    [
        ("", None, "text"),
        ("   \n ", None, "text"),
        ("x" * 100_001, None, "text"),
        ("ok", ("   ", b"data"), "attachment"),
    ],
    ids=["empty", "blank", "too-long", "nameless-file"],
)
def test_bad_notes_are_refused_and_nothing_saved(db, rep, text, attachment, field) -> None:
    lead = make_lead(rep)
    with pytest.raises(ValidationError) as caught:
        models.add_note(rep, lead, text, attachment=attachment)
    assert field in caught.value.errors
    assert Note.select().count() == 0


def test_attachment_only_note_and_path_is_stripped(db, rep, tmp_path) -> None:
    lead = make_lead(rep)
    note = models.add_note(rep, lead, "", attachment=("../../etc/passwd", b"secret"))
    assert Note.get_by_id(note.id).attachment_name == "passwd"
    saved = models.save_attachment(note.id, tmp_path)
    assert saved == tmp_path / "passwd" and saved.read_bytes() == b"secret"
    with pytest.raises(ValidationError):
        models.save_attachment(note.id, tmp_path)  # no silent overwrite


def test_note_on_a_deleted_lead_is_not_found(db, rep) -> None:
    lead = make_lead(rep)
    models.delete_lead(rep, lead.id)
    with pytest.raises(models.NotFound):
        models.add_note(rep, lead, "too late")
    assert Note.select().count() == 0


# --- editing --------------------------------------------------------------------------


def test_update_lead_changes_fields_and_audits_them(db, rep) -> None:
    lead = make_lead(rep)
    models.update_lead(
        rep,
        lead.id,
        {"topic": "60 chairs", "city": "Seattle", "status_reason": StatusReason.CONTACTED},
    )
    fresh = Lead.get_by_id(lead.id)
    assert (fresh.topic, fresh.city, fresh.status_reason) == ("60 chairs", "Seattle", "contacted")
    event = latest_event("lead", lead.id)
    assert event.action == "updated"
    assert "Topic" in event.summary and "City" in event.summary
    assert "Status reason" in event.summary
    # No change, no event.
    models.update_lead(rep, lead.id, {"topic": "60 chairs"})
    assert latest_event("lead", lead.id).id == event.id


def test_open_lead_cannot_take_a_closed_status_reason(db, rep) -> None:
    lead = make_lead(rep)
    with pytest.raises(ValidationError, match="New or Contacted"):
        models.update_lead(rep, lead.id, {"status_reason": StatusReason.LOST})
    fresh = Lead.get_by_id(lead.id)
    assert (fresh.state, fresh.status_reason) == (LeadState.OPEN, StatusReason.NEW)


def test_qualify_stage_steps_filled(db, rep) -> None:
    lead = make_lead(rep)
    assert not any(lead.qualify_stage_filled().values())
    account = models.Account.create(name="Fabrikam")
    models.update_lead(
        rep,
        lead.id,
        {
            "existing_account": account.id,
            "purchase_timeframe": "this_quarter",
            "estimated_budget": "0",
            "purchase_process": "committee",
            "decision_maker_identified": True,
            "summary": "Ready",
        },
    )
    filled = Lead.get_by_id(lead.id).qualify_stage_filled()
    assert filled == {
        "existing_contact": False,
        "existing_account": True,
        "purchase_timeframe": True,
        "estimated_budget": True,  # zero is a value
        "purchase_process": True,
        "decision_maker_identified": True,
        "summary": True,
    }


# --- opportunity stages ---------------------------------------------------------------


def test_opportunity_moves_forward_and_back_within_bounds(db, rep) -> None:
    lead = make_lead(rep)
    opp_id = models.qualify_lead(rep, lead.id).opportunity.id

    def stage() -> str:
        return Opportunity.get_by_id(opp_id).stage

    assert stage() == Stage.DEVELOP
    with pytest.raises(ValidationError, match="first stage"):
        models.move_opportunity_stage(rep, opp_id, -1)
    assert stage() == Stage.DEVELOP
    assert models.move_opportunity_stage(rep, opp_id, 1).stage == Stage.PROPOSE
    assert stage() == Stage.PROPOSE
    event = latest_event("opportunity", opp_id)
    assert (event.action, event.summary) == ("stage_changed", "Stage Develop -> Propose")
    models.move_opportunity_stage(rep, opp_id, 1)
    assert stage() == Stage.CLOSE
    with pytest.raises(ValidationError, match="last stage"):
        models.move_opportunity_stage(rep, opp_id, 1)
    assert stage() == Stage.CLOSE
    models.move_opportunity_stage(rep, opp_id, -1)
    assert stage() == Stage.PROPOSE
    with pytest.raises(ValidationError):
        models.move_opportunity_stage(rep, opp_id, 2)
    assert stage() == Stage.PROPOSE
    with pytest.raises(models.NotFound):
        models.move_opportunity_stage(rep, opp_id + 1000, 1)
    assert models.STAGES == (Stage.QUALIFY, Stage.DEVELOP, Stage.PROPOSE, Stage.CLOSE)


def test_services_take_the_actor_first(db, admin) -> None:
    lead = make_lead(admin)
    models.update_lead(admin, lead.id, {"city": "Oslo"})
    assert models.get_lead(lead.id).city == "Oslo"
    models.disqualify_lead(admin, lead.id, "lost")
    assert models.get_lead(lead.id).status_reason == "lost"
