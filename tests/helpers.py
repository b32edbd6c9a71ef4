"""Helpers for driving the app in tests (one module: the TUI tests share it)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Footer

import models
from tui.app import LeadqApp
from tui.widgets.footer import KeyFooter


def make_app(user: models.User, *, poll: bool = False) -> LeadqApp:
    """The app signed in as `user`, on the database the `db`/`sqlite_db` fixture opened.

    Polling for other sessions' changes is off unless asked for, so tests are
    deterministic.
    """
    return LeadqApp(user_id=user.id, poll=poll)


FIXED = dt.datetime(2024, 3, 1, 9, 30)


def freeze_times() -> None:
    """Give every record the same timestamps, so snapshots do not change."""
    for model in (models.Lead, models.Account, models.Contact, models.Opportunity):
        model.update(created_at=FIXED, modified_at=FIXED).execute()
    models.Lead.update(closed_at=FIXED).where(models.Lead.closed_at.is_null(False)).execute()
    models.Note.update(created_at=FIXED).execute()
    models.AuditEvent.update(at=FIXED).execute()


SETTLE_GROUPS = frozenset({"view", "services", "activities", "user", "settings-save", "build"})
"""The worker groups that read views, run services and build screens off-stage (see
tui/loading.py)."""


async def settle(pilot: Pilot, timeout: float = 30) -> None:
    """Let the screens' reads and the services under way finish, and the app handle
    what they sent back: a `pilot.pause()` that also waits for the worker threads,
    and for the footer to show the keys of what ended up focused (it updates after
    a refresh, which a loaded machine can leave for a later frame than a snapshot's)."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        busy = [w for w in app.workers if w.group in SETTLE_GROUPS and not w.is_finished]
        footers_settled = all(footer.settled for footer in app.screen.query(KeyFooter))
        if not busy and footers_settled:
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"workers still running: {[w.name for w in busy]}"
                if busy
                else "the footer never settled"
            )
        if busy:
            await asyncio.wait_for(app.workers.wait_for_complete(busy), deadline - time.monotonic())


async def list_settled(pilot: Pilot) -> None:
    """Wait until the lead list on top has read its rows, marked their possible
    duplicates and counted its view (its own workers, which `settle` leaves): for a
    snapshot with the list in sight, e.g. under a dialog."""
    from tui.widgets.lead_table import LeadTable

    table = pilot.app.screen.query_one(LeadTable)
    groups = {"lead-page", "lead-count"}

    def done() -> bool:
        busy = [w for w in pilot.app.workers if w.group in groups and not w.is_finished]
        return table.total is not None and table._all_visible_loaded() and not busy

    await wait_until(pilot, done)
    await settle(pilot)


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 30) -> None:
    """Let the app run until `condition()` holds (workers finish, screens appear).

    The generous timeout is for loaded CI machines; it is not a speed assertion.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition never became true; screen is {pilot.app.screen!r}")
        await pilot.pause(0.02)


async def wait_for_screen(pilot: Pilot, kind: type[Screen]) -> Screen:
    """Wait until a `kind` screen is on top and composed (its Footer, yielded last, is in)."""

    def ready() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, kind) and screen.is_mounted and bool(screen.query(Footer))

    await wait_until(pilot, ready)
    await pilot.pause()
    return pilot.app.screen
