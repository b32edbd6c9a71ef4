"""The duplicate-match picker, in the experience the org settings choose.

- Improved ("Account or contact may already exist"): matched accounts and
  matched contacts with the details that tell them apart and the rule that
  matched. Select one (space/enter) and Continue to link it, or Ignore and save
  to create new records.
- Classic duplicate warning: Account and Contact fields whose lists hold only
  the matches; blank means create a new record; Continue.

Dismisses a `PickerResult`. In a bulk qualification (`position` given) the
picker also offers Skip (this lead) and Skip all (the remaining leads).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Select, Static

import models
from tui.widgets.cursor_list import CURSOR, NO_CURSOR, CursorOptionList
from tui.widgets.literal import literal

PickerAction = Literal["continue", "ignore", "skip", "skip_all", "cancel"]


@dataclass(frozen=True)
class PickerResult:
    """What the user decided about one lead's possible duplicates."""

    action: PickerAction
    account_id: int | None = None
    contact_id: int | None = None

    @property
    def proceeds(self) -> bool:
        """True when the lead should be qualified again (linked or created new)."""
        return self.action in ("continue", "ignore")

    def choice(self, base: models.QualifyChoice) -> models.QualifyChoice:
        """`base` with the picked records linked; what is not picked is created new."""
        return replace(
            base,
            link_account_id=self.account_id,
            link_contact_id=self.contact_id,
            ignore_duplicates=True,
        )


def match_summary(match: models.MatchedRecord) -> Content:
    """One line: the record's title and the details that tell it apart (literal)."""
    return literal(" · ".join((match.title, *match.details)))


def match_prompt(match: models.MatchedRecord, selected: bool, highlighted: bool = False) -> Content:
    """A matched record as an option: title, details, rules. Literal text only."""
    cursor = CURSOR if highlighted else NO_CURSOR
    marker = "(•) " if selected else "( ) "
    lines = [Content.assemble(cursor, marker, literal(match.title, "bold"))]
    if match.details:
        details = literal(" · ".join(match.details))
        lines.append(Content.assemble(("      ", "not bold"), details))
    rules = literal("Matched: " + ", ".join(match.rules), "italic")
    lines.append(Content.assemble("      ", rules))
    return Content("\n").join(lines)


class MatchList(CursorOptionList):
    """Matched records of one kind; at most one is selected (marked with (•))."""

    DEFAULT_CSS = """
    MatchList {
        height: auto;
        max-height: 6;
        border: none;
        border-left: blank;
        padding: 0;
    }
    MatchList:focus {
        border: none;
        border-left: thick $primary;
    }
    """

    def __init__(self, matches: list[models.MatchedRecord], *, id: str) -> None:
        self.matches = matches
        self.selected: int | None = None
        super().__init__(len(matches), id=id)
        self.highlighted = 0

    def option_id(self, index: int) -> str:
        match = self.matches[index]
        return f"{match.kind}-{match.id}"

    def prompt_for(self, index: int, highlighted: bool) -> Content:
        return match_prompt(self.matches[index], self.selected == index, highlighted)

    @property
    def selected_id(self) -> int | None:
        return None if self.selected is None else self.matches[self.selected].id

    def action_select(self) -> None:
        """Enter or a click selects the highlighted record (or clears it) at once,
        so a key pressed right after sees the selection; then focus moves on."""
        if self.highlighted is None:
            return
        self.toggle(self.highlighted)
        if self.selected is not None:
            self.screen.focus_next()

    def toggle(self, index: int) -> None:
        previous = self.selected
        self.selected = None if previous == index else index
        for i in {previous, index} - {None}:
            if i is not None:
                self.refresh_prompt(i)


class DuplicatePicker(ModalScreen[PickerResult]):
    CSS_PATH = "duplicate_picker.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (76, "-wide")]
    """Below 76 columns a bulk picker's four buttons go on two rows."""
    AUTO_FOCUS = "MatchList, Select, #continue"
    BINDINGS = [
        Binding("c", "finish('continue')", "Continue", id="picker_continue"),
        Binding("i", "finish('ignore')", "Ignore and save", id="picker_ignore"),
        Binding("space", "select_highlighted", "Select", show=False, id="picker_select"),
        Binding("s", "finish('skip')", "Skip lead", id="picker_skip"),
        Binding("S", "finish('skip_all')", "Skip all", id="picker_skip_all"),
        Binding("escape", "finish('cancel')", "Cancel", id="picker_cancel"),
        Binding("escape", "finish('skip')", "Skip lead", show=False, id="picker_escape_skip"),
    ]

    def __init__(
        self,
        lead_name: str,
        matches: models.DuplicateMatches,
        *,
        improved: bool = True,
        position: tuple[int, int] | None = None,
        linked: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.lead_name = lead_name
        self.matches = matches
        self.improved = improved
        self.position = position
        self.linked = dict(linked or {})
        """{"account"/"contact": label} of the lead's existing records qualifying links."""

    @property
    def bulk(self) -> bool:
        return self.position is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "finish" and parameters and parameters[0] in ("skip", "skip_all"):
            return self.bulk
        if action == "finish" and parameters == ("cancel",):
            return not self.bulk
        if action == "finish" and parameters == ("ignore",):
            return self.improved
        if action == "select_highlighted":
            return self.improved
        return True

    # Layout.
    def compose(self) -> ComposeResult:
        title = "Account or contact may already exist" if self.improved else "Duplicate warning"
        with Vertical(id="dialog", classes="improved" if self.improved else "classic") as dialog:
            dialog.border_title = title
            if self.position is not None:
                done, total = self.position
                dialog.border_subtitle = f"lead {done} of {total} with possible duplicates"
            yield Static(self._intro(), id="intro")
            with VerticalScroll(id="matches"):
                if self.improved:
                    yield from self._compose_improved()
                else:
                    yield from self._compose_classic()
            with Horizontal(classes="buttons bulk" if self.bulk else "buttons"):
                yield Button("Continue (c)", id="continue", variant="primary", compact=True)
                if self.improved:
                    yield Button("Ignore and save (i)", id="ignore", compact=True)
                if self.bulk:
                    yield Button("Skip (s)", id="skip", compact=True)
                    yield Button("Skip all (S)", id="skip_all", compact=True)
                else:
                    yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def _intro(self) -> Content:
        if self.improved:
            tail = (
                ". Select a record to link it and Continue, or Ignore and save to "
                "create new records."
            )
        else:
            tail = (
                " might be a duplicate. Pick the existing account and contact, or leave a "
                "field blank to create a new one; then Continue."
            )
        return Content.assemble("Qualifying ", literal(self.lead_name, "bold"), tail)

    def _compose_improved(self) -> ComposeResult:
        if self.matches.accounts:
            yield Label(f"Matched accounts ({len(self.matches.accounts)})", classes="heading")
            yield MatchList(self.matches.accounts, id="accounts")
        if self.matches.contacts:
            yield Label(f"Matched contacts ({len(self.matches.contacts)})", classes="heading")
            yield MatchList(self.matches.contacts, id="contacts")

    def _compose_classic(self) -> ComposeResult:
        for kind, found in (("account", self.matches.accounts), ("contact", self.matches.contacts)):
            yield Label(kind.capitalize(), classes="heading")
            if not found:
                if kind in self.linked:
                    text = Content.assemble(
                        f"The lead's existing {kind} is linked: ", literal(self.linked[kind])
                    )
                else:
                    text = Content(
                        f"No matching {kind}: a new {kind} is created if you asked for one."
                    )
                yield Static(text, classes="none")
                continue
            options = [(match_summary(m), m.id) for m in found]
            yield Select(
                options,
                prompt=f"(blank: create a new {kind})",
                id=f"{kind}s",
                classes="classic-select",
            )
            yield Static(Content(""), id=f"{kind}-details", classes="details")

    # Improved experience: selecting records (see MatchList.action_select).
    def action_select_highlighted(self) -> None:
        focused = self.focused
        if isinstance(focused, MatchList) and focused.highlighted is not None:
            focused.toggle(focused.highlighted)

    # Classic experience: show the details of the picked match.
    def on_select_changed(self, event: Select.Changed) -> None:
        kind = "account" if event.select.id == "accounts" else "contact"
        found = self.matches.accounts if kind == "account" else self.matches.contacts
        details = self.query_one(f"#{kind}-details", Static)
        match = next((m for m in found if m.id == event.value), None)
        if match is None:
            details.update(Content(f"A new {kind} will be created."))
        else:
            details.update(literal("Matched: " + ", ".join(match.rules)))

    # Results.
    def _picked(self, kind: str) -> int | None:
        if self.improved:
            lists = self.query(f"#{kind}s").results(MatchList)
            return next((m.selected_id for m in lists), None)
        selects = list(self.query(f"#{kind}s").results(Select))
        if not selects or selects[0].is_blank():
            return None
        value = selects[0].value
        return value if isinstance(value, int) else None

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id or "cancel"
        self.action_finish(button)

    def action_finish(self, action: str) -> None:
        account_id, contact_id = self._picked("account"), self._picked("contact")
        if action == "continue" and self.improved and account_id is None and contact_id is None:
            self.notify(
                "Select a matched account or contact to link, or choose Ignore and save.",
                title="Nothing selected",
                severity="warning",
                markup=False,
            )
            return
        if action == "continue":
            self.dismiss(PickerResult("continue", account_id, contact_id))
        elif action in ("ignore", "skip", "skip_all", "cancel"):
            self.dismiss(PickerResult(action))  # type: ignore[arg-type]
