"""Type-ahead (issue 13): keys that arrive together, in one terminal read (tmux
send-keys, a paste, a fast typist), mean what they mean typed one by one. The
terminal's driver posts them to the app at once; a key that starts opening a screen
makes every later key that screen's, in order, whatever queue it was already in; an
open overtaken by another screen is never shown later, and the keys typed for it are
dropped rather than given to the screen the user is on."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from textual import events, work
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import TabbedContent

import models
from tui.app import LeadqApp
from tui.screens.help import HelpScreen
from tui.screens.lead_detail import LeadDetailScreen
from tui.screens.lead_list import LeadListScreen
from tui.screens.record_form import RecordFormScreen
from tui.widgets.lead_table import LeadTable

from ..conftest import make_lead
from ..helpers import list_settled, make_app, settle, wait_for_screen, wait_until

CHARACTERS = {
    "enter": "\r",
    "escape": "\x1b",
    "tab": "\t",
    "down": None,
    "ctrl+q": "\x11",
    "ctrl+p": "\x10",
}


def together(app: LeadqApp, *keys: str) -> None:
    """Post `keys` as the driver posts the keys of one terminal read: all at once,
    before the app has handled the first."""
    for key in keys:
        app.post_message(events.Key(key, CHARACTERS.get(key, key)))


def clicks_together(app: LeadqApp, widget: Widget, offset: tuple[int, int], clicks: int) -> None:
    """Post `clicks` presses of the left button at `offset` in `widget` as the driver
    posts them (down and up; the app makes the click on release, a double click from
    two at one place), before the app has handled the first."""
    x, y = widget.region.offset + offset
    where = dict(x=x, y=y, delta_x=0, delta_y=0, button=1, shift=False, meta=False, ctrl=False)
    for _ in range(clicks):
        app.post_message(events.MouseDown(None, **where, screen_x=x, screen_y=y))
        app.post_message(events.MouseUp(None, **where, screen_x=x, screen_y=y))


def record_pushes(app: LeadqApp) -> list[type[Screen]]:
    pushed: list[type[Screen]] = []
    real_push = app.push_screen

    def push(screen: Any, *args: Any, **kwargs: Any) -> Any:
        pushed.append(type(screen))
        return real_push(screen, *args, **kwargs)

    app.push_screen = push  # type: ignore[method-assign]
    return pushed


async def list_ready(pilot: Any, leads: int) -> LeadTable:
    """The list on top, its rows read and marked, counting `leads`."""
    await list_settled(pilot)
    table = pilot.app.screen.query_one(LeadTable)
    await wait_until(pilot, lambda: table.loaded and table.total == leads)
    return table


def active_tab(screen: Screen) -> str | None:
    return screen.query_one("#detail-tabs", TabbedContent).active


@pytest.mark.asyncio
async def test_enter_then_n_in_one_read_opens_the_lead_on_its_notes(ada: models.User) -> None:
    """The first lead (built off-stage) and a later one (refilled): n is the notes
    composer of the lead opened, not a new lead on the list."""
    make_lead(ada)
    make_lead(ada, email="b@x.example")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await list_ready(pilot, 2)
        first = table.current_row.id
        pushed = record_pushes(app)
        together(app, "enter", "n")
        detail = await wait_for_screen(pilot, LeadDetailScreen)
        await settle(pilot)
        await wait_until(pilot, lambda: active_tab(detail) == "tab-notes")
        assert detail.view.id == first
        assert pushed == [LeadDetailScreen]

        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        await settle(pilot)
        await pilot.press("down")
        second = table.current_row.id
        assert second != first
        together(app, "enter", "n")
        await wait_until(pilot, lambda: app.screen is detail)
        await settle(pilot)
        await wait_until(pilot, lambda: active_tab(detail) == "tab-notes")
        assert detail.view.id == second
        assert pushed == [LeadDetailScreen, LeadDetailScreen]
        assert not any(isinstance(s, RecordFormScreen) for s in app.screen_stack)


@pytest.mark.asyncio
async def test_enter_then_escape_in_one_read_opens_the_lead_and_closes_it(
    ada: models.User,
) -> None:
    make_lead(ada)
    make_lead(ada, email="b@x.example")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await list_ready(pilot, 2)
        pushed = record_pushes(app)
        together(app, "enter", "escape")
        await wait_until(pilot, lambda: pushed == [LeadDetailScreen])
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        await settle(pilot)
        assert len(app.screen_stack) == 1 and pushed == [LeadDetailScreen]
        assert table.cursor == 0
        # Refilled, the same.
        together(app, "enter", "escape")
        await wait_until(pilot, lambda: len(pushed) == 2)
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        await settle(pilot)
        assert len(app.screen_stack) == 1 and pushed == [LeadDetailScreen] * 2


@pytest.mark.asyncio
async def test_enter_down_enter_in_one_read_opens_the_first_lead_and_gives_it_the_rest(
    ada: models.User,
) -> None:
    """Down and the second Enter were typed after the Enter that opens the lead: they are
    the lead detail's (typed slowly, they would have been), not the list's: the list's
    cursor stays on the first lead, which is the lead shown, and no other is opened."""
    make_lead(ada)
    make_lead(ada, email="b@x.example")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await list_ready(pilot, 2)
        first = table.current_row.id
        pushed = record_pushes(app)
        together(app, "enter", "down", "enter")
        detail = await wait_for_screen(pilot, LeadDetailScreen)
        await settle(pilot)
        assert detail.view.id == first
        assert table.cursor == 0
        assert pushed == [LeadDetailScreen]
        assert app.screen is detail


@pytest.mark.asyncio
async def test_ctrl_q_in_the_same_read_still_quits_at_once(ada: models.User) -> None:
    make_lead(ada)
    app = make_app(ada)
    exits: list[list[type[Screen]]] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await list_ready(pilot, 1)
        pushed = record_pushes(app)
        real_exit = app.exit

        def exit_app(*args: Any, **kwargs: Any) -> None:
            exits.append(list(pushed))
            real_exit(*args, **kwargs)

        app.exit = exit_app  # type: ignore[method-assign]
        together(app, "enter", "n", "ctrl+q")
        await wait_until(pilot, lambda: exits != [])
    assert exits == [[]]  # before the lead was shown, and n never made a new lead


@pytest.mark.asyncio
async def test_ctrl_p_in_the_same_read_waits_for_the_lead_it_follows(ada: models.User) -> None:
    """Only quitting jumps the queue: the command palette, another of the app's
    priority keys, opens over the lead Enter opened, as typed slowly; run at once, it
    opened over the list and took that Enter as its own (its top command)."""
    make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await list_ready(pilot, 1)
        first = table.current_row.id
        pushed = record_pushes(app)
        together(app, "enter", "ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await settle(pilot)
        assert [type(s) for s in app.screen_stack] == [
            LeadListScreen,
            LeadDetailScreen,
            CommandPalette,
        ]
        assert app.screen_stack[1].view.id == first
        assert pushed[0] is LeadDetailScreen


@pytest.mark.asyncio
async def test_an_open_overtaken_is_never_shown_later(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lead whose record is slow to come, asked for on the list; meanwhile another
    screen is shown and closed (a mouse click, a dialog): when the record comes, the
    list is current again, but that open was overtaken: the lead is not pushed. The key
    typed for it (n) is dropped, not given to the list (no new lead form)."""
    first = make_lead(ada)
    second = make_lead(ada, email="b@x.example")
    monkeypatch.setattr("tui.loading.OPEN_WAIT_SECONDS", 30)  # the read decides
    release = threading.Event()
    real_read = LeadDetailScreen.read_view

    def read_view(screen: LeadDetailScreen) -> models.LeadDetail:
        if screen.lead_id == second.id:
            assert release.wait(30)
        return real_read(screen)

    monkeypatch.setattr(LeadDetailScreen, "read_view", read_view)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await list_ready(pilot, 2)
        app.open_lead(first.id)
        detail = await wait_for_screen(pilot, LeadDetailScreen)
        await settle(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
        await settle(pilot)
        listed = app.screen
        pushed = record_pushes(app)
        app.open_lead(second.id)  # refilled: waits for its record
        together(app, "n")
        await pilot.pause()
        assert app.screen is listed
        app.push_screen(HelpScreen())  # elsewhere, and back
        await wait_for_screen(pilot, HelpScreen)
        app.pop_screen()
        await wait_until(pilot, lambda: app.screen is listed)
        release.set()
        await wait_until(pilot, lambda: detail.view is not None and detail.view.id == second.id)
        await settle(pilot)
        assert app.screen is listed and len(app.screen_stack) == 1
        assert pushed == [HelpScreen]


@pytest.mark.asyncio
async def test_the_first_lead_built_while_the_user_went_elsewhere_is_not_shown(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same for the lead detail's first build, off-stage: overtaken during its
    build, it is not pushed when built (and shows when asked for again)."""
    lead = make_lead(ada)
    app = make_app(ada)
    back, built = asyncio.Event(), asyncio.Event()
    real_build = LeadDetailScreen.build_steps

    def build_steps(screen: LeadDetailScreen) -> Any:
        yield back.wait()  # the build goes on once the list is on top again
        yield from real_build(screen)
        built.set()

    monkeypatch.setattr(LeadDetailScreen, "build_steps", build_steps)
    async with app.run_test(size=(80, 24)) as pilot:
        await list_ready(pilot, 1)
        listed = app.screen
        pushed = record_pushes(app)
        app.open_lead(lead.id)  # built off-stage, in steps
        app.push_screen(HelpScreen())
        await wait_for_screen(pilot, HelpScreen)
        app.pop_screen()
        await wait_until(pilot, lambda: app.screen is listed)
        back.set()
        await wait_until(pilot, built.is_set)
        await settle(pilot)
        assert app.screen is listed and pushed == [HelpScreen]
        app.open_lead(lead.id)
        detail = await wait_for_screen(pilot, LeadDetailScreen)
        await settle(pilot)
        assert detail.view.id == lead.id


@pytest.mark.asyncio
async def test_a_note_typed_ahead_goes_into_the_composer(ada: models.User) -> None:
    """Enter, n, h, i in one read: the lead opens on its notes, whose composer takes
    "hi" (n focuses it after a refresh; h alone is the History tab's key)."""
    make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await list_ready(pilot, 1)
        together(app, "enter", "n", "h", "i")
        detail = await wait_for_screen(pilot, LeadDetailScreen)
        await settle(pilot)
        await wait_until(pilot, lambda: bool(detail.query("#note-text")))
        await wait_until(pilot, lambda: detail.query_one("#note-text").text == "hi")
        assert active_tab(detail) == "tab-notes"
        assert app.focused is detail.query_one("#note-text")


@pytest.mark.asyncio
async def test_what_is_typed_after_n_on_the_list_goes_into_the_new_lead_form(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form fills its fields (all of them) from a worker once mounted: what is
    typed before that waits for it, then goes into the topic, and tab moves on."""
    make_lead(ada)
    filled = threading.Event()
    real_load = RecordFormScreen._load.__wrapped__  # (the worker's own function)

    def load(screen: RecordFormScreen, kind: str, record_id: int | None) -> None:
        assert filled.wait(30)
        real_load(screen, kind, record_id)

    monkeypatch.setattr(RecordFormScreen, "_load", work(thread=True, group="record-form")(load))
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await list_ready(pilot, 1)
        together(app, "n", "a", "b", "tab", "c")
        form = await wait_for_screen(pilot, RecordFormScreen)
        await pilot.pause()
        assert form.query_one("#f-topic").value == ""  # not filled yet: nothing given
        filled.set()
        await wait_until(pilot, lambda: form.query_one("#f-first_name").value == "c")
        assert form.query_one("#f-topic").value == "ab"
        assert app.focused is form.query_one("#f-first_name")


@pytest.mark.asyncio
async def test_a_key_typed_after_the_escape_that_closes_a_dialog_goes_to_the_list(
    ada: models.User,
) -> None:
    """The widget Escape was given to is gone with its dialog: the key after it is
    given to the list once the dialog has closed, not held nor lost."""
    make_lead(ada)
    make_lead(ada, email="b@x.example")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await list_ready(pilot, 2)
        listed = app.screen
        await pilot.press("d")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "DisqualifyDialog")
        await settle(pilot)
        together(app, "escape", "down")
        await wait_until(pilot, lambda: app.screen is listed and table.cursor == 1)
        assert len(app.screen_stack) == 1


@pytest.mark.asyncio
async def test_slash_then_text_in_one_read_is_typed_into_the_search(ada: models.User) -> None:
    """/ moves the focus to the search box (a binding: the next key waits for it);
    the text after it, typed into the box, goes on at once, in order."""
    make_lead(ada)
    make_lead(ada, email="b@x.example")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await list_ready(pilot, 2)
        pushed = record_pushes(app)
        together(app, "slash", "a", "b", "o", "t")
        search = app.screen.query_one("#search")
        await wait_until(pilot, lambda: search.value == "abot")
        await settle(pilot)
        assert app.focused is search
        assert not table.selected and pushed == []


@pytest.mark.asyncio
async def test_enter_then_n_opens_the_lead_wherever_enter_is_when_n_comes(
    ada: models.User,
) -> None:
    """n arriving while Enter is anywhere on its way (at the app, the table, the
    table's OpenLead at the list screen, the lead opening): the lead's notes, each
    time, never the list's new lead form."""
    make_lead(ada)
    make_lead(ada, email="b@x.example")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await list_ready(pilot, 2)
        pushed = record_pushes(app)
        for turns in (0, 1, 2, 3, 4, 6, 8, 12, 16, 24):
            app.post_message(events.Key("enter", "\r"))
            for _ in range(turns):
                await asyncio.sleep(0)  # one turn of the event loop
            app.post_message(events.Key("n", "n"))
            detail = await wait_for_screen(pilot, LeadDetailScreen)
            await settle(pilot)
            await wait_until(pilot, lambda detail=detail: active_tab(detail) == "tab-notes")
            assert pushed == [LeadDetailScreen], turns
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, LeadListScreen))
            await settle(pilot)
            pushed.clear()


@pytest.mark.asyncio
async def test_n_after_a_double_click_in_one_batch_is_the_leads(ada: models.User) -> None:
    """A double click on a row opens its lead (the table's OpenLead, a hop after the
    click): n typed right after it, before the app handled the click, is the lead's
    (its notes), not the list's new lead form; the lead is opened once."""
    make_lead(ada)
    make_lead(ada, email="b@x.example")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await list_ready(pilot, 2)
        pushed = record_pushes(app)
        clicks_together(app, table, (5, 2), clicks=2)  # the second row (under the header)
        together(app, "n")
        detail = await wait_for_screen(pilot, LeadDetailScreen)
        await settle(pilot)
        await wait_until(pilot, lambda: active_tab(detail) == "tab-notes")
        assert pushed == [LeadDetailScreen]
        assert table.cursor == 1 and detail.view.id == table.current_row.id
        assert not any(isinstance(s, RecordFormScreen) for s in app.screen_stack)


@pytest.mark.asyncio
async def test_a_click_moves_the_cursor_and_the_key_after_it_is_the_lists(
    ada: models.User,
) -> None:
    """A single click only moves the cursor: n typed right after it is the list's, a
    new lead form (held behind the click, it is given once the click was handled)."""
    make_lead(ada)
    make_lead(ada, email="b@x.example")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await list_ready(pilot, 2)
        pushed = record_pushes(app)
        clicks_together(app, table, (5, 2), clicks=1)
        together(app, "n")
        await wait_for_screen(pilot, RecordFormScreen)
        await settle(pilot)
        assert table.cursor == 1
        assert pushed == [RecordFormScreen]
