"""Looking up an existing account or contact: a field that shows the pick and a
modal that searches by the start of the name (see `models.search_accounts`)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

import models

from .literal import literal

KINDS = {"account": "account", "contact": "contact"}


@dataclass(frozen=True)
class LookupPick:
    """What the lookup returned: a record (id and label) or, with id None, "no link"."""

    id: int | None
    label: str = ""


def search(kind: str, text: str) -> list[LookupPick]:
    """Accounts or contacts starting with `text`, as picks (runs in a worker thread)."""
    if kind == "account":
        return [LookupPick(a.id, models.account_label(a)) for a in models.search_accounts(text)]
    return [LookupPick(c.id, models.contact_label(c)) for c in models.search_contacts(text)]


class LookupScreen(ModalScreen[LookupPick | None]):
    """Search accounts or contacts by name; enter picks, ctrl+x clears, escape cancels.

    Dismisses a `LookupPick` (id None means "clear the link") or None when cancelled.
    """

    DEFAULT_CSS = """
    LookupScreen {
        align: center middle;
    }
    LookupScreen > #dialog {
        width: 72;
        max-width: 100%;
        height: auto;
        border: thick $primary;
        padding: 0 1;
        background: $surface;
    }
    LookupScreen #lookup-results {
        height: 10;
        margin: 1 0 0 0;
    }
    LookupScreen #lookup-status {
        height: 1;
        color: $text-muted;
    }
    LookupScreen .buttons {
        height: auto;
        align-horizontal: right;
    }
    LookupScreen Button {
        margin: 0 0 0 1;
        padding: 0;
        min-width: 10;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="lookup.cancel"),
        Binding("ctrl+x", "clear_link", "Clear link", id="lookup.clear", priority=True),
        Binding("down", "move(1)", "Next", show=False, id="lookup.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="lookup.up"),
    ]

    def __init__(self, kind: str, current: str = "") -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}")
        self.kind = kind
        self.current = current
        self.picks: list[LookupPick] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = f"Existing {self.kind}"
            now = self.current or "none"
            yield Static(literal(f"Linked now: {now}"), id="lookup-current")
            yield Input(placeholder=f"Start of the {self.kind}'s name", id="lookup-query")
            yield OptionList(id="lookup-results")
            yield Static("", id="lookup-status")
            with Horizontal(classes="buttons"):
                yield Button("Pick (enter)", id="lookup-pick", variant="primary", compact=True)
                yield Button("Clear link (ctrl+x)", id="lookup-clear", compact=True)
                yield Button("Cancel (esc)", id="lookup-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#lookup-query", Input).focus()
        self.run_search("")

    @on(Input.Changed, "#lookup-query")
    def _query_changed(self, event: Input.Changed) -> None:
        self.run_search(event.value)

    @work(thread=True, exclusive=True, group="lookup", exit_on_error=False)
    def run_search(self, text: str) -> None:
        with models.thread_connection():
            picks = search(self.kind, text)
        self.app.call_from_thread(self._show_results, text, picks)

    def _show_results(self, text: str, picks: list[LookupPick]) -> None:
        if self.query_one("#lookup-query", Input).value != text:
            return  # a newer search is on its way
        self.picks = picks
        results = self.query_one("#lookup-results", OptionList)
        results.clear_options()
        results.add_options(Option(literal(p.label), id=str(p.id)) for p in picks)
        if picks:
            results.highlighted = 0
        status = f"{len(picks)} found" if picks else f"No {self.kind} starts with that."
        self.query_one("#lookup-status", Static).update(status)

    def _highlighted_pick(self) -> LookupPick | None:
        index = self.query_one("#lookup-results", OptionList).highlighted
        if index is None or not 0 <= index < len(self.picks):
            return None
        return self.picks[index]

    def action_move(self, step: int) -> None:
        results = self.query_one("#lookup-results", OptionList)
        if step > 0:
            results.action_cursor_down()
        else:
            results.action_cursor_up()

    def action_pick(self) -> None:
        pick = self._highlighted_pick()
        if pick is None:
            self.query_one("#lookup-status", Static).update(f"Type a name and pick a {self.kind}.")
            return
        self.dismiss(pick)

    def action_clear_link(self) -> None:
        self.dismiss(LookupPick(None))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#lookup-query")
    def _submitted(self) -> None:
        self.action_pick()

    @on(OptionList.OptionSelected, "#lookup-results")
    def _selected(self) -> None:
        self.action_pick()

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        event.stop()
        {
            "lookup-pick": self.action_pick,
            "lookup-clear": self.action_clear_link,
            "lookup-cancel": self.action_cancel,
        }[event.button.id or "lookup-cancel"]()


class LookupField(Widget, can_focus=True):
    """A form field holding a link to an existing account or contact.

    Enter (or space, or a click) opens the lookup; delete clears the link.
    """

    DEFAULT_CSS = """
    LookupField {
        height: 1;
        width: 1fr;
        background: $boost;
        padding: 0 1;
    }
    LookupField:focus {
        text-style: reverse;
    }
    LookupField:disabled {
        opacity: 0.6;
    }
    """

    BINDINGS = [
        Binding("enter,space", "open_lookup", "Look up", id="lookup_field.open"),
        Binding("delete", "clear", "Clear", show=False, id="lookup_field.clear"),
    ]

    value: reactive[int | None] = reactive(None, init=False)

    class Changed(Message):
        def __init__(self, field: LookupField, value: int | None) -> None:
            super().__init__()
            self.field = field
            self.value = value

        @property
        def control(self) -> LookupField:
            return self.field

    def __init__(
        self,
        kind: str,
        value: int | None = None,
        label: str = "",
        *,
        id: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(id=id, disabled=disabled)
        self.kind = kind
        self.set_reference(value, label)

    def set_reference(self, value: int | None, label: str = "") -> None:
        """Show `value` without announcing a change (used when loading the record)."""
        self.label = label if value is not None else ""
        self.set_reactive(LookupField.value, value)
        self.refresh()

    def render(self) -> Content:
        if self.value is None:
            hint = "" if self.disabled else "  enter: look up"
            return Content.assemble(("(none)", "dim"), (hint, "dim italic"))
        return Content.assemble(literal(self.label), (f"  #{self.value}", "dim"))

    def action_open_lookup(self) -> None:
        def picked(pick: LookupPick | None) -> None:
            if pick is None:
                return
            self.label = pick.label
            self.value = pick.id
            self.refresh()

        self.app.push_screen(LookupScreen(self.kind, self.label), picked)

    def action_clear(self) -> None:
        self.label = ""
        self.value = None
        self.refresh()

    def watch_value(self, value: int | None) -> None:
        self.post_message(self.Changed(self, value))

    def on_click(self) -> None:
        if not self.disabled:
            self.action_open_lookup()
