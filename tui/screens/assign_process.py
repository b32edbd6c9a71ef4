"""Pick an active qualifying process to assign to a lead. Dismisses its id or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from models import ProcessSummary

from ..widgets.literal import literal


def process_option(process: ProcessSummary, current: bool) -> Option:
    noun = "activity" if process.activities == 1 else "activities"
    counts = f"{process.activities} {noun}, {process.required} required"
    lines = [
        Content.assemble(
            literal(process.name, "bold"),
            (f"  ({counts})", "dim"),
            ("  (current)" if current else "", "italic"),
        )
    ]
    if process.description:
        lines.append(literal(process.description, "dim"))
    return Option(Content("\n").join(lines), id=str(process.id))


class AssignProcessScreen(ModalScreen["int | None"]):
    CSS_PATH = "assign_process.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="assign_process.cancel"),
    ]

    def __init__(self, processes: list[ProcessSummary], current_id: int | None = None) -> None:
        super().__init__()
        self.processes = processes
        self.current_id = current_id

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Assign a qualifying process"
            if self.processes:
                yield Static(
                    Content(
                        "Its activities are added to the lead with due dates from today. "
                        "Enter assigns; escape cancels."
                    ),
                    id="hint",
                )
                yield OptionList(
                    *[process_option(p, p.id == self.current_id) for p in self.processes],
                    id="processes",
                )
                if self.current_id is not None:
                    yield Static(
                        Content(
                            "The lead's current activities are replaced (refused if any is done)."
                        ),
                        id="warning",
                    )
            else:
                yield Static(
                    Content(
                        "There is no active qualifying process. An administrator defines them "
                        "on the Qualifying processes screen."
                    ),
                    id="hint",
                )
        yield Footer()

    def on_mount(self) -> None:
        if self.processes:
            option_list = self.query_one("#processes", OptionList)
            option_list.highlighted = 0
            option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id) if event.option.id else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
