"""Reading qualifying processes and a lead's activities (read models and the
guards every service of the feature starts with)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import fn

from ..entities import Lead, load_settings, utcnow
from ..errors import NotFound
from .errors import FeatureOff
from .models import (
    LeadActivity,
    LeadProcess,
    ProcessActivity,
    ProcessLevel,
    QualifyingProcess,
)


def activities_text(count: int) -> str:
    return f"{count} activit{'y' if count == 1 else 'ies'}"


# Guards.
def feature_enabled() -> bool:
    """Whether the org setting `lead_qualifying_process` is on."""
    return load_settings().lead_qualifying_process


def require_feature() -> None:
    if not feature_enabled():
        raise FeatureOff(
            "The lead qualifying process feature is off; "
            "an administrator can switch it on in Settings."
        )


def find_process(process_id: int | QualifyingProcess) -> QualifyingProcess:
    pid = process_id.id if isinstance(process_id, QualifyingProcess) else process_id
    process = QualifyingProcess.get_or_none(QualifyingProcess.id == pid)
    if process is None:
        raise NotFound("This qualifying process no longer exists; someone may have deleted it.")
    return process


def find_level(level_id: int) -> ProcessLevel:
    level = ProcessLevel.get_or_none(ProcessLevel.id == level_id)
    if level is None:
        raise NotFound("This level no longer exists; someone may have removed it.")
    return level


def find_activity(activity_id: int) -> ProcessActivity:
    activity = ProcessActivity.get_or_none(ProcessActivity.id == activity_id)
    if activity is None:
        raise NotFound("This activity no longer exists; someone may have removed it.")
    return activity


def touch(process: QualifyingProcess) -> None:
    QualifyingProcess.update(modified_at=utcnow()).where(
        QualifyingProcess.id == process.id
    ).execute()


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
    return find_process(process_id)


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
