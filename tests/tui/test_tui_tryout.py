"""Fixes from trying issue 11 as a rep (80x24, 160 columns, NO_COLOR): a won or
lost opportunity says so on screen, the palette names each action once and none
of Textual's own, the pipeline never breaks inside a figure, and ctrl+s adds the
note being written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.pilot import Pilot
from textual.widgets import Static, TextArea

import models
from models import Stage
from tui.commands import LeadqCommands
from tui.screens.lead_detail import LeadDetailScreen
from tui.screens.lead_list import LeadListScreen
from tui.screens.record_list import PipelineFigures, RecordListScreen, pipeline_line
from tui.screens.records import ContactScreen, OpportunityScreen
from tui.widgets.notes_panel import NotesPanel

from ..conftest import make_lead
from ..helpers import make_app, wait_until


async def shown(pilot: Pilot, kind: type) -> object:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind))
    screen = pilot.app.screen
    await wait_until(pilot, lambda: getattr(screen, "view", True) is not None)
    await pilot.pause()
    return screen


@pytest.mark.asyncio
@pytest.mark.parametrize("won", [True, False], ids=["won", "lost"])
async def test_a_closed_opportunity_says_so_above_its_tabs(rep: models.User, won: bool) -> None:
    opportunity = models.create_opportunity(rep, topic="Fleet renewal")
    if won:
        models.close_opportunity_won(rep, opportunity.id, "1000")
    else:
        models.close_opportunity_lost(rep, opportunity.id, "out_sold")
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_opportunity(opportunity.id)
        screen = await shown(pilot, OpportunityScreen)
        banner = screen.query_one("#stage-message", Static)  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: banner.region.height == 1)  # on screen, not hidden
        expected = "■ Won. " if won else "■ Lost (Out-sold). "
        assert str(banner.visual) == expected + "Read-only: press r to reopen."
        await pilot.press("r", "y")  # reopened: the banner goes
        await wait_until(pilot, lambda: models.Opportunity.get_by_id(opportunity.id).is_open)
        await wait_until(pilot, lambda: banner.region.height == 0)


def palette_names(app: object, screen: object) -> list[str]:
    ours = [name for name, _, _ in LeadqCommands(screen).commands()]  # type: ignore[arg-type]
    system = [c.title for c in app.get_system_commands(screen)]  # type: ignore[attr-defined]
    return ours + system


@pytest.mark.asyncio
async def test_the_palette_names_each_action_once_and_none_of_textuals(
    rep: models.User,
) -> None:
    lead = make_lead(rep)
    opportunity = models.create_opportunity(rep, topic="Fleet renewal")
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        screens = [await shown(pilot, LeadListScreen)]
        for kind in ("account", "opportunity"):
            app.action_open_list(kind)
            screens.append(await shown(pilot, RecordListScreen))
        app.open_lead(lead.id)
        screens.append(await shown(pilot, LeadDetailScreen))
        app.open_opportunity(opportunity.id)
        screens.append(await shown(pilot, OpportunityScreen))
        for screen in screens:
            names = palette_names(app, screen)
            assert len(names) == len(set(names)), (screen, sorted(names))
            textuals = {"Focus Next", "Focus Previous", "Copy selected text"} & set(names)
            assert not textuals, (screen, textuals)
        lead_list, accounts, opportunities, *_ = screens
        assert "New lead" in palette_names(app, lead_list)
        helps = {name: help_text for name, help_text, _ in LeadqCommands(accounts).commands()}
        assert helps["New"] == "Accounts (n)"  # not "Record list (n)"
        assert "New account" not in palette_names(app, accounts)
        assert "New account" in palette_names(app, opportunities)


def test_the_pipeline_breaks_between_figures_never_inside_one() -> None:
    figures = [
        models.StageFigure(Stage.DEVELOP, 18, Decimal("3036300")),
        models.StageFigure(Stage.PROPOSE, 6, Decimal("1169900")),
        models.StageFigure(Stage.CLOSE, 0, Decimal("0")),
    ]
    narrow = pipeline_line(figures, 78).plain.split("\n")
    assert narrow == [
        "Pipeline   Develop 18 · 3,036,300.00   Propose 6 · 1,169,900.00",
        "Close 0 · 0.00   Open 24 · 4,206,200.00",
    ]
    wide = pipeline_line(figures, 158).plain
    assert "\n" not in wide and wide.endswith("Close 0 · 0.00   Open 24 · 4,206,200.00")


@pytest.mark.asyncio
@pytest.mark.parametrize("width,lines", [(80, 2), (160, 1)])
async def test_the_opportunity_list_lays_its_pipeline_out_for_the_width(
    rep: models.User, width: int, lines: int
) -> None:
    for topic, value in (("Fleet renewal", "3036300"), ("Printers", "1169900")):
        models.create_opportunity(rep, topic=topic, estimated_value=value)
    app = make_app(rep)
    async with app.run_test(size=(width, 24)) as pilot:
        await shown(pilot, LeadListScreen)
        app.action_open_list("opportunity")
        screen = await shown(pilot, RecordListScreen)
        pipeline = screen.query_one(PipelineFigures)  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: bool(pipeline.figures))
        await wait_until(pilot, lambda: pipeline.region.height == lines)
        text = str(pipeline.visual)
        assert "Open 2 · 4,206,200.00" in text
        assert all(len(line) <= width - 2 for line in text.split("\n"))


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["contact", "lead"])
async def test_ctrl_s_in_the_note_composer_adds_the_note(rep: models.User, kind: str) -> None:
    if kind == "lead":
        record_id = make_lead(rep).id
    else:
        record_id = models.create_contact(rep, first_name="Wendy", last_name="Kahn").id
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_record(kind, record_id)
        screen = await shown(pilot, LeadDetailScreen if kind == "lead" else ContactScreen)
        await pilot.press("n")
        text = screen.query_one("#note-text", TextArea)  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: text.has_focus)
        await pilot.press(*"Met at the fair")
        await pilot.press("ctrl+s")
        column = getattr(models.Note, kind)
        texts = lambda: [n.text for n in models.Note.select().where(column == record_id)]  # noqa: E731
        await wait_until(pilot, lambda: texts() == ["Met at the fair"])
        await wait_until(pilot, lambda: text.text == "")
        panel = screen.query_one(NotesPanel)  # type: ignore[attr-defined]
        assert "Note added." in str(panel.query_one("#note-message", Static).visual)


@pytest.mark.asyncio
async def test_a_reactivated_lead_shows_its_own_qualify_stage(rep: models.User) -> None:
    from tui.widgets.stage_bar import StageBar

    lead = make_lead(rep)
    models.qualify_lead(rep, lead.id)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_lead(lead.id)
        screen = await shown(pilot, LeadDetailScreen)
        bar = screen.query_one(StageBar)  # type: ignore[attr-defined]
        assert bar.active == Stage.DEVELOP and "on the opportunity" in bar.hint
        models.reactivate_lead(rep, lead.id)  # it still links its opportunity
        app.data_changed(models.change_token())
        await wait_until(pilot, lambda: bar.active == Stage.QUALIFY)
        assert bar.hint == "" and len(bar._steps()) == 7
