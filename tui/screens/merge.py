"""Merge 2-5 duplicate leads side by side (from the possible-duplicates view or a
selection on the lead list).

One column per lead, the master first; one row per field, the fields that differ
first. The value the master will keep is marked ●; 1-5 take the value of that
column for the highlighted field, F4 makes the next lead the master, F6 merges
(`models.merge_leads`, in a thread worker). A refusal is said before anything
changes (only open leads merge, as in Dynamics 365).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

import models

from ..widgets.literal import literal, printable

CHOSEN = "● "
OTHER = "  "


def shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return printable(value)


class MergeScreen(Screen[bool]):
    """Dismisses True once merged."""

    CSS_PATH = "merge.tcss"
    TITLE = "Merge leads"
    AUTO_FOCUS = "#fields"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(str(n), f"take({n - 1})", f"Take #{n}", show=n == 1, id=f"merge.take{n}")
            for n in range(1, 6)
        ),
        Binding("f4", "next_master", "Next master", id="merge.master"),
        Binding("f6", "merge", "Merge", id="merge.run"),
        Binding("escape", "cancel", "Cancel", id="merge.cancel"),
    ]

    def __init__(self, lead_ids: list[int]) -> None:
        super().__init__()
        self.lead_ids = list(lead_ids)
        self.fields: list[models.MergeField] = []
        self.choices: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content(""), id="intro")
        yield DataTable(id="fields", cursor_type="row", zebra_stripes=True)
        yield Static(Content(""), id="result")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="merge-load", exit_on_error=False)
    def _load(self) -> None:
        try:
            with models.thread_connection():
                fields = models.merge_fields("lead", self.lead_ids)
        except models.LeadqError as exc:
            self.app.call_from_thread(self._show_error, exc.message)
            return
        self.app.call_from_thread(self._show_fields, fields)

    def _show_error(self, message: str) -> None:
        self.query_one("#result", Static).update(literal(message, "bold $error", multiline=True))

    def _show_fields(self, fields: list[models.MergeField]) -> None:
        self.fields = sorted(fields, key=lambda f: not f.differs)  # differing fields first
        self.choices = {f.name: self.choices.get(f.name, f.default) for f in self.fields}
        differing = sum(1 for f in fields if f.differs)
        self.query_one("#intro", Static).update(
            Content(
                f"Lead #{self.lead_ids[0]} is the master (F4: the next one). {differing} field(s) "
                "differ; 1-5 take that column's value for the highlighted field."
            )
        )
        self._redraw()

    def _redraw(self) -> None:
        table = self.query_one("#fields", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_column("Field")
        for number, lead_id in enumerate(self.lead_ids, start=1):
            master = " (master)" if number == 1 else ""
            table.add_column(f"{number}: #{lead_id}{master}")
        # Every column on the screen at 80 columns: the values share what the labels leave.
        width = max((self.size.width - 32) // len(self.lead_ids) - 3, 8)
        for field in self.fields:
            values = dict(field.values)
            cells = [Text(field.label, style="bold" if field.differs else "")]
            for lead_id in self.lead_ids:
                mark = CHOSEN if self.choices.get(field.name) == lead_id else OTHER
                text = shown(values.get(lead_id))
                text = text if len(text) <= width else text[: width - 1] + "…"
                cells.append(Text(mark + text))
            table.add_row(*cells, key=field.name)
        if self.fields:
            table.move_cursor(row=min(row, len(self.fields) - 1))

    def action_take(self, column: int) -> None:
        table = self.query_one("#fields", DataTable)
        if column >= len(self.lead_ids) or not self.fields:
            return
        field = self.fields[table.cursor_row]
        self.choices[field.name] = self.lead_ids[column]
        self._redraw()

    def action_next_master(self) -> None:
        self.lead_ids = [*self.lead_ids[1:], self.lead_ids[0]]
        self.choices = {}
        self._load()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_merge(self) -> None:
        if self.fields:
            self._merge(self.lead_ids[0], self.lead_ids[1:], dict(self.choices))

    @work(thread=True, exclusive=True, group="merge-run", exit_on_error=False)
    def _merge(self, master: int, others: list[int], choices: dict[str, int]) -> None:
        user = self.app.user  # type: ignore[attr-defined]
        try:
            with models.thread_connection():
                lead = models.merge_leads(user, master, others, choices)
        except models.LeadqError as exc:
            self.app.call_from_thread(self._show_error, exc.message)
            return
        self.app.call_from_thread(self._merged, lead.id, lead.full_name, len(others))

    def _merged(self, lead_id: int, name: str, count: int) -> None:
        self.notify(f"Merged {count} lead(s) into #{lead_id} {printable(name)}.")
        self.app.data_version += 1  # type: ignore[attr-defined]
        self.dismiss(True)
