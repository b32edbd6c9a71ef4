"""Qualifying leads into accounts, contacts and opportunities.

`qualify_lead` is one transaction: the guard update that closes the lead, the
records it creates or links, and the audit event all commit together or not at
all. The lead is read under its row lock (locks.py), so the loser of a race
between two sessions waits, then fails cleanly with `LeadClosed`, and the records
are built from the lead as it is when it closes. The duplicate keys of the
records to create are locked before the duplicate check, so two sessions
qualifying leads of one company cannot both miss the other's account.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import peewee

from . import normalize, prepared
from .audit import record
from .db import database_proxy
from .duplicates import (
    ACCOUNT_RULES,
    CONTACT_RULES,
    DuplicateMatches,
    DuplicatesFound,
    find_duplicates,
)
from .entities import LEAD_KEY_FIELDS, Account, Contact, Lead, Opportunity, User, utcnow
from .enums import LeadState, OpportunityState, OpportunityStatus, Stage, StatusReason
from .errors import (
    ExitCriteriaNotMet,
    LeadClosed,
    LeadqError,
    NotFound,
    QualifyRefused,
    ValidationError,
    as_sentence,
    closed_message,
    no_raw_errors,
)
from .locks import linkable, lock_keys
from .mapping import ACCOUNT_MAPPING, CONTACT_MAPPING, OPPORTUNITY_MAPPING
from .permissions import exit_criteria
from .prepared import Slot
from .settings import OrgSettings, load_settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QualifyChoice:
    """What the rep asked for.

    The create flags count only when auto-create is off. `link_account_id` /
    `link_contact_id` link a record picked from the duplicate matches;
    `ignore_duplicates` creates new records although matches exist.
    """

    create_account: bool = True
    create_contact: bool = True
    create_opportunity: bool = True
    link_account_id: int | None = None
    link_contact_id: int | None = None
    ignore_duplicates: bool = False
    reuse_opportunity_id: int | None = None
    """Re-qualifying a reactivated lead: the opportunity it produced before, linked
    again (reopened if it was closed) instead of a new one (see
    `models.records.previous_records`)."""


_CREATE_ALL = QualifyChoice()


@dataclass(frozen=True)
class QualifyResult:
    lead_id: int
    account: Account | None = None
    account_created: bool = False
    contact: Contact | None = None
    contact_created: bool = False
    opportunity: Opportunity | None = None
    lead_name: str = ""  # the lead's full name as qualifying read it
    opportunity_reused: bool = False

    def lines(self) -> list[str]:
        """What happened, one line per record, for the user to read."""
        out = []
        if self.account is not None:
            verb = "Created" if self.account_created else "Linked"
            out.append(f"{verb} account {self.account.name}")
        if self.contact is not None:
            verb = "Created" if self.contact_created else "Linked"
            out.append(f"{verb} contact {self.contact.full_name}")
        if self.opportunity is not None:
            verb = "Linked" if self.opportunity_reused else "Created"
            out.append(f"{verb} opportunity {self.opportunity.topic}")
        return out or ["Qualified without creating or linking any record"]


# The mapping copies to the account and contact the very lead fields its duplicate
# keys are made from, so the new records' keys are the lead's stored keys (see
# `_new_record_keys`). If the mapping ever changes, this must be revisited.
assert {("company", "name"), ("website", "website"), ("business_phone", "phone")} <= set(
    ACCOUNT_MAPPING
)
assert {
    ("email", "email"),
    ("business_phone", "phone"),
    ("first_name", "first_name"),
    ("last_name", "last_name"),
} <= set(CONTACT_MAPPING)

# The lead's columns qualifying reads: what the rules look at, what the mapping
# copies and the duplicate keys. The lead it reads is for those fields only.
_LEAD_READER = prepared.Reader(
    Lead,
    tuple(
        Lead._meta.fields[name]
        for name in dict.fromkeys(
            [
                "id",
                "state",
                "existing_account",
                "existing_contact",
                "owner",
                "estimated_budget",
                *(source for mapping in (ACCOUNT_MAPPING, CONTACT_MAPPING, OPPORTUNITY_MAPPING)
                  for source, _ in mapping),
                *LEAD_KEY_FIELDS,
            ]
        )
    ),
    lock=True,  # the lead's row lock: qualifying decides on what it reads (locks.py)
)  # fmt: skip


def _new_record_keys(
    lead: Lead, region: str
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """The duplicate keys of the account and of the contact qualifying creates.

    They are the lead's stored keys, made by the same `normalize` functions from the
    same values. The phone key alone depends on a setting (the phone region), so it
    is taken from the lead only when the number carries its country code (+...);
    otherwise it is computed with the current region, once for both records.
    """
    phone = lead.business_phone or ""
    if phone.lstrip().startswith("+"):
        phone_key = lead.phone_key
    else:
        phone_key = normalize.phone_key(phone, region)
    account = {
        "name_key": lead.company_key,
        "domain_key": lead.domain_key,
        "phone_key": phone_key,
        "name_sort": normalize.sort_key(lead.company),
    }
    contact = {
        "email_key": lead.email_key,
        "phone_key": phone_key,
        "person_key": lead.person_key,
        "name_sort": lead.name_sort,
    }
    return account, contact


def _keys_to_lock(
    settings: OrgSettings,
    account_keys: dict[str, str | None],
    contact_keys: dict[str, str | None],
) -> list[str]:
    """The duplicate keys, under the rules switched on, of the records about to be
    created, named by table and column ("account.name_key=contoso")."""
    keys = []
    for table, rules, values in (
        ("account", ACCOUNT_RULES, account_keys),
        ("contact", CONTACT_RULES, contact_keys),
    ):
        for setting, _, column, _ in rules:
            value = values.get(column)
            if value is not None and getattr(settings, setting):
                keys.append(f"{table}.{column}={value}")
    return keys


def _copied(lead: Lead, mapping: tuple[tuple[str, str], ...]) -> dict[str, object]:
    """Values for a new record, copied from `lead` through `mapping`: for a lead read
    by `_LEAD_READER` (which loads every mapped field), taken from its loaded values
    without the field accessors."""
    values = lead.__data__
    return {target: values[source] for source, target in mapping}


def _create_account(
    lead: Lead, actor: User, keys: dict[str, str | None], now: dt.datetime
) -> Account:
    return prepared.create(
        Account,
        owner=actor.id,
        created_at=now,
        modified_at=now,
        **_copied(lead, ACCOUNT_MAPPING),
        **keys,
    )


def _create_contact(
    lead: Lead,
    account: Account | None,
    actor: User,
    keys: dict[str, str | None],
    now: dt.datetime,
) -> Contact:
    return prepared.create(
        Contact,
        account=_id(account),
        owner=actor.id,
        created_at=now,
        modified_at=now,
        **_copied(lead, CONTACT_MAPPING),
        **keys,
    )


def _create_opportunity(
    lead: Lead, account: Account | None, contact: Contact | None, actor: User, now: dt.datetime
) -> Opportunity:
    return prepared.create(
        Opportunity,
        account=_id(account),
        contact=_id(contact),
        estimated_value=lead.estimated_budget,
        stage=Stage.DEVELOP.value,
        originating_lead=lead.id,
        owner=lead.owner_id or actor.id,
        created_at=now,
        modified_at=now,
        name_sort=normalize.sort_key(lead.topic),
        **_copied(lead, OPPORTUNITY_MAPPING),
    )


def _reuse_opportunity(
    lead: Lead,
    opportunity_id: int,
    account: Account | None,
    contact: Contact | None,
    actor: User,
    now: dt.datetime,
) -> Opportunity:
    """The opportunity an earlier qualification of `lead` created, linked to the
    account and contact of this one, and reopened if it was won or lost."""
    opportunity = Opportunity.get_or_none(
        (Opportunity.id == opportunity_id) & (Opportunity.originating_lead == lead.id)
    )
    if opportunity is None:
        raise QualifyRefused(
            "The opportunity of the earlier qualification no longer exists; create a new one."
        )
    was_open = opportunity.state == OpportunityState.OPEN
    Opportunity.update(
        account=_id(account),
        contact=_id(contact),
        state=OpportunityState.OPEN.value,
        status_reason=(
            opportunity.status_reason if was_open else OpportunityStatus.IN_PROGRESS.value
        ),
        actual_revenue=opportunity.actual_revenue if was_open else None,
        actual_close_date=opportunity.actual_close_date if was_open else None,
        closed_by=opportunity.closed_by_id if was_open else None,
        closed_at=opportunity.closed_at if was_open else None,
        modified_at=now,
    ).where(Opportunity.id == opportunity_id).execute()
    verb = "Linked again" if was_open else "Reopened"
    record(actor, "requalified", opportunity, f"{verb} on re-qualifying lead {lead.full_name}")
    return Opportunity.get_by_id(opportunity_id)


def _id(record: peewee.Model | None) -> int | None:
    return None if record is None else record.id


# Close the lead only while it is open: the loser of a race changes no row.
_GUARD_UPDATE = prepared.Prepared(
    lambda: Lead.update(
        state=Slot("state"),
        status_reason=Slot("status_reason"),
        closed_by=Slot("closed_by"),
        closed_at=Slot("closed_at"),
        modified_at=Slot("now"),
    ).where((Lead.id == Slot("id")) & (Lead.state == Slot("open")))
)
_LINK_UPDATE = prepared.Prepared(
    lambda: Lead.update(
        account=Slot("account"), contact=Slot("contact"), stage=Slot("stage")
    ).where(Lead.id == Slot("id"))
)


def _check_exit_criteria(lead: Lead, settings: OrgSettings) -> None:
    """Refuse while the lead's qualifying process has open required activities."""
    exit_criteria(lead, settings.lead_qualifying_process).enforce()


def _pick(model: type, record_id: int, what: str) -> object:
    """The account or contact to link, held until the qualification commits (a
    share lock: a merge or delete of it waits; one that came first is said)."""
    try:
        return linkable(model, record_id, what)
    except ValidationError as refused:
        if model.get_or_none(model.id == record_id) is None:
            raise NotFound(f"The {what} you picked no longer exists.") from None
        raise QualifyRefused(refused.message) from None


def _read_open_lead(lead_id: int) -> Lead:
    """The lead's columns qualifying reads; NotFound or LeadClosed (whatever the
    choice: a closed lead is refused before the choice is looked at)."""
    lead = _LEAD_READER.get(lead_id)
    if lead is None:
        raise NotFound("This lead no longer exists; someone may have deleted it.")
    if not lead.is_open:
        raise LeadClosed(closed_message(Lead.get_by_id(lead_id), "qualify"))
    return lead


def _effective_choice(choice: QualifyChoice | None, settings: OrgSettings) -> QualifyChoice:
    """With auto-create on, all three records are created whatever was chosen;
    with it off, the user must have chosen."""
    if settings.auto_create_on_qualify:
        choice = choice or _CREATE_ALL
        if not (choice.create_account and choice.create_contact and choice.create_opportunity):
            choice = replace(choice, create_account=True, create_contact=True,
                             create_opportunity=True)  # fmt: skip
        return choice
    if choice is None:
        raise QualifyRefused(
            "Auto-create is off: choose which of account, contact and opportunity to create."
        )
    return choice


def _close_as_qualified(actor: User, lead_id: int, now: dt.datetime) -> None:
    """Mark the lead qualified while it is still open (the guard update); the loser
    of a race with another session is told who won, and nothing is created."""
    won = _GUARD_UPDATE.run(
        {
            "state": LeadState.QUALIFIED.value,  # plain str: binds faster than the enum
            "status_reason": StatusReason.QUALIFIED.value,
            "closed_by": actor.id,
            "closed_at": now,
            "now": now,
            "id": lead_id,
            "open": LeadState.OPEN.value,
        },
    ).rowcount
    if not won:
        lead = Lead.get_or_none(Lead.id == lead_id)
        if lead is None:
            raise NotFound("This lead was just deleted by someone else; nothing was created.")
        raise LeadClosed(
            f"This lead was just {lead.state} by {lead.closed_by or 'someone else'}; "
            "nothing was created."
        )


def _links(lead: Lead, choice: QualifyChoice) -> tuple[Account | None, Contact | None]:
    """The existing account and contact to link (the lead's own, else the ones
    picked), the contact first: the lock order (`locks`)."""
    contact: Contact | None = None
    account: Account | None = None
    if lead.existing_contact_id is not None:
        contact = _pick(Contact, lead.existing_contact_id, "contact")
    elif choice.link_contact_id is not None:
        contact = _pick(Contact, choice.link_contact_id, "contact")
    if lead.existing_account_id is not None:
        account = _pick(Account, lead.existing_account_id, "account")
    elif choice.link_account_id is not None:
        account = _pick(Account, choice.link_account_id, "account")
    return account, contact


def _require_company(lead: Lead, settings: OrgSettings) -> None:
    if not (lead.company or "").strip():
        hint = "" if settings.auto_create_on_qualify else ", or choose not to create an account"
        raise QualifyRefused(
            "An account needs a company name: fill in Company on the lead, "
            f"or set an existing account{hint}."
        )


Keys = dict[str, str | None]


def _check_duplicates(
    lead: Lead, settings: OrgSettings, choice: QualifyChoice, new_account: bool, new_contact: bool
) -> tuple[Keys, Keys]:
    """The new account's and contact's keys, locked; DuplicatesFound if records with
    them exist (unless the user chose to ignore duplicates)."""
    account_keys, contact_keys = _new_record_keys(lead, settings.phone_region)
    # Before looking for matches: a session creating a record with one of these
    # keys waits here until this one commits, then sees its record.
    lock_keys(
        _keys_to_lock(
            settings, account_keys if new_account else {}, contact_keys if new_contact else {}
        )
    )
    if not choice.ignore_duplicates:
        wanted = {"accounts": new_account, "contacts": new_contact}
        if find_duplicates(lead, settings, leads=False, **wanted):
            # Only now look up the leads sharing the email too, for the picker.
            raise DuplicatesFound(find_duplicates(lead, settings, **wanted))
    return account_keys, contact_keys


def _opportunity(
    lead: Lead,
    choice: QualifyChoice,
    account: Account | None,
    contact: Contact | None,
    actor: User,
    now: dt.datetime,
) -> Opportunity | None:
    """The earlier qualification's opportunity reused, a new one, or none."""
    if choice.reuse_opportunity_id is not None:
        return _reuse_opportunity(lead, choice.reuse_opportunity_id, account, contact, actor, now)
    if not choice.create_opportunity:
        return None
    opportunity = _create_opportunity(lead, account, contact, actor, now)
    record(actor, "created", opportunity, f"Created from lead {lead.full_name}")
    return opportunity


@no_raw_errors
def qualify_lead(actor: User, lead_id: int, choice: QualifyChoice | None = None) -> QualifyResult:
    """Qualify one lead, creating or linking its account, contact and opportunity,
    all in one transaction: the lead read and closed, the records to link picked,
    duplicates looked for, the records created, the lead linked to them, audited.

    The statements that run for every lead are compiled once (`prepared`); the
    rarer paths (a closed lead, a lost race, linking, exit criteria) use the ORM.
    """
    with database_proxy.obj.atomic():
        # Read inside the transaction, which holds the write lock on SQLite from its
        # BEGIN: the settings used are the ones in force when the records are written.
        settings = load_settings()
        lead = _read_open_lead(lead_id)
        choice = _effective_choice(choice, settings)
        now = utcnow()
        _close_as_qualified(actor, lead_id, now)
        _check_exit_criteria(lead, settings)

        account, contact = _links(lead, choice)
        new_contact = contact is None and choice.create_contact
        new_account = account is None and choice.create_account
        if new_account:
            _require_company(lead, settings)
        if new_account or new_contact:
            account_keys, contact_keys = _check_duplicates(
                lead, settings, choice, new_account, new_contact
            )
        if new_account:
            account = _create_account(lead, actor, account_keys, now)
        if new_contact:
            contact = _create_contact(lead, account, actor, contact_keys, now)
        opportunity = _opportunity(lead, choice, account, contact, actor, now)

        _LINK_UPDATE.run(
            {
                "account": _id(account),
                "contact": _id(contact),
                "stage": (Stage.DEVELOP if opportunity else Stage.QUALIFY).value,
                "id": lead_id,
            },
        )
        result = QualifyResult(
            lead_id=lead_id,
            account=account,
            account_created=new_account,
            contact=contact,
            contact_created=new_contact,
            opportunity=opportunity,
            lead_name=lead.full_name,
            opportunity_reused=choice.reuse_opportunity_id is not None,
        )
        record(actor, "qualified", lead, "Qualified. " + "; ".join(result.lines()) + ".")
    return result


Status = Literal["qualified", "duplicates", "blocked", "failed"]


@dataclass(frozen=True)
class LeadOutcome:
    """What happened to one lead of a bulk qualification."""

    lead_id: int
    lead_name: str
    status: Status
    message: str
    result: QualifyResult | None = None
    matches: DuplicateMatches | None = field(default=None, repr=False)


@no_raw_errors
def qualify_leads(
    actor: User,
    lead_ids: list[int],
    choice: QualifyChoice | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[LeadOutcome]:
    """Qualify several leads, each in its own transaction.

    A failure stops only its own lead. Leads with possible duplicates are not
    qualified: they come back with status "duplicates" and their matches, for the
    picker. Leads whose required activities are open come back "blocked".
    """
    outcomes: list[LeadOutcome] = []
    for done, lead_id in enumerate(lead_ids, start=1):
        try:
            result = qualify_lead(actor, lead_id, choice)
        except DuplicatesFound as exc:
            outcome = LeadOutcome(lead_id, "", "duplicates", exc.message, matches=exc.matches)
        except ExitCriteriaNotMet as exc:
            outcome = LeadOutcome(lead_id, "", "blocked", exc.message)
        except LeadqError as exc:
            outcome = LeadOutcome(lead_id, "", "failed", exc.message)
        except peewee.PeeweeException as exc:  # never the driver's text (CONTEXT: ...)
            outcome = LeadOutcome(lead_id, "", "failed", as_sentence(exc, "qualify").message)
        except Exception as exc:  # one lead's unexpected failure must not stop the batch
            logger.exception("qualifying lead %s failed", lead_id)
            outcome = LeadOutcome(lead_id, "", "failed", f"Unexpected error: {exc}")
        else:
            message = "; ".join(result.lines())
            outcome = LeadOutcome(lead_id, result.lead_name, "qualified", message, result)
        outcomes.append(outcome)
        if progress is not None:
            progress(done, len(lead_ids))
    # The leads that were not qualified are named afterwards, in one query.
    unnamed = [o.lead_id for o in outcomes if o.status != "qualified"]
    names = _lead_names(unnamed)
    return [
        o
        if o.status == "qualified"
        else replace(o, lead_name=names.get(o.lead_id, f"lead #{o.lead_id}"))
        for o in outcomes
    ]


def _lead_names(lead_ids: list[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for start in range(0, len(lead_ids), 10_000):  # under SQLite's bound-variable limit
        chunk = lead_ids[start : start + 10_000]
        query = Lead.select(Lead.id, Lead.first_name, Lead.last_name).where(Lead.id.in_(chunk))
        names.update((row.id, row.full_name) for row in query)
    return names
