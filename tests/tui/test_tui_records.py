"""Account, contact and opportunity views driven with Pilot: fields, related
records that open on enter, carried notes marked on the opportunity, the
opportunity stage bar; snapshots at 80x24."""

from __future__ import annotations

import re

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

import models
from models import Stage
from tui.screens.lead_detail import LeadDetailScreen
from tui.screens.records import AccountScreen, ContactScreen, OpportunityScreen
from tui.widgets.history import HistoryTable
from tui.widgets.notes_panel import NotesPanel
from tui.widgets.stage_bar import StageBar

from ..conftest import make_lead
from ..helpers import freeze_times, make_app, settle, wait_until
from .test_tui_detail import INJECTION


@pytest.fixture
def qualified(ada: models.User) -> models.QualifyResult:
    """A qualified lead with a note and an attachment, and what qualifying created."""
    lead = make_lead(ada, estimated_budget="25000")
    models.add_note(ada, lead, "Budget approved by the board.", ("budget.csv", b"a,b\n1,2\n"))
    return models.qualify_lead(ada, lead.id)


def related_ids(screen) -> list[str]:  # type: ignore[no-untyped-def]
    related = screen.query_one("#related", OptionList)
    options = [related.get_option_at_index(i) for i in range(related.option_count)]
    return [o.id for o in options if o.id]


def fields_text(screen) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one("#fields", Static).visual)


async def open_record(pilot: Pilot, opener: str, record_id: int, kind: type):  # type: ignore[no-untyped-def]
    getattr(pilot.app, opener)(record_id)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind))
    await settle(pilot)
    return pilot.app.screen


@pytest.mark.asyncio
async def test_opportunity_shows_customer_lead_value_and_carried_notes(
    ada: models.User, qualified: models.QualifyResult
) -> None:
    opp = qualified.opportunity
    assert opp is not None
    models.add_note(ada, opp, "Sent the proposal.")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_record(pilot, "open_opportunity", opp.id, OpportunityScreen)
        text = fields_text(screen)
        assert "50 ergonomic chairs" in text
        assert "25,000.00" in text
        assert "Contoso Ltd." in text and "Nancy Anderson" in text
        assert related_ids(screen) == [
            f"account:{qualified.account.id}",
            f"contact:{qualified.contact.id}",
            f"lead:{qualified.lead_id}",
        ]
        await pilot.press("n")
        await settle(pilot)
        notes = screen.query_one("#note-list", OptionList)
        prompts = [
            notes.get_option_at_index(i).prompt.plain
            for i in range(notes.option_count)
            if notes.get_option_at_index(i).id
        ]
        carried = [p for p in prompts if "Budget approved" in p]
        own = [p for p in prompts if "Sent the proposal" in p]
        assert len(carried) == 1 and "[from lead]" in carried[0]
        assert "budget.csv" in carried[0]
        assert len(own) == 1 and "[from lead]" not in own[0]


@pytest.mark.asyncio
async def test_carried_attachment_can_be_saved_from_the_opportunity(
    ada: models.User, qualified: models.QualifyResult, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_record(
            pilot, "open_opportunity", qualified.opportunity.id, OpportunityScreen
        )
        await pilot.press("n")
        notes = screen.query_one("#note-list", OptionList)
        notes.focus()
        notes.highlighted = 0
        await pilot.press("s")
        await settle(pilot)
        screen.query_one("#save-path").value = str(tmp_path)
        await pilot.press("enter")
        saved = tmp_path / "budget.csv"
        await wait_until(pilot, saved.exists)  # the save runs in a worker
        assert saved.read_bytes() == b"a,b\n1,2\n"


@pytest.mark.asyncio
async def test_opportunity_stage_moves_forward_and_back(
    ada: models.User, qualified: models.QualifyResult
) -> None:
    opp_id = qualified.opportunity.id
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_record(pilot, "open_opportunity", opp_id, OpportunityScreen)
        bar = screen.query_one(StageBar)
        message = screen.query_one("#stage-message", Static)
        assert bar.active == Stage.DEVELOP

        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert models.Opportunity.get_by_id(opp_id).stage == "develop"
        assert "first stage" in str(message.visual) and message.has_class("error")

        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert models.Opportunity.get_by_id(opp_id).stage == "propose"
        assert bar.active == Stage.PROPOSE
        assert not message.has_class("error")
        assert re.search(r"Stage\s+Propose", fields_text(screen))

        await pilot.press("ctrl+right")
        await settle(pilot)
        assert bar.active == Stage.CLOSE
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert "Close is the last stage" in str(message.visual)
        assert models.Opportunity.get_by_id(opp_id).stage == "close"

        await pilot.press("ctrl+left")
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert models.Opportunity.get_by_id(opp_id).stage == "develop"
        await pilot.press("h")  # the History tab is composed when first shown
        await settle(pilot)
        history = screen.query_one(HistoryTable)
        assert history.event_count >= 4  # created by qualifying + each move


@pytest.mark.asyncio
async def test_an_accounts_notes_and_history_are_composed_when_first_needed(
    ada: models.User, qualified: models.QualifyResult
) -> None:
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_record(pilot, "open_account", qualified.account.id, AccountScreen)
        assert screen.record is not None
        assert not screen.query(NotesPanel) and not screen.query(HistoryTable)
        await pilot.press("n")  # composed, then its composer focused
        await wait_until(pilot, lambda: pilot.app.focused is not None)
        await wait_until(pilot, lambda: pilot.app.focused.id == "note-text")  # type: ignore[union-attr]
        await pilot.press(*"Renewal in May")
        await pilot.press("tab", "tab", "enter")  # past the attachment path, to Add
        await wait_until(
            pilot, lambda: models.Note.select().where(models.Note.text == "Renewal in May").exists()
        )
        assert not screen.query(HistoryTable)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, AccountScreen))


@pytest.mark.asyncio
async def test_lead_stage_bar_follows_the_opportunity(
    ada: models.User, qualified: models.QualifyResult
) -> None:
    models.move_opportunity_stage(ada, qualified.opportunity.id, 1)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        pilot.app.open_lead(qualified.lead_id)
        await wait_until(pilot, lambda: isinstance(app.screen, LeadDetailScreen))
        await settle(pilot)
        assert app.screen.query_one(StageBar).active == Stage.PROPOSE


@pytest.mark.asyncio
async def test_account_lists_contacts_opportunities_and_leads_and_opens_them(
    ada: models.User, qualified: models.QualifyResult
) -> None:
    account = qualified.account
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_record(pilot, "open_account", account.id, AccountScreen)
        assert "Contoso Ltd." in fields_text(screen)
        assert "1 Microsoft Way" in fields_text(screen)
        assert related_ids(screen) == [
            f"contact:{qualified.contact.id}",
            f"opportunity:{qualified.opportunity.id}",
            f"lead:{qualified.lead_id}",
        ]
        related = screen.query_one("#related", OptionList)
        assert related.has_focus
        await pilot.press("enter")  # the first contact is highlighted
        contact_screen = await wait_until_screen(pilot, ContactScreen)
        assert contact_screen.record_id == qualified.contact.id
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("end", "enter")  # the last one: the lead it came from
        lead_screen = await wait_until_screen(pilot, LeadDetailScreen)
        assert lead_screen.lead_id == qualified.lead_id


async def wait_until_screen(pilot: Pilot, kind: type):  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind))
    await settle(pilot)
    return pilot.app.screen


@pytest.mark.asyncio
async def test_contact_shows_its_account_and_opportunities(
    ada: models.User, qualified: models.QualifyResult
) -> None:
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_record(pilot, "open_contact", qualified.contact.id, ContactScreen)
        text = fields_text(screen)
        assert "Nancy Anderson" in text and "nancy@contoso.com" in text
        assert "Purchasing manager" in text
        assert related_ids(screen) == [
            f"account:{qualified.account.id}",
            f"opportunity:{qualified.opportunity.id}",
            f"lead:{qualified.lead_id}",
        ]
        await pilot.press("enter")
        account_screen = await wait_until_screen(pilot, AccountScreen)
        assert account_screen.record_id == qualified.account.id


@pytest.mark.asyncio
async def test_notes_on_an_account(ada: models.User, qualified: models.QualifyResult) -> None:
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_record(pilot, "open_account", qualified.account.id, AccountScreen)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Renewal due in May")
        await pilot.click("#add-note")
        await settle(pilot)
        note = models.Note.get(models.Note.account == qualified.account.id)
        assert note.text == "Renewal due in May"
        panel = screen.query_one(NotesPanel)
        assert (
            "Renewal due in May"
            in panel.query_one("#note-list", OptionList).get_option_at_index(0).prompt.plain
        )


@pytest.mark.asyncio
async def test_deleted_record_goes_back(ada: models.User, qualified: models.QualifyResult) -> None:
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_record(pilot, "open_contact", qualified.contact.id, ContactScreen)
        models.Contact.delete_by_id(qualified.contact.id)
        app.data_changed()
        await wait_until(pilot, lambda: not isinstance(app.screen, ContactScreen))


@pytest.mark.asyncio
async def test_markup_in_record_names_is_literal(ada: models.User) -> None:
    lead = make_lead(ada, company=INJECTION, first_name="[b]Bo[/b]", topic="\x1b[31mRed")
    result = models.qualify_lead(ada, lead.id)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_record(pilot, "open_account", result.account.id, AccountScreen)
        assert screen.title == INJECTION
        assert INJECTION in fields_text(screen)
        related = screen.query_one("#related", OptionList)
        labels = [related.get_option_at_index(i).prompt.plain for i in range(related.option_count)]
        assert any("[b]Bo[/b] Anderson" in label for label in labels)
        assert any("␛[31mRed" in label for label in labels)
        opp_screen = await open_record(
            pilot, "open_opportunity", result.opportunity.id, OpportunityScreen
        )
        assert opp_screen.title == "␛[31mRed"
        assert app.is_running


# Snapshots.


def _open(opener: str, record_id: int, kind: type):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await open_record(pilot, opener, record_id, kind)

    return run_before


def test_snapshot_account(ada, qualified, snap_compare) -> None:  # type: ignore[no-untyped-def]
    freeze_times()
    app = make_app(ada)
    run_before = _open("open_account", qualified.account.id, AccountScreen)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_contact(ada, qualified, snap_compare) -> None:  # type: ignore[no-untyped-def]
    freeze_times()
    app = make_app(ada)
    run_before = _open("open_contact", qualified.contact.id, ContactScreen)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_opportunity(ada, qualified, snap_compare) -> None:  # type: ignore[no-untyped-def]
    models.move_opportunity_stage(ada, qualified.opportunity.id, 1)
    freeze_times()
    app = make_app(ada)
    run_before = _open("open_opportunity", qualified.opportunity.id, OpportunityScreen)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_opportunity_notes(ada, qualified, snap_compare) -> None:  # type: ignore[no-untyped-def]
    models.add_note(ada, qualified.opportunity, "Proposal sent.")
    freeze_times()
    app = make_app(ada)

    async def run_before(pilot: Pilot) -> None:
        await open_record(pilot, "open_opportunity", qualified.opportunity.id, OpportunityScreen)
        await pilot.press("n")
        # The composer takes the focus once the Notes pane is shown; then the list.
        await wait_until(
            pilot, lambda: pilot.app.focused is not None and pilot.app.focused.id == "note-text"
        )
        pilot.app.screen.query_one("#note-list").focus()
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
