"""The settings screen: read-only for non-administrators, effective at once for an admin."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Label, Static, Switch

import models
from tui.screens.qualify_dialog import QualifyDialog
from tui.screens.qualify_result import QualifyResultScreen
from tui.screens.settings import SettingsScreen

from ..conftest import make_lead
from ..helpers import make_app, settle, wait_for_screen, wait_until
from .test_tui_flows import host


async def open_settings(pilot) -> SettingsScreen:
    await pilot.press("f2")
    screen = await wait_for_screen(pilot, SettingsScreen)
    await pilot.app.workers.wait_for_complete()
    await settle(pilot)
    return screen


@pytest.mark.asyncio
async def test_every_setting_is_shown_with_label_and_help(admin: models.User) -> None:
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        labels = [str(label.visual) for label in screen.query(Label)]
        for definition in models.SETTING_DEFS:
            assert definition.label in labels
            assert screen.query_one(f"#row-{definition.key}")
        # The default qualifying process is set on its own screen: shown, not edited here.
        assert str(screen.query_one("#value-default_qualifying_process", Static).visual) == "None"
        groups = [str(g.visual) for g in screen.query(".group").results(Label)]
        assert groups == list(dict.fromkeys(d.group for d in models.SETTING_DEFS))
        assert not screen.query("#banner")


@pytest.mark.asyncio
async def test_settings_are_read_only_for_a_rep(admin: models.User, rep: models.User) -> None:
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        banner = str(screen.query_one("#banner", Static).visual)
        assert "Only a system administrator can change settings; you are a Salesperson" in banner
        switches = list(screen.query(Switch))
        assert switches and all(s.disabled for s in switches)
        assert screen.query_one("#phone_region", Input).disabled
        await pilot.click("#auto_create_on_qualify")
        await pilot.press("space")
        await app.workers.wait_for_complete()
    assert models.load_settings().auto_create_on_qualify is True


@pytest.mark.asyncio
async def test_admin_turns_auto_create_off_and_the_next_qualify_asks(
    admin: models.User,
) -> None:
    nancy = make_lead(admin)
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        switch = screen.query_one("#auto_create_on_qualify", Switch)
        assert switch.value is True
        switch.focus()
        await pilot.press("space")
        await wait_until(pilot, lambda: not models.load_settings().auto_create_on_qualify)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert str(screen.query_one("#state-auto_create_on_qualify", Static).visual) == "Off"
        assert app.data_version > 0
        await pilot.press("escape")
        app.qualify([nancy.id])
        await wait_for_screen(pilot, QualifyDialog)
        await pilot.press("enter")
        await wait_for_screen(pilot, QualifyResultScreen)
    event = models.AuditEvent.select().where(models.AuditEvent.action == "setting_changed")
    assert event.count() == 1


@pytest.mark.asyncio
async def test_admin_changes_phone_region_and_bad_codes_are_refused(
    admin: models.User,
) -> None:
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        region = screen.query_one("#phone_region", Input)
        region.focus()
        region.value = ""
        await pilot.press("Z", "Z", "enter")
        await wait_until(pilot, lambda: "not a known region" in _error_text(screen))
        assert models.load_settings().phone_region == "US"
        region.value = ""
        await pilot.press("g", "b", "enter")
        await wait_until(pilot, lambda: models.load_settings().phone_region == "GB")


def _error_text(screen: SettingsScreen) -> str:
    return str(screen.query_one("#error-phone_region", Static).visual)


@pytest.mark.asyncio
async def test_settings_reload_when_another_admin_changes_them(admin: models.User) -> None:
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        switch = screen.query_one("#lead_qualifying_process", Switch)
        assert switch.value is False
        other = models.create_user("otto", "Otto Other", models.Role.SYSTEM_ADMINISTRATOR)
        models.change_setting(other, "lead_qualifying_process", True)
        app.data_changed()
        await wait_until(pilot, lambda: switch.value is True)
        await app.workers.wait_for_complete()
    # Reloading did not write anything back: only Otto's change was audited.
    changes = models.AuditEvent.select().where(models.AuditEvent.action == "setting_changed")
    assert changes.count() == 1


@pytest.mark.asyncio
async def test_texts_follow_each_change_whoever_made_it(admin: models.User) -> None:
    """A refill updates only the texts that changed; what the screen wrote itself (a
    switch's On/Off, an error) is followed too, so a change back elsewhere shows."""
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)

        def state() -> str:
            return str(screen.query_one("#state-auto_create_on_qualify", Static).visual)

        switch = screen.query_one("#auto_create_on_qualify", Switch)
        switch.focus()
        await pilot.press("space")  # Off, here
        await wait_until(pilot, lambda: not models.load_settings().auto_create_on_qualify)
        await settle(pilot)
        assert state() == "Off"
        other = models.create_user("otto", "Otto Other", models.Role.SYSTEM_ADMINISTRATOR)
        models.change_setting(other, "auto_create_on_qualify", True)  # On, elsewhere
        app.data_changed()
        await wait_until(pilot, lambda: switch.value is True)
        await settle(pilot)
        assert state() == "On"
        region = screen.query_one("#phone_region", Input)
        region.focus()
        region.value = ""
        await pilot.press("Z", "Z", "enter")
        await wait_until(pilot, lambda: "not a known region" in _error_text(screen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, SettingsScreen))
        await open_settings(pilot)  # shown again: the error is gone
        assert _error_text(screen) == ""


# Snapshots (80x24) ------------------------------------------------------------------


async def _settings_ready(pilot) -> None:
    await open_settings(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await settle(pilot)


class TestSettingsSnapshots:
    def test_settings_for_an_admin(self, snap_compare, admin: models.User) -> None:
        models.change_setting(admin, "auto_create_on_qualify", False)
        assert snap_compare(host(admin), terminal_size=(80, 24), run_before=_settings_ready)

    def test_settings_read_only_for_a_rep(
        self, snap_compare, admin: models.User, rep: models.User
    ) -> None:
        assert snap_compare(host(rep), terminal_size=(80, 24), run_before=_settings_ready)
