"""Close as Won (actual revenue, close date) and Close as Lost (reason: canceled or
out-sold, close date, competitor), as Dynamics 365 asks for them. Each dialog
dismisses with the values for `models.close_opportunity_won` / `_lost`, or None;
a value the service refuses comes back beside its field (`show_errors`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Select, Static

from models import LOST_REASONS

from ..widgets.literal import literal
from ..widgets.record_form import FieldInput

CLOSE_CSS = """
{name} {{ align: center middle; }}
{name} #dialog {{
    width: 64; max-width: 100%; height: auto; max-height: 100%;
    border: thick $primary; border-title-style: bold; background: $surface; padding: 0 1;
}}
{name} #message {{ margin: 1 0 0 0; }}
{name} .row {{ height: 1; margin-top: 1; }}
{name} .row Label {{ width: 18; }}
{name} .row Input, {name} .row Select {{ width: 1fr; }}
{name} .error {{ color: $error; height: auto; }}
{name} .buttons {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} .buttons Button {{ margin-left: 2; padding: 0 1; min-width: 8; }}
"""


class _CloseDialog(ModalScreen[dict[str, Any] | None]):
    TITLE_TEXT = ""
    FIELDS: tuple[tuple[str, str], ...] = ()
    BINDINGS = [
        Binding("ctrl+s", "apply", "Close opportunity", id="close.apply"),
        Binding("escape", "cancel", "Cancel", id="close.cancel"),
    ]

    def __init__(self, topic: str, defaults: dict[str, str] | None = None) -> None:
        super().__init__()
        self.topic = topic
        self.defaults = {"close_date": dt.datetime.now(dt.UTC).date().isoformat(),
                         **(defaults or {})}  # fmt: skip

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = self.TITLE_TEXT
            yield Static(literal(self.topic), id="message")
            yield from self.compose_extra()
            for name, label in self.FIELDS:
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield FieldInput(id=f"c-{name}", value=self.defaults.get(name, ""))
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Close (ctrl+s)", id="apply", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)
        yield Footer()

    def compose_extra(self) -> ComposeResult:
        yield from ()

    def values(self) -> dict[str, Any]:
        return {name: self.query_one(f"#c-{name}", FieldInput).value for name, _ in self.FIELDS}

    def show_errors(self, errors: dict[str, str]) -> None:
        self.query_one("#error", Static).update(literal("⚠ " + " ".join(errors.values())))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.dismiss(None)

    def action_apply(self) -> None:
        self.dismiss(self.values())

    def action_cancel(self) -> None:
        self.dismiss(None)


class CloseWonDialog(_CloseDialog):
    DEFAULT_CSS = CLOSE_CSS.format(name="CloseWonDialog")
    TITLE_TEXT = "Close as Won"
    AUTO_FOCUS = "#c-actual_revenue"
    FIELDS = (
        ("actual_revenue", "Actual revenue *"),
        ("close_date", "Close date *"),
        ("description", "Description"),
    )


class CloseLostDialog(_CloseDialog):
    DEFAULT_CSS = CLOSE_CSS.format(name="CloseLostDialog")
    TITLE_TEXT = "Close as Lost"
    AUTO_FOCUS = "#c-reason"
    FIELDS = (
        ("close_date", "Close date *"),
        ("competitor", "Competitor"),
        ("description", "Description"),
    )

    def compose_extra(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("Status reason *")
            yield Select(
                [(r.label, r.value) for r in LOST_REASONS],
                id="c-reason",
                compact=True,
                allow_blank=False,
            )

    def values(self) -> dict[str, Any]:
        return {**super().values(), "reason": self.query_one("#c-reason", Select).value}
