"""Ticking an opportunity's yes/no stage steps from the keyboard (`t` on the
opportunity view): saved at once and audited, shown on the stage bar, refused
before the dialog opens on a closed opportunity or for a rep who may not edit it,
and refused without a change when that happens in another session meanwhile."""

from __future__ import annotations

import inspect

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

import models
from tui.commands import LeadqCommands
from tui.screens.opportunity_steps import OpportunitySteps, StepList
from tui.screens.records import OpportunityScreen
from tui.widgets.stage_bar import StageBar

from ..conftest import make_lead
from ..helpers import freeze_times, make_app, wait_until


@pytest.fixture
def sam(sqlite_db: object) -> models.User:
    return models.create_user("sam", "Sam Seller", models.Role.SALESPERSON)


@pytest.fixture
def deal(rep: models.User) -> models.Opportunity:
    result = models.qualify_lead(rep, make_lead(rep).id)
    assert result.opportunity is not None
    return result.opportunity


def done_steps(opportunity_id: int) -> set[str]:
    return models.Opportunity.get_by_id(opportunity_id).done_steps()


async def open_opportunity(pilot: Pilot, opportunity_id: int) -> OpportunityScreen:
    pilot.app.open_opportunity(opportunity_id)  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, OpportunityScreen))
    screen = pilot.app.screen
    assert isinstance(screen, OpportunityScreen)
    await wait_until(pilot, lambda: screen.record is not None and bool(screen.decisions))
    await pilot.pause()
    return screen


async def open_steps(pilot: Pilot) -> OpportunitySteps:
    await pilot.press("t")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, OpportunitySteps))
    dialog = pilot.app.screen
    assert isinstance(dialog, OpportunitySteps)
    await wait_until(pilot, lambda: dialog.focused is dialog.query_one(StepList))
    return dialog


def highlighted_key(dialog: OpportunitySteps) -> str | None:
    steps = dialog.query_one(StepList)
    assert steps.highlighted is not None
    return steps.rows[steps.highlighted].key


@pytest.mark.asyncio
async def test_t_ticks_and_clears_a_step_and_the_stage_bar_shows_it(
    rep: models.User, deal: models.Opportunity
) -> None:
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_opportunity(pilot, deal.id)
        bar = screen.query_one(StageBar)
        assert bar.filled_count == 0
        dialog = await open_steps(pilot)
        # The cursor starts on the active stage's first yes/no step not done.
        assert highlighted_key(dialog) == "identify_stakeholders"
        await pilot.press("space")
        await wait_until(pilot, lambda: done_steps(deal.id) == {"identify_stakeholders"})
        await pilot.press("down", "enter")  # enter ticks too
        both = {"identify_stakeholders", "identify_competitors"}
        await wait_until(pilot, lambda: done_steps(deal.id) == both)
        await wait_until(pilot, lambda: bar.filled_count == 2)  # the view below follows
        await pilot.press("space")  # again: cleared
        await wait_until(pilot, lambda: done_steps(deal.id) == {"identify_stakeholders"})
        await wait_until(pilot, lambda: "○ Identify competitors" in str(
            dialog.query_one(StepList).get_option("identify_competitors").prompt))  # fmt: skip
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await wait_until(pilot, lambda: bar.filled_count == 1)
    history = [e.summary for e in models.AuditEvent.for_record("opportunity", deal.id)]
    assert "Identify competitors: done" in history
    assert "Identify competitors: not done" in history


@pytest.mark.asyncio
async def test_a_field_step_is_not_ticked_but_says_where_it_is_filled(
    rep: models.User, deal: models.Opportunity
) -> None:
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_opportunity(pilot, deal.id)
        dialog = await open_steps(pilot)
        steps = dialog.query_one(StepList)
        steps.highlighted = next(i for i, r in enumerate(steps.rows) if r.key == "customer_need")
        await pilot.press("space")
        await pilot.pause()
        error = str(dialog.query_one("#error", Static).visual)
        assert "Customer need is a field: edit the opportunity (e) to fill it." in error
    assert done_steps(deal.id) == set()


@pytest.mark.asyncio
async def test_steps_are_refused_before_the_dialog_on_a_closed_opportunity(
    rep: models.User, deal: models.Opportunity
) -> None:
    models.close_opportunity_won(rep, deal.id, "1000")
    app = make_app(rep)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_opportunity(pilot, deal.id)
        assert screen.check_action("steps", ()) is None  # dimmed in the footer
        await pilot.press("t")
        await pilot.pause()
        assert app.screen is screen  # no dialog
        messages = [n.message for n in app._notifications]
        assert any("This opportunity was won by Riley Rep" in m for m in messages), messages
    assert done_steps(deal.id) == set()


@pytest.mark.asyncio
async def test_steps_are_refused_before_the_dialog_for_a_rep_who_may_not_edit(
    rep: models.User, sam: models.User, deal: models.Opportunity
) -> None:
    app = make_app(sam)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_opportunity(pilot, deal.id)
        await pilot.press("t")
        await pilot.pause()
        assert app.screen is screen
        messages = [n.message for n in app._notifications]
        assert any("this opportunity belongs to Riley Rep" in m for m in messages), messages
        # The palette lists it dimmed, with the same sentence.
        steps = next(c for c in LeadqCommands(screen).commands() if c[0] == "Steps")
        assert steps[1].startswith("Not possible: ") and "belongs to Riley Rep" in steps[1]
    assert done_steps(deal.id) == set()


@pytest.mark.asyncio
async def test_the_palette_offers_steps_on_an_open_opportunity(
    rep: models.User, deal: models.Opportunity
) -> None:
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_opportunity(pilot, deal.id)
        _, help_text, run = next(c for c in LeadqCommands(screen).commands() if c[0] == "Steps")
        assert help_text == "Opportunity (t)"
        result = run()
        if inspect.isawaitable(result):  # the palette awaits what it runs
            await result
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunitySteps))


@pytest.mark.asyncio
async def test_a_close_in_another_session_meanwhile_is_said_and_nothing_is_ticked(
    rep: models.User, deal: models.Opportunity
) -> None:
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_opportunity(pilot, deal.id)
        dialog = await open_steps(pilot)
        models.close_opportunity_lost(rep, deal.id, "canceled")  # another session
        await pilot.press("space")
        error = dialog.query_one("#error", Static)
        await wait_until(pilot, lambda: "reopen it to change it" in str(error.visual))
        assert app.screen is dialog
    assert done_steps(deal.id) == set()


def test_snapshot_steps_dialog(rep, deal, snap_compare) -> None:  # type: ignore[no-untyped-def]
    models.set_opportunity_step(rep, deal.id, "identify_stakeholders", True)
    freeze_times()

    async def run_before(pilot: Pilot) -> None:
        await open_opportunity(pilot, deal.id)
        await open_steps(pilot)
        await pilot.pause()

    assert snap_compare(make_app(rep), terminal_size=(80, 24), run_before=run_before)
