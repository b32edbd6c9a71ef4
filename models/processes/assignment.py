"""Assigning a qualifying process to a lead, and checking its activities off."""

from __future__ import annotations

import datetime as dt

from peewee import IntegrityError

from ..audit import record
from ..entities import Lead, User, utcnow
from ..errors import NotFound, no_raw_errors
from ..locks import locked_open_lead, locked_record
from ..permissions import can
from ..settings import load_settings
from .errors import ProcessRefused
from .models import (
    LeadActivity,
    LeadProcess,
    QualifyingProcess,
)
from .reading import (
    activities_text,
    find_process,
    lead_process,
    process_outline,
    require_feature,
)


def _copy_activities(
    lead: Lead, assignment: LeadProcess, process: QualifyingProcess, on: dt.date
) -> int:
    rows = []
    for position, row in enumerate(r for r in process_outline(process.id) if r.activity):
        a = row.activity
        assert a is not None
        rows.append(
            {
                "lead": lead.id,
                "lead_process": assignment.id,
                "source_activity_id": a.id,
                "level_name": row.level.name,
                "level_path": " / ".join(row.path),
                "level_depth": row.depth - 1,
                "purpose": a.purpose,
                "required": a.required,
                "responsible_role": a.responsible_role,
                "due_start": on + dt.timedelta(days=a.days_to_start),
                "due_finish": on + dt.timedelta(days=a.days_to_finish),
                "position": position,
                "done": False,
            }
        )
    if rows:
        LeadActivity.insert_many(rows).execute()
    return len(rows)


def _take_off(lead: Lead, current: LeadProcess, before: str) -> None:
    """Remove the lead's process and its activities; refused while some are done."""
    done = (
        LeadActivity.select()
        .where((LeadActivity.lead == lead.id) & (LeadActivity.done == True))  # noqa: E712
        .count()
    )
    if done:
        raise ProcessRefused(
            f"{activities_text(done)} of {current.process_name} already done on this lead; "
            f"reopen them before {before}."
        )
    LeadActivity.delete().where(LeadActivity.lead == lead.id).execute()
    LeadProcess.delete().where(LeadProcess.id == current.id).execute()


def _assign(
    lead: Lead, process: QualifyingProcess, actor: User | None, on: dt.date, audit_prefix: str = ""
) -> LeadProcess:
    current = lead_process(lead)
    if current is not None:
        _take_off(lead, current, "assigning another process")
    assignment = LeadProcess.create(
        lead=lead,
        process=process,
        process_name=process.name,
        assigned_on=on,
        assigned_at=utcnow(),
        assigned_by=actor,
    )
    count = _copy_activities(lead, assignment, process, on)
    replaced = f" (replacing {current.process_name})" if current is not None else ""
    record(
        actor,
        "process_assigned",
        lead,
        f"{audit_prefix}Assigned qualifying process {process.name}{replaced}: "
        f"{activities_text(count)}, due from {on:%Y-%m-%d}",
    )
    return assignment


@no_raw_errors
def assign_process(
    actor: User, lead_id: int, process_id: int, *, on: dt.date | None = None
) -> LeadProcess:
    """Assign a process to an open lead: its activities are copied onto the lead with
    due dates counted from `on` (default: today, UTC)."""
    require_feature()
    db = Lead._meta.database
    try:
        with db.atomic():
            lead = locked_open_lead(lead_id, "assign a process to")
            process = find_process(process_id)
            if not process.active:
                raise ProcessRefused(f"{process.name} is inactive and cannot be assigned.")
            return _assign(lead, process, actor, on or utcnow().date())
    except IntegrityError:
        # Another session assigned a process to this lead at the same moment.
        raise ProcessRefused(
            "Someone else just assigned a process to this lead; look at it again."
        ) from None


@no_raw_errors
def remove_process(actor: User, lead_id: int) -> None:
    """Take the qualifying process off an open lead, with its activities. Refused,
    as changing the process is, while some of its activities are done."""
    db = Lead._meta.database
    with db.atomic():
        lead = locked_record(Lead, lead_id)
        can(actor, "remove_process", lead).enforce()
        current = lead_process(lead)
        assert current is not None  # the rule above says so
        _take_off(lead, current, "removing the process")
        record(actor, "process_removed", lead, f"Removed qualifying process {current.process_name}")


def apply_default_process(actor: User | None, lead: Lead) -> LeadProcess | None:
    """Assign the default process (setting `default_qualifying_process`) to a new
    lead, when the feature is on and that process exists and is active."""
    settings = load_settings()
    if not settings.lead_qualifying_process or not settings.default_qualifying_process:
        return None
    process = QualifyingProcess.get_or_none(
        QualifyingProcess.id == int(settings.default_qualifying_process)
    )
    if process is None or not process.active:
        return None
    return _assign(lead, process, actor, utcnow().date(), audit_prefix="By default: ")


@no_raw_errors
def set_activity_done(actor: User, activity_id: int, done: bool = True) -> LeadActivity:
    """Check an activity off (or reopen it), recording who and when on the activity
    and in the lead's history."""
    require_feature()
    db = Lead._meta.database
    with db.atomic():
        gone = "This activity no longer exists; the lead's process may have changed."
        activity = LeadActivity.get_or_none(LeadActivity.id == activity_id)
        if activity is None:
            raise NotFound(gone)
        # The lead first (the lock order of every service), then the activity again:
        # a process assigned meanwhile may have replaced it.
        lead = locked_open_lead(activity.lead_id)
        activity = LeadActivity.get_or_none(LeadActivity.id == activity_id)
        if activity is None:
            raise NotFound(gone)
        if activity.done == done:
            return activity
        now = utcnow()
        won = (
            LeadActivity.update(
                done=done, done_by=actor if done else None, done_at=now if done else None
            )
            .where((LeadActivity.id == activity.id) & (LeadActivity.done == (not done)))
            .execute()
        )
        if not won:  # another session got there first
            return LeadActivity.get_by_id(activity_id)
        verb = "Checked off" if done else "Reopened"
        record(
            actor,
            "activity_done" if done else "activity_reopened",
            lead,
            f"{verb} activity {activity.purpose} ({activity.level_path})",
        )
    return LeadActivity.get_by_id(activity_id)


@no_raw_errors
def check_off_activity(actor: User, activity_id: int) -> LeadActivity:
    return set_activity_done(actor, activity_id, True)


@no_raw_errors
def reopen_activity(actor: User, activity_id: int) -> LeadActivity:
    return set_activity_done(actor, activity_id, False)
