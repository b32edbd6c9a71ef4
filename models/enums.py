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


STAGES: tuple[Stage, ...] = tuple(Stage)
OPPORTUNITY_STAGES: tuple[Stage, ...] = (Stage.DEVELOP, Stage.PROPOSE, Stage.CLOSE)
