"""Merging two accounts or two contacts from their lists, driven with Pilot: the
fields side by side, the master and each value chosen, a confirmation, the parent
check, refusals said before anything is asked; an 80x24 snapshot, and 60x20 fits."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

import models
from tui.screens.confirm import ConfirmScreen
from tui.screens.merge import MergeScreen
from tui.screens.record_list import RecordListScreen
from tui.widgets.record_table import RecordTable

from ..helpers import make_app, wait_until


def account(actor: models.User, name: str, **values: object) -> models.Account:
    return models.create_account(actor, ignore_duplicates=True, name=name, **values)


def contact(actor: models.User, last: str, **values: object) -> models.Contact:
    return models.create_contact(actor, ignore_duplicates=True, last_name=last, **values)


async def open_list(pilot: Pilot, kind: str) -> RecordTable:
    pilot.app.action_open_list(kind)  # type: ignore[attr-defined]
    await wait_until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, RecordListScreen)
            and pilot.app.screen.kind == kind
            and bool(pilot.app.screen.query(RecordTable))
        ),
    )
    table = pilot.app.screen.query_one(RecordTable)
    await wait_until(pilot, lambda: table.total is not None and table.loaded)
    return table


async def merge_screen(pilot: Pilot, rows: bool = True) -> MergeScreen:
    await wait_until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, MergeScreen) and bool(pilot.app.screen.query("#fields"))
        ),
    )
    screen = pilot.app.screen
    assert isinstance(screen, MergeScreen)
    table = screen.query_one("#fields", DataTable)
    if rows:
        await wait_until(pilot, lambda: table.row_count > 0)
    return screen


def text(screen: MergeScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def confirm(pilot: Pilot) -> None:
    await pilot.press("f6")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    await pilot.press("y")
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, ConfirmScreen))


@pytest.mark.asyncio
async def test_merge_two_accounts_from_their_list(ada: models.User) -> None:
    master = account(ada, "Contoso", city="")
    other = account(ada, "Contoso Ltd", city="Seattle", website="contoso.com")
    person = contact(ada, "Lee", account=other.id)
    deal = models.create_opportunity(ada, topic="Desks", account=other.id, contact=person.id)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_list(pilot, "account")
        table.set_selection([master.id, other.id])
        await pilot.press("m")
        screen = await merge_screen(pilot)
        fields = screen.query_one("#fields", DataTable)
        keys = [row.value for row in fields.rows]
        assert keys[:3] == ["name", "website", "city"]  # the differing fields first
        assert screen.choices["city"] == other.id  # blank on the master: the other's
        assert screen.choices["name"] == master.id
        fields.move_cursor(row=0)
        await pilot.press("2")  # the other's name
        assert screen.choices["name"] == other.id
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        asked = str(app.screen.query_one("#message", Static).render())
        assert f"account #{other.id} Contoso Ltd into #{master.id} Contoso" in asked
        assert "Account name, Website, City" in asked
        assert models.Account.get_by_id(other.id).merged_into_id is None  # asked first
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordListScreen))
        await wait_until(pilot, lambda: table.total == 1)
        assert not table.selected
    merged = models.Account.get_by_id(master.id)
    assert (merged.name, merged.city, merged.website) == ("Contoso Ltd", "Seattle", "contoso.com")
    assert models.Contact.get_by_id(person.id).account_id == master.id
    assert models.Opportunity.get_by_id(deal.id).account_id == master.id
    assert models.Account.get_by_id(other.id).merged_into_id == master.id


@pytest.mark.asyncio
async def test_merge_needs_two_and_is_not_offered_for_opportunities(ada: models.User) -> None:
    first, _second, third = (account(ada, n) for n in ("Fabrikam", "Fabrikam Inc", "Fabrikam Co"))
    models.create_opportunity(ada, topic="Chairs", account=first.id)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_list(pilot, "account")
        for picked in ([first.id], [first.id, _second.id, third.id]):
            table.set_selection(picked)
            await pilot.press("m")
            await wait_until(
                pilot, lambda: any("Select two accounts" in n.message for n in app._notifications)
            )
            assert isinstance(app.screen, RecordListScreen)
            app.clear_notifications()
        await open_list(pilot, "opportunity")
        assert app.screen.check_action("merge", ()) is False  # not in the footer or palette
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, RecordListScreen)


@pytest.mark.asyncio
async def test_contacts_of_two_accounts_wait_for_the_parent_check(ada: models.User) -> None:
    contoso, fabrikam = account(ada, "Contoso"), account(ada, "Fabrikam")
    nancy = contact(ada, "Anderson", first_name="Nancy", account=contoso.id)
    twin = contact(ada, "Anderson", first_name="Nancy", account=fabrikam.id, email="n@f.com")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_list(pilot, "contact")
        table.set_selection([nancy.id, twin.id])
        await pilot.press("m")
        screen = await merge_screen(pilot)
        assert "different accounts. Parent check on" in text(screen, "#intro")
        await pilot.press("f6")  # refused as said: nothing to confirm
        await wait_until(pilot, lambda: "parent check is on" in text(screen, "#result"))
        assert app.screen is screen
        assert models.Contact.get_by_id(twin.id).merged_into_id is None
        await pilot.press("p")
        assert "Parent check off: the master keeps the account" in text(screen, "#intro")
        fields = screen.query_one("#fields", DataTable)
        fields.move_cursor(row=[r.value for r in fields.rows].index("account"))
        await pilot.press("2")
        await confirm(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, RecordListScreen))
    master = models.Contact.get_by_id(nancy.id)
    assert (master.account_id, master.email) == (fabrikam.id, "n@f.com")
    assert models.Contact.get_by_id(twin.id).merged_into_id == nancy.id


@pytest.mark.asyncio
async def test_a_rep_is_told_no_before_anything_is_asked(ada: models.User, rep) -> None:
    mine = account(rep, "Litware")
    theirs = account(ada, "Litware Inc")
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(MergeScreen([mine.id, theirs.id], "account"))
        screen = await merge_screen(pilot, rows=False)
        await wait_until(pilot, lambda: "belongs to Ada Admin" in text(screen, "#result"))
        assert screen.query_one("#fields", DataTable).row_count == 0
        await pilot.press("f6")
        await pilot.pause()
        assert app.screen is screen  # nothing to confirm
    assert models.Account.get_by_id(theirs.id).merged_into_id is None


@pytest.mark.asyncio
async def test_a_record_deleted_in_another_session_is_said(ada: models.User) -> None:
    master, other = account(ada, "Tailspin"), account(ada, "Tailspin Toys")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(MergeScreen([master.id, other.id], "account"))
        screen = await merge_screen(pilot)
        models.delete_account(ada, other.id)  # meanwhile, elsewhere
        await confirm(pilot)
        await wait_until(pilot, lambda: "no longer exists" in text(screen, "#result"))
        assert app.screen is screen
    assert models.Account.get_by_id(master.id).merged_into_id is None


@pytest.mark.asyncio
async def test_the_merge_screen_fits_60x20(ada: models.User) -> None:
    contoso, fabrikam = account(ada, "Contoso Pharmaceuticals"), account(ada, "Fabrikam")
    nancy = contact(ada, "Anderson", first_name="Nancy", account=contoso.id, job_title="Buyer")
    twin = contact(ada, "Anderson-Whitfield", first_name="Nancy", account=fabrikam.id)
    app = make_app(ada)
    async with app.run_test(size=(60, 20)) as pilot:
        app.push_screen(MergeScreen([nancy.id, twin.id], "contact"))
        screen = await merge_screen(pilot)
        await pilot.pause()
        fields = screen.query_one("#fields", DataTable)
        assert fields.virtual_size.width <= fields.scrollable_content_region.width
        assert fields.scrollable_content_region.height >= 4  # rows to move through
        intro = screen.query_one("#intro", Static)
        assert intro.region.right <= 60 and intro.region.height >= 3  # said whole
        assert screen.query_one("#result").region.bottom <= 19  # above the footer
        await pilot.press("p", "f6")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        dialog = app.screen.query_one("#dialog")
        assert dialog.region.right <= 60 and dialog.region.bottom <= 20
        assert app.screen.query_one("#confirm").region.bottom <= 19  # the button is on screen


def test_snapshot_merge_two_contacts(ada: models.User, snap_compare) -> None:  # type: ignore[no-untyped-def]
    contoso, fabrikam = account(ada, "Contoso"), account(ada, "Fabrikam")
    nancy = contact(ada, "Anderson", first_name="Nancy", account=contoso.id, job_title="Buyer")
    twin = contact(ada, "Anderson", first_name="Nancy", account=fabrikam.id, email="n@f.com")

    async def run_before(pilot: Pilot) -> None:
        pilot.app.push_screen(MergeScreen([nancy.id, twin.id], "contact"))
        await merge_screen(pilot)
        await pilot.pause()

    assert snap_compare(make_app(ada), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.asyncio
async def test_a_merged_account_says_so_and_leads_to_the_master(ada: models.User) -> None:
    """Opened from a link or left open in another session while it was merged."""
    from textual.widgets import OptionList

    from tui.screens.records import AccountScreen

    master, other = account(ada, "Proseware"), account(ada, "Proseware Inc")
    models.merge_accounts(ada, master.id, other.id)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_account(other.id)
        await wait_until(pilot, lambda: isinstance(app.screen, AccountScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.record is not None)
        assert screen.sub_title == f"Account #{other.id} · merged into #{master.id}, read-only"
        await pilot.press("e")  # edit: refused before any form, saying where to go
        await wait_until(
            pilot, lambda: any("was merged into" in n.message for n in app._notifications)
        )
        assert isinstance(app.screen, AccountScreen)
        related = screen.query_one("#related", OptionList)
        assert related.get_option_at_index(related.highlighted).id == f"account:{master.id}"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.sub_title == f"Account #{master.id}")
