"""Export the lead list's current view, search or selection (CSV, JSON or JSONL).

The file goes to a local path, or in a served session into the user's own file
area (by name), never a server path. The export runs in a thread worker.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Select, Static

import models

from ..part_file import PartFile
from ..widgets.literal import literal

FORMAT_CHOICES = [
    ("CSV (spreadsheets, re-import)", "csv"),
    ("JSON", "json"),
    ("JSON Lines", "jsonl"),
]


class ExportDialog(ModalScreen[None]):
    CSS_PATH = "export_dialog.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
        Binding("ctrl+s", "export", "Export", id="export.run"),
    ]

    def __init__(self, view: str, search: str, selected: list[int]) -> None:
        super().__init__()
        self.view, self.search, self.selected = view, search, sorted(selected)

    @property
    def area(self) -> models.FileArea | None:
        return getattr(self.app, "file_area", None)

    def what(self) -> str:
        if self.selected:
            return f"the {len(self.selected):,} selected lead(s)"
        found = f' matching "{self.search}"' if self.search.strip() else ""
        return f"{models.VIEWS[self.view].lower()}{found}"

    def compose(self) -> ComposeResult:
        where = "a file name in your file area" if self.area is not None else "a file path"
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Export leads"
            yield Static(literal(f"Export {self.what()}, with the lead form's columns."))
            yield Select(FORMAT_CHOICES, value="csv", allow_blank=False, id="format", compact=True)
            yield Input(value=f"leads-{self.view}.csv", placeholder=where, id="target")
            yield Static(Content(""), id="result")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Export ^s", id="export", variant="primary", compact=True)
        yield Footer()

    @on(Select.Changed, "#format")
    def _format_changed(self, event: Select.Changed) -> None:
        target = self.query_one("#target", Input)
        stem = target.value.rsplit(".", 1)[0] if "." in target.value else target.value
        target.value = f"{stem}.{event.value}"

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#export")
    @on(Input.Submitted, "#target")
    def action_export(self) -> None:
        target = self.query_one("#target", Input).value.strip()
        if not target:
            self.notify("Name the file to write.", severity="warning")
            return
        self._export(target, str(self.query_one("#format", Select).value))

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, target: str, fmt: str) -> None:
        user = self.app.user  # type: ignore[attr-defined]
        try:
            with models.thread_connection():
                ids = models.export_ids(user, self.view, self.search, self.selected or None)
                count, where = self._write(target, ids, fmt)
        except models.LeadqError as exc:
            self.app.call_from_thread(self._show, exc.message, error=True)
            return
        except OSError as exc:
            self.app.call_from_thread(self._show, f"Cannot write {target}: {exc.strerror}.", True)
            return
        self.app.call_from_thread(self._done, f"Exported {count:,} lead(s) to {where}.")

    def _write(self, target: str, ids: object, fmt: str) -> tuple[int, str]:
        """Write the export; an existing file is refused, not replaced (as saving an
        attachment is), and a file area's size limit stops the export as soon as it
        is passed, instead of after the whole export sat in the server's memory."""
        area = self.area
        if area is not None:
            models.check_name(target)
            out = _CappedText(area.limits.per_file, target)
            count = models.export_leads(out, ids, fmt)  # type: ignore[arg-type]
            area.write(target, out.getvalue().encode("utf-8"))
            return count, f"{target} in your file area"
        path = Path(os.path.expanduser(target))
        if path.exists():
            raise models.NameTaken(f"{path} already exists; choose another name.")
        with PartFile(path) as part:
            count = models.export_leads(part.handle, ids, fmt)  # type: ignore[arg-type]
            try:
                part.publish(replace=False)  # never over a file made meanwhile
            except FileExistsError:
                raise models.NameTaken(f"{path} already exists; choose another name.") from None
        return count, str(path)

    def _show(self, message: str, error: bool = False) -> None:
        self.query_one("#result", Static).update(
            literal(message, "bold $error" if error else "", multiline=True)
        )

    def _done(self, message: str) -> None:
        self.notify(message)
        self.dismiss(None)


class _CappedText(io.StringIO):
    """Text for a file area that refuses to grow past `limit` bytes of UTF-8."""

    def __init__(self, limit: int, name: str) -> None:
        super().__init__()
        self.limit, self.name, self.size = limit, name, 0

    def write(self, text: str) -> int:
        self.size += len(text.encode("utf-8"))
        if self.size > self.limit:
            raise models.QuotaExceeded(
                f"{self.name} would be over {models.size_text(self.limit)}, the most a file in "
                "your area may hold; export a smaller view or selection."
            )
        return super().write(text)
