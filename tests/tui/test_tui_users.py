"""The app reacts to its user being deactivated (the session ends within the
live-refresh poll) and not to a revoked key (the session goes on, as with sshd)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import models
from tui.app import DEACTIVATED_EXIT_STATUS, POLL_SECONDS
from tui.screens.help import HelpScreen

from ..conftest import make_lead
from ..helpers import make_app, wait_for_screen, wait_until
from ..models.test_models_users import ssh_keygen


@pytest.fixture
def rep(sqlite_db: object, admin: models.User) -> models.User:
    user = models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)
    make_lead(user)
    return user


@pytest.mark.asyncio
async def test_a_deactivated_users_session_ends_within_the_poll(
    rep: models.User, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(rep, poll=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")  # a pushed screen on top: the session ends all the same
        await wait_for_screen(pilot, HelpScreen)
        models.deactivate_user("riley", actor=models.get_user("ada"))
        deactivated = time.monotonic()
        await wait_until(pilot, lambda: app.return_code is not None)
        seconds = time.monotonic() - deactivated
    assert app.return_code == DEACTIVATED_EXIT_STATUS == 1  # refused (docs/errors.md)
    printed = " ".join(capsys.readouterr().err.split())  # the console wraps it
    assert (
        "leadq: the user riley was deactivated by an administrator; this session has ended."
        in printed
    )
    # One poll interval plus the poll's own query, with slack for a loaded machine.
    assert seconds < POLL_SECONDS + 5, seconds


@pytest.mark.asyncio
async def test_a_write_before_the_poll_notices_is_refused(rep: models.User) -> None:
    """Between the deactivation and the next poll the app still shows; whatever it
    tries to save is refused by the services, and nothing is saved."""
    app = make_app(rep, poll=False)
    lead = models.Lead.get()
    async with app.run_test(size=(80, 24)) as pilot:
        models.deactivate_user("riley")
        with pytest.raises(models.UserInactive):
            models.update_lead(app.user, lead.id, {"topic": "After"})
        app.data_changed()  # what the poll does once it sees the change
        await wait_until(pilot, lambda: app.return_code is not None)
    assert app.return_code == DEACTIVATED_EXIT_STATUS == 1  # refused (docs/errors.md)
    assert models.Lead.get_by_id(lead.id).topic != "After"


@pytest.mark.asyncio
async def test_a_revoked_key_leaves_the_open_session_running(
    rep: models.User, tmp_path: Path
) -> None:
    models.add_user_key("riley", ssh_keygen(tmp_path, "riley", "-t", "ed25519"))
    app = make_app(rep, poll=True)
    async with app.run_test(size=(80, 24)) as pilot:
        version = app.data_version
        models.revoke_user_key("riley", "riley@test")
        # The revocation is audited, so the poll sees a change and reloads the user.
        await wait_until(pilot, lambda: app.data_version > version)
        assert app.return_code is None and app.is_running
        assert app.user.active
