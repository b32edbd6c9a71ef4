"""Help (F1, ?), the command palette (ctrl+p: actions and jump to a lead), and the
theme remembered between runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot

import models
from tui.commands import LeadqCommands
from tui.screens.help import HelpScreen
from tui.screens.lead_list import LeadListScreen
from tui.widgets.lead_table import LeadTable

from ..conftest import make_lead
from ..helpers import make_app, settle


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Preferences go to a temporary directory, never the user's."""
    directory = tmp_path / "config"
    monkeypatch.setenv("LEADQ_CONFIG_DIR", str(directory))
    return directory


@pytest.fixture
def two_leads(admin: models.User) -> list[models.Lead]:
    made = []
    for i, (first, last, company) in enumerate(
        [("Grace", "Hopper", "Fabrikam Inc"), ("Alan", "Turing", "[b]Northwind[/b]")]
    ):
        lead = make_lead(
            admin, first_name=first, last_name=last, company=company, email="", website=""
        )
        models.Lead.update(created_at=dt.datetime(2024, 5, 1 + i)).where(
            models.Lead.id == lead.id
        ).execute()
        made.append(lead)
    return made


async def loaded(pilot: Pilot[Any]) -> None:
    table = pilot.app.screen.query_one(LeadTable)
    for _ in range(300):
        await pilot.pause(0.01)
        if table.loaded and table.total is not None:
            return


def help_text(app: Any) -> str:
    return str(app.screen.help_content())


@pytest.mark.asyncio
async def test_f1_and_question_mark_list_the_keys_of_every_screen(
    two_leads: list[models.Lead], admin: models.User
) -> None:
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = help_text(app)
        assert text.index("This screen: Lead list") < text.index("Everywhere")
        for description in ("Qualify", "Disqualify", "Reactivate", "Delete", "Search"):
            assert description in text
        assert "Page down" in text  # from the list widget
        assert "Settings" in text and "Quit" in text  # the app's keys
        # Other screens' own bindings are listed too (the lead detail, the settings...).
        headings = [line for line in text.splitlines() if line and not line.startswith(" ")]
        assert len(headings) >= 4
        await pilot.press("escape")
        assert isinstance(app.screen, LeadListScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, LeadListScreen)


@pytest.mark.asyncio
async def test_palette_runs_list_actions(
    two_leads: list[models.Lead], admin: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(admin)
    qualified: list[list[int]] = []
    monkeypatch.setattr(app, "qualify", lambda ids: qualified.append(ids))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"qualify")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert qualified == [[two_leads[1].id]]  # the lead under the cursor (newest)
        await pilot.press("ctrl+p", *"view: qualified")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.screen.list_query.view == "qualified"


@pytest.mark.asyncio
async def test_palette_jumps_to_a_lead_by_name(
    two_leads: list[models.Lead], admin: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(admin)
    opened: list[int] = []
    monkeypatch.setattr(app, "open_lead", lambda lead_id: opened.append(lead_id))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p", *"turing")
        await pilot.pause(0.5)
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        from textual.command import CommandList

        options = palette.query_one(CommandList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        # The company is shown as typed, not as bold markup.
        assert any("Alan Turing" in p and "[b]Northwind[/b]" in p for p in prompts)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert opened == [two_leads[1].id]


@pytest.mark.asyncio
async def test_provider_searches_leads_in_a_thread(
    two_leads: list[models.Lead], admin: models.User
) -> None:
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        provider = LeadqCommands(app.screen)
        hits = [hit async for hit in provider.search("hopper")]
        assert [hit.text for hit in hits] == ["Open lead Grace Hopper"]


@pytest.mark.asyncio
async def test_theme_is_remembered_between_runs(
    two_leads: list[models.Lead], admin: models.User, config_dir: Path
) -> None:
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        app.theme = "nord"
        await settle(pilot)
    assert '"theme": "nord"' in (config_dir / "preferences.json").read_text()
    again = make_app(admin)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert again.theme == "nord"


def test_snapshot_help(snap_compare: Any, two_leads: list[models.Lead], admin: models.User) -> None:
    app = make_app(admin)

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_palette(
    snap_compare: Any, two_leads: list[models.Lead], admin: models.User
) -> None:
    app = make_app(admin)

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press("ctrl+p")
        app.screen.query_one("Input").cursor_blink = False
        # Typed, so the hits come from one provider in score order (discovery order
        # across providers varies from run to run).
        await pilot.press(*"view")
        await pilot.pause(0.5)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
