"""Files in a served session, driven with Pilot: the note composer attaches from
the user's file area (a list, not a path), attachments and screenshots are saved
into it under a name; locally a screenshot finds a folder that exists."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, Static, TextArea

import models
from tui.app import LeadqApp
from tui.widgets.notes_panel import NotesPanel

from ..conftest import make_lead
from ..helpers import freeze_times, wait_until
from .test_tui_detail import open_lead


@pytest.fixture
def riley(sqlite_db: object) -> models.User:
    return models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)


@pytest.fixture
def area(tmp_path: Path) -> models.FileArea:
    return models.FileArea.for_user(tmp_path / "files", "riley")


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "ssh_host_ed25519_key"
    path.write_bytes(b"-----BEGIN OPENSSH PRIVATE KEY-----\n")
    return path


def served_app(user: models.User, area: models.FileArea) -> LeadqApp:
    return LeadqApp(user_id=user.id, poll=False, file_area=area)


def message(panel: NotesPanel) -> str:
    return str(panel.query_one("#note-message", Static).visual)


def choices(select: Select) -> list[str]:
    return [str(value) for _prompt, value in select._options if value != Select.NULL]


async def open_composer(pilot: Pilot, lead_id: int) -> NotesPanel:
    screen = await open_lead(pilot, lead_id)
    await pilot.press("n")
    await pilot.pause()
    assert screen.query_one("#note-text", TextArea).has_focus
    return screen.query_one(NotesPanel)


@pytest.mark.asyncio
async def test_served_attach_picks_from_the_area_and_never_takes_a_path(
    riley: models.User, area: models.FileArea, secret: Path, tmp_path: Path
) -> None:
    area.write("quote.pdf", b"%PDF-1.7 quote")
    (area.root / "host-key").symlink_to(secret)  # planted: must not be offered
    os.link(tmp_path / "leadq.db", area.root / "database")  # a hard link to the database
    lead = make_lead(riley)
    app = served_app(riley, area)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_composer(pilot, lead.id)
        with pytest.raises(NoMatches):
            panel.query_one("#attach-path")  # there is no path field at all
        await pilot.press(*"Sent the quote")
        await pilot.press("tab")
        select = panel.query_one("#attach-file", Select)
        assert select.has_focus
        assert choices(select) == ["quote.pdf"]
        # A file uploaded by SFTP while the composer is open shows when it is focused.
        area.write("brief.txt", b"brief")
        select.blur()
        select.focus()
        await pilot.pause()
        assert choices(select) == ["brief.txt", "quote.pdf"]
        await pilot.press("enter")  # open the list, pick the second file
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert select.value == "quote.pdf"
        await pilot.click("#add-note")
        await pilot.pause()
        note = models.Note.get()
        assert (note.attachment_name, bytes(note.attachment_data)) == (
            "quote.pdf",
            b"%PDF-1.7 quote",
        )
        assert "Note added with quote.pdf." in message(panel)
        assert select.value == Select.NULL


@pytest.mark.asyncio
async def test_a_file_swapped_for_a_link_after_listing_is_refused(
    riley: models.User, area: models.FileArea, secret: Path
) -> None:
    area.write("report.txt", b"mine")
    lead = make_lead(riley)
    app = served_app(riley, area)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_composer(pilot, lead.id)
        panel.query_one("#attach-file", Select).value = "report.txt"
        (area.root / "report.txt").unlink()
        (area.root / "report.txt").symlink_to(secret)
        await pilot.click("#add-note")
        await pilot.pause()
        assert "report.txt is a link; links are not followed." in message(panel)
        assert models.Note.select().count() == 0


@pytest.mark.asyncio
async def test_served_save_writes_a_name_into_the_area_and_refuses_paths(
    riley: models.User, area: models.FileArea, tmp_path: Path
) -> None:
    lead = make_lead(riley)
    models.add_note(riley, lead, "Quote", ("quote.pdf", b"%PDF bytes"))
    area.write("quote.pdf", b"older")
    app = served_app(riley, area)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        screen.query_one("#detail-tabs").active = "tab-notes"
        await pilot.pause()
        notes = screen.query_one("#note-list", OptionList)
        assert "s: save to your file area" in notes.get_option_at_index(0).prompt.plain
        notes.focus()
        notes.highlighted = 0
        await pilot.press("s")
        await pilot.pause()
        panel = screen.query_one(NotesPanel)
        save = panel.query_one("#save-path", Input)
        assert save.has_focus and save.value == "quote.pdf"  # a name, not a server path
        assert "in your file area as" in message(panel)
        await pilot.press("enter")
        await pilot.pause()
        assert "quote.pdf already exists in your file area; choose another name." in message(panel)
        assert area.read("quote.pdf") == b"older"  # not overwritten
        for attack, reason in [
            ("../../evil.pth", "cannot contain /"),
            (str(tmp_path / "evil.pth"), "cannot contain /"),
            ("..", "cannot start with a dot"),
            (".bashrc", "cannot start with a dot"),
        ]:
            save.value = attack
            await pilot.press("enter")
            await pilot.pause()
            assert reason in message(panel), attack
        assert (
            not (tmp_path / "evil.pth").exists() and not (tmp_path / "files" / "evil.pth").exists()
        )
        save.value = "quote from Nancy.pdf"
        await pilot.press("enter")
        await pilot.pause()
        assert "Saved quote.pdf to your file area as quote from Nancy.pdf." in message(panel)
        assert area.read("quote from Nancy.pdf") == b"%PDF bytes"
        assert str(tmp_path) not in message(panel)


@pytest.mark.asyncio
async def test_the_quota_is_said_when_saving(riley: models.User, tmp_path: Path) -> None:
    limits = models.FileLimits(per_file=100, per_user=120, files=10)
    area = models.FileArea.for_user(tmp_path / "files", "riley", limits)
    area.write("full.bin", b"x" * 100)
    lead = make_lead(riley)
    models.add_note(riley, lead, "", ("big.bin", b"y" * 50))
    app = served_app(riley, area)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        screen.query_one("#detail-tabs").active = "tab-notes"
        await pilot.pause()
        notes = screen.query_one("#note-list", OptionList)
        notes.focus()
        notes.highlighted = 0
        await pilot.press("s", "enter")
        await pilot.pause()
        panel = screen.query_one(NotesPanel)
        assert "limited to 120 bytes and holds 100 bytes" in message(panel)
        assert [f.name for f in area.files()] == ["full.bin"]


@pytest.mark.asyncio
async def test_the_local_app_keeps_paths(riley: models.User) -> None:
    lead = make_lead(riley)
    app = LeadqApp(user_id=riley.id, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_composer(pilot, lead.id)
        assert panel.query_one("#attach-path", Input)
        with pytest.raises(NoMatches):
            panel.query_one("#attach-file")


# Screenshots.


def screenshot_commands(app: LeadqApp) -> list[tuple[str, str]]:
    return [
        (c.title, c.help) for c in app.get_system_commands(app.screen) if "creenshot" in c.title
    ]


@pytest.mark.asyncio
async def test_a_served_screenshot_goes_to_the_area(
    riley: models.User, area: models.FileArea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = served_app(riley, area)
    async with app.run_test(size=(80, 24)) as pilot:
        assert screenshot_commands(app) == [
            ("Screenshot", "Save an SVG screenshot of this screen to your file area")
        ]
        app.action_screenshot("evil.svg", str(tmp_path))  # a path in an action is ignored
        app.save_screenshot_for_user()
        await pilot.pause()
        names = [f.name for f in area.files()]
        assert len(names) == 2 and all(n.startswith("leadq screenshot ") for n in names)
        assert b"<svg" in area.read(names[0])
        notes = [n.message for n in app._notifications]
        assert any("to your file area" in str(n) for n in notes)
        assert not any(str(tmp_path) in str(n) for n in notes)
    assert not (tmp_path / "evil.svg").exists()
    assert not list(tmp_path.glob("*.svg"))


@pytest.mark.asyncio
async def test_a_served_screenshot_over_quota_says_so(riley: models.User, tmp_path: Path) -> None:
    area = models.FileArea.for_user(tmp_path / "files", "riley", models.FileLimits(100, 100, 10))
    app = served_app(riley, area)
    async with app.run_test(size=(80, 24)) as pilot:
        app.save_screenshot_for_user()
        await pilot.pause()
        notes = [str(n.message) for n in app._notifications]
        assert any("The screenshot was not saved" in n and "at most 100 bytes" in n for n in notes)
    assert area.files() == []


@pytest.mark.asyncio
async def test_a_local_screenshot_without_downloads_falls_back_and_says_where(
    riley: models.User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.chdir(work)
    app = LeadqApp(user_id=riley.id, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.save_screenshot_for_user()
        await pilot.pause()
        saved = list(work.glob("leadq screenshot *.svg"))
        assert len(saved) == 1
        assert not (home / "Downloads").exists()
        notes = [str(n.message) for n in app._notifications]
        assert any(f"Saved the screenshot to {saved[0]}." == n for n in notes)
        # With a Downloads folder, it goes there.
        (home / "Downloads").mkdir()
        app.save_screenshot_for_user()
        await pilot.pause()
        assert len(list((home / "Downloads").glob("leadq screenshot *.svg"))) == 1


# Snapshot.


def test_snapshot_served_notes(riley: models.User, area: models.FileArea, snap_compare) -> None:  # type: ignore[no-untyped-def]
    lead = make_lead(riley)
    models.add_note(
        riley, lead, "Met at the trade show; wants a quote.", ("brief.txt", b"x" * 2048)
    )
    area.write("quote.pdf", b"x" * 3000)
    area.write("price list.xlsx", b"x" * 40000)
    freeze_times()
    app = served_app(riley, area)

    async def run_before(pilot: Pilot) -> None:
        await open_composer(pilot, lead.id)
        await pilot.press("tab", "enter")
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#attach-file", Select).expanded)
        for widget in pilot.app.screen.query(TextArea):
            widget.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_a_served_session_gets_its_area_whatever_its_flags_and_fails_closed(
    riley: models.User,
    area: models.FileArea,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The served mode comes from the server's descriptor, never from a flag; a
    session whose area cannot be opened does not start (it never falls back to paths)."""
    from models.file_area import AREA_FD_ENV
    from tui.cli import main

    area.write("mine.txt", b"x")
    started: list[models.FileArea | None] = []
    monkeypatch.setattr(LeadqApp, "run", lambda self, *a, **k: started.append(self.file_area))
    descriptor = area.open_descriptor()
    monkeypatch.setenv(AREA_FD_ENV, str(descriptor))
    url = f"sqlite:///{tmp_path / 'leadq.db'}"
    try:
        assert main(["--db", url, "--user", "riley", "--no-seed"]) == 0
        assert main(["--no-seed", "--db", url, "--user=riley"]) == 0
        assert [[f.name for f in a.files()] for a in started if a] == [["mine.txt"]] * 2
        assert len(started) == 2
        monkeypatch.setenv(AREA_FD_ENV, "987")  # nothing open there
        assert main(["--db", url, "--user", "riley", "--no-seed"]) == 1  # refused (docs/errors.md)
        assert "Your file area cannot be opened" in capsys.readouterr().err
        assert len(started) == 2
    finally:
        os.close(descriptor)
