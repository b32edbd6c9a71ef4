"""The lead list: views, search as you type, sort, multi-select, and the lead actions.

The rows live in `LeadTable` (a virtual list that fetches only what is on
screen); this screen owns what the list shows (a `ListQuery`) and turns keys
into the app's lead actions (`app.qualify(ids)` and friends).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.geometry import Size
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Input, Static
from textual.worker import get_current_worker

import models

from ..widgets.footer import KeyFooter
from ..widgets.lead_table import DUPLICATE_MARK, LeadTable, ListQuery

VIEW_KEYS = list(models.VIEWS)
SORT_KEYS = list(models.SORTS)
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


class LeadListScreen(Screen[None]):
    """Every lead the user can see, a view at a time."""

    CSS_PATH = "lead_list.tcss"
    TITLE = "Leads"
    AUTO_FOCUS = "#leads"  # the list, not the search box first (one focus change less)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "qualify", "Qualify", id="list.qualify"),
        Binding("d", "disqualify", "Disqualify", id="list.disqualify"),
        Binding("r", "reactivate", "Reactivate", id="list.reactivate"),
        Binding("delete", "delete", "Delete", id="list.delete"),
        Binding("n", "new_lead", "New", id="list.new"),
        Binding("ctrl+n", "new_lead", "New lead", show=False, id="list.new_alt"),
        Binding("o", "assign", "Owner", id="list.assign"),
        Binding("b", "bulk_edit", "Bulk edit", show=False, id="list.bulk_edit"),
        Binding("slash", "focus_search", "Search", id="list.search"),
        Binding("a", "select_all", "Select all", show=False, id="list.select_all"),
        Binding("v", "next_view", "View", id="list.next_view"),
        Binding("V", "previous_view", "Previous view", show=False, id="list.previous_view"),
        Binding("s", "next_sort", "Sort", id="list.sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="list.reverse_sort"),
        Binding("x", "export", "Export", show=False, id="list.export"),
        Binding("m", "merge", "Merge", show=False, id="list.merge"),
        *(
            Binding(
                str(number),
                f"show_view('{view}')",
                models.VIEWS[view],
                show=False,
                id=f"list.view_{view}",
            )
            for number, view in enumerate(VIEW_KEYS, start=1)
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.list_query = ListQuery()
        self._search_timer: Timer | None = None
        self._shown: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="toolbar"):
            yield Static(id="view-label", markup=False)
            yield SearchBox(
                placeholder="Search name, company, email, topic  (/)",
                id="search",
                compact=True,
            )
            yield Static(id="sort-label", markup=False)
        yield LeadTable(self.list_query, id="leads")
        yield Static(id="status", markup=False)
        yield KeyFooter()

    @property
    def table(self) -> LeadTable:
        return self.query_one(LeadTable)

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
        number = VIEW_KEYS.index(query.view) + 1
        self._show("#view-label", f"{models.VIEWS[query.view]} ({number}/{len(VIEW_KEYS)})")
        label, _ = models.SORTS[query.sort]
        if self.table.order == models.ENTERED:
            label = "Entered"
        arrow = "↓" if query.descending else "↑"
        self._show("#sort-label", f"Sort: {label} {arrow}")
        self._show_status()

    def _show_status(self) -> None:
        table = self.table
        total = table.total
        count = "counting…" if total is None else f"{total:,} lead{'s' if total != 1 else ''}"
        parts = [count]
        many = table.order == models.ENTERED
        if many:
            # Too many matches to sort quickly (models.listing.search_order): listed as
            # entered; the sort the user picked comes back once the search is narrower.
            label, _ = models.SORTS[self.list_query.sort]
            limit = models.sorted_search_limit()
            parts.append(f"{limit:,}+ match, refine to sort by {label.lower()}")
        if table.selected:
            parts.append(f"{len(table.selected):,} selected")
        if not many:  # the legend gives way to the note at 80 columns
            parts.append(f"{DUPLICATE_MARK} possible duplicate")
        self._show("#status", "  ·  ".join(parts))

    def _show(self, selector: str, text: str) -> None:
        """Put `text` in a label if it changed: an update re-lays out the screen, and
        a search key should cost one frame for the new rows, not a layout too."""
        if self._shown.get(selector) != text:
            self._shown[selector] = text
            self.query_one(selector, Static).update(Content(text))

    def action_show_view(self, view: str) -> None:
        if view in models.VIEWS and view != self.list_query.view:
            self._set_query(view=view)

    def action_next_view(self) -> None:
        index = VIEW_KEYS.index(self.list_query.view)
        self._set_query(view=VIEW_KEYS[(index + 1) % len(VIEW_KEYS)])

    def action_previous_view(self) -> None:
        index = VIEW_KEYS.index(self.list_query.view)
        self._set_query(view=VIEW_KEYS[(index - 1) % len(VIEW_KEYS)])

    def action_next_sort(self) -> None:
        index = SORT_KEYS.index(self.list_query.sort)
        self.set_sort(SORT_KEYS[(index + 1) % len(SORT_KEYS)])

    def set_sort(self, sort: str) -> None:
        """A new sort starts ascending (A to Z, oldest first); S reverses it."""
        if sort in models.SORTS and sort != self.list_query.sort:
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
        from textual.events import Key

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
    @on(LeadTable.OpenLead)
    def _open_lead(self, event: LeadTable.OpenLead) -> None:
        self.app.open_lead(event.lead_id)  # type: ignore[attr-defined]

    @on(LeadTable.CountChanged)
    @on(LeadTable.SelectionChanged)
    def _table_changed(self) -> None:
        self._show_status()

    @on(LeadTable.OrderChanged)
    def _order_changed(self) -> None:
        self._show_query()

    # --------------------------------------------------------- lead actions
    def _targets(self) -> list[int]:
        ids = self.table.target_ids()
        if not ids:
            self.notify("There is no lead here.", severity="warning")
        return ids

    def action_qualify(self) -> None:
        if ids := self._targets():
            self.app.qualify(ids)  # type: ignore[attr-defined]

    def action_disqualify(self) -> None:
        if ids := self._targets():
            self.app.disqualify(ids)  # type: ignore[attr-defined]

    def action_reactivate(self) -> None:
        ids = self._targets()
        if len(ids) > 1:
            self.notify("Reactivate one lead at a time.", severity="warning")
        elif ids:
            self.app.reactivate(ids[0])  # type: ignore[attr-defined]

    def action_delete(self) -> None:
        if ids := self._targets():
            self.app.delete(ids)  # type: ignore[attr-defined]

    def action_export(self) -> None:
        """Export the current view and search, or the selection (see ExportDialog)."""
        from .export_dialog import ExportDialog

        spec = self.list_query
        self.app.push_screen(ExportDialog(spec.view, spec.search, list(self.table.selected)))

    def action_merge(self) -> None:
        """Merge the 2-5 selected leads side by side (see MergeScreen)."""
        ids = sorted(self.table.selected)
        if not 2 <= len(ids) <= models.merge.MAX_LEADS:
            self.notify(
                f"Select two to {models.merge.MAX_LEADS} leads to merge (space selects).",
                severity="warning",
            )
            return
        from .merge import MergeScreen

        self.app.push_screen(MergeScreen(ids))

    def action_new_lead(self) -> None:
        self.app.new_record("lead")  # type: ignore[attr-defined]

    def action_assign(self) -> None:
        if ids := self._targets():
            self.app.assign_owner("lead", ids)  # type: ignore[attr-defined]

    def action_bulk_edit(self) -> None:
        if ids := self._targets():
            self.app.bulk_edit(ids)  # type: ignore[attr-defined]

    def action_select_all(self) -> None:
        table = self.table
        if table.selected:
            table.set_selection(())
        else:
            self._select_view()

    @work(thread=True, exclusive=True, group="select-all", exit_on_error=False)
    def _select_view(self) -> None:
        spec, order = self.list_query, self.table.order or self.list_query.sort
        worker = get_current_worker()
        with models.thread_connection():
            query = models.lead_query(spec.view, self.app.user, spec.search, order, spec.descending)
            ids = models.lead_ids(query, limit=SELECT_ALL_LIMIT + 1)
        if worker.is_cancelled or spec != self.list_query:
            return
        self.app.call_from_thread(self._view_selected, ids)

    def _view_selected(self, ids: list[int]) -> None:
        if len(ids) > SELECT_ALL_LIMIT:
            ids = ids[:SELECT_ALL_LIMIT]
            self.notify(
                f"Selected the first {SELECT_ALL_LIMIT:,} leads of the view.", severity="warning"
            )
        self.table.set_selection(ids)

    # ------------------------------------------------------ live refreshes
    def _data_changed(self) -> None:
        self.table.reload()
        if self.table.selected:
            self._prune_selection(self.list_query, frozenset(self.table.selected))

    @work(thread=True, exclusive=True, group="prune-selection", exit_on_error=False)
    def _prune_selection(self, spec: ListQuery, selected: frozenset[int]) -> None:
        worker = get_current_worker()
        with models.thread_connection():
            query = models.lead_query(
                spec.view, self.app.user, spec.search, spec.sort, spec.descending
            )
            kept = set(models.lead_ids(query, among=selected))
        if not worker.is_cancelled and kept != selected:
            self.app.call_from_thread(self._keep_selected, kept)

    def _keep_selected(self, kept: set[int]) -> None:
        self.table.set_selection(self.table.selected & kept)
