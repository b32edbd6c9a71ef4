"""Qualify multiple: progress while the batch runs, then every lead's outcome.

The flow (tui/flows/lead_actions.py) drives this screen: `set_progress` from the
worker's progress callback, `set_status` while duplicates are resolved one by
one, and `show_summary` at the end. It can be closed only once it is done.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import var
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, ProgressBar, Static

from ..widgets.literal import literal

Outcome = Literal["qualified", "linked", "skipped", "blocked", "failed"]

OUTCOME_LABELS: dict[Outcome, str] = {
    "qualified": "Qualified",
    "linked": "Linked to existing",
    "skipped": "Skipped",
    "blocked": "Blocked",
    "failed": "Failed",
}


@dataclass(frozen=True)
class LeadSummary:
    """One lead's outcome in the summary."""

    lead_id: int
    lead_name: str
    outcome: Outcome
    message: str


def summary_title(row: LeadSummary) -> Content:
    """The outcome and the lead's name, as literal text (the name is user data)."""
    return Content.assemble((OUTCOME_LABELS[row.outcome], "bold"), " · ", literal(row.lead_name))


def summary_counts(rows: list[LeadSummary]) -> str:
    counts = Counter(row.outcome for row in rows)
    return " · ".join(
        f"{counts[outcome]} {label.lower()}"
        for outcome, label in OUTCOME_LABELS.items()
        if counts[outcome]
    )


class BulkQualifyScreen(ModalScreen[None]):
    CSS_PATH = "bulk_qualify.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close", id="bulk_close"),
        Binding("enter", "close", "Close", show=False, id="bulk_ok"),
    ]

    done: var[bool] = var(False, init=False)

    def __init__(self, total: int) -> None:
        super().__init__()
        self.total = total
        self.rows: list[LeadSummary] = []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close":
            return self.done
        return True

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = f"Qualify {self.total} leads"
            yield Static(Content(f"Qualifying {self.total} leads..."), id="status")
            yield ProgressBar(total=self.total, show_eta=False, id="progress")
            yield Static(Content(""), id="counts")
            yield VerticalScroll(id="summary")
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary", disabled=True, compact=True)
        yield Footer()

    def set_progress(self, done: int, total: int) -> None:
        self.query_one("#progress", ProgressBar).update(total=total, progress=done)
        self.query_one("#status", Static).update(Content(f"Qualifying: {done} of {total} done"))

    def set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(literal(text))

    async def show_summary(self, rows: list[LeadSummary]) -> None:
        self.rows = list(rows)
        self.query_one("#progress", ProgressBar).update(total=self.total, progress=self.total)
        self.set_status(f"Done: {len(rows)} leads")
        self.query_one("#counts", Static).update(Content(summary_counts(rows)))
        summary = self.query_one("#summary", VerticalScroll)
        await summary.remove_children()
        widgets: list[Static] = []
        for row in rows:
            widgets.append(Static(summary_title(row), classes=f"row {row.outcome}"))
            widgets.append(Static(literal(row.message, multiline=True), classes="message"))
        await summary.mount_all(widgets)
        close = self.query_one("#close", Button)
        close.disabled = False
        self.done = True
        self.refresh_bindings()
        close.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def action_close(self) -> None:
        if self.done:
            self.dismiss(None)
