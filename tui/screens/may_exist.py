"""The "may already exist" dialog shown on create, as Dynamics 365 does: the records
the new one matches, each with the rule that matched; open one of them, Ignore
and save (create it anyway), or go back to the form.

It dismisses with "ignore", ("open", kind, id), or None (back to the form).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, OptionList, Static
from textual.widgets.option_list import Option

import models

from ..widgets.literal import literal

Answer = str | tuple[str, str, int] | None


class MayAlreadyExistScreen(ModalScreen[Answer]):
    CSS_PATH = "may_exist.tcss"
    AUTO_FOCUS = "#matches"
    BINDINGS = [
        Binding("i", "ignore", "Ignore and save", id="may_exist.ignore"),
        Binding("escape", "back", "Back to the form", id="may_exist.back"),
    ]

    def __init__(self, what: str, matches: models.DuplicateMatches) -> None:
        super().__init__()
        self.what = what
        self.matches = matches

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = f"{self.what.capitalize()} may already exist"
            yield Static(
                f"The {self.what} you are saving matches the records below. Open one "
                "(enter), or Ignore and save to create it anyway.",
                id="message",
                markup=False,
            )
            yield OptionList(*self._options(), id="matches")
            with Horizontal(classes="buttons"):
                yield Button("Ignore and save (i)", id="ignore", variant="warning", compact=True)
                yield Button("Back (esc)", id="back", compact=True)
        yield Footer()

    def _options(self) -> list[Option]:
        options: list[Option] = []
        groups = (
            ("Leads", self.matches.leads),
            ("Accounts", self.matches.accounts),
            ("Contacts", self.matches.contacts),
        )
        for heading, found in groups:
            if not found:
                continue
            options.append(Option(Content.styled(f"{heading} ({len(found)})", "bold"),
                                  disabled=True))  # fmt: skip
            for match in found:
                details = " · ".join(d for d in match.details if d)
                prompt = Content.assemble(
                    "  ",
                    literal(match.title).stylize("bold"),
                    "  ",
                    literal(details),
                    ("  (" + ", ".join(match.rules) + ")", "italic"),
                )
                options.append(Option(prompt, id=f"{match.kind}:{match.id}"))
        return options

    @on(OptionList.OptionSelected, "#matches")
    def _open(self, event: OptionList.OptionSelected) -> None:
        kind, record_id = (event.option.id or ":").split(":")
        self.dismiss(("open", kind, int(record_id)))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ignore":
            self.dismiss("ignore")
        else:
            self.dismiss(None)

    def action_ignore(self) -> None:
        self.dismiss("ignore")

    def action_back(self) -> None:
        self.dismiss(None)
