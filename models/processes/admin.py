"""Defining qualifying processes: administrators only, feature on."""

from __future__ import annotations

from typing import Any

from peewee import (
    IntegrityError,
    fn,
)

from ..audit import record
from ..entities import User, utcnow
from ..errors import ValidationError, no_raw_errors
from ..roles import DEFINE_PROCESSES, admin_only
from ..settings import change_setting, load_settings
from .errors import ProcessRefused
from .models import (
    NAME_MAX,
    LeadProcess,
    ProcessActivity,
    ProcessLevel,
    QualifyingProcess,
)
from .reading import (
    activities_text,
    find_activity,
    find_level,
    find_process,
    process_outline,
    require_feature,
    touch,
)
from .validation import (
    check_unique_name,
    clean_activity_fields,
    clean_name,
    name_key,
)


def require_admin(actor: User) -> None:
    admin_only(actor, DEFINE_PROCESSES).enforce()


# Defining processes (administrators only, feature on).
@no_raw_errors
def create_process(
    actor: User, name: str, description: str = "", *, active: bool = True
) -> QualifyingProcess:
    """Create an empty qualifying process."""
    require_feature()
    require_admin(actor)
    name = clean_name(name)
    db = QualifyingProcess._meta.database
    try:
        with db.atomic():
            check_unique_name(name)
            process = QualifyingProcess.create(
                name=name,
                name_key=name_key(name),
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


@no_raw_errors
def update_process(
    actor: User, process_id: int, *, name: str | None = None, description: str | None = None
) -> QualifyingProcess:
    """Rename a process and/or change its description."""
    require_feature()
    require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        process = find_process(process_id)
        changes = []
        if name is not None:
            name = clean_name(name)
            if name != process.name:
                check_unique_name(name, exclude_id=process.id)
                changes.append(f"renamed {process.name} to {name}")
                process.name, process.name_key = name, name_key(name)
        if description is not None and description.strip() != process.description:
            process.description = description.strip()
            changes.append("changed the description")
        if changes:
            process.modified_at = utcnow()
            process.save()
            record(actor, "process_changed", process, f"Qualifying process: {'; '.join(changes)}")
    return process


@no_raw_errors
def set_process_active(actor: User, process_id: int, active: bool) -> QualifyingProcess:
    """Activate or deactivate a process. An inactive process cannot be assigned;
    leads it is already assigned to keep their activities."""
    require_feature()
    require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        process = find_process(process_id)
        if process.active != active:
            process.active = active
            process.modified_at = utcnow()
            process.save()
            verb = "Activated" if active else "Deactivated"
            record(actor, "process_changed", process, f"{verb} qualifying process {process.name}")
    return process


@no_raw_errors
def activate_process(actor: User, process_id: int) -> QualifyingProcess:
    return set_process_active(actor, process_id, True)


@no_raw_errors
def deactivate_process(actor: User, process_id: int) -> QualifyingProcess:
    return set_process_active(actor, process_id, False)


def _copy_name(name: str) -> str:
    base = f"Copy of {name}"[:NAME_MAX]
    candidate, n = base, 2
    while (
        QualifyingProcess.select().where(QualifyingProcess.name_key == name_key(candidate)).exists()
    ):
        suffix = f" ({n})"
        candidate = base[: NAME_MAX - len(suffix)] + suffix
        n += 1
    return candidate


@no_raw_errors
def copy_process(actor: User, process_id: int, name: str | None = None) -> QualifyingProcess:
    """Copy a process with its levels and activities. The copy is named "Copy of X"
    (unless `name` is given) and is inactive until an administrator activates it."""
    require_feature()
    require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        source = find_process(process_id)
        new_name = clean_name(name) if name else _copy_name(source.name)
        check_unique_name(new_name)
        copy = QualifyingProcess.create(
            name=new_name,
            name_key=name_key(new_name),
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


@no_raw_errors
def delete_process(actor: User, process_id: int) -> None:
    """Delete a process with its levels and activities. Refused while it is assigned
    to any lead (deactivate it instead)."""
    require_feature()
    require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        process = find_process(process_id)
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


@no_raw_errors
def add_level(
    actor: User, process_id: int, name: str, parent_id: int | None = None
) -> ProcessLevel:
    """Add a level at the end of the process's top levels, or under `parent_id`."""
    require_feature()
    require_admin(actor)
    name = clean_name(name, label="A level name")
    db = QualifyingProcess._meta.database
    with db.atomic():
        process = find_process(process_id)
        parent = None
        if parent_id is not None:
            parent = find_level(parent_id)
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
        touch(process)
    return level


@no_raw_errors
def rename_level(actor: User, level_id: int, name: str) -> ProcessLevel:
    require_feature()
    require_admin(actor)
    name = clean_name(name, label="A level name")
    db = QualifyingProcess._meta.database
    with db.atomic():
        level = find_level(level_id)
        if level.name != name:
            old, level.name = level.name, name
            level.save()
            record(
                actor,
                "process_changed",
                level.process,
                f"{level.process.name}: renamed level {old} to {name}",
            )
            touch(level.process)
    return level


@no_raw_errors
def remove_level(actor: User, level_id: int) -> None:
    """Remove a level with its sub-levels and their activities."""
    require_feature()
    require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        level = find_level(level_id)
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
            f"({len(doomed) - 1} sub-level(s), {activities_text(activities)})",
        )
        touch(process)


@no_raw_errors
def add_activity(actor: User, level_id: int, **values: Any) -> ProcessActivity:
    """Add an activity at the end of a level: purpose, required, days_to_start,
    days_to_finish, responsible_role."""
    require_feature()
    require_admin(actor)
    clean = clean_activity_fields(values)
    db = QualifyingProcess._meta.database
    with db.atomic():
        level = find_level(level_id)
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
        touch(process)
    return activity


@no_raw_errors
def update_activity(actor: User, activity_id: int, **values: Any) -> ProcessActivity:
    """Change an activity's fields (those not given keep their value)."""
    require_feature()
    require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        activity = find_activity(activity_id)
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
            touch(process)
    return activity


@no_raw_errors
def remove_activity(actor: User, activity_id: int) -> None:
    require_feature()
    require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        activity = find_activity(activity_id)
        process = activity.process
        ProcessActivity.delete().where(ProcessActivity.id == activity.id).execute()
        record(
            actor,
            "process_changed",
            process,
            f"{process.name}: removed activity {activity.purpose}",
        )
        touch(process)


@no_raw_errors
def move_item(actor: User, kind: str, item_id: int, delta: int) -> None:
    """Move a level or an activity up (delta -1) or down (+1) among its siblings."""
    require_feature()
    require_admin(actor)
    db = QualifyingProcess._meta.database
    with db.atomic():
        if kind == "level":
            item = find_level(item_id)
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
            item = find_activity(item_id)
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
        process = find_process(item.process_id)
        what = item.name if kind == "level" else item.purpose
        record(
            actor,
            "process_changed",
            process,
            f"{process.name}: moved {what} {'up' if delta < 0 else 'down'}",
        )
        touch(process)


@no_raw_errors
def set_default_process(actor: User, process_id: int | None) -> None:
    """Make a process the default for new leads (None: no default). Admins only."""
    require_feature()
    change_setting(actor, "default_qualifying_process", str(process_id or ""))
