"""The virtual lead list: scrolls through a million leads, fetching only what is seen.

A `ScrollView` whose `render_line` draws one lead per line (Toolong's
`LogLines` is the model). Rows come from the database in pages of
`PAGE_SIZE` fetched by thread workers and kept in a small LRU cache; a row
whose page is still loading shows as a placeholder. Nothing is measured or
rendered for rows that are off screen, so the cost of a repaint does not
depend on how many leads the view holds.

Every cell is a `Segment` of plain text: user data is never parsed as
markup, and control characters are shown as visible symbols.

What the first frame and each key wait for is kept small: at mount the first
page is read on the spot (one indexed query of 100 rows, a few ms), so the
first paint already shows leads; a page's rows are shown as soon as they are
read, its duplicate markers follow from the same worker; the count runs after
the first page of a query, once the query has stayed the same for
`COUNT_DELAY` seconds (typing does not start a count per key), and a count
still running when the query changes is interrupted.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual._context import NoActiveAppError
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.worker import Worker, get_current_worker

import models
from models import LeadState, Rating, StatusReason, lead_rows, search_order, sort_key

from .literal import printable

PAGE_SIZE = 100
MAX_CACHED_PAGES = 40
PREFETCH_ROWS = 40
"""Fetch the neighbouring page when the visible rows come this close to its edge."""
COUNT_DELAY = 0.3
"""Seconds a query must stay unchanged before its leads are counted (not per typed key)."""


@dataclass(frozen=True)
class ListQuery:
    """What the list shows: a view of `models.VIEWS`, a search, a sort."""

    view: str = "open"
    search: str = ""
    sort: str = "created"
    descending: bool = True


@dataclass(frozen=True, slots=True)
class LeadRow:
    """One lead as the list shows it (already made printable)."""

    id: int
    name: str
    topic: str
    company: str
    state: str
    status_reason: str
    rating: str
    owner: str
    created: str
    is_open: bool
    duplicate: bool
    key: tuple[Any, ...] = ()
    """Where the row sorts (`models.listing.sort_key`), for keyset paging."""

    def cell(self, key: str) -> str:
        return getattr(self, key)


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    minimum: int
    preferred: int
    flex: int = 0
    right: bool = False
    """Right-aligned (amounts), so that figures line up by their last digit."""


COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", 12, 22, flex=3),
    Column("topic", "Topic", 9, 24, flex=3),
    Column("company", "Company", 9, 20, flex=2),
    Column("state", "State", 6, 12),
    Column("status_reason", "Status reason", 9, 20),
    Column("rating", "Rating", 4, 6),
    Column("owner", "Owner", 6, 16, flex=1),
    Column("created", "Created", 10, 10),
)
MARK_WIDTH = 3
"""Cursor, selection and duplicate markers before the first column."""
CURSOR_MARK, SELECTED_MARK, DUPLICATE_MARK = "▸", "✓", "≈"


GROWTH: tuple[tuple[str, int], ...] = (
    ("name", 16),
    ("topic", 16),
    ("company", 14),
    ("state", 12),
    ("status_reason", 14),
    ("rating", 6),
    ("owner", 12),
    *((c.key, c.preferred) for c in COLUMNS),
)
"""The order in which spare width widens columns, before the flexible ones share the rest."""


def layout_columns(
    width: int,
    columns: tuple[Column, ...] = COLUMNS,
    growth: tuple[tuple[str, int], ...] = GROWTH,
) -> list[int]:
    """Column widths for a line `width` cells wide (one space between columns)."""
    index = {c.key: i for i, c in enumerate(columns)}
    widths = [c.minimum for c in columns]
    spare = width - MARK_WIDTH - len(columns) - sum(widths)
    if spare <= 0:
        return widths
    for key, target in growth:
        i = index[key]
        grow = max(0, min(spare, target - widths[i]))
        widths[i] += grow
        spare -= grow
    flex_total = sum(c.flex for c in columns)
    if spare > 0 and flex_total:
        shares = [spare * c.flex // flex_total for c in columns]
        shares[0] += spare - sum(shares)
        widths = [w + s for w, s in zip(widths, shares, strict=True)]
    return widths


def _label(enum: type, value: str | None) -> str:
    try:
        return enum(value).label
    except ValueError:
        return value or ""


def make_row(values: dict[str, Any], duplicate: bool, sort: str = "created") -> LeadRow:
    """A `LeadRow` from one row of `models.listing.lead_rows`."""
    name = " ".join(p for p in (values["first_name"], values["last_name"]) if p)
    created = values["created_at"]
    return LeadRow(
        id=values["id"],
        name=printable(name),
        topic=printable(values["topic"]),
        company=printable(values["company"]),
        state=_label(LeadState, values["state"]),
        status_reason=_label(StatusReason, values["status_reason"]),
        rating=_label(Rating, values["rating"]),
        owner=printable(values["owner_name"]),
        created=created.strftime("%Y-%m-%d") if isinstance(created, dt.datetime) else "",
        is_open=values["state"] == LeadState.OPEN,
        duplicate=duplicate,
        key=sort_key(values, sort),
    )


class LeadSource:
    """Where a table's rows come from and how they look: the lead list's. A table of
    other records passes another source (`tui.widgets.record_table`); everything
    else (paging, the cache, the cursor, selection, counting, drawing) is shared."""

    columns: tuple[Column, ...] = COLUMNS
    growth: tuple[tuple[str, int], ...] = GROWTH
    marks_duplicates = True

    def query(self, spec: ListQuery, user: models.User, order: str) -> Any:
        return models.lead_query(spec.view, user, spec.search, order, spec.descending)

    def order(self, spec: ListQuery) -> str:
        return search_order(spec.search, spec.sort)

    def rows(self, query: Any, **plan: Any) -> list[dict[str, Any]]:
        return lead_rows(query, **plan)

    def count(self, query: Any, stop: Any) -> int:
        return models.count_leads(query, stop)

    def ids(self, query: Any, among: Any = None, limit: int | None = None) -> list[int]:
        """Ids of the query's rows in its order (up to `limit`), or of `among` in it."""
        return models.lead_ids(query, among, limit)

    def make_row(self, values: dict[str, Any], duplicate: bool, order: str) -> Any:
        return make_row(values, duplicate, order)

    def duplicates(self, ids: list[int]) -> set[int]:
        return models.leads_with_duplicates(ids)

    def first_page_now(self, spec: ListQuery) -> bool:
        """Whether the first page is one indexed read (then it is read at mount)."""
        return not spec.search and spec.view != "duplicates"


def _fit(text: str, width: int, right: bool = False) -> str:
    """`text` cut or padded to exactly `width` cells, with an ellipsis when cut;
    padded on the left when `right`."""
    if width <= 0:
        return ""
    length = cell_len(text)
    if length <= width:
        return " " * (width - length) + text if right else set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


class LeadTable(ScrollView, can_focus=True):
    """The leads of a `ListQuery`, one per line, with a cursor and a selection."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="list.open"),
        Binding("space", "toggle_select", "Select", id="list.select"),
        Binding("up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("home", "first", "First lead", show=False, id="list.first"),
        Binding("end", "last", "Last lead", show=False, id="list.last"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "lead-table--header",
        "lead-table--cursor",
        "lead-table--selected",
        "lead-table--placeholder",
        "lead-table--closed",
        "lead-table--marker",
    }

    DEFAULT_CSS = """
    LeadTable {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        background: $surface;
        & > .lead-table--header { text-style: bold; background: $panel; color: $text; }
        & > .lead-table--cursor { background: $block-cursor-blurred-background; }
        &:focus > .lead-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .lead-table--selected { background: $accent 30%; }
        & > .lead-table--placeholder { color: $text-disabled; }
        & > .lead-table--closed { color: $text-muted; }
        & > .lead-table--marker { color: $warning; text-style: bold; }
    }
    """

    class CountChanged(Message):
        """The number of leads in the view is known (or changed)."""

        def __init__(self, table: LeadTable, count: int) -> None:
            super().__init__()
            self.table = table
            self.count = count

    class OrderChanged(Message):
        """The order the rows are in is known: the query's sort, or `ENTERED` for a
        search with too many matches to sort (`models.listing.search_order`)."""

        def __init__(self, table: LeadTable, order: str) -> None:
            super().__init__()
            self.table = table
            self.order = order

    class SelectionChanged(Message):
        def __init__(self, table: LeadTable, selected: frozenset[int]) -> None:
            super().__init__()
            self.table = table
            self.selected = selected

    class OpenLead(Message):
        def __init__(self, table: LeadTable, lead_id: int) -> None:
            super().__init__()
            self.table = table
            self.lead_id = lead_id

    def __init__(
        self,
        query: ListQuery | None = None,
        *,
        source: LeadSource | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.source = source or LeadSource()
        self.query_spec = query or ListQuery()
        self.cursor = 0
        self.selected: set[int] = set()
        self.total: int | None = None
        """Exact number of leads in the view, once counted."""
        self.order: str | None = None
        """The order of the current query's rows, once its first page is read."""
        self._order_hint: str | None = None
        self._duplicates: set[int] = set()
        """Leads last seen with a duplicate marker (new rows show it before it is re-checked)."""
        self._count_timer: Timer | None = None
        self._unmarked: dict[int, list[int]] = {}
        """{page: ids of its rows not yet checked for duplicates}: a row is checked once
        it has been painted (`_mark_shown`)."""
        self._marking_scheduled = False
        self._stop_count: Callable[[], None] | None = None
        self._known_rows = 0
        """Rows known to exist before the count arrives."""
        self._generation = 0
        self._pages: OrderedDict[int, list[LeadRow]] = OrderedDict()
        self._stale: dict[int, list[LeadRow]] = {}
        """The previous query's pages, shown until the new ones arrive (no flicker)."""
        self._stale_rows = 0
        self._pending: dict[int, Worker[None]] = {}
        self._fetch_scheduled = False
        self._keep_lead: int | None = None
        self.painted_generation = -1
        """The generation of data last painted (all visible rows loaded)."""
        self.paint_listeners: list[Callable[[LeadTable], None]] = []
        """Called after a refresh that painted the current data (benchmarks, tests)."""
        self._paint_reported = -1

    def on_mount(self) -> None:
        self._load_first_page_now()
        self._want(0)

    def _load_first_page_now(self) -> None:
        """Read the first page on the spot, so that the first frame shows leads: one
        indexed query of a page (a few ms) beats a worker round trip at start-up."""
        spec, source = self.query_spec, self.source
        if not source.first_page_now(spec):
            return  # not an indexed page read: leave it to the worker
        try:
            query = source.query(spec, self.app.user, spec.sort)
            values = source.rows(
                query, offset=0, limit=PAGE_SIZE, sort=spec.sort, descending=spec.descending
            )
        except Exception:  # the worker that `_want(0)` starts tries again and reports it
            return
        rows = [source.make_row(v, False, spec.sort) for v in values]
        self._page_loaded(self._generation, 0, rows, spec.sort)

    # ---------------------------------------------------------------- queries
    @property
    def row_count(self) -> int:
        if self.total is not None:
            return self.total
        if not self._pages and self._stale:
            return self._stale_rows
        return self._known_rows

    @property
    def loaded(self) -> bool:
        """Whether the rows on screen are the current query's data."""
        return self.painted_generation == self._generation

    def set_query(self, query: ListQuery) -> None:
        """Show another view, search or sort; the cursor goes back to the top."""
        hint = self.order if self._narrows(query) else None
        self.query_spec = query
        cursor, self.cursor = self.cursor, 0
        self._keep_lead = None
        self._duplicates.clear()
        self._reload(keep_position=False, cursor=cursor, order=hint)

    def _narrows(self, query: ListQuery) -> bool:
        """Whether `query` only adds to the current search (typing at its end): then
        it matches a subset, and a search that was sorted stays sorted."""
        old = self.query_spec
        return (
            (old.view, old.sort, old.descending) == (query.view, query.sort, query.descending)
            and bool(old.search.strip())
            and query.search.startswith(old.search)
            and self.order == old.sort
        )

    def reload(self) -> None:
        """Fetch again (data changed), keeping the cursor on the same lead if it is
        still in the view, else at the same position."""
        row = self.current_row
        self._keep_lead = row.id if row else None
        self._reload(keep_position=True)

    def _reload(
        self, *, keep_position: bool, cursor: int | None = None, order: str | None = None
    ) -> None:
        """Read the query again; `cursor` is where the cursor was (it may have moved);
        `order` is the rows' order if known already (else the first page finds it)."""
        cursor = self.cursor if cursor is None else cursor
        self._generation += 1
        for worker in self._pending.values():
            worker.cancel()
        self._pending.clear()
        if self._pages:
            self._stale = dict(self._pages)
            self._stale_rows = self.row_count
        self._pages.clear()
        self._unmarked.clear()
        self.total = None
        self.order = None
        self._order_hint = order
        self._known_rows = 0
        self._stop_counting()
        moved = self.cursor != cursor
        if not keep_position and round(self.scroll_offset.y) != 0:
            self.scroll_to(y=0, animate=False, immediate=True)
            moved = True
        self._update_virtual_size()
        # The reads start now, not at the next frame, and the previous rows stay on
        # screen until the new ones arrive: one frame per search, not two.
        self._want_visible()
        if moved:
            self.refresh()

    # ----------------------------------------------------------------- count
    def _stop_counting(self) -> None:
        if self._count_timer is not None:
            self._count_timer.stop()
            self._count_timer = None
        stop, self._stop_count = self._stop_count, None
        if stop is not None:
            stop()  # a count of 1,000,000 matches takes a core for a second or more

    def _schedule_count(self) -> None:
        if self._count_timer is not None:
            self._count_timer.stop()
        generation = self._generation
        self._count_timer = self.set_timer(COUNT_DELAY, lambda: self._start_count(generation))

    def _start_count(self, generation: int) -> None:
        self._count_timer = None
        if generation == self._generation and self.total is None:
            self._count(generation, self.query_spec)

    @work(thread=True, exclusive=True, group="lead-count", exit_on_error=False)
    def _count(self, generation: int, spec: ListQuery) -> None:
        worker = get_current_worker()
        with models.thread_connection():
            query = self.source.query(spec, self.app.user, spec.sort)
            stop = models.QueryStopper()
            self.app.call_from_thread(self._counting, generation, stop)
            try:
                count = self.source.count(query, stop)
            except models.QueryStopped:
                return
            finally:
                self.app.call_from_thread(self._counted, stop)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._count_done, generation, count)

    def _counting(self, generation: int, stop: Callable[[], None]) -> None:
        if generation != self._generation:
            stop()
        else:
            self._stop_count = stop

    def _counted(self, stop: Callable[[], None]) -> None:
        if self._stop_count is stop:
            self._stop_count = None

    def _count_done(self, generation: int, count: int) -> None:
        if generation != self._generation:
            return
        rows, cursor = self.row_count, self.cursor
        self.total = count
        self._clamp_cursor()
        self._update_virtual_size()
        # Only the lines between the rows known before and the count can change (rows
        # or blanks), and the cursor's: the whole table was painted again before.
        self._refresh_rows(min(rows, count), max(rows, count))
        if self.cursor != cursor:
            self._refresh_row(cursor)
            self._refresh_row(self.cursor)
        self.post_message(self.CountChanged(self, count))

    # ------------------------------------------------------------------ pages
    def row_at(self, index: int) -> LeadRow | None:
        """The row at `index` if its page is loaded (from the previous query while
        reloading), else None (and the page is requested)."""
        page, offset = divmod(index, PAGE_SIZE)
        rows = self._pages.get(page)
        if rows is not None:
            self._pages.move_to_end(page)
            return rows[offset] if offset < len(rows) else None
        self._want(page)
        rows = self._stale.get(page)
        if rows is not None and offset < len(rows):
            return rows[offset]
        return None

    @property
    def current_row(self) -> LeadRow | None:
        page, offset = divmod(self.cursor, PAGE_SIZE)
        rows = self._pages.get(page) or self._stale.get(page)
        return rows[offset] if rows is not None and offset < len(rows) else None

    def _want(self, page: int) -> None:
        if page < 0 or page in self._pages or page in self._pending:
            return
        if self.total is not None and page * PAGE_SIZE >= max(self.total, 1):
            return
        self._pending[page] = self._fetch_page(
            self._generation,
            self.query_spec,
            page,
            self._page_plan(page),
            self.order or self._order_hint,
            frozenset(self._duplicates),
        )

    def _page_plan(self, page: int) -> dict[str, Any]:
        """How to fetch `page` cheaply: from a cached neighbour's edge (keyset),
        from the end when it is in the second half, else by offset."""
        previous, following = self._pages.get(page - 1), self._pages.get(page + 1)
        if previous is not None and len(previous) == PAGE_SIZE:
            return {"offset": 0, "limit": PAGE_SIZE, "after": previous[-1].key}
        if following:
            return {"offset": 0, "limit": PAGE_SIZE, "before": following[0].key}
        total = self.total
        if total is not None and page * PAGE_SIZE > total // 2:
            end = min((page + 1) * PAGE_SIZE, total)
            return {"offset": total - end, "limit": end - page * PAGE_SIZE, "from_end": True}
        return {"offset": page * PAGE_SIZE, "limit": PAGE_SIZE}

    @work(thread=True, group="lead-page", exit_on_error=False)
    def _fetch_page(
        self,
        generation: int,
        spec: ListQuery,
        page: int,
        plan: dict[str, Any],
        order: str | None,
        duplicates: frozenset[int],
    ) -> None:
        worker = get_current_worker()
        with models.thread_connection():
            source = self.source
            if order is None:
                order = source.order(spec)
            query = source.query(spec, self.app.user, order)
            values = source.rows(
                query, sort=order, descending=spec.descending, search=spec.search, **plan
            )
            if worker.is_cancelled:
                return
        rows = [source.make_row(v, v["id"] in duplicates, order) for v in values]
        if not worker.is_cancelled:
            self.app.call_from_thread(self._page_loaded, generation, page, rows, order)

    @work(thread=True, group="lead-page", exit_on_error=False)
    def _mark_duplicates(self, generation: int, page: int, ids: list[int]) -> None:
        """The duplicate markers of a page, read once its rows are on screen (the
        lookups build a lot of SQL in Python: done earlier, they hold the GIL
        while the rows are painted)."""
        if generation != self._generation or not self.source.marks_duplicates:
            return
        worker = get_current_worker()
        with models.thread_connection():
            marked = self.source.duplicates(ids)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._duplicates_found, generation, page, ids, marked)

    def _duplicates_found(
        self, generation: int, page: int, ids: list[int], marked: set[int]
    ) -> None:
        self._duplicates.difference_update(ids)
        self._duplicates.update(marked)
        rows = self._pages.get(page)
        if generation != self._generation or rows is None:
            return
        checked = set(ids)
        changed = [
            offset
            for offset, row in enumerate(rows)
            if row.id in checked and row.duplicate != (row.id in marked)
        ]
        if changed:
            updated = list(rows)
            for offset in changed:
                updated[offset] = replace(rows[offset], duplicate=not rows[offset].duplicate)
            self._pages[page] = updated
            for offset in changed:  # only their lines: the rest of the table is unchanged
                self._refresh_row(page * PAGE_SIZE + offset)

    def _page_loaded(self, generation: int, page: int, rows: list[LeadRow], order: str) -> None:
        if generation != self._generation:
            return
        self._pending.pop(page, None)
        if self.order is None:
            self.order = order
            self.post_message(self.OrderChanged(self, order))
            self._schedule_count()
        elif order != self.order:
            self.refresh()  # read in another order (the data changed meanwhile): ask again
            return
        self._pages[page] = rows
        while len(self._pages) > MAX_CACHED_PAGES:
            self._unmarked.pop(self._pages.popitem(last=False)[0], None)
        if self._stale:
            # The first page of the new data replaces all of the old.
            self._stale = {}
            self._stale_rows = 0
        if self.total is None:
            if len(rows) < PAGE_SIZE:
                self.total = page * PAGE_SIZE + len(rows)
            else:
                # More rows exist: let the list scroll into the next page.
                self._known_rows = max(self._known_rows, (page + 2) * PAGE_SIZE)
        if self._keep_lead is not None:
            for offset, row in enumerate(rows):
                if row.id == self._keep_lead:
                    self.cursor = page * PAGE_SIZE + offset
                    self._keep_lead = None
                    break
        self._clamp_cursor()
        self._update_virtual_size()
        self.refresh()
        if self.source.marks_duplicates:
            self._unmarked[page] = [row.id for row in rows]  # as they are painted

    def _update_virtual_size(self) -> None:
        size = Size(1, self.row_count + 1)
        if size == self.virtual_size:
            return
        height = self.container_size.height
        if self.is_mounted and height and (size.height > height) == self.show_vertical_scrollbar:
            # The scrollbar stays (or stays hidden), so nothing else moves: update the
            # scrollbar and the lines, without the screen-wide layout that setting
            # `virtual_size` asks for (10-15 ms, on most search keys).
            rows = self.virtual_size.height - 1
            self.set_reactive(LeadTable.virtual_size, size)
            self._scroll_update(size)
            self._refresh_rows(min(rows, size.height - 1), max(rows, size.height - 1))
        else:
            self.virtual_size = size
            if not height and self._needs_scrollbar(size):
                # Not laid out yet: Textual would find the scrollbar needed in the first
                # layout and add it in a second one (the whole table painted twice, at
                # two widths). More rows than the screen has lines need it for sure.
                self.show_vertical_scrollbar = True

    def _needs_scrollbar(self, size: Size) -> bool:
        """Whether rows of `size` need the vertical scrollbar whatever the layout gives
        the table: they are more than the screen's lines."""
        try:
            screen_height = self.app.size.height
        except NoActiveAppError:
            return False
        return self.styles.overflow_y == "auto" and 0 < screen_height < size.height

    # --------------------------------------------------------------- cursor
    @property
    def body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _clamp_cursor(self) -> None:
        count = self.row_count
        if count and self.cursor >= count:
            self.cursor = count - 1
        self.cursor = max(0, self.cursor)

    def move_cursor(self, index: int) -> None:
        """Put the cursor on row `index` and scroll it into view."""
        count = self.row_count
        index = max(0, min(index, count - 1)) if count else 0
        old = self.cursor
        self.cursor = index
        top = round(self.scroll_offset.y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + self.body_height:
            self.scroll_to(y=index - self.body_height + 1, animate=False, immediate=True)
        self._refresh_row(old)
        self._refresh_row(index)

    def _refresh_row(self, index: int) -> None:
        y = index - round(self.scroll_offset.y) + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _refresh_rows(self, start: int, end: int) -> None:
        """Repaint the lines of rows `start` to `end` (excluded) that are on screen."""
        top = round(self.scroll_offset.y)
        first, last = max(start - top + 1, 1), min(end - top + 1, self.size.height)
        if first < last:
            self.refresh(Region(0, first, self.size.width, last - first))

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        step = self.body_height
        self.scroll_to(y=max(0, round(self.scroll_offset.y) - step), animate=False, immediate=True)
        self.move_cursor(self.cursor - step)

    def action_page_down(self) -> None:
        step = self.body_height
        top = min(round(self.scroll_offset.y) + step, max(0, self.row_count - self.body_height))
        self.scroll_to(y=top, animate=False, immediate=True)
        self.move_cursor(self.cursor + step)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self.row_count - 1)

    def action_open(self) -> None:
        row = self.current_row
        if row is not None:
            self.post_message(self.OpenLead(self, row.id))

    # -------------------------------------------------------------- selection
    def target_ids(self) -> list[int]:
        """The selected leads, else the lead under the cursor."""
        if self.selected:
            return sorted(self.selected)
        row = self.current_row
        return [row.id] if row else []

    def set_selection(self, ids: Iterable[int]) -> None:
        self.selected = set(ids)
        self.refresh()
        self.post_message(self.SelectionChanged(self, frozenset(self.selected)))

    def action_toggle_select(self) -> None:
        row = self.current_row
        if row is None:
            return
        self.selected.symmetric_difference_update({row.id})
        self.post_message(self.SelectionChanged(self, frozenset(self.selected)))
        self.move_cursor(self.cursor + 1)

    # --------------------------------------------------------------- mouse
    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(round(self.scroll_offset.y) + event.y - 1)
            if event.chain >= 2:
                self.action_open()

    # -------------------------------------------------------------- render
    def render_lines(self, crop: Region) -> list[Strip]:
        self._want_visible()
        lines = super().render_lines(crop)
        if self._all_visible_loaded() and self._paint_reported != self._generation:
            self._paint_reported = self._generation
            self.call_after_refresh(self._painted, self._generation)
        elif self._unmarked and self.loaded and not self._marking_scheduled:
            self._marking_scheduled = True  # rows scrolled to, or a page arrived
            self.call_after_refresh(self._mark_shown)
        return lines

    def _want_visible(self) -> None:
        top = round(self.scroll_offset.y)
        bottom = top + self.body_height
        for index in (top, bottom - 1, top - PREFETCH_ROWS, bottom + PREFETCH_ROWS):
            if index >= 0 and (self.row_count == 0 or index < max(self.row_count, 1)):
                page = index // PAGE_SIZE
                if page not in self._pages:
                    self._want(page)
        if not self._pages and not self._pending:
            self._want(0)

    def _all_visible_loaded(self) -> bool:
        if self.total is None and not self._pages:
            return False
        top = round(self.scroll_offset.y)
        last = min(top + self.body_height, self.row_count) - 1
        if last < top:
            return self.total is not None or bool(self._pages)
        return all(p in self._pages for p in {top // PAGE_SIZE, last // PAGE_SIZE})

    def _painted(self, generation: int) -> None:
        if generation != self._generation:
            return
        self.painted_generation = generation
        for listener in list(self.paint_listeners):
            listener(self)
        self._mark_shown()

    def _mark_shown(self) -> None:
        """Check for duplicates the rows painted on screen and not checked yet.

        The lookups cost about 0.1 ms of CPU per row (9.5 ms for a page of 100), and
        the first page has four screens of rows: only those shown are checked, the
        others when they are scrolled to (as a page read on scrolling always was)."""
        self._marking_scheduled = False
        if not self._unmarked or self.painted_generation != self._generation:
            return
        top = round(self.scroll_offset.y)
        shown = range(top, top + self.body_height)
        for page in sorted({index // PAGE_SIZE for index in (shown.start, shown.stop - 1)}):
            ids = self._unmarked.get(page)
            if ids is None:
                continue
            first = page * PAGE_SIZE
            start = max(shown.start - first, 0)
            stop = min(shown.stop - first, len(ids))
            now = [i for i in ids[start:stop] if i is not None]
            if not now:
                continue
            ids[start:stop] = [None] * (stop - start)  # type: ignore[list-item]
            if all(i is None for i in ids):
                del self._unmarked[page]
            self._mark_duplicates(self._generation, page, now)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        widths = layout_columns(width, self.source.columns, self.source.growth)
        if y == 0:
            return self._header(widths, width)
        index = round(self.scroll_offset.y) + y - 1
        if index >= self.row_count:
            return Strip.blank(width, self.rich_style)
        return self._row(index, self.row_at(index), widths, width)

    def _header(self, widths: list[int], width: int) -> Strip:
        style = self.get_component_rich_style("lead-table--header")
        text = " " * (MARK_WIDTH + 1) + " ".join(
            _fit(c.title, w, c.right) for c, w in zip(self.source.columns, widths, strict=True)
        )
        return Strip([Segment(_fit(text, width), style)], width)

    def _row(self, index: int, row: LeadRow | None, widths: list[int], width: int) -> Strip:
        base = self.rich_style
        on_cursor = index == self.cursor
        if row is None:
            style = base + self.get_component_rich_style("lead-table--placeholder")
            text = _fit((CURSOR_MARK if on_cursor else " ") + "  …", width)
            if on_cursor:
                style += self.get_component_rich_style("lead-table--cursor")
            return Strip([Segment(text, style)], width)
        style = base
        if not row.is_open:
            style += self.get_component_rich_style("lead-table--closed")
        if row.id in self.selected:
            style += self.get_component_rich_style("lead-table--selected")
        if on_cursor:
            style += self.get_component_rich_style("lead-table--cursor")
        marker = self.get_component_rich_style("lead-table--marker")
        marker_style = style + Style(color=marker.color, bold=marker.bold)  # row's background
        segments = [
            Segment(CURSOR_MARK if on_cursor else " ", style),
            Segment(SELECTED_MARK if row.id in self.selected else " ", marker_style),
            Segment(DUPLICATE_MARK if row.duplicate else " ", marker_style),
        ]
        for column, cell_width in zip(self.source.columns, widths, strict=True):
            segments.append(Segment(" ", style))
            segments.append(Segment(_fit(row.cell(column.key), cell_width, column.right), style))
        used = MARK_WIDTH + sum(widths) + len(widths)
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        return Strip(segments).crop(0, width)

    def line_text(self, y: int) -> str:
        """The text of screen line `y` (0 is the header), for tests."""
        return self.render_line(y).text
