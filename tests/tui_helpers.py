"""Helpers for driving the app in tests."""

from __future__ import annotations

import models
from tui.app import LeadqApp


def make_app(user: models.User, *, poll: bool = False) -> LeadqApp:
    """The app signed in as `user`, on the database the `db`/`sqlite_db` fixture opened.

    Polling for other sessions' changes is off unless asked for, so tests are
    deterministic.
    """
    return LeadqApp(user_id=user.id, poll=poll)
