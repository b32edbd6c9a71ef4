"""The TUI fails cleanly (issue 10): any byte on its input, and quitting with unsaved
edits. Through a real terminal (leadq under tmux, raw bytes written to its pty) and
with Pilot."""

from __future__ import annotations

import difflib
import inspect
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.command import CommandList
from textual.drivers.linux_driver import LinuxDriver
from textual.pilot import Pilot

import models
from models import seeding
from tui.app import LeadqApp
from tui.driver import LenientLinuxDriver
from tui.screens.lead_detail import DiscardChangesScreen, LeadDetailScreen

from ..conftest import make_lead
from ..helpers import make_app, wait_until

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0


# --- The driver override ---------------------------------------------------------------


def test_the_driver_is_textuals_with_only_the_decoder_changed() -> None:
    ours = inspect.getsource(LenientLinuxDriver.run_input_thread).splitlines()
    theirs = inspect.getsource(LinuxDriver.run_input_thread).splitlines()
    changed = [
        line
        for line in difflib.unified_diff(theirs, ours, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == [
        '-        utf8_decoder = getincrementaldecoder("utf-8")().decode',
        '+        utf8_decoder = getincrementaldecoder("utf-8")(errors=DECODE_ERRORS).decode',
        '-                for event in feed(""):',
        '+                for _event in feed(""):',
    ], "Textual's LinuxDriver.run_input_thread changed: update tui/driver.py"


def test_the_app_picks_the_lenient_driver(sqlite_db: object) -> None:
    user = models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    assert LeadqApp(user_id=user.id).driver_class is LenientLinuxDriver


# --- Through a real terminal -------------------------------------------------------------


class Tmux:
    """A private tmux server whose one pane runs leadq on a fresh pty."""

    def __init__(self) -> None:
        if shutil.which("tmux") is None:
            pytest.fail("tmux is needed for the terminal tests (.ci/run installs it)")
        self.socket = f"leadq-failures-{uuid.uuid4().hex[:8]}"
        self.status_file = Path(tempfile.mkdtemp(prefix="leadq-tmux-")) / "status"

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return done.stdout

    def start(self, command: list[str], env: dict[str, str]) -> None:
        # A shell runs leadq and writes its exit status to a file once it has reaped
        # it, then sleeps so that the pane (and what leadq left on it) stays: tmux's
        # own pane_dead_status is not set reliably (it marks a pane dead when its pty
        # closes, and may never report the status), and is not needed.
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        status = shlex.quote(str(self.status_file))
        line = f"env {exports} {shlex.join(command)}; echo $? > {status}; exec sleep 3600"
        self.run("new-session", "-d", "-x", "100", "-y", "30", "-s", "app", line)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "app")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "app", *keys)

    def raw(self, data: bytes) -> None:
        """Write these bytes to the app's terminal as they are."""
        self.run("send-keys", "-t", "app", "-H", *(f"{byte:02x}" for byte in data))

    def dead(self) -> str | None:
        """The app's exit status once its process has ended, else None."""
        try:
            text = self.status_file.read_text()
        except FileNotFoundError:
            return None
        # The shell creates the file, then writes the status and a newline.
        return text.strip() if text.endswith("\n") else None

    def wait_until(self, check: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            if self.dead() is not None:
                raise AssertionError(f"leadq ended while waiting for {what}:\n{text}")
            time.sleep(0.1)
        raise AssertionError(f"never saw {what}:\n{self.screen()}")

    def wait_for_exit(self) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            status = self.dead()
            if status is not None:
                return status
            time.sleep(0.1)
        raise AssertionError(f"leadq did not end:\n{self.screen()}")

    def kill(self) -> None:
        self.run("kill-server")
        shutil.rmtree(self.status_file.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('tty') / 'demo.db'}"
    models.open_database(url)
    try:
        seeding.seed(leads=60)
    finally:
        models.close_database()
    return url


def launch(program: list[str], demo_db: str, tmp_path: Path) -> Tmux:
    terminal = Tmux()
    env = {
        "PYTHONPATH": str(ROOT),
        "LEADQ_CONFIG_DIR": str(tmp_path / "config"),
        "TEXTUAL_ANIMATIONS": "none",
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    terminal.start([*program, "--db", demo_db, "--user", "riley"], env)
    # The list has the focus (and so its keys) once the footer offers "Open".
    terminal.wait_until(lambda s: "Priya Raman" in s and "⏎ Open" in s, "the lead list")
    return terminal


@pytest.fixture
def tmux(demo_db: str, tmp_path: Path) -> Iterator[Tmux]:
    terminal = launch([sys.executable, "-m", "tui"], demo_db, tmp_path)
    yield terminal
    terminal.kill()


# leadq with Textual's own driver (a strict decoder): the crash the override prevents.
WITH_TEXTUALS_DRIVER = """
import sys
from textual.app import App
import tui.app
tui.app.LeadqApp.get_driver_class = App.get_driver_class
from tui.cli import main
sys.exit(main())
"""


def test_without_the_override_the_byte_crashes_and_leadq_asks_for_a_report(
    demo_db: str, tmp_path: Path
) -> None:
    """What the override prevents, and that a crash in the TUI (a genuine bug) ends
    with Textual's traceback, the request to report it and exit status 70."""
    terminal = launch([sys.executable, "-c", WITH_TEXTUALS_DRIVER], demo_db, tmp_path)
    try:
        terminal.raw(b"\xe9x")
        assert terminal.wait_for_exit() == "70"
        screen = terminal.screen()
        assert "UnicodeDecodeError" in screen
        assert "this is a bug in leadq: please report it" in screen
    finally:
        terminal.kill()


def _search_line(screen: str) -> str:
    return screen.splitlines()[1]


def test_bytes_that_are_not_utf8_become_replacement_characters(tmux: Tmux) -> None:
    tmux.keys("/")
    # The search box has the focus once the footer drops the list's keys.
    tmux.wait_until(lambda s: "⏎ Open" not in _footer(s), "the search box focused")
    tmux.raw(b"\xe9")  # a Latin-1 e-acute, as a terminal set to ISO-8859-1 sends it
    tmux.raw(b"x")
    tmux.wait_until(lambda s: "\ufffdx" in _search_line(s), "U+FFFD then x in the search box")
    # Any sequence at all: stray continuation bytes, overlong forms, an encoded
    # surrogate, bytes that never occur in UTF-8, a sequence cut off by the next key.
    tmux.raw(b"\x80\xbf\xc0\xaf\xed\xa0\x80\xf8\x88\x80\x80\x80\xfe\xff\xc3")
    tmux.raw(b"q")
    tmux.wait_until(
        lambda s: re.search("\ufffdx\ufffd+q", _search_line(s)) is not None, "typing goes on"
    )
    assert tmux.dead() is None
    tmux.keys("C-q")
    status = tmux.wait_for_exit()
    assert status == "0", tmux.screen()
    assert "Traceback" not in tmux.screen()


def test_a_damaged_file_ends_the_app_with_the_sentence_and_status_3(
    demo_db: str, tmp_path: Path
) -> None:
    """On a terminal the app paints before the start-up check, which runs in a thread
    after the first frame: a damaged file then ends the app with the sentence and
    exit status of a refusal at start (docs/errors.md), and the file is left as it
    was, with no -wal or -shm beside it."""
    path = tmp_path / "damaged.db"
    shutil.copyfile(demo_db.removeprefix("sqlite:///"), path)
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 2 // 4096 * 4096)
        handle.write(bytes(range(256)) * 64)  # four pages of garbage
    before = path.read_bytes()
    terminal = Tmux()
    try:
        env = {
            "PYTHONPATH": str(ROOT),
            "LEADQ_CONFIG_DIR": str(tmp_path / "config"),
            "TERM": "xterm-256color",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        terminal.start([sys.executable, "-m", "tui", "--db", f"sqlite:///{path}"], env)
        assert terminal.wait_for_exit() == "3", terminal.screen()
        screen = terminal.run("capture-pane", "-p", "-J", "-t", "app")  # lines unwrapped
        lines = [line for line in screen.splitlines() if line.strip()]
        assert lines[0].startswith(f"leadq: {path} is damaged (SQLite's check says:"), screen
        assert lines[0].endswith(f"sqlite3 {path} .recover"), screen
        assert "Traceback" not in screen
    finally:
        terminal.kill()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.glob("damaged.db*")) == ["damaged.db"]


def _edit_a_lead(tmux: Tmux) -> None:
    tmux.keys("Enter")
    tmux.wait_until(lambda s: "Topic *" in s and "Qualify" in _footer(s), "the lead detail")
    tmux.keys("e")
    # The topic has the focus once the footer drops the lead keys (q, d, ...).
    tmux.wait_until(lambda s: "Qualify" not in _footer(s), "the topic field focused")
    tmux.keys("!")  # replaces the topic (focus selects it) or adds to it: an edit either way
    tmux.wait_until(lambda s: "!" in _topic_line(s), "the edited topic")


def _footer(screen: str) -> str:
    return screen.rstrip("\n").splitlines()[-1]


def _first_command(screen: str) -> str:
    """The palette's search text and its first hit."""
    lines = screen.splitlines()
    for index, line in enumerate(lines):
        if "🔎" in line:
            hits = [hit.strip() for hit in lines[index + 1 :] if hit.strip()]
            return f"{line.strip()} | {hits[0] if hits else ''}"
    return ""


def _topic_line(screen: str) -> str:
    return next((line for line in screen.splitlines() if "Topic *" in line), "")


def test_quitting_with_unsaved_edits_asks_through_a_terminal(tmux: Tmux) -> None:
    _edit_a_lead(tmux)
    tmux.keys("C-q")
    screen = tmux.wait_until(lambda s: "Quit leadq and discard them?" in s, "the question")
    assert "Topic" in screen
    tmux.keys("n")
    tmux.wait_until(lambda s: "Quit leadq" not in s, "the question gone")
    assert tmux.dead() is None
    # The palette's Quit asks too.
    tmux.keys("C-p")
    tmux.wait_until(lambda s: "Search for commands" in s, "the command palette")
    tmux.keys("-l", "quit")
    tmux.wait_until(lambda s: _first_command(s) == "🔎 quit | Quit", "Quit as the first hit")
    tmux.keys("Enter")
    tmux.wait_until(lambda s: "Quit leadq and discard them?" in s, "the question again")
    tmux.keys("y")
    status = tmux.wait_for_exit()
    assert status == "0", tmux.screen()
    assert "Traceback" not in tmux.screen()


# --- With Pilot ---------------------------------------------------------------------------


def spy_exit(app: LeadqApp) -> list[object]:
    calls: list[object] = []
    real_exit = app.exit

    def exit_app(*args: object, **kwargs: object) -> None:
        calls.append(args)
        real_exit(*args, **kwargs)  # type: ignore[arg-type]

    app.exit = exit_app  # type: ignore[method-assign]
    return calls


async def _open_lead(pilot: Pilot, lead_id: int) -> LeadDetailScreen:
    pilot.app.open_lead(lead_id)  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, LeadDetailScreen))
    await pilot.pause()
    return pilot.app.screen  # type: ignore[return-value]


@pytest.mark.asyncio
async def test_ctrl_q_with_unsaved_edits_asks_and_no_keeps_them(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada)
    exits = spy_exit(app)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_lead(pilot, lead.id)
        screen.query_one("#f-city").value = "Seattle"  # type: ignore[attr-defined]
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, DiscardChangesScreen))
        assert app.screen.question == "Quit leadq and discard them?"  # type: ignore[attr-defined]
        assert "City" in app.screen.changed  # type: ignore[attr-defined]
        await pilot.press("ctrl+q")  # a second ctrl+q does not stack another question
        await pilot.pause()
        assert len(app.screen_stack) == 3
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        assert exits == []
        assert screen.query_one("#f-city").value == "Seattle"  # type: ignore[attr-defined]
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, DiscardChangesScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: exits != [])
    assert models.Lead.get_by_id(lead.id).city == "Redmond"


@pytest.mark.asyncio
async def test_the_palettes_quit_asks_too(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada)
    exits = spy_exit(app)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_lead(pilot, lead.id)
        screen.query_one("#f-city").value = "Seattle"  # type: ignore[attr-defined]
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
        await pilot.press(*"quit")
        hits = app.screen.query_one(CommandList)
        await wait_until(
            pilot, lambda: hits.option_count and "Quit" in str(hits.get_option_at_index(0).prompt)
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DiscardChangesScreen))
        assert exits == []
        await pilot.press("y")
        await wait_until(pilot, lambda: exits != [])


@pytest.mark.asyncio
async def test_quitting_asks_for_a_typed_note_and_not_without_edits(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada)
    exits = spy_exit(app)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_lead(pilot, lead.id)
        await pilot.press("n")  # the Notes tab is composed when first shown
        await wait_until(pilot, lambda: bool(screen.query("#note-text")))
        screen.query_one("#note-text").text = "Call back on Monday"  # type: ignore[attr-defined]
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, DiscardChangesScreen))
        assert app.screen.changed == ["a note you have not added"]  # type: ignore[attr-defined]
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        screen.query_one("#note-text").text = ""  # type: ignore[attr-defined]
        await pilot.press("ctrl+q")  # nothing to lose: quits at once
        await wait_until(pilot, lambda: exits != [])
        assert not isinstance(app.screen, DiscardChangesScreen)
