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
from textual.widgets import Header, Static
from textual.worker import get_current_worker

import models

from ..widgets.footer import KeyFooter
from ..widgets.lead_table import DUPLICATE_MARK, LeadTable, ListQuery
from .list_screen import SEARCH_WAIT_SECONDS, SELECT_ALL_LIMIT, ListScreen, SearchBox

__all__ = ["SEARCH_WAIT_SECONDS", "LeadListScreen", "SearchBox"]

VIEW_KEYS = list(models.VIEWS)


class LeadListScreen(ListScreen):
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

    views = models.VIEWS
    sorts = models.SORTS
    placeholder = "Search name, company, email, topic  (/)"

    def __init__(self) -> None:
        super().__init__(ListQuery())

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.toolbar()
        yield LeadTable(self.list_query, id="leads")
        yield Static(id="status", markup=False)
        yield KeyFooter()

    def status_parts(self) -> list[str]:
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
        return parts

    # ------------------------------------------------------------ the table
    @on(LeadTable.OpenLead)
    def _open_lead(self, event: LeadTable.OpenLead) -> None:
        self.app.open_lead(event.lead_id)  # type: ignore[attr-defined]

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
        if not 2 <= len(ids) <= models.MERGE_MAX_LEADS:
            self.notify(
                f"Select two to {models.MERGE_MAX_LEADS} leads to merge (space selects).",
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

    def selected_first_message(self) -> str:
        return f"Selected the first {SELECT_ALL_LIMIT:,} leads of the view."

    # ------------------------------------------------------ live refreshes
    def _data_changed(self) -> None:
        super()._data_changed()
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
