"""Qualifying leads into accounts, contacts and opportunities.

`qualify_lead` is one transaction: the guard update that closes the lead, the
records it creates or links, and the audit event all commit together or not at
all. The guard (`UPDATE lead ... WHERE state = 'open'`) makes the loser of a race
between two sessions fail cleanly with `LeadClosed`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import peewee

from .audit import record
from .duplicates import DuplicateMatches, find_duplicates
from .entities import Account, Contact, Lead, Opportunity, User, utcnow
from .enums import LeadState, Stage, StatusReason
from .errors import (
    DuplicatesFound,
    ExitCriteriaNotMet,
    LeadClosed,
    LeadqError,
    NotFound,
    QualifyRefused,
)
from .mapping import ACCOUNT_MAPPING, CONTACT_MAPPING, OPPORTUNITY_MAPPING, mapped_values
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


@dataclass(frozen=True)
class QualifyResult:
    lead_id: int
    account: Account | None = None
    account_created: bool = False
    contact: Contact | None = None
    contact_created: bool = False
    opportunity: Opportunity | None = None

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
            out.append(f"Created opportunity {self.opportunity.topic}")
        return out or ["Qualified without creating or linking any record"]


def closed_message(lead: Lead, verb: str = "change") -> str:
    """Why a closed lead cannot be changed, naming who closed it."""
    who = f" by {lead.closed_by}" if lead.closed_by_id else ""
    when = f" at {lead.closed_at:%Y-%m-%d %H:%M} UTC" if lead.closed_at else ""
    return f"This lead was {lead.state}{who}{when}; reactivate it to {verb} it."


def _create_account(lead: Lead, actor: User, region: str) -> Account:
    account = Account(owner=actor, **mapped_values(lead, ACCOUNT_MAPPING))
    account.save(force_insert=True, region=region)
    return account


def _create_contact(lead: Lead, account: Account | None, actor: User, region: str) -> Contact:
    contact = Contact(account=account, owner=actor, **mapped_values(lead, CONTACT_MAPPING))
    contact.save(force_insert=True, region=region)
    return contact


def _create_opportunity(
    lead: Lead, account: Account | None, contact: Contact | None, actor: User
) -> Opportunity:
    return Opportunity.create(
        account=account,
        contact=contact,
        estimated_value=lead.estimated_budget,
        stage=Stage.DEVELOP,
        originating_lead=lead,
        owner=lead.owner_id or actor,
        **mapped_values(lead, OPPORTUNITY_MAPPING),
    )


def _check_exit_criteria(lead: Lead, settings: OrgSettings) -> None:
    """Refuse while the lead's qualifying process has open required activities."""
    if not settings.lead_qualifying_process:
        return
    from .processes import open_required_activities

    names = open_required_activities(lead)
    if names:
        raise ExitCriteriaNotMet(
            "Required activities are still open: " + ", ".join(names) + ".", names
        )


def _pick(model: type, record_id: int, what: str) -> object:
    picked = model.get_or_none(model.id == record_id)
    if picked is None:
        raise NotFound(f"The {what} you picked no longer exists.")
    return picked


def qualify_lead(lead_id: int, actor: User, choice: QualifyChoice | None = None) -> QualifyResult:
    """Qualify one lead, creating or linking its account, contact and opportunity."""
    settings = load_settings()
    if settings.auto_create_on_qualify:
        choice = replace(
            choice or QualifyChoice(),
            create_account=True,
            create_contact=True,
            create_opportunity=True,
        )
    elif choice is None:
        raise QualifyRefused(
            "Auto-create is off: choose which of account, contact and opportunity to create."
        )

    db = Lead._meta.database
    with db.atomic():
        lead = Lead.get_or_none(Lead.id == lead_id)
        if lead is None:
            raise NotFound("This lead no longer exists; someone may have deleted it.")
        if not lead.is_open:
            raise LeadClosed(closed_message(lead, "qualify"))
        now = utcnow()
        won = (
            Lead.update(
                state=LeadState.QUALIFIED,
                status_reason=StatusReason.QUALIFIED,
                closed_by=actor,
                closed_at=now,
                modified_at=now,
            )
            .where((Lead.id == lead_id) & (Lead.state == LeadState.OPEN))
            .execute()
        )
        if not won:
            lead = Lead.get_or_none(Lead.id == lead_id)
            if lead is None:
                raise NotFound("This lead was just deleted by someone else; nothing was created.")
            raise LeadClosed(
                f"This lead was just {lead.state} by {lead.closed_by or 'someone else'}; "
                "nothing was created."
            )
        _check_exit_criteria(lead, settings)

        account: Account | None = None
        contact: Contact | None = None
        if lead.existing_account_id is not None:
            account = lead.existing_account
        elif choice.link_account_id is not None:
            account = _pick(Account, choice.link_account_id, "account")
        new_account = account is None and choice.create_account
        if new_account and not (lead.company or "").strip():
            hint = "" if settings.auto_create_on_qualify else ", or choose not to create an account"
            raise QualifyRefused(
                "An account needs a company name: fill in Company on the lead, "
                f"or set an existing account{hint}."
            )

        if lead.existing_contact_id is not None:
            contact = lead.existing_contact
        elif choice.link_contact_id is not None:
            contact = _pick(Contact, choice.link_contact_id, "contact")
        new_contact = contact is None and choice.create_contact

        if (new_account or new_contact) and not choice.ignore_duplicates:
            wanted = {"accounts": new_account, "contacts": new_contact}
            if find_duplicates(lead, settings, leads=False, **wanted):
                # Only now look up the leads sharing the email too, for the picker.
                raise DuplicatesFound(find_duplicates(lead, settings, **wanted))

        if new_account:
            account = _create_account(lead, actor, settings.phone_region)
        if new_contact:
            contact = _create_contact(lead, account, actor, settings.phone_region)
        opportunity = None
        if choice.create_opportunity:
            opportunity = _create_opportunity(lead, account, contact, actor)

        Lead.update(
            account=account,
            contact=contact,
            stage=Stage.DEVELOP if opportunity else Stage.QUALIFY,
        ).where(Lead.id == lead_id).execute()
        result = QualifyResult(
            lead_id=lead_id,
            account=account,
            account_created=new_account,
            contact=contact,
            contact_created=new_contact,
            opportunity=opportunity,
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


def qualify_leads(
    lead_ids: list[int],
    actor: User,
    choice: QualifyChoice | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[LeadOutcome]:
    """Qualify several leads, each in its own transaction.

    A failure stops only its own lead. Leads with possible duplicates are not
    qualified: they come back with status "duplicates" and their matches, for the
    picker. Leads whose required activities are open come back "blocked".
    """
    outcomes: list[LeadOutcome] = []
    names: dict[int, str] = {}
    for start in range(0, len(lead_ids), 10_000):  # under SQLite's bound-variable limit
        chunk = lead_ids[start : start + 10_000]
        query = Lead.select(Lead.id, Lead.first_name, Lead.last_name).where(Lead.id.in_(chunk))
        names.update((row.id, row.full_name) for row in query)
    for done, lead_id in enumerate(lead_ids, start=1):
        name = names.get(lead_id, f"lead #{lead_id}")
        try:
            result = qualify_lead(lead_id, actor, choice)
        except DuplicatesFound as exc:
            outcome = LeadOutcome(lead_id, name, "duplicates", exc.message, matches=exc.matches)
        except ExitCriteriaNotMet as exc:
            outcome = LeadOutcome(lead_id, name, "blocked", exc.message)
        except LeadqError as exc:
            outcome = LeadOutcome(lead_id, name, "failed", exc.message)
        except peewee.PeeweeException as exc:
            outcome = LeadOutcome(lead_id, name, "failed", f"Database error: {exc}")
        except Exception as exc:  # one lead's unexpected failure must not stop the batch
            logger.exception("qualifying lead %s failed", lead_id)
            outcome = LeadOutcome(lead_id, name, "failed", f"Unexpected error: {exc}")
        else:
            outcome = LeadOutcome(lead_id, name, "qualified", "; ".join(result.lines()), result)
        outcomes.append(outcome)
        if progress is not None:
            progress(done, len(lead_ids))
    return outcomes
