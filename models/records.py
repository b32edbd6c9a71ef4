"""Creating, editing, deleting and reassigning accounts, contacts and opportunities,
reassigning leads, and bulk edits.

Every service that reads and then writes locks the row first (`locked`), decides
with `permissions.can` on what it read under the lock, and audits what it did.
Accounts and contacts are checked for duplicates on create by the same rules and
keys as qualifying (`DuplicatesFound` unless `ignore_duplicates`), serialised on
their keys so that two sessions creating the same company at once cannot both
miss each other.

Delete rules (Dynamics 365's relationship behaviours, one Restrict added):

- account: refused while it or one of its contacts is the customer of an open
  opportunity (Dynamics would cascade; leadq keeps open work). Otherwise its
  contacts are deleted with it (the parental `contact_customer_accounts`
  relationship: Cascade), its closed opportunities too
  (`opportunity_customer_accounts`: Cascade), with all their notes; leads that
  name it keep their history and lose the link (Remove Link).
- contact: refused while it is the customer contact of an open opportunity.
  Closed opportunities whose only customer it was are deleted with it
  (`opportunity_customer_contacts`: Cascade); those with an account keep the
  account and lose the contact (Remove Link). Its notes go with it.
- opportunity: deleted with its own notes; the lead it came from stays (its
  notes were only shown on the opportunity) and may then be deleted or
  disqualified.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import peewee

from . import locks, normalize
from .audit import record
from .db import database_proxy
from .duplicates import DuplicateMatches, DuplicatesFound, MatchedRecord, find_duplicates
from .entities import Account, Contact, Lead, Note, Opportunity, User, utcnow
from .enums import STATUS_REASONS, LeadSource, LeadState, OpportunityState, Rating, StatusReason
from .errors import LeadqError, NotFound, ValidationError, as_sentence, no_raw_errors
from .leads import create_lead, update_lead
from .locks import locked_record as locked  # the record or NotFound
from .permissions import can
from .settings import load_settings
from .validation import FIELD_LABELS, RECORD_FIELDS, clean_lead_fields, clean_record_fields

MODELS: dict[str, type] = {
    "lead": Lead,
    "account": Account,
    "contact": Contact,
    "opportunity": Opportunity,
}


def get_record(kind: str, record_id: int) -> Any:
    model = MODELS[kind]
    found = model.get_or_none(model.id == record_id)
    if found is None:
        raise NotFound(f"This {kind} no longer exists; someone may have deleted it.")
    return found


def lock_duplicate_keys(kind: str, keys: dict[str, str | None]) -> None:
    """Serialise creators of records with the same normalised keys, named as
    qualifying names them (`account.name_key=contoso`), so a create and a
    qualification of the same company wait for each other (`locks.lock_keys`)."""
    locks.lock_keys(f"{kind}.{name}={value}" for name, value in sorted(keys.items()) if value)


def _owner_id(value: Any, default: User) -> int:
    if value is None:
        return default.id
    owner_id = getattr(value, "id", value)
    owner = User.get_or_none((User.id == owner_id) & (User.active == True))  # noqa: E712
    if owner is None:
        raise ValidationError({"owner": "The owner must be an active leadq user."})
    return owner.id


def _check_links(values: dict[str, Any]) -> None:
    """Links to accounts and contacts must point at active records that exist; they
    are held (share-locked) until the transaction ends (`locks.linkable`)."""
    for name, model in (("contact", Contact), ("account", Account)):  # lock order
        record_id = values.get(name)
        if record_id is not None:
            locks.linkable(model, record_id, name)


def _changed_labels(kind: str, names: Iterable[str]) -> str:
    spec = RECORD_FIELDS[kind]
    return ", ".join(spec[name][0] for name in names)


# --- duplicates on create ------------------------------------------------------------


def _probe(kind: str, values: dict[str, Any]) -> Lead:
    """An unsaved lead carrying the values whose keys the duplicate rules compare,
    so accounts and contacts are matched by exactly the rules qualifying uses."""
    if kind == "account":
        probe = Lead(
            company=values.get("name", ""),
            website=values.get("website", ""),
            business_phone=values.get("phone", ""),
        )
    else:
        probe = Lead(
            first_name=values.get("first_name", ""),
            last_name=values.get("last_name", ""),
            email=values.get("email", ""),
            business_phone=values.get("phone", ""),
        )
    probe.refresh_keys(load_settings().phone_region)
    return probe


def record_duplicates(kind: str, values: dict[str, Any]) -> DuplicateMatches:
    """Existing accounts (or contacts) the new one may duplicate."""
    probe = _probe(kind, values)
    return find_duplicates(
        probe, accounts=kind == "account", contacts=kind == "contact", leads=False
    )


def new_lead_duplicates(values: dict[str, Any]) -> DuplicateMatches:
    """What a new lead may duplicate, as Dynamics checks on create: open leads with
    the same email, and the accounts and contacts the duplicate rules match."""
    probe = Lead(**{k: v for k, v in values.items() if k in Lead._meta.fields})
    probe.refresh_keys(load_settings().phone_region)
    found = find_duplicates(probe)
    open_ids = {
        row[0]
        for row in Lead.select(Lead.id)
        .where(Lead.id.in_([m.id for m in found.leads]) & (Lead.state == LeadState.OPEN))
        .tuples()
    }
    leads = [m for m in found.leads if m.id in open_ids]
    return DuplicateMatches(accounts=found.accounts, contacts=found.contacts, leads=leads)


class LeadDuplicatesFound(DuplicatesFound):
    """A new lead may already exist (as a lead, an account or a contact)."""

    def __init__(self, matches: DuplicateMatches) -> None:
        LeadqError.__init__(
            self,
            "This lead may already exist: "
            + "; ".join(
                f"{len(found)} matching {label}"
                for label, found in (
                    ("lead(s)", matches.leads),
                    ("account(s)", matches.accounts),
                    ("contact(s)", matches.contacts),
                )
                if found
            )
            + ". Open one of them, or Ignore and save.",
        )
        self.matches = matches


@no_raw_errors
def create_lead_checked(actor: User, *, ignore_duplicates: bool = False, **values: Any) -> Lead:
    """Create a lead as the new-lead form does: duplicates (open leads with the same
    email, matching accounts and contacts) raise `LeadDuplicatesFound` unless
    `ignore_duplicates`; the default qualifying process is assigned (`create_lead`)."""
    fields = {k: v for k, v in values.items() if k in FIELD_LABELS}
    required = {"topic": values.get("topic", ""), "last_name": values.get("last_name", "")}
    clean_lead_fields({**fields, **required}, load_settings().phone_region)
    with database_proxy.obj.atomic():
        if not ignore_duplicates:
            probe = _probe_keys_of_lead(values)
            lock_duplicate_keys("lead", {"email_key": probe.email_key})
            matches = new_lead_duplicates(values)
            if matches.leads or matches.accounts or matches.contacts:
                raise LeadDuplicatesFound(matches)
        return create_lead(actor, **values)


def _probe_keys_of_lead(values: dict[str, Any]) -> Lead:
    probe = Lead(**{k: v for k, v in values.items() if k in Lead._meta.fields})
    probe.refresh_keys(load_settings().phone_region)
    return probe


# --- accounts and contacts -------------------------------------------------------------


def _create_customer(
    kind: str, actor: User, values: dict[str, Any], ignore_duplicates: bool
) -> Any:
    model = MODELS[kind]
    values = dict(values)
    owner = values.pop("owner", None)
    required = [name for name, (_, sort) in RECORD_FIELDS[kind].items() if sort == "required"]
    for name in required:
        values.setdefault(name, "")
    settings = load_settings()
    clean = clean_record_fields(kind, values, settings.phone_region)
    with database_proxy.obj.atomic():
        owner_id = _owner_id(owner, actor)
        _check_links(clean)
        created = model(**clean, owner=owner_id)
        created.refresh_keys(settings.phone_region)
        key_names = ("name_key", "domain_key", "phone_key") if kind == "account" else (
            "email_key", "phone_key", "person_key")  # fmt: skip
        lock_duplicate_keys(kind, {name: getattr(created, name) for name in key_names})
        if not ignore_duplicates:
            matches = record_duplicates(kind, clean)
            if matches:
                raise DuplicatesFound(matches)
        created.save(force_insert=True, region=settings.phone_region)
        record(actor, "created", created, f"Created {kind} {created}")
    return created


@no_raw_errors
def create_account(actor: User, *, ignore_duplicates: bool = False, **values: Any) -> Account:
    """Create an account owned by `actor` (or `owner=`). Possible duplicates raise
    `DuplicatesFound` unless `ignore_duplicates`."""
    return _create_customer("account", actor, values, ignore_duplicates)


@no_raw_errors
def create_contact(actor: User, *, ignore_duplicates: bool = False, **values: Any) -> Contact:
    """Create a contact (its `account=` picked with the lookup) owned by `actor`."""
    return _create_customer("contact", actor, values, ignore_duplicates)


def _update(kind: str, record_id: int, actor: User, values: dict[str, Any]) -> Any:
    model = MODELS[kind]
    settings = load_settings()
    clean = clean_record_fields(kind, dict(values), settings.phone_region)
    with database_proxy.obj.atomic():
        current = locked(model, record_id)
        can(actor, "edit", current).enforce()
        _check_links(clean)
        changed = [name for name, value in clean.items() if _value(current, name) != value]
        if not changed:
            return current
        for name in changed:
            setattr(current, name, clean[name])
        if kind == "opportunity":
            current.name_sort = normalize.sort_key(current.topic)
            current.modified_at = utcnow()
            current.save()
        else:
            current.save(region=settings.phone_region)  # keys recomputed (RecordWithKeys)
        record(actor, "updated", current, "Changed " + _changed_labels(kind, changed))
    return current


def _value(current: Any, name: str) -> Any:
    if name in ("account", "contact"):
        return getattr(current, f"{name}_id")
    return getattr(current, name)


@no_raw_errors
def update_account(actor: User, account_id: int, values: dict[str, Any]) -> Account:
    """Change fields of an account; its duplicate keys are recomputed."""
    return _update("account", account_id, actor, values)


@no_raw_errors
def update_contact(actor: User, contact_id: int, values: dict[str, Any]) -> Contact:
    """Change fields of a contact (its account too); its duplicate keys are recomputed."""
    return _update("contact", contact_id, actor, values)


@dataclass(frozen=True)
class DeleteImpact:
    """What deleting a record takes with it (for the confirmation)."""

    contacts: int = 0
    opportunities: int = 0
    notes: int = 0

    def sentence(self) -> str:
        parts = [
            f"{count} {label}{'s' if count != 1 else ''}"
            for count, label in (
                (self.contacts, "contact"),
                (self.opportunities, "closed opportunity"),
                (self.notes, "note"),
            )
            if count
        ]
        return ("With it: " + ", ".join(parts) + ".") if parts else ""


def _cascade(kind: str, record_id: int) -> tuple[list[int], list[int]]:
    """(contact ids, opportunity ids) deleted with an account or a contact."""
    if kind == "account":
        contacts = [c for (c,) in Contact.select(Contact.id).where(
            Contact.account == record_id).tuples()]  # fmt: skip
        opportunities = [o for (o,) in Opportunity.select(Opportunity.id).where(
            Opportunity.account == record_id).tuples()]  # fmt: skip
        return contacts, opportunities
    opportunities = [o for (o,) in Opportunity.select(Opportunity.id).where(
        (Opportunity.contact == record_id) & Opportunity.account.is_null()).tuples()]  # fmt: skip
    return [], opportunities


def delete_impact(kind: str, record_id: int) -> DeleteImpact:
    if kind not in ("account", "contact"):
        column = {"opportunity": Note.opportunity, "lead": Note.lead}[kind]
        return DeleteImpact(notes=Note.select().where(column == record_id).count())
    contacts, opportunities = _cascade(kind, record_id)
    owner_column = Note.account if kind == "account" else Note.contact
    notes = Note.select().where(
        (owner_column == record_id)
        | Note.contact.in_(contacts or [0])
        | Note.opportunity.in_(opportunities or [0])
    )
    return DeleteImpact(len(contacts), len(opportunities), notes.count())


def _delete_customer(kind: str, record_id: int, actor: User) -> None:
    model = MODELS[kind]
    with database_proxy.obj.atomic():
        current = locked(model, record_id)
        can(actor, "delete", current).enforce()
        contacts, opportunities = _cascade(kind, record_id)
        impact = delete_impact(kind, record_id)
        if opportunities:
            Opportunity.delete().where(Opportunity.id.in_(opportunities)).execute()
        if contacts:
            Contact.delete().where(Contact.id.in_(contacts)).execute()
        model.delete().where(model.id == record_id).execute()
        tail = f" {impact.sentence()}" if impact.sentence() else ""
        record(actor, "deleted", current, f"Deleted {kind} {current}.{tail}")


@no_raw_errors
def delete_account(actor: User, account_id: int) -> None:
    """Delete an account (see the module docstring for what goes with it)."""
    _delete_customer("account", account_id, actor)


@no_raw_errors
def delete_contact(actor: User, contact_id: int) -> None:
    """Delete a contact (see the module docstring for what goes with it)."""
    _delete_customer("contact", contact_id, actor)


# --- opportunities ----------------------------------------------------------------------


@no_raw_errors
def create_opportunity(actor: User, **values: Any) -> Opportunity:
    """Create an open opportunity in Develop, owned by `actor` (or `owner=`)."""
    values = dict(values)
    owner = values.pop("owner", None)
    values.setdefault("topic", "")
    clean = clean_record_fields("opportunity", values, load_settings().phone_region)
    with database_proxy.obj.atomic():
        owner_id = _owner_id(owner, actor)
        _check_links(clean)
        created = Opportunity.create(
            **clean, owner=owner_id, name_sort=normalize.sort_key(clean["topic"])
        )
        record(actor, "created", created, f"Created opportunity {created.topic}")
    return created


@no_raw_errors
def update_opportunity(actor: User, opportunity_id: int, values: dict[str, Any]) -> Opportunity:
    """Change fields of an open opportunity (a won or lost one is read-only)."""
    return _update("opportunity", opportunity_id, actor, values)


@no_raw_errors
def delete_opportunity(actor: User, opportunity_id: int) -> None:
    with database_proxy.obj.atomic():
        current = locked(Opportunity, opportunity_id)
        can(actor, "delete", current).enforce()
        notes = Note.delete().where(Note.opportunity == opportunity_id).execute()
        Opportunity.delete().where(Opportunity.id == opportunity_id).execute()
        record(actor, "deleted", current, f"Deleted opportunity {current.topic} ({notes} note(s))")


# --- owners and bulk edits -----------------------------------------------------------------


@dataclass(frozen=True)
class RecordOutcome:
    """What happened to one record of a bulk change."""

    kind: str
    id: int
    name: str
    done: bool
    message: str


def _each(
    kind: str, ids: Iterable[int], change: Any, what: str = "save the change"
) -> list[RecordOutcome]:
    """Run `change(record_id) -> (name, message)` on each id in its own
    transaction; a refusal stops only its own record."""
    outcomes = []
    for record_id in dict.fromkeys(ids):
        try:
            name, message = change(record_id)
        except LeadqError as error:
            found = MODELS[kind].get_or_none(MODELS[kind].id == record_id)
            outcomes.append(RecordOutcome(kind, record_id, str(found or f"#{record_id}"), False,
                                          error.message))  # fmt: skip
        except peewee.PeeweeException as error:  # a sentence; the driver's text is logged
            outcomes.append(RecordOutcome(kind, record_id, f"#{record_id}", False,
                                          as_sentence(error, what).message))  # fmt: skip
        else:
            outcomes.append(RecordOutcome(kind, record_id, name, True, message))
    return outcomes


@no_raw_errors
def assign_owner(
    actor: User, kind: str, record_ids: Iterable[int], owner_id: int
) -> list[RecordOutcome]:
    """Give leads, accounts, contacts or opportunities to another user, one or many;
    each change is audited on its record. A salesperson reassigns only what they
    own; managers and administrators anything."""
    if kind not in MODELS:
        raise ValidationError({"kind": f"Records are leads, accounts, contacts or opportunities, "
                                       f"not {kind!r}."})  # fmt: skip
    owner = User.get_or_none((User.id == owner_id) & (User.active == True))  # noqa: E712
    if owner is None:
        raise ValidationError({"owner": "Pick an active leadq user as the new owner."})
    model = MODELS[kind]

    def change(record_id: int) -> tuple[str, str]:
        with database_proxy.obj.atomic():
            current = locked(model, record_id)
            can(actor, "assign", current).enforce()
            if current.owner_id == owner.id:
                return str(current), f"Already owned by {owner}"
            old = User.get_or_none(User.id == current.owner_id) if current.owner_id else None
            model.update(owner=owner.id, modified_at=utcnow()).where(
                model.id == record_id
            ).execute()
            record(actor, "assigned", current, f"Owner {old or 'nobody'} -> {owner}")
            return str(current), f"Assigned to {owner}"

    return _each(kind, record_ids, change, "reassign it")


BULK_LEAD_FIELDS = ("rating", "lead_source", "status_reason")


@no_raw_errors
def bulk_update_leads(
    actor: User, lead_ids: Iterable[int], values: dict[str, Any]
) -> list[RecordOutcome]:
    """Set rating, lead source and/or status reason on several open leads, each
    through `update_lead` (its rules and audit); closed leads are refused one by one."""
    unknown = set(values) - set(BULK_LEAD_FIELDS)
    if unknown or not values:
        raise ValidationError({"fields": "Bulk edit changes rating, lead source or status reason."})
    errors = {}
    if "rating" in values and values["rating"] not in {r.value for r in Rating}:
        errors["rating"] = "Rating must be hot, warm or cold."
    if values.get("lead_source") not in {None, *(s.value for s in LeadSource)}:
        errors["lead_source"] = "Pick a lead source from the list."
    open_reasons = {r.value for r in STATUS_REASONS[LeadState.OPEN]}
    if "status_reason" in values and values["status_reason"] not in open_reasons:
        errors["status_reason"] = "An open lead's status reason is New or Contacted."
    if errors:
        raise ValidationError(errors)
    labels = []
    for name, value in values.items():
        shown = {"rating": Rating, "lead_source": LeadSource, "status_reason": StatusReason}[name]
        labels.append(shown(value).label if value else "none")

    def change(lead_id: int) -> tuple[str, str]:
        lead = update_lead(actor, lead_id, dict(values))
        return lead.full_name, "Set " + ", ".join(labels)

    return _each("lead", lead_ids, change, "change it")


# --- re-qualifying -------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviousRecords:
    """What an earlier qualification of a (reactivated) lead produced."""

    account: MatchedRecord | None = None
    contact: MatchedRecord | None = None
    opportunity: MatchedRecord | None = None

    def __bool__(self) -> bool:
        return any((self.account, self.contact, self.opportunity))


def previous_records(lead_id: int) -> PreviousRecords:
    """The account, contact and opportunity a lead produced when it was qualified
    before (kept on the lead when it is reactivated), for the qualify dialog to offer
    instead of making a second set."""
    lead = Lead.get_or_none(Lead.id == lead_id)
    if lead is None:
        raise NotFound("This lead no longer exists; someone may have deleted it.")
    account = contact = opportunity = None
    if lead.account_id is not None:
        found = Account.get_or_none(Account.id == lead.account_id)
        if found is not None:
            account = MatchedRecord("account", found.id, found.name, (found.website,), ())
    if lead.contact_id is not None:
        found = Contact.get_or_none(Contact.id == lead.contact_id)
        if found is not None:
            contact = MatchedRecord("contact", found.id, found.full_name, (found.email,), ())
    opp = lead.opportunity()
    if opp is not None:
        state = OpportunityState(opp.state).label
        opportunity = MatchedRecord("opportunity", opp.id, opp.topic, (state,), ())
    return PreviousRecords(account, contact, opportunity)
