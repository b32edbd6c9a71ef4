"""The opportunity's life: the Develop, Propose and Close stages and their steps,
closing as won or lost, reopening, and the pipeline figures.

Closing follows Dynamics 365: **Close as Won** records the actual revenue and the
close date; **Close as Lost** a status reason (canceled or out-sold), the close
date and optionally the competitor who won. Either way the opportunity is
read-only until it is reopened (`reopen_opportunity`), which puts it back In
progress and clears the actual figures (the history keeps them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from peewee import fn

from .audit import record
from .db import database_proxy
from .entities import OPPORTUNITY_STEP_KEYS, Opportunity, User, utcnow
from .enums import (
    LOST_REASONS,
    OPPORTUNITY_STAGES,
    OpportunityState,
    OpportunityStatus,
    Stage,
)
from .errors import ValidationError, no_raw_errors
from .locks import locked_record as locked  # the record or NotFound
from .permissions import can
from .validation import clean_amount, clean_date, money

COMPETITOR_MAX = 100
DESCRIPTION_MAX = 20_000


@no_raw_errors
def move_opportunity_stage(actor: User, opportunity_id: int, step: int) -> Opportunity:
    """Move the opportunity one stage forward (`step=1`) or back (`step=-1`).

    Its stages are Develop, Propose and Close; Qualify belongs to the lead.
    """
    if step not in (1, -1):
        raise ValidationError({"step": "Move one stage forward or back."})
    with database_proxy.obj.atomic():
        opportunity = locked(Opportunity, opportunity_id)
        can(actor, "move_stage", opportunity).enforce()
        index = OPPORTUNITY_STAGES.index(Stage(opportunity.stage)) + step
        if index < 0:
            raise ValidationError(
                {"stage": "Develop is the opportunity's first stage; Qualify belongs to the lead."}
            )
        if index >= len(OPPORTUNITY_STAGES):
            raise ValidationError(
                {"stage": "Close is the last stage: close the opportunity as won or lost."}
            )
        old, new = Stage(opportunity.stage), OPPORTUNITY_STAGES[index]
        opportunity.stage = new
        opportunity.modified_at = utcnow()
        opportunity.save()
        record(actor, "stage_changed", opportunity, f"Stage {old.label} -> {new.label}")
    return opportunity


@no_raw_errors
def set_opportunity_step(actor: User, opportunity_id: int, step: str, done: bool) -> Opportunity:
    """Mark a yes/no step of a stage (Identify stakeholders, Develop proposal, ...)
    done or not. Text and date steps are fields (`update_opportunity`)."""
    yes_no = set(OPPORTUNITY_STEP_KEYS) - {"customer_need", "proposed_solution",
                                          "final_decision_date"}  # fmt: skip
    if step not in yes_no:
        raise ValidationError({"step": f"{step!r} is not a yes/no step of the sales process."})
    with database_proxy.obj.atomic():
        opportunity = locked(Opportunity, opportunity_id)
        can(actor, "edit", opportunity).enforce()
        steps = opportunity.done_steps()
        if (step in steps) == done:
            return opportunity
        steps = steps | {step} if done else steps - {step}
        opportunity.steps_done = ",".join(k for k in OPPORTUNITY_STEP_KEYS if k in steps)
        opportunity.modified_at = utcnow()
        opportunity.save()
        label = step.replace("_", " ").capitalize()
        record(actor, "step_changed", opportunity, f"{label}: {'done' if done else 'not done'}")
    return opportunity


def _clean_text(label: str, value: Any, limit: int) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        raise ValidationError({label: f"{label} contains a NUL character (\\0)."})
    if len(text) > limit:
        raise ValidationError({label: f"{label} is at most {limit:,} characters."})
    return text


@no_raw_errors
def close_opportunity_won(
    actor: User,
    opportunity_id: int,
    actual_revenue: Any,
    close_date: Any = None,
    description: str = "",
) -> Opportunity:
    """Close as Won: actual revenue (money, required) and close date (default today)."""
    errors = {}
    try:
        revenue = clean_amount("Actual revenue", actual_revenue)
        if revenue is None:
            errors["actual_revenue"] = "Actual revenue is required to close as won."
    except ValueError as exc:
        errors["actual_revenue"] = str(exc)
    try:
        when = clean_date("Close date", close_date) or utcnow().date()
    except ValueError as exc:
        errors["close_date"] = str(exc)
    if errors:
        raise ValidationError(errors)
    text = _clean_text("Description", description, DESCRIPTION_MAX)
    return _close(opportunity_id, actor, "close_won", OpportunityState.WON,
                  OpportunityStatus.WON, revenue, when, "", text)  # fmt: skip


@no_raw_errors
def close_opportunity_lost(
    actor: User,
    opportunity_id: int,
    reason: str,
    close_date: Any = None,
    competitor: str = "",
    description: str = "",
) -> Opportunity:
    """Close as Lost with a status reason (canceled, out-sold), a close date (default
    today) and optionally the competitor who won the deal."""
    errors = {}
    if reason not in {r.value for r in LOST_REASONS}:
        errors["reason"] = "Choose a reason: " + ", ".join(r.label for r in LOST_REASONS) + "."
    try:
        when = clean_date("Close date", close_date) or utcnow().date()
    except ValueError as exc:
        errors["close_date"] = str(exc)
    if errors:
        raise ValidationError(errors)
    rival = _clean_text("Competitor", competitor, COMPETITOR_MAX)
    text = _clean_text("Description", description, DESCRIPTION_MAX)
    return _close(opportunity_id, actor, "close_lost", OpportunityState.LOST,
                  OpportunityStatus(reason), None, when, rival, text)  # fmt: skip


def _close(
    opportunity_id: int,
    actor: User,
    action: str,
    state: OpportunityState,
    reason: OpportunityStatus,
    revenue: Decimal | None,
    when: dt.date,
    competitor: str,
    description: str,
) -> Opportunity:
    with database_proxy.obj.atomic():
        opportunity = locked(Opportunity, opportunity_id)
        can(actor, action, opportunity).enforce()
        now = utcnow()
        Opportunity.update(
            state=state.value,
            status_reason=reason.value,
            actual_revenue=revenue,
            actual_close_date=when,
            competitor=competitor,
            close_description=description,
            closed_by=actor.id,
            closed_at=now,
            modified_at=now,
            stage=Stage.CLOSE.value if state is OpportunityState.WON else opportunity.stage,
        ).where(Opportunity.id == opportunity_id).execute()
        if state is OpportunityState.WON:
            summary = f"Closed as won: actual revenue {money(revenue)}, {when:%Y-%m-%d}"
        else:
            rival = f", competitor {competitor}" if competitor else ""
            summary = f"Closed as lost: {reason.label}{rival}, {when:%Y-%m-%d}"
        record(actor, "closed", opportunity, summary)
    return Opportunity.get_by_id(opportunity_id)


@no_raw_errors
def reopen_opportunity(actor: User, opportunity_id: int) -> Opportunity:
    """Reopen a won or lost opportunity: In progress again, editable, the actual
    figures cleared (the history keeps what they were)."""
    with database_proxy.obj.atomic():
        opportunity = locked(Opportunity, opportunity_id)
        can(actor, "reopen", opportunity).enforce()
        was = OpportunityState(opportunity.state).label.lower()
        Opportunity.update(
            state=OpportunityState.OPEN.value,
            status_reason=OpportunityStatus.IN_PROGRESS.value,
            actual_revenue=None,
            actual_close_date=None,
            competitor="",
            close_description="",
            closed_by=None,
            closed_at=None,
            modified_at=utcnow(),
        ).where(Opportunity.id == opportunity_id).execute()
        record(actor, "reopened", opportunity, f"Reopened (was {was})")
    return Opportunity.get_by_id(opportunity_id)


@dataclass(frozen=True)
class StageFigure:
    """Open opportunities in one stage: how many and their estimated value."""

    stage: Stage
    count: int
    value: Decimal


def pipeline(owner: User | None = None) -> list[StageFigure]:
    """Open value per stage (Develop, Propose, Close), of one owner or everyone: one
    grouped query over the (state, stage) index."""
    query = (
        Opportunity.select(
            Opportunity.stage,
            fn.COUNT(Opportunity.id),
            fn.COALESCE(fn.SUM(Opportunity.estimated_value), 0),
        )
        .where(Opportunity.state == OpportunityState.OPEN)
        .group_by(Opportunity.stage)
    )
    if owner is not None:
        query = query.where(Opportunity.owner == owner.id)
    found = {stage: (count, Decimal(value)) for stage, count, value in query.tuples()}
    return [
        StageFigure(stage, *found.get(stage.value, (0, Decimal("0.00"))))
        for stage in OPPORTUNITY_STAGES
    ]
