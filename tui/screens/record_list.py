"""Lists of accounts, contacts and opportunities: views (mine / all, and for
opportunities open / won / lost), search as you type, sort, multi-select, and on
the opportunity list the pipeline figures (open value per stage).

The rows live in a `RecordTable` (the lead list's virtual list engine); data for
the status line and the pipeline is read in exclusive thread workers.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static
from textual.worker import get_current_worker

import models
from models import ENTERED, record_list

from ..widgets.footer import KeyFooter
from ..widgets.lead_table import LeadTable, ListQuery
from ..widgets.record_table import RecordTable
from .list_screen import ListScreen

PLURAL = {"account": "accounts", "contact": "contacts", "opportunity": "opportunities"}
DEFAULT_VIEW = {"account": "all", "contact": "all", "opportunity": "open"}


def pipeline_line(figures: list[models.StageFigure], width: int = 0) -> Content:
    """`Pipeline  Develop 3 · 12,000.00   Propose ...   Open 5 · 20,000.00`; given a
    `width`, lines break between figures, never inside one."""
    chunks: list[Content] = [
        Content.assemble(
            (f"{figure.stage.label} ", "bold"), f"{figure.count} · {models.money(figure.value)}"
        )
        for figure in figures
    ]
    total = sum(f.value for f in figures)
    count = sum(f.count for f in figures)
    chunks.append(Content.assemble(("Open ", "bold"), f"{count} · {models.money(total)}"))
    lines: list[Content] = [Content.styled("Pipeline", "bold")]
    for chunk in chunks:
        joined = lines[-1] + Content("   ") + chunk
        if width and joined.cell_length > width and lines[-1].cell_length:
            lines.append(chunk)
        else:
            lines[-1] = joined
    return Content("\n").join(lines)


class PipelineFigures(Static):
    """The opportunity list's open value per stage, laid out again for each width."""

    figures: list[models.StageFigure] | None = None  # None until read

    def show(self, figures: list[models.StageFigure]) -> None:
        self.figures = list(figures)
        self._lay_out()

    def on_resize(self) -> None:
        self._lay_out()

    def _lay_out(self) -> None:
        if self.figures is None:
            return
        width = self.content_region.width or max(1, self.app.size.width - 2)
        self.update(pipeline_line(self.figures, width))


class RecordListScreen(ListScreen):
    """Every account, contact or opportunity the user can see, a view at a time."""

    CSS_PATH = "record_list.tcss"
    AUTO_FOCUS = "RecordTable"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New", id="records.new"),
        Binding("ctrl+n", "new", "New", show=False, id="records.new_alt"),
        Binding("o", "assign", "Owner", id="records.assign"),
        Binding("delete", "delete", "Delete", id="records.delete"),
        Binding("m", "merge", "Merge", id="records.merge"),
        Binding("slash", "focus_search", "Search", id="records.search"),
        Binding("a", "select_all", "Select all", show=False, id="records.select_all"),
        Binding("v", "next_view", "View", id="records.next_view"),
        Binding("V", "previous_view", "Previous view", show=False, id="records.previous_view"),
        Binding("s", "next_sort", "Sort", id="records.sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="records.reverse_sort"),
        Binding("escape", "back", "Back", id="records.back"),
    ]

    def __init__(self, kind: str) -> None:
        spec = record_list(kind)
        first_sort = next(iter(spec.sorts))
        super().__init__(
            ListQuery(view=DEFAULT_VIEW[kind], sort=first_sort, descending=first_sort == "created")
        )
        self.kind = kind
        self.spec = spec
        self.views = spec.views
        self.sorts = spec.sorts
        self.placeholder = f"Search {spec.searched}  (/)"
        self.title = PLURAL[kind].capitalize()

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.toolbar()
        yield PipelineFigures(
            id="pipeline", classes="visible" if self.kind == "opportunity" else ""
        )
        yield RecordTable(self.kind, self.list_query, id="records")
        yield Static(id="status", markup=False)
        yield KeyFooter()

    @property
    def PALETTE_TITLE(self) -> str:  # what the palette calls this screen
        return PLURAL[self.kind].capitalize()

    @property
    def table(self) -> RecordTable:
        return self.query_one(RecordTable)

    def on_mount(self) -> None:
        super().on_mount()
        self._load_pipeline()

    # The query.
    def _set_query(self, **changes: object) -> None:
        super()._set_query(**changes)
        if "view" in changes:
            self._load_pipeline()

    def status_parts(self) -> list[str]:
        table = self.table
        total = table.total
        noun = PLURAL[self.kind] if total != 1 else self.kind
        parts = ["counting…" if total is None else f"{total:,} {noun}"]
        if table.order == ENTERED:
            parts.append("many matches: listed as entered, refine to sort")
        if table.selected:
            parts.append(f"{len(table.selected):,} selected")
        return parts

    def show_view(self, view: str) -> None:
        if view in self.spec.views:
            self._set_query(view=view)

    # The table.
    @on(LeadTable.OpenLead)
    def _open(self, event: LeadTable.OpenLead) -> None:
        event.stop()
        self.app.open_record(self.kind, event.lead_id)  # type: ignore[attr-defined]

    # Actions.
    def action_new(self) -> None:
        self.app.new_record(self.kind)  # type: ignore[attr-defined]

    def action_assign(self) -> None:
        ids = self.table.target_ids()
        if not ids:
            self.notify(f"There is no {self.kind} here.", severity="warning")
            return
        self.app.assign_owner(self.kind, ids)  # type: ignore[attr-defined]

    def action_delete(self) -> None:
        ids = self.table.target_ids()
        if len(ids) != 1:
            self.notify(f"Delete one {self.kind} at a time.", severity="warning")
            return
        self.app.delete_record(self.kind, ids[0])  # type: ignore[attr-defined]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "merge":
            return self.kind in ("account", "contact")  # Dynamics merges no opportunities
        return True

    def action_merge(self) -> None:
        """Merge the two selected accounts or contacts side by side (see MergeScreen)."""
        if self.kind not in ("account", "contact"):
            return
        ids = sorted(self.table.selected)
        if len(ids) != 2:
            self.notify(
                f"Select two {PLURAL[self.kind]} to merge (space selects); {len(ids)} selected.",
                severity="warning",
            )
            return
        from .merge import MergeScreen

        def merged(done: bool | None) -> None:
            if done:
                self.table.set_selection(())

        self.app.push_screen(MergeScreen(ids, self.kind), merged)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    # Live refreshes.
    def _data_changed(self) -> None:
        super()._data_changed()
        self._load_pipeline()

    def _load_pipeline(self) -> None:
        if self.kind == "opportunity":
            self._read_pipeline(self.list_query.view == "mine")

    @work(thread=True, exclusive=True, group="pipeline", exit_on_error=False)
    def _read_pipeline(self, mine: bool) -> None:
        """The open value per stage: the user's on "My open opportunities", else all."""
        with models.thread_connection():
            figures = models.pipeline(self.app.user if mine else None)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_pipeline, figures)

    def _show_pipeline(self, figures: list[models.StageFigure]) -> None:
        self.query_one(PipelineFigures).show(figures)
