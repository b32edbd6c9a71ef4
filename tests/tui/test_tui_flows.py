"""The lead action flows driven through the TUI with Pilot: qualify (one and
many), the duplicate picker in both experiences, disqualify, reactivate, delete."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.app import ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Footer, Header, Select, Static

import models
import tui.app
from tui.app import LeadqApp
from tui.screens.bulk_qualify import BulkQualifyScreen
from tui.screens.confirm import ConfirmScreen, MessageScreen
from tui.screens.disqualify_dialog import DisqualifyDialog
from tui.screens.duplicate_picker import DuplicatePicker, MatchList
from tui.screens.qualify_dialog import QualifyDialog
from tui.screens.qualify_result import QualifyResultScreen

from ..conftest import make_lead
from ..helpers import make_app, settle, wait_for_screen, wait_until

INJECTION = "[bold red]x[/] [@click=app.quit]y[/]"


def screen_text(screen: Screen) -> str:
    """All the text the screen's Static widgets show, as plain text."""
    return "\n".join(str(w.visual) for w in screen.query(Static))


def lead(lead_id: int) -> models.Lead:
    return models.Lead.get_by_id(lead_id)


def existing_contoso(owner: models.User) -> tuple[models.Account, models.Contact]:
    """An account and contact the default test lead (Nancy at Contoso) matches."""
    account = models.Account.create(
        name="Contoso Ltd",
        website="https://contoso.com",
        phone="+1 206 555 0100",
        city="Redmond",
        country="United States",
        owner=owner,
    )
    contact = models.Contact.create(
        first_name="Nancy",
        last_name="Anderson",
        email="nancy@contoso.com",
        phone="+1 206 555 0142",
        account=account,
        owner=owner,
    )
    return account, contact


# Qualify one lead -------------------------------------------------------------


@pytest.mark.asyncio
async def test_qualify_with_auto_create_on_creates_all_three(rep: models.User) -> None:
    nancy = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        result = await wait_for_screen(pilot, QualifyResultScreen)
        text = screen_text(result)
        assert "Created account Contoso Ltd." in text
        assert "Created opportunity 50 ergonomic chairs" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, QualifyResultScreen))
    qualified = lead(nancy.id)
    assert qualified.state == models.LeadState.QUALIFIED
    assert qualified.account_id and qualified.contact_id
    assert qualified.opportunity() is not None


@pytest.mark.asyncio
async def test_qualify_with_auto_create_off_honours_the_modal(
    admin: models.User, rep: models.User
) -> None:
    models.change_setting(admin, "auto_create_on_qualify", False)
    nancy = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        dialog = await wait_for_screen(pilot, QualifyDialog)
        # Account: yes (focused first). Contact: no. Opportunity: toggled off with "o".
        await pilot.press("down", "n", "o")
        assert dialog.choice() == models.QualifyChoice(True, False, False)
        await pilot.press("enter")
        result = await wait_for_screen(pilot, QualifyResultScreen)
        assert "Created account Contoso Ltd." in screen_text(result)
    qualified = lead(nancy.id)
    assert qualified.state == models.LeadState.QUALIFIED
    assert qualified.account_id is not None
    assert qualified.contact_id is None
    assert qualified.opportunity() is None
    assert qualified.stage == models.Stage.QUALIFY


@pytest.mark.asyncio
async def test_cancelling_the_qualify_modal_changes_nothing(
    admin: models.User, rep: models.User
) -> None:
    models.change_setting(admin, "auto_create_on_qualify", False)
    nancy = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        await wait_for_screen(pilot, QualifyDialog)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, QualifyDialog))
        await app.workers.wait_for_complete()
    assert lead(nancy.id).state == models.LeadState.OPEN


@pytest.mark.asyncio
async def test_result_dialog_opens_the_created_opportunity(rep: models.User) -> None:
    nancy = make_lead(rep)
    app = make_app(rep)
    opened: list[tuple[str, int]] = []
    app.open_opportunity = lambda i: opened.append(("opportunity", i))  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        await wait_for_screen(pilot, QualifyResultScreen)
        await pilot.press("o")
        await wait_until(pilot, lambda: bool(opened))
    assert opened == [("opportunity", lead(nancy.id).opportunity().id)]


@pytest.mark.asyncio
async def test_qualify_refused_without_company_is_shown(rep: models.User) -> None:
    nancy = make_lead(rep, company="")
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        message = await wait_for_screen(pilot, MessageScreen)
        assert "An account needs a company name" in screen_text(message)
        assert message.dialog_title == "Cannot qualify"
    assert lead(nancy.id).state == models.LeadState.OPEN


@pytest.mark.asyncio
async def test_qualifying_a_closed_lead_names_who_closed_it(rep: models.User) -> None:
    nancy = make_lead(rep)
    models.qualify_lead(rep, nancy.id)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        message = await wait_for_screen(pilot, MessageScreen)
        assert message.dialog_title == "Lead already closed"
        assert "qualified by Riley Rep" in screen_text(message)


# Duplicate picker ---------------------------------------------------------------


@pytest.mark.asyncio
async def test_improved_experience_links_the_selected_records(rep: models.User) -> None:
    account, contact = existing_contoso(rep)
    nancy = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        picker = await wait_for_screen(pilot, DuplicatePicker)
        assert picker.improved
        text = screen_text(picker)
        assert "Account or contact may already exist" in picker.query_one("#dialog").border_title
        accounts = picker.query_one("#accounts", MatchList)
        contacts = picker.query_one("#contacts", MatchList)
        assert "same account name" in str(accounts.get_option_at_index(0).prompt)
        assert "same email" in str(contacts.get_option_at_index(0).prompt)
        assert "Qualifying Nancy Anderson" in text
        # Enter selects the highlighted account and moves on to the contacts.
        await pilot.press("enter")
        assert accounts.selected_id == account.id
        await pilot.press("space")
        assert contacts.selected_id == contact.id
        await pilot.press("c")
        result = await wait_for_screen(pilot, QualifyResultScreen)
        assert "Linked account Contoso Ltd" in screen_text(result)
    qualified = lead(nancy.id)
    assert qualified.account_id == account.id
    assert qualified.contact_id == contact.id
    assert models.Account.select().count() == 1
    assert models.Contact.select().count() == 1


@pytest.mark.asyncio
async def test_improved_experience_ignore_and_save_creates_new(rep: models.User) -> None:
    existing_contoso(rep)
    nancy = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        await wait_for_screen(pilot, DuplicatePicker)
        await pilot.press("i")
        result = await wait_for_screen(pilot, QualifyResultScreen)
        assert "Created account Contoso Ltd." in screen_text(result)
    assert models.Account.select().count() == 2
    assert models.Contact.select().count() == 2
    assert lead(nancy.id).state == models.LeadState.QUALIFIED


@pytest.mark.asyncio
async def test_improved_continue_needs_a_selection(rep: models.User) -> None:
    existing_contoso(rep)
    nancy = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        picker = await wait_for_screen(pilot, DuplicatePicker)
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is picker
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, DuplicatePicker))
        await app.workers.wait_for_complete()
    assert lead(nancy.id).state == models.LeadState.OPEN


@pytest.mark.asyncio
async def test_classic_warning_links_the_picked_account(
    admin: models.User, rep: models.User
) -> None:
    models.change_setting(admin, "improved_duplicate_experience", False)
    account, _ = existing_contoso(rep)
    nancy = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        picker = await wait_for_screen(pilot, DuplicatePicker)
        assert picker.query_one("#dialog").border_title == "Duplicate warning"
        accounts = picker.query_one("#accounts", Select)
        contacts = picker.query_one("#contacts", Select)
        assert accounts.is_blank() and contacts.is_blank()
        # Open the account list, take the (only) match; leave the contact blank.
        await pilot.press("enter", "down", "enter")
        assert accounts.value == account.id
        assert "same account name" in str(picker.query_one("#account-details", Static).visual)
        await pilot.press("c")
        result = await wait_for_screen(pilot, QualifyResultScreen)
        text = screen_text(result)
        assert "Linked account Contoso Ltd" in text
        assert "Created contact Nancy Anderson" in text
    qualified = lead(nancy.id)
    assert qualified.account_id == account.id
    assert models.Contact.select().count() == 2


@pytest.mark.asyncio
async def test_classic_warning_blank_creates_new(admin: models.User, rep: models.User) -> None:
    models.change_setting(admin, "improved_duplicate_experience", False)
    existing_contoso(rep)
    nancy = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        await wait_for_screen(pilot, DuplicatePicker)
        await pilot.press("c")
        await wait_for_screen(pilot, QualifyResultScreen)
    assert models.Account.select().count() == 2
    assert models.Contact.select().count() == 2


@pytest.mark.asyncio
async def test_picker_renders_markup_in_names_literally(rep: models.User) -> None:
    models.Account.create(name=INJECTION, phone="+1 206 555 0142", owner=rep)
    nancy = make_lead(rep, first_name="[b]Nan[/b]", company="Other Co")
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        picker = await wait_for_screen(pilot, DuplicatePicker)
        prompt = picker.query_one("#accounts", MatchList).get_option_at_index(0).prompt
        assert INJECTION in str(prompt)
        assert "[b]Nan[/b] Anderson" in screen_text(picker)
        # Clicking where the injected link is must not quit the app.
        await pilot.click(MatchList, offset=(10, 0))
        await settle(pilot)
        assert app.is_running
        assert app.screen is picker


def lead_with_open_required_activity(admin: models.User, owner: models.User) -> models.Lead:
    """A lead whose qualifying process has a required activity still open."""
    models.change_setting(admin, "lead_qualifying_process", True)
    process = models.create_process(admin, "Enterprise deals")
    level = models.add_level(admin, process.id, "Discovery")
    models.add_activity(admin, level.id, purpose="Budget call", required=True)
    blocked = make_lead(owner, first_name="Bo", email="bo@contoso.com")
    models.assign_process(admin, blocked.id, process.id)
    return blocked


@pytest.mark.asyncio
async def test_open_required_activities_block_qualify(admin: models.User, rep: models.User) -> None:
    blocked = lead_with_open_required_activity(admin, rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([blocked.id])
        message = await wait_for_screen(pilot, MessageScreen)
        assert message.dialog_title == "Required activities are open"
        assert "Budget call" in screen_text(message)
    assert lead(blocked.id).state == models.LeadState.OPEN


# Qualify multiple ---------------------------------------------------------------


@pytest.mark.asyncio
async def test_qualify_multiple_queues_duplicates_to_the_picker(rep: models.User) -> None:
    account, _ = existing_contoso(rep)
    plain = make_lead(
        rep,
        first_name="Paul",
        last_name="Plain",
        email="paul@fabrikam.com",
        company="Fabrikam",
        website="fabrikam.com",
        business_phone="+1 425 555 0100",
        mobile_phone="",
    )
    dup_linked = make_lead(rep)
    dup_skipped = make_lead(rep, topic="Second chairs order")
    no_company = make_lead(
        rep,
        first_name="Ned",
        last_name="Nocompany",
        email="ned@x.org",
        company="",
        website="",
        business_phone="",
        mobile_phone="",
    )
    ids = [plain.id, dup_linked.id, dup_skipped.id, no_company.id]
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify(ids)
        picker = await wait_for_screen(pilot, DuplicatePicker)
        assert picker.position == (1, 2)
        bulk = app.screen_stack[-2]
        assert isinstance(bulk, BulkQualifyScreen)
        assert bulk.query_one("#progress").progress == len(ids)
        await pilot.press("enter")  # select the matched account
        await pilot.press("c")
        picker2 = await wait_until_new_picker(pilot, picker)
        assert picker2.position == (2, 2)
        await pilot.press("s")  # skip this lead
        await wait_until(pilot, lambda: isinstance(app.screen, BulkQualifyScreen))
        await wait_until(pilot, lambda: app.screen.done)
        rows = {row.lead_id: row for row in app.screen.rows}
        assert [r.lead_id for r in app.screen.rows] == ids
        assert rows[plain.id].outcome == "qualified"
        assert "Created account Fabrikam" in rows[plain.id].message
        assert rows[dup_linked.id].outcome == "linked"
        assert "Linked account Contoso Ltd" in rows[dup_linked.id].message
        assert rows[dup_skipped.id].outcome == "skipped"
        assert rows[no_company.id].outcome == "failed"
        assert "company name" in rows[no_company.id].message
        summary = screen_text(app.screen)
        assert "1 qualified · 1 linked to existing · 1 skipped · 1 failed" in summary
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, BulkQualifyScreen))
    assert lead(dup_linked.id).account_id == account.id
    assert lead(dup_skipped.id).state == models.LeadState.OPEN
    assert lead(plain.id).state == models.LeadState.QUALIFIED


async def wait_until_new_picker(pilot: Pilot, old: Screen) -> DuplicatePicker:
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, DuplicatePicker) and pilot.app.screen is not old
    )
    return pilot.app.screen  # type: ignore[return-value]


@pytest.mark.asyncio
async def test_qualify_multiple_skip_all(admin: models.User, rep: models.User) -> None:
    models.change_setting(admin, "auto_create_on_qualify", False)
    existing_contoso(rep)
    first = make_lead(rep)
    second = make_lead(rep, topic="Second order")
    blocked = lead_with_open_required_activity(admin, rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([first.id, second.id, blocked.id])
        dialog = await wait_for_screen(pilot, QualifyDialog)
        assert "3 leads" in screen_text(dialog)
        await pilot.press("enter")
        await wait_for_screen(pilot, DuplicatePicker)
        await pilot.press("S")
        await wait_until(
            pilot, lambda: isinstance(app.screen, BulkQualifyScreen) and app.screen.done
        )
        assert [r.outcome for r in app.screen.rows] == ["skipped", "skipped", "blocked"]
        assert "Budget call" in app.screen.rows[2].message
    assert lead(first.id).state == models.LeadState.OPEN
    assert lead(second.id).state == models.LeadState.OPEN


@pytest.mark.asyncio
async def test_bulk_qualify_keeps_the_ui_live_while_it_runs(
    rep: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch runs in a thread: the progress bar moves (via call_from_thread) and
    keys are handled while the service is still working (it waits until released)."""
    leads = [
        make_lead(
            rep,
            first_name=f"Lee{i}",
            company=f"Co {i}",
            email=f"lee{i}@co{i}.example",
            website=f"co{i}.example",
            business_phone=f"+1 206 555 010{i}",
        )
        for i in range(2)
    ]
    release = threading.Event()
    real_qualify_leads = models.qualify_leads

    def slow_qualify_leads(actor, lead_ids, choice=None, progress=None):
        progress(1, len(lead_ids))
        assert release.wait(30), "the test never released the batch"
        return real_qualify_leads(actor, lead_ids, choice, progress)

    monkeypatch.setattr(models, "qualify_leads", slow_qualify_leads)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([lead.id for lead in leads])
        bulk = await wait_for_screen(pilot, BulkQualifyScreen)
        await wait_until(pilot, lambda: bulk.query_one("#progress").progress == 1)
        # While the service is blocked the event loop still handles keys (a blocked
        # loop would hang here): tab moves the focus off the summary and back.
        assert bulk.focused is not None
        await pilot.press("escape", "tab")
        assert app.screen is bulk and not bulk.done  # escape cannot close it mid-run
        release.set()
        await wait_until(pilot, lambda: bulk.done)
        assert [row.outcome for row in bulk.rows] == ["qualified", "qualified"]


# Disqualify, reactivate, delete ----------------------------------------------------


@pytest.mark.asyncio
async def test_disqualify_with_a_reason(rep: models.User) -> None:
    nancy = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.disqualify([nancy.id])
        dialog = await wait_for_screen(pilot, DisqualifyDialog)
        assert "Nancy Anderson" in screen_text(dialog)
        await pilot.press("3", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, DisqualifyDialog))
        await app.workers.wait_for_complete()
    closed = lead(nancy.id)
    assert closed.state == models.LeadState.DISQUALIFIED
    assert closed.status_reason == models.StatusReason.NO_LONGER_INTERESTED


@pytest.mark.asyncio
async def test_disqualify_refused_when_an_opportunity_exists(rep: models.User) -> None:
    nancy = make_lead(rep)
    models.qualify_lead(rep, nancy.id)
    models.reactivate_lead(rep, nancy.id)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.disqualify([nancy.id])
        # Said before any dialog asks for a reason (the rules already know).
        message = await wait_for_screen(pilot, MessageScreen)
        assert message.dialog_title == "Cannot disqualify"
        assert "opportunity '50 ergonomic chairs' is associated" in screen_text(message)
    assert lead(nancy.id).state == models.LeadState.OPEN


@pytest.mark.asyncio
async def test_disqualify_several_reports_each_lead(rep: models.User) -> None:
    free = make_lead(rep, first_name="Fay")
    with_opportunity = make_lead(rep, first_name="Olga")
    models.qualify_lead(rep, with_opportunity.id)
    models.reactivate_lead(rep, with_opportunity.id)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.disqualify([free.id, with_opportunity.id])
        dialog = await wait_for_screen(pilot, DisqualifyDialog)
        assert "2 leads" in screen_text(dialog)
        await pilot.press("1", "enter")
        message = await wait_for_screen(pilot, MessageScreen)
        text = screen_text(message)
        assert "Fay Anderson: Disqualified (Lost)" in text
        assert "Olga Anderson: This lead cannot be disqualified" in text
    assert lead(free.id).status_reason == models.StatusReason.LOST
    assert lead(with_opportunity.id).state == models.LeadState.OPEN


@pytest.mark.asyncio
async def test_reactivate_after_confirmation(rep: models.User) -> None:
    nancy = make_lead(rep)
    models.disqualify_lead(rep, nancy.id, models.StatusReason.LOST)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.reactivate(nancy.id)
        confirm = await wait_for_screen(pilot, ConfirmScreen)
        assert "Reactivate Nancy Anderson?" in screen_text(confirm)
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await app.workers.wait_for_complete()
    assert lead(nancy.id).state == models.LeadState.OPEN


@pytest.mark.asyncio
async def test_delete_asks_first_and_deletes_notes(rep: models.User) -> None:
    nancy = make_lead(rep)
    models.add_note(rep, nancy, "call back", ("notes.txt", b"hello"))
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.delete([nancy.id])
        confirm = await wait_for_screen(pilot, ConfirmScreen)
        text = screen_text(confirm)
        assert "Delete Nancy Anderson?" in text
        assert "notes and attachments are deleted too" in text
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await app.workers.wait_for_complete()
        assert models.Lead.get_or_none(models.Lead.id == nancy.id) is not None
        app.delete([nancy.id])
        await wait_for_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await app.workers.wait_for_complete()
    assert models.Lead.get_or_none(models.Lead.id == nancy.id) is None
    assert models.Note.select().count() == 0


@pytest.mark.asyncio
async def test_delete_permission_denied_is_shown(admin: models.User, rep: models.User) -> None:
    theirs = make_lead(admin)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.delete([theirs.id])
        # Said before the confirmation (the rules already know).
        message = await wait_for_screen(pilot, MessageScreen)
        assert message.dialog_title == "Cannot delete"
        assert "Only the owner" in screen_text(message)
    assert models.Lead.get_or_none(models.Lead.id == theirs.id) is not None


# Snapshots (80x24) ------------------------------------------------------------------


class HostScreen(Screen):
    """A blank main screen, so dialog snapshots do not depend on the lead list."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("leadq", id="placeholder")
        yield Footer()


class DialogHost(LeadqApp):
    CSS_PATH = Path(tui.app.__file__).with_name("app.tcss")

    def get_default_screen(self) -> Screen:  # type: ignore[override]
        return HostScreen()


def host(user: models.User) -> DialogHost:
    return DialogHost(user_id=user.id, poll=False)


def start(action: Callable[[LeadqApp], None], kind: type[Screen], *keys: str):
    """A run_before that starts a flow, waits for its dialog and presses `keys`."""

    async def run_before(pilot: Pilot) -> None:
        action(pilot.app)  # type: ignore[arg-type]
        await wait_for_screen(pilot, kind)
        if keys:
            await pilot.press(*keys)
        await settle(pilot)

    return run_before


class TestSnapshots:
    def test_qualify_modal(self, snap_compare, admin: models.User, rep: models.User) -> None:
        models.change_setting(admin, "auto_create_on_qualify", False)
        nancy = make_lead(rep)
        run_before = start(lambda app: app.qualify([nancy.id]), QualifyDialog, "down", "n")
        assert snap_compare(host(rep), terminal_size=(80, 24), run_before=run_before)

    def test_improved_picker(self, snap_compare, rep: models.User) -> None:
        existing_contoso(rep)
        models.Account.create(name="Contoso", phone="+1 425 555 0199", city="Bellevue", owner=rep)
        nancy = make_lead(rep)
        run_before = start(lambda app: app.qualify([nancy.id]), DuplicatePicker, "enter")
        assert snap_compare(host(rep), terminal_size=(80, 24), run_before=run_before)

    def test_classic_picker(self, snap_compare, admin: models.User, rep: models.User) -> None:
        models.change_setting(admin, "improved_duplicate_experience", False)
        existing_contoso(rep)
        nancy = make_lead(rep)
        run_before = start(
            lambda app: app.qualify([nancy.id]), DuplicatePicker, "enter", "down", "enter"
        )
        assert snap_compare(host(rep), terminal_size=(80, 24), run_before=run_before)

    def test_picker_with_markup_names(self, snap_compare, rep: models.User) -> None:
        models.Account.create(name=INJECTION, phone="+1 206 555 0142", owner=rep)
        nancy = make_lead(rep, first_name="[b]Nan[/b]", company="Other Co")
        run_before = start(lambda app: app.qualify([nancy.id]), DuplicatePicker)
        assert snap_compare(host(rep), terminal_size=(80, 24), run_before=run_before)

    def test_result_dialog(self, snap_compare, rep: models.User) -> None:
        nancy = make_lead(rep)
        run_before = start(lambda app: app.qualify([nancy.id]), QualifyResultScreen)
        assert snap_compare(host(rep), terminal_size=(80, 24), run_before=run_before)

    def test_bulk_progress(self, snap_compare, rep: models.User) -> None:
        async def run_before(pilot: Pilot) -> None:
            screen = BulkQualifyScreen(4)
            await pilot.app.push_screen(screen)
            screen.set_progress(2, 4)
            await settle(pilot)

        assert snap_compare(host(rep), terminal_size=(80, 24), run_before=run_before)

    def test_bulk_summary(self, snap_compare, rep: models.User) -> None:
        existing_contoso(rep)
        plain = make_lead(
            rep,
            first_name="Paul",
            last_name="Plain",
            email="paul@fabrikam.com",
            company="Fabrikam",
            website="fabrikam.com",
            business_phone="+1 425 555 0100",
            mobile_phone="",
        )
        dup = make_lead(rep)
        no_company = make_lead(
            rep,
            first_name="Ned",
            company="",
            email="ned@x.org",
            website="",
            business_phone="",
            mobile_phone="",
        )
        ids = [plain.id, dup.id, no_company.id]

        async def run_before(pilot: Pilot) -> None:
            pilot.app.qualify(ids)  # type: ignore[attr-defined]
            await wait_for_screen(pilot, DuplicatePicker)
            await pilot.press("s")
            await wait_until(
                pilot,
                lambda: isinstance(pilot.app.screen, BulkQualifyScreen) and pilot.app.screen.done,
            )
            await settle(pilot)

        assert snap_compare(host(rep), terminal_size=(80, 24), run_before=run_before)

    def test_disqualify_dialog(self, snap_compare, rep: models.User) -> None:
        nancy = make_lead(rep)
        run_before = start(lambda app: app.disqualify([nancy.id]), DisqualifyDialog, "2")
        assert snap_compare(host(rep), terminal_size=(80, 24), run_before=run_before)

    def test_delete_confirm_dialog(self, snap_compare, rep: models.User) -> None:
        ids = [make_lead(rep, first_name=name).id for name in ("Ann", "Bea", "[red]Cy[/]")]
        run_before = start(lambda app: app.delete(ids), ConfirmScreen)
        assert snap_compare(host(rep), terminal_size=(80, 24), run_before=run_before)

    def test_disqualify_refused_message(self, snap_compare, rep: models.User) -> None:
        nancy = make_lead(rep)
        models.qualify_lead(rep, nancy.id)
        models.reactivate_lead(rep, nancy.id)
        # Said before the reason dialog opens.
        run_before = start(lambda app: app.disqualify([nancy.id]), MessageScreen)

        async def then_wait(pilot: Pilot) -> None:
            await run_before(pilot)
            await settle(pilot)

        assert snap_compare(host(rep), terminal_size=(80, 24), run_before=then_wait)
