"""Demo data: the standard qualifying process, assigned to some leads."""

from __future__ import annotations

import datetime as dt

from ..entities import Lead, User
from ..enums import Role
from ..errors import no_raw_errors
from ..settings import change_setting, load_settings
from .admin import (
    add_activity,
    add_level,
    create_process,
)
from .assignment import (
    assign_process,
    set_activity_done,
)
from .models import (
    LeadActivity,
    LeadProcess,
    ProcessLevel,
    QualifyingProcess,
)
from .reading import lead_activities
from .validation import name_key

# (level, parent level, purpose, required, days to start, days to finish, role)
DEMO_ACTIVITIES = [
    ("Discovery", None, "Call the lead within a day", True, 0, 1, Role.SALESPERSON),
    ("Discovery", None, "Confirm company and contact role", True, 0, 3, Role.SALESPERSON),
    ("Needs", None, "Identify the need and the budget", True, 2, 7, Role.SALESPERSON),
    ("Needs", None, "Send product information", False, 2, 5, Role.SALESPERSON),
    ("Decision", None, "Identify the decision maker", True, 3, 10, Role.SALESPERSON),
    ("Review", "Decision", "Manager reviews the deal size", False, 7, 14, Role.SALES_MANAGER),
]


@no_raw_errors
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
    if not load_settings().lead_qualifying_process:
        change_setting(actor, "lead_qualifying_process", True)
    name = "Standard B2B qualification"
    process = QualifyingProcess.get_or_none(QualifyingProcess.name_key == name_key(name))
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
