"""Merging duplicate leads, accounts and contacts, as Dynamics 365 does.

One record is the master: it keeps its id and takes, field by field, the value the
user picked (by default its own, or, where it is blank, the first other record's
value: Dynamics' merge never overwrites the master's data unasked). Everything
attached to the others moves to the master: notes and their attachments, the
history, and for accounts and contacts the contacts, opportunities and leads that
point at them. The others stay, closed and pointing at the master
(`merged_into`): a merged lead is disqualified with the status reason `merged`.
Their duplicate keys are cleared, so a merged record never matches again. All of
it is one transaction, audited on every record.

Refused with a sentence, before anything changes, where Dynamics refuses:
a record merged with itself; a record that is not active (a qualified or
disqualified lead: reactivate it first; an account or contact already merged);
an actor without write access to both records (`permissions`: a salesperson
merges only what they own into a record they may edit); two contacts of
different accounts while the parent check is on (Dynamics' `PerformParentingChecks`,
the merge dialog's "Enable parent check"; off, the master keeps the account
picked for it). Besides, in leadq, a lead an opportunity came from is not merged
into another (disqualifying it is refused too), and it is two to five leads,
exactly two accounts or contacts.

Another session at the same moment: a merge first locks the rows that point at
the records (leads, then opportunities, then contacts), then the records, in id
order, then, when the master contact takes the other's account, that account (a
share lock), and decides on
what it read under those locks; an edit, note, delete or other merge of the same
records waits or is refused after it (a merged record is read-only), and a
session linking a new record to one being merged waits for the merge and then
refuses (`locks.linkable`). See `models/locks.py` for the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import peewee

from .audit import record
from .db import database_proxy
from .entities import (
    LEAD_FORM_FIELDS,
    LEAD_KEY_FIELDS,
    Account,
    AuditEvent,
    Contact,
    Lead,
    Note,
    Opportunity,
    User,
    utcnow,
)
from .enums import LeadState, StatusReason
from .errors import MergeRefused, NotFound, ValidationError, no_raw_errors
from .locks import for_update, linkable
from .permissions import can, mergeable
from .settings import phone_region
from .validation import FIELD_LABELS, clean_lead_fields

ADDRESS = ("street1", "street2", "street3", "city", "state_province", "postal_code", "country")
ACCOUNT_FIELDS = ("name", "website", "phone", *ADDRESS, "owner")
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "phone",
    "mobile_phone",
    "email",
    "account",
    *ADDRESS,
    "owner",
)

LEAD_FIELDS = (*LEAD_FORM_FIELDS, "owner", "existing_account", "existing_contact")
MAX_LEADS = 5


@dataclass(frozen=True)
class MergeField:
    """One field of the records side by side (for the merge screen)."""

    name: str
    label: str
    values: tuple[tuple[int, Any], ...]  # (record id, value), master first
    differs: bool
    default: int  # the record whose value a merge keeps unless told otherwise
    texts: tuple[str, ...] = ()  # each value as a user reads it (a link by name)


_SPEC: dict[str, tuple[type[peewee.Model], tuple[str, ...], str]] = {
    "lead": (Lead, LEAD_FIELDS, "lead"),
    "account": (Account, ACCOUNT_FIELDS, "account"),
    "contact": (Contact, CONTACT_FIELDS, "contact"),
}


def _label(name: str) -> str:
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    return {"name": "Account name", "phone": "Phone", "owner": "Owner", "account": "Account"}.get(
        name, name.replace("_", " ").capitalize()
    )


def _value(record: peewee.Model, name: str) -> Any:
    field = record._meta.fields[name]
    if isinstance(field, peewee.ForeignKeyField):
        return getattr(record, field.name + "_id")
    return getattr(record, name)


def _text(record: peewee.Model, name: str) -> str:
    """The value as the merge screen shows it: a link by its record's name."""
    field = record._meta.fields[name]
    value = _value(record, name)
    if value is None:
        return ""
    if isinstance(field, peewee.ForeignKeyField):
        linked = field.rel_model.get_or_none(field.rel_model.id == value)
        if field.rel_model is User and linked is not None:
            return str(linked)  # a person by name; an account or contact with its number
        return f"#{value} {linked}" if linked is not None else f"#{value} (gone)"
    if value is True or value is False:
        return "yes" if value else "no"
    return str(value)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value is False


def _default_source(records: list[peewee.Model], name: str) -> int:
    """The master's value, unless blank: then the first other record's that is not."""
    for item in records:
        if not _blank(_value(item, name)):
            return item.id
    return records[0].id


def merge_fields(actor: User | None, kind: str, ids: list[int]) -> list[MergeField]:
    """The records' fields side by side, `ids[0]` the master.

    Said before a screen asks for anything: `MergeRefused` if a record is not
    active, and unless `actor` is None (no one's rights checked), the refusal the
    merge would give that user for want of rights (`PermissionDenied`). The
    parent check is the merge's own (see `parents_differ`)."""
    model, fields, _ = _SPEC[kind]
    _check_count(kind, ids)
    records = _load(model, ids, lock=False)
    _check_rules(actor, records)
    out = []
    for name in fields:
        values = tuple((r.id, _value(r, name)) for r in records)
        differs = len({repr(v) for _, v in values}) > 1
        texts = tuple(_text(r, name) for r in records)
        default = _default_source(records, name)
        out.append(MergeField(name, _label(name), values, differs, default, texts))
    return out


def parents_differ(kind: str, fields: list[MergeField]) -> bool:
    """Whether two contacts belong to different accounts (what the parent check
    refuses); accounts have no parent in leadq."""
    if kind != "contact":
        return False
    account = next(f for f in fields if f.name == "account")
    return len({v for _, v in account.values if v is not None}) > 1


def _check_count(kind: str, ids: list[int]) -> None:
    if kind == "lead":
        if not 2 <= len(ids) <= MAX_LEADS:
            raise MergeRefused(f"Merge two to {MAX_LEADS} leads at a time; {len(ids)} were chosen.")
    elif len(ids) != 2:
        raise MergeRefused(
            f"Merge two {kind}s at a time, as in Dynamics 365; {len(ids)} were chosen."
        )


def _load(model: type[peewee.Model], ids: list[int], lock: bool) -> list[peewee.Model]:
    """The records in the order of `ids`, each row locked on PostgreSQL (in id order,
    so two merges of the same records never deadlock)."""
    if len(set(ids)) != len(ids):
        raise MergeRefused("A record cannot be merged with itself: pick different records.")
    query = model.select().where(model.id.in_(ids)).order_by(model.id)
    found = {r.id: r for r in (for_update(query) if lock else query)}
    missing = [i for i in ids if i not in found]
    if missing:
        what = model.__name__.lower()
        raise NotFound(f"The {what} #{missing[0]} no longer exists; someone may have deleted it.")
    return [found[i] for i in ids]


def _check_rules(actor: User | None, records: list[peewee.Model]) -> None:
    """Only active records, and write access to both: the master is edited
    (`merge_into`), the others are merged away (`merge`), as Dynamics' Merge asks
    Write on both."""
    for item in records:
        mergeable(item).enforce()
    if actor is None:
        return
    can(actor, "merge_into", records[0]).enforce()
    for item in records[1:]:
        can(actor, "merge", item).enforce()


def _lock_referrers(kind: str, ids: list[int]) -> None:
    """Lock the rows that point at the records to merge before the records
    themselves (lead, opportunity, contact, account: `locks`' order), so a session
    that holds one of them and waits to link to a record this merge holds cannot
    deadlock with it. No-op on SQLite (one writer at a time)."""
    if kind == "lead":
        return
    if kind == "account":
        leads = (Lead.account.in_(ids)) | (Lead.existing_account.in_(ids))
        steps = [(Lead, leads), (Opportunity, Opportunity.account.in_(ids)),
                 (Contact, Contact.account.in_(ids))]  # fmt: skip
    else:
        leads = (Lead.contact.in_(ids)) | (Lead.existing_contact.in_(ids))
        steps = [(Lead, leads), (Opportunity, Opportunity.contact.in_(ids))]
    for model, where in steps:
        list(for_update(model.select(model.id).where(where).order_by(model.id)))


def _picked(
    records: list[peewee.Model], fields: tuple[str, ...], choices: dict[str, int] | None
) -> dict[str, Any]:
    """The master's new values: each field from the record chosen for it."""
    by_id = {r.id: r for r in records}
    choices = dict(choices or {})
    unknown = [name for name in choices if name not in fields]
    if unknown:
        raise ValidationError({unknown[0]: f"{unknown[0]!r} is not a field that merging sets."})
    values = {}
    for name in fields:
        source = choices.get(name, _default_source(records, name))
        if source not in by_id:
            raise ValidationError(
                {name: f"{_label(name)}: record #{source} is not one of those being merged."}
            )
        values[name] = _value(by_id[source], name)
    return values


def _changes(master: peewee.Model, values: dict[str, Any]) -> dict[str, Any]:
    return {n: v for n, v in values.items() if _value(master, n) != v}


def _check_changes(actor: User, master: peewee.Model, changes: dict[str, Any]) -> None:
    """What the master takes must hold as an edit would: an owner taken from another
    record is a reassignment, and a link goes to an active record (share-locked)."""
    if "owner" in changes:
        can(actor, "assign", master).enforce()
        owner = changes["owner"]
        if owner is not None and User.get_or_none((User.id == owner) & User.active) is None:
            raise ValidationError({"owner": "The owner must be an active leadq user."})
    for name, model in (("account", Account), ("existing_account", Account),
                        ("existing_contact", Contact)):  # fmt: skip
        if changes.get(name) is not None:
            linkable(model, changes[name], name)


def _apply(master: peewee.Model, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        field = master._meta.fields[name]
        if isinstance(field, peewee.ForeignKeyField):
            setattr(master, field.name + "_id", value)
        else:
            setattr(master, name, value)
    master.save(region=phone_region())


def _move_history(entity_type: str, master_id: int, other_ids: list[int]) -> None:
    AuditEvent.update(entity_id=master_id).where(
        (AuditEvent.entity_type == entity_type) & AuditEvent.entity_id.in_(other_ids)
    ).execute()


def _summary(kind: str, others: list[peewee.Model], changes: dict[str, Any], notes: int) -> str:
    names = ", ".join(f"#{o.id} {o}" for o in others)
    fields = ", ".join(_label(n) for n in changes) or "none"
    return (
        f"Merged {kind} {names} into this one; fields taken from them: {fields}; "
        f"{notes} note(s) moved"
    )


@no_raw_errors
def merge_leads(
    actor: User, master_id: int, other_ids: list[int], choices: dict[str, int] | None = None
) -> Lead:
    """Merge 1-4 other open leads into the master (see the module docstring).

    `choices` maps a field (`LEAD_FIELDS`) to the lead whose value the master takes.
    """
    ids = [master_id, *other_ids]
    _check_count("lead", ids)
    with database_proxy.obj.atomic():
        leads = _load(Lead, ids, lock=True)
        _check_rules(actor, leads)
        master, others = leads[0], leads[1:]
        changes = _changes(master, _picked(leads, LEAD_FIELDS, choices))
        if changes:
            form = {n: v for n, v in changes.items() if n in LEAD_FORM_FIELDS}
            clean_lead_fields(form, phone_region())
            _check_changes(actor, master, changes)
            _apply(master, changes)
        notes = Note.update(lead=master.id).where(Note.lead.in_(other_ids)).execute()
        _move_history("lead", master.id, other_ids)
        now = utcnow()
        Lead.update(
            {
                Lead.state: LeadState.DISQUALIFIED,
                Lead.status_reason: StatusReason.MERGED,
                Lead.merged_into: master.id,
                Lead.closed_by: actor.id,
                Lead.closed_at: now,
                Lead.modified_at: now,
                # The duplicate keys, not `name_sort` (what the name sort orders by).
                **{getattr(Lead, key): None for key in LEAD_KEY_FIELDS if key != "name_sort"},
            }
        ).where(Lead.id.in_(other_ids) & (Lead.state == LeadState.OPEN)).execute()
        for other in others:
            record(actor, "merged", other, f"Merged into lead #{master.id} {master.full_name}")
        record(actor, "merged", master, _summary("lead", others, changes, notes))
    return Lead.get_by_id(master.id)


def _check_parents(master: Contact, other: Contact) -> None:
    if None in (master.account_id, other.account_id) or master.account_id == other.account_id:
        return
    accounts = {a.id: a for a in Account.select().where(
        Account.id.in_([master.account_id, other.account_id]))}  # fmt: skip
    raise MergeRefused(
        f"These contacts belong to different accounts (#{master.id} {master} to "
        f"{accounts.get(master.account_id, '?')}, #{other.id} {other} to "
        f"{accounts.get(other.account_id, '?')}), and the parent check is on, as in "
        "Dynamics 365. Turn the parent check off to merge them anyway: the master keeps "
        "the account picked for it, and the other's opportunities and notes move to it."
    )


def _merge_pair(
    actor: User,
    kind: str,
    master_id: int,
    other_id: int,
    choices: dict[str, int] | None,
    parent_check: bool = False,
) -> peewee.Model:
    model, fields, entity_type = _SPEC[kind]
    ids = [master_id, other_id]
    if master_id == other_id:
        raise MergeRefused(f"A {kind} cannot be merged into itself: pick two different {kind}s.")
    with database_proxy.obj.atomic():
        _lock_referrers(kind, ids)
        master, other = _load(model, ids, lock=True)
        _check_rules(actor, [master, other])
        if parent_check:
            _check_parents(master, other)
        changes = _changes(master, _picked([master, other], fields, choices))
        if changes:
            _check_changes(actor, master, changes)
            _apply(master, changes)
        notes = _repoint(kind, master.id, other.id)
        _move_history(entity_type, master.id, [other.id])
        keys = [n for n in ("name_key", "domain_key", "phone_key", "email_key", "person_key")
                if n in model._meta.fields]  # fmt: skip
        model.update(
            {
                model.merged_into: master.id,
                model.modified_at: utcnow(),
                **{getattr(model, key): None for key in keys},
            }
        ).where(model.id == other.id).execute()
        record(actor, "merged", other, f"Merged into {kind} #{master.id} {master}")
        record(actor, "merged", master, _summary(kind, [other], changes, notes))
    return model.get_by_id(master.id)


def _repoint(kind: str, master_id: int, other_id: int) -> int:
    """Point what refers to the other record at the master; returns the notes moved."""
    if kind == "account":
        Contact.update(account=master_id).where(Contact.account == other_id).execute()
        Opportunity.update(account=master_id).where(Opportunity.account == other_id).execute()
        Lead.update(account=master_id).where(Lead.account == other_id).execute()
        Lead.update(existing_account=master_id).where(Lead.existing_account == other_id).execute()
        return Note.update(account=master_id).where(Note.account == other_id).execute()
    Opportunity.update(contact=master_id).where(Opportunity.contact == other_id).execute()
    Lead.update(contact=master_id).where(Lead.contact == other_id).execute()
    Lead.update(existing_contact=master_id).where(Lead.existing_contact == other_id).execute()
    return Note.update(contact=master_id).where(Note.contact == other_id).execute()


@no_raw_errors
def merge_accounts(
    actor: User, master_id: int, other_id: int, choices: dict[str, int] | None = None
) -> Account:
    """Merge one account into another: its contacts, opportunities, leads and notes
    move to the master (see the module docstring)."""
    return _merge_pair(actor, "account", master_id, other_id, choices)


@no_raw_errors
def merge_contacts(
    actor: User,
    master_id: int,
    other_id: int,
    choices: dict[str, int] | None = None,
    *,
    parent_check: bool = True,
) -> Contact:
    """Merge one contact into another: its opportunities, leads and notes move to
    the master (see the module docstring). With `parent_check` (the default),
    contacts of two different accounts are refused."""
    return _merge_pair(actor, "contact", master_id, other_id, choices, parent_check)
