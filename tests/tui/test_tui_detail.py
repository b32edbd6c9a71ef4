"""The lead detail screen driven with Pilot: form editing and validation, the
read-only closed lead, the stage bar, notes and attachments, the existing
account/contact lookups, markup injection; snapshots at 80x24. Also the
model-level lookup queries (on SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TabbedContent, TextArea

import models
from models import Stage
from tui.app import LeadqApp
from tui.screens.lead_detail import DiscardChangesScreen, LeadDetailScreen
from tui.screens.records import OpportunityScreen
from tui.widgets.history import HistoryTable
from tui.widgets.lookup import LookupField, LookupScreen
from tui.widgets.notes_panel import NotesPanel
from tui.widgets.stage_bar import StageBar

from ..conftest import make_lead
from ..helpers import freeze_times, make_app, settle, wait_until

INJECTION = "[bold red]x[/] [@click=app.quit]y[/]"


async def open_lead(pilot: Pilot, lead_id: int) -> LeadDetailScreen:
    pilot.app.open_lead(lead_id)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, LeadDetailScreen))
    await settle(pilot)
    return pilot.app.screen  # type: ignore[return-value]


def field(screen: LeadDetailScreen, name: str):  # type: ignore[no-untyped-def]
    return screen.query_one(f"#f-{name}")


def error_text(screen: LeadDetailScreen, name: str) -> str:
    """The error shown under field `name` ("" if none; a field that never had an error
    has no error line)."""
    lines = screen.query(f"#err-{name}").results(Static)
    line = next(lines, None)
    return str(line.visual) if line is not None and line.has_class("visible") else ""


def fresh(lead_id: int) -> models.Lead:
    return models.Lead.get_by_id(lead_id)


# Editing.


@pytest.mark.asyncio
async def test_edit_and_save(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        job = field(screen, "job_title")
        job.focus()
        job.value = ""
        await pilot.press(*"CTO")
        field(screen, "purchase_timeframe").value = "this_quarter"
        field(screen, "estimated_budget").value = "12,500"
        field(screen, "decision_maker_identified").value = True
        field(screen, "status_reason").value = "contacted"
        assert screen.changes()
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = fresh(lead.id)
        assert saved.job_title == "CTO"
        assert saved.purchase_timeframe == "this_quarter"
        assert saved.estimated_budget == Decimal("12500")
        assert saved.decision_maker_identified is True
        assert saved.status_reason == "contacted"
        assert not screen.changes()
        assert "Changed" in saved.history()[0].summary
        # The stage bar follows what was saved.
        bar = screen.query_one(StageBar)
        assert bar.filled["purchase_timeframe"] and bar.filled["estimated_budget"]
        assert bar.filled_count == 3


@pytest.mark.asyncio
async def test_invalid_fields_show_inline_and_nothing_is_saved(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        field(screen, "job_title").value = "Would be saved if valid"
        field(screen, "email").value = "not-an-address"
        field(screen, "business_phone").value = "call me"
        field(screen, "topic").value = "   "
        field(screen, "estimated_budget").value = "-5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Email" in error_text(screen, "email")
        assert "Business phone" in error_text(screen, "business_phone")
        assert "required" in error_text(screen, "topic")
        assert "negative" in error_text(screen, "estimated_budget")
        assert error_text(screen, "job_title") == ""
        assert screen.query_one("#row-email").has_class("invalid")
        assert "Not saved" in str(screen.query_one("#form-error", Static).visual)
        # The user's input is kept, nothing reached the database.
        assert field(screen, "email").value == "not-an-address"
        assert field(screen, "job_title").value == "Would be saved if valid"
        saved = fresh(lead.id)
        assert saved.job_title == "Purchasing manager"
        assert saved.email == "nancy@contoso.com"
        assert [e.action for e in saved.history()] == ["created"]
        # Fixing the fields and saving again clears the errors.
        field(screen, "email").value = "n@contoso.com"
        field(screen, "business_phone").value = "+1 206 555 0100"
        field(screen, "topic").value = "Chairs"
        field(screen, "estimated_budget").value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_text(screen, "email") == ""
        assert fresh(lead.id).job_title == "Would be saved if valid"


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (170, 40)])
async def test_error_lines_are_made_under_the_fields_that_have_errors(
    ada: models.User, size: tuple[int, int]
) -> None:
    """The form has no error line until a field has an error: each is made under its
    field's row, and hidden (kept) once the field is fixed and saved."""
    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=size) as pilot:
        screen = await open_lead(pilot, lead.id)
        assert not screen.query(".field-error")
        field(screen, "email").value = "not-an-address"
        field(screen, "topic").value = "   "
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = list(screen.query_one("#form").children)
        lines = list(screen.query(".field-error"))
        assert sorted(line.id for line in lines) == ["err-email", "err-topic"]
        for name in ("email", "topic"):
            row, line = screen.query_one(f"#row-{name}"), screen.query_one(f"#err-{name}")
            assert form.index(line) == form.index(row) + 1
            assert line.has_class("visible") and row.has_class("invalid")
            if size[0] < 160:  # one column: the line is just under its row
                assert line.region.y == row.region.bottom
        assert "required" in error_text(screen, "topic")
        field(screen, "email").value = "n@contoso.com"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_text(screen, "email") == "" and "required" in error_text(screen, "topic")
        assert not screen.query_one("#row-email").has_class("invalid")
        field(screen, "topic").value = "Chairs"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [line for line in screen.query(".field-error") if line.display] == []
        assert fresh(lead.id).email == "n@contoso.com"


@pytest.mark.asyncio
async def test_unsaved_changes_are_guarded_on_leaving(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        field(screen, "city").value = "Seattle"
        screen.query_one("#detail-tabs Tabs").focus()
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, DiscardChangesScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        assert field(screen, "city").value == "Seattle"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DiscardChangesScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(app.screen, LeadDetailScreen))
        assert fresh(lead.id).city == "Redmond"


@pytest.mark.asyncio
async def test_back_without_changes_leaves_at_once(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lead(pilot, lead.id)
        await pilot.press("backspace")
        await wait_until(pilot, lambda: not isinstance(app.screen, LeadDetailScreen))


# Closed leads and the stage bar.


@pytest.mark.asyncio
async def test_closed_lead_is_read_only_with_a_banner(ada: models.User) -> None:
    lead = make_lead(ada)
    models.disqualify_lead(ada, lead.id, "lost")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        banner = str(screen.query_one("#banner", Static).visual)
        assert "Disqualified (Lost) by Ada Admin" in banner
        assert "press r to reactivate" in banner
        assert field(screen, "topic").disabled
        assert field(screen, "rating").disabled
        assert field(screen, "existing_account").disabled
        assert field(screen, "summary").read_only
        assert field(screen, "status_reason").value == "lost"
        # Save and qualify are not offered; typing a key does nothing.
        assert screen.check_action("save", ()) is False
        assert screen.check_action("qualify", ()) is False
        assert screen.check_action("reactivate", ()) is True
        await pilot.press("ctrl+s")
        await pilot.press("q")
        await settle(pilot)
        assert fresh(lead.id).state == "disqualified"
        assert isinstance(app.screen, LeadDetailScreen)
        # No notes can be added, and the panel says why.
        screen.query_one("#detail-tabs", TabbedContent).active = "tab-notes"
        await settle(pilot)
        notes = screen.query_one(NotesPanel)
        assert notes.has_class("-read-only")
        assert "reactivate it to add notes" in str(notes.query_one("#note-message", Static).visual)
        # Reactivating (as the flow does) opens the form again.
        models.reactivate_lead(ada, lead.id)
        app.data_changed()
        await settle(pilot)
        assert not field(screen, "topic").disabled
        assert not screen.query_one("#banner").has_class("visible")


def read_only_text(screen: LeadDetailScreen, name: str) -> str:
    from tui.screens.lead_detail import LeadReadOnly

    return screen.query_one(LeadReadOnly).value(name).plain


@pytest.mark.asyncio
async def test_a_closed_leads_values_wrap_beside_their_labels(ada: models.User) -> None:
    """The read-only view is a text per group of fields, not two widgets per field: each
    label in bold, its value beside it, a long value wrapped under the value's column,
    not under the label (a line break shown as a symbol, as before)."""
    from tui.screens.lead_detail import READ_LABEL_WIDTH, LeadReadOnly, ReadGroup

    topic = "A topic long enough to wrap " * 4
    closed = make_lead(ada, topic=topic.strip(), summary="First line\nsecond line")
    models.disqualify_lead(ada, closed.id, "lost")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, closed.id)
        await wait_until(pilot, lambda: bool(screen.query(LeadReadOnly)))
        await settle(pilot)
        read_only = screen.query_one(LeadReadOnly)
        groups = list(read_only.query(ReadGroup))
        assert len(groups) == 5 and len(read_only.query("*")) <= 2 * len(groups) + 3
        contact = groups[0].render()
        lines = contact.plain.split("\n")
        assert lines[0].startswith("Topic".ljust(READ_LABEL_WIDTH) + "A topic")
        first_name = next(i for i, line in enumerate(lines) if line.startswith("First name"))
        assert first_name > 1  # the topic took more than one line
        under = lines[1:first_name]
        assert all(
            line.startswith(" " * READ_LABEL_WIDTH) and line[READ_LABEL_WIDTH] != " "
            for line in under
        )
        shown = [lines[0][READ_LABEL_WIDTH:]] + [line[READ_LABEL_WIDTH:] for line in under]
        assert " ".join(part.strip() for part in shown) == topic.strip()
        assert groups[0].size.height == len(lines)
        assert [span.style for span in contact.spans if span.start == 0] == ["bold"]
        qualify = next(group for group in groups if "summary" in group.names)
        details = qualify.render().plain.split("\n")
        assert "Summary".ljust(READ_LABEL_WIDTH) + "First line␤second line" in details


@pytest.mark.asyncio
async def test_a_closed_lead_after_an_open_one_shows_its_values_as_text(ada: models.User) -> None:
    """The form is swapped for the lead's values as text (built when first needed);
    a key that would edit says the rule's sentence and changes nothing."""
    from tui.screens.lead_detail import LeadReadOnly

    open_one = make_lead(ada)
    closed = make_lead(
        ada,
        first_name="Ivo",
        last_name="Closed",
        email="ivo@contoso.com",
        rating="hot",
        decision_maker_identified=True,
        summary="Two lines:\nsecond line",
    )
    models.disqualify_lead(ada, closed.id, "lost")
    app = make_app(ada)
    said: list[str] = []  # every notification (shown ones expire on a slow machine)
    notify = app.notify
    app.notify = lambda message, **kw: (said.append(str(message)), notify(message, **kw))[1]  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_lead(pilot, open_one.id)
        assert not screen.query(LeadReadOnly)  # not built while no closed lead was shown
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LeadDetailScreen))
        assert await open_lead(pilot, closed.id) is screen  # the same screen, refilled
        await wait_until(pilot, lambda: bool(screen.query(LeadReadOnly)))
        await settle(pilot)
        read_only = screen.query_one(LeadReadOnly)
        assert read_only.display and not screen.query_one("#form").display
        assert read_only_text(screen, "last_name") == "Closed"
        assert read_only_text(screen, "rating") == "Hot"
        assert read_only_text(screen, "decision_maker_identified") == "Yes"
        assert read_only_text(screen, "status_reason") == "Lost"
        assert read_only_text(screen, "existing_account") == "—"
        assert "second line" in read_only_text(screen, "summary")
        # The hidden form holds the lead too, its fields disabled.
        assert field(screen, "last_name").value == "Closed"
        assert field(screen, "topic").disabled and field(screen, "summary").read_only
        # Editing keys: the rule's sentence, nothing typed anywhere, nothing saved.
        await pilot.press("e")
        await wait_until(pilot, lambda: read_only.has_focus)
        await pilot.press("x", "enter")
        await settle(pilot)
        sentence = models.lead_detail(closed.id).closed_message()
        assert said.count(sentence) == 3, said
        assert field(screen, "topic").value == "50 ergonomic chairs"
        assert fresh(closed.id).state == "disqualified"
        # Back to an open lead: the form again, editable, and typing reaches it.
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LeadDetailScreen))
        await open_lead(pilot, open_one.id)
        assert screen.query_one("#form").display and not read_only.display
        assert not field(screen, "topic").disabled and not field(screen, "summary").read_only
        await pilot.press("e")
        await wait_until(pilot, lambda: field(screen, "topic").has_focus)
        await pilot.press("!")
        assert field(screen, "topic").value == "50 ergonomic chairs!"


@pytest.mark.asyncio
async def test_the_form_restyled_while_a_closed_lead_hid_it_shows_enabled(
    ada: models.User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its fields are disabled without a restyle while hidden; a theme change meanwhile
    restyles them as disabled, so showing the form again restyles them."""
    monkeypatch.setenv("LEADQ_CONFIG_DIR", str(tmp_path))  # the theme is remembered there
    lead = make_lead(ada)
    models.disqualify_lead(ada, lead.id, "lost")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        topic = field(screen, "topic")
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await settle(pilot)
        assert topic.disabled
        models.reactivate_lead(ada, lead.id)
        app.data_changed()
        await wait_until(pilot, lambda: screen.query_one("#form").display)
        await settle(pilot)
        assert not topic.disabled
        shown = topic.styles.get_rules()
        app.stylesheet.update(topic)  # what Textual computes for it now
        assert topic.styles.get_rules() == shown


@pytest.mark.asyncio
async def test_notes_history_and_activities_are_composed_when_their_tab_is_first_shown(
    ada: models.User,
) -> None:
    from tui.widgets.activities_panel import ActivitiesPanel

    models.change_setting(ada, "lead_qualifying_process", True)
    lead = make_lead(ada)
    models.add_note(ada, lead, "Called on Monday")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        assert screen.view is not None
        for kind in (NotesPanel, HistoryTable, ActivitiesPanel):
            assert not screen.query(kind), kind  # not built with the screen
        assert screen.query_one("#detail-tabs", TabbedContent).get_tab("tab-activities").display
        # The tabs row: right shows Notes, composed then with the lead's notes.
        screen.query_one("#detail-tabs Tabs").focus()
        await pilot.press("right")
        await wait_until(pilot, lambda: bool(screen.query(NotesPanel)))
        await settle(pilot)
        notes = screen.query_one("#note-list", OptionList)
        assert "Called on Monday" in notes.get_option_at_index(0).prompt.plain  # type: ignore[union-attr]
        assert not screen.query(HistoryTable)
        # A key that needs a tab builds it: h shows the history, focused.
        await pilot.press("h")
        await wait_until(pilot, lambda: bool(screen.query(HistoryTable)))
        await settle(pilot)
        history = screen.query_one(HistoryTable)
        assert history.has_focus and history.event_count >= 2  # created, note added
        # Built panes follow what the screen reads next.
        models.add_note(ada, lead, "Second call")
        app.data_changed()
        await settle(pilot)
        assert "Second call" in notes.get_option_at_index(0).prompt.plain  # type: ignore[union-attr]
        await pilot.press("t")
        await wait_until(pilot, lambda: bool(screen.query(ActivitiesPanel)))
        await settle(pilot)
        assert screen.query_one("#detail-tabs", TabbedContent).active == "tab-activities"
        assert screen.query_one(ActivitiesPanel).feature_on


@pytest.mark.asyncio
async def test_the_header_shows_the_lead_with_the_view_not_a_frame_later(ada: models.User) -> None:
    """Textual's header follows the title in an async watcher (after the first frame,
    with a second layout of the screen); the lead's name is in it at once."""
    from textual.widgets._header import HeaderTitle

    first = make_lead(ada)
    second = make_lead(ada, first_name="Otto", last_name="Second", email="otto@contoso.com")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, first.id)
        title = screen.query_one(HeaderTitle)
        assert "Nancy Anderson" in title.visual.plain  # type: ignore[union-attr]
        screen.show_view(models.lead_detail(second.id))  # as a refill's view arrives
        assert "Otto Second" in title.visual.plain  # type: ignore[union-attr]
        assert screen.title == "Otto Second" and screen.sub_title == "50 ergonomic chairs"


@pytest.mark.asyncio
async def test_stage_bar_shows_filled_steps_then_develop_after_qualify(ada: models.User) -> None:
    lead = make_lead(ada, purchase_timeframe="this_year", summary="Wants chairs by May")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        bar = screen.query_one(StageBar)
        assert bar.active == Stage.QUALIFY
        assert bar.filled_count == 2
        text = bar.render().plain
        assert "● Qualify 2/7" in text
        assert "✓ Timeframe" in text and "✓ Summary" in text and "○ Budget" in text

        result = models.qualify_lead(ada, lead.id)
        app.data_changed()
        await settle(pilot)
        assert bar.active == Stage.DEVELOP
        assert "✓ Qualify" in bar.render().plain
        assert "● Develop" in bar.render().plain
        banner = str(screen.query_one("#banner", Static).visual)
        assert "Qualified by Ada Admin" in banner
        created = screen.query_one("#created-records", OptionList)
        ids = [created.get_option_at_index(i).id for i in range(created.option_count)]
        assert ids == [
            f"account:{result.account.id}",
            f"contact:{result.contact.id}",
            f"opportunity:{result.opportunity.id}",
        ]
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityScreen))
        assert app.screen.record_id == result.opportunity.id


@pytest.mark.asyncio
async def test_deleted_elsewhere_goes_back(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lead(pilot, lead.id)
        models.delete_lead(ada, lead.id)
        app.data_changed()
        await wait_until(pilot, lambda: not isinstance(app.screen, LeadDetailScreen))
        await wait_until(
            pilot, lambda: any("no longer exists" in n.message for n in app._notifications)
        )


# Notes.


async def compose_note(pilot: Pilot, screen: LeadDetailScreen, text: str, path: str) -> None:
    await pilot.press("n")
    await settle(pilot)
    area = screen.query_one("#note-text", TextArea)
    assert area.has_focus
    await pilot.press(*text)
    await pilot.press("tab")
    path_input = screen.query_one("#attach-path", Input)
    assert path_input.has_focus
    path_input.value = path
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.asyncio
async def test_notes_add_attach_and_save_back(ada: models.User, tmp_path: Path) -> None:
    lead = make_lead(ada)
    source = tmp_path / "quote.bin"
    payload = bytes(range(256)) * 10
    source.write_bytes(payload)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)

        # A missing file is an error; nothing is added and the text is kept.
        await compose_note(pilot, screen, "Sent the quote", str(tmp_path / "missing.pdf"))
        panel = screen.query_one(NotesPanel)
        message = panel.query_one("#note-message", Static)
        assert message.has_class("error")
        assert "There is no file" in str(message.visual)
        assert models.Note.select().count() == 0
        assert screen.query_one("#note-text", TextArea).text == "Sent the quote"

        screen.query_one("#attach-path", Input).value = str(source)
        await pilot.press("enter")
        await settle(pilot)
        note = models.Note.get()
        assert note.text == "Sent the quote"
        assert note.attachment_name == "quote.bin"
        assert bytes(note.attachment_data) == payload
        assert note.lead_id == lead.id and note.author_id == ada.id
        assert screen.query_one("#note-text", TextArea).text == ""
        notes = panel.query_one("#note-list", OptionList)
        prompt = notes.get_option_at_index(0).prompt.plain
        assert "Ada Admin" in prompt and "Sent the quote" in prompt
        assert "quote.bin (2.5 KB)" in prompt

        # Save it back to a path and compare the bytes.
        notes.focus()
        notes.highlighted = 0
        await pilot.press("s")
        await settle(pilot)
        save_path = panel.query_one("#save-path", Input)
        assert save_path.has_focus
        target = tmp_path / "out" / "copy.bin"
        save_path.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert "does not exist" in str(message.visual)  # the folder is missing
        target.parent.mkdir()
        await pilot.press("enter")
        await settle(pilot)
        assert target.read_bytes() == payload
        assert "Saved quote.bin" in str(message.visual)
        # The history records the note.
        assert "Added attachment quote.bin" in [e.summary for e in fresh(lead.id).history()]


@pytest.mark.asyncio
async def test_empty_note_is_refused(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        await pilot.press("n")
        await settle(pilot)
        await pilot.click("#add-note")
        await settle(pilot)
        message = screen.query_one("#note-message", Static)
        assert "Write something or attach a file" in str(message.visual)
        assert models.Note.select().count() == 0


# Lookups.


@pytest.mark.asyncio
async def test_lookup_sets_and_clears_the_existing_account(ada: models.User) -> None:
    fabrikam = models.Account.create(name="Fabrikam, Inc.", website="fabrikam.com")
    models.Account.create(name="Fourth Coffee")
    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        lookup = field(screen, "existing_account")
        lookup.focus()
        await pilot.press("enter")
        modal = await wait_lookup(pilot)
        await pilot.press(*"fab")
        await wait_until(pilot, lambda: [p.id for p in modal.picks] == [fabrikam.id])
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen)
        assert lookup.value == fabrikam.id
        assert "Fabrikam, Inc." in lookup.render().plain
        assert screen.changes() == {"existing_account": fabrikam.id}
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fresh(lead.id).existing_account_id == fabrikam.id
        assert screen.query_one(StageBar).filled["existing_account"]

        # Clearing the link from the lookup.
        lookup.focus()
        await pilot.press("enter")
        await wait_lookup(pilot)
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: app.screen is screen)
        assert lookup.value is None
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fresh(lead.id).existing_account_id is None


async def wait_lookup(pilot: Pilot) -> LookupScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, LookupScreen))
    modal = pilot.app.screen
    assert isinstance(modal, LookupScreen)
    await wait_until(pilot, lambda: modal.query_one("#lookup-status", Static).visual is not None)
    return modal


@pytest.mark.asyncio
async def test_lookup_sets_the_existing_contact_by_email(ada: models.User) -> None:
    contact = models.Contact.create(first_name="Yvonne", last_name="McKay", email="yvonne@x.com")
    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        lookup = screen.query_one("#f-existing_contact", LookupField)
        lookup.focus()
        await pilot.press("space")
        modal = await wait_lookup(pilot)
        await pilot.press(*"YVONNE@")
        await wait_until(pilot, lambda: [p.id for p in modal.picks] == [contact.id])
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fresh(lead.id).existing_contact_id == contact.id


def test_search_accounts_uses_prefixes_of_stored_keys(db: object) -> None:
    contoso = models.Account.create(name="Contoso Ltd.")
    models.Account.create(name="Contoso Pharmaceuticals")
    models.Account.create(name="Northwind Traders")
    names = [a.name for a in models.search_accounts("contoso")]
    assert names == ["Contoso Ltd.", "Contoso Pharmaceuticals"]
    assert [a.id for a in models.search_accounts("CONTOSO LTD")] == [contoso.id]
    assert [a.name for a in models.search_accounts("north")] == ["Northwind Traders"]
    assert models.search_accounts("zzz") == []
    assert len(models.search_accounts("")) == 3
    assert len(models.search_accounts("", limit=2)) == 2


def test_search_contacts_by_name_and_email(db: object) -> None:
    nancy = models.Contact.create(first_name="Nancy", last_name="Anderson", email="n@contoso.com")
    models.Contact.create(first_name="Nate", last_name="Ng", email="nate@fabrikam.com")
    assert [c.id for c in models.search_contacts("nancy a")] == [nancy.id]
    assert [c.last_name for c in models.search_contacts("na")] == ["Anderson", "Ng"]
    assert [c.id for c in models.search_contacts("N@Contoso")] == [nancy.id]
    assert models.search_contacts("anderson") == []  # prefix of the full name only


def test_lookup_queries_compare_keys_not_like(db: object) -> None:
    """The lookup is a range on the indexed key, which an index can answer."""
    from models.lookup import _prefix_range

    query = models.Account.select().where(_prefix_range(models.Account.name_key, "con"))
    sql, params = query.sql()
    assert "LIKE" not in sql.upper()
    assert ">=" in sql and "<" in sql
    assert params[:2] == ["con", "con\uffff"]


# Markup injection.


@pytest.mark.asyncio
async def test_markup_and_escapes_in_lead_data_render_literally(ada: models.User) -> None:
    lead = make_lead(
        ada, first_name=INJECTION, company="[@click=app.quit]Acme[/]", summary="a\x1b[2Jb"
    )
    models.add_note(ada, lead, "[bold]note[/bold] \x1b[31mred")
    app = make_app(ada)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_lead(pilot, lead.id)
        assert screen.title == f"{INJECTION} Anderson"
        assert field(screen, "first_name").value == INJECTION
        assert field(screen, "company").value == "[@click=app.quit]Acme[/]"
        assert field(screen, "summary").text == "a␛[2Jb"
        # The escape byte is shown, not saved over: the field is unchanged.
        assert "summary" not in screen.changes()
        svg = app.export_screenshot()
        assert "[bold&#160;red]x[/]" in svg or "[bold red]x[/]" in svg
        await pilot.press("n")
        await settle(pilot)
        prompt = screen.query_one("#note-list", OptionList).get_option_at_index(0).prompt
        assert "[bold]note[/bold] ␛[31mred" in prompt.plain
        assert not prompt.spans or all("red" not in str(s.style) for s in prompt.spans)
        await pilot.click("#f-company")
        await settle(pilot)
        assert app.is_running


# Snapshots (80x24, fixed data and times).


def _open_after(lead_id: int, keys: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await open_lead(pilot, lead_id)
        # Blinking off before a key can focus a text area: switched off during the
        # blink's hidden phase, a TextArea keeps its cursor-less line from its cache.
        for area in pilot.app.screen.query(TextArea):
            area.cursor_blink = False
        for key in keys:
            await pilot.press(key)
        if "n" in keys:  # the composer takes the focus once the Notes pane is shown
            await wait_until(
                pilot, lambda: pilot.app.focused is not None and pilot.app.focused.id == "note-text"
            )
        await settle(pilot)
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        for area in pilot.app.screen.query(TextArea):
            area.cursor_blink = False
        await settle(pilot)

    return run_before


def _snapshot_lead(ada: models.User) -> models.Lead:
    lead = make_lead(
        ada,
        purchase_timeframe="this_quarter",
        estimated_budget="25000",
        decision_maker_identified=True,
        rating="hot",
        lead_source="trade_show",
    )
    models.add_note(ada, lead, "Met at the trade show; wants a quote.", ("brief.txt", b"x" * 2048))
    return lead


def test_snapshot_lead_detail_open(ada: models.User, snap_compare) -> None:  # type: ignore[no-untyped-def]
    lead = _snapshot_lead(ada)
    freeze_times()
    app: LeadqApp = make_app(ada)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open_after(lead.id))


def test_snapshot_lead_detail_closed(ada: models.User, snap_compare) -> None:  # type: ignore[no-untyped-def]
    lead = _snapshot_lead(ada)
    models.qualify_lead(ada, lead.id)
    freeze_times()
    app = make_app(ada)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open_after(lead.id))


def test_snapshot_lead_notes(ada: models.User, snap_compare) -> None:  # type: ignore[no-untyped-def]
    lead = _snapshot_lead(ada)
    freeze_times()
    app = make_app(ada)
    run_before = _open_after(lead.id, ("n",))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_lead_history(ada: models.User, snap_compare) -> None:  # type: ignore[no-untyped-def]
    lead = _snapshot_lead(ada)
    models.update_lead(ada, lead.id, {"city": "Seattle"})
    freeze_times()
    app = make_app(ada)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open_after(lead.id, ("h",)))


def test_snapshot_lookup_modal(ada: models.User, snap_compare) -> None:  # type: ignore[no-untyped-def]
    models.Account.create(name="Contoso Ltd.", city="Redmond", website="contoso.com")
    models.Account.create(name="Contoso Pharmaceuticals", city="Basel")
    models.Account.create(name="Fabrikam, Inc.", city="Lyon")
    lead = make_lead(ada)
    freeze_times()
    app = make_app(ada)

    async def run_before(pilot: Pilot) -> None:
        screen = await open_lead(pilot, lead.id)
        field(screen, "existing_account").focus()
        await pilot.press("enter")
        modal = await wait_lookup(pilot)
        await pilot.press(*"cont")
        await wait_until(pilot, lambda: len(modal.picks) == 2)
        modal.query_one(Input).cursor_blink = False
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# The lead actions started from the detail screen (the flows are tui/flows/lead_actions.py).


@pytest.mark.asyncio
async def test_qualify_from_the_detail_saves_edits_first_then_shows_the_closed_lead(
    ada: models.User,
) -> None:
    from tui.screens.qualify_result import QualifyResultScreen

    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        field(screen, "summary").load_text("Ready to buy")
        screen.query_one("#detail-tabs Tabs").focus()
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, QualifyResultScreen))
        qualified = fresh(lead.id)
        assert qualified.state == "qualified"
        assert qualified.summary == "Ready to buy"  # saved before qualifying
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await settle(pilot)
        assert screen.query_one("#banner").has_class("visible")
        assert field(screen, "topic").disabled
        assert screen.query_one(StageBar).active == Stage.DEVELOP


@pytest.mark.asyncio
async def test_qualify_is_not_started_while_the_form_is_invalid(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        field(screen, "email").value = "nope"
        screen.query_one("#detail-tabs Tabs").focus()
        await pilot.press("q")
        await settle(pilot)
        assert app.screen is screen
        assert "Email" in error_text(screen, "email")
        assert fresh(lead.id).state == "open"


@pytest.mark.asyncio
async def test_reactivate_from_the_detail_reopens_the_form(ada: models.User) -> None:
    from tui.screens.confirm import ConfirmScreen

    lead = make_lead(ada)
    models.disqualify_lead(ada, lead.id, "canceled")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lead(pilot, lead.id)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: fresh(lead.id).state == "open")
        await wait_until(
            pilot, lambda: app.screen is screen and not field(screen, "topic").disabled
        )
        assert not screen.query_one("#banner").has_class("visible")
        assert field(screen, "status_reason").value == "new"


def test_notes_to_show_reads_sizes_not_bytes(db: object) -> None:
    ada = models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    lead = make_lead(ada)
    models.add_note(ada, lead, "first")
    models.add_note(ada, lead, "", ("a.bin", b"\x00" * 3000))
    notes = models.notes_to_show(lead)
    assert [n.text for n in notes] == ["", "first"]  # newest first
    assert notes[0].attachment_bytes == 3000 and notes[0].attachment_data is None
    assert notes[1].attachment_bytes is None
    assert notes[0].author.full_name == "Ada Admin"
    result = models.qualify_lead(ada, lead.id)
    models.add_note(ada, result.opportunity, "own")
    on_opportunity = models.notes_to_show(result.opportunity)
    assert [n.is_from_lead_of(result.opportunity) for n in on_opportunity] == [False, True, True]
    events = models.history_to_show("lead", lead.id)
    assert events[0].action == "qualified" and events[-1].action == "created"
    assert events[0].actor.full_name == "Ada Admin"


@pytest.mark.asyncio
async def test_the_wide_form_shows_each_group_title_across_both_columns(
    admin: models.User,
) -> None:
    """At 160 columns and more the form is a grid of two columns: each group's title is
    shown (a grid cell's height left out the title's top margin, so it had none) and
    starts its own row at the left, after a group of an odd number of fields too
    (Textual's grid put a title that came in the second column there, cut in half)."""
    lead = make_lead(admin)
    app = make_app(admin)
    async with app.run_test(size=(180, 45)) as pilot:
        await settle(pilot)
        app.open_lead(lead.id)
        await wait_until(pilot, lambda: isinstance(app.screen, LeadDetailScreen))
        await settle(pilot)
        screen = app.screen
        assert screen.has_class("-wide")
        form = screen.query_one("#form")
        titles = list(screen.query("#form > .group-title"))
        assert [str(t.render()) for t in titles] == [t for t, _ in models.LEAD_FORM_GROUPS]
        for title in titles:
            assert title.region.height >= 1, str(title.render())
            assert title.region.x == form.content_region.x, str(title.render())
            assert title.region.width > form.content_region.width * 3 // 4  # both columns
        topic = screen.query_one("#row-topic").region
        assert topic.y > titles[0].region.y  # each group's rows come after its title
