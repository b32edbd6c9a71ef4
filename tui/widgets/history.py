"""A record's history: its audit events, newest first (when, who, what)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import DataTable

from models import HistoryEntry

from .literal import printable


def when(value: object) -> str:
    """A timestamp as the UI shows it (UTC, to the minute)."""
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


class HistoryTable(DataTable):
    """The audit events of one record; rows are read-only. Enter on a row shows
    the whole entry (a long line is cut at the screen's edge)."""

    DEFAULT_CSS = """
    HistoryTable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self.event_count = 0
        self._entries: dict[str, HistoryEntry] = {}
        self.add_column("When (UTC)", key="when", width=16)
        self.add_column("Who", key="who", width=16)
        self.add_column("What", key="what")

    def show_entries(self, entries: Iterable[HistoryEntry]) -> None:
        """Replace the rows with `entries` (already newest first)."""
        self.clear()
        self._entries = {}
        count = 0
        for entry in entries:
            self._entries[str(entry.id)] = entry
            self.add_row(
                Text(when(entry.at)),
                Text(printable(entry.who or "(system)")),
                Text(printable(entry.what)),
                key=str(entry.id),
            )
            count += 1
        self.event_count = count
        if not count:
            self.add_row(Text(""), Text(""), Text("No history yet."))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        entry = self._entries.get(str(event.row_key.value))
        if entry is None:
            return
        event.stop()
        from ..screens.confirm import MessageScreen

        who = printable(entry.who or "(system)")
        self.app.push_screen(
            MessageScreen(f"{when(entry.at)} UTC · {who}", printable(entry.what, multiline=True))
        )
