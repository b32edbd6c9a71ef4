"""Hostile user data renders literally on every screen and dialog.

Every user-visible text field in the database (lead, account, contact and
opportunity names, company, topic, job title, address, notes and attachment
names, process/level/activity names, the user's own full name) holds markup
(`[bold red]x[/]`, an `@click=app.quit` action, a `file:` link), terminal escape
sequences (clear screen, colour, window title), other control characters (CR,
backspace, DEL, an 8-bit CSI), a right-to-left override, emoji/astral/zero-width
characters and, where a field allows it, 10,000 characters.

After each step the whole screen (with the screens a modal covers) is rendered
as the terminal would get it, and `assert_literal` checks that
1. the app still runs (no action ran; a click on the shown action text too),
2. no control byte or bidi override is in the text of any rendered segment, no
   segment carries a link or an action, and the bytes for the terminal hold
   only Textual's own colour and cursor sequences, and
3. the markup characters are visible as typed (control codes as ␛ ␍ ...).
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterator

import pytest
from rich.console import Console
from textual import events
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Footer, Input, Select, TabbedContent, TextArea

import models
from models import QualifyChoice, Role
from tui.app import LeadqApp
from tui.screens.bulk_qualify import BulkQualifyScreen
from tui.screens.confirm import ConfirmScreen, MessageScreen
from tui.screens.disqualify_dialog import DisqualifyDialog
from tui.screens.duplicate_picker import DuplicatePicker
from tui.screens.help import HelpScreen
from tui.screens.lead_detail import LeadDetailScreen
from tui.screens.lead_list import LeadListScreen
from tui.screens.process_form import ProcessFormScreen
from tui.screens.processes import ProcessesScreen
from tui.screens.qualify_dialog import QualifyDialog
from tui.screens.qualify_result import QualifyResultScreen
from tui.screens.records import AccountScreen, ContactScreen, OpportunityScreen
from tui.screens.settings import SettingsScreen
from tui.widgets.literal import printable

from ..conftest import make_lead
from ..helpers import make_app, settle, wait_until

MARKUP = "[bold red]x[/]"
CLICK = "[@click=app.quit]y[/]"
LINK = "[link=file:///etc/passwd]z[/]"
CLEAR = "\x1b[2J"
RED = "\x1b[31mred"
TITLE = "\x1b]0;pwned\x07"
OTHER = "c\rr\x08b\x7fd\x9b31m"  # CR, backspace, DEL, an 8-bit CSI
BREAKS = "t\tt\nn"  # a tab and a newline inside one-line text
RTL = "\u202eevil"
WIDE = "👨\u200d👩\u200d👧\U0001d538\u200bw"  # a ZWJ emoji, an astral letter, a zero-width space
ALL = MARKUP + CLICK + LINK + CLEAR + RED + TITLE + BREAKS + OTHER + RTL + WIDE
LONG = ("l" + MARKUP + CLEAR + "\n") * 500  # 10,000 characters, many lines
assert len(LONG) == 10_000

FIRST = MARKUP + RED + BREAKS  # 50 characters at most for a name
OTHER_FIRST = MARKUP + "z" + TITLE
LAST = CLICK + CLEAR + "\rq"
EMAIL = "eve@example.com"
ATTACHMENT = "[@click=app.quit]y" + TITLE + RED + ".txt"  # no "/": a file name

FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
TEXTUAL_SEQUENCES = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\d+;\d+H")
LAYOUT = re.compile("[\\s\u2500-\u259f]")
"""Spaces, line breaks and box/block characters (borders, scroll bars): text may
wrap inside a bordered dialog, so `shown` texts are compared without them."""


# Data --------------------------------------------------------------------------


@pytest.fixture
def eve(sqlite_db: object) -> models.User:
    """An administrator whose own full name is hostile (the header shows it)."""
    return models.create_user("eve", ALL, Role.SYSTEM_ADMINISTRATOR)


def hostile_lead(actor: models.User, **overrides: object) -> models.Lead:
    values: dict[str, object] = {
        "first_name": FIRST,
        "last_name": LAST,
        "topic": ALL + " topic " + ALL,
        "company": ALL,
        "job_title": LINK + TITLE + RTL,
        "email": EMAIL,
        "street1": ALL,
        "city": CLICK + OTHER,
        "website": "",
        "summary": LONG,
    }
    values.update(overrides)
    return make_lead(actor, **values)


@pytest.fixture
def world(eve: models.User) -> dict[str, object]:
    """Hostile leads, the account/contact/opportunity one of them was qualified into
    (so the others match them as duplicates), notes with a hostile attachment, and
    a hostile qualifying process assigned to the main lead."""
    models.change_setting(eve, "lead_qualifying_process", True)
    process = models.create_process(eve, CLICK + TITLE + RTL, ALL)
    level = models.add_level(eve, process.id, LINK + CLEAR + WIDE)
    models.add_activity(eve, level.id, purpose=MARKUP + RED + OTHER, required=False)
    models.set_default_process(eve, process.id)

    source = hostile_lead(eve)
    models.add_note(eve, source, ALL + "\n" + LONG, (ATTACHMENT, b"data"))
    result = models.qualify_lead(eve, source.id, QualifyChoice(ignore_duplicates=True))
    assert result.account and result.contact and result.opportunity

    lead = hostile_lead(eve)
    models.assign_process(eve, lead.id, process.id)
    models.add_note(eve, lead, ALL + "\n" + LONG, (ATTACHMENT, b"x"))
    # The name sort ignores punctuation: "z" puts this one after the main lead.
    other = hostile_lead(eve, first_name=OTHER_FIRST)
    return {
        "lead": lead,
        "other": other,
        "source": source,
        "process": process,
        "account": result.account,
        "contact": result.contact,
        "opportunity": result.opportunity,
    }


# Checks ------------------------------------------------------------------------


def rendered(app: LeadqApp) -> tuple[list[str], str, list[object]]:
    """(screen lines, the bytes a terminal would get, every segment), with the
    screens below a modal, as Textual renders a full update."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console = Console(
        width=app.size.width,
        height=app.size.height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
    )
    lines: list[str] = []
    segments: list[object] = []
    for line in update.strips:
        strips = list(line)
        lines.append("".join(strip.text for strip in strips))
        segments.extend(segment for strip in strips for segment in strip)
    return lines, update.render_segments(console), segments


async def assert_literal(pilot: Pilot, *shown: str, click: bool = False) -> str:
    """Check the screen as described in the module docstring; returns its text.

    `shown` are texts that must appear as typed (after `printable`); with `click`,
    the shown action text is clicked (an `@click` parsed as markup would quit).
    """
    await settle(pilot)
    app = pilot.app
    assert app.is_running
    lines, terminal, segments = rendered(app)
    text = "\n".join(lines)
    for line in lines:
        bad = FORBIDDEN.search(line)
        assert bad is None, f"control character {bad.group()!r} reached the screen: {line!r}"
    for segment in segments:
        style = segment.style  # type: ignore[attr-defined]
        if style is None:
            continue
        assert not style.link, f"a link was rendered: {style.link!r}"
        action = style.meta.get("@click")
        assert action is None or "quit" not in str(action), f"an action was rendered: {action}"
    leftover = TEXTUAL_SEQUENCES.sub("", terminal).replace("\n", "")
    bad = FORBIDDEN.search(leftover)
    assert bad is None, f"{bad.group()!r} in the terminal output: {leftover[:200]!r}"
    flat = LAYOUT.sub("", text)
    for expected in shown:
        wanted = LAYOUT.sub("", printable(expected))
        assert wanted in flat, f"{expected!r} not shown in:\n{text}"
    if click:
        clicked = False
        for y, line in enumerate(lines):
            x = line.find("@click=app.quit]y")
            if x >= 0:
                await pilot.click(offset=(x + len("@click=app.quit]"), y))
                clicked = True
                break
        assert clicked, "no action text to click on"
        await settle(pilot)
        assert app.is_running
    return text


async def wait_for_screen(pilot: Pilot, kind: type[Screen]) -> Screen:
    def ready() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, kind) and screen.is_mounted and bool(screen.query(Footer))

    await wait_until(pilot, ready)
    await settle(pilot)
    return pilot.app.screen


async def wait_for_list(pilot: Pilot) -> None:
    await wait_for_screen(pilot, LeadListScreen)
    table = pilot.app.screen.table  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: table.total is not None and table.total > 0)
    await pilot.pause(0.1)


# The lead list, header, help and command palette --------------------------------


@pytest.mark.asyncio
async def test_list_header_help_and_palette(world: dict[str, object], eve: models.User) -> None:
    app = make_app(eve)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await wait_for_list(pilot)
        text = await assert_literal(pilot, MARKUP, CLICK, click=True)
        assert printable(RED) in text  # ␛[31mred
        await pilot.press("f1")
        await wait_for_screen(pilot, HelpScreen)
        await assert_literal(pilot, CLICK, click=True)  # the user's name in the header
        await pilot.press("escape")
        await wait_for_screen(pilot, LeadListScreen)

        await pilot.press("ctrl+p", *"evil")
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        options = palette.query_one(CommandList)
        await wait_until(pilot, lambda: options.option_count > 0)
        await wait_until(
            pilot,
            lambda: any(
                "Open lead" in str(options.get_option_at_index(i).prompt)
                for i in range(options.option_count)
            ),
        )
        await pilot.pause(0.2)
        await assert_literal(pilot, "Open lead " + printable(FIRST), MARKUP)
        await pilot.press("enter")
        await wait_for_screen(pilot, LeadDetailScreen)
        await assert_literal(pilot, FIRST)


# The lead detail: every tab, a lookup, an error quoting the value, closed banner ---


@pytest.fixture
def short_cwd(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A short current folder: an attachment's save path starts there, and its end
    (the hostile name) must be in sight in the input whatever the checkout's path."""
    with tempfile.TemporaryDirectory(prefix="h", dir="/tmp") as folder:
        monkeypatch.chdir(folder)
        yield folder


@pytest.mark.asyncio
async def test_lead_detail_every_tab(
    world: dict[str, object], eve: models.User, short_cwd: str
) -> None:
    lead = world["lead"]
    assert isinstance(lead, models.Lead)
    models.update_lead(eve, lead.id, {"existing_account": world["account"].id})  # type: ignore[union-attr]
    app = make_app(eve)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.open_lead(lead.id)
        screen = await wait_for_screen(pilot, LeadDetailScreen)
        await assert_literal(pilot, FIRST, LAST, CLICK)
        # The inputs show the stored text with control codes made visible.
        first = screen.query_one("#f-first_name", Input)
        assert first.value == printable(FIRST)
        summary = screen.query_one("#f-summary", TextArea)
        assert summary.text == printable(LONG, multiline=True)
        # Saving an unrelated field leaves the hostile ones exactly as stored.
        job = screen.query_one("#f-job_title", Input)
        job.value = "Buyer"
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = models.get_lead(lead.id)
        assert (stored.first_name, stored.last_name, stored.summary) == (FIRST, LAST, LONG)
        assert stored.company == ALL and stored.job_title == "Buyer"
        # A paste holding escapes shows them as symbols (the terminal sends CR for
        # line breaks); the invalid value is quoted in the error message, literally.
        email = screen.query_one("#f-email", Input)
        email.value = ""
        email.focus()
        app.post_message(events.Paste(CLICK + RED + TITLE))
        await wait_until(pilot, lambda: bool(email.value))
        assert email.value == printable(CLICK + RED + TITLE)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "email" in screen.errors
        await assert_literal(pilot, CLICK + RED + TITLE)
        email.value = EMAIL
        screen.show_errors({})
        # The existing-account lookup (its label is the hostile account name).
        screen.query_one("#f-existing_account").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "LookupScreen")
        await wait_until(pilot, lambda: bool(app.screen.picks))  # type: ignore[attr-defined]
        await pilot.pause(0.1)
        await assert_literal(pilot, MARKUP, CLICK)
        await pilot.press("escape")
        await wait_for_screen(pilot, LeadDetailScreen)
        tabs = screen.query_one("#detail-tabs", TabbedContent)
        for tab, expected in (
            ("tab-notes", [MARKUP, "l" + MARKUP + CLEAR]),
            ("tab-history", [FIRST]),
            ("tab-activities", [MARKUP + RED + "c", LINK + CLEAR, CLICK + TITLE]),
        ):
            tabs.active = tab
            await pilot.pause(0.1)
            await assert_literal(pilot, *expected)
        # Save an attachment: the path input and its border title hold the name.
        tabs.active = "tab-notes"
        await settle(pilot)
        screen.query_one("#note-list").focus()
        await pilot.press("s")
        await settle(pilot)
        await assert_literal(pilot, "Save " + ATTACHMENT, "/" + ATTACHMENT)

    models.disqualify_lead(eve, lead.id, models.DISQUALIFY_REASONS[0].value)
    app = make_app(eve)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.open_lead(lead.id)
        await wait_for_screen(pilot, LeadDetailScreen)
        # The banner says who closed it: the user's hostile name.
        await assert_literal(pilot, "by " + MARKUP + CLICK, click=True)


# Account, contact and opportunity views -------------------------------------------


@pytest.mark.asyncio
async def test_record_views(world: dict[str, object], eve: models.User) -> None:
    app = make_app(eve)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        for opener, kind, key in (
            (app.open_account, AccountScreen, "account"),
            (app.open_contact, ContactScreen, "contact"),
            (app.open_opportunity, OpportunityScreen, "opportunity"),
        ):
            opener(world[key].id)  # type: ignore[attr-defined]
            screen = await wait_for_screen(pilot, kind)
            await assert_literal(pilot, MARKUP, CLICK, click=True)
            tabs = screen.query_one("#record-tabs", TabbedContent)
            tabs.active = "tab-notes"
            await pilot.pause(0.1)
            notes = [MARKUP] if key == "account" else []
            await assert_literal(pilot, *notes)
            tabs.active = "tab-history"
            await pilot.pause(0.1)
            await assert_literal(pilot, MARKUP)
            await pilot.press("escape")
            await wait_for_screen(pilot, LeadListScreen)


# Qualify: the pickers, the result, the qualify dialog, qualify multiple ------------


@pytest.mark.asyncio
async def test_improved_picker_and_result(world: dict[str, object], eve: models.User) -> None:
    lead = world["lead"]
    app = make_app(eve)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.qualify([lead.id])  # type: ignore[attr-defined]
        await wait_for_screen(pilot, DuplicatePicker)
        await assert_literal(pilot, MARKUP, CLICK, printable(EMAIL), click=True)
        await pilot.press("i")
        await wait_for_screen(pilot, QualifyResultScreen)
        await assert_literal(pilot, FIRST, CLICK, click=True)
        await pilot.press("a")
        await wait_for_screen(pilot, AccountScreen)
        await assert_literal(pilot, MARKUP)


@pytest.mark.asyncio
async def test_classic_picker_and_qualify_dialog(
    world: dict[str, object], eve: models.User
) -> None:
    models.change_setting(eve, "improved_duplicate_experience", False)
    models.change_setting(eve, "auto_create_on_qualify", False)
    lead = world["lead"]
    app = make_app(eve)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.qualify([lead.id])  # type: ignore[attr-defined]
        await wait_for_screen(pilot, QualifyDialog)
        await assert_literal(pilot, "Qualify " + printable(FIRST), click=True)
        await pilot.press("enter")
        picker = await wait_for_screen(pilot, DuplicatePicker)
        await assert_literal(pilot, MARKUP, CLICK, click=True)
        select = picker.query_one("#accounts", Select)
        select.focus()
        await pilot.press("enter")  # open the list of matches
        await pilot.pause(0.2)
        await assert_literal(pilot, MARKUP)
        await pilot.press("down", "enter")  # pick the hostile account
        await pilot.pause(0.2)
        assert select.value == world["account"].id  # type: ignore[attr-defined]
        await assert_literal(pilot, MARKUP, "Matched: same account name")
        await pilot.press("escape")
        await wait_for_screen(pilot, LeadListScreen)


@pytest.mark.asyncio
async def test_bulk_picker_and_summary(world: dict[str, object], eve: models.User) -> None:
    ids = [world["lead"].id, world["other"].id]  # type: ignore[attr-defined]
    app = make_app(eve)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.qualify(ids)
        await wait_for_screen(pilot, DuplicatePicker)
        await assert_literal(pilot, MARKUP, CLICK)
        await pilot.press("s")  # skip this one
        await wait_until(
            pilot, lambda: isinstance(app.screen, DuplicatePicker) and app.screen.position[0] == 2
        )
        await pilot.pause(0.1)
        await assert_literal(pilot, OTHER_FIRST)
        await pilot.press("i")  # ignore and save: qualified
        bulk = await wait_for_screen(pilot, BulkQualifyScreen)
        await wait_until(pilot, lambda: bulk.done)  # type: ignore[attr-defined]
        await pilot.pause(0.1)
        await assert_literal(pilot, "Skipped · " + printable(FIRST), OTHER_FIRST, click=True)


# Disqualify, confirmations, notifications -------------------------------------------


@pytest.mark.asyncio
async def test_disqualify_reactivate_and_delete_dialogs(
    world: dict[str, object], eve: models.User
) -> None:
    lead, other = world["lead"], world["other"]
    app = make_app(eve)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.disqualify([lead.id])  # type: ignore[attr-defined]
        await wait_for_screen(pilot, DisqualifyDialog)
        await assert_literal(pilot, "Disqualify " + printable(FIRST), click=True)
        await pilot.press("1", "enter")
        await wait_for_screen(pilot, LeadListScreen)
        await wait_until(pilot, lambda: bool(app.screen.query("Toast")))
        await pilot.pause(0.1)
        await assert_literal(pilot, FIRST, "Disqualify")

        app.reactivate(lead.id)  # type: ignore[attr-defined]
        await wait_for_screen(pilot, ConfirmScreen)
        await assert_literal(pilot, "Reactivate " + printable(FIRST), click=True)
        await pilot.press("n")
        await wait_for_screen(pilot, LeadListScreen)

        app.delete([lead.id, other.id])  # type: ignore[attr-defined]
        await wait_for_screen(pilot, ConfirmScreen)
        await assert_literal(pilot, "• " + printable(FIRST), "• " + printable(OTHER_FIRST))
        await pilot.press("n")
        await wait_for_screen(pilot, LeadListScreen)

        # Disqualify refused (an opportunity exists): the message names the lead.
        app.disqualify([world["source"].id, other.id])  # type: ignore[attr-defined]
        await wait_for_screen(pilot, DisqualifyDialog)
        await pilot.press("1", "enter")
        await wait_for_screen(pilot, MessageScreen)
        await assert_literal(pilot, printable(FIRST), click=True)


# Qualifying processes: the screen, its forms and confirmation, the assign picker ----


@pytest.mark.asyncio
async def test_processes_screen_forms_and_picker(
    world: dict[str, object], eve: models.User
) -> None:
    app = make_app(eve)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.open_processes()
        screen = await wait_for_screen(pilot, ProcessesScreen)
        await assert_literal(pilot, CLICK, MARKUP + RED, LINK, click=True)
        await pilot.press("l")  # "New level in <process name>"
        await wait_for_screen(pilot, ProcessFormScreen)
        await assert_literal(pilot, "New level in " + printable(CLICK))
        await pilot.press("escape")
        await wait_for_screen(pilot, ProcessesScreen)
        await pilot.press("e")  # edit the process: its name and description in inputs
        form = await wait_for_screen(pilot, ProcessFormScreen)
        assert form.query_one("#f-name", Input).value == printable(CLICK + TITLE + RTL)
        await assert_literal(pilot)
        await pilot.press("ctrl+s")  # nothing changed: the stored name is kept as it is
        await wait_for_screen(pilot, ProcessesScreen)
        process = models.QualifyingProcess.get_by_id(world["process"].id)  # type: ignore[attr-defined]
        assert (process.name, process.description) == (CLICK + TITLE + RTL, ALL)
        await pilot.press("delete")
        await wait_for_screen(pilot, ConfirmScreen)
        await assert_literal(pilot, "Delete the qualifying process " + printable(CLICK))
        await pilot.press("n")
        await wait_for_screen(pilot, ProcessesScreen)
        screen.query_one("#outline").focus()
        await pilot.press("down", "down")  # the activity
        await pilot.press("e")
        await wait_for_screen(pilot, ProcessFormScreen)
        await assert_literal(pilot)
        await pilot.press("escape")
        await wait_for_screen(pilot, ProcessesScreen)
        await pilot.press("escape")

        app.open_lead(world["lead"].id)  # type: ignore[attr-defined]
        detail = await wait_for_screen(pilot, LeadDetailScreen)
        await pilot.press("t")
        await pilot.pause(0.1)
        await pilot.press("p")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "AssignProcessScreen")
        await pilot.pause(0.1)
        await assert_literal(pilot, CLICK, MARKUP)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is detail)
        await assert_literal(pilot, "Assigned " + printable(CLICK))


@pytest.mark.asyncio
async def test_settings_shows_the_default_process_literally(
    world: dict[str, object], eve: models.User
) -> None:
    app = make_app(eve)
    async with app.run_test(size=(120, 60), notifications=True) as pilot:
        app.action_settings()
        screen = await wait_for_screen(pilot, SettingsScreen)
        await wait_until(pilot, lambda: bool(screen.process_names))  # type: ignore[attr-defined]
        await pilot.pause(0.1)
        await assert_literal(pilot, CLICK, click=True)


# The checks themselves catch what they are meant to ----------------------------------


@pytest.mark.asyncio
async def test_the_checks_catch_unescaped_text(eve: models.User) -> None:
    """`assert_literal` fails on a raw escape, on parsed markup and on an action."""
    from textual.content import Content
    from textual.widgets import Static

    app = make_app(eve)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for_screen(pilot, LeadListScreen)
        status = app.screen.query_one("#status", Static)
        for unsafe, caught in (
            (Content(RED), "control character"),
            (Content.from_markup('[link="file:///etc/passwd"]z[/]'), "a link"),
            (Content.from_markup(CLICK), "an action"),
            (Content.from_markup("[bold red]only here[/]"), "not shown"),
        ):
            status.update(unsafe)
            with pytest.raises(AssertionError, match=caught):
                await assert_literal(pilot, "[bold red]only here[/]")
        status.update(Content("[bold red]only here[/]"))
        await assert_literal(pilot, "[bold red]only here[/]")


@pytest.mark.asyncio
async def test_pasted_text_keeps_lines_and_shows_control_codes(eve: models.User) -> None:
    lead = make_lead(eve)
    app = make_app(eve)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app.open_lead(lead.id)
        screen = await wait_for_screen(pilot, LeadDetailScreen)
        screen.query_one("#detail-tabs", TabbedContent).active = "tab-notes"
        await settle(pilot)
        composer = screen.query_one("#note-text", TextArea)
        composer.focus()
        app.post_message(events.Paste("one\r\ntwo\rthree " + RED + CLEAR))
        await wait_until(pilot, lambda: bool(composer.text))
        assert composer.text == "one\ntwo\nthree " + printable(RED + CLEAR)
        await assert_literal(pilot, "three " + RED + CLEAR)


def test_user_list_prints_names_literally(
    eve: models.User, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """`leadq user list` writes full names to the terminal: escapes made visible."""
    from tui.cli import main

    assert main(["--db", f"sqlite:///{tmp_path}/leadq.db", "user", "list"]) == 0
    out = capsys.readouterr().out
    assert printable(ALL) in out
    assert FORBIDDEN.search(out.replace("\n", "")) is None
