"""The qualify modal: which of account, contact and opportunity to create.

Shown when the org setting "create account, contact and opportunity by default
upon qualifying" is off, like Dynamics 365's "Qualify lead" dialog. Dismisses a
`models.QualifyChoice`, or None when cancelled.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static, Switch

import models
from tui.widgets.literal import literal

CHOICES = (
    ("create_account", "Create account?", "a"),
    ("create_contact", "Create contact?", "c"),
    ("create_opportunity", "Create opportunity?", "o"),
)


class YesNoSwitch(Switch, inherit_bindings=False):
    """A switch that toggles with space only, so enter can confirm the dialog."""

    BINDINGS = [Binding("space", "toggle_switch", "Toggle", show=False)]


class QualifyDialog(ModalScreen["models.QualifyChoice | None"]):
    CSS_PATH = "qualify_dialog.tcss"
    AUTO_FOCUS = "#create_account"
    BINDINGS = [
        Binding("y", "set_focused(True)", "Yes", id="qualify_yes"),
        Binding("n", "set_focused(False)", "No", id="qualify_no"),
        Binding("a", "toggle('create_account')", "Account", show=False, id="qualify_account"),
        Binding("c", "toggle('create_contact')", "Contact", show=False, id="qualify_contact"),
        Binding("o", "toggle('create_opportunity')", "Opportunity", show=False, id="qualify_opp"),
        Binding("enter", "ok", "OK", id="qualify_ok"),
        Binding("escape", "cancel", "Cancel", id="qualify_cancel"),
        Binding("up", "app.focus_previous", "Previous", show=False, id="qualify_up"),
        Binding("down", "app.focus_next", "Next", show=False, id="qualify_down"),
    ]

    def __init__(self, subject: str) -> None:
        """`subject` names what is qualified (a lead's name, or "3 leads")."""
        super().__init__()
        self.subject = subject

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Qualify lead"
            yield Static(
                Content.assemble("Qualify ", literal(self.subject, "bold"), "."),
                id="subject",
            )
            for name, label, key in CHOICES:
                with Horizontal(classes="choice", id=f"row-{name}"):
                    yield Label(Content.assemble(label, (f" ({key})", "dim")), classes="label")
                    yield YesNoSwitch(True, id=name)
                    yield Static("Yes", classes="answer", id=f"answer-{name}")
            yield Static(
                Content("y/n answer the focused question · enter qualifies · esc cancels"),
                id="hint",
            )
            with Horizontal(classes="buttons"):
                yield Button("OK", id="ok", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Mark the row that holds the focus (visible without colour, too)."""
        for row in self.query(".choice.-current"):
            row.remove_class("-current")
        parent = event.widget.parent
        if parent is not None and parent.has_class("choice"):
            parent.add_class("-current")

    def on_switch_changed(self, event: Switch.Changed) -> None:
        answer = self.query_one(f"#answer-{event.switch.id}", Static)
        answer.update("Yes" if event.value else "No")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_ok()
        else:
            self.action_cancel()

    def action_set_focused(self, value: bool) -> None:
        if isinstance(self.focused, Switch):
            self.focused.value = value

    def action_toggle(self, name: str) -> None:
        switch = self.query_one(f"#{name}", Switch)
        switch.toggle()
        switch.focus()

    def choice(self) -> models.QualifyChoice:
        values = {name: self.query_one(f"#{name}", Switch).value for name, _, _ in CHOICES}
        return models.QualifyChoice(**values)

    def action_ok(self) -> None:
        if isinstance(self.focused, Button) and self.focused.id == "cancel":
            self.action_cancel()
            return
        self.dismiss(self.choice())

    def action_cancel(self) -> None:
        self.dismiss(None)
