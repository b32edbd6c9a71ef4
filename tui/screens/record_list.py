"""Lists of accounts, contacts and opportunities: views (mine / all, and for
opportunities open / won / lost), search as you type, sort, multi-select, and on
the opportunity list the pipeline figures (open value per stage).

The rows live in a `RecordTable` (the lead list's virtual list engine); data for
the status line and the pipeline is read in exclusive thread workers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Input, Static
from textual.worker import get_current_worker

import models
from models import ENTERED, record_ids, record_list, record_query

from ..widgets.footer import KeyFooter
from ..widgets.lead_table import LeadTable, ListQuery
from ..widgets.record_table import RecordTable
from .lead_list import SEARCH_WAIT_SECONDS, SearchBox

SELECT_ALL_LIMIT = 1000
PLURAL = {"account": "accounts", "contact": "contacts", "opportunity": "opportunities"}
DEFAULT_VIEW = {"account": "all", "contact": "all", "opportunity": "open"}


def pipeline_line(figures: list[models.StageFigure]) -> Content:
    """`Pipeline  Develop 3 · 12,000.00   Propose ...   Open total 5 · 20,000.00`."""
    parts: list[Any] = [("Pipeline ", "bold")]
    for figure in figures:
        parts += [
            (f" {figure.stage.label} ", "bold"),
            f"{figure.count} · {models.money(figure.value)}  ",
        ]
    total = sum(f.value for f in figures)
    count = sum(f.count for f in figures)
    parts += [(" Open ", "bold"), f"{count} · {models.money(total)}"]
    return Content.assemble(*parts)


class RecordListScreen(Screen[None]):
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
        super().__init__()
        self.kind = kind
        self.spec = record_list(kind)
        self.title = PLURAL[kind].capitalize()
        first_sort = next(iter(self.spec.sorts))
        self.list_query = ListQuery(
            view=DEFAULT_VIEW[kind], sort=first_sort, descending=first_sort == "created"
        )
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="toolbar"):
            yield Static(id="view-label", markup=False)
            yield SearchBox(
                placeholder=f"Search {self.spec.searched}  (/)", id="search", compact=True
            )
            yield Static(id="sort-label", markup=False)
        yield Static(id="pipeline", classes="visible" if self.kind == "opportunity" else "")
        yield RecordTable(self.kind, self.list_query, id="records")
        yield Static(id="status", markup=False)
        yield KeyFooter()

    @property
    def table(self) -> RecordTable:
        return self.query_one(RecordTable)

    def on_mount(self) -> None:
        self._show_query()
        self.table.focus()
        self.table.paint_listeners.append(self._table_painted)
        self.watch(self.app, "data_version", self._data_changed, init=False)
        self._load_pipeline()

    # The query.
    def _set_query(self, **changes: object) -> None:
        values = {**self.list_query.__dict__, **changes}
        self.list_query = ListQuery(**values)  # type: ignore[arg-type]
        self._show_query()
        self.table.set_query(self.list_query)
        if "view" in changes:
            self._load_pipeline()

    def _show_query(self) -> None:
        query = self.list_query
        views = list(self.spec.views)
        number = views.index(query.view) + 1
        self.query_one("#view-label", Static).update(
            f"{self.spec.views[query.view]} ({number}/{len(views)})"
        )
        label = self.spec.sorts[query.sort][0] if self.table.order != ENTERED else "Entered"
        arrow = "↓" if query.descending else "↑"
        self.query_one("#sort-label", Static).update(f"Sort: {label} {arrow}")
        self._show_status()

    def _show_status(self) -> None:
        table = self.table
        total = table.total
        noun = PLURAL[self.kind] if total != 1 else self.kind
        parts = ["counting…" if total is None else f"{total:,} {noun}"]
        if table.order == ENTERED:
            parts.append("many matches: listed as entered, refine to sort")
        if table.selected:
            parts.append(f"{len(table.selected):,} selected")
        self.query_one("#status", Static).update(Content("  ·  ".join(parts)))

    def action_next_view(self) -> None:
        views = list(self.spec.views)
        self._set_query(view=views[(views.index(self.list_query.view) + 1) % len(views)])

    def action_previous_view(self) -> None:
        views = list(self.spec.views)
        self._set_query(view=views[(views.index(self.list_query.view) - 1) % len(views)])

    def show_view(self, view: str) -> None:
        if view in self.spec.views:
            self._set_query(view=view)

    def action_next_sort(self) -> None:
        sorts = list(self.spec.sorts)
        sort = sorts[(sorts.index(self.list_query.sort) + 1) % len(sorts)]
        self.set_sort(sort)

    def set_sort(self, sort: str) -> None:
        """A new sort starts ascending (A to Z, oldest first); S reverses it."""
        if sort in self.spec.sorts and sort != self.list_query.sort:
            self._set_query(sort=sort, descending=False)

    def action_reverse_sort(self) -> None:
        self._set_query(descending=not self.list_query.descending)

    # Search.
    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        """As the lead list does: a key searches at once when the list shows the
        previous search's rows; keys typed while a search is still reading wait for
        it (or SEARCH_WAIT_SECONDS) and are searched together."""
        if self.table.loaded:
            self._apply_search()
        elif self._search_timer is None:
            self._search_timer = self.set_timer(SEARCH_WAIT_SECONDS, self._apply_search)

    def _table_painted(self, table: LeadTable) -> None:
        if self._search_timer is not None:
            self._apply_search()

    def _apply_search(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        text = self.query_one("#search", Input).value.strip()
        if text != self.list_query.search:
            self._set_query(search=text)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        if self._search_timer is not None:
            self._apply_search()
        self.table.focus()

    def on_key(self, event: Any) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus and event.key in ("down", "escape"):
            event.stop()
            if event.key == "escape" and search.value:
                search.value = ""
            else:
                self.table.focus()

    # The table.
    @on(LeadTable.OpenLead)
    def _open(self, event: LeadTable.OpenLead) -> None:
        event.stop()
        self.app.open_record(self.kind, event.lead_id)  # type: ignore[attr-defined]

    @on(LeadTable.CountChanged)
    @on(LeadTable.SelectionChanged)
    @on(LeadTable.OrderChanged)
    def _table_changed(self) -> None:
        self._show_query()

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

    def action_select_all(self) -> None:
        if self.table.selected:
            self.table.set_selection(())
        else:
            self._select_view(self.list_query)

    @work(thread=True, exclusive=True, group="select-all", exit_on_error=False)
    def _select_view(self, spec: ListQuery) -> None:
        order = self.table.order or spec.sort
        with models.thread_connection():
            query = record_query(self.kind, spec.view, self.app.user, spec.search, order,
                                 spec.descending)  # fmt: skip
            ids = record_ids(self.kind, query, limit=SELECT_ALL_LIMIT + 1)
        if not get_current_worker().is_cancelled and spec == self.list_query:
            self.app.call_from_thread(self._view_selected, ids)

    def _view_selected(self, ids: list[int]) -> None:
        if len(ids) > SELECT_ALL_LIMIT:
            ids = ids[:SELECT_ALL_LIMIT]
            self.notify(f"Selected the first {SELECT_ALL_LIMIT:,}.", severity="warning")
        self.table.set_selection(ids)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    # Live refreshes.
    def _data_changed(self) -> None:
        self.table.reload()
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
        self.query_one("#pipeline", Static).update(pipeline_line(figures))
