"""Layouts of the whole screen that nothing needed, which every served session paid
for on its way to its list and just after (docs/ssh.md, session start): a Resize to
the size the screen is laid out at (tui/screen_resize.py), and the footer's own
requests for a scrollbar that takes no cells and a grid style it does not use."""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual._compositor import Compositor
from textual.screen import Screen

import models
from tui.screens.lead_list import LeadListScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.lead_table import LeadTable

from ..helpers import make_app, settle, wait_until
from .test_tui_list import bulk_leads

SIZE = (100, 30)


@pytest.fixture
def admin_with_leads(sqlite_db: object) -> models.User:
    admin = models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    bulk_leads(admin, 40)
    return admin


@pytest.mark.asyncio
async def test_a_resize_to_the_size_the_screen_has_lays_nothing_out(
    admin_with_leads: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    reflows: list[Any] = []
    resizes: list[Any] = []
    reflow, on_resize = Compositor.reflow, Screen._on_resize

    def counted_reflow(self: Compositor, parent: Any, size: Any) -> Any:
        reflows.append(size)
        return reflow(self, parent, size)

    async def counted_resize(self: Screen[Any], event: events.Resize) -> None:
        resizes.append(event.size)
        await on_resize(self, event)

    monkeypatch.setattr(Compositor, "reflow", counted_reflow)
    monkeypatch.setattr(Screen, "_on_resize", counted_resize)
    app = make_app(admin_with_leads)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        table = app.screen.query_one(LeadTable)
        await wait_until(pilot, lambda: table.total == 40)  # the count's line is shown
        await settle(pilot)
        screen = app.screen
        reflows.clear()
        resizes.clear()
        screen.post_message(events.Resize(screen.size, screen.size))
        await settle(pilot)
        assert resizes == [screen.size]  # the screen's handlers still get it
        assert reflows == []  # but it is not laid out again for it
        # Another size is laid out, as Textual does.
        await pilot.resize_terminal(90, 30)  # (the app passes it on after a timer)
        await wait_until(pilot, lambda: screen._compositor.size == (90, 30))
        await settle(pilot)
        assert reflows and reflows[-1] == (90, 30)
        assert screen.query_one(KeyFooter).size.width == 90


@pytest.mark.asyncio
async def test_the_footer_asks_no_layout_for_its_scrollbars_or_its_grid_columns(
    admin_with_leads: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    layouts: list[KeyFooter] = []
    refresh = KeyFooter.refresh

    def counted(self: KeyFooter, *regions: Any, **options: Any) -> Any:
        if options.get("layout"):
            layouts.append(self)
        return refresh(self, *regions, **options)

    monkeypatch.setattr(KeyFooter, "refresh", counted)
    app = make_app(admin_with_leads)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        layouts.clear()
        # Its scrollbars take no cells: showing one moves nothing.
        assert footer.styles.scrollbar_size_horizontal == 0
        assert footer.styles.scrollbar_size_vertical == 0
        shown = footer.show_horizontal_scrollbar
        footer.show_horizontal_scrollbar = not shown
        footer.show_vertical_scrollbar = not footer.show_vertical_scrollbar
        assert layouts == []
        footer.show_horizontal_scrollbar = shown
        # Textual's compose sets the grid's columns (the footer's layout is
        # horizontal: they are not read) to its number of keys: the same value, and
        # no layout asked for by it.
        footer.styles.clear_rule("grid_size_columns")
        with footer._context():
            keys = list(footer.compose())
        actions = {
            binding.action
            for _, binding, _, _ in app.screen.active_bindings.values()
            if binding.show
        }
        assert len(keys) >= len(actions) > 5
        assert footer.styles.grid_size_columns == len(actions)
        assert layouts == []


@pytest.mark.asyncio
async def test_a_widget_that_cannot_scroll_takes_its_virtual_size_without_a_layout(
    admin_with_leads: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.geometry import Size
    from textual.widget import Widget
    from textual.widgets import Static

    layouts: list[Widget] = []
    refresh = Widget.refresh

    def counted(self: Widget, *regions: Any, **options: Any) -> Any:
        if options.get("layout"):
            layouts.append(self)
        return refresh(self, *regions, **options)

    monkeypatch.setattr(Widget, "refresh", counted)
    app = make_app(admin_with_leads)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        await settle(pilot)
        status = app.screen.query_one("#status", Static)
        toolbar = app.screen.query_one("#toolbar")
        assert not status.is_scrollable and toolbar.is_scrollable
        layouts.clear()
        size, container = status.size, status.container_size
        # A new virtual size for the status line: taken, repainted, no layout.
        status._size_updated(size, Size(size.width + 7, 1), container)
        assert status.virtual_size == Size(size.width + 7, 1)
        assert layouts == []
        # A wider status line is marked for a repaint (its size changed), still
        # without a layout (it gets its size from one).
        status._dirty_regions.clear()
        status._size_updated(Size(size.width + 1, 1), Size(size.width + 1, 1), container)
        assert status._dirty_regions and layouts == []
        # A container can scroll and reads its virtual size (its scroll bars): the
        # layout is asked for, as Textual does.
        toolbar._size_updated(toolbar.size, Size(toolbar.size.width, 9), toolbar.container_size)
        assert layouts == [toolbar]
