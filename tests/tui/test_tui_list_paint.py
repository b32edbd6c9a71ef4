"""What the lead list paints on its way to its first full screen, which every served
session pays for (docs/ssh.md, session start): one whole-screen frame, the table
drawn at its final width, and later news (a count, duplicate markers) repainting
only the lines it changes."""

from __future__ import annotations

from typing import Any

import pytest
from textual.events import ScreenResume
from textual.geometry import Region
from textual.screen import Screen

import models
from tui.screens.lead_list import LeadListScreen
from tui.widgets.lead_table import LeadTable

from ..helpers import make_app, settle, wait_until
from .test_tui_list import bulk_leads

SIZE = (100, 30)


@pytest.fixture
def admin_with_leads(sqlite_db: object) -> models.User:
    admin = models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    bulk_leads(admin, 60)  # more than the screen's lines: the table needs its scrollbar
    return admin


def rendered_rows(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """(y, content width) of every table line rendered from now on."""
    lines: list[tuple[int, int]] = []
    render_line = LeadTable.render_line

    def recorded(self: LeadTable, y: int) -> Any:
        lines.append((y, self.scrollable_content_region.width))
        return render_line(self, y)

    monkeypatch.setattr(LeadTable, "render_line", recorded)
    return lines


@pytest.mark.asyncio
async def test_the_first_frame_is_painted_once_with_the_tables_scrollbar(
    admin_with_leads: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = Region(0, 0, *SIZE)
    full_paints: list[Screen[Any]] = []
    compositor_refresh = Screen._compositor_refresh

    def counted(self: Screen[Any]) -> None:
        if whole in self._compositor._dirty_regions:
            full_paints.append(self)
        compositor_refresh(self)

    monkeypatch.setattr(Screen, "_compositor_refresh", counted)
    lines = rendered_rows(monkeypatch)
    app = make_app(admin_with_leads)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        await settle(pilot)
        table = app.screen.query_one(LeadTable)
        await wait_until(pilot, lambda: table.total == 60)
        await settle(pilot)
        assert table.show_vertical_scrollbar
        # Every line of the table was first drawn beside its scrollbar, never at the
        # full width (drawn again once Textual added the scrollbar in a second layout).
        assert lines and {width for _, width in lines} == {SIZE[0] - 1}
        assert [s for s in full_paints if isinstance(s, LeadListScreen)] == [app.screen]


@pytest.mark.asyncio
async def test_the_count_and_the_duplicate_markers_repaint_only_their_lines(
    admin_with_leads: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(admin_with_leads)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        table = app.screen.query_one(LeadTable)
        await wait_until(pilot, lambda: table.total == 60)
        await settle(pilot)
        lines = rendered_rows(monkeypatch)
        # The count arrives again, or a larger one (rows past the screen): no line of
        # the table changes (the scrollbar does).
        for count in (60, 75):
            table._count_done(table._generation, count)
            await settle(pilot)
            assert lines == []
            assert table.virtual_size.height == count + 1
        # A duplicate marker found on the third row repaints that row's line.
        page = table._pages[0]
        table._duplicates_found(table._generation, 0, [row.id for row in page], {page[2].id})
        await settle(pilot)
        assert {y for y, _ in lines} == {3}
        assert table._pages[0][2].duplicate
        assert not any(row.duplicate for i, row in enumerate(table._pages[0]) if i != 2)


@pytest.mark.asyncio
async def test_the_footers_keys_are_rendered_once_each_as_they_arrive(
    admin_with_leads: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual measured each key (a render), painted it (another), and laid the screen
    out once more for its virtual size (two more): the footer's keys, built after the
    list's first frame, were a third of a served session's work after it. Each is
    rendered once now, and shows what Textual's key shows."""
    from textual.widgets._footer import FooterKey

    from tui.widgets.footer import Key, KeyFooter

    renders: dict[str, int] = {}
    textual_render = FooterKey.render

    def counted(self: FooterKey) -> Any:
        renders[self.key] = renders.get(self.key, 0) + 1
        return textual_render(self)

    monkeypatch.setattr(FooterKey, "render", counted)
    app = make_app(admin_with_leads)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        await settle(pilot)
        keys = list(app.screen.query_one(KeyFooter).query(FooterKey))
        assert len(keys) > 5 and all(type(key) is Key for key in keys)
        assert renders and set(renders) == {key.key for key in keys}
        assert max(renders.values()) == 1
        for key in keys:  # the text Textual's key renders, for what it shows now
            assert key.render().plain == textual_render(key).plain
        key = keys[0]
        key.description = "Changed"
        key.refresh(layout=True)
        await settle(pilot)
        assert "Changed" in key.render().plain


@pytest.mark.asyncio
async def test_the_list_is_not_styled_again_as_it_is_first_shown(
    admin_with_leads: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its widgets are styled as they mount; Textual's first resume styled them all
    again. Styling them again now changes nothing, and a later resume that asks for
    it still restyles."""
    from textual.dom import DOMNode

    restyled: list[object] = []
    update_node_styles = DOMNode.update_node_styles

    def counted(self: DOMNode, animate: bool = True) -> None:
        if isinstance(self, LeadListScreen):
            restyled.append(self)
        update_node_styles(self, animate)

    monkeypatch.setattr(DOMNode, "update_node_styles", counted)
    app = make_app(admin_with_leads)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        await settle(pilot)
        screen = app.screen
        assert restyled == []

        def styles() -> list[tuple[str, str]]:
            return [
                (repr(node), " ".join(node.styles.base.css_lines))
                for node in screen.walk_children(with_self=True)
            ]

        before = styles()
        screen.update_node_styles(animate=False)
        await settle(pilot)
        assert styles() == before
        restyled.clear()
        screen.post_message(ScreenResume())  # as Textual resumes it after a push
        await settle(pilot)
        assert restyled == [screen]


@pytest.mark.asyncio
async def test_only_the_rows_shown_are_checked_for_duplicates(
    admin_with_leads: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The duplicate lookups (about 0.1 ms of CPU a row) are made for the rows
    painted, not the whole first page: the rows below the screen are checked when
    they are scrolled to, and their markers then show."""
    from tui.widgets.lead_table import LeadSource

    asked: list[list[int]] = []
    target: list[int] = []

    def duplicates(self: LeadSource, ids: list[int]) -> set[int]:
        asked.append(list(ids))
        return set(ids) & set(target)

    monkeypatch.setattr(LeadSource, "duplicates", duplicates)
    app = make_app(admin_with_leads)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        table = app.screen.query_one(LeadTable)
        await wait_until(pilot, lambda: table.loaded and bool(asked))
        await settle(pilot)
        page = table._pages[0]
        shown = table.body_height
        assert [i for ids in asked for i in ids] == [row.id for row in page[:shown]]
        target.append(page[shown + 3].id)  # a duplicate on the next screen
        asked.clear()
        await pilot.press("pagedown")
        await wait_until(pilot, lambda: table._pages[0][shown + 3].duplicate)
        checked = [i for ids in asked for i in ids]
        assert page[shown + 3].id in checked
        assert not set(checked) & {row.id for row in page[:shown]}  # not again
        assert not any(row.duplicate for i, row in enumerate(table._pages[0]) if i != shown + 3)
