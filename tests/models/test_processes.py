"""Lead qualifying processes (SPEC section 4): defining processes, assigning them,
checking activities off, and the exit criteria that gate qualifying. Every test
runs on SQLite and PostgreSQL (the `db` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest

import models
from models import (
    AuditEvent,
    ExitCriteriaNotMet,
    FeatureOff,
    LeadActivity,
    LeadClosed,
    LeadProcess,
    PermissionDenied,
    ProcessRefused,
    QualifyingProcess,
    Role,
    ValidationError,
)

from ..conftest import make_lead

ASSIGNED_ON = dt.date(2024, 3, 1)


@pytest.fixture
def feature_on(admin: models.User) -> models.User:
    models.change_setting(admin, "lead_qualifying_process", True)
    return admin


@pytest.fixture
def manager(db: object) -> models.User:
    return models.create_user("max", "Max Manager", Role.SALES_MANAGER)


def build_process(admin: models.User, name: str = "Standard") -> models.QualifyingProcess:
    """Two top levels, one nested level; required and optional activities."""
    process = models.create_process(admin, name, "For tests")
    discovery = models.add_level(admin, process.id, "Discovery")
    models.add_activity(
        admin,
        discovery.id,
        purpose="Call the lead",
        required=True,
        days_to_start=0,
        days_to_finish=2,
    )
    models.add_activity(
        admin,
        discovery.id,
        purpose="Send brochure",
        required=False,
        days_to_start=1,
        days_to_finish=5,
    )
    decision = models.add_level(admin, process.id, "Decision")
    budget = models.add_level(admin, process.id, "Budget", parent_id=decision.id)
    models.add_activity(
        admin,
        budget.id,
        purpose="Confirm the budget",
        required=True,
        days_to_start=3,
        days_to_finish=10,
        responsible_role=Role.SALES_MANAGER,
    )
    return process


def activity(lead: models.Lead, purpose: str) -> LeadActivity:
    return next(a for a in models.lead_activities(lead.id) if a.purpose == purpose)


# Defining processes.
def test_process_hierarchy_outline(feature_on: models.User) -> None:
    process = build_process(feature_on)
    outline = [
        (r.kind, r.depth, r.activity.purpose if r.activity else r.level.name)
        for r in models.process_outline(process.id)
    ]
    assert outline == [
        ("level", 0, "Discovery"),
        ("activity", 1, "Call the lead"),
        ("activity", 1, "Send brochure"),
        ("level", 0, "Decision"),
        ("level", 1, "Budget"),
        ("activity", 2, "Confirm the budget"),
    ]
    [summary] = models.list_processes()
    assert (summary.name, summary.active, summary.levels, summary.activities) == (
        "Standard",
        True,
        3,
        3,
    )
    assert summary.required == 2


def test_only_admins_define_processes(
    feature_on: models.User, rep: models.User, manager: models.User
) -> None:
    process = build_process(feature_on)
    level = process.levels[0]
    for user in (rep, manager):
        with pytest.raises(PermissionDenied, match="system administrator"):
            models.create_process(user, "Mine")
        with pytest.raises(PermissionDenied):
            models.add_level(user, process.id, "Extra")
        with pytest.raises(PermissionDenied):
            models.add_activity(user, level.id, purpose="Sneaky")
        with pytest.raises(PermissionDenied):
            models.deactivate_process(user, process.id)
        with pytest.raises(PermissionDenied):
            models.copy_process(user, process.id)
        with pytest.raises(PermissionDenied):
            models.delete_process(user, process.id)
    assert QualifyingProcess.select().count() == 1
    assert models.list_processes()[0].activities == 3


def test_names_unique_and_required(feature_on: models.User) -> None:
    build_process(feature_on)
    with pytest.raises(ValidationError) as exc:
        models.create_process(feature_on, "  standard ")
    assert "already exists" in exc.value.errors["name"]
    with pytest.raises(ValidationError) as exc:
        models.create_process(feature_on, "   ")
    assert "name" in exc.value.errors


def test_activity_validation(feature_on: models.User) -> None:
    process = models.create_process(feature_on, "P")
    level = models.add_level(feature_on, process.id, "L")
    with pytest.raises(ValidationError) as exc:
        models.add_activity(
            feature_on,
            level.id,
            purpose="",
            days_to_start=5,
            days_to_finish=2,
            responsible_role="boss",
        )
    assert set(exc.value.errors) == {"purpose", "days_to_finish", "responsible_role"}
    with pytest.raises(ValidationError) as exc:
        models.add_activity(feature_on, level.id, purpose="x", days_to_start=-1)
    assert "days_to_start" in exc.value.errors
    assert models.process_outline(process.id)[1:] == []


def test_edit_rename_move_and_remove(feature_on: models.User) -> None:
    process = build_process(feature_on)
    models.update_process(feature_on, process.id, name="Standard v2", description="New")
    call = models.process_outline(process.id)[1].activity
    models.update_activity(feature_on, call.id, purpose="Call the lead today", days_to_finish=1)
    models.move_item(feature_on, "activity", call.id, +1)
    levels = {lv.name: lv for lv in models.ProcessLevel.select()}
    models.rename_level(feature_on, levels["Decision"].id, "Decide")
    models.move_item(feature_on, "level", levels["Decision"].id, -1)
    labels = [
        r.activity.purpose if r.activity else r.level.name
        for r in models.process_outline(process.id)
    ]
    assert labels == [
        "Decide",
        "Budget",
        "Confirm the budget",
        "Discovery",
        "Send brochure",
        "Call the lead today",
    ]
    assert QualifyingProcess.get_by_id(process.id).name == "Standard v2"
    models.remove_level(feature_on, levels["Decision"].id)
    labels = [
        r.activity.purpose if r.activity else r.level.name
        for r in models.process_outline(process.id)
    ]
    assert labels == ["Discovery", "Send brochure", "Call the lead today"]
    models.remove_activity(feature_on, call.id)
    assert models.list_processes()[0].activities == 1
    history = [e.summary for e in AuditEvent.for_record("qualifyingprocess", process.id)]
    assert any("removed level Decide" in s for s in history)


def test_copy_process(feature_on: models.User) -> None:
    process = build_process(feature_on)
    copy = models.copy_process(feature_on, process.id)
    assert copy.name == "Copy of Standard"
    assert copy.active is False
    again = models.copy_process(feature_on, process.id)
    assert again.name == "Copy of Standard (2)"

    def shape(pid: int) -> list[tuple]:
        return [
            (
                r.kind,
                r.depth,
                r.path,
                r.activity.purpose if r.activity else None,
                r.activity.required if r.activity else None,
                r.activity.days_to_finish if r.activity else None,
                r.activity.responsible_role if r.activity else None,
            )
            for r in models.process_outline(pid)
        ]

    assert shape(copy.id) == shape(process.id)
    # The copy is independent of its source.
    models.remove_level(feature_on, models.process_outline(copy.id)[0].level.id)
    assert len(shape(process.id)) == 6


def test_delete_refused_while_assigned(feature_on: models.User, rep: models.User) -> None:
    process = build_process(feature_on)
    spare = models.create_process(feature_on, "Spare")
    models.add_level(feature_on, spare.id, "Only")
    lead = make_lead(rep)
    models.assign_process(rep, lead.id, process.id)
    with pytest.raises(ProcessRefused, match="assigned to 1 lead"):
        models.delete_process(feature_on, process.id)
    models.delete_process(feature_on, spare.id)
    assert [p.name for p in models.list_processes()] == ["Standard"]
    assert models.ProcessLevel.select().where(models.ProcessLevel.process == spare.id).count() == 0


# Assigning and checking off.
def test_assignment_copies_activities_with_due_dates(
    feature_on: models.User, rep: models.User
) -> None:
    process = build_process(feature_on)
    lead = make_lead(rep)
    assignment = models.assign_process(rep, lead.id, process.id, on=ASSIGNED_ON)
    assert assignment.process_name == "Standard"
    rows = [
        (a.level_path, a.purpose, a.required, a.due_start, a.due_finish, a.responsible_role)
        for a in models.lead_activities(lead.id)
    ]
    assert rows == [
        (
            "Discovery",
            "Call the lead",
            True,
            dt.date(2024, 3, 1),
            dt.date(2024, 3, 3),
            "salesperson",
        ),
        (
            "Discovery",
            "Send brochure",
            False,
            dt.date(2024, 3, 2),
            dt.date(2024, 3, 6),
            "salesperson",
        ),
        (
            "Decision / Budget",
            "Confirm the budget",
            True,
            dt.date(2024, 3, 4),
            dt.date(2024, 3, 11),
            "sales_manager",
        ),
    ]
    # Later edits of the process do not change the lead's copies.
    call = models.process_outline(process.id)[1].activity
    models.update_activity(feature_on, call.id, purpose="Renamed")
    assert activity(lead, "Call the lead").required is True
    history = [e.summary for e in lead.history()]
    assert any("Assigned qualifying process Standard" in s for s in history)


def test_inactive_process_cannot_be_assigned(feature_on: models.User, rep: models.User) -> None:
    process = build_process(feature_on)
    models.deactivate_process(feature_on, process.id)
    lead = make_lead(rep)
    with pytest.raises(ProcessRefused, match="inactive and cannot be assigned"):
        models.assign_process(rep, lead.id, process.id)
    assert models.lead_process(lead.id) is None
    copy = models.copy_process(feature_on, process.id)
    with pytest.raises(ProcessRefused, match="cannot be assigned"):
        models.assign_process(rep, lead.id, copy.id)
    models.activate_process(feature_on, process.id)
    models.assign_process(rep, lead.id, process.id)
    assert models.lead_process(lead.id).process_id == process.id


def test_assign_refused_on_closed_lead(feature_on: models.User, rep: models.User) -> None:
    process = build_process(feature_on)
    lead = make_lead(rep)
    models.disqualify_lead(rep, lead.id, "lost")
    with pytest.raises(LeadClosed, match="reactivate"):
        models.assign_process(rep, lead.id, process.id)


def test_check_off_records_who_and_when(feature_on: models.User, rep: models.User) -> None:
    process = build_process(feature_on)
    lead = make_lead(rep)
    models.assign_process(rep, lead.id, process.id, on=ASSIGNED_ON)
    before = models.entities.utcnow()
    done = models.check_off_activity(rep, activity(lead, "Call the lead").id)
    assert done.done is True
    assert done.done_by_id == rep.id
    assert done.done_at >= before.replace(microsecond=0) - dt.timedelta(seconds=1)
    events = [(e.action, e.actor_id, e.summary) for e in lead.history()]
    assert ("activity_done", rep.id, "Checked off activity Call the lead (Discovery)") in events
    reopened = models.reopen_activity(feature_on, done.id)
    assert (reopened.done, reopened.done_by_id, reopened.done_at) == (False, None, None)
    assert lead.history()[0].action == "activity_reopened"
    assert lead.history()[0].actor_id == feature_on.id


# Exit criteria.
def test_open_required_activities_block_qualifying(
    feature_on: models.User, rep: models.User
) -> None:
    process = build_process(feature_on)
    lead = make_lead(rep)
    models.assign_process(rep, lead.id, process.id)
    assert models.open_required_activities(lead) == ["Call the lead", "Confirm the budget"]
    with pytest.raises(ExitCriteriaNotMet) as exc:
        models.qualify_lead(rep, lead.id)
    assert exc.value.open_activities == ["Call the lead", "Confirm the budget"]
    assert "Call the lead" in str(exc.value) and "Confirm the budget" in str(exc.value)
    assert models.get_lead(lead.id).is_open
    assert models.Account.select().count() == 0

    models.check_off_activity(rep, activity(lead, "Call the lead").id)
    with pytest.raises(ExitCriteriaNotMet) as exc:
        models.qualify_lead(rep, lead.id)
    assert exc.value.open_activities == ["Confirm the budget"]

    # The optional "Send brochure" is still open and never blocks.
    models.check_off_activity(rep, activity(lead, "Confirm the budget").id)
    assert activity(lead, "Send brochure").done is False
    result = models.qualify_lead(rep, lead.id)
    assert result.opportunity is not None
    assert models.get_lead(lead.id).state == "qualified"


def test_optional_only_process_never_blocks(feature_on: models.User, rep: models.User) -> None:
    process = models.create_process(feature_on, "Light")
    level = models.add_level(feature_on, process.id, "Only")
    models.add_activity(feature_on, level.id, purpose="Nice to have", required=False)
    lead = make_lead(rep)
    models.assign_process(rep, lead.id, process.id)
    assert models.open_required_activities(lead) == []
    models.qualify_lead(rep, lead.id)
    assert models.get_lead(lead.id).state == "qualified"


def test_bulk_qualify_reports_blocked_and_continues(
    feature_on: models.User, rep: models.User
) -> None:
    process = build_process(feature_on)
    blocked = make_lead(
        rep,
        first_name="Bo",
        last_name="Blocked",
        email="bo@a.com",
        company="Alpha",
        website="alpha.com",
        business_phone="+1 206 555 0001",
    )
    free = make_lead(
        rep,
        first_name="Fay",
        last_name="Free",
        email="fay@b.com",
        company="Beta",
        website="beta.com",
        business_phone="+1 206 555 0002",
    )
    models.assign_process(rep, blocked.id, process.id)
    outcomes = models.qualify_leads(rep, [blocked.id, free.id])
    assert [(o.lead_id, o.status) for o in outcomes] == [
        (blocked.id, "blocked"),
        (free.id, "qualified"),
    ]
    assert "Call the lead" in outcomes[0].message
    assert models.get_lead(blocked.id).is_open
    assert models.get_lead(free.id).state == "qualified"


# Feature off.
def test_feature_off_nothing_enforced_and_data_kept(
    feature_on: models.User, rep: models.User
) -> None:
    process = build_process(feature_on)
    lead = make_lead(rep)
    other = make_lead(
        rep,
        email="o@x.com",
        company="Other",
        website="other.com",
        business_phone="+1 206 555 0003",
        first_name="Ola",
        last_name="Other",
    )
    models.assign_process(rep, lead.id, process.id)
    models.assign_process(rep, other.id, process.id)
    models.check_off_activity(rep, activity(lead, "Call the lead").id)

    models.change_setting(feature_on, "lead_qualifying_process", False)
    assert models.feature_enabled() is False
    # Not enforced: the lead qualifies although required activities are open.
    models.qualify_lead(rep, other.id)
    assert models.get_lead(other.id).state == "qualified"
    # Nothing can be defined, assigned or checked off while off.
    with pytest.raises(FeatureOff, match="switch it on in Settings"):
        models.create_process(feature_on, "New")
    with pytest.raises(FeatureOff):
        models.assign_process(rep, lead.id, process.id)
    with pytest.raises(FeatureOff):
        models.check_off_activity(rep, activity(lead, "Confirm the budget").id)
    # Data kept.
    assert QualifyingProcess.select().count() == 1
    assert models.lead_process(lead.id).process_id == process.id
    assert activity(lead, "Call the lead").done is True

    # On again: everything is back and enforced.
    models.change_setting(feature_on, "lead_qualifying_process", True)
    with pytest.raises(ExitCriteriaNotMet, match="Confirm the budget"):
        models.qualify_lead(rep, lead.id)
    assert [a.done for a in models.lead_activities(lead.id)] == [True, False, False]


# Reassigning and the default process.
def test_reassign_replaces_open_activities_refused_when_any_done(
    feature_on: models.User, rep: models.User
) -> None:
    process = build_process(feature_on)
    light = models.create_process(feature_on, "Light")
    models.add_activity(
        feature_on, models.add_level(feature_on, light.id, "L").id, purpose="Quick call"
    )
    lead = make_lead(rep)
    models.assign_process(rep, lead.id, process.id)
    models.assign_process(rep, lead.id, light.id)
    assert [a.purpose for a in models.lead_activities(lead.id)] == ["Quick call"]
    assert LeadProcess.select().count() == 1
    models.check_off_activity(rep, activity(lead, "Quick call").id)
    with pytest.raises(ProcessRefused, match="already done"):
        models.assign_process(rep, lead.id, process.id)
    assert [a.purpose for a in models.lead_activities(lead.id)] == ["Quick call"]


def test_default_process_for_new_leads(feature_on: models.User, rep: models.User) -> None:
    process = build_process(feature_on)
    with pytest.raises(PermissionDenied):
        models.set_default_process(rep, process.id)
    models.set_default_process(feature_on, process.id)
    assert models.list_processes()[0].is_default
    # The default cannot be deleted while it is the default.
    with pytest.raises(ProcessRefused, match="default process for new leads"):
        models.delete_process(feature_on, process.id)
    lead = make_lead(rep)
    assert models.lead_process(lead.id).process_id == process.id
    assert len(models.lead_activities(lead.id)) == 3

    # An inactive process cannot become the default.
    copy = models.copy_process(feature_on, process.id)
    with pytest.raises(ValidationError, match="inactive"):
        models.set_default_process(feature_on, copy.id)

    # Feature off: new leads get no process.
    models.change_setting(feature_on, "lead_qualifying_process", False)
    plain = make_lead(rep, email="p@x.com", first_name="Pat")
    assert models.lead_process(plain.id) is None


def test_deleting_a_lead_removes_its_activities(feature_on: models.User, rep: models.User) -> None:
    process = build_process(feature_on)
    lead = make_lead(rep)
    models.assign_process(rep, lead.id, process.id)
    models.delete_lead(rep, lead.id)
    assert LeadActivity.select().count() == 0
    assert LeadProcess.select().count() == 0


def test_seed_demo_process(admin: models.User, rep: models.User) -> None:
    leads = [
        make_lead(
            rep,
            email=f"l{i}@x.com",
            first_name=f"L{i}",
            company=f"Co {i}",
            website=f"co{i}.com",
            business_phone=f"+1 206 555 01{i:02d}",
        )
        for i in range(4)
    ]
    process = models.seed_demo_process(admin, [lead.id for lead in leads], on=ASSIGNED_ON)
    assert models.feature_enabled()
    assert process.active
    assert [bool(models.open_required_activities(lead)) for lead in leads] == [
        False,
        True,
        False,
        True,
    ]
    # Idempotent on the process: running again reuses it.
    assert models.seed_demo_process(admin, []).id == process.id


def test_seed_py_assigns_the_demo_process(db: object) -> None:
    from models import demo, seeding

    seeding.seed(leads=120)
    assert models.feature_enabled()
    assignments = list(LeadProcess.select())
    assert len(assignments) == 6
    blocked = [a for a in assignments if models.open_required_activities(a.lead_id)]
    assert len(blocked) == 3
    assert all(a.assigned_on == demo.BASE_TIME.date() for a in assignments)
    ready = models.Lead.select().where(models.Lead.topic.startswith("Demo: "))
    assert not any(models.lead_process(lead.id) for lead in ready)
