"""Helpers for driving the app in tests."""

from __future__ import annotations

import asyncio
import time

from textual.pilot import Pilot

import models
from tui.app import LeadqApp


def make_app(user: models.User, *, poll: bool = False) -> LeadqApp:
    """The app signed in as `user`, on the database the `db`/`sqlite_db` fixture opened.

    Polling for other sessions' changes is off unless asked for, so tests are
    deterministic.
    """
    return LeadqApp(user_id=user.id, poll=poll)


SETTLE_GROUPS = frozenset({"view", "services", "activities", "user", "settings-save"})
"""The worker groups that read views and run services (see tui/loading.py)."""


async def settle(pilot: Pilot, timeout: float = 30) -> None:
    """Let the screens' reads and the services under way finish, and the app handle
    what they sent back: a `pilot.pause()` that also waits for the worker threads."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        busy = [w for w in app.workers if w.group in SETTLE_GROUPS and not w.is_finished]
        if not busy:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"workers still running: {[w.name for w in busy]}")
        await asyncio.wait_for(app.workers.wait_for_complete(busy), deadline - time.monotonic())
