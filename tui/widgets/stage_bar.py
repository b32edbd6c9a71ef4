"""The Lead to Opportunity sales process bar: Qualify -> Develop -> Propose -> Close.

Readable without colour: the active stage is marked ● and shown bold and
reversed, finished stages ✓, later ones ○; filled Qualify steps are ✓, empty ○.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from models import STAGE_STEPS, STAGES, Stage

from .one_layout import refresh_in_place

QUALIFY_STEP_LABELS: dict[str, str] = {
    "existing_contact": "Contact",
    "existing_account": "Account",
    "purchase_timeframe": "Timeframe",
    "estimated_budget": "Budget",
    "purchase_process": "Process",
    "decision_maker_identified": "Decision",
    "summary": "Summary",
}


def step_labels(stage: Stage) -> dict[str, str]:
    """The steps of a stage: Qualify's on the lead, the others' on the opportunity
    (Dynamics' Lead to Opportunity Sales Process)."""
    if stage == Stage.QUALIFY:
        return QUALIFY_STEP_LABELS
    return dict(STAGE_STEPS.get(stage, ()))


class StageBar(Widget):
    """Shows the active stage and which of its steps are filled."""

    DEFAULT_CSS = """
    StageBar {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(
        self,
        active: Stage = Stage.QUALIFY,
        filled: dict[str, bool] | None = None,
        *,
        hint: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.active = Stage(active)
        self.filled = dict(filled or {})
        self.hint = hint

    def set_stages(
        self, active: Stage | str, filled: dict[str, bool] | None = None, hint: str | None = None
    ) -> None:
        """Show `active` as the current stage, with its steps that `filled` names
        (other keys are ignored)."""
        self.active = Stage(active)
        self.filled = dict(filled or {})
        if hint is not None:
            self.hint = hint
        refresh_in_place(self)  # laid out again only if its height changes

    def _steps(self) -> list[tuple[str, bool]]:
        labels = step_labels(self.active)
        return [(labels[key], self.filled[key]) for key in labels if key in self.filled]

    @property
    def filled_count(self) -> int:
        return sum(1 for _, done in self._steps() if done)

    def render(self) -> Content:
        active_index = STAGES.index(self.active)
        parts: list[Content | tuple[str, str] | str] = []
        for index, stage in enumerate(STAGES):
            if index:
                parts.append((" → ", "dim"))
            if index < active_index:
                parts.append(f"✓ {stage.label}")
            elif index == active_index:
                count = ""
                if self._steps():
                    count = f" {self.filled_count}/{len(self._steps())}"
                parts.append((f" ● {stage.label}{count} ", "bold reverse"))
            else:
                parts.append((f"○ {stage.label}", "dim"))
        if self.hint:
            parts.append(("  " + self.hint, "italic"))
        lines = [Content.assemble(*parts)]
        if self._steps():
            steps: list[Content | tuple[str, str] | str] = []
            for label, done in self._steps():
                steps.append((f"✓ {label}  ", "bold") if done else (f"○ {label}  ", "dim"))
            lines.append(Content.assemble(*steps).rstrip())
        return Content("\n").join(lines)
