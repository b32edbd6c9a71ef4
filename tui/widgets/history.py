"""A record's history: its audit events, newest first (when, who, what)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import DataTable

from models import AuditEvent

from .literal import printable


def when(value: object) -> str:
    """A timestamp as the UI shows it (UTC, to the minute)."""
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


class HistoryTable(DataTable):
    """The audit events of one record; rows are read-only."""

    DEFAULT_CSS = """
    HistoryTable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self.event_count = 0
        self.add_column("When (UTC)", key="when", width=16)
        self.add_column("Who", key="who", width=16)
        self.add_column("What", key="what")

    def show_events(self, events: Iterable[AuditEvent]) -> None:
        """Replace the rows with `events` (already newest first)."""
        self.clear()
        count = 0
        for event in events:
            who = str(event.actor) if event.actor_id else "(system)"
            self.add_row(
                Text(when(event.at)),
                Text(printable(who)),
                Text(printable(event.summary or event.action)),
                key=str(event.id),
            )
            count += 1
        self.event_count = count
        if not count:
            self.add_row(Text(""), Text(""), Text("No history yet."))
