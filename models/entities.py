"""The Peewee models. Relationship queries and query scopes live on the models;
the rules that change several records live in the service modules."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from peewee import (
    JOIN,
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from . import normalize, prepared
from .db import database_proxy
from .enums import (
    STAGE_STEPS,
    LeadState,
    OpportunityState,
    OpportunityStatus,
    Role,
    Stage,
    StatusReason,
)
from .setting_defs import SETTINGS_BY_KEY, OrgSettings

OPPORTUNITY_STEP_KEYS: tuple[str, ...] = tuple(
    key for steps in STAGE_STEPS.values() for key, _ in steps
)


def utcnow() -> dt.datetime:
    """Naive UTC, the same on SQLite and PostgreSQL."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class KeyField(TextField):
    """A normalised duplicate-detection key (see normalize.py): indexed, None when
    blank, unbounded text because a key can be longer than its source field."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(null=True, index=True, **kwargs)


class BaseModel(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class User(BaseModel):
    username = CharField(max_length=64, unique=True)
    full_name = CharField(max_length=200)
    role = CharField(max_length=32, default=Role.SALESPERSON)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == Role.SYSTEM_ADMINISTRATOR

    @property
    def role_label(self) -> str:
        return Role(self.role).label


class UserKey(BaseModel):
    """An SSH public key that signs its user in to `leadq serve`."""

    user = ForeignKeyField(User, backref="keys", on_delete="CASCADE")
    public_key = TextField()
    fingerprint = CharField(max_length=128, index=True)
    added_at = DateTimeField(default=utcnow)


class AddressMixin(Model):
    street1 = CharField(max_length=250, default="")
    street2 = CharField(max_length=250, default="")
    street3 = CharField(max_length=250, default="")
    city = CharField(max_length=80, default="")
    state_province = CharField(max_length=80, default="")
    postal_code = CharField(max_length=20, default="")
    country = CharField(max_length=80, default="")

    def address_lines(self) -> list[str]:
        place = " ".join(p for p in (self.postal_code, self.city) if p)
        lines = [self.street1, self.street2, self.street3, place, self.state_province, self.country]
        return [line for line in lines if line]


class RecordWithKeys(Model):
    """A record with duplicate-detection keys and notes (account, contact, lead)."""

    def refresh_keys(self, region: str) -> None:
        raise NotImplementedError

    def save(self, *args: Any, region: str | None = None, **kwargs: Any) -> int:
        """Save with fresh duplicate keys (`region`: the phone region when the caller
        has just read the settings; else it is read here)."""
        if getattr(self, "merged_into_id", None) is None:  # a merged record matches nothing
            self.refresh_keys(region or phone_region())
        self.modified_at = utcnow()
        return super().save(*args, **kwargs)


class HasNotes(Model):
    def notes_for_display(self) -> list[Note]:
        """The notes this record shows, newest first (see `Note.shown_on`)."""
        return list(
            Note.select()
            .where(Note.shown_on(self))
            .order_by(Note.created_at.desc(), Note.id.desc())
        )


class Account(BaseModel, AddressMixin, RecordWithKeys, HasNotes):
    name = CharField(max_length=160)
    website = CharField(max_length=200, default="")
    phone = CharField(max_length=50, default="")
    owner = ForeignKeyField(User, null=True, backref="accounts", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    modified_at = DateTimeField(default=utcnow)
    name_key = KeyField()
    domain_key = KeyField()
    phone_key = KeyField()
    merged_into = ForeignKeyField("self", null=True, backref="merged", on_delete="SET NULL")
    name_sort = CharField(max_length=normalize.SORT_KEY_MAX, default="")

    class Meta:
        indexes = ((("name_sort", "id"), False),)

    def __str__(self) -> str:
        return self.name

    def refresh_keys(self, region: str) -> None:
        self.name_key = normalize.company_key(self.name)
        self.domain_key = normalize.website_domain(self.website)
        self.phone_key = normalize.phone_key(self.phone, region)
        self.name_sort = normalize.sort_key(self.name)


class Contact(BaseModel, AddressMixin, RecordWithKeys, HasNotes):
    first_name = CharField(max_length=50, default="")
    last_name = CharField(max_length=50)
    job_title = CharField(max_length=100, default="")
    phone = CharField(max_length=50, default="")
    mobile_phone = CharField(max_length=50, default="")
    email = CharField(max_length=254, default="")
    account = ForeignKeyField(Account, null=True, backref="contacts", on_delete="SET NULL")
    owner = ForeignKeyField(User, null=True, backref="contacts", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    modified_at = DateTimeField(default=utcnow)
    email_key = KeyField()
    phone_key = KeyField()
    person_key = KeyField()
    merged_into = ForeignKeyField("self", null=True, backref="merged", on_delete="SET NULL")
    name_sort = CharField(max_length=normalize.SORT_KEY_MAX, default="")

    class Meta:
        indexes = ((("name_sort", "id"), False),)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def __str__(self) -> str:
        return self.full_name

    def refresh_keys(self, region: str) -> None:
        self.email_key = normalize.email_key(self.email)
        self.phone_key = normalize.phone_key(self.phone, region)
        self.person_key = normalize.person_key(self.first_name, self.last_name)
        self.name_sort = normalize.sort_key(self.last_name, self.first_name)


class ImportBatch(BaseModel):
    """One run of a lead import (see `models.importing`): undone as a whole."""

    created_at = DateTimeField(default=utcnow)
    actor = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    file_name = CharField(max_length=255)
    policy = CharField(max_length=16)  # skip | create | update
    state = CharField(max_length=16, default="running")  # see importing.BatchState
    encoding = CharField(max_length=32, default="")
    delimiter = CharField(max_length=4, default="")
    rows_read = IntegerField(default=0)
    created_count = IntegerField(default=0)
    updated_count = IntegerField(default=0)
    skipped_count = IntegerField(default=0)
    rejected_count = IntegerField(default=0)
    message = TextField(default="")
    finished_at = DateTimeField(null=True)
    undone_at = DateTimeField(null=True)
    undone_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")


LEAD_KEY_FIELDS = (
    "email_key",
    "company_key",
    "domain_key",
    "phone_key",
    "person_key",
    "name_sort",
)


def lead_keys(values: dict[str, Any], region: str) -> dict[str, str | None]:
    """The normalised keys of a lead given its field values (used by bulk inserts too):
    the duplicate-detection keys and `name_sort`, what the name sort orders by."""
    return {
        "email_key": normalize.email_key(values.get("email")),
        "company_key": normalize.company_key(values.get("company")),
        "domain_key": normalize.website_domain(values.get("website")),
        "phone_key": normalize.phone_key(values.get("business_phone"), region),
        "person_key": normalize.person_key(values.get("first_name"), values.get("last_name")),
        "name_sort": normalize.sort_key(values.get("last_name"), values.get("first_name")),
    }


class Lead(BaseModel, AddressMixin, RecordWithKeys, HasNotes):
    topic = CharField(max_length=300)
    first_name = CharField(max_length=50, default="")
    last_name = CharField(max_length=50)
    job_title = CharField(max_length=100, default="")
    business_phone = CharField(max_length=50, default="")
    mobile_phone = CharField(max_length=50, default="")
    email = CharField(max_length=254, default="")
    company = CharField(max_length=160, default="")
    website = CharField(max_length=200, default="")
    rating = CharField(max_length=16, default="warm")
    lead_source = CharField(max_length=32, null=True)
    owner = ForeignKeyField(User, null=True, backref="leads", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow, index=True)
    modified_at = DateTimeField(default=utcnow)

    # Qualify stage.
    existing_account = ForeignKeyField(
        Account, null=True, backref="leads_naming_it", on_delete="SET NULL"
    )
    existing_contact = ForeignKeyField(
        Contact, null=True, backref="leads_naming_it", on_delete="SET NULL"
    )
    purchase_timeframe = CharField(max_length=16, null=True)
    estimated_budget = DecimalField(max_digits=15, decimal_places=2, null=True)
    purchase_process = CharField(max_length=16, null=True)
    decision_maker_identified = BooleanField(default=False)
    summary = TextField(default="")

    # Status.
    # Indexed with each list sort: (state, sort column, id), migration 0008.
    state = CharField(max_length=16, default=LeadState.OPEN)
    status_reason = CharField(max_length=32, default=StatusReason.NEW)
    stage = CharField(max_length=16, default=Stage.QUALIFY)
    closed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    closed_at = DateTimeField(null=True)

    # What qualifying created or linked.
    account = ForeignKeyField(Account, null=True, backref="leads", on_delete="SET NULL")
    contact = ForeignKeyField(Contact, null=True, backref="leads", on_delete="SET NULL")

    # The import that created the lead (undo removes it).
    import_batch = ForeignKeyField(ImportBatch, null=True, backref="leads", on_delete="SET NULL")

    # Closed by a merge into this lead (status reason `merged`).
    merged_into = ForeignKeyField("self", null=True, backref="merged", on_delete="SET NULL")

    # Duplicate-detection keys.
    email_key = KeyField()
    company_key = KeyField()
    domain_key = KeyField()
    phone_key = KeyField()
    person_key = KeyField()
    name_sort = CharField(max_length=normalize.SORT_KEY_MAX, default="")

    class Meta:
        # The list's views and sorts have their own indexes (migration 0008).
        indexes = (
            (("last_name", "first_name"), False),
            (("name_sort", "id"), False),
            (("company",), False),
            (("topic",), False),
        )

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def __str__(self) -> str:
        return f"{self.full_name} ({self.topic})"

    @property
    def is_open(self) -> bool:
        return self.state == LeadState.OPEN

    def refresh_keys(self, region: str) -> None:
        values = {name: getattr(self, name) for name in LEAD_FORM_FIELDS}
        for key, value in lead_keys(values, region).items():
            setattr(self, key, value)

    # Relationship queries.
    def opportunities(self) -> list[Opportunity]:
        return list(
            Opportunity.select()
            .where(Opportunity.originating_lead == self)
            .order_by(Opportunity.id.desc())
        )

    def opportunity(self) -> Opportunity | None:
        """The latest opportunity qualifying created from this lead."""
        return (
            Opportunity.select()
            .where(Opportunity.originating_lead == self)
            .order_by(Opportunity.id.desc())
            .first()
        )

    def history(self) -> list[AuditEvent]:
        return AuditEvent.for_record("lead", self.id)

    def qualify_stage_filled(self) -> dict[str, bool]:
        """Which Qualify-stage steps have a value (for the stage bar)."""
        # After qualifying, the contact and account it made or linked fill the steps.
        return {
            "existing_contact": self.existing_contact_id is not None or self.contact_id is not None,
            "existing_account": self.existing_account_id is not None or self.account_id is not None,
            "purchase_timeframe": bool(self.purchase_timeframe),
            "estimated_budget": self.estimated_budget is not None,
            "purchase_process": bool(self.purchase_process),
            "decision_maker_identified": bool(self.decision_maker_identified),
            "summary": bool((self.summary or "").strip()),
        }

    # Query scopes.
    @classmethod
    def open(cls) -> Any:
        return cls.select().where(cls.state == LeadState.OPEN)


# Fields a user edits on the lead form (and that `update_lead` accepts).
LEAD_FORM_FIELDS: tuple[str, ...] = (
    "topic",
    "first_name",
    "last_name",
    "job_title",
    "business_phone",
    "mobile_phone",
    "email",
    "company",
    "website",
    "street1",
    "street2",
    "street3",
    "city",
    "state_province",
    "postal_code",
    "country",
    "rating",
    "lead_source",
    "purchase_timeframe",
    "estimated_budget",
    "purchase_process",
    "decision_maker_identified",
    "summary",
)


class Opportunity(BaseModel, HasNotes):
    topic = CharField(max_length=300)
    account = ForeignKeyField(Account, null=True, backref="opportunities", on_delete="SET NULL")
    contact = ForeignKeyField(Contact, null=True, backref="opportunities", on_delete="SET NULL")
    estimated_value = DecimalField(max_digits=15, decimal_places=2, null=True)
    estimated_close_date = DateField(null=True)
    stage = CharField(max_length=16, default=Stage.DEVELOP)
    originating_lead = ForeignKeyField(
        Lead, null=True, backref="originated_opportunities", on_delete="SET NULL"
    )
    owner = ForeignKeyField(User, null=True, backref="opportunities", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    modified_at = DateTimeField(default=utcnow)

    # The steps of the Develop, Propose and Close stages (see `enums.STAGE_STEPS`).
    customer_need = TextField(default="")
    proposed_solution = TextField(default="")
    final_decision_date = DateField(null=True)
    steps_done = TextField(default="")
    """The keys of the yes/no steps that are done, comma-separated."""

    # Closing: won (actual revenue, close date) or lost (reason, competitor).
    state = CharField(max_length=16, default=OpportunityState.OPEN)
    status_reason = CharField(max_length=32, default=OpportunityStatus.IN_PROGRESS)
    actual_revenue = DecimalField(max_digits=15, decimal_places=2, null=True)
    actual_close_date = DateField(null=True)
    competitor = CharField(max_length=100, default="")
    close_description = TextField(default="")
    closed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    closed_at = DateTimeField(null=True)
    name_sort = CharField(max_length=normalize.SORT_KEY_MAX, default="")

    class Meta:
        indexes = ((("state", "stage"), False), (("name_sort", "id"), False))

    def __str__(self) -> str:
        return self.topic

    @property
    def is_open(self) -> bool:
        return self.state == OpportunityState.OPEN

    def done_steps(self) -> set[str]:
        return {key for key in (self.steps_done or "").split(",") if key}

    def stage_filled(self) -> dict[str, bool]:
        """Which steps of the opportunity's stages have a value (for the stage bar)."""
        done = self.done_steps()
        return {
            **{key: key in done for key in OPPORTUNITY_STEP_KEYS},
            "customer_need": bool((self.customer_need or "").strip()),
            "proposed_solution": bool((self.proposed_solution or "").strip()),
            "final_decision_date": self.final_decision_date is not None,
        }

    def history(self) -> list[AuditEvent]:
        return AuditEvent.for_record("opportunity", self.id)


class Note(BaseModel):
    """A note on exactly one record, with an optional attached file."""

    text = TextField(default="")
    attachment_name = CharField(max_length=255, null=True)
    attachment_data = BlobField(null=True)
    author = ForeignKeyField(User, null=True, backref="notes", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow, index=True)
    lead = ForeignKeyField(Lead, null=True, backref="notes", on_delete="CASCADE")
    account = ForeignKeyField(Account, null=True, backref="notes", on_delete="CASCADE")
    contact = ForeignKeyField(Contact, null=True, backref="notes", on_delete="CASCADE")
    opportunity = ForeignKeyField(Opportunity, null=True, backref="notes", on_delete="CASCADE")

    @classmethod
    def shown_on(cls, target: BaseModel) -> Any:
        """Which notes a record shows: its own and, on an opportunity, those of the
        lead it came from (carried over by reference, so none is ever lost; they
        are told apart by `is_from_lead_of`)."""
        if isinstance(target, Opportunity):
            where = cls.opportunity == target.id
            if target.originating_lead_id is not None:
                where |= cls.lead == target.originating_lead_id
            return where
        column = {Lead: cls.lead, Account: cls.account, Contact: cls.contact}[type(target)]
        return column == target.id

    @property
    def attachment_size(self) -> int:
        return len(self.attachment_data or b"")

    def is_from_lead_of(self, opportunity: Opportunity) -> bool:
        return self.lead_id is not None and self.lead_id == opportunity.originating_lead_id


class AuditEvent(BaseModel):
    at = DateTimeField(default=utcnow)
    actor = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    action = CharField(max_length=48)
    entity_type = CharField(max_length=32)
    entity_id = IntegerField(null=True)
    summary = TextField(default="")

    class Meta:
        indexes = ((("entity_type", "entity_id"), False),)

    @classmethod
    def for_record(cls, entity_type: str, entity_id: int) -> list[AuditEvent]:
        """One record's events, newest first, with `actor` loaded in the same query."""
        return list(
            cls.select(cls, User)
            .join(User, JOIN.LEFT_OUTER, on=(cls.actor == User.id))
            .where((cls.entity_type == entity_type) & (cls.entity_id == entity_id))
            .order_by(cls.at.desc(), cls.id.desc())
        )


class ImportUpdate(BaseModel):
    """Fields an import filled on an existing lead: `changes` is JSON
    {field: [before, after]} in the fields' stored form, for undo."""

    batch = ForeignKeyField(ImportBatch, backref="updates", on_delete="CASCADE")
    lead = ForeignKeyField(Lead, backref="+", on_delete="CASCADE")
    changes = TextField()


class Setting(BaseModel):
    """One org-wide setting; the value is stored as text (see `settings.py`)."""

    key = CharField(max_length=64, primary_key=True)
    value = TextField()
    modified_at = DateTimeField(default=utcnow)
    modified_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")


# Reading the settings (changing them is `settings.change_setting`).
_SELECT_SETTINGS = prepared.Prepared(lambda: Setting.select(Setting.key, Setting.value))


# The stored rows last read and the settings made of them (one pair per process).
_last_read: tuple[tuple, OrgSettings] = ((), OrgSettings())


def load_settings() -> OrgSettings:
    """The current settings, read from the database.

    Every call reads the rows (one small query, compiled once), so a change made in
    any process applies at once; only turning unchanged rows into `OrgSettings`
    again is skipped, by comparing them with the rows read last time.
    """
    global _last_read
    rows = tuple(_SELECT_SETTINGS.run({}).fetchall())
    last_rows, last_settings = _last_read
    if rows == last_rows:
        return last_settings
    stored = {key: json.loads(value) for key, value in rows}
    settings = OrgSettings(**{k: v for k, v in stored.items() if k in SETTINGS_BY_KEY})
    _last_read = (rows, settings)
    return settings


def phone_region() -> str:
    return load_settings().phone_region


# What each record is called in a sentence ("This account no longer exists").
KINDS: dict[type, str] = {
    Lead: "lead",
    Account: "account",
    Contact: "contact",
    Opportunity: "opportunity",
}


ALL_MODELS: tuple[type[BaseModel], ...] = (
    User,
    UserKey,
    Account,
    Contact,
    Lead,
    Opportunity,
    Note,
    AuditEvent,
    Setting,
    ImportBatch,
    ImportUpdate,
)
