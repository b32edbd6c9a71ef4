"""The opportunity's part of the Lead to Opportunity sales process."""

from __future__ import annotations

from .audit import record
from .entities import Opportunity, User, utcnow
from .enums import OPPORTUNITY_STAGES, Stage
from .errors import NotFound, ValidationError
from .locks import locked


def move_opportunity_stage(opportunity_id: int, actor: User, step: int) -> Opportunity:
    """Move the opportunity one stage forward (`step=1`) or back (`step=-1`).

    Its stages are Develop, Propose and Close; Qualify belongs to the lead.
    """
    if step not in (1, -1):
        raise ValidationError({"step": "Move one stage forward or back."})
    db = Opportunity._meta.database
    with db.atomic():
        opportunity = locked(Opportunity, opportunity_id)
        if opportunity is None:
            raise NotFound("This opportunity no longer exists.")
        index = OPPORTUNITY_STAGES.index(Stage(opportunity.stage)) + step
        if index < 0:
            raise ValidationError(
                {"stage": "Develop is the opportunity's first stage; Qualify belongs to the lead."}
            )
        if index >= len(OPPORTUNITY_STAGES):
            raise ValidationError({"stage": "Close is the last stage."})
        old, new = Stage(opportunity.stage), OPPORTUNITY_STAGES[index]
        opportunity.stage = new
        opportunity.modified_at = utcnow()
        opportunity.save()
        record(actor, "stage_changed", opportunity, f"Stage {old.label} -> {new.label}")
    return opportunity
