"""Choice lists of the domain, stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class LabelledEnum(StrEnum):
    """A string enum whose members know the label a user sees."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.label, m.value) for m in cls]


class Role(LabelledEnum):
    SALESPERSON = "salesperson"
    SALES_MANAGER = "sales_manager"
    SYSTEM_ADMINISTRATOR = "system_administrator"


class LeadState(LabelledEnum):
    OPEN = "open"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"


class StatusReason(LabelledEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    LOST = "lost"
    CANNOT_CONTACT = "cannot_contact"
    NO_LONGER_INTERESTED = "no_longer_interested"
    CANCELED = "canceled"
    MERGED = "merged"  # closed by a merge into another lead (`Lead.merged_into`)


STATUS_REASONS: dict[LeadState, tuple[StatusReason, ...]] = {
    LeadState.OPEN: (StatusReason.NEW, StatusReason.CONTACTED),
    LeadState.QUALIFIED: (StatusReason.QUALIFIED,),
    LeadState.DISQUALIFIED: (
        StatusReason.LOST,
        StatusReason.CANNOT_CONTACT,
        StatusReason.NO_LONGER_INTERESTED,
        StatusReason.CANCELED,
        StatusReason.MERGED,
    ),
}
DISQUALIFY_REASONS = STATUS_REASONS[LeadState.DISQUALIFIED][:4]
"""What a user may disqualify with: `merged` is set by merging only."""


class Rating(LabelledEnum):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


class LeadSource(LabelledEnum):
    ADVERTISEMENT = "advertisement"
    EMPLOYEE_REFERRAL = "employee_referral"
    EXTERNAL_REFERRAL = "external_referral"
    PARTNER = "partner"
    PUBLIC_RELATIONS = "public_relations"
    SEMINAR = "seminar"
    TRADE_SHOW = "trade_show"
    WEB = "web"
    WORD_OF_MOUTH = "word_of_mouth"
    OTHER = "other"


class PurchaseTimeframe(LabelledEnum):
    IMMEDIATE = "immediate"
    THIS_QUARTER = "this_quarter"
    NEXT_QUARTER = "next_quarter"
    THIS_YEAR = "this_year"
    UNKNOWN = "unknown"


class PurchaseProcess(LabelledEnum):
    INDIVIDUAL = "individual"
    COMMITTEE = "committee"
    UNKNOWN = "unknown"


class Stage(LabelledEnum):
    """The Lead to Opportunity sales process. Qualify lives on the lead, the rest on
    the opportunity."""

    QUALIFY = "qualify"
    DEVELOP = "develop"
    PROPOSE = "propose"
    CLOSE = "close"


class OpportunityState(LabelledEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class OpportunityStatus(LabelledEnum):
    """Status reasons of an opportunity, as Dynamics names them."""

    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    WON = "won"
    CANCELED = "canceled"
    OUT_SOLD = "out_sold"

    @property
    def label(self) -> str:
        return "Out-sold" if self is OpportunityStatus.OUT_SOLD else super().label


OPPORTUNITY_STATUSES: dict[OpportunityState, tuple[OpportunityStatus, ...]] = {
    OpportunityState.OPEN: (OpportunityStatus.IN_PROGRESS, OpportunityStatus.ON_HOLD),
    OpportunityState.WON: (OpportunityStatus.WON,),
    OpportunityState.LOST: (OpportunityStatus.CANCELED, OpportunityStatus.OUT_SOLD),
}
LOST_REASONS = OPPORTUNITY_STATUSES[OpportunityState.LOST]


STAGES: tuple[Stage, ...] = tuple(Stage)
OPPORTUNITY_STAGES: tuple[Stage, ...] = (Stage.DEVELOP, Stage.PROPOSE, Stage.CLOSE)

STAGE_STEPS: dict[Stage, tuple[tuple[str, str], ...]] = {
    Stage.DEVELOP: (
        ("customer_need", "Customer need"),
        ("proposed_solution", "Proposed solution"),
        ("identify_stakeholders", "Identify stakeholders"),
        ("identify_competitors", "Identify competitors"),
    ),
    Stage.PROPOSE: (
        ("identify_sales_team", "Identify sales team"),
        ("develop_proposal", "Develop proposal"),
        ("complete_internal_review", "Complete internal review"),
        ("present_proposal", "Present proposal"),
    ),
    Stage.CLOSE: (
        ("complete_final_proposal", "Complete final proposal"),
        ("present_final_proposal", "Present final proposal"),
        ("final_decision_date", "Confirm decision date"),
        ("send_thank_you", "Send thank you"),
        ("file_debrief", "File debrief"),
    ),
}
"""The steps of each opportunity stage in Dynamics' Lead to Opportunity Sales Process."""
