"""What the lead list and the account, contact and opportunity lists share: the
toolbar (view, search box, sort), the status line, search as you type, views and
sorts, select all. Each list is a `LeadTable` (the virtual list engine) with its
own row source; the subclasses add their keys and actions.

A search key should cost one frame for the new rows and nothing else: labels are
only updated when their text changes (an update re-lays out the screen), the
search box does not lay out the screen per key (`SearchBox`), and keys typed
while a search is still reading are searched together.
"""

from __future__ import annotations

from typing import Any, Self

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.events import Key, ScreenResume
from textual.geometry import Region, Size
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

import models

from ..widgets.lead_table import LeadTable, ListQuery

SEARCH_WAIT_SECONDS = 0.5
"""Longest a typed key waits for the previous search's rows before searching anyway."""
SELECT_ALL_LIMIT = 1000


class SearchBox(Input):
    """The search input, without a screen-wide layout per typed key.

    Textual's `Input` sets its `virtual_size` (a layout-triggering reactive) to the
    text's width on every change, so each key re-laid out the whole screen (2-10 ms
    of a key's time to paint). The size is set here first without that; the
    input's own update then finds it unchanged. Its box has a fixed size, so
    nothing else can move.
    """

    def _watch_value(self, value: str) -> None:
        size = Size(self.content_width, 1)
        if size != self.virtual_size:
            self.set_reactive(Input.virtual_size, size)
            self.refresh()
        super()._watch_value(value)


class ListScreen(Screen[None]):
    """A list of one kind of record, a view at a time. Subclasses give `views`,
    `sorts`, the search placeholder, the table and the status line's parts."""

    views: dict[str, str]
    sorts: dict[str, tuple[str, tuple[Any, ...]]]
    placeholder = "Search  (/)"

    def __init__(self, query: ListQuery) -> None:
        super().__init__()
        self.list_query = query
        self._search_timer: Timer | None = None
        self._shown: dict[str, str] = {}

    def toolbar(self) -> ComposeResult:
        with Horizontal(id="toolbar"):
            yield Static(id="view-label", markup=False)
            yield SearchBox(placeholder=self.placeholder, id="search", compact=True)
            yield Static(id="sort-label", markup=False)

    @property
    def table(self) -> LeadTable:
        return self.query_one(LeadTable)

    _painting_whole = False
    _resumed = False

    def _on_screen_resume(self, event: ScreenResume) -> None:
        # Runs before Textual's handler (the subclass's comes first). When the
        # screen's size changed (the first time it is shown) that handler lays it
        # out, which paints all of it (every widget is new), then repaints all of it
        # again; and the layout itself, setting the screen's virtual size, asks for
        # a third whole repaint: three full frames where one was needed (16 KB
        # each to a served session's client, and the rendering).
        size = self.app.size
        self._painting_whole = self.is_attached and bool(size) and self._size != size
        if not self._resumed:
            # Its widgets were styled as they mounted, a moment ago; Textual's handler
            # styles them all again (4-5 ms of every served session before its first
            # frame). Later resumes restyle as Textual does (a theme changed meanwhile).
            self._resumed = True
            event.refresh_styles = False

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False,
        recompose: bool = False,
    ) -> Self:  # fmt: skip
        """Textual's, without the whole-screen repaints asked for while a layout that
        paints the whole screen is under way (`_on_screen_resume`): its own
        repaint, which ends that time, and those of the layout's reactives."""
        if self._painting_whole and not regions and not recompose:
            if repaint and not layout:  # Textual's repaint after the layout
                self._painting_whole = False
                return self
            repaint = False
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def on_mount(self) -> None:
        self._show_query()
        self.table.focus()
        self.table.paint_listeners.append(self._table_painted)
        self.watch(self.app, "data_version", self._data_changed, init=False)

    # ------------------------------------------------------------- the query
    def _set_query(self, **changes: object) -> None:
        values = {**self.list_query.__dict__, **changes}
        self.list_query = ListQuery(**values)  # type: ignore[arg-type]
        self._show_query()
        self.table.set_query(self.list_query)

    def _show_query(self) -> None:
        query = self.list_query
        views = list(self.views)
        number = views.index(query.view) + 1
        self._show("#view-label", f"{self.views[query.view]} ({number}/{len(views)})")
        label = self.sorts[query.sort][0] if self.table.order != models.ENTERED else "Entered"
        arrow = "↓" if query.descending else "↑"
        self._show("#sort-label", f"Sort: {label} {arrow}")
        self._show_status()

    def status_parts(self) -> list[str]:
        raise NotImplementedError

    def _show_status(self) -> None:
        self._show("#status", "  ·  ".join(self.status_parts()))

    def _show(self, selector: str, text: str) -> None:
        """Put `text` in a label if it changed, laying the screen out again only when
        the label's size can change: a search key should cost one frame for the new
        rows, not a screen-wide layout too (10-15 ms under load). The status line is
        one line across the screen whatever it says; the toolbar's labels are as wide
        as their text."""
        old = self._shown.get(selector)
        if old == text:
            return
        self._shown[selector] = text
        resized = selector != "#status" and (old is None or cell_len(old) != cell_len(text))
        self.query_one(selector, Static).update(Content(text), layout=resized)

    def action_show_view(self, view: str) -> None:
        if view in self.views and view != self.list_query.view:
            self._set_query(view=view)

    def action_next_view(self) -> None:
        views = list(self.views)
        self._set_query(view=views[(views.index(self.list_query.view) + 1) % len(views)])

    def action_previous_view(self) -> None:
        views = list(self.views)
        self._set_query(view=views[(views.index(self.list_query.view) - 1) % len(views)])

    def action_next_sort(self) -> None:
        sorts = list(self.sorts)
        self.set_sort(sorts[(sorts.index(self.list_query.sort) + 1) % len(sorts)])

    def set_sort(self, sort: str) -> None:
        """A new sort starts ascending (A to Z, oldest first); S reverses it."""
        if sort in self.sorts and sort != self.list_query.sort:
            self._set_query(sort=sort, descending=False)

    def action_reverse_sort(self) -> None:
        self._set_query(descending=not self.list_query.descending)

    # -------------------------------------------------------------- search
    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        """Search as you type without blocking typing: the query runs in a worker. A
        key searches at once when the list shows the previous search's rows; keys
        typed while a search is still reading wait for it (or SEARCH_WAIT_SECONDS)
        and are searched together, so a burst of keys costs one or two queries."""
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

    def on_key(self, event: object) -> None:
        if not isinstance(event, Key):
            return
        search = self.query_one("#search", Input)
        if search.has_focus and event.key in ("down", "escape"):
            event.stop()
            if event.key == "escape" and search.value:
                search.value = ""
            else:
                self.table.focus()

    # ------------------------------------------------------------ the table
    @on(LeadTable.CountChanged)
    @on(LeadTable.SelectionChanged)
    def _table_changed(self) -> None:
        self._show_status()

    @on(LeadTable.OrderChanged)
    def _order_changed(self) -> None:
        self._show_query()

    # ----------------------------------------------------------- selection
    def action_select_all(self) -> None:
        table = self.table
        if table.selected:
            table.set_selection(())
        else:
            self._select_view(self.list_query)

    @work(thread=True, exclusive=True, group="select-all", exit_on_error=False)
    def _select_view(self, spec: ListQuery) -> None:
        table = self.table
        order = table.order or spec.sort
        worker = get_current_worker()
        with models.thread_connection():
            query = table.source.query(spec, self.app.user, order)  # type: ignore[attr-defined]
            ids = table.source.ids(query, limit=SELECT_ALL_LIMIT + 1)
        if worker.is_cancelled or spec != self.list_query:
            return
        self.app.call_from_thread(self._view_selected, ids)

    def selected_first_message(self) -> str:
        return f"Selected the first {SELECT_ALL_LIMIT:,}."

    def _view_selected(self, ids: list[int]) -> None:
        if len(ids) > SELECT_ALL_LIMIT:
            ids = ids[:SELECT_ALL_LIMIT]
            self.notify(self.selected_first_message(), severity="warning")
        self.table.set_selection(ids)

    # ------------------------------------------------------ live refreshes
    def _data_changed(self) -> None:
        self.table.reload()
