"""A CRM a rep can live in, driven with Pilot: new leads, the account, contact and
opportunity lists and forms, closing deals, reassigning owners, bulk edits, and
refusals said before any dialog; snapshots of each new screen at 80x24."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

import models
from tui.screens.close_opportunity import CloseWonDialog as ModalCloseWon
from tui.screens.confirm import ConfirmScreen
from tui.screens.lead_detail import LeadDetailScreen
from tui.screens.lead_list import LeadListScreen
from tui.screens.may_exist import MayAlreadyExistScreen
from tui.screens.pickers import BulkEditLeads, OwnerPicker
from tui.screens.record_form import RecordFormScreen
from tui.screens.record_list import RecordListScreen
from tui.screens.records import AccountScreen, OpportunityScreen
from tui.widgets.record_table import RecordTable

from ..conftest import make_lead
from ..helpers import freeze_times, make_app, wait_until


@pytest.fixture
def riley(sqlite_db: object) -> models.User:
    return models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)


@pytest.fixture
def sam(sqlite_db: object) -> models.User:
    return models.create_user("sam", "Sam Seller", models.Role.SALESPERSON)


@pytest.fixture
def deal(riley: models.User) -> models.QualifyResult:
    return models.qualify_lead(riley, make_lead(riley, estimated_budget="25000").id)


async def wait_screen(pilot: Pilot, kind: type) -> object:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind))
    await pilot.pause()
    return pilot.app.screen


async def wait_list(pilot: Pilot) -> RecordTable:
    table = pilot.app.screen.query_one(RecordTable)
    await wait_until(pilot, lambda: table.total is not None and table.loaded)
    return table


async def fill(pilot: Pilot, screen: RecordFormScreen, **values: str) -> None:
    await wait_until(pilot, lambda: screen.loaded)
    for name, value in values.items():
        screen.query_one(f"#f-{name}", Input).value = value
    await pilot.pause()


# New lead ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_new_lead_from_the_list_opens_it(riley: models.User) -> None:
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, LeadListScreen)
        await pilot.press("n")
        form = await wait_screen(pilot, RecordFormScreen)
        assert form.kind == "lead"
        await fill(pilot, form, topic="Ten desks", last_name="Okafor", email="ok@x.example")
        await pilot.press("ctrl+s")
        detail = await wait_screen(pilot, LeadDetailScreen)
        lead = models.Lead.get(models.Lead.last_name == "Okafor")
        assert detail.lead_id == lead.id and lead.owner_id == riley.id
        assert lead.is_open and lead.rating == "warm"


@pytest.mark.asyncio
async def test_new_lead_errors_beside_their_fields(riley: models.User) -> None:
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, LeadListScreen)
        await pilot.press("ctrl+n")
        form = await wait_screen(pilot, RecordFormScreen)
        await fill(pilot, form, email="not an email")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.query_one("#err-topic").has_class("visible"))
        assert "Topic is required" in str(form.query_one("#err-topic", Static).visual)
        assert form.query_one("#err-email").has_class("visible")
        assert models.Lead.select().count() == 0


@pytest.mark.asyncio
async def test_new_lead_may_already_exist_then_ignore_and_save(riley: models.User) -> None:
    make_lead(riley, email="pat@x.example")
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        app.new_record("lead")
        form = await wait_screen(pilot, RecordFormScreen)
        await fill(pilot, form, topic="Again", last_name="Keller", email="PAT@x.example")
        await pilot.press("ctrl+s")
        dialog = await wait_screen(pilot, MayAlreadyExistScreen)
        options = dialog.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("same email" in p for p in prompts)
        assert models.Lead.select().count() == 1
        await pilot.press("i")
        await wait_screen(pilot, LeadDetailScreen)
        assert models.Lead.select().count() == 2


@pytest.mark.asyncio
async def test_new_lead_from_the_palette(riley: models.User) -> None:
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, LeadListScreen)
        await pilot.press("ctrl+p", *"new lead")
        await pilot.pause(0.3)
        await pilot.press("enter")
        form = await wait_screen(pilot, RecordFormScreen)
        assert form.kind == "lead"


# Lists and forms ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_account_list_search_open_and_create(riley: models.User, sam: models.User) -> None:
    models.create_account(riley, name="Contoso Ltd")
    models.create_account(sam, name="Fabrikam")
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f5")
        await wait_screen(pilot, RecordListScreen)
        table = await wait_list(pilot)
        assert table.total == 2
        await pilot.press("v")  # My accounts
        await wait_until(pilot, lambda: table.total == 1)
        await pilot.press("v", "slash")
        await pilot.pause()
        await pilot.press(*"fab")
        await wait_until(pilot, lambda: table.total == 1 and table.current_row is not None
                         and table.current_row.cell("name") == "Fabrikam")  # fmt: skip
        table.focus()
        await pilot.press("enter")
        screen = await wait_screen(pilot, AccountScreen)
        assert screen.record_id == models.Account.get(models.Account.name == "Fabrikam").id
        await pilot.press("escape")
        await wait_screen(pilot, RecordListScreen)
        await pilot.press("n")
        form = await wait_screen(pilot, RecordFormScreen)
        await fill(pilot, form, name="Northwind Traders", website="northwind.example")
        await pilot.press("ctrl+s")
        await wait_screen(pilot, AccountScreen)
        made = models.Account.get(models.Account.name == "Northwind Traders")
        assert made.domain_key == "northwind.example" and made.owner_id == riley.id


@pytest.mark.asyncio
async def test_edit_an_account_and_duplicates_on_create(riley: models.User) -> None:
    account = models.create_account(riley, name="Contoso Ltd")
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        app.edit_record("account", account.id)
        form = await wait_screen(pilot, RecordFormScreen)
        await fill(pilot, form, phone="+1 425 555 0100")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, RecordFormScreen))
        assert models.Account.get_by_id(account.id).phone_key == "+14255550100"
        app.new_record("account")
        form = await wait_screen(pilot, RecordFormScreen)
        await fill(pilot, form, name="CONTOSO")
        await pilot.press("ctrl+s")
        await wait_screen(pilot, MayAlreadyExistScreen)
        await pilot.press("escape")  # back to the form: nothing created
        await wait_screen(pilot, RecordFormScreen)
        assert models.Account.select().count() == 1


@pytest.mark.asyncio
async def test_opportunity_list_shows_the_pipeline(riley: models.User, deal) -> None:
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_open_list("opportunity")
        screen = await wait_screen(pilot, RecordListScreen)
        await wait_list(pilot)
        pipeline = screen.query_one("#pipeline", Static)
        await wait_until(pilot, lambda: "25,000.00" in str(pipeline.visual))
        assert "Develop 1 · 25,000.00" in str(pipeline.visual)
        table = screen.query_one(RecordTable)
        header, row = table.line_text(0), table.line_text(1)
        # Amounts are right-aligned under their heading: "Est. value" ends where they end.
        value_end = header.index("Est. value") + len("Est. value")
        assert row[:value_end].endswith("25,000.00")
        assert row[value_end] == " "


# Closing deals -------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_close_as_won_then_reopen(riley: models.User, deal) -> None:
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_opportunity(deal.opportunity.id)
        screen = await wait_screen(pilot, OpportunityScreen)
        await wait_until(pilot, lambda: bool(getattr(screen, "decisions", None)))
        await pilot.press("w")
        dialog = await wait_screen(pilot, ModalCloseWon)
        assert Decimal(dialog.query_one("#c-actual_revenue", Input).value) == Decimal("25000")
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: models.Opportunity.get_by_id(deal.opportunity.id).state == "won"
        )
        assert models.Opportunity.get_by_id(deal.opportunity.id).actual_revenue == Decimal("25000")
        await wait_screen(pilot, OpportunityScreen)
        await wait_until(pilot, lambda: bool(screen.decisions["reopen"]))
        await pilot.press("r")
        await wait_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: models.Opportunity.get_by_id(deal.opportunity.id).is_open)


@pytest.mark.asyncio
async def test_refusal_is_said_before_any_dialog(riley: models.User, sam: models.User) -> None:
    account = models.create_account(sam, name="Fabrikam")
    app = make_app(riley)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app.open_account(account.id)
        screen = await wait_screen(pilot, AccountScreen)
        await wait_until(pilot, lambda: bool(getattr(screen, "decisions", None)))
        assert screen.check_action("delete", ()) is None  # dimmed in the footer
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, AccountScreen)  # no confirmation opened
        messages = [n.message for n in app._notifications]
        assert any("belongs to Sam Seller" in m for m in messages)
        assert models.Account.select().count() == 1


# Owners and bulk edits ------------------------------------------------------------------


@pytest.mark.asyncio
async def test_assign_the_selected_leads_to_another_rep(
    riley: models.User, sam: models.User
) -> None:
    leads = [make_lead(riley, email=f"l{i}@x.example") for i in range(2)]
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, LeadListScreen)
        table = app.screen.table
        await wait_until(pilot, lambda: table.total == 2 and table.loaded)
        table.set_selection([lead.id for lead in leads])
        await pilot.press("o")
        picker = await wait_screen(pilot, OwnerPicker)
        options = picker.query_one(OptionList)
        index = next(i for i in range(options.option_count)
                     if options.get_option_at_index(i).id == str(sam.id))  # fmt: skip
        options.highlighted = index
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: {models.Lead.get_by_id(x.id).owner_id for x in leads} == {sam.id}
        )


@pytest.mark.asyncio
async def test_bulk_edit_rating_of_a_selection(riley: models.User) -> None:
    leads = [make_lead(riley, email=f"l{i}@x.example") for i in range(2)]
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, LeadListScreen)
        table = app.screen.table
        await wait_until(pilot, lambda: table.total == 2 and table.loaded)
        table.set_selection([lead.id for lead in leads])
        await pilot.press("b")
        dialog = await wait_screen(pilot, BulkEditLeads)
        dialog.query_one("#b-rating").value = "hot"
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: {models.Lead.get_by_id(x.id).rating for x in leads} == {"hot"}
        )


@pytest.mark.asyncio
async def test_first_press_of_a_sort_key_sorts_ascending(riley: models.User) -> None:
    for last in ("zimmerman", "Adams", "JANET"):
        make_lead(riley, last_name=last, email="")
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_screen(pilot, LeadListScreen)
        await pilot.press("s")  # created -> name
        table = screen.table
        await wait_until(pilot, lambda: screen.list_query.sort == "name" and table.loaded)
        assert screen.list_query.descending is False
        names = [table.row_at(i).name.split()[-1] for i in range(3)]
        assert names == ["Adams", "JANET", "zimmerman"]


# Snapshots at 80x24 -----------------------------------------------------------------------


def still(screen: object) -> None:
    """No blinking cursors, so the snapshots are stable."""
    for widget in screen.query("Input, TextArea"):  # type: ignore[attr-defined]
        widget.cursor_blink = False


def _world(riley: models.User, sam: models.User) -> None:
    account = models.create_account(riley, name="Contoso Ltd", website="contoso.com",
                                    phone="+1 425 555 0100", city="Redmond")  # fmt: skip
    models.create_account(sam, name="Fabrikam", city="Seattle")
    models.create_contact(riley, first_name="Nancy", last_name="Davolio", account=account.id,
                          email="nancy@contoso.com", job_title="Buyer")  # fmt: skip
    models.create_opportunity(
        riley, topic="Fleet renewal", account=account.id, estimated_value="12500",
        estimated_close_date="2026-12-31",
    )  # fmt: skip
    freeze_times()


def _list(kind: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        pilot.app.action_open_list(kind)
        await wait_screen(pilot, RecordListScreen)
        await wait_list(pilot)
        await pilot.pause(0.2)

    return run_before


@pytest.mark.parametrize("kind", ["account", "contact", "opportunity"])
def test_snapshot_lists(riley, sam, kind, snap_compare) -> None:  # type: ignore[no-untyped-def]
    _world(riley, sam)
    assert snap_compare(make_app(riley), terminal_size=(80, 24), run_before=_list(kind))


@pytest.mark.parametrize("kind", ["lead", "account", "contact", "opportunity"])
def test_snapshot_new_forms(riley, kind, snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        pilot.app.new_record(kind)
        form = await wait_screen(pilot, RecordFormScreen)
        await wait_until(pilot, lambda: form.loaded)
        still(form)
        await pilot.pause()

    assert snap_compare(make_app(riley), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_close_won_dialog(riley, deal, snap_compare) -> None:  # type: ignore[no-untyped-def]
    freeze_times()

    async def run_before(pilot: Pilot) -> None:
        pilot.app.open_opportunity(deal.opportunity.id)
        screen = await wait_screen(pilot, OpportunityScreen)
        await wait_until(pilot, lambda: bool(getattr(screen, "decisions", None)))
        await pilot.press("w")
        dialog = await wait_screen(pilot, ModalCloseWon)
        dialog.query_one("#c-close_date", Input).value = "2026-12-01"
        still(dialog)
        await pilot.pause()

    assert snap_compare(make_app(riley), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_may_already_exist(riley, snap_compare) -> None:  # type: ignore[no-untyped-def]
    make_lead(riley, email="pat@x.example")
    models.create_account(riley, name="Contoso")

    async def run_before(pilot: Pilot) -> None:
        pilot.app.new_record("lead")
        form = await wait_screen(pilot, RecordFormScreen)
        await fill(pilot, form, topic="t", last_name="Keller", email="pat@x.example",
                   company="Contoso Ltd")  # fmt: skip
        await pilot.press("ctrl+s")
        await wait_screen(pilot, MayAlreadyExistScreen)

    assert snap_compare(make_app(riley), terminal_size=(80, 24), run_before=run_before)


# Fixes from the same try-out ---------------------------------------------------------------


@pytest.mark.asyncio
async def test_lead_detail_palette_reads_like_the_lists(riley: models.User) -> None:
    from tui.commands import LeadqCommands

    lead = make_lead(riley)
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_lead(lead.id)
        screen = await wait_screen(pilot, LeadDetailScreen)
        await wait_until(pilot, lambda: screen.view is not None)
        commands = LeadqCommands(screen).commands()
        names = [name for name, _, _ in commands]
        helps = " ".join(help_text for _, help_text, _ in commands)
        assert len(names) == len(set(names)), names  # Back and Copy once, not three times
        assert "LeadDetailScreen" not in helps and "Lead detail (q)" in helps
        assert not any(name.lower().startswith("scroll") for name in names)
        assert {"Qualify", "Disqualify", "Back", "Assign process"} <= set(names)


@pytest.mark.asyncio
async def test_tabbing_into_a_field_puts_the_cursor_at_the_end(riley: models.User) -> None:
    lead = make_lead(riley, topic="Fifty chairs")
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_lead(lead.id)
        screen = await wait_screen(pilot, LeadDetailScreen)
        await wait_until(pilot, lambda: screen.view is not None)
        topic = screen.query_one("#f-topic", Input)
        topic.focus()
        await pilot.pause()
        assert topic.cursor_position == len("Fifty chairs") and topic.selection.is_empty
        await pilot.press(*" now")
        assert topic.value == "Fifty chairs now"


@pytest.mark.asyncio
async def test_p_assigns_a_process_from_the_activities_tab(riley: models.User) -> None:
    from tui.screens.assign_process import AssignProcessScreen

    admin = models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    models.seed_demo_process(admin)
    lead = make_lead(riley)
    app = make_app(riley)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_lead(lead.id)
        screen = await wait_screen(pilot, LeadDetailScreen)
        await wait_until(pilot, lambda: screen.view is not None)
        await pilot.press("t")  # the activities tab; nothing there takes the focus
        await pilot.pause()
        await pilot.press("p")
        picker = await wait_screen(pilot, AssignProcessScreen)
        await pilot.press("enter")
        await wait_until(pilot, lambda: models.lead_process(lead.id) is not None)
        assert picker is not None
        await wait_screen(pilot, LeadDetailScreen)
        await pilot.press("P")  # remove it again
        await wait_until(pilot, lambda: models.lead_process(lead.id) is None)


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
@pytest.mark.asyncio
async def test_dialogs_fit_small_terminals(riley: models.User, deal, size) -> None:
    """Every button of the new dialogs is inside the screen at 60x20 and 80x24."""
    from textual.widgets import Button

    app = make_app(riley)
    async with app.run_test(size=size) as pilot:
        app.open_opportunity(deal.opportunity.id)
        screen = await wait_screen(pilot, OpportunityScreen)
        await wait_until(pilot, lambda: bool(screen.decisions))
        for key, dialog in (("w", ModalCloseWon), ("o", OwnerPicker)):
            await pilot.press(key)
            shown = await wait_screen(pilot, dialog)
            region = app.screen.region
            for widget in shown.query("Button, OptionList"):
                assert region.contains_region(widget.region), (dialog, widget)
            for button in shown.query(Button):
                assert button.region.width > 0
            await pilot.press("escape")
            await wait_screen(pilot, OpportunityScreen)


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
@pytest.mark.asyncio
async def test_lead_qualified_dialog_fits(riley: models.User, size) -> None:
    from textual.widgets import Button

    from tui.screens.qualify_result import QualifyResultScreen

    lead = make_lead(riley)
    app = make_app(riley)
    async with app.run_test(size=size) as pilot:
        app.qualify([lead.id])
        dialog = await wait_screen(pilot, QualifyResultScreen)
        buttons = list(dialog.query(Button))
        assert len(buttons) == 4
        for button in buttons:
            assert app.screen.region.contains_region(button.region), button


@pytest.mark.asyncio
async def test_a_history_line_is_read_whole_on_enter(riley: models.User, deal) -> None:
    from tui.screens.confirm import MessageScreen
    from tui.widgets.history import HistoryTable

    app = make_app(riley)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_lead(deal.lead_id)
        screen = await wait_screen(pilot, LeadDetailScreen)
        await wait_until(pilot, lambda: screen.view is not None)
        await pilot.press("h")
        history = screen.query_one(HistoryTable)
        await wait_until(pilot, lambda: history.has_focus and history.event_count > 0)
        await pilot.press("enter")
        shown = await wait_screen(pilot, MessageScreen)
        text = str(shown.query_one("#message", Static).visual)
        assert "Qualified. Created account Contoso Ltd.; Created contact" in text
        assert "Created opportunity 50 ergonomic chairs." in text
