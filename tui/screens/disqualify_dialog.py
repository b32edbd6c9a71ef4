"""Disqualify: pick one of the four reasons. Dismisses the reason's value or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, OptionList, Static

import models
from tui.widgets.cursor_list import CURSOR, NO_CURSOR, CursorOptionList
from tui.widgets.literal import literal


class ReasonList(CursorOptionList):
    """The four disqualify reasons, numbered 1-4."""

    def __init__(self, *, id: str) -> None:
        super().__init__(len(models.DISQUALIFY_REASONS), id=id)

    def option_id(self, index: int) -> str:
        return models.DISQUALIFY_REASONS[index].value

    def prompt_for(self, index: int, highlighted: bool) -> Content:
        cursor = CURSOR if highlighted else NO_CURSOR
        return Content(f"{cursor}{index + 1}  {models.DISQUALIFY_REASONS[index].label}")


class DisqualifyDialog(ModalScreen["str | None"]):
    CSS_PATH = "disqualify_dialog.tcss"
    AUTO_FOCUS = "#reasons"
    BINDINGS = [
        *[
            Binding(
                str(number),
                f"choose({number - 1})",
                reason.label,
                show=False,
                id=f"disqualify_reason_{number}",
            )
            for number, reason in enumerate(models.DISQUALIFY_REASONS, start=1)
        ],
        Binding("escape", "cancel", "Cancel", id="disqualify_cancel"),
    ]

    def __init__(self, subject: str) -> None:
        """`subject` names what is disqualified (a lead's name, or "3 leads")."""
        super().__init__()
        self.subject = subject

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Disqualify lead"
            yield Static(
                Content.assemble(
                    "Disqualify ",
                    literal(self.subject, "bold"),
                    ". Choose a reason:",
                ),
                id="subject",
            )
            reasons = ReasonList(id="reasons")
            reasons.highlighted = 0
            yield reasons
            yield Static(
                Content(
                    "Notes and attachments stay with the lead. "
                    "1-4 or up/down pick a reason; enter disqualifies; esc cancels."
                ),
                id="hint",
            )
            with Horizontal(classes="buttons"):
                yield Button("Disqualify", id="ok", variant="warning", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            reasons = self.query_one("#reasons", OptionList)
            option = reasons.highlighted_option
            self.dismiss(option.id if option else None)
        else:
            self.action_cancel()

    def action_choose(self, index: int) -> None:
        reasons = self.query_one("#reasons", OptionList)
        reasons.highlighted = index
        reasons.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
