"""Account, contact and opportunity views: fields, related records, notes, history.

They exist so that what qualifying created or linked (and the notes carried
over from the lead) can be seen. Related records open on enter. The
opportunity's stage bar moves forward with `]` (or ctrl+right) and back with
`[` (or ctrl+left). Each view reloads on `app.data_version` and goes back,
saying so, when its record has been deleted.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

import models
from models import (
    Account,
    AuditEvent,
    Contact,
    LeadState,
    Opportunity,
    Stage,
    account_label,
    contact_label,
)

from ..widgets.history import HistoryTable, when
from ..widgets.literal import literal, printable
from ..widgets.notes_panel import NotesPanel
from ..widgets.stage_bar import StageBar

Field = tuple[str, object]
Related = tuple[str, str, int, str]  # (heading, kind, id, label)


def money(value: object) -> str:
    return "" if value is None else f"{value:,.2f}"


def fields_content(fields: list[Field]) -> Content:
    """`Label  value` lines; values are user data, so literal."""
    lines = []
    for label, value in fields:
        text = value if isinstance(value, str) else ("" if value is None else str(value))
        lines.append(
            Content.assemble(
                (f"{label:<16}", "bold"),
                literal(text) if text else ("—", "dim"),
            )
        )
    return Content("\n").join(lines)


def lead_label(lead: models.Lead) -> str:
    state = LeadState(lead.state).label
    return f"{lead.full_name}: {lead.topic} ({state})"


class RecordScreen(Screen):
    """What the three record views share; subclasses say what to load and show."""

    CSS_PATH = "records.tcss"
    KIND = "record"
    MODEL: Any = None
    BINDINGS = [
        Binding("n", "add_note", "Note", id="record.add_note"),
        Binding("h", "history", "History", id="record.history"),
        Binding("v", "overview", "Overview", show=False, id="record.overview"),
        Binding("escape", "back", "Back", id="record.back"),
        Binding("backspace,b", "back", "Back", show=False, id="record.back_alt"),
    ]

    def __init__(self, record_id: int) -> None:
        super().__init__()
        self.record_id = record_id
        self.record: Any = None
        self._gone = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.compose_top()
        with TabbedContent(id="record-tabs", initial="tab-overview"):
            with TabPane("Overview", id="tab-overview"), VerticalScroll(id="overview"):
                yield Static("", id="fields")
                yield Static("Related records (enter opens)", classes="section-title")
                yield OptionList(id="related")
            with TabPane("Notes", id="tab-notes"):
                yield NotesPanel(id="notes")
            with TabPane("History", id="tab-history"):
                yield HistoryTable(id="history")
        yield Footer()

    def compose_top(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.watch(self.app, "data_version", self._data_version_changed, init=False)
        self.load()
        self.query_one("#related", OptionList).focus()

    def _data_version_changed(self, _version: int) -> None:
        self.load()

    def load(self) -> None:
        record = self.MODEL.get_or_none(self.MODEL.id == self.record_id)
        if record is None:
            self._record_gone()
            return
        self.record = record
        self.title = printable(self.title_of(record))
        self.sub_title = f"{self.KIND.capitalize()} #{record.id}"
        self.query_one("#fields", Static).update(fields_content(self.fields_of(record)))
        self._show_related(self.related_of(record))
        self.query_one(NotesPanel).show_notes(record)
        self.query_one(HistoryTable).show_events(
            models.history_to_show(self.KIND, record.id) + self.extra_history(record)
        )
        self.show_top(record)
        self.refresh_bindings()

    def _record_gone(self) -> None:
        self._gone = True
        if self.is_current:
            self.notify(f"This {self.KIND} no longer exists; it was deleted.", severity="warning")
            self.app.pop_screen()

    def on_screen_resume(self) -> None:
        if self._gone:
            self._record_gone()

    # What a view shows (overridden).
    def title_of(self, record: Any) -> str:
        return str(record)

    def fields_of(self, record: Any) -> list[Field]:
        return []

    def related_of(self, record: Any) -> list[Related]:
        return []

    def extra_history(self, record: Any) -> list[AuditEvent]:
        return []

    def show_top(self, record: Any) -> None:
        pass

    # Related records.
    def _show_related(self, related: list[Related]) -> None:
        option_list = self.query_one("#related", OptionList)
        highlighted = option_list.highlighted
        option_list.clear_options()
        heading = None
        options: list[Option] = []
        for title, kind, record_id, label in related:
            if title != heading:
                heading = title
                count = sum(1 for r in related if r[0] == title)
                options.append(
                    Option(Content.styled(f"{title} ({count})", "bold underline"), disabled=True)
                )
            prompt = Content.assemble("  ", literal(label))
            options.append(Option(prompt, id=f"{kind}:{record_id}"))
        if not options:
            options.append(Option(Content.styled("None.", "dim"), disabled=True))
        option_list.add_options(options)
        if highlighted is not None and highlighted < len(options):
            option_list.highlighted = highlighted
        else:
            first = next((i for i, o in enumerate(options) if not o.disabled), None)
            option_list.highlighted = first

    @on(OptionList.OptionSelected, "#related")
    def _open_related(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind, record_id = (event.option.id or ":").split(":")
        opener = {
            "account": self.app.open_account,
            "contact": self.app.open_contact,
            "opportunity": self.app.open_opportunity,
            "lead": self.app.open_lead,
        }.get(kind)
        if opener is not None:
            opener(int(record_id))

    # Actions.
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.record is not None or action == "back"

    def action_add_note(self) -> None:
        self.query_one("#record-tabs", TabbedContent).active = "tab-notes"
        # The pane shows on the next refresh; only then can its fields take focus.
        self.call_after_refresh(self.query_one(NotesPanel).focus_composer)

    def action_history(self) -> None:
        self.query_one("#record-tabs", TabbedContent).active = "tab-history"
        self.call_after_refresh(self.query_one(HistoryTable).focus)

    def action_overview(self) -> None:
        self.query_one("#record-tabs", TabbedContent).active = "tab-overview"
        self.call_after_refresh(self.query_one("#related", OptionList).focus)

    def action_back(self) -> None:
        self.app.pop_screen()


def _address(record: Any) -> str:
    return ", ".join(record.address_lines())


def _owner(record: Any) -> str:
    return str(record.owner) if record.owner_id else ""


class AccountScreen(RecordScreen):
    """An account, its contacts and opportunities, and the leads it came from."""

    KIND = "account"
    MODEL = Account

    def __init__(self, account_id: int) -> None:
        super().__init__(account_id)

    def fields_of(self, record: Account) -> list[Field]:
        return [
            ("Account name", record.name),
            ("Website", record.website),
            ("Phone", record.phone),
            ("Address", _address(record)),
            ("Owner", _owner(record)),
            ("Created (UTC)", when(record.created_at)),
            ("Modified (UTC)", when(record.modified_at)),
        ]

    def related_of(self, record: Account) -> list[Related]:
        related: list[Related] = []
        for contact in record.contacts.order_by(Contact.last_name, Contact.id):
            related.append(("Contacts", "contact", contact.id, contact_label(contact)))
        for opp in record.opportunities.order_by(Opportunity.id.desc()):
            related.append(("Opportunities", "opportunity", opp.id, _opportunity_label(opp)))
        for lead in record.leads.order_by(models.Lead.id.desc()):
            related.append(("Leads it came from", "lead", lead.id, lead_label(lead)))
        return related


class ContactScreen(RecordScreen):
    """A contact, its account and opportunities, and the leads it came from."""

    KIND = "contact"
    MODEL = Contact

    def __init__(self, contact_id: int) -> None:
        super().__init__(contact_id)

    def title_of(self, record: Contact) -> str:
        return record.full_name

    def fields_of(self, record: Contact) -> list[Field]:
        return [
            ("Name", record.full_name),
            ("Job title", record.job_title),
            ("Account", str(record.account) if record.account_id else ""),
            ("Business phone", record.phone),
            ("Mobile phone", record.mobile_phone),
            ("Email", record.email),
            ("Address", _address(record)),
            ("Owner", _owner(record)),
            ("Created (UTC)", when(record.created_at)),
        ]

    def related_of(self, record: Contact) -> list[Related]:
        related: list[Related] = []
        if record.account_id:
            account = record.account
            related.append(("Account", "account", account.id, account_label(account)))
        for opp in record.opportunities.order_by(Opportunity.id.desc()):
            related.append(("Opportunities", "opportunity", opp.id, _opportunity_label(opp)))
        for lead in record.leads.order_by(models.Lead.id.desc()):
            related.append(("Leads it came from", "lead", lead.id, lead_label(lead)))
        return related


def _opportunity_label(opp: Opportunity) -> str:
    value = f", {money(opp.estimated_value)}" if opp.estimated_value is not None else ""
    return f"{opp.topic} ({Stage(opp.stage).label}{value})"


class OpportunityScreen(RecordScreen):
    """An opportunity with its stage bar, customer, originating lead and notes
    (its own and the lead's, marked "from lead")."""

    KIND = "opportunity"
    MODEL = Opportunity
    BINDINGS = [
        Binding("right_square_bracket", "move_stage(1)", "Next stage", id="opportunity.next"),
        Binding("left_square_bracket", "move_stage(-1)", "Prev stage", id="opportunity.prev"),
        Binding("ctrl+right", "move_stage(1)", "Next stage", show=False, id="opportunity.next2"),
        Binding("ctrl+left", "move_stage(-1)", "Prev stage", show=False, id="opportunity.prev2"),
    ]

    def __init__(self, opportunity_id: int) -> None:
        super().__init__(opportunity_id)

    def compose_top(self) -> ComposeResult:
        yield StageBar(Stage.DEVELOP, hint="[ back  ] forward", id="stage-bar")
        yield Static("", id="stage-message")

    def show_top(self, record: Opportunity) -> None:
        self.query_one(StageBar).set_stages(record.stage)

    def fields_of(self, record: Opportunity) -> list[Field]:
        lead = record.originating_lead if record.originating_lead_id else None
        return [
            ("Topic", record.topic),
            ("Stage", Stage(record.stage).label),
            ("Estimated value", money(record.estimated_value)),
            ("Account", str(record.account) if record.account_id else ""),
            ("Contact", str(record.contact) if record.contact_id else ""),
            ("From lead", lead_label(lead) if lead is not None else ""),
            ("Owner", _owner(record)),
            ("Created (UTC)", when(record.created_at)),
        ]

    def related_of(self, record: Opportunity) -> list[Related]:
        related: list[Related] = []
        if record.account_id:
            related.append(
                ("Customer account", "account", record.account_id, account_label(record.account))
            )
        if record.contact_id:
            related.append(
                ("Customer contact", "contact", record.contact_id, contact_label(record.contact))
            )
        if record.originating_lead_id:
            lead = record.originating_lead
            related.append(("Originating lead", "lead", lead.id, lead_label(lead)))
        return related

    def action_move_stage(self, step: int) -> None:
        message = self.query_one("#stage-message", Static)
        try:
            models.move_opportunity_stage(self.record_id, self.app.user, step)
        except models.NotFound:
            self._record_gone()
            return
        except models.LeadqError as error:
            message.update(literal(f"⚠ {error}"))
            message.add_class("error")
            return
        message.update("")
        message.remove_class("error")
        self.load()
        self.app.data_changed()
