"""The steps of an opportunity's sales process (Develop, Propose, Close), ticked
from the keyboard as Dynamics' stage flyout ticks them.

Space or enter ticks the highlighted yes/no step, or clears it; each tick is
saved at once (`models.set_opportunity_step`, audited), and the view below shows
it. Customer need, proposed solution and the decision date are fields, filled on
the opportunity's form (`e`). Whether the user may tick at all is decided before
the dialog opens (the opportunity view's `t`, refused with the rules' sentence);
a refusal that arrives meanwhile (closed or reassigned in another session) is
said here and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, OptionList, Static

import models
from models import STAGE_STEPS, Stage

from ..loading import run_service
from ..widgets.cursor_list import CURSOR, NO_CURSOR, CursorOptionList
from ..widgets.literal import literal

FIELD_STEPS = frozenset({"customer_need", "proposed_solution", "final_decision_date"})
"""Steps that are fields of the opportunity (text or a date), not yes/no ticks."""


@dataclass(frozen=True)
class StepRow:
    """One line of the list: a stage heading (`key` None) or a step."""

    stage: Stage
    key: str | None
    label: str


def step_rows() -> list[StepRow]:
    rows: list[StepRow] = []
    for stage, steps in STAGE_STEPS.items():
        rows.append(StepRow(stage, None, stage.label))
        rows += [StepRow(stage, key, label) for key, label in steps]
    return rows


def filled_steps(user: models.User, opportunity_id: int, key: str, done: bool) -> dict[str, bool]:
    """Tick (or clear) one step; which steps are filled afterwards (in a worker)."""
    return models.set_opportunity_step(user, opportunity_id, key, done).stage_filled()


class StepList(CursorOptionList):
    """The stages with their steps: ✓ done, ○ not; fields say where they are filled."""

    DEFAULT_CSS = """
    StepList {
        height: auto;
        max-height: 16;
    }
    """

    def __init__(self, rows: list[StepRow], filled: dict[str, bool], active: Stage) -> None:
        self.rows = rows
        self.filled = dict(filled)
        self.active = active
        super().__init__(len(rows), id="steps")
        for index, row in enumerate(rows):
            if row.key is None:
                self.disable_option_at_index(index)

    def option_id(self, index: int) -> str | None:
        row = self.rows[index]
        return row.key or f"stage-{row.stage.value}"

    def prompt_for(self, index: int, highlighted: bool) -> Content:
        row = self.rows[index]
        if row.key is None:
            active = "  (active stage)" if row.stage == self.active else ""
            return Content.styled(f"{row.label}{active}", "bold underline")
        cursor = CURSOR if highlighted else NO_CURSOR
        done = self.filled.get(row.key, False)
        mark = ("✓ ", "bold") if done else ("○ ", "dim")
        parts: list[Content | tuple[str, str] | str] = [cursor, mark, row.label]
        if row.key in FIELD_STEPS:
            parts.append(("  (a field: e edits it)", "italic dim"))
        return Content.assemble(*parts)

    def show_filled(self, filled: dict[str, bool]) -> None:
        self.filled = dict(filled)
        for index in range(len(self.rows)):
            self.refresh_prompt(index)

    def first_open_step(self) -> int:
        """The first yes/no step of the active stage not done yet (else its first)."""
        steps = [
            i
            for i, row in enumerate(self.rows)
            if row.stage == self.active and row.key is not None and row.key not in FIELD_STEPS
        ]
        return next((i for i in steps if not self.filled.get(self.rows[i].key or "")), steps[0])


class OpportunitySteps(ModalScreen[None]):
    """Tick the yes/no steps of one opportunity's stages (see the module doc)."""

    CSS_PATH = "opportunity_steps.tcss"
    AUTO_FOCUS = "#steps"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]
    """Under 24 rows the list is shorter, so the dialog fits without scrolling."""
    BINDINGS = [
        Binding("space", "tick", "Tick / clear", id="steps.tick"),
        Binding("escape", "close", "Close", id="steps.close"),
    ]

    def __init__(
        self,
        opportunity_id: int,
        topic: str,
        active: Stage | str,
        filled: dict[str, bool],
    ) -> None:
        super().__init__()
        self.opportunity_id = opportunity_id
        self.topic = topic
        self.active = Stage(active)
        self.filled = dict(filled)
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Sales process steps"
            yield Static(literal(self.topic, "bold"), id="topic")
            steps = StepList(step_rows(), self.filled, self.active)
            steps.highlighted = steps.first_open_step()
            yield steps
            yield Static("", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Tick / clear (space)", id="tick", variant="primary", compact=True)
                yield Button("Close (esc)", id="close", compact=True)
        yield Footer()

    @property
    def steps(self) -> StepList:
        return self.query_one(StepList)

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        await self.action_tick()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "tick":
            self.steps.focus()
            await self.action_tick()
        else:
            self.dismiss(None)

    def say(self, text: str) -> None:
        error = self.query_one("#error", Static)
        error.update(literal(f"⚠ {text}", multiline=True) if text else "")
        error.set_class(bool(text), "shown")

    async def action_tick(self) -> None:
        index = self.steps.highlighted
        if index is None or self.saving:
            return
        row = self.steps.rows[index]
        if row.key is None:
            return
        if row.key in FIELD_STEPS:
            self.say(f"{row.label} is a field: edit the opportunity (e) to fill it.")
            return
        done = not self.filled.get(row.key, False)
        self.saving = True
        try:
            filled = await run_service(
                self.app,
                filled_steps,
                self.app.user,  # type: ignore[attr-defined]
                self.opportunity_id,
                row.key,
                done,
                changes=True,
            )
        except models.NotFound:
            self.dismiss(None)  # the view below says it was deleted and goes back
            return
        except models.LeadqError as error:
            self.say(str(error))
            return
        finally:
            self.saving = False
        self.say("")
        self.filled = dict(filled)
        self.steps.show_filled(self.filled)

    def action_close(self) -> None:
        self.dismiss(None)
