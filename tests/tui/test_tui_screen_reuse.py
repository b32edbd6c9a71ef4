"""Screens built once and shown again (issue 13, the figures): a refilled screen is
shown when its record has arrived, so its first frame shows the record; a slow read
shows it with a loading indicator; a record deleted meanwhile is said where the user
is; the footer is not rebuilt for the moment a refilled screen reads, and dims or
undims its keys in place; the objects of a built screen are out of the collector's
reach; a screen shown is not restyled unless the theme changed."""

from __future__ import annotations

import asyncio
import gc
import threading
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, TabbedContent
from textual.widgets._footer import FooterKey

import models
from tui.loading import OPEN_WAIT_SECONDS, STEPS_PER_LAYOUT, ViewScreen
from tui.screens.help import HelpScreen
from tui.screens.lead_detail import (
    ALL_FIELDS,
    FIELD_CHANGED,
    FORM_STEPS,
    LABELS,
    LeadDetailScreen,
)
from tui.screens.lead_list import LeadListScreen
from tui.screens.records import AccountScreen, ContactScreen, OpportunityScreen
from tui.widgets.footer import KeyFooter
from tui.widgets.lead_table import LeadTable

from ..conftest import make_lead
from ..helpers import make_app, settle, wait_for_screen, wait_until
from .test_tui_read_path import GONE, elsewhere, notified, open_screen


async def back_to_list(pilot: Any) -> None:
    await pilot.press("escape")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, LeadListScreen))
    await settle(pilot)


def footer_keys(screen: Screen) -> list[FooterKey]:
    return list(screen.query_one(Footer).query_children(FooterKey))


@pytest.mark.asyncio
async def test_a_refilled_screen_first_shows_with_its_record(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = make_lead(ada), make_lead(ada, email="b@x.example", city="Oslo")
    shown: list[tuple[int | None, str, bool]] = []
    real_resume = LeadDetailScreen._on_screen_resume

    def resume(screen: LeadDetailScreen, event: Any) -> None:
        # What the screen holds when it becomes the top screen, before any frame.
        city = screen.query_one("#f-city", Input).value
        loading = screen.query_one("#detail-tabs").loading
        shown.append((screen.view.id if screen.view else None, city, loading))
        real_resume(screen, event)

    monkeypatch.setattr(LeadDetailScreen, "_on_screen_resume", resume)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, lambda: app.open_lead(first.id), LeadDetailScreen)
        await back_to_list(pilot)
        shown.clear()
        app.open_lead(second.id)
        await wait_until(pilot, lambda: app.screen is screen)
        await settle(pilot)
        assert shown == [(second.id, "Oslo", False)]
        assert screen.focused is screen.query_one("#detail-tabs Tabs")


@pytest.mark.asyncio
async def test_a_refilled_screen_first_paints_the_keys_of_its_record(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closed lead shown after an open one (and back): its first frame has the
    closed lead's keys, not the open one's changed a frame later."""
    opened, closed = make_lead(ada), make_lead(ada, email="b@x.example")
    models.disqualify_lead(ada, closed.id, "lost")
    painted: list[tuple[int | None, list[str]]] = []
    app = make_app(ada)
    real_display = type(app)._display

    def display(app_: Any, screen: Screen, update: Any) -> None:
        if isinstance(screen, LeadDetailScreen):
            keys = [key.description for key in footer_keys(screen) if key.display]
            painted.append((screen.view.id if screen.view else None, keys))
        real_display(app_, screen, update)

    monkeypatch.setattr(type(app), "_display", display)
    async with app.run_test(size=(80, 24)) as pilot:
        for lead in (opened, closed):  # both built and shown once
            await open_screen(pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen)
            await settle(pilot)
            await back_to_list(pilot)
        for lead, key, not_key in ((opened, "Save", "Reactivate"), (closed, "Reactivate", "Save")):
            painted.clear()
            await open_screen(pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen)
            await settle(pilot)
            assert painted, "no frame painted"
            first_id, first_keys = painted[0]
            assert first_id == lead.id
            assert key in first_keys and not_key not in first_keys, first_keys
            await back_to_list(pilot)


def lead_detail_layouts(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The layouts of lead detail screens from now on: the id of the lead each showed."""
    layouts: list[object] = []
    real_reflow = Compositor.reflow

    def reflow(compositor: Compositor, parent: Any, size: Any) -> Any:
        if isinstance(parent, LeadDetailScreen):
            layouts.append(parent.view.id if parent.view else None)
        return real_reflow(compositor, parent, size)

    monkeypatch.setattr(Compositor, "reflow", reflow)
    return layouts


@pytest.mark.asyncio
async def test_a_closed_lead_after_an_open_one_is_laid_out_once(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Showing a closed lead on the screen that showed an open one, and back, lays the
    screen out once: not again for the footer's keys (fewer for a closed lead) nor
    for the tabs' new size (the closed lead's banner)."""
    opened, closed = make_lead(ada), make_lead(ada, email="b@x.example")
    models.disqualify_lead(ada, closed.id, "lost")
    layouts = lead_detail_layouts(monkeypatch)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        for lead in (opened, closed):  # both built and shown once
            await open_screen(pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen)
            await settle(pilot)
            await back_to_list(pilot)
        for lead in (opened, closed, opened, closed):
            layouts.clear()
            screen = await open_screen(
                pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen
            )
            await settle(pilot)
            await pilot.pause(0.1)  # a second layout would come a frame or two later
            await settle(pilot)
            assert layouts == [lead.id]
            reactivate = [k for k in footer_keys(screen) if k.action == "reactivate"]
            assert bool(reactivate and reactivate[0].display) is (lead is closed)
            await back_to_list(pilot)


@pytest.mark.asyncio
async def test_the_form_and_the_read_only_view_come_back_arranged_as_they_were(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filling the part that is hidden (the form's record line under a closed lead, the
    read-only view's texts under an open one) asks for no layout when the texts keep
    their height, so the part shows again with the arrangement of its rows it had,
    instead of being arranged anew."""
    import textual.widget

    opened = [make_lead(ada), make_lead(ada, email="b@x.example", last_name="Berg")]
    closed = [make_lead(ada, email=f"c{n}@x.example", last_name=f"Closed{n}") for n in (1, 2)]
    for lead in closed:
        models.disqualify_lead(ada, lead.id, "lost")
    arranged: list[str | None] = []
    real_arrange = textual.widget.arrange

    def arrange(widget: Any, *args: Any, **kwargs: Any) -> Any:
        arranged.append(widget.id)  # not in Textual's arrangement cache: arranged anew
        return real_arrange(widget, *args, **kwargs)

    monkeypatch.setattr(textual.widget, "arrange", arrange)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        for lead in (opened[0], closed[0]):  # both built and shown once
            await open_screen(pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen)
            await settle(pilot)
            await back_to_list(pilot)
        for lead in (opened[1], closed[1], opened[0], closed[0]):
            arranged.clear()
            screen = await open_screen(
                pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen
            )
            await settle(pilot)
            shown = "#form-read" if lead in closed else "#form"
            assert screen.query_one(shown).display
            assert shown[1:] not in arranged, arranged
            assert screen.query_one("#f-email", Input).value == lead.email
            await back_to_list(pilot)


@pytest.mark.asyncio
async def test_switching_between_an_open_and_a_closed_lead_arranges_the_screen_once(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The layout of each switch makes the map of every widget; nothing arranges the
    whole screen again just after it (a footer key that changed size asked where it
    was, and Textual made that map a second time)."""
    opened, closed = make_lead(ada), make_lead(ada, email="b@x.example")
    models.disqualify_lead(ada, closed.id, "lost")
    arranged: list[object] = []
    real_arrange = Compositor._arrange_root

    def arrange(compositor: Compositor, root: Any, size: Any, visible_only: bool = True) -> Any:
        if isinstance(root, LeadDetailScreen) and not visible_only:
            arranged.append(root.view.id if root.view else None)
        return real_arrange(compositor, root, size, visible_only)

    monkeypatch.setattr(Compositor, "_arrange_root", arrange)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        for lead in (opened, closed):  # both built and shown once
            await open_screen(pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen)
            await settle(pilot)
            await back_to_list(pilot)
        for lead in (opened, closed, opened):
            arranged.clear()
            await open_screen(pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen)
            await settle(pilot)
            await pilot.pause(0.1)
            await settle(pilot)
            assert arranged == [lead.id]
            await back_to_list(pilot)


@pytest.mark.asyncio
@pytest.mark.parametrize("width", [80, 170])
async def test_a_widget_covered_by_those_in_front_is_not_rendered(
    ada: models.User, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """A view screen's compositor leaves out the widgets that the ones in front of them
    cover whole (the screen itself, the tabs and their switcher under the form's
    pane): the frame is the one Textual's compositor paints, for an open lead, a
    closed one (its created records list leaves the pane's edges showing) and back,
    at 80 columns and in the wide form."""
    from textual.widget import Widget
    from textual.widgets import ContentSwitcher

    opened, closed = make_lead(ada), make_lead(ada, email="b@x.example")
    models.qualify_lead(ada, closed.id)
    rendered: list[Widget] = []
    real_render_lines = Widget.render_lines

    def render_lines(widget: Widget, crop: Any) -> Any:
        rendered.append(widget)
        return real_render_lines(widget, crop)

    monkeypatch.setattr(Widget, "render_lines", render_lines)
    app = make_app(ada)
    async with app.run_test(size=(width, 30)) as pilot:
        for lead in (opened, closed, opened):
            screen = await open_screen(
                pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen
            )
            await settle(pilot)
            compositor = screen._compositor
            region = screen.size.region
            rendered.clear()
            ours = compositor._render_chops(region, lambda y: True)
            left_out = {w for w in compositor.visible_widgets if w not in rendered}
            textuals = Compositor._render_chops(compositor, region, lambda y: True)
            assert [list(chop.items()) for chop in ours] == [
                list(chop.items()) for chop in textuals
            ]
            tabs = screen.query_one("#detail-tabs", TabbedContent)
            assert {screen, tabs, tabs.query_one(ContentSwitcher)} <= left_out
            assert screen.query_one("#f-topic") not in left_out or lead is closed
            await back_to_list(pilot)


@pytest.mark.asyncio
async def test_a_refilled_screen_laid_out_as_it_shows_is_painted(ada: models.User) -> None:
    """An open lead after a closed one (and back) is laid out as it is shown, and that
    layout leaves the paint to the whole-screen paint that follows (the frame is
    not rendered twice): what is painted is the lead shown, laid out, and a change
    made afterwards is painted too."""
    opened = make_lead(ada, topic="Open chairs")
    closed = make_lead(ada, email="b@x.example", topic="Closed desks")
    models.disqualify_lead(ada, closed.id, "lost")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        for lead in (opened, closed, opened, closed, opened):
            screen = await open_screen(
                pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen
            )
            await settle(pilot)
            text = "\n".join(strip.text for strip in screen._compositor.render_strips())
            assert lead.topic in text.splitlines()[0]  # the header
            assert ("■ Disqualified" in text) is (lead is closed)  # the banner
            if lead is opened:
                assert painted_rows(app)["topic"] == lead.topic
            await back_to_list(pilot)
        screen = await open_screen(pilot, lambda: app.open_lead(opened.id), LeadDetailScreen)
        topic = screen.query_one("#f-topic", Input)
        topic.focus()
        await settle(pilot)
        await pilot.press("!")
        await wait_until(pilot, lambda: painted_rows(app).get("topic") == "Open chairs!")


def painted_rows(app: Any) -> dict[str, str]:
    """What the frame the app shows now paints on each form row, by the row's label."""
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    rows = {}
    for name, label in LABELS.items():
        found = [line for line in lines if line.strip().startswith(label)]
        if found:
            rows[name] = found[0].strip()[len(label) :].strip(" *▼")
    return rows


@pytest.mark.asyncio
async def test_an_open_lead_after_another_is_not_laid_out_again(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form, the stage bar, the banner and the record line keep their sizes from
    one open lead to the next: the refilled screen is painted with the new values
    (inputs of other lengths, choices set and cleared), without a layout."""
    first = make_lead(ada, rating="warm")
    second = make_lead(
        ada,
        email="second.lead.with.a.longer.address@x.example",
        city="Oslo",
        topic="Desks",
        rating="hot",
        lead_source="web",
    )
    third = make_lead(
        ada, email="t@x.example", city="Bergen", topic="A much longer topic", rating="cold"
    )
    layouts = lead_detail_layouts(monkeypatch)
    app = make_app(ada)
    async with app.run_test(size=(100, 60)) as pilot:  # the whole form in view
        await open_screen(pilot, lambda: app.open_lead(first.id), LeadDetailScreen)
        await settle(pilot)
        shown = {
            second.id: {"topic": "Desks", "city": "Oslo", "rating": "Hot", "lead_source": "Web"},
            third.id: {"topic": "A much longer topic", "rating": "Cold", "lead_source": "(none)"},
        }
        for lead in (second, third):
            await back_to_list(pilot)
            layouts.clear()
            await open_screen(pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen)
            await settle(pilot)
            await pilot.pause(0.1)  # a layout asked for would come a frame or two later
            await settle(pilot)
            assert layouts == []
            rows = painted_rows(app)
            assert {name: rows.get(name) for name in shown[lead.id]} == shown[lead.id]
            assert rows["email"] == lead.email


@pytest.mark.asyncio
async def test_showing_a_lead_announces_no_field_change(ada: models.User) -> None:
    """Filling the form with another lead (open or closed) posts no Changed message of
    its fields (each bubbled to the app); what the user then types still does."""
    first = make_lead(ada)
    second = make_lead(ada, email="b@x.example", city="Oslo", rating="hot", summary="Big")
    closed = make_lead(ada, email="c@x.example", city="Bergen")
    models.disqualify_lead(ada, closed.id, "lost")
    changed: list[Any] = []

    def hook(message: Any) -> None:
        if isinstance(message, FIELD_CHANGED):
            changed.append(message)

    app = make_app(ada)
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        screen = await open_screen(pilot, lambda: app.open_lead(first.id), LeadDetailScreen)
        for lead in (second, closed, first):
            await back_to_list(pilot)
            changed.clear()
            await open_screen(pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen)
            await settle(pilot)
            assert screen.view.id == lead.id
            assert changed == []
        assert screen.query_one("#f-city", Input).value == first.city
        screen.query_one("#f-city", Input).focus()
        await pilot.press("x")
        await settle(pilot)
        assert [type(m) for m in changed] == [Input.Changed]
        assert screen.changes() == {"city": first.city + "x"}


@pytest.mark.asyncio
async def test_a_slow_read_shows_the_screen_loading_then_the_record(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = make_lead(ada), make_lead(ada, email="b@x.example", city="Oslo")
    may_end = threading.Event()
    real_detail = models.lead_detail

    def detail(lead_id: int) -> models.LeadDetail:
        if lead_id == second.id:
            assert may_end.wait(30)
        return real_detail(lead_id)

    monkeypatch.setattr(models, "lead_detail", detail)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, lambda: app.open_lead(first.id), LeadDetailScreen)
        await back_to_list(pilot)
        keys_before = footer_keys(screen)
        app.open_lead(second.id)
        # Shown after the wait, with a loading indicator and no record.
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.view is None and screen.query_one("#detail-tabs").loading
        await pilot.pause(OPEN_WAIT_SECONDS)
        assert footer_keys(screen) == keys_before  # not rebuilt while it reads
        may_end.set()
        await wait_until(pilot, lambda: screen.view is not None)
        await settle(pilot)
        assert screen.view.id == second.id
        assert not screen.query_one("#detail-tabs").loading
        assert screen.query_one("#f-city", Input).value == "Oslo"
        assert footer_keys(screen) == keys_before  # an open lead again: the same keys


@pytest.mark.asyncio
async def test_opening_a_record_deleted_meanwhile_says_so_on_the_list(ada: models.User) -> None:
    first, second = make_lead(ada), make_lead(ada, email="b@x.example")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, lambda: app.open_lead(first.id), LeadDetailScreen)
        await back_to_list(pilot)
        listing = app.screen
        elsewhere(lambda: models.delete_lead(ada, second.id))
        app.open_lead(second.id)
        await wait_until(pilot, lambda: notified(pilot, GONE))
        await settle(pilot)
        await pilot.pause(OPEN_WAIT_SECONDS * 2)
        assert app.screen is listing
        # The screen opens again for a lead that exists.
        await open_screen(pilot, lambda: app.open_lead(first.id), LeadDetailScreen)
        assert app.screen.view.id == first.id
    assert app.return_code in (None, 0)


@pytest.mark.asyncio
async def test_a_screen_is_not_shown_over_one_the_user_went_to_meanwhile(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = make_lead(ada), make_lead(ada, email="b@x.example")
    entered, may_end = threading.Event(), threading.Event()
    real_detail = models.lead_detail

    def detail(lead_id: int) -> models.LeadDetail:
        if lead_id == second.id:
            entered.set()
            assert may_end.wait(30)
        return real_detail(lead_id)

    monkeypatch.setattr(models, "lead_detail", detail)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, lambda: app.open_lead(first.id), LeadDetailScreen)
        await back_to_list(pilot)
        app.open_lead(second.id)
        await wait_until(pilot, entered.is_set)
        app.push_screen(HelpScreen())  # before the wait is over
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        may_end.set()
        await pilot.pause(OPEN_WAIT_SECONDS * 2)
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert not any(isinstance(s, LeadDetailScreen) for s in app.screen_stack)


class DimmingScreen(Screen[None]):
    BINDINGS = [
        Binding("e", "edit", "Edit", id="t.edit"),
        Binding("x", "delete", "Delete", id="t.delete"),
        Binding("r", "reactivate", "Reactivate", id="t.reactivate"),
        Binding("b", "back", "Back", id="t.back"),
    ]
    refused = False
    closed = False

    def compose(self) -> ComposeResult:
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete":
            return None if self.refused else True
        if action == "edit":
            return not self.closed
        if action == "reactivate":
            return self.closed
        return True


async def footer_now(pilot: Any, screen: DimmingScreen) -> tuple[list[FooterKey], str]:
    """The key widgets and the footer as painted, once it has caught up."""
    screen.refresh_bindings()
    for _ in range(3):
        await pilot.pause()
    return footer_keys(screen), pilot.app.export_screenshot()


@pytest.mark.asyncio
async def test_the_footer_shows_changed_keys_with_the_widgets_it_has() -> None:
    app = App()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = DimmingScreen()
        await app.push_screen(screen)
        keys, _ = await footer_now(pilot, screen)
        assert [k.action for k in keys][:3] == ["edit", "delete", "back"]
        for refused, closed in ((True, False), (False, False), (True, True), (False, False)):
            screen.refused, screen.closed = refused, closed
            now, painted = await footer_now(pilot, screen)
            assert now[0] is keys[0] and now[1] is keys[1]  # not remounted
            shows = ["delete", "reactivate", "back"] if closed else ["edit", "delete", "back"]
            assert [k.action for k in now][:3] == shows
            delete = now[shows.index("delete")]
            assert delete.has_class("-disabled") is refused and delete._disabled is refused
            # Painted as Textual's own footer would have built it.
            screen.query_one(KeyFooter).refresh(recompose=True)
            _, rebuilt = await footer_now(pilot, screen)
            assert painted == rebuilt
            keys = footer_keys(screen)


@pytest.mark.asyncio
async def test_a_key_widget_taking_another_keys_text_keeps_the_styles_it_looked_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A closed lead and an open one show different keys: each key widget takes another
    key's text, and is measured and painted again with the styles it had (Textual's
    render looked up four of them per key, a third of the layout of the switch); a
    key restyled (dimmed) looks them up again; painted as Textual's footer paints."""
    from textual.widget import Widget

    looked_up: list[str] = []
    real_lookup = Widget.get_component_rich_style

    def lookup(widget: Widget, *names: str, **kwargs: Any) -> Any:
        if isinstance(widget, FooterKey):
            looked_up.append(widget.key)
        return real_lookup(widget, *names, **kwargs)

    monkeypatch.setattr(Widget, "get_component_rich_style", lookup)
    app = App()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = DimmingScreen()
        await app.push_screen(screen)
        await footer_now(pilot, screen)
        for closed in (True, False, True):
            screen.closed = closed
            looked_up.clear()
            keys, painted = await footer_now(pilot, screen)
            shows = ["delete", "reactivate", "back"] if closed else ["edit", "delete", "back"]
            assert [k.action for k in keys][:3] == shows
            assert looked_up == []  # new texts, the same styles
            screen.query_one(KeyFooter).refresh(recompose=True)
            _, rebuilt = await footer_now(pilot, screen)
            assert painted == rebuilt
        screen.refused = True  # delete dimmed: restyled, its styles looked up again
        looked_up.clear()
        keys, painted = await footer_now(pilot, screen)
        assert "x" in looked_up and keys[0].has_class("-disabled")
        screen.query_one(KeyFooter).refresh(recompose=True)
        _, rebuilt = await footer_now(pilot, screen)
        assert painted == rebuilt


@pytest.mark.asyncio
async def test_a_key_widget_draws_a_key_it_showed_before_from_what_it_drew(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each key widget takes turns showing two keys as a closed lead and an open one
    follow each other: what it drew for each (its lines of text, at its size) is
    kept until it is restyled, and painted as Textual's footer paints it."""
    from textual.widget import Widget

    drawn: list[str] = []
    real_render = Widget._render_content

    def render_content(widget: Widget) -> None:
        if isinstance(widget, FooterKey):
            drawn.append(widget.key)
        real_render(widget)

    monkeypatch.setattr(Widget, "_render_content", render_content)
    app = App()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = DimmingScreen()
        await app.push_screen(screen)
        for closed in (True, False):  # each widget draws both of its keys once
            screen.closed = closed
            await footer_now(pilot, screen)
        for closed in (True, False, True):
            screen.closed = closed
            drawn.clear()
            keys, painted = await footer_now(pilot, screen)
            assert keys[0].action == ("delete" if closed else "edit")
            assert drawn == []
        footer = screen.query_one(KeyFooter)
        footer.refresh(recompose=True)
        _, rebuilt = await footer_now(pilot, screen)
        assert painted == rebuilt


@pytest.mark.asyncio
async def test_the_footer_sets_a_keys_tooltip_only_when_it_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Setting a widget's tooltip updates the screen's (Textual looks for the tooltip
    widget each time): the footer's keys keep theirs unless it changed."""
    updates: list[object] = []
    real_update = Screen._update_tooltip

    def update_tooltip(screen: Screen, widget: Any) -> None:
        updates.append(widget)
        real_update(screen, widget)

    monkeypatch.setattr(Screen, "_update_tooltip", update_tooltip)
    app = App()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = DimmingScreen()
        await app.push_screen(screen)
        await footer_now(pilot, screen)
        for closed in (True, False):
            screen.closed = closed
            updates.clear()
            keys, _ = await footer_now(pilot, screen)
            assert keys[0].action == ("delete" if closed else "edit")
            assert updates == []
        tooltips: dict[str, str] = {"x": "Delete it for good"}
        monkeypatch.setattr(screen, "check_action", lambda action, parameters: True)
        real_bindings = Screen.active_bindings.fget

        def active_bindings(self: Screen) -> Any:
            bindings = real_bindings(self)  # type: ignore[misc]
            return {
                key: (node, binding, enabled, tooltips.get(key, tooltip))
                for key, (node, binding, enabled, tooltip) in bindings.items()
            }

        monkeypatch.setattr(Screen, "active_bindings", property(active_bindings))
        keys, _ = await footer_now(pilot, screen)
        delete = next(k for k in keys if k.action == "delete")
        assert delete.tooltip == "Delete it for good" and updates


@pytest.mark.asyncio
async def test_the_closed_leads_banner_shows_and_hides_without_a_restyle(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its `visible` class only changes its display: the banner is shown and hidden as
    the class says (restyling it gives the same), without restyling it on each
    switch between an open and a closed lead."""
    from textual.widgets import Static

    opened, closed = make_lead(ada), make_lead(ada, email="b@x.example")
    models.disqualify_lead(ada, closed.id, "lost")
    restyled: list[str | None] = []
    real_update = Static.update_node_styles

    def update_node_styles(widget: Static, animate: bool = True) -> None:
        restyled.append(widget.id)
        real_update(widget, animate)

    monkeypatch.setattr(Static, "update_node_styles", update_node_styles)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        for lead in (opened, closed, opened, closed):
            restyled.clear()
            screen = await open_screen(
                pilot, lambda lead=lead: app.open_lead(lead.id), LeadDetailScreen
            )
            await settle(pilot)
            banner = screen.query_one("#banner", Static)
            shown = lead is closed
            assert "banner" not in restyled
            assert banner.has_class("visible") is shown and banner.display is shown
            assert (banner.region.height > 0) is shown
            app.stylesheet.update(banner)  # what the CSS says for it
            assert (banner.styles.base.display == "block") is shown
            await back_to_list(pilot)


@pytest.mark.asyncio
async def test_a_built_screen_is_out_of_the_collectors_reach(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, lambda: app.open_lead(lead.id), LeadDetailScreen)
        await wait_until(pilot, lambda: screen._kept)
        await settle(pilot)
        await pilot.pause()
        tracked = {id(o) for o in gc.get_objects()}  # the permanent generation is not listed
        form = screen.query_one("#f-city")
        assert id(form) not in tracked and id(screen) not in tracked


@pytest.mark.asyncio
async def test_a_view_screen_is_restyled_on_showing_only_after_a_theme_change(
    ada: models.User, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Its widgets are styled as they mount: Textual's restyle of the whole screen as
    it is shown (90 ms for the opportunity view) is left out the first time and each
    time after, unless the theme changed since the screen was styled."""
    from tui.screens.records import OpportunityScreen

    monkeypatch.setenv("LEADQ_CONFIG_DIR", str(tmp_path))  # the theme is remembered there
    result = models.qualify_lead(ada, make_lead(ada).id)
    restyled: list[Screen] = []
    real_update = Screen.update_node_styles

    def update_node_styles(screen: Screen, animate: bool = True) -> None:
        restyled.append(screen)
        real_update(screen, animate)

    monkeypatch.setattr(Screen, "update_node_styles", update_node_styles)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        opportunity = result.opportunity.id  # type: ignore[union-attr]
        screen = await open_screen(
            pilot, lambda: app.open_opportunity(opportunity), OpportunityScreen
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        again = await open_screen(
            pilot, lambda: app.open_opportunity(opportunity), OpportunityScreen
        )
        assert again is screen and screen not in restyled
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        app.theme = "nord" if app.theme != "nord" else "gruvbox"
        await settle(pilot)
        await open_screen(pilot, lambda: app.open_opportunity(opportunity), OpportunityScreen)
        assert screen in restyled


class FooterScreen(DimmingScreen):
    def __init__(self, footer: Footer) -> None:
        super().__init__()
        self.footer = footer

    def compose(self) -> ComposeResult:
        yield self.footer


@pytest.mark.asyncio
@pytest.mark.parametrize("compact", [False, True])
async def test_footer_keys_are_built_in_their_style_and_not_restyled_on_mount(
    compact: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each key (the palette's too) ends as Textual's footer leaves it, compact or
    not, without the two style updates FooterKey's watcher would make per key."""
    restyled: list[FooterKey] = []
    real_update = FooterKey.update_node_styles

    def update(key: FooterKey, animate: bool = True) -> None:
        restyled.append(key)
        real_update(key, animate)

    monkeypatch.setattr(FooterKey, "update_node_styles", update)
    built = []
    for footer in (Footer(compact=compact), KeyFooter(compact=compact)):
        restyled.clear()
        app = App()
        async with app.run_test(size=(100, 24)) as pilot:
            screen = FooterScreen(footer)
            await app.push_screen(screen)
            keys, painted = await footer_now(pilot, screen)
            assert len(keys) == 4  # edit, delete, back and the palette's
            built.append(([(k.action, k.compact, k.has_class("-compact")) for k in keys], painted))
            if isinstance(footer, KeyFooter):
                assert restyled == []
            else:
                assert restyled  # what KeyFooter saves
    assert built[0] == built[1]


# The first lead detail, built off-stage (`ViewScreen.build_over`).
def record_each_show(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int | None, int, str, bool]]:
    """What the lead detail holds each time it becomes the top screen, before any frame:
    its view's lead, its form's rows, the city field and its loading indicator."""
    shown: list[tuple[int | None, int, str, bool]] = []
    real_resume = LeadDetailScreen._on_screen_resume

    def resume(screen: LeadDetailScreen, event: Any) -> None:
        rows = len(screen.query(".field"))
        city = screen.query_one("#f-city", Input).value if rows else ""
        loading = screen.query_one("#detail-tabs").loading
        shown.append((screen.view.id if screen.view else None, rows, city, loading))
        real_resume(screen, event)

    monkeypatch.setattr(LeadDetailScreen, "_on_screen_resume", resume)
    return shown


@pytest.mark.asyncio
async def test_the_first_lead_opened_first_shows_whole(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built off-stage in steps, the lead detail is shown once its whole form is built and
    filled with the lead, and laid out: no frame of a part-built form or of "loading";
    its footer has the lead's keys (Save), not those of a screen with no lead yet."""
    lead = make_lead(ada, city="Oslo")
    shown = record_each_show(monkeypatch)
    keys_shown: list[list[str]] = []
    real_resume = LeadDetailScreen._on_screen_resume

    def resume(screen: LeadDetailScreen, event: Any) -> None:
        keys_shown.append([key.action for key in footer_keys(screen)])
        real_resume(screen, event)

    monkeypatch.setattr(LeadDetailScreen, "_on_screen_resume", resume)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_screen(pilot, lambda: app.open_lead(lead.id), LeadDetailScreen)
        assert shown == [(lead.id, len(ALL_FIELDS), "Oslo", False)]
        assert "save" in keys_shown[0]
        assert keys_shown == [[key.action for key in footer_keys(screen)]]
        assert screen.focused is screen.query_one("#detail-tabs Tabs")
        assert [row.id for row in screen.query(".field")] == [f"row-{n}" for n in ALL_FIELDS]


@pytest.mark.asyncio
async def test_the_first_lead_detail_is_laid_out_as_it_is_built(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built off-stage, the lead detail is laid out as its build goes on, so that no
    layout places the whole form's widgets at once (one layout of 170 widgets
    was the longest the event loop waited in a session); shown, every widget is
    placed and the screen is not laid out again for its first frame."""
    lead = make_lead(ada, city="Oslo")
    shown: list[tuple[bool, int]] = []  # (pushed yet, widgets placed by each layout)
    real_reflow = Compositor.reflow

    def reflow(compositor: Compositor, parent: Any, size: Any) -> Any:
        result = real_reflow(compositor, parent, size)
        if isinstance(parent, LeadDetailScreen):
            shown.append((parent.is_current, len(result.shown)))
        return result

    monkeypatch.setattr(Compositor, "reflow", reflow)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_screen(pilot, lambda: app.open_lead(lead.id), LeadDetailScreen)
        await pilot.pause(0.1)
        await settle(pilot)
        off_stage = [count for current, count in shown if not current]
        assert [current for current, _ in shown] == [False] * len(shown)  # none once shown
        assert len(off_stage) > len(FORM_STEPS) // STEPS_PER_LAYOUT  # as it grew
        placed = screen._compositor.full_map
        rows = list(screen.query(".field"))
        assert len(rows) == len(ALL_FIELDS) and all(row in placed for row in rows)
        assert max(off_stage) < len(placed) // 3, off_stage
        assert screen.query_one("#f-city", Input).value == "Oslo"


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["account", "contact", "opportunity"])
async def test_the_first_record_view_opened_first_shows_with_its_record(
    ada: models.User, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """The first account, contact or opportunity screen is built and laid out off-stage
    (`ViewScreen.build_over`) and shown once its record is there: its first frame has
    the record and the record's keys, not "loading" and then the record laid out again
    (three layouts of the opportunity screen, 25-30 ms each with their render, were the
    session's longest wait after the lead detail's)."""
    made = models.qualify_lead(ada, make_lead(ada).id)
    record_id = getattr(made, kind).id
    screen_kind = {"account": AccountScreen, "contact": ContactScreen}.get(kind, OpportunityScreen)
    shown: list[tuple[int | None, bool, list[str]]] = []
    layouts: list[bool] = []  # for each layout of the screen: whether it was shown yet
    real_resume, real_reflow = screen_kind._on_screen_resume, Compositor.reflow

    def resume(screen: Any, event: Any) -> None:
        loading = screen.query_one("#record-tabs").loading
        keys = [key.action for key in footer_keys(screen) if key.display]
        shown.append((screen.view.id if screen.view else None, loading, keys))
        real_resume(screen, event)

    def reflow(compositor: Compositor, parent: Any, size: Any) -> Any:
        if isinstance(parent, screen_kind):
            layouts.append(parent.is_current)

        return real_reflow(compositor, parent, size)

    monkeypatch.setattr(screen_kind, "_on_screen_resume", resume)
    monkeypatch.setattr(Compositor, "reflow", reflow)

    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_screen(
            pilot, lambda: getattr(app, f"open_{kind}")(record_id), screen_kind
        )
        await pilot.pause(0.1)
        await settle(pilot)
        assert shown == [(record_id, False, shown[0][2])]
        assert "edit" in shown[0][2] and shown[0][2] == [
            key.action for key in footer_keys(screen) if key.display
        ]
        assert layouts and True not in layouts  # laid out before it was shown, not after
        assert screen.focused is screen.query_one("#related")


@pytest.mark.asyncio
async def test_keys_typed_while_the_lead_opens_are_the_leads(ada: models.User) -> None:
    """The lead detail's first build (170 widgets) runs off-stage in steps, the loop
    free in between; what is typed meanwhile is for the lead being opened (type-ahead):
    Enter then n adds a note to that lead, it does not start a new lead on the list."""
    lead = make_lead(ada)
    make_lead(ada, email="b@x.example")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(LeadTable)
        await wait_until(pilot, lambda: table.loaded and table.total == 2)
        app.open_lead(lead.id)  # built off-stage: not shown yet
        app.post_message(events.Key("n", "n"))  # as a terminal sends it
        app.post_message(events.Key("down", None))
        detail = await wait_for_screen(pilot, LeadDetailScreen)
        await settle(pilot)
        await wait_until(pilot, lambda: detail.built_pane("tab-notes") is not None)
        assert [type(s) for s in app.screen_stack][-2:] == [LeadListScreen, LeadDetailScreen]
        assert detail.query_one("#detail-tabs", TabbedContent).active == "tab-notes"
        assert table.cursor == 0  # the list took neither key
        assert detail.view.id == lead.id


@pytest.mark.asyncio
async def test_a_lead_asked_for_while_the_first_is_laid_out_is_shown_with_its_record(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked for while the first lead's screen is being laid out off-stage, the second
    lead is the one shown, once its record has arrived: not the first one's, not
    "loading" (its read is held until the layout is over, as a slow one would be)."""
    first = make_lead(ada, city="Redmond")
    second = make_lead(ada, email="b@x.example", city="Oslo")
    shown = record_each_show(monkeypatch)
    monkeypatch.setattr("tui.loading.OPEN_WAIT_SECONDS", 30)  # the read decides, not a timer
    app = make_app(ada)
    laid_out = threading.Event()
    real_lay_out, real_read = ViewScreen._lay_out_off_stage, LeadDetailScreen.read_view

    async def lay_out(screen: ViewScreen) -> None:
        if isinstance(screen, LeadDetailScreen) and screen.view and screen.view.id == first.id:
            app.open_lead(second.id)  # as Enter on another row would, at this moment
        await real_lay_out(screen)
        laid_out.set()

    def read_view(screen: LeadDetailScreen) -> models.LeadDetail:
        if screen.lead_id == second.id:
            assert laid_out.wait(30)
        return real_read(screen)

    monkeypatch.setattr(ViewScreen, "_lay_out_off_stage", lay_out)
    monkeypatch.setattr(LeadDetailScreen, "read_view", read_view)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_lead(first.id)
        screen = await wait_for_screen(pilot, LeadDetailScreen)
        await settle(pilot)
        assert screen.view.id == second.id
        assert shown == [(second.id, len(ALL_FIELDS), "Oslo", False)]


@pytest.mark.asyncio
async def test_a_lead_asked_for_while_the_first_is_built_is_the_one_shown(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = make_lead(ada), make_lead(ada, email="b@x.example", city="Oslo")
    shown = record_each_show(monkeypatch)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_lead(first.id)
        app.open_lead(second.id)  # before the first build's first step
        screen = await wait_for_screen(pilot, LeadDetailScreen)
        await settle(pilot)
        assert screen.view.id == second.id
        assert shown == [(second.id, len(ALL_FIELDS), "Oslo", False)]


@pytest.mark.asyncio
async def test_a_lead_deleted_while_its_screen_is_built_is_said_on_the_list(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = make_lead(ada)
    real_read = LeadDetailScreen.read_view

    def read_view(screen: LeadDetailScreen) -> models.LeadDetail:
        models.delete_lead(ada, lead.id)  # in the read's thread, while the screen is built
        return real_read(screen)

    monkeypatch.setattr(LeadDetailScreen, "read_view", read_view)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_lead(lead.id)
        await wait_until(pilot, lambda: notified(pilot, GONE))
        await settle(pilot)
        assert isinstance(app.screen, LeadListScreen)


@pytest.mark.asyncio
@pytest.mark.parametrize("after_steps", [0, 2, 7])
async def test_the_app_ends_cleanly_while_the_lead_detail_is_built(
    ada: models.User, monkeypatch: pytest.MonkeyPatch, after_steps: int
) -> None:
    """Quitting while the lead detail is built off-stage: the build stops with its
    screen (it went on to fill the form of a screen being taken apart: NoMatches)."""
    lead = make_lead(ada)
    real_steps = LeadDetailScreen.build_steps
    started = asyncio.Event()

    def build_steps(screen: LeadDetailScreen) -> Any:
        for number, step in enumerate(real_steps(screen)):
            if number == after_steps:
                started.set()
            yield step
        started.set()

    monkeypatch.setattr(LeadDetailScreen, "build_steps", build_steps)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_lead(lead.id)
        await asyncio.wait_for(started.wait(), 30)
    assert not app.crashed
