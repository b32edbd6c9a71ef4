"""What a user can do to a record, and if not, why: one answer for the services
and for the screens.

`can(user, action, record)` returns a `Decision`. The services call it on the
record they have just read under its lock and `enforce()` it, so a refusal a
screen shows before any dialog (dimmed in the footer, said when pressed) is the
very refusal the service would raise: the rules live here once.

Who may do what, as in Dynamics 365 Sales' Salesperson and Sales Manager roles:

- A salesperson edits, closes, reopens, reassigns and deletes the accounts,
  contacts and opportunities they own (or that nobody owns); sales managers and
  system administrators any. Leads stay the team's queue: anyone works an open
  lead (edit, qualify, disqualify, reactivate, notes), but only its owner, a
  manager or an administrator deletes or reassigns it.
- Closed records are read-only: a qualified or disqualified lead until
  reactivated, a won or lost opportunity until reopened.
- Deleting follows Dynamics' relationship behaviours, with one Restrict where
  leadq keeps work from being lost (see `models.records.delete_account`): an
  account or contact that is the customer of an open opportunity cannot be
  deleted; a lead an opportunity came from cannot be deleted (the opportunity
  shows its notes).
- Merging (`merge`, asked of the record merged away; `merge_into` of the master)
  needs write access to both records, as Dynamics' Merge does: the owner, a
  manager or an administrator. Only active records merge: an open lead, an
  account or contact not merged already. A merged account or contact is read-only
  (no edit, reassign or note; deleting it is allowed, as of any inactive record).
"""

from __future__ import annotations

from typing import Any

from .entities import KINDS, Account, Contact, Lead, Opportunity, User
from .enums import LeadState, OpportunityState, Role
from .errors import (
    DeleteRefused,
    DisqualifyRefused,
    ExitCriteriaNotMet,
    LeadClosed,
    MergeRefused,
    OpportunityClosed,
    PermissionDenied,
    RecordMerged,
    ValidationError,
    closed_message,
)
from .processes.errors import FeatureOff
from .processes.reading import feature_enabled, lead_process, open_required_activities
from .roles import ALLOWED, Decision, refuse

ACTIONS: dict[type, tuple[str, ...]] = {
    Lead: (
        "edit",
        "qualify",
        "disqualify",
        "reactivate",
        "delete",
        "assign",
        "add_note",
        "assign_process",
        "remove_process",
    ),
    Account: ("edit", "delete", "assign", "add_note"),
    Contact: ("edit", "delete", "assign", "add_note"),
    Opportunity: (
        "edit",
        "move_stage",
        "close_won",
        "close_lost",
        "reopen",
        "delete",
        "assign",
        "add_note",
    ),
}


def manages_all(user: User) -> bool:
    """Sales managers and system administrators act on every record."""
    return user.role in (Role.SALES_MANAGER, Role.SYSTEM_ADMINISTRATOR)


def owns(user: User, record: Any) -> Decision:
    """The ownership rule: the owner (or anyone, for an unowned record), a sales
    manager or a system administrator."""
    if manages_all(user) or record.owner_id in (None, user.id):
        return ALLOWED
    kind = KINDS[type(record)]
    owner = User.get_or_none(User.id == record.owner_id)
    return refuse(
        PermissionDenied(
            f"Only the owner, a sales manager or an administrator can do this; "
            f"this {kind} belongs to {owner or 'another user'}."
        )
    )


def not_merged(record: Account | Contact) -> Decision:
    """A merged account or contact is read-only: say which record it went into."""
    master_id = record.merged_into_id
    if master_id is None:
        return ALLOWED
    model = type(record)
    master = model.get_or_none(model.id == master_id)
    name = f" {master}" if master is not None else ""
    kind = KINDS[model]
    return refuse(
        RecordMerged(
            f"This {kind} was merged into #{master_id}{name}; it is read-only: work on that one."
        )
    )


def _owns_to_merge(user: User, record: Any, into: bool = False) -> Decision:
    if manages_all(user) or record.owner_id in (None, user.id):
        return ALLOWED
    kind = KINDS[type(record)]
    owner = User.get_or_none(User.id == record.owner_id)
    what = f"merge into the {kind} #{record.id}" if into else (
        f"merge the {kind} #{record.id} into another")  # fmt: skip
    return refuse(
        PermissionDenied(
            f"Only its owner, a sales manager or an administrator can {what}: "
            f"it belongs to {owner or 'someone else'}."
        )
    )


def mergeable(record: Lead | Account | Contact) -> Decision:
    """Only active records merge, as in Dynamics 365 (master or merged away)."""
    if isinstance(record, Lead):
        if record.state == LeadState.OPEN:
            return ALLOWED
        return refuse(
            MergeRefused(
                f"Lead #{record.id} {record.full_name} cannot be merged: only open leads can "
                f"be, as in Dynamics 365. {closed_message(record, 'merge')}"
            )
        )
    if record.merged_into_id is None:
        return ALLOWED
    kind = KINDS[type(record)]
    return refuse(
        MergeRefused(
            f"The {kind} #{record.id} {record} was already merged into #{record.merged_into_id}; "
            "only active records can be merged, as in Dynamics 365."
        )
    )


def _merge_rules(user: User, record: Lead | Account | Contact) -> Decision:
    """May `record` be merged into another one (closed or deactivated by it)?"""
    checks = [lambda: mergeable(record), lambda: _owns_to_merge(user, record)]
    if isinstance(record, Lead):
        checks.append(lambda: _no_opportunity_for_merge(record))
    return _first(*checks)


def _no_opportunity_for_merge(lead: Lead) -> Decision:
    if lead.opportunity() is None:
        return ALLOWED
    return refuse(
        MergeRefused(
            f"Lead #{lead.id} cannot be merged into another: an opportunity came from it. "
            "Make it the master instead."
        )
    )


def lead_open(lead: Lead, verb: str = "change") -> Decision:
    if lead.state == LeadState.OPEN:
        return ALLOWED
    return refuse(LeadClosed(closed_message(lead, verb)))


def opportunity_open(opportunity: Opportunity, verb: str = "change") -> Decision:
    if opportunity.state == OpportunityState.OPEN:
        return ALLOWED
    return refuse(OpportunityClosed(opportunity_closed_message(opportunity, verb)))


def opportunity_closed_message(opportunity: Opportunity, verb: str = "change") -> str:
    who = ""
    if opportunity.closed_by_id is not None:
        closer = User.get_or_none(User.id == opportunity.closed_by_id)
        who = f" by {closer}" if closer is not None else ""
    when = f" on {opportunity.actual_close_date:%Y-%m-%d}" if opportunity.actual_close_date else ""
    state = "won" if opportunity.state == OpportunityState.WON else "lost"
    return f"This opportunity was {state}{who}{when}; reopen it to {verb} it."


def exit_criteria(lead: Lead, feature_on: bool | None = None) -> Decision:
    """Qualifying waits for the required activities of the lead's qualifying
    process, while that feature is on (`feature_on`: the setting, if already read)."""
    if not (feature_enabled() if feature_on is None else feature_on):
        return ALLOWED
    names = open_required_activities(lead)
    if not names:
        return ALLOWED
    return refuse(
        ExitCriteriaNotMet("Required activities are still open: " + ", ".join(names) + ".", names)
    )


def no_opportunity_for_disqualify(lead: Lead) -> Decision:
    opportunity = lead.opportunity()
    if opportunity is None:
        return ALLOWED
    return refuse(
        DisqualifyRefused(
            f"This lead cannot be disqualified: the opportunity "
            f"'{opportunity.topic}' is associated with it."
        )
    )


def lead_deletable(lead: Lead) -> Decision:
    opportunity = lead.opportunity()
    if opportunity is None:
        return ALLOWED
    return refuse(
        DeleteRefused(
            f"This lead cannot be deleted: the opportunity '{opportunity.topic}' came "
            "from it and shows its notes. Delete the opportunity first."
        )
    )


def _open_opportunities(where: Any) -> list[Opportunity]:
    return list(
        Opportunity.select(Opportunity.id, Opportunity.topic)
        .where(where & (Opportunity.state == OpportunityState.OPEN))
        .order_by(Opportunity.id)
        .limit(3)
    )


def _named(opportunities: list[Opportunity]) -> str:
    names = ", ".join(f"'{o.topic}'" for o in opportunities[:2])
    return names + (" and more" if len(opportunities) > 2 else "")


def account_deletable(account: Account) -> Decision:
    contacts = Contact.select(Contact.id).where(Contact.account == account.id)
    found = _open_opportunities(
        (Opportunity.account == account.id) | Opportunity.contact.in_(contacts)
    )
    if not found:
        return ALLOWED
    return refuse(
        DeleteRefused(
            f"This account cannot be deleted: it or its contacts are the customer of open "
            f"opportunities ({_named(found)}). Close or reassign them first."
        )
    )


def contact_deletable(contact: Contact) -> Decision:
    found = _open_opportunities(Opportunity.contact == contact.id)
    if not found:
        return ALLOWED
    return refuse(
        DeleteRefused(
            f"This contact cannot be deleted: it is the customer of open opportunities "
            f"({_named(found)}). Close them or change their contact first."
        )
    )


def _process_assigned(lead: Lead) -> Decision:
    if lead_process(lead) is not None:
        return ALLOWED
    return refuse(ValidationError({"process": "No qualifying process is assigned to this lead."}))


def _feature_on() -> Decision:
    if feature_enabled():
        return ALLOWED
    return refuse(
        FeatureOff(
            "The lead qualifying process feature is off; an administrator can turn it on "
            "in Settings."
        )
    )


def _first(*checks: Any) -> Decision:
    """The first refusal of `checks` (callables, run in order until one refuses)."""
    for check in checks:
        decision = check()
        if not decision:
            return decision
    return ALLOWED


def _lead_rules(user: User, action: str, lead: Lead) -> Decision:
    if action == "merge":
        return _merge_rules(user, lead)
    if action == "merge_into":  # anyone works an open lead
        return mergeable(lead)
    if action == "edit":
        return lead_open(lead)
    if action == "qualify":
        return _first(lambda: lead_open(lead, "qualify"), lambda: exit_criteria(lead))
    if action == "disqualify":
        return _first(
            lambda: lead_open(lead, "disqualify"), lambda: no_opportunity_for_disqualify(lead)
        )
    if action == "reactivate":
        if lead.state == LeadState.OPEN:
            return refuse(ValidationError({"state": "This lead is already open."}))
        return ALLOWED
    if action == "delete":
        return _first(lambda: owns(user, lead), lambda: lead_deletable(lead))
    if action == "assign":
        return owns(user, lead)
    if action == "add_note":
        return lead_open(lead, "add notes to")
    if action == "assign_process":
        return _first(_feature_on, lambda: lead_open(lead, "assign a process to"))
    if action == "remove_process":
        return _first(
            _feature_on,
            lambda: lead_open(lead, "remove the process of"),
            lambda: _process_assigned(lead),
        )
    raise ValueError(f"Unknown lead action {action!r}")


def _customer_rules(user: User, action: str, record: Account | Contact) -> Decision:
    if action in ("edit", "assign"):
        return _first(lambda: not_merged(record), lambda: owns(user, record))
    if action == "delete":
        deletable = account_deletable if isinstance(record, Account) else contact_deletable
        return _first(lambda: owns(user, record), lambda: deletable(record))
    if action == "add_note":
        return not_merged(record)
    if action == "merge":
        return _merge_rules(user, record)
    if action == "merge_into":  # the master of a merge: edited with the other's values
        return _first(lambda: mergeable(record), lambda: _owns_to_merge(user, record, True))
    raise ValueError(f"Unknown {KINDS[type(record)]} action {action!r}")


def _opportunity_rules(user: User, action: str, opportunity: Opportunity) -> Decision:
    if action in ("edit", "move_stage"):
        return _first(lambda: owns(user, opportunity), lambda: opportunity_open(opportunity))
    if action in ("close_won", "close_lost"):
        return _first(
            lambda: owns(user, opportunity), lambda: opportunity_open(opportunity, "close")
        )
    if action == "reopen":
        if opportunity.state == OpportunityState.OPEN:
            return refuse(ValidationError({"state": "This opportunity is already open."}))
        return owns(user, opportunity)
    if action in ("delete", "assign"):
        return owns(user, opportunity)
    if action == "add_note":
        return ALLOWED
    raise ValueError(f"Unknown opportunity action {action!r}")


def can(user: User, action: str, record: Lead | Account | Contact | Opportunity) -> Decision:
    """Whether `user` may do `action` (one of `ACTIONS[type(record)]`, or `merge` /
    `merge_into` for a lead, account or contact) to `record`, and if not, why. `record` is as
    read now (under its lock, in a service)."""
    if isinstance(record, Lead):
        return _lead_rules(user, action, record)
    if isinstance(record, Account | Contact):
        return _customer_rules(user, action, record)
    if isinstance(record, Opportunity):
        return _opportunity_rules(user, action, record)
    raise TypeError(f"No rules for {type(record).__name__}")


def decisions(user: User, record: Lead | Account | Contact | Opportunity) -> dict[str, Decision]:
    """Every action of the record's kind with its decision (for a screen's footer
    and palette, read once with the record)."""
    return {action: can(user, action, record) for action in ACTIONS[type(record)]}
