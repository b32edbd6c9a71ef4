"""Widgets that take new content without a layout of the whole screen when their size
cannot change (tui/widgets/one_layout.py, record_form.py): what they show is right,
and a change that does alter their size is still laid out."""

from __future__ import annotations

from typing import Any

import pytest
from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static
from textual.widgets._select import SelectCurrent

from models import Stage
from tui.widgets.one_layout import update_in_place
from tui.widgets.record_form import FieldInput, FieldSelect
from tui.widgets.stage_bar import StageBar

from ..helpers import wait_until


class Form(App[None]):
    CSS = """
    Horizontal { height: 1; }
    FieldInput, FieldSelect { width: 12; }
    #info { width: 30; }
    """

    def compose(self) -> ComposeResult:
        yield StageBar(filled={"summary": False}, id="bar")
        yield Static("one line", id="info")
        with Horizontal():
            yield FieldInput(id="input")
        with Horizontal():
            yield FieldSelect([("Hot", "hot"), ("Cold", "cold")], id="select", compact=True)


def counting_layouts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    layouts: list[int] = []
    real_reflow = Compositor.reflow

    def reflow(compositor: Compositor, parent: Any, size: Any) -> Any:
        layouts.append(1)
        return real_reflow(compositor, parent, size)

    monkeypatch.setattr(Compositor, "reflow", reflow)
    return layouts


def painted(app: App[Any]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


@pytest.mark.asyncio
async def test_a_field_input_scrolls_to_the_end_of_a_long_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its virtual size follows its value without a layout, so the cursor at the end
    of a value longer than the input is still scrolled into view."""
    layouts = counting_layouts(monkeypatch)
    app = Form()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        field = app.query_one(FieldInput)
        field.focus()
        field.value = "short"
        await pilot.pause()
        layouts.clear()
        field.value = "abcdefghijklmnopqrstuvwxyz"
        field.cursor_position = len(field.value)
        await pilot.pause()
        await pilot.pause()
        assert layouts == []
        assert field.virtual_size.width == len(field.value) + 1
        assert field.scroll_x > 0
        assert "xyz" in painted(app) and "abc" not in painted(app)


@pytest.mark.asyncio
async def test_a_field_select_paints_its_new_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    layouts = counting_layouts(monkeypatch)
    app = Form()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        select = app.query_one(FieldSelect)
        for value, label in (("cold", "Cold"), (FieldSelect.NULL, "Select"), ("hot", "Hot")):
            layouts.clear()
            select.value = value
            await pilot.pause()
            await pilot.pause()
            assert layouts == []
            assert label in painted(app)
            # Styled as set or not (its text only is restyled): as Textual styles it.
            text = select.query_one("#label", Static)
            assert select.query_one(SelectCurrent).has_class("-has-value") is (label != "Select")
            shown = text.styles.get_rules()
            app.stylesheet.update(text)
            assert text.styles.get_rules() == shown


@pytest.mark.asyncio
async def test_new_text_of_another_height_is_laid_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text that wraps to more lines, or a stage bar with a longer line, still gets its
    height (and what is under it moves); one of the same height gets no layout."""
    layouts = counting_layouts(monkeypatch)
    app = Form()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        info = app.query_one("#info", Static)
        bar = app.query_one(StageBar)
        layouts.clear()
        update_in_place(info, "another line")
        bar.set_stages(Stage.QUALIFY, {"summary": True})
        await pilot.pause()
        await pilot.pause()
        assert layouts == [] and info.size.height == 1
        height = bar.size.height
        update_in_place(info, "a text much longer than the thirty columns it has")
        await wait_until(pilot, lambda: info.size.height == 2)
        assert "thirty" in painted(app)
        bar.set_stages(Stage.QUALIFY, {"summary": True}, hint="x" * 60)
        await wait_until(pilot, lambda: bar.size.height > height)
        assert info.region.y == bar.region.bottom
