"""Which lead field each column of a CSV file feeds: one Select per column.

Each column of the file gets its header (shown literally: it is the file's text)
and a Select of the lead fields, or "ignore", preset to what leadq recognised
from the header. `mapping()` is what the user changed, as `models.import_leads`
takes it (`{header: field or "-"}`); `ColumnPicker.Changed` is posted each time
it changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Select, Static

import models

from .literal import printable

IGNORE = models.IMPORT_IGNORE  # what a column mapped to nothing reads as
FIELD_CHOICES: list[tuple[str, str]] = [
    ("(ignore)", IGNORE),
    *((models.FIELD_LABELS[name], name) for name in models.LEAD_FORM_FIELDS),
]


class ColumnPicker(VerticalScroll, can_focus=False):
    DEFAULT_CSS = """
    ColumnPicker {
        layout: grid;
        grid-size: 2;
        grid-columns: 1fr 1fr;
        grid-rows: 1;
        grid-gutter: 0 2;
        height: auto;
        max-height: 6;
    }
    ColumnPicker > .column {
        height: 1;
    }
    ColumnPicker .header {
        width: 15;
        padding-right: 1;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    ColumnPicker Select {
        width: 1fr;
    }
    """

    class Changed(Message):
        """The user mapped a column to another field (or to ignore)."""

        def __init__(self, picker: ColumnPicker, mapping: dict[str, str]) -> None:
            super().__init__()
            self.picker = picker
            self.mapping = mapping

        @property
        def control(self) -> ColumnPicker:
            return self.picker

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.headers: list[str] = []
        self.presets: list[str] = []  # what leadq recognised: a field name or IGNORE
        self._posted: dict[str, str] = {}

    async def show(self, headers: Sequence[str], fields: Sequence[str]) -> None:
        """One picker per column of a newly opened file, preset to `fields` (a lead
        field name per column, "" for a column leadq does not recognise)."""
        self.headers = list(headers)
        self.presets = [field or IGNORE for field in fields]
        self._posted = {}
        await self.remove_children()
        rows = []
        for index, (header, preset) in enumerate(zip(self.headers, self.presets, strict=True)):
            label = Static(Content(printable(header) or f"(column {index + 1})"), classes="header")
            picker = Select(
                FIELD_CHOICES,
                value=preset,
                allow_blank=False,
                id=f"map-{index}",
                compact=True,
            )
            picker.tooltip = Content(printable(header))
            rows.append(Horizontal(label, picker, classes="column"))
        await self.mount_all(rows)

    def pickers(self) -> list[Select[str]]:
        return [self.query_one(f"#map-{i}", Select) for i in range(len(self.headers))]

    def mapping(self) -> dict[str, str]:
        """The columns the user mapped differently from the preset."""
        out: dict[str, str] = {}
        for header, preset, picker in zip(self.headers, self.presets, self.pickers(), strict=True):
            value = picker.value
            if isinstance(value, str) and value != preset:
                out[header] = value
        return out

    def choose(self, header: str, field: str) -> None:
        """Map the column with this header to `field` (a name or IGNORE), as the user would."""
        self.pickers()[self.headers.index(header)].value = field

    @on(Select.Changed)
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        if len(self.headers) != len(self.children):
            return  # still mounting
        mapping = self.mapping()
        if mapping != self._posted:
            self._posted = mapping
            self.post_message(self.Changed(self, mapping))
