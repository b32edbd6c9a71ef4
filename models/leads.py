"""Creating, editing and closing leads, and the lead's life after qualifying."""

from __future__ import annotations

from typing import Any

from .audit import record
from .entities import LEAD_KEY_FIELDS, Account, Contact, Lead, Note, User, utcnow
from .enums import DISQUALIFY_REASONS, STATUS_REASONS, LeadState, Stage, StatusReason
from .errors import NotFound, ValidationError, no_raw_errors
from .locks import LEAD_GONE, linkable, locked_lead, locked_open_lead
from .permissions import can, owns
from .processes.assignment import apply_default_process
from .settings import phone_region
from .validation import FIELD_LABELS, clean_lead_fields

LINK_FIELDS = {"existing_account": Account, "existing_contact": Contact}


def get_lead(lead_id: int) -> Lead:
    lead = Lead.get_or_none(Lead.id == lead_id)
    if lead is None:
        raise NotFound(LEAD_GONE)
    return lead


def _clean_links(values: dict[str, Any]) -> dict[str, Any]:
    """Existing account/contact given as records or ids, checked to exist."""
    clean = {}
    for name, model in LINK_FIELDS.items():
        if name not in values:
            continue
        value = values.pop(name)
        if value is None:
            clean[name] = None
            continue
        record_id = value.id if isinstance(value, model) else value
        linked = model.get_or_none(model.id == record_id)
        if linked is None:
            raise ValidationError({name: f"The {name.replace('_', ' ')} no longer exists."})
        clean[name] = linked
    return clean


def _hold_links(links: dict[str, Any]) -> None:
    """Inside the write: each linked record still active, and held until the end
    (`locks.linkable`), so a merge or delete of it cannot slip in between."""
    for name in ("existing_contact", "existing_account"):  # lock order
        if links.get(name) is not None:
            links[name] = linkable(LINK_FIELDS[name], links[name].id, name)


@no_raw_errors
def create_lead(actor: User, **values: Any) -> Lead:
    """Create an open lead owned by `actor` (or `owner=`); nothing is saved if invalid."""
    owner = values.pop("owner", actor)
    links = _clean_links(values)
    values.setdefault("topic", "")
    values.setdefault("last_name", "")
    clean = clean_lead_fields(values, phone_region())
    db = Lead._meta.database
    with db.atomic():
        _hold_links(links)
        lead = Lead.create(owner=owner, **clean, **links)
        record(actor, "created", lead, f"Created lead {lead.full_name}: {lead.topic}")
        apply_default_process(actor, lead)
    return lead


@no_raw_errors
def update_lead(actor: User, lead_id: int, values: dict[str, Any]) -> Lead:
    """Change fields of an open lead. A closed lead is read-only."""
    values = dict(values)
    status_reason = values.pop("status_reason", None)
    links = _clean_links(values)
    clean = clean_lead_fields(values, phone_region())
    if status_reason is not None and status_reason not in STATUS_REASONS[LeadState.OPEN]:
        raise ValidationError({"status_reason": "An open lead's status is New or Contacted."})
    db = Lead._meta.database
    with db.atomic():
        lead = locked_open_lead(lead_id)
        can(actor, "edit", lead).enforce()
        _hold_links(links)
        changed = []
        columns = []
        for name, value in {**clean, **links}.items():
            old = getattr(lead, name)
            if old != value:
                setattr(lead, name, value)
                columns.append(name)
                changed.append(FIELD_LABELS.get(name, name.replace("_", " ").capitalize()))
        if status_reason is not None and status_reason != lead.status_reason:
            lead.status_reason = status_reason
            columns.append("status_reason")
            changed.append("Status reason")
        if changed:
            # The changed columns only: the lead is locked, but a narrow update
            # keeps this edit from writing anything it did not mean to change.
            lead.refresh_keys(phone_region())
            lead.modified_at = utcnow()
            columns += [*LEAD_KEY_FIELDS, "modified_at"]
            Lead.update({getattr(Lead, name): getattr(lead, name) for name in columns}).where(
                Lead.id == lead_id
            ).execute()
            record(actor, "updated", lead, "Changed " + ", ".join(changed))
    return lead


@no_raw_errors
def disqualify_lead(actor: User, lead_id: int, reason: str) -> Lead:
    """Close a lead as disqualified. Refused when an opportunity came from it."""
    if reason not in DISQUALIFY_REASONS:
        labels = ", ".join(r.label for r in DISQUALIFY_REASONS)
        raise ValidationError({"reason": f"Choose a reason: {labels}."})
    db = Lead._meta.database
    with db.atomic():
        lead = locked_open_lead(lead_id, "disqualify")
        can(actor, "disqualify", lead).enforce()
        now = utcnow()
        Lead.update(
            state=LeadState.DISQUALIFIED,
            status_reason=reason,
            closed_by=actor,
            closed_at=now,
            modified_at=now,
        ).where(Lead.id == lead_id).execute()
        record(actor, "disqualified", lead, f"Disqualified: {StatusReason(reason).label}")
    return get_lead(lead_id)


@no_raw_errors
def reactivate_lead(actor: User, lead_id: int) -> Lead:
    """Reopen a closed lead: state open, status New, stage back to Qualify. Notes stay."""
    db = Lead._meta.database
    with db.atomic():
        lead = locked_lead(lead_id)
        can(actor, "reactivate", lead).enforce()
        was = lead.state
        Lead.update(
            state=LeadState.OPEN,
            status_reason=StatusReason.NEW,
            stage=Stage.QUALIFY,
            closed_by=None,
            closed_at=None,
            modified_at=utcnow(),
        ).where(Lead.id == lead_id).execute()
        record(actor, "reactivated", lead, f"Reactivated (was {was})")
    return get_lead(lead_id)


def can_delete(actor: User, lead: Lead) -> bool:
    """Whether `actor`'s role lets them delete `lead` (see `permissions.owns`)."""
    return bool(owns(actor, lead))


@no_raw_errors
def delete_lead(actor: User, lead_id: int) -> None:
    """Delete a lead with its notes and attachments.

    A salesperson may delete only leads they own; managers and administrators any.
    A lead an opportunity came from is kept, since the opportunity shows its notes
    (`DeleteRefused`, whatever the role).
    """
    db = Lead._meta.database
    with db.atomic():
        # Locked first: otherwise a qualification committed between the opportunity
        # check below and the DELETE would lose its lead and notes.
        lead = locked_lead(lead_id)
        can(actor, "delete", lead).enforce()
        notes = Note.delete().where(Note.lead == lead_id).execute()
        Lead.delete().where(Lead.id == lead_id).execute()
        record(
            actor,
            "deleted",
            lead,
            f"Deleted lead {lead.full_name} ({lead.topic}) with {notes} note(s)",
        )
