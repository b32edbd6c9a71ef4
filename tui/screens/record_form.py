"""Create and edit forms: a new lead, and new or existing accounts, contacts and
opportunities.

The form loads in one exclusive thread worker (`models.forms.record_form`) and
saves through the services in another; a `ValidationError` puts each message
beside its field, a refusal (role, closed record) is said at the top and nothing
changes. On create, possible duplicates open the "may already exist" dialog
(Ignore and save, or open the match), as Dynamics does; the new record then
opens. A new lead gets the default qualifying process (`create_lead` does it)
and has the same groups and validation as the lead detail.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

import models
from models import LEAD_REQUIRED as REQUIRED
from models import LeadSource, PurchaseProcess, PurchaseTimeframe, Rating

from ..widgets.literal import notify_literal
from ..widgets.record_form import FormField, FormGroups, RecordForm

ADDRESS = (
    FormField("street1", "Street 1"),
    FormField("street2", "Street 2"),
    FormField("street3", "Street 3"),
    FormField("city", "City"),
    FormField("state_province", "State/Province"),
    FormField("postal_code", "ZIP/Postal code"),
    FormField("country", "Country/Region"),
)
GROUPS: dict[str, FormGroups] = {
    "account": (
        ("Account", (
            FormField("name", "Account name", required=True),
            FormField("website", "Website"),
            FormField("phone", "Phone"),
        )),
        ("Address", ADDRESS),
    ),
    "contact": (
        ("Contact", (
            FormField("first_name", "First name"),
            FormField("last_name", "Last name", required=True),
            FormField("job_title", "Job title"),
            FormField("account", "Account", kind="account"),
            FormField("phone", "Business phone"),
            FormField("mobile_phone", "Mobile phone"),
            FormField("email", "Email"),
        )),
        ("Address", ADDRESS),
    ),
    "opportunity": (
        ("Opportunity", (
            FormField("topic", "Topic", required=True),
            FormField("account", "Account", kind="account"),
            FormField("contact", "Contact", kind="contact"),
            FormField("estimated_value", "Estimated value"),
            FormField("estimated_close_date", "Est. close date"),
        )),
        ("Develop", (
            FormField("customer_need", "Customer need", kind="longtext"),
            FormField("proposed_solution", "Proposed solution", kind="longtext"),
        )),
        ("Close", (FormField("final_decision_date", "Decision date"),)),
    ),
}  # fmt: skip


def _lead_field(name: str) -> FormField:
    label = models.LEAD_FORM_LABELS.get(name, name)
    choices = {
        "rating": Rating,
        "lead_source": LeadSource,
        "purchase_timeframe": PurchaseTimeframe,
        "purchase_process": PurchaseProcess,
    }
    if name in choices:
        return FormField(name, label, "choice", choices=tuple(choices[name].choices()),
                         allow_blank=name != "rating")  # fmt: skip
    kinds = {"existing_account": "account", "existing_contact": "contact",
             "decision_maker_identified": "bool", "summary": "longtext"}  # fmt: skip
    return FormField(name, label, kinds.get(name, "text"), required=name in REQUIRED)


def new_lead_groups() -> FormGroups:
    """The lead form's groups (`models.LEAD_FORM_GROUPS`, as on the lead detail),
    without the status reason (a new lead is New)."""
    return tuple(
        (title, tuple(_lead_field(n) for n in names if n != "status_reason"))
        for title, names in models.LEAD_FORM_GROUPS
    )


NOUNS = {"lead": "lead", "account": "account", "contact": "contact", "opportunity": "opportunity"}


FAILED = (WorkerState.ERROR, WorkerState.CANCELLED)


class RecordFormScreen(Screen[None]):
    """A new record of `kind` (`record_id=None`) or the record to edit."""

    CSS_PATH = "record_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="record_form.save"),
        Binding("escape", "cancel", "Cancel", id="record_form.cancel"),
    ]

    def __init__(self, kind: str, record_id: int | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.record_id = record_id
        self.loaded = False
        self._reading = True  # its fields (`_load`)
        self.saving = False
        verb = "New" if record_id is None else "Edit"
        self.title = f"{verb} {NOUNS[kind]}"

    def compose(self) -> ComposeResult:
        groups = new_lead_groups() if self.kind == "lead" else GROUPS[self.kind]
        yield Header()
        yield Static("ctrl+s saves · esc cancels · * required", id="form-hint", markup=False)
        yield RecordForm(groups, id="form")
        yield Footer()

    @property
    def form(self) -> RecordForm:
        return self.query_one(RecordForm)

    def on_mount(self) -> None:
        self._load(self.kind, self.record_id)

    @property
    def taking_keys(self) -> bool:
        """Whether keys typed go to the form: not while its fields are being read and
        filled (`_show` sets them all), so keys typed ahead (n on the list, then the
        topic) wait for it (tui/type_ahead.py); a read that failed holds none."""
        return self.loaded or not self._reading

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "record-form" and event.state in FAILED:
            self._reading = False  # the form stays empty, as before: keys go to it
            self.app.screen_opened()  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="record-form", exit_on_error=False)
    def _load(self, kind: str, record_id: int | None) -> None:
        if kind == "lead":
            self.app.call_from_thread(self._show, None)
            return
        with models.thread_connection():
            try:
                loaded = models.record_form(kind, record_id, self.app.user)
            except models.NotFound as error:
                self.app.call_from_thread(self._gone, error.message)
                return
        self.app.call_from_thread(self._show, loaded)

    def _show(self, loaded: Any) -> None:
        if loaded is None:
            self.form.fill({"rating": "warm"})
        else:
            self.form.fill(dict(loaded.values), dict(loaded.labels))
            if loaded.title:
                self.sub_title = loaded.title
            refusal = loaded.actions.get("edit")
            if refusal is not None and not refusal:
                self.form.set_read_only(True)
                self.form.show_errors({"form": refusal.reason})
        self.loaded = True
        self.form.focus_first()
        self.app.screen_opened()  # type: ignore[attr-defined]  # what was typed meanwhile

    def _gone(self, message: str) -> None:
        notify_literal(self, message, severity="warning")
        self.app.pop_screen()

    # Saving.
    def action_save(self, ignore_duplicates: bool = False) -> None:
        if not self.loaded or self.saving:
            return
        values = self.form.values() if self.record_id is None else self.form.changes()
        if self.record_id is not None and not values:
            self.app.pop_screen()
            return
        if self.record_id is None:
            values = {k: v for k, v in values.items() if v not in (None, "")}
        self.saving = True
        self._save(values, ignore_duplicates)

    @work(thread=True, exclusive=True, group="record-form-save", exit_on_error=False)
    def _save(self, values: dict[str, Any], ignore_duplicates: bool) -> None:
        user = self.app.user
        outcome: tuple[str, Any]
        with models.thread_connection():
            try:
                saved = self._call_service(user, values, ignore_duplicates)
            except models.DuplicatesFound as found:
                outcome = ("duplicates", found.matches)
            except models.ValidationError as error:
                outcome = ("invalid", error.errors)
            except models.LeadqError as error:
                outcome = ("refused", error.message)
            else:
                outcome = ("saved", saved.id)
        self.app.call_from_thread(self._saved, *outcome)

    def _call_service(self, user: models.User, values: dict[str, Any], ignore: bool) -> Any:
        kind, record_id = self.kind, self.record_id
        if kind == "lead":
            return models.create_lead_checked(user, ignore_duplicates=ignore, **values)
        if record_id is None:
            if kind == "opportunity":
                return models.create_opportunity(user, **values)
            create = models.create_account if kind == "account" else models.create_contact
            return create(user, ignore_duplicates=ignore, **values)
        update = {
            "account": models.update_account,
            "contact": models.update_contact,
            "opportunity": models.update_opportunity,
        }[kind]
        return update(user, record_id, values)

    def _saved(self, outcome: str, detail: Any) -> None:
        self.saving = False
        if outcome == "invalid":
            self.form.show_errors(detail)
            self.form.focus_first_error(detail)
        elif outcome == "refused":
            self.form.show_errors({"form": detail})
        elif outcome == "duplicates":
            self._ask_about_duplicates(detail)
        else:
            self.app.data_changed()
            self.notify("Saved.")
            self.app.pop_screen()
            if self.record_id is None:
                self.app.open_record(self.kind, detail)  # type: ignore[attr-defined]

    def _ask_about_duplicates(self, matches: models.DuplicateMatches) -> None:
        from .may_exist import MayAlreadyExistScreen

        def answered(answer: Any) -> None:
            if answer == "ignore":
                self.action_save(ignore_duplicates=True)
            elif isinstance(answer, tuple):
                _, kind, record_id = answer
                self.app.pop_screen()
                self.app.open_record(kind, record_id)  # type: ignore[attr-defined]

        self.app.push_screen(MayAlreadyExistScreen(NOUNS[self.kind], matches), answered)

    def action_cancel(self) -> None:
        changed = self.form.changes() if self.loaded else {}
        if not changed:
            self.app.pop_screen()
            return
        from .lead_detail import DiscardChangesScreen

        labels = [self.form.fields[n].label for n in changed]

        def answered(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()

        self.app.push_screen(DiscardChangesScreen(labels), answered)
