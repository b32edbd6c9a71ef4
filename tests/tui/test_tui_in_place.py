"""Widgets that take new content without a layout of the whole screen when their size
cannot change (tui/widgets/one_layout.py, record_form.py): what they show is right,
and a change that does alter their size is still laid out."""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static
from textual.widgets._select import SelectCurrent

from models import Stage
from tui.widgets.one_layout import quiet_when_shown, update_in_place
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


class Heard(Static):
    """A text that does something as it is shown again (a handler of its own)."""

    shown = 0

    def on_show(self) -> None:
        self.shown += 1


class Shown(App[None]):
    def compose(self) -> ComposeResult:
        with Vertical(id="part"):
            with Horizontal(classes="row"):
                yield Static("Plain", id="plain")
                yield FieldInput(id="input")
            yield Heard("Heard", id="heard")


@pytest.mark.asyncio
async def test_a_part_shown_again_tells_only_the_widgets_that_listen() -> None:
    """`quiet_when_shown`: texts and rows with no handler get no Show, Hide or Resize
    as the part leaves and rejoins the layout; a widget with a handler, and one that
    can take focus (an input), still do."""
    app = Shown()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        part = app.query_one("#part")
        quiet_when_shown(part)
        heard = app.query_one(Heard)
        plain, row, field = app.query_one("#plain"), app.query_one(".row"), app.query_one("#input")
        received: dict[str, list[str]] = {"plain": [], "row": [], "input": [], "heard": []}
        for name, widget in (("plain", plain), ("row", row), ("input", field), ("heard", heard)):
            real = widget.post_message

            def post(message: Any, name: str = name, real: Any = real) -> bool:
                posted = bool(real(message))
                if posted and isinstance(message, (events.Show, events.Hide, events.Resize)):
                    received[name].append(type(message).__name__)
                return posted

            widget.post_message = post  # type: ignore[method-assign]
        part.display = False
        await pilot.pause()
        part.display = True
        await pilot.pause()
        await pilot.pause()
        assert received["plain"] == [] and received["row"] == []
        assert "Hide" in received["input"] and "Show" in received["input"]
        assert "Show" in received["heard"] and heard.shown >= 2
        assert "Plain" in painted(app)


class Hidden(App[None]):
    CSS = "#part { height: auto; } #info { width: 30; }"

    def compose(self) -> ComposeResult:
        with Vertical(id="part"):
            yield Static("one line", id="info")
        yield Static("below", id="below")


@pytest.mark.asyncio
async def test_new_text_under_a_hidden_part_is_measured_at_the_size_it_last_had(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A text whose container is not displayed has no region, but keeps the size it was
    last given: new text of the same height there asks for no layout (the lead form's
    record line, filled while a closed lead hides the form, laid the screen out and
    made the form be arranged anew when it showed again); text of another height is
    laid out, and each shows when the part does."""
    layouts = counting_layouts(monkeypatch)
    app = Hidden()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        part, info = app.query_one("#part"), app.query_one("#info", Static)
        part.display = False
        await pilot.pause()
        await pilot.pause()
        assert info.size.width == 0 and info.outer_size.width == 30
        layouts.clear()
        update_in_place(info, "another line")
        await pilot.pause()
        await pilot.pause()
        assert layouts == []
        part.display = True
        await wait_until(pilot, lambda: "another line" in painted(app))
        part.display = False
        await pilot.pause()
        await pilot.pause()
        layouts.clear()
        update_in_place(info, "a text much longer than the thirty columns it has")
        await wait_until(pilot, lambda: layouts != [])
        part.display = True
        await wait_until(pilot, lambda: info.size.height == 2)
        assert "thirty" in painted(app)
        assert app.query_one("#below").region.y == 2


@pytest.mark.asyncio
async def test_an_input_shown_again_gets_no_resize() -> None:
    """Nothing handles Resize in an input (its scrolling follows its size in
    `_size_updated`): `quiet_when_shown` stops it there too; Show and Hide still
    come (Hide takes its focus away)."""
    app = Shown()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        part = app.query_one("#part")
        quiet_when_shown(part)
        field = app.query_one("#input", FieldInput)
        received: list[str] = []
        real = field.post_message

        def post(message: Any) -> bool:
            posted = bool(real(message))
            if posted and isinstance(message, (events.Show, events.Hide, events.Resize)):
                received.append(type(message).__name__)
            return posted

        field.post_message = post  # type: ignore[method-assign]
        field.focus()
        await pilot.pause()
        part.display = False
        await pilot.pause()
        assert not field.has_focus
        part.display = True
        await pilot.pause()
        await pilot.pause()
        assert "Hide" in received and "Show" in received and "Resize" not in received


class Shaded(App[None]):
    CSS = """
    #part { height: 5; background: red; padding: 0 2; }
    #part.wide { height: 7; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="part"):
            yield Static("inside", id="inside")
        yield Static("below", id="below")


@pytest.mark.asyncio
async def test_a_part_shown_again_keeps_its_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """`show_arranged`: a container hidden and shown again (its size unchanged) draws
    none of its own lines again, and paints as before; one whose size changed
    meanwhile draws them at its new size."""
    from textual._styles_cache import StylesCache

    from tui.widgets.one_layout import show_arranged

    drawn: list[int] = []
    real_render_line = StylesCache.render_line

    def render_line(cache: StylesCache, styles: Any, y: int, *args: Any) -> Any:
        if styles.node is not None and styles.node.id == "part":
            drawn.append(y)
        return real_render_line(cache, styles, y, *args)

    monkeypatch.setattr(StylesCache, "render_line", render_line)
    app = Shaded()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        part = app.query_one("#part")
        before = app.export_screenshot()
        assert drawn
        show_arranged(part, False)
        await wait_until(pilot, lambda: app.query_one("#below").region.y == 0)
        drawn.clear()
        show_arranged(part, True)
        await wait_until(pilot, lambda: app.query_one("#below").region.y == 5)
        await pilot.pause()
        assert drawn == [] and app.export_screenshot() == before
        show_arranged(part, False)
        await pilot.pause()
        part.add_class("wide")
        await pilot.pause()
        show_arranged(part, True)
        await wait_until(pilot, lambda: app.query_one("#below").region.y == 7)
        await pilot.pause()
        assert sorted(set(drawn)) == list(range(7))


@pytest.mark.asyncio
async def test_a_field_input_is_marked_valid_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no validators (the form's fields are checked by `models` on save), Textual's
    Input marks itself valid on every value set: two class changes asked for per
    field and lead shown. A `FieldInput` does it once; with a validator it checks each
    value as Textual's does."""
    from textual.validation import Number
    from textual.widgets import Input

    app = Form()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        field = app.query_one(FieldInput)
        field.value = "first"
        assert field.has_class("-valid") and not field.has_class("-invalid")
        changed: list[tuple[bool, tuple[str, ...]]] = []
        real_set_class = Input.set_class

        def set_class(widget: Input, add: bool, *names: str, update: bool = True) -> Any:
            changed.append((add, names))
            return real_set_class(widget, add, *names, update=update)

        monkeypatch.setattr(Input, "set_class", set_class)
        for value in ("second", "", "third"):
            field.value = value
        assert changed == [] and field.has_class("-valid")
        field.validators = [Number()]
        field.value = "not a number"
        assert field.has_class("-invalid") and not field.has_class("-valid")
        field.value = "12"
        assert field.has_class("-valid") and not field.has_class("-invalid")
