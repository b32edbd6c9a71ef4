"""Finding accounts, contacts and leads that a lead may duplicate.

Each rule compares one stored, normalised, indexed key with `==`. A blank
value has no key (None), so blank never matches.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from peewee import JOIN

from . import prepared
from .db import database_proxy
from .entities import Account, Contact, Lead, load_settings
from .enums import LeadState
from .errors import LeadqError
from .setting_defs import OrgSettings

# (setting, key on the lead, model, key on the model, what a user reads)
ACCOUNT_RULES = (
    ("dup_account_name", "company_key", "name_key", "same account name"),
    ("dup_account_website", "domain_key", "domain_key", "same website domain"),
    ("dup_account_phone", "phone_key", "phone_key", "same phone"),
)
CONTACT_RULES = (
    ("dup_contact_email", "email_key", "email_key", "same email"),
    ("dup_contact_phone", "phone_key", "phone_key", "same business phone"),
    ("dup_contact_name", "person_key", "person_key", "same first and last name"),
)
MAX_MATCHES = 50


@dataclass(frozen=True)
class MatchedRecord:
    """A record that may be the one a lead is about, and why it matched."""

    kind: str  # "account", "contact" or "lead"
    id: int
    title: str
    details: tuple[str, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True)
class DuplicateMatches:
    accounts: list[MatchedRecord] = field(default_factory=list)
    contacts: list[MatchedRecord] = field(default_factory=list)
    leads: list[MatchedRecord] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.accounts or self.contacts)


class DuplicatesFound(LeadqError):
    """Qualifying would create an account or contact that may already exist.

    The caller resolves it by linking a matched record or choosing to create
    new ones anyway (see `QualifyChoice`), then qualifies again.
    """

    def __init__(self, matches: DuplicateMatches) -> None:
        self.matches = matches
        parts = []
        if matches.accounts:
            parts.append(f"{len(matches.accounts)} matching account(s)")
        if matches.contacts:
            parts.append(f"{len(matches.contacts)} matching contact(s)")
        super().__init__(
            "Possible duplicates: " + " and ".join(parts) + ". Link one or create new records."
        )


def _run_rules(lead: Lead, model: type, rules: tuple, settings: OrgSettings) -> dict[int, list]:
    """{record id: [record, rule labels...]} for the rules that are switched on.

    One round trip finds the ids: a UNION ALL of one indexed `key = ?` lookup per
    rule (each at most MAX_MATCHES, by id), so finding nothing, the usual case on
    the qualify path, costs one short query. Whole records are read only on a hit.
    """
    columns: list[str] = []
    params: list[str] = []
    labels: list[str] = []
    for setting, lead_key, model_key, label in rules:
        value = getattr(lead, lead_key)
        if not getattr(settings, setting) or value is None:
            continue
        columns.append(model._meta.fields[model_key].column_name)
        params.append(value)
        labels.append(label)
    if not columns:
        return {}
    db = database_proxy.obj
    sql = _lookup_sql(db.param, model._meta.table_name, tuple(columns))
    hits: dict[int, list[str]] = {}
    for rule, record_id in prepared.execute(db, sql, params).fetchall():
        hits.setdefault(record_id, []).append(labels[rule])
    if not hits:
        return {}
    records = {record.id: record for record in _records(model).where(model.id.in_(list(hits)))}
    return {rid: [records[rid], *found] for rid, found in hits.items() if rid in records}


def _records(model: type):  # type: ignore[no-untyped-def]
    """The matched records; contacts with their account joined (the match names it)."""
    if model is Contact:
        return Contact.select(Contact, Account).join(
            Account, JOIN.LEFT_OUTER, on=(Contact.account == Account.id)
        )
    return model.select()


@functools.lru_cache(maxsize=64)
def _lookup_sql(param: str, table: str, columns: tuple[str, ...]) -> str:
    """One UNION ALL of `column = ?` lookups, each its own numbered rule."""
    return (
        " UNION ALL ".join(
            f'SELECT * FROM (SELECT {number} AS "rule", "id" FROM "{table}" '
            f'WHERE "{column}" = {param} ORDER BY "id" LIMIT {MAX_MATCHES}) AS "r{number}"'
            for number, column in enumerate(columns)
        )
        + " ORDER BY 1, 2"
    )


def _account_match(account: Account, rules: list[str]) -> MatchedRecord:
    place = ", ".join(p for p in (account.city, account.country) if p)
    details = tuple(d for d in (account.website, account.phone, place) if d)
    return MatchedRecord("account", account.id, account.name, details, tuple(rules))


def _contact_match(contact: Contact, rules: list[str]) -> MatchedRecord:
    company = contact.account.name if contact.account_id else ""
    details = tuple(d for d in (contact.email, contact.phone, contact.job_title, company) if d)
    return MatchedRecord("contact", contact.id, contact.full_name, details, tuple(rules))


def find_duplicates(
    lead: Lead,
    settings: OrgSettings | None = None,
    *,
    accounts: bool = True,
    contacts: bool = True,
    leads: bool = True,
) -> DuplicateMatches:
    """Accounts and contacts that match the lead by the rules switched on, and (unless
    `leads=False`) other leads with the same email."""
    settings = settings or load_settings()
    account_hits = _run_rules(lead, Account, ACCOUNT_RULES, settings) if accounts else {}
    contact_hits = _run_rules(lead, Contact, CONTACT_RULES, settings) if contacts else {}
    lead_matches = []
    if leads and settings.dup_lead_email and lead.email_key is not None:
        others = (
            Lead.select(
                Lead.id, Lead.first_name, Lead.last_name, Lead.email, Lead.company, Lead.state
            )
            .where((Lead.email_key == lead.email_key) & (Lead.id != lead.id))
            .limit(MAX_MATCHES)
        )
        lead_matches = [
            MatchedRecord("lead", o.id, o.full_name, (o.email, o.company, o.state), ("same email",))
            for o in others
        ]
    return DuplicateMatches(
        accounts=[_account_match(rec, rules) for rec, *rules in account_hits.values()],
        contacts=[_contact_match(rec, rules) for rec, *rules in contact_hits.values()],
        leads=lead_matches,
    )


def leads_with_duplicates(lead_ids: list[int], settings: OrgSettings | None = None) -> set[int]:
    """Which of the given open leads have a possible duplicate (for list markers).

    Closed leads are never marked: a qualified lead matches the very account and
    contact it made. A handful of indexed lookups per page of leads, never a scan.
    """
    if not lead_ids:
        return set()
    settings = settings or load_settings()
    keys = {lead_key for rules in (ACCOUNT_RULES, CONTACT_RULES) for _, lead_key, _, _ in rules}
    columns = [Lead.id, Lead.email_key, *(getattr(Lead, key) for key in sorted(keys))]
    # Only the keys: building 100 whole Lead rows took 20-30 ms per page of the list.
    leads = list(
        Lead.select(*columns).where(Lead.id.in_(lead_ids) & (Lead.state == LeadState.OPEN))
    )
    marked: set[int] = set()
    pairs = [(ACCOUNT_RULES, Account), (CONTACT_RULES, Contact)]
    for rules, model in pairs:
        for setting, lead_key, model_key, _ in rules:
            if not getattr(settings, setting):
                continue
            values = {getattr(lead, lead_key) for lead in leads} - {None}
            if not values:
                continue
            column = getattr(model, model_key)
            hit = {row[0] for row in model.select(column).where(column.in_(values)).tuples()}
            marked |= {lead.id for lead in leads if getattr(lead, lead_key) in hit}
    if settings.dup_lead_email:
        emails = {lead.email_key for lead in leads} - {None}
        if emails:
            pairs_found = (
                Lead.select(Lead.email_key, Lead.id).where(Lead.email_key.in_(emails)).tuples()
            )
            owners: dict[str, set[int]] = {}
            for email, lead_id in pairs_found:
                owners.setdefault(email, set()).add(lead_id)
            marked |= {lead.id for lead in leads if len(owners.get(lead.email_key, ())) > 1}
    return marked
