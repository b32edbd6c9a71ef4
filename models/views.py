"""Read models: what each screen shows, read in a fixed number of queries.

Every function here returns plain frozen dataclasses (no lazy foreign keys, no
model instances), so a screen can build them in a worker thread and show them on
the event loop without touching the database again. Each raises `NotFound` when
the record it is about no longer exists (deleted, perhaps by another session).

Related rows are read by id sets or joins, never one query per row: the number of
queries of each function does not grow with the notes, events, contacts or
activities shown (tests assert the counts with `assert_query_count`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from peewee import JOIN, fn

from .entities import (
    LEAD_FORM_FIELDS,
    Account,
    AuditEvent,
    Contact,
    Lead,
    Note,
    Opportunity,
    User,
)
from .enums import LeadState, OpportunityState, OpportunityStatus, Stage
from .errors import NotFound, closed_message
from .permissions import decisions
from .processes.models import LeadActivity, LeadProcess, ProcessActivity, ProcessLevel
from .processes.reading import (
    OutlineRow,
    ProcessSummary,
    list_processes,
    process_outline,
)
from .records import get_record
from .roles import can_define_processes
from .settings import load_settings
from .validation import money

NoteTarget = Lead | Account | Contact | Opportunity

LEAD_GONE = "This lead no longer exists; someone may have deleted it."


# Labels a screen shows for a linked record (one place for each).
def account_label(account: Account) -> str:
    """`Contoso (Redmond, contoso.com)`: the name with what tells it apart."""
    details = [d for d in (account.city, account.website or account.phone) if d]
    return account.name + (f" ({', '.join(details)})" if details else "")


def contact_label(contact: Contact) -> str:
    """`Nancy Anderson (nancy@contoso.com, Contoso)`. The contact's account must be
    loaded with it (a join), or this reads it."""
    account = contact.account.name if contact.account_id else ""
    details = [d for d in (contact.email, account) if d]
    return contact.full_name + (f" ({', '.join(details)})" if details else "")


def lead_label(lead: Lead) -> str:
    return f"{lead.full_name}: {lead.topic} ({LeadState(lead.state).label})"


def opportunity_label(opportunity: Opportunity) -> str:
    value = opportunity.estimated_value
    shown = f", {money(value)}" if value is not None else ""
    return f"{opportunity.topic} ({Stage(opportunity.stage).label}{shown})"


def _name(user: User | None) -> str | None:
    return str(user) if user is not None else None


_NOTE_TARGETS: dict[str, type[NoteTarget]] = {  # type: ignore[valid-type]
    "lead": Lead,
    "account": Account,
    "contact": Contact,
    "opportunity": Opportunity,
}


def note_target(kind: str, record_id: int) -> NoteTarget:
    """The record a screen's notes are on, for `add_note` (NotFound when gone)."""
    model = _NOTE_TARGETS.get(kind)
    if model is None:
        raise ValueError(f"Notes go on a lead, account, contact or opportunity, not {kind!r}.")
    record = model.get_or_none(model.id == record_id)
    if record is None:
        raise NotFound(f"This {kind} no longer exists; someone may have deleted it.")
    return record


# The parts several views share.
@dataclass(frozen=True)
class Ref:
    """A record a screen links to: what it is, its id and how it is named."""

    kind: str  # "lead", "account", "contact" or "opportunity"
    id: int
    label: str


@dataclass(frozen=True)
class NoteView:
    id: int
    author: str | None  # None: the author's user was deleted
    created_at: dt.datetime
    text: str
    attachment_name: str | None
    attachment_size: int
    from_lead: bool  # on an opportunity: carried over from the lead it came from


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: dt.datetime
    who: str | None  # None: the system (or a deleted user)
    what: str


def notes_to_show(target: NoteTarget) -> list[Note]:
    """The notes of `target`, newest first, without attachment bytes.

    Each note has `author` loaded and `attachment_bytes` (the size, or None).
    On an opportunity, the notes of the lead it came from are included
    (`Note.shown_on`).
    """
    query = (
        Note.select(
            Note.id,
            Note.text,
            Note.attachment_name,
            Note.author,
            Note.created_at,
            Note.lead,
            Note.account,
            Note.contact,
            Note.opportunity,
            fn.LENGTH(Note.attachment_data).alias("attachment_bytes"),
            User,
        )
        .join(User, JOIN.LEFT_OUTER, on=(Note.author == User.id))
        .where(Note.shown_on(target))
        .order_by(Note.created_at.desc(), Note.id.desc())
    )
    return list(query)


def history_to_show(entity_type: str, entity_id: int) -> list[AuditEvent]:
    """The audit events of one record, newest first, with `actor` loaded."""
    return AuditEvent.for_record(entity_type, entity_id)


def note_views(target: NoteTarget) -> tuple[NoteView, ...]:
    """The notes `target` shows (one query, attachment sizes without their bytes)."""
    lead_id = target.originating_lead_id if isinstance(target, Opportunity) else None
    return tuple(
        NoteView(
            id=note.id,
            author=_name(note.author) if note.author_id else None,
            created_at=note.created_at,
            text=note.text or "",
            attachment_name=note.attachment_name,
            attachment_size=int(note.attachment_bytes or 0),
            from_lead=lead_id is not None and note.lead_id == lead_id,
        )
        for note in notes_to_show(target)
    )


def history_entries(entity_type: str, entity_id: int) -> tuple[HistoryEntry, ...]:
    """The record's history, newest first (one query)."""
    return tuple(
        HistoryEntry(
            id=event.id,
            at=event.at,
            who=_name(event.actor) if event.actor_id else None,
            what=event.summary or event.action,
        )
        for event in history_to_show(entity_type, entity_id)
    )


def _users(ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    return {u.id: u for u in User.select().where(User.id.in_(wanted))} if wanted else {}


def _contacts(ids: Iterable[int | None]) -> dict[int, Contact]:
    """Contacts by id, each with its account joined (for `contact_label`)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    query = (
        Contact.select(Contact, Account)
        .join(Account, JOIN.LEFT_OUTER, on=(Contact.account == Account.id))
        .where(Contact.id.in_(wanted))
    )
    return {c.id: c for c in query}


def _accounts(ids: Iterable[int | None]) -> dict[int, Account]:
    wanted = {i for i in ids if i is not None}
    return {a.id: a for a in Account.select().where(Account.id.in_(wanted))} if wanted else {}


def _account_ref(account: Account | None, label: str | None = None) -> Ref | None:
    if account is None:
        return None
    return Ref("account", account.id, label if label is not None else account_label(account))


def _contact_ref(contact: Contact | None, label: str | None = None) -> Ref | None:
    if contact is None:
        return None
    return Ref("contact", contact.id, label if label is not None else contact_label(contact))


def _opportunity_ref(opportunity: Opportunity) -> Ref:
    return Ref("opportunity", opportunity.id, opportunity_label(opportunity))


def _lead_refs(where: Any) -> tuple[Ref, ...]:
    query = (
        Lead.select(Lead.id, Lead.first_name, Lead.last_name, Lead.topic, Lead.state)
        .where(where)
        .order_by(Lead.id.desc())
    )
    return tuple(Ref("lead", lead.id, lead_label(lead)) for lead in query)


def _opportunity_refs(where: Any) -> tuple[Ref, ...]:
    query = Opportunity.select().where(where).order_by(Opportunity.id.desc())
    return tuple(_opportunity_ref(o) for o in query)


# The lead's qualifying-process activities.
@dataclass(frozen=True)
class ActivityView:
    id: int
    purpose: str
    required: bool
    done: bool
    level_name: str
    level_path: str
    level_depth: int
    due_start: dt.date
    due_finish: dt.date
    role_label: str
    done_by: str | None
    done_by_id: int | None
    done_at: dt.datetime | None


@dataclass(frozen=True)
class AssignmentView:
    process_id: int
    process_name: str
    assigned_on: dt.date
    assigned_by: str | None
    assigned_by_id: int | None


@dataclass(frozen=True)
class LeadActivities:
    """What the lead's activities tab shows; `feature_on` False: nothing (tab hidden)."""

    feature_on: bool
    assignment: AssignmentView | None = None
    activities: tuple[ActivityView, ...] = ()


def lead_activity_views(lead_id: int, *, feature_on: bool | None = None) -> LeadActivities:
    """The lead's process and activities: the setting (unless given), then two
    queries (the assignment, its activities), with who assigned and checked off
    joined."""
    if feature_on is None:
        feature_on = load_settings().lead_qualifying_process
    if not feature_on:
        return LeadActivities(False)
    assigned = (
        LeadProcess.select(LeadProcess, User)
        .join(User, JOIN.LEFT_OUTER, on=(LeadProcess.assigned_by == User.id))
        .where(LeadProcess.lead == lead_id)
        .first()
    )
    if assigned is None:
        return LeadActivities(True)
    rows = (
        LeadActivity.select(LeadActivity, User)
        .join(User, JOIN.LEFT_OUTER, on=(LeadActivity.done_by == User.id))
        .where(LeadActivity.lead == lead_id)
        .order_by(LeadActivity.position, LeadActivity.id)
    )
    activities = tuple(
        ActivityView(
            id=a.id,
            purpose=a.purpose,
            required=a.required,
            done=a.done,
            level_name=a.level_name,
            level_path=a.level_path,
            level_depth=a.level_depth,
            due_start=a.due_start,
            due_finish=a.due_finish,
            role_label=a.role_label,
            done_by=_name(a.done_by) if a.done_by_id else None,
            done_by_id=a.done_by_id,
            done_at=a.done_at,
        )
        for a in rows
    )
    assignment = AssignmentView(
        process_id=assigned.process_id,
        process_name=assigned.process_name,
        assigned_on=assigned.assigned_on,
        assigned_by=_name(assigned.assigned_by) if assigned.assigned_by_id else None,
        assigned_by_id=assigned.assigned_by_id,
    )
    return LeadActivities(True, assignment, activities)


# The lead detail.
@dataclass(frozen=True)
class LeadDetail:
    """Everything the lead detail screen shows about one lead."""

    id: int
    full_name: str
    topic: str
    state: str
    status_reason: str
    stage: str
    values: Mapping[str, Any]
    """The form's fields (`LEAD_FORM_FIELDS` and the status reason) as stored."""
    existing_account: Ref | None
    existing_contact: Ref | None
    account: Ref | None
    contact: Ref | None
    opportunity: Ref | None
    opportunity_stage: str | None
    owner: str | None
    created_at: dt.datetime
    modified_at: dt.datetime
    closed_by: str | None
    closed_by_id: int | None
    closed_at: dt.datetime | None
    qualify_filled: Mapping[str, bool]
    notes: tuple[NoteView, ...]
    history: tuple[HistoryEntry, ...]
    activities: LeadActivities = field(default_factory=lambda: LeadActivities(False))

    @property
    def is_open(self) -> bool:
        return self.state == LeadState.OPEN

    @property
    def stamp(self) -> tuple[dt.datetime, str]:
        """Changes whenever the lead is saved or changes state (tells edits elsewhere)."""
        return (self.modified_at, self.state)

    def closed_message(self, verb: str = "change") -> str:
        """Why this closed lead cannot be changed (the services' own sentence)."""
        return closed_message(self, verb)  # type: ignore[arg-type]


def lead_detail(lead_id: int) -> LeadDetail:
    """The lead, its links, latest opportunity, notes, history and activities.

    At most ten queries whatever the lead holds: the lead; its users, contacts
    and accounts (by id sets, contacts with their accounts); the opportunity;
    notes; history; the settings; the assignment and activities.
    """
    lead = Lead.get_or_none(Lead.id == lead_id)
    if lead is None:
        raise NotFound(LEAD_GONE)
    users = _users((lead.owner_id, lead.closed_by_id))
    contacts = _contacts((lead.existing_contact_id, lead.contact_id))
    accounts = _accounts((lead.existing_account_id, lead.account_id))
    opportunity = (
        Opportunity.select()
        .where(Opportunity.originating_lead == lead.id)
        .order_by(Opportunity.id.desc())
        .first()
    )
    values = {name: getattr(lead, name) for name in LEAD_FORM_FIELDS}
    values["status_reason"] = lead.status_reason
    account = accounts.get(lead.account_id)
    contact = contacts.get(lead.contact_id)
    return LeadDetail(
        id=lead.id,
        full_name=lead.full_name,
        topic=lead.topic,
        state=lead.state,
        status_reason=lead.status_reason,
        stage=lead.stage,
        values=MappingProxyType(values),
        existing_account=_account_ref(accounts.get(lead.existing_account_id)),
        existing_contact=_contact_ref(contacts.get(lead.existing_contact_id)),
        account=_account_ref(account, account.name if account else None),
        contact=_contact_ref(contact, contact.full_name if contact else None),
        opportunity=(
            Ref("opportunity", opportunity.id, opportunity.topic) if opportunity else None
        ),
        opportunity_stage=opportunity.stage if opportunity else None,
        owner=_name(users.get(lead.owner_id)),
        created_at=lead.created_at,
        modified_at=lead.modified_at,
        closed_by=_name(users.get(lead.closed_by_id)),
        closed_by_id=lead.closed_by_id if lead.closed_by_id in users else None,
        closed_at=lead.closed_at,
        qualify_filled=MappingProxyType(lead.qualify_stage_filled()),
        notes=note_views(lead),
        history=history_entries("lead", lead.id),
        activities=lead_activity_views(lead.id),
    )


# Account, contact and opportunity views.
@dataclass(frozen=True)
class RecordView:
    """An account, contact or opportunity as its screen shows it.

    `fields` are (label, value) pairs in display order (values as stored: text,
    datetimes, or None); `related` are (heading, record) pairs, grouped by heading.
    """

    kind: str
    id: int
    title: str
    fields: tuple[tuple[str, Any], ...]
    related: tuple[tuple[str, Ref], ...]
    notes: tuple[NoteView, ...]
    history: tuple[HistoryEntry, ...]
    stage: str | None = None  # an opportunity's
    steps: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    """An opportunity's: which steps of its stages are filled (for the stage bar)."""
    closed: str = ""
    """An opportunity's, when won or lost: `Won` or `Lost (Out-sold)`; an account's or
    contact's when merged: `merged into #12`; "" while open or active."""
    actions: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """What the reading user may do to the record (`permissions.decisions`), when
    read with `record_view_for`."""


def _address(record: Any) -> str:
    return ", ".join(record.address_lines())


MERGED_HEADING = "Merged into (this one is read-only)"


def _merged_into(record: Account | Contact) -> tuple[list[tuple[str, Ref | None]], str]:
    """For a merged account or contact: the master to go to (first), and the state
    its screen says; one query, only for a merged record."""
    if record.merged_into_id is None:
        return [], ""
    model = type(record)
    master = model.get_or_none(model.id == record.merged_into_id)
    ref = (_account_ref if model is Account else _contact_ref)(master)  # type: ignore[arg-type]
    related = [(MERGED_HEADING, ref)] if ref is not None else []
    return related, f"merged into #{record.merged_into_id}"


def account_view(account_id: int) -> RecordView:
    """The account with its owner, contacts, opportunities, leads, notes and history
    (six queries)."""
    account = (
        Account.select(Account, User)
        .join(User, JOIN.LEFT_OUTER, on=(Account.owner == User.id))
        .where(Account.id == account_id)
        .first()
    )
    if account is None:
        raise NotFound("This account no longer exists; someone may have deleted it.")
    contacts = (
        Contact.select(Contact, Account)
        .join(Account, JOIN.LEFT_OUTER, on=(Contact.account == Account.id))
        .where(Contact.account == account.id)
        .order_by(Contact.last_name, Contact.id)
    )
    merged, closed = _merged_into(account)
    related = [*merged, *(("Contacts", _contact_ref(c)) for c in contacts)]
    related += [("Opportunities", r) for r in _opportunity_refs(Opportunity.account == account.id)]
    related += [("Leads it came from", r) for r in _lead_refs(Lead.account == account.id)]
    return RecordView(
        closed=closed,
        kind="account",
        id=account.id,
        title=str(account),
        fields=(
            ("Account name", account.name),
            ("Website", account.website),
            ("Phone", account.phone),
            ("Address", _address(account)),
            ("Owner", _name(account.owner) if account.owner_id else ""),
            ("Created (UTC)", account.created_at),
            ("Modified (UTC)", account.modified_at),
        ),
        related=tuple(related),  # type: ignore[arg-type]
        notes=note_views(account),
        history=history_entries("account", account.id),
    )


def contact_view(contact_id: int) -> RecordView:
    """The contact with its account, owner, opportunities, leads, notes and history
    (five queries)."""
    owner = User.alias()
    contact = (
        Contact.select(Contact, Account, owner)
        .join(Account, JOIN.LEFT_OUTER, on=(Contact.account == Account.id))
        .switch(Contact)
        .join(owner, JOIN.LEFT_OUTER, on=(Contact.owner == owner.id), attr="owner")
        .where(Contact.id == contact_id)
        .first()
    )
    if contact is None:
        raise NotFound("This contact no longer exists; someone may have deleted it.")
    account = contact.account if contact.account_id else None
    related, closed = _merged_into(contact)
    if account is not None:
        related.append(("Account", _account_ref(account)))
    related += [("Opportunities", r) for r in _opportunity_refs(Opportunity.contact == contact.id)]
    related += [("Leads it came from", r) for r in _lead_refs(Lead.contact == contact.id)]
    return RecordView(
        closed=closed,
        kind="contact",
        id=contact.id,
        title=contact.full_name,
        fields=(
            ("Name", contact.full_name),
            ("Job title", contact.job_title),
            ("Account", str(account) if account is not None else ""),
            ("Business phone", contact.phone),
            ("Mobile phone", contact.mobile_phone),
            ("Email", contact.email),
            ("Address", _address(contact)),
            ("Owner", _name(contact.owner) if contact.owner_id else ""),
            ("Created (UTC)", contact.created_at),
        ),
        related=tuple(related),  # type: ignore[arg-type]
        notes=note_views(contact),
        history=history_entries("contact", contact.id),
    )


def opportunity_view(opportunity_id: int) -> RecordView:
    """The opportunity with its customer, originating lead, owner, notes (its own and
    the lead's) and history (seven queries)."""
    opportunity = (
        Opportunity.select(Opportunity, User)
        .join(User, JOIN.LEFT_OUTER, on=(Opportunity.owner == User.id))
        .where(Opportunity.id == opportunity_id)
        .first()
    )
    if opportunity is None:
        raise NotFound("This opportunity no longer exists; someone may have deleted it.")
    account = _accounts((opportunity.account_id,)).get(opportunity.account_id)
    contact = _contacts((opportunity.contact_id,)).get(opportunity.contact_id)
    lead = (
        _lead_refs(Lead.id == opportunity.originating_lead_id)
        if opportunity.originating_lead_id
        else ()
    )
    related: list[tuple[str, Ref | None]] = []
    if account is not None:
        related.append(("Customer account", _account_ref(account)))
    if contact is not None:
        related.append(("Customer contact", _contact_ref(contact)))
    if lead:
        related.append(("Originating lead", lead[0]))
    return RecordView(
        kind="opportunity",
        id=opportunity.id,
        title=str(opportunity),
        fields=(
            ("Topic", opportunity.topic),
            ("Stage", Stage(opportunity.stage).label),
            ("Status", OpportunityStatus(opportunity.status_reason).label),
            ("Estimated value", money(opportunity.estimated_value)),
            ("Est. close date", _day(opportunity.estimated_close_date)),
            *(
                ()
                if opportunity.is_open
                else (
                    ("Actual revenue", money(opportunity.actual_revenue)),
                    ("Close date", _day(opportunity.actual_close_date)),
                    ("Competitor", opportunity.competitor),
                )
            ),
            ("Customer need", opportunity.customer_need),
            ("Proposed solution", opportunity.proposed_solution),
            ("Account", str(account) if account is not None else ""),
            ("Contact", str(contact) if contact is not None else ""),
            ("From lead", lead[0].label if lead else ""),
            ("Owner", _name(opportunity.owner) if opportunity.owner_id else ""),
            ("Created (UTC)", opportunity.created_at),
        ),
        related=tuple(related),  # type: ignore[arg-type]
        notes=note_views(opportunity),
        history=history_entries("opportunity", opportunity.id),
        stage=opportunity.stage,
        steps=MappingProxyType(opportunity.stage_filled()),
        closed=_closed(opportunity),
    )


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else ""


def _closed(opportunity: Opportunity) -> str:
    if opportunity.is_open:
        return ""
    state = OpportunityState(opportunity.state).label
    if opportunity.state == OpportunityState.WON:
        return state
    return f"{state} ({OpportunityStatus(opportunity.status_reason).label})"


RECORD_VIEWS = {
    "account": account_view,
    "contact": contact_view,
    "opportunity": opportunity_view,
}


def with_actions(view: RecordView, user: User) -> RecordView:
    """`view` with what `user` may do to its record (`actions`), so that a screen
    dims what the rules refuse and says why (one more read of the record)."""
    from dataclasses import replace

    found = decisions(user, get_record(view.kind, view.id))
    return replace(view, actions=MappingProxyType(found))


def record_view_for(user: User, kind: str, record_id: int) -> RecordView:
    """`record_view` with `actions` for `user` (`with_actions`)."""
    return with_actions(record_view(kind, record_id), user)


def record_view(kind: str, record_id: int) -> RecordView:
    """The view of an account, contact or opportunity by kind."""
    return RECORD_VIEWS[kind](record_id)


# Qualifying processes.
@dataclass(frozen=True)
class TreeRow:
    """One line of a process's hierarchy as the processes screen shows it."""

    kind: str  # "level" or "activity"
    id: int
    level_id: int
    parent_level_id: int | None
    depth: int
    name: str  # the level's name or the activity's purpose
    required: bool = False
    days_to_start: int = 0
    days_to_finish: int = 0
    role_label: str = ""


@dataclass(frozen=True)
class ProcessesView:
    """The processes screen: the feature switch, who may edit, every process, and the
    hierarchy of the selected one (`process_id`, or None when there is none)."""

    feature_on: bool
    editable: bool
    processes: tuple[ProcessSummary, ...] = ()
    process_id: int | None = None
    tree: tuple[TreeRow, ...] = ()

    @property
    def process(self) -> ProcessSummary | None:
        return next((p for p in self.processes if p.id == self.process_id), None)


def _tree_row(row: OutlineRow) -> TreeRow:
    level = row.level
    if row.activity is None:
        return TreeRow("level", level.id, level.id, level.parent_id, row.depth, level.name)
    a = row.activity
    return TreeRow(
        "activity",
        a.id,
        level.id,
        level.parent_id,
        row.depth,
        a.purpose,
        a.required,
        a.days_to_start,
        a.days_to_finish,
        a.role_label,
    )


def process_tree(process_id: int) -> tuple[TreeRow, ...]:
    """The process's levels and activities depth-first (two queries)."""
    return tuple(_tree_row(row) for row in process_outline(process_id))


def processes_view(user: User, process_id: int | None = None) -> ProcessesView:
    """What the processes screen shows for `user`, with `process_id` selected (or the
    first process when it is gone or None). Nine queries with the feature on."""
    settings = load_settings()
    editable = settings.lead_qualifying_process and can_define_processes(user)
    if not settings.lead_qualifying_process:
        return ProcessesView(False, False)
    processes = tuple(list_processes())
    ids = [p.id for p in processes]
    selected = process_id if process_id in ids else (ids[0] if ids else None)
    tree = process_tree(selected) if selected is not None else ()
    return ProcessesView(True, editable, processes, selected, tree)


@dataclass(frozen=True)
class ProcessItem:
    """A level or an activity as its edit form starts: the stored values."""

    kind: str  # "level" or "activity"
    id: int
    level_id: int
    name: str  # the level's name or the activity's purpose
    required: bool = True
    days_to_start: int = 0
    days_to_finish: int = 0
    responsible_role: str = ""


def process_item(kind: str, item_id: int) -> ProcessItem:
    """One level or activity to edit, remove or add under (one query)."""
    if kind == "level":
        level = ProcessLevel.get_or_none(ProcessLevel.id == item_id)
        if level is None:
            raise NotFound("This level no longer exists; someone may have removed it.")
        return ProcessItem("level", level.id, level.id, level.name)
    if kind == "activity":
        activity = ProcessActivity.get_or_none(ProcessActivity.id == item_id)
        if activity is None:
            raise NotFound("This activity no longer exists; someone may have removed it.")
        return ProcessItem(
            "activity",
            activity.id,
            activity.level_id,
            activity.purpose,
            activity.required,
            activity.days_to_start,
            activity.days_to_finish,
            activity.responsible_role,
        )
    raise ValueError(f"kind must be 'level' or 'activity', not {kind!r}")
