"""Small choosers: the new owner of records, and a bulk edit of leads' rating,
lead source and status reason. Each is a `ModalScreen` that dismisses with the
choice, or None when cancelled; the rules are the services' (`assign_owner`,
`bulk_update_leads`), which say per record what they refused."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from models import STATUS_REASONS, LeadSource, LeadState, Rating

from ..widgets.literal import literal

PICKER_CSS = """
{name} {{ align: center middle; }}
{name} #dialog {{
    width: 64; max-width: 100%; height: auto; max-height: 100%;
    border: thick $primary; border-title-style: bold; background: $surface; padding: 0 1;
}}
{name} #message {{ margin: 1 0 0 0; }}
{name} OptionList {{ height: auto; max-height: 12; margin: 1 0; }}
{name} .row {{ height: 1; margin-top: 1; }}
{name} .row Label {{ width: 16; }}
{name} .row Select {{ width: 1fr; }}
{name} .buttons {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} .buttons Button {{ margin-left: 2; padding: 0 1; min-width: 8; }}
"""


class OwnerPicker(ModalScreen[int | None]):
    """Pick the user who will own `count` records."""

    DEFAULT_CSS = PICKER_CSS.format(name="OwnerPicker")
    AUTO_FOCUS = "#users"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="owner_picker.cancel")]

    def __init__(self, what: str, users: list[tuple[int, str, str]], current: int | None) -> None:
        super().__init__()
        self.what = what
        self.users = users
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Assign"
            yield Static(literal(f"Who will own {self.what}? (enter picks)"), id="message")
            options = [
                Option(
                    Content.assemble(
                        literal(name).stylize("bold"),
                        f"  {role}",
                        ("  (you)" if user_id == self.current else "", "dim"),
                    ),
                    id=str(user_id),
                )
                for user_id, name, role in self.users
            ]
            yield OptionList(*options, id="users")
        yield Footer()

    @on(OptionList.OptionSelected, "#users")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)


class BulkEditLeads(ModalScreen[dict[str, Any] | None]):
    """Rating, lead source and status reason for a selection of leads; a field left
    at "(unchanged)" is not changed."""

    DEFAULT_CSS = PICKER_CSS.format(name="BulkEditLeads")
    AUTO_FOCUS = "#b-rating"
    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="bulk_edit.apply"),
        Binding("escape", "cancel", "Cancel", id="bulk_edit.cancel"),
    ]

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        reasons = [(r.label, r.value) for r in STATUS_REASONS[LeadState.OPEN]]
        fields = (
            ("rating", "Rating", Rating.choices()),
            ("lead_source", "Lead source", LeadSource.choices()),
            ("status_reason", "Status reason", reasons),
        )
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Bulk edit"
            yield Static(f"Change {self.count:,} lead(s). Closed leads are skipped.", id="message")
            for name, label, choices in fields:
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield Select(choices, id=f"b-{name}", compact=True, prompt="(unchanged)")
            with Horizontal(classes="buttons"):
                yield Button("Apply (ctrl+s)", id="apply", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)
        yield Footer()

    def values(self) -> dict[str, Any]:
        out = {}
        for name in ("rating", "lead_source", "status_reason"):
            value = self.query_one(f"#b-{name}", Select).value
            if value != Select.NULL:
                out[name] = value
        return out

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.dismiss(None)

    def action_apply(self) -> None:
        values = self.values()
        if not values:
            self.notify("Choose at least one field to change.", severity="warning")
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
