"""The qualifying process models: processes, their levels and activities, and
the copies of them assigned to leads."""

from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from ..entities import BaseModel, Lead, User, utcnow
from ..enums import Role

NAME_MAX = 100
PURPOSE_MAX = 200
DAYS_MAX = 3650


class QualifyingProcess(BaseModel):
    name = CharField(max_length=NAME_MAX)
    name_key = CharField(max_length=NAME_MAX, unique=True)
    description = TextField(default="")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    modified_at = DateTimeField(default=utcnow)

    def __str__(self) -> str:
        return self.name


class ProcessLevel(BaseModel):
    process = ForeignKeyField(QualifyingProcess, backref="levels", on_delete="CASCADE")
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="CASCADE")
    name = CharField(max_length=NAME_MAX)
    position = IntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class ProcessActivity(BaseModel):
    process = ForeignKeyField(QualifyingProcess, backref="activities", on_delete="CASCADE")
    level = ForeignKeyField(ProcessLevel, backref="activities", on_delete="CASCADE")
    purpose = CharField(max_length=PURPOSE_MAX)
    required = BooleanField(default=True)
    days_to_start = IntegerField(default=0)
    days_to_finish = IntegerField(default=0)
    responsible_role = CharField(max_length=32, default=Role.SALESPERSON)
    position = IntegerField(default=0)

    def __str__(self) -> str:
        return self.purpose

    @property
    def role_label(self) -> str:
        return Role(self.responsible_role).label


class LeadProcess(BaseModel):
    """The qualifying process assigned to a lead (at most one per lead)."""

    lead = ForeignKeyField(Lead, unique=True, backref="+", on_delete="CASCADE")
    process = ForeignKeyField(QualifyingProcess, backref="assignments", on_delete="RESTRICT")
    process_name = CharField(max_length=NAME_MAX)
    assigned_on = DateField()
    assigned_at = DateTimeField(default=utcnow)
    assigned_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")


class LeadActivity(BaseModel):
    """One activity on a lead: a copy of the process activity made at assignment."""

    lead = ForeignKeyField(Lead, backref="+", on_delete="CASCADE")
    lead_process = ForeignKeyField(LeadProcess, backref="activities", on_delete="CASCADE")
    source_activity_id = IntegerField(null=True)
    level_name = CharField(max_length=NAME_MAX)
    level_path = TextField()
    level_depth = IntegerField(default=0)
    purpose = CharField(max_length=PURPOSE_MAX)
    required = BooleanField(default=True)
    responsible_role = CharField(max_length=32, default=Role.SALESPERSON)
    due_start = DateField()
    due_finish = DateField()
    position = IntegerField(default=0)
    done = BooleanField(default=False)
    done_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    done_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("lead", "position"), False),)

    @property
    def role_label(self) -> str:
        return Role(self.responsible_role).label


PROCESS_MODELS: tuple[type[BaseModel], ...] = (
    QualifyingProcess,
    ProcessLevel,
    ProcessActivity,
    LeadProcess,
    LeadActivity,
)
