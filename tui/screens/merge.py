"""Merge duplicates side by side: 2-5 leads (from the possible-duplicates view or a
selection on the lead list), or two accounts or two contacts (from their lists).

One column per record, the master first; one row per field, the fields that
differ first. The value the master will keep is marked ●; 1-5 take the value of
that column for the highlighted field, F4 makes the next record the master, F6
asks to confirm, then merges (`models.merge_leads` / `merge_accounts` /
`merge_contacts`, in a thread worker). For two contacts of different accounts, p
turns the parent check off (Dynamics 365's "Enable parent check"; on, the merge is
refused). A refusal (closed or merged records, a record the user may not change)
is said before anything is asked (`models.merge_fields(user, ...)`).
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
PLURAL = {"lead": "leads", "account": "accounts", "contact": "contacts"}
MOVED = {
    "lead": "closed as merged; its notes, attachments and history move to the master",
    "account": "deactivated (read-only); its contacts, opportunities, leads, notes and "
    "history move to the master",
    "contact": "deactivated (read-only); its opportunities, leads, notes and history "
    "move to the master",
}


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
    AUTO_FOCUS = "#fields"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(str(n), f"take({n - 1})", f"Take #{n}", show=n == 1, id=f"merge.take{n}")
            for n in range(1, 6)
        ),
        Binding("f4", "next_master", "Next master", id="merge.master"),
        Binding("p", "parent_check", "Parent check", id="merge.parent_check"),
        Binding("f6", "merge", "Merge", id="merge.run"),
        Binding("escape", "cancel", "Cancel", id="merge.cancel"),
    ]

    def __init__(self, ids: list[int], kind: str = "lead") -> None:
        super().__init__()
        self.kind = kind
        self.ids = list(ids)
        self.title = f"Merge {PLURAL[kind]}"
        self.fields: list[models.MergeField] = []
        self.choices: dict[str, int] = {}
        self.parent_check = True
        self.parents_differ = False
        self.names: dict[int, str] = {}

    @property
    def lead_ids(self) -> list[int]:  # the lead list's name for them
        return self.ids

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content(""), id="intro")
        yield DataTable(id="fields", cursor_type="row", zebra_stripes=True)
        yield Static(Content(""), id="result")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "parent_check":
            return self.parents_differ  # only for two contacts of different accounts
        if action == "take":
            return parameters[0] < len(self.ids)  # type: ignore[operator]
        return True  # F6 stays this screen's key (not the app's Contacts) when refused

    @work(thread=True, exclusive=True, group="merge-load", exit_on_error=False)
    def _load(self) -> None:
        user = self.app.user  # type: ignore[attr-defined]
        try:
            with models.thread_connection():
                fields = models.merge_fields(user, self.kind, self.ids)
        except models.LeadqError as exc:
            self.app.call_from_thread(self._show_error, exc.message)
            return
        self.app.call_from_thread(self._show_fields, fields)

    def _show_error(self, message: str) -> None:
        self.query_one("#result", Static).update(literal(message, "bold $error", multiline=True))
        self.refresh_bindings()

    def _show_fields(self, fields: list[models.MergeField]) -> None:
        self.fields = sorted(fields, key=lambda f: not f.differs)  # differing fields first
        self.choices = {f.name: self.choices.get(f.name, f.default) for f in self.fields}
        self.parents_differ = models.parents_differ(self.kind, fields)
        self.names = self._names(fields)
        self.query_one("#result", Static).update(Content(""))
        self._show_intro()
        self._redraw()
        self.refresh_bindings()

    def _names(self, fields: list[models.MergeField]) -> dict[int, str]:
        by_name = {f.name: dict(f.values) for f in fields}
        if self.kind == "account":
            return {i: str(by_name["name"][i]) for i in self.ids}
        return {
            i: " ".join(p for p in (by_name["first_name"][i], by_name["last_name"][i]) if p)
            for i in self.ids
        }

    def _show_intro(self) -> None:
        differing = sum(1 for f in self.fields if f.differs)
        noun = self.kind.capitalize()
        keys = f"1-{len(self.ids)}"
        text = (
            f"{noun} #{self.ids[0]} is the master (F4: the next one). {differing} field(s) "
            f"differ; {keys} take that column's value for the highlighted field. F6 merges."
        )
        if self.parents_differ:
            state = "on: the merge is refused (p: off)" if self.parent_check else (
                "off: the master keeps the account marked ● (p: on)")  # fmt: skip
            text += f"\nThe contacts belong to different accounts. Parent check {state}."
        self.query_one("#intro", Static).update(Content(text))

    def _redraw(self) -> None:
        table = self.query_one("#fields", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_column("Field")
        # Every column on the screen at 60 columns: the values share what the labels leave.
        label_width = max((len(f.label) for f in self.fields), default=5)
        spare = self.size.width - min(label_width, 26) - 6 - 3 * len(self.ids)
        width = max(spare // len(self.ids) - 2, 8)
        for number, record_id in enumerate(self.ids, start=1):
            master = " (master)" if number == 1 else ""
            header = f"{number}: #{record_id} {self.names.get(record_id, '')}".rstrip()
            room = width + 2 - len(master)
            header = header if len(header) <= room else header[: room - 1] + "…"
            table.add_column(Text(printable(header + master)))
        for field in self.fields:
            values = dict(field.values)
            texts = dict(zip(self.ids, field.texts, strict=False)) if field.texts else {}
            label = field.label if len(field.label) <= 26 else field.label[:25] + "…"
            cells = [Text(label, style="bold" if field.differs else "")]
            for record_id in self.ids:
                mark = CHOSEN if self.choices.get(field.name) == record_id else OTHER
                text = shown(texts[record_id] if texts else values.get(record_id))
                text = text if len(text) <= width else text[: width - 1] + "…"
                cells.append(Text(mark + text))
            table.add_row(*cells, key=field.name)
        if self.fields:
            table.move_cursor(row=min(row, len(self.fields) - 1))

    def action_take(self, column: int) -> None:
        table = self.query_one("#fields", DataTable)
        if column >= len(self.ids) or not self.fields:
            return
        field = self.fields[table.cursor_row]
        self.choices[field.name] = self.ids[column]
        self._redraw()

    def action_next_master(self) -> None:
        self.ids = [*self.ids[1:], self.ids[0]]
        self.choices = {}
        self._load()

    def action_parent_check(self) -> None:
        self.parent_check = not self.parent_check
        self._show_intro()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_merge(self) -> None:
        if not self.fields:
            return
        from .confirm import ConfirmScreen

        master, others = self.ids[0], self.ids[1:]
        if self.parents_differ and self.parent_check:  # refused: say so, ask nothing
            self._merge(master, others, dict(self.choices), True)
            return
        if self.kind == "lead":
            what = f"{len(others)} lead(s) into lead #{master}"
        else:
            what = f"{self.kind} #{others[0]} {self.names[others[0]]} into #{master} "
            what += self.names[master]
        changed = [f.label for f in self.fields if self.choices[f.name] != master]
        taken = ", ".join(changed) if changed else "none"
        message = (
            f"Merge {what}? The other is {MOVED[self.kind]}. Fields the master takes from "
            f"the other: {taken}. This cannot be undone."
        )
        choices = dict(self.choices)

        def answered(yes: bool | None) -> None:
            if yes:
                self._merge(master, others, choices, self.parent_check)

        self.app.push_screen(
            ConfirmScreen(f"Merge {PLURAL[self.kind]}", message, confirm_label="Merge"),
            answered,
        )

    @work(thread=True, exclusive=True, group="merge-run", exit_on_error=False)
    def _merge(
        self, master: int, others: list[int], choices: dict[str, int], parent_check: bool
    ) -> None:
        user = self.app.user  # type: ignore[attr-defined]
        try:
            with models.thread_connection():
                if self.kind == "lead":
                    merged: Any = models.merge_leads(user, master, others, choices)
                elif self.kind == "account":
                    merged = models.merge_accounts(user, master, others[0], choices)
                else:
                    merged = models.merge_contacts(
                        user, master, others[0], choices, parent_check=parent_check
                    )
        except models.LeadqError as exc:
            self.app.call_from_thread(self._show_error, exc.message)
            return
        name = merged.full_name if self.kind == "lead" else str(merged)
        self.app.call_from_thread(self._merged, merged.id, name, len(others))

    def _merged(self, record_id: int, name: str, count: int) -> None:
        noun = f"{count} lead(s)" if self.kind == "lead" else f"the {self.kind}"
        self.notify(f"Merged {noun} into #{record_id} {printable(name)}.")
        self.app.data_version += 1  # type: ignore[attr-defined]
        self.dismiss(True)
