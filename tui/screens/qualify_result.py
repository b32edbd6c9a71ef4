"""After qualifying: what was created or linked, and a way to open it.

Dismisses "account", "contact" or "opportunity" (the record to open) or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

import models
from tui.widgets.literal import literal

RecordKind = Literal["account", "contact", "opportunity"]


@dataclass(frozen=True)
class QualifiedRecords:
    """Plain data about one qualification, safe to hand from a worker thread to the UI."""

    lead_id: int
    lead_name: str
    lines: tuple[str, ...]
    account_id: int | None = None
    contact_id: int | None = None
    opportunity_id: int | None = None

    @classmethod
    def from_result(cls, lead_name: str, result: models.QualifyResult) -> QualifiedRecords:
        return cls(
            lead_id=result.lead_id,
            lead_name=lead_name,
            lines=tuple(result.lines()),
            account_id=result.account.id if result.account else None,
            contact_id=result.contact.id if result.contact else None,
            opportunity_id=result.opportunity.id if result.opportunity else None,
        )

    def record_id(self, kind: RecordKind) -> int | None:
        return {
            "account": self.account_id,
            "contact": self.contact_id,
            "opportunity": self.opportunity_id,
        }[kind]


class QualifyResultScreen(ModalScreen["RecordKind | None"]):
    CSS_PATH = "qualify_result.tcss"
    AUTO_FOCUS = "#close"
    BINDINGS = [
        Binding("a", "open('account')", "Open account", id="result_account"),
        Binding("c", "open('contact')", "Open contact", id="result_contact"),
        Binding("o", "open('opportunity')", "Open opportunity", id="result_opportunity"),
        Binding("escape", "close", "Close", id="result_close"),
    ]

    def __init__(self, records: QualifiedRecords) -> None:
        super().__init__()
        self.records = records

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open" and parameters:
            return self.records.record_id(parameters[0]) is not None  # type: ignore[arg-type]
        return True

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Lead qualified"
            yield Static(
                Content.assemble(literal(self.records.lead_name, "bold"), " is qualified."),
                id="headline",
            )
            for line in self.records.lines:
                yield Static(literal("• " + line), classes="line")
            if any(
                self.records.record_id(k) is not None for k in ("account", "contact", "opportunity")
            ):
                keys = " · ".join(
                    f"{kind[0]} {kind}"
                    for kind in ("account", "contact", "opportunity")
                    if self.records.record_id(kind) is not None
                )
                yield Static(Content(f"Open a record: {keys}"), id="open-hint")
            with Horizontal(classes="buttons"):
                for kind in ("account", "contact", "opportunity"):
                    if self.records.record_id(kind) is not None:
                        # Short labels (the keys are in the hint): the row fits 60 columns.
                        yield Button(kind.capitalize(), id=f"open-{kind}", compact=True)
                yield Button("Close", id="close", variant="primary", compact=True)
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id or "close"
        if button.startswith("open-"):
            self.action_open(button.removeprefix("open-"))
        else:
            self.action_close()

    def action_open(self, kind: str) -> None:
        if kind in ("account", "contact", "opportunity"):
            self.dismiss(kind)  # type: ignore[arg-type]

    def action_close(self) -> None:
        self.dismiss(None)
