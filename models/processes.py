"""Lead qualifying processes (the Dynamics AX 2012 *lead qualifying process* key).

An administrator defines qualifying processes: a named hierarchy of levels
(levels may nest) holding activities (purpose, required or not, days to start and
to finish, responsible role). A process is assigned to a lead; its activities are
then copied onto the lead with due dates counted from the assignment date, and a
rep checks them off. While required activities are open, qualifying the lead is
refused (see `open_required_activities`, called by `qualify.py`).

Everything here obeys the org setting `lead_qualifying_process`. Off: nothing can
be defined, assigned or checked off and nothing blocks qualifying, but the data
is kept, so switching the feature on again brings it all back.

Decisions where the specification is silent:

- Days to start and days to finish both count from the assignment date
  (due start = assigned on + days to start, due finish = assigned on + days to
  finish), so days to finish is never less than days to start.
- A copy is named "Copy of X" and is inactive, so it can be edited before anyone
  can assign it.
- A process that is assigned to any lead cannot be deleted (deactivate it
  instead): the leads' activities came from it.
- Assigning a process to a lead that already has one replaces the lead's
  activities with fresh copies, unless some are already done: then it is refused,
  so that no check-off is silently thrown away. The lead's activities are copies,
  so later edits of the process never change leads it was assigned to.
- Any user may assign a process and check activities off (the responsible role
  says who is expected to do an activity; it does not restrict who may tick it).
  A closed lead is read-only: its activities cannot change until it is reactivated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    TextField,
    fn,
)

from .audit import record
from .entities import BaseModel, Lead, User, utcnow
from .enums import Role
from .errors import LeadqError, NotFound, PermissionDenied, ValidationError, no_raw_errors
from .locks import locked_open_lead
from .settings import load_settings

NAME_MAX = 100
PURPOSE_MAX = 200
DAYS_MAX = 3650


# Models.
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


class FeatureOff(LeadqError):
    """The lead qualifying process feature is switched off."""


class ProcessRefused(LeadqError):
    """A change to a qualifying process, or an assignment, is not allowed."""


def _activities(count: int) -> str:
    return f"{count} activit{'y' if count == 1 else 'ies'}"


# Guards.
def feature_enabled() -> bool:
    """Whether the org setting `lead_qualifying_process` is on."""
    return load_settings().lead_qualifying_process


def _require_feature() -> None:
    if not feature_enabled():
        raise FeatureOff(
            "The lead qualifying process feature is off; "
            "an administrator can switch it on in Settings."
        )


def can_define_processes(user: User) -> bool:
    return user.is_admin


def _require_admin(actor: User) -> None:
    if not can_define_processes(actor):
        raise PermissionDenied(
            "Only a system administrator can define qualifying processes; "
            f"{actor} is a {actor.role_label}."
        )


def _process(process_id: int | QualifyingProcess) -> QualifyingProcess:
    pid = process_id.id if isinstance(process_id, QualifyingProcess) else process_id
    process = QualifyingProcess.get_or_none(QualifyingProcess.id == pid)
    if process is None:
        raise NotFound("This qualifying process no longer exists; someone may have deleted it.")
    return process


def _level(level_id: int) -> ProcessLevel:
    level = ProcessLevel.get_or_none(ProcessLevel.id == level_id)
    if level is None:
        raise NotFound("This level no longer exists; someone may have removed it.")
    return level


def _activity(activity_id: int) -> ProcessActivity:
    activity = ProcessActivity.get_or_none(ProcessActivity.id == activity_id)
    if activity is None:
        raise NotFound("This activity no longer exists; someone may have removed it.")
    return activity


def _touch(process: QualifyingProcess) -> None:
    QualifyingProcess.update(modified_at=utcnow()).where(
        QualifyingProcess.id == process.id
    ).execute()


# Validation.
def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _clean_name(name: Any, field: str = "name", label: str = "A name") -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise ValidationError({field: f"{label} is required."})
    if len(text) > NAME_MAX:
        raise ValidationError({field: f"{label} is at most {NAME_MAX} characters."})
    return text


def _check_unique_name(name: str, exclude_id: int | None = None) -> None:
    query = QualifyingProcess.select().where(QualifyingProcess.name_key == _name_key(name))
    if exclude_id is not None:
        query = query.where(QualifyingProcess.id != exclude_id)
    if query.exists():
        raise ValidationError({"name": f"A qualifying process called {name!r} already exists."})


def _clean_days(value: Any, field: str, label: str, errors: dict[str, str]) -> int:
    try:
        days = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        errors[field] = f"{label} is a whole number of days."
        return 0
    if isinstance(value, bool) or days < 0 or days > DAYS_MAX:
        errors[field] = f"{label} is between 0 and {DAYS_MAX} days."
    return days


def clean_activity_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Check an activity's fields; raise ValidationError naming each bad one."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    purpose = " ".join(str(values.get("purpose") or "").split())
    if not purpose:
        errors["purpose"] = "The purpose is required."
    elif len(purpose) > PURPOSE_MAX:
        errors["purpose"] = f"The purpose is at most {PURPOSE_MAX} characters."
    clean["purpose"] = purpose
    clean["required"] = bool(values.get("required", True))
    start = _clean_days(values.get("days_to_start", 0), "days_to_start", "Days to start", errors)
    finish = _clean_days(
        values.get("days_to_finish", 0), "days_to_finish", "Days to finish", errors
    )
    if "days_to_start" not in errors and "days_to_finish" not in errors and finish < start:
        errors["days_to_finish"] = "Days to finish cannot be less than days to start."
    clean["days_to_start"], clean["days_to_finish"] = start, finish
    role = values.get("responsible_role", Role.SALESPERSON)
    if role not in set(Role):
        errors["responsible_role"] = "The responsible role is one of: " + ", ".join(
            r.label for r in Role
        )
    clean["responsible_role"] = str(role)
    if errors:
        raise ValidationError(errors)
    return clean


# Defining processes (administrators only, feature on).
def create_process(
    actor: User, name: str, description: str = "", *, active: bool = True
) -> QualifyingProcess:
    """Create an empty qualifying process."""
    _require_feature()
    _require_admin(actor)
    name = _clean_name(name)
    db = QualifyingProcess._meta.database
    try:
        with db.atomic():
            _check_unique_name(name)
            process = QualifyingProcess.create(
                name=name,
                name_key=_name_key(name),
                description=(description or "").strip(),
                active=active,
                created_by=actor,
            )
            record(actor, "process_created", process, f"Created qualifying process {name}")
    except IntegrityError:  # the same name created in another session meanwhile
        raise ValidationError(
            {"name": f"A qualifying process called {name!r} already exists."}
        ) from None
    return process


def update_process(
    actor: User, process_id: int, *, name: str | None = None, description: str | None = None
) -> QualifyingProcess:
    """Rename a process and/or change its description."""
    _require_feature()
    _require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        process = _process(process_id)
        changes = []
        if name is not None:
            name = _clean_name(name)
            if name != process.name:
                _check_unique_name(name, exclude_id=process.id)
                changes.append(f"renamed {process.name} to {name}")
                process.name, process.name_key = name, _name_key(name)
        if description is not None and description.strip() != process.description:
            process.description = description.strip()
            changes.append("changed the description")
        if changes:
            process.modified_at = utcnow()
            process.save()
            record(actor, "process_changed", process, f"Qualifying process: {'; '.join(changes)}")
    return process


def set_process_active(actor: User, process_id: int, active: bool) -> QualifyingProcess:
    """Activate or deactivate a process. An inactive process cannot be assigned;
    leads it is already assigned to keep their activities."""
    _require_feature()
    _require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        process = _process(process_id)
        if process.active != active:
            process.active = active
            process.modified_at = utcnow()
            process.save()
            verb = "Activated" if active else "Deactivated"
            record(actor, "process_changed", process, f"{verb} qualifying process {process.name}")
    return process


def activate_process(actor: User, process_id: int) -> QualifyingProcess:
    return set_process_active(actor, process_id, True)


def deactivate_process(actor: User, process_id: int) -> QualifyingProcess:
    return set_process_active(actor, process_id, False)


def _copy_name(name: str) -> str:
    base = f"Copy of {name}"[:NAME_MAX]
    candidate, n = base, 2
    while (
        QualifyingProcess.select()
        .where(QualifyingProcess.name_key == _name_key(candidate))
        .exists()
    ):
        suffix = f" ({n})"
        candidate = base[: NAME_MAX - len(suffix)] + suffix
        n += 1
    return candidate


def copy_process(actor: User, process_id: int, name: str | None = None) -> QualifyingProcess:
    """Copy a process with its levels and activities. The copy is named "Copy of X"
    (unless `name` is given) and is inactive until an administrator activates it."""
    _require_feature()
    _require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        source = _process(process_id)
        new_name = _clean_name(name) if name else _copy_name(source.name)
        _check_unique_name(new_name)
        copy = QualifyingProcess.create(
            name=new_name,
            name_key=_name_key(new_name),
            description=source.description,
            active=False,
            created_by=actor,
        )
        level_map: dict[int, ProcessLevel] = {}
        # Parents before children: walk the outline, which is depth-first.
        for row in process_outline(source.id):
            if row.kind == "level":
                level = row.level
                level_map[level.id] = ProcessLevel.create(
                    process=copy,
                    parent=level_map[level.parent_id] if level.parent_id else None,
                    name=level.name,
                    position=level.position,
                )
            else:
                a = row.activity
                ProcessActivity.create(
                    process=copy,
                    level=level_map[a.level_id],
                    purpose=a.purpose,
                    required=a.required,
                    days_to_start=a.days_to_start,
                    days_to_finish=a.days_to_finish,
                    responsible_role=a.responsible_role,
                    position=a.position,
                )
        record(
            actor, "process_created", copy, f"Copied qualifying process {source.name} as {new_name}"
        )
    return copy


def delete_process(actor: User, process_id: int) -> None:
    """Delete a process with its levels and activities. Refused while it is assigned
    to any lead (deactivate it instead)."""
    _require_feature()
    _require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        process = _process(process_id)
        count = LeadProcess.select().where(LeadProcess.process == process).count()
        if count:
            raise ProcessRefused(
                f"{process.name} is assigned to {count} lead(s) and cannot be deleted; "
                "deactivate it instead."
            )
        if load_settings().default_qualifying_process == str(process.id):
            raise ProcessRefused(
                f"{process.name} is the default process for new leads and cannot be deleted; "
                "choose another default first."
            )
        ProcessActivity.delete().where(ProcessActivity.process == process).execute()
        # Children first, so the self-reference never points at a deleted row.
        levels = ProcessLevel.select().where(ProcessLevel.process == process)
        for level in sorted(levels, key=lambda lv: -_depth(lv)):
            ProcessLevel.delete().where(ProcessLevel.id == level.id).execute()
        QualifyingProcess.delete().where(QualifyingProcess.id == process.id).execute()
        record(actor, "process_deleted", process, f"Deleted qualifying process {process.name}")


def _depth(level: ProcessLevel) -> int:
    depth, parent_id = 0, level.parent_id
    while parent_id is not None:
        depth += 1
        parent_id = ProcessLevel.get_by_id(parent_id).parent_id
    return depth


def _next_position(query: Any, column: Any) -> int:
    top = query.select(fn.MAX(column)).scalar()
    return (top if top is not None else -1) + 1


def add_level(
    actor: User, process_id: int, name: str, parent_id: int | None = None
) -> ProcessLevel:
    """Add a level at the end of the process's top levels, or under `parent_id`."""
    _require_feature()
    _require_admin(actor)
    name = _clean_name(name, label="A level name")
    db = QualifyingProcess._meta.database
    with db.atomic():
        process = _process(process_id)
        parent = None
        if parent_id is not None:
            parent = _level(parent_id)
            if parent.process_id != process.id:
                raise ValidationError({"parent": "The parent level belongs to another process."})
        siblings = ProcessLevel.select().where(
            (ProcessLevel.process == process)
            & (ProcessLevel.parent.is_null() if parent is None else ProcessLevel.parent == parent)
        )
        position = _next_position(siblings, ProcessLevel.position)
        level = ProcessLevel.create(process=process, parent=parent, name=name, position=position)
        where = f" under {parent.name}" if parent else ""
        record(actor, "process_changed", process, f"{process.name}: added level {name}{where}")
        _touch(process)
    return level


def rename_level(actor: User, level_id: int, name: str) -> ProcessLevel:
    _require_feature()
    _require_admin(actor)
    name = _clean_name(name, label="A level name")
    db = QualifyingProcess._meta.database
    with db.atomic():
        level = _level(level_id)
        if level.name != name:
            old, level.name = level.name, name
            level.save()
            record(
                actor,
                "process_changed",
                level.process,
                f"{level.process.name}: renamed level {old} to {name}",
            )
            _touch(level.process)
    return level


def remove_level(actor: User, level_id: int) -> None:
    """Remove a level with its sub-levels and their activities."""
    _require_feature()
    _require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        level = _level(level_id)
        process = level.process
        doomed: list[int] = []
        frontier = [level.id]
        while frontier:
            doomed.extend(frontier)
            frontier = [
                lv.id
                for lv in ProcessLevel.select(ProcessLevel.id).where(
                    ProcessLevel.parent.in_(frontier)
                )
            ]
        activities = ProcessActivity.delete().where(ProcessActivity.level.in_(doomed)).execute()
        for level_id_ in reversed(doomed):
            ProcessLevel.delete().where(ProcessLevel.id == level_id_).execute()
        record(
            actor,
            "process_changed",
            process,
            f"{process.name}: removed level {level.name} "
            f"({len(doomed) - 1} sub-level(s), {_activities(activities)})",
        )
        _touch(process)


def add_activity(actor: User, level_id: int, **values: Any) -> ProcessActivity:
    """Add an activity at the end of a level: purpose, required, days_to_start,
    days_to_finish, responsible_role."""
    _require_feature()
    _require_admin(actor)
    clean = clean_activity_fields(values)
    db = QualifyingProcess._meta.database
    with db.atomic():
        level = _level(level_id)
        siblings = ProcessActivity.select().where(ProcessActivity.level == level)
        position = _next_position(siblings, ProcessActivity.position)
        activity = ProcessActivity.create(
            process=level.process_id, level=level, position=position, **clean
        )
        process = level.process
        record(
            actor,
            "process_changed",
            process,
            f"{process.name}: added activity {clean['purpose']} to {level.name}",
        )
        _touch(process)
    return activity


def update_activity(actor: User, activity_id: int, **values: Any) -> ProcessActivity:
    """Change an activity's fields (those not given keep their value)."""
    _require_feature()
    _require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        activity = _activity(activity_id)
        current = {
            "purpose": activity.purpose,
            "required": activity.required,
            "days_to_start": activity.days_to_start,
            "days_to_finish": activity.days_to_finish,
            "responsible_role": activity.responsible_role,
        }
        clean = clean_activity_fields({**current, **values})
        changed = [k for k, v in clean.items() if current[k] != v]
        if changed:
            for key in changed:
                setattr(activity, key, clean[key])
            activity.save()
            process = activity.process
            labels = ", ".join(k.replace("_", " ") for k in changed)
            record(
                actor,
                "process_changed",
                process,
                f"{process.name}: changed {labels} of activity {activity.purpose}",
            )
            _touch(process)
    return activity


def remove_activity(actor: User, activity_id: int) -> None:
    _require_feature()
    _require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        activity = _activity(activity_id)
        process = activity.process
        ProcessActivity.delete().where(ProcessActivity.id == activity.id).execute()
        record(
            actor,
            "process_changed",
            process,
            f"{process.name}: removed activity {activity.purpose}",
        )
        _touch(process)


def move_item(actor: User, kind: str, item_id: int, delta: int) -> None:
    """Move a level or an activity up (delta -1) or down (+1) among its siblings."""
    _require_feature()
    _require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        if kind == "level":
            item = _level(item_id)
            model, scope = (
                ProcessLevel,
                (ProcessLevel.process == item.process_id)
                & (
                    ProcessLevel.parent.is_null()
                    if item.parent_id is None
                    else ProcessLevel.parent == item.parent_id
                ),
            )
        else:
            item = _activity(item_id)
            model, scope = ProcessActivity, ProcessActivity.level == item.level_id
        siblings = list(model.select().where(scope).order_by(model.position, model.id))
        index = next(i for i, s in enumerate(siblings) if s.id == item.id)
        target = index + delta
        if not 0 <= target < len(siblings):
            return
        siblings[index], siblings[target] = siblings[target], siblings[index]
        for position, sibling in enumerate(siblings):
            if sibling.position != position:
                model.update(position=position).where(model.id == sibling.id).execute()
        process = _process(item.process_id)
        what = item.name if kind == "level" else item.purpose
        record(
            actor,
            "process_changed",
            process,
            f"{process.name}: moved {what} {'up' if delta < 0 else 'down'}",
        )
        _touch(process)


# Reading processes.
@dataclass(frozen=True)
class ProcessSummary:
    id: int
    name: str
    description: str
    active: bool
    levels: int
    activities: int
    required: int
    leads: int
    is_default: bool


def list_processes(*, active_only: bool = False) -> list[ProcessSummary]:
    """Every process with its counts, by name."""
    query = QualifyingProcess.select().order_by(QualifyingProcess.name_key)
    if active_only:
        query = query.where(QualifyingProcess.active == True)  # noqa: E712
    processes = list(query)
    ids = [p.id for p in processes]

    def counts(model: Any, column: Any, where: Any = None) -> dict[int, int]:
        if not ids:
            return {}
        q = model.select(column, fn.COUNT(model.id)).where(column.in_(ids))
        if where is not None:
            q = q.where(where)
        return dict(q.group_by(column).tuples())

    levels = counts(ProcessLevel, ProcessLevel.process)
    activities = counts(ProcessActivity, ProcessActivity.process)
    required = counts(ProcessActivity, ProcessActivity.process, ProcessActivity.required == True)  # noqa: E712
    leads = counts(LeadProcess, LeadProcess.process)
    default = load_settings().default_qualifying_process
    return [
        ProcessSummary(
            id=p.id,
            name=p.name,
            description=p.description,
            active=p.active,
            levels=levels.get(p.id, 0),
            activities=activities.get(p.id, 0),
            required=required.get(p.id, 0),
            leads=leads.get(p.id, 0),
            is_default=default == str(p.id),
        )
        for p in processes
    ]


def get_process(process_id: int) -> QualifyingProcess:
    return _process(process_id)


@dataclass(frozen=True)
class OutlineRow:
    """One line of a process's hierarchy: a level or an activity, with its depth."""

    kind: str  # "level" or "activity"
    depth: int
    level: ProcessLevel
    activity: ProcessActivity | None = None
    path: tuple[str, ...] = ()

    @property
    def id(self) -> int:
        return self.activity.id if self.activity is not None else self.level.id


def process_outline(process_id: int) -> list[OutlineRow]:
    """The process's levels and activities depth-first, each level followed by its
    activities and then its sub-levels, in position order."""
    levels = list(
        ProcessLevel.select()
        .where(ProcessLevel.process == process_id)
        .order_by(ProcessLevel.position, ProcessLevel.id)
    )
    activities = list(
        ProcessActivity.select()
        .where(ProcessActivity.process == process_id)
        .order_by(ProcessActivity.position, ProcessActivity.id)
    )
    children: dict[int | None, list[ProcessLevel]] = {}
    for level in levels:
        children.setdefault(level.parent_id, []).append(level)
    by_level: dict[int, list[ProcessActivity]] = {}
    for activity in activities:
        by_level.setdefault(activity.level_id, []).append(activity)
    rows: list[OutlineRow] = []

    def walk(parent_id: int | None, depth: int, path: tuple[str, ...]) -> None:
        for level in children.get(parent_id, []):
            here = (*path, level.name)
            rows.append(OutlineRow("level", depth, level, None, here))
            for activity in by_level.get(level.id, []):
                rows.append(OutlineRow("activity", depth + 1, level, activity, here))
            walk(level.id, depth + 1, here)

    walk(None, 0, ())
    return rows


# Leads.
def _lead(lead_id: int | Lead) -> Lead:
    lid = lead_id.id if isinstance(lead_id, Lead) else lead_id
    lead = Lead.get_or_none(Lead.id == lid)
    if lead is None:
        raise NotFound("This lead no longer exists; someone may have deleted it.")
    return lead


def lead_process(lead_id: int | Lead) -> LeadProcess | None:
    """The process assignment of a lead, if any (whatever the feature setting)."""
    lid = lead_id.id if isinstance(lead_id, Lead) else lead_id
    return LeadProcess.get_or_none(LeadProcess.lead == lid)


def lead_activities(lead_id: int | Lead) -> list[LeadActivity]:
    """The lead's activities in process order (levels depth-first)."""
    lid = lead_id.id if isinstance(lead_id, Lead) else lead_id
    return list(
        LeadActivity.select()
        .where(LeadActivity.lead == lid)
        .order_by(LeadActivity.position, LeadActivity.id)
    )


def open_required_activities(lead: Lead | int) -> list[str]:
    """Purposes of the lead's required activities that are not done yet, in process
    order. Called by `qualify_lead` when the feature is on: any name blocks it."""
    lid = lead.id if isinstance(lead, Lead) else lead
    return [
        purpose
        for (purpose,) in LeadActivity.select(LeadActivity.purpose)
        .where(
            (LeadActivity.lead == lid)
            & (LeadActivity.required == True)  # noqa: E712
            & (LeadActivity.done == False)  # noqa: E712
        )
        .order_by(LeadActivity.position, LeadActivity.id)
        .tuples()
    ]


def _copy_activities(
    lead: Lead, assignment: LeadProcess, process: QualifyingProcess, on: dt.date
) -> int:
    rows = []
    for position, row in enumerate(r for r in process_outline(process.id) if r.activity):
        a = row.activity
        assert a is not None
        rows.append(
            {
                "lead": lead.id,
                "lead_process": assignment.id,
                "source_activity_id": a.id,
                "level_name": row.level.name,
                "level_path": " / ".join(row.path),
                "level_depth": row.depth - 1,
                "purpose": a.purpose,
                "required": a.required,
                "responsible_role": a.responsible_role,
                "due_start": on + dt.timedelta(days=a.days_to_start),
                "due_finish": on + dt.timedelta(days=a.days_to_finish),
                "position": position,
                "done": False,
            }
        )
    if rows:
        LeadActivity.insert_many(rows).execute()
    return len(rows)


def _assign(
    lead: Lead, process: QualifyingProcess, actor: User | None, on: dt.date, audit_prefix: str = ""
) -> LeadProcess:
    current = lead_process(lead)
    if current is not None:
        done = (
            LeadActivity.select()
            .where((LeadActivity.lead == lead.id) & (LeadActivity.done == True))  # noqa: E712
            .count()
        )
        if done:
            raise ProcessRefused(
                f"{_activities(done)} of {current.process_name} "
                "already done on this lead; reopen them before assigning another process."
            )
        LeadActivity.delete().where(LeadActivity.lead == lead.id).execute()
        LeadProcess.delete().where(LeadProcess.id == current.id).execute()
    assignment = LeadProcess.create(
        lead=lead,
        process=process,
        process_name=process.name,
        assigned_on=on,
        assigned_at=utcnow(),
        assigned_by=actor,
    )
    count = _copy_activities(lead, assignment, process, on)
    replaced = f" (replacing {current.process_name})" if current is not None else ""
    record(
        actor,
        "process_assigned",
        lead,
        f"{audit_prefix}Assigned qualifying process {process.name}{replaced}: "
        f"{_activities(count)}, due from {on:%Y-%m-%d}",
    )
    return assignment


@no_raw_errors
def assign_process(
    actor: User, lead_id: int, process_id: int, *, on: dt.date | None = None
) -> LeadProcess:
    """Assign a process to an open lead: its activities are copied onto the lead with
    due dates counted from `on` (default: today, UTC)."""
    _require_feature()
    db = Lead._meta.database
    try:
        with db.atomic():
            lead = locked_open_lead(lead_id, "assign a process to")
            process = _process(process_id)
            if not process.active:
                raise ProcessRefused(f"{process.name} is inactive and cannot be assigned.")
            return _assign(lead, process, actor, on or utcnow().date())
    except IntegrityError:
        # Another session assigned a process to this lead at the same moment.
        raise ProcessRefused(
            "Someone else just assigned a process to this lead; look at it again."
        ) from None


@no_raw_errors
def remove_process(actor: User, lead_id: int) -> None:
    """Take the qualifying process off an open lead, with its activities. Refused,
    as changing the process is, while some of its activities are done."""
    from .permissions import can
    from .records import locked

    db = Lead._meta.database
    with db.atomic():
        lead = locked(Lead, lead_id)
        can(actor, "remove_process", lead).enforce()
        current = lead_process(lead)
        assert current is not None  # the rule above says so
        done = (
            LeadActivity.select()
            .where((LeadActivity.lead == lead.id) & (LeadActivity.done == True))  # noqa: E712
            .count()
        )
        if done:
            raise ProcessRefused(
                f"{_activities(done)} of {current.process_name} already done on this lead; "
                "reopen them before removing the process."
            )
        LeadActivity.delete().where(LeadActivity.lead == lead.id).execute()
        LeadProcess.delete().where(LeadProcess.id == current.id).execute()
        record(actor, "process_removed", lead, f"Removed qualifying process {current.process_name}")


def apply_default_process(actor: User | None, lead: Lead) -> LeadProcess | None:
    """Assign the default process (setting `default_qualifying_process`) to a new
    lead, when the feature is on and that process exists and is active."""
    settings = load_settings()
    if not settings.lead_qualifying_process or not settings.default_qualifying_process:
        return None
    process = QualifyingProcess.get_or_none(
        QualifyingProcess.id == int(settings.default_qualifying_process)
    )
    if process is None or not process.active:
        return None
    return _assign(lead, process, actor, utcnow().date(), audit_prefix="By default: ")


def check_default_process(value: Any) -> str:
    """The stored form of the `default_qualifying_process` setting: a process id as
    text, or "" for none. The process must exist and be active."""
    text = str(value if value is not None else "").strip()
    if text in ("", "0"):
        return ""
    try:
        process_id = int(text)
    except ValueError:
        process = QualifyingProcess.get_or_none(QualifyingProcess.name_key == _name_key(text))
    else:
        process = QualifyingProcess.get_or_none(QualifyingProcess.id == process_id)
    if process is None:
        raise ValidationError(
            {"default_qualifying_process": f"There is no qualifying process {text!r}."}
        )
    if not process.active:
        raise ValidationError(
            {"default_qualifying_process": f"{process.name} is inactive and cannot be the default."}
        )
    return str(process.id)


def set_default_process(actor: User, process_id: int | None) -> None:
    """Make a process the default for new leads (None: no default). Admins only."""
    from .settings import change_setting

    _require_feature()
    change_setting(actor, "default_qualifying_process", str(process_id or ""))


@no_raw_errors
def set_activity_done(actor: User, activity_id: int, done: bool = True) -> LeadActivity:
    """Check an activity off (or reopen it), recording who and when on the activity
    and in the lead's history."""
    _require_feature()
    db = Lead._meta.database
    with db.atomic():
        gone = "This activity no longer exists; the lead's process may have changed."
        activity = LeadActivity.get_or_none(LeadActivity.id == activity_id)
        if activity is None:
            raise NotFound(gone)
        # The lead first (the lock order of every service), then the activity again:
        # a process assigned meanwhile may have replaced it.
        lead = locked_open_lead(activity.lead_id)
        activity = LeadActivity.get_or_none(LeadActivity.id == activity_id)
        if activity is None:
            raise NotFound(gone)
        if activity.done == done:
            return activity
        now = utcnow()
        won = (
            LeadActivity.update(
                done=done, done_by=actor if done else None, done_at=now if done else None
            )
            .where((LeadActivity.id == activity.id) & (LeadActivity.done == (not done)))
            .execute()
        )
        if not won:  # another session got there first
            return LeadActivity.get_by_id(activity_id)
        verb = "Checked off" if done else "Reopened"
        record(
            actor,
            "activity_done" if done else "activity_reopened",
            lead,
            f"{verb} activity {activity.purpose} ({activity.level_path})",
        )
    return LeadActivity.get_by_id(activity_id)


@no_raw_errors
def check_off_activity(actor: User, activity_id: int) -> LeadActivity:
    return set_activity_done(actor, activity_id, True)


@no_raw_errors
def reopen_activity(actor: User, activity_id: int) -> LeadActivity:
    return set_activity_done(actor, activity_id, False)


# (level, parent level, purpose, required, days to start, days to finish, role)
DEMO_ACTIVITIES = [
    ("Discovery", None, "Call the lead within a day", True, 0, 1, Role.SALESPERSON),
    ("Discovery", None, "Confirm company and contact role", True, 0, 3, Role.SALESPERSON),
    ("Needs", None, "Identify the need and the budget", True, 2, 7, Role.SALESPERSON),
    ("Needs", None, "Send product information", False, 2, 5, Role.SALESPERSON),
    ("Decision", None, "Identify the decision maker", True, 3, 10, Role.SALESPERSON),
    ("Review", "Decision", "Manager reviews the deal size", False, 7, 14, Role.SALES_MANAGER),
]


def seed_demo_process(
    actor: User,
    lead_ids: list[int] | tuple[int, ...] = (),
    *,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> QualifyingProcess:
    """Demo data: switch the feature on, create "Standard B2B qualification" (if
    missing) and assign it to `lead_ids` on `on`, checking off some activities so
    that every other lead is ready to qualify and the rest are blocked. With `at`,
    the assignment and check-off times are stamped `at` (deterministic seeds)."""
    from .settings import change_setting

    if not load_settings().lead_qualifying_process:
        change_setting(actor, "lead_qualifying_process", True)
    name = "Standard B2B qualification"
    process = QualifyingProcess.get_or_none(QualifyingProcess.name_key == _name_key(name))
    if process is None:
        process = create_process(
            actor, name, "Discovery, needs and decision: the checks before an opportunity."
        )
        levels: dict[str, ProcessLevel] = {}
        for level_name, parent, purpose, required, start, finish, role in DEMO_ACTIVITIES:
            if level_name not in levels:
                parent_id = levels[parent].id if parent else None
                levels[level_name] = add_level(actor, process.id, level_name, parent_id)
            add_activity(
                actor,
                levels[level_name].id,
                purpose=purpose,
                required=required,
                days_to_start=start,
                days_to_finish=finish,
                responsible_role=role,
            )
    for i, lead_id in enumerate(lead_ids):
        lead = Lead.get_or_none(Lead.id == lead_id)
        if lead is None or not lead.is_open:
            continue
        assign_process(actor, lead_id, process.id, on=on)
        # Every other lead has everything required done: ready to qualify.
        for activity in lead_activities(lead_id)[: (6 if i % 2 == 0 else 1)]:
            if activity.required or i % 2 == 0:
                set_activity_done(actor, activity.id, True)
    if at is not None and lead_ids:
        LeadProcess.update(assigned_at=at).where(LeadProcess.lead.in_(lead_ids)).execute()
        LeadActivity.update(done_at=at).where(
            LeadActivity.lead.in_(lead_ids) & (LeadActivity.done == True)  # noqa: E712
        ).execute()
    return process
