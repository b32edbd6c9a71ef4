"""One lead: the stage bar, the editable form, notes and history.

The form shows every lead field grouped as Dynamics does (Contact, Company,
Address, Qualify stage, Details). Saving calls `models.update_lead`; a
`ValidationError` puts each message beside its field and keeps what the user
typed. A closed lead is read-only, with a banner saying who closed it and how
to reactivate it: its values are shown as text (`LeadReadOnly`) in place of the
form, and a key that would edit says the rule's sentence. The lead is read as
one `models.LeadDetail` in a worker (`ViewScreen`) and saved through
`run_service`, so the event loop never waits for the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from decimal import Decimal
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    Header,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets._header import HeaderTitle
from textual.widgets.option_list import Option

import models
from models import LEAD_CHOICES as CHOICES
from models import LEAD_REQUIRED as REQUIRED
from models import (
    STATUS_REASONS,
    LeadState,
    StatusReason,
)

from ..loading import ViewScreen, run_service
from ..widgets.footer import KeyFooter
from ..widgets.history import HistoryTable, when
from ..widgets.lazy_tabs import LazyPanes, LazyTabPane
from ..widgets.literal import literal, notify_literal, printable
from ..widgets.lookup import LookupField
from ..widgets.notes_panel import NotesPanel
from ..widgets.one_layout import (
    quiet_when_shown,
    show_arranged,
    size_in_one_layout,
    update_in_place,
)
from ..widgets.record_form import WIDE_COLUMNS, FieldInput, FieldSelect
from ..widgets.stage_bar import StageBar

FORM_GROUPS = models.LEAD_FORM_GROUPS
LABELS = models.LEAD_FORM_LABELS
LOOKUPS = {"existing_account": "account", "existing_contact": "contact"}
ALL_FIELDS: tuple[str, ...] = tuple(name for _, names in FORM_GROUPS for name in names)
GROUP_TITLES = {names[0]: title for title, names in FORM_GROUPS}
"""Each group's title, by the group's first field."""
SPANNING_FIELDS = frozenset({"summary"})
"""The fields whose row takes both columns of the wide form (`#row-summary` in the CSS)."""


def _wide_fillers() -> frozenset[str]:
    """The fields before which the wide form, a grid of two columns, needs an empty
    cell (`.wide-filler`): before a group's title, or a row taking both columns, that
    would start in the second column. Textual's grid does not move such a cell to the
    next row, as CSS grids do: it put the title in the right-hand column, cut to its
    width, beside the group before it."""
    fillers: set[str] = set()
    column = 0  # where the next cell starts
    for _, names in FORM_GROUPS:
        for index, name in enumerate(names):
            if index == 0 or name in SPANNING_FIELDS:  # a title, or a row, across both
                if column == 1:
                    fillers.add(name)
                column = 0
            if name not in SPANNING_FIELDS:
                column = (column + 1) % 2
    return frozenset(fillers)


WIDE_FILLERS = _wide_fillers()
STEP_FIELDS = 4
FORM_STEPS: tuple[tuple[str, ...], ...] = tuple(
    ALL_FIELDS[start : start + STEP_FIELDS] for start in range(0, len(ALL_FIELDS), STEP_FIELDS)
)
"""The form's fields as the steps of a build off-stage: about 20 widgets, 5-10 ms quiet."""
FIELD_CHANGED = (Input.Changed, Select.Changed, Checkbox.Changed, TextArea.Changed)


class DecisionCheckbox(Checkbox):
    """A yes/no box that reads without colour: `[x] Yes` or `[ ] No`."""

    @property
    def _button(self) -> Content:
        return Content.styled("[x]" if self.value else "[ ]", "bold")

    def watch_value(self) -> None:
        super().watch_value()
        self.label = "Yes" if self.value else "No"


class DiscardChangesScreen(ModalScreen[bool]):
    """Asks before leaving a form with unsaved changes; True discards them."""

    DEFAULT_CSS = """
    DiscardChangesScreen {
        align: center middle;
    }
    DiscardChangesScreen > #dialog {
        width: 60;
        max-width: 100%;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 0 1;
    }
    DiscardChangesScreen .buttons {
        height: auto;
        align-horizontal: right;
    }
    DiscardChangesScreen Button {
        margin: 0 0 0 1;
    }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Discard", id="discard.yes"),
        Binding("n,escape", "answer(False)", "Keep editing", id="discard.no"),
    ]

    def __init__(
        self, changed: list[str], *, question: str = "Leave and discard the changes?"
    ) -> None:
        super().__init__()
        self.changed = changed
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Unsaved changes"
            yield Static(literal("Not saved: " + ", ".join(self.changed) + ". " + self.question))
            with Horizontal(classes="buttons"):
                yield Button("Discard (y)", id="discard", variant="error")
                yield Button("Keep editing (n)", id="keep", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "discard")

    def action_answer(self, discard: bool) -> None:
        self.dismiss(discard)


def _text(value: object, *, multiline: bool = False) -> str:
    """A field's value as its input shows it: control characters (and, in a one-line
    input, newlines and tabs) as visible symbols. Only fields the user changes are
    saved, so an untouched field keeps its stored value."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return printable(value, multiline=multiline)


def _shown_value(lead: models.LeadDetail, name: str) -> str:
    """What the read-only rendering shows for field `name`: what its input would."""
    if name in LOOKUPS:
        linked = getattr(lead, name)
        return linked.label if linked else ""
    value = lead.status_reason if name == "status_reason" else lead.values[name]
    if name == "status_reason":
        return StatusReason(value).label
    if name in CHOICES:
        return dict((v, label) for label, v in CHOICES[name].choices()).get(value, "")
    if name == "decision_maker_identified":
        return "Yes" if value else "No"
    return _text(value, multiline=name == "summary")


def _value_content(value: str) -> Content:
    return literal(value) if value else Content.styled("—", "dim")


READ_LABEL_WIDTH = max(len(label) for label in LABELS.values()) + 1


class ReadGroup(Widget):
    """One group of a closed lead's fields as text: each label in bold in a column of
    `READ_LABEL_WIDTH`, its value beside it, wrapped in the rest of the width.

    One widget per group, not a label and a value widget per field: the 63 widgets
    of the read-only view were styled, laid out and rendered for the first closed
    lead shown in a session (after qualifying it: the longest slice of that step)."""

    DEFAULT_CSS = """
    ReadGroup {
        height: auto;
        max-width: 110;
    }
    """

    def __init__(self, names: tuple[str, ...], lead: models.LeadDetail) -> None:
        super().__init__()
        self.names = names
        self._values = self._read(lead)
        self._lines_for: tuple[int, list[Content]] | None = None  # (width, lines)

    def _read(self, lead: models.LeadDetail) -> dict[str, Content]:
        return {name: _value_content(_shown_value(lead, name)) for name in self.names}

    def value(self, name: str) -> Content:
        """What the group shows for field `name`."""
        return self._values[name]

    def show(self, lead: models.LeadDetail) -> None:
        """Show `lead`'s values (laid out again only if the group's height changes)."""
        values = self._read(lead)
        if values == self._values:
            return
        # The width it was last given, kept while the view is hidden (an open lead
        # shown): its `size` is then empty, and the view would be arranged anew.
        width = max(0, self.outer_size.width - self.styles.gutter.width)
        lines = len(self._lines(width)) if width else 0
        self._values = values
        self._lines_for = None
        self.refresh(layout=not width or len(self._lines(width)) != lines)

    def _lines(self, width: int) -> list[Content]:
        if self._lines_for is not None and self._lines_for[0] == width:
            return self._lines_for[1]
        blank = Content(" " * READ_LABEL_WIDTH)
        lines: list[Content] = []
        for name in self.names:
            label = Content.styled(LABELS[name], "bold").pad_right(
                READ_LABEL_WIDTH - len(LABELS[name])
            )
            wrapped = self._values[name].wrap(max(1, width - READ_LABEL_WIDTH)) or [Content()]
            lines += [(label if n == 0 else blank) + line for n, line in enumerate(wrapped)]
        self._lines_for = (width, lines)
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Content:
        return Content("\n").join(self._lines(self.size.width))


class LeadReadOnly(VerticalScroll):
    """A closed lead's fields as text, in place of the form (built the first time a
    closed lead is shown, then updated in place): a title and a `ReadGroup` per group.

    Showing a closed lead by disabling the form's 26 inputs restyled each of them
    and their parts on every switch between an open and a closed lead (most of
    the cost of opening a lead); updating a few texts costs next to nothing. A key
    that would edit (a character or enter that no key binding takes) says why it
    cannot, with the services' own sentence."""

    DEFAULT_CSS = """
    LeadReadOnly {
        height: 1fr;
        padding: 0 1;
    }
    LeadReadOnly > #read-info {
        margin-top: 1;
        color: $text-muted;
    }
    """

    def __init__(self, lead: models.LeadDetail, info: Content, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lead = lead
        self._info = info
        self.groups = [ReadGroup(names, lead) for _, names in FORM_GROUPS]

    def compose(self) -> ComposeResult:
        for (title, _), group in zip(FORM_GROUPS, self.groups, strict=True):
            yield Static(title, classes="group-title")
            yield group
        yield Static(self._info, id="read-info")

    def value(self, name: str) -> Content:
        """What the view shows for field `name`."""
        return next(group.value(name) for group in self.groups if name in group.names)

    def show(self, lead: models.LeadDetail, info: Content) -> None:
        """Show `lead` (the texts are updated in place)."""
        self.lead = lead
        for group in self.groups:
            group.show(lead)
        update_in_place(self.query_one("#read-info", Static), info)

    def say_why(self) -> None:
        """Say why the lead cannot be edited (the rule's own sentence)."""
        notify_literal(self.screen, self.lead.closed_message(), severity="warning")

    def on_key(self, event: events.Key) -> None:
        if event.key in self.screen.active_bindings:
            return  # the screen's keys (r reactivates, escape goes back) still work
        if event.is_printable or event.key == "enter":
            event.stop()
            event.prevent_default()
            self.say_why()


class LeadDetailScreen(LazyPanes, ViewScreen):
    """The lead with id `lead_id`. The Notes, History and Activities tabs are composed
    when first shown or needed (`LazyTabPane`)."""

    KIND = "lead"
    CSS_PATH = "lead_detail.tcss"
    BUILT_OFF_STAGE = True  # 170 widgets: composed, styled and laid out in steps
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="lead_detail.save"),
        Binding("q", "qualify", "Qualify", id="lead_detail.qualify"),
        Binding("d", "disqualify", "Disqualify", id="lead_detail.disqualify"),
        Binding("r", "reactivate", "Reactivate", id="lead_detail.reactivate"),
        Binding("delete", "delete", "Delete", id="lead_detail.delete"),
        Binding("n", "add_note", "Note", id="lead_detail.add_note"),
        Binding("e", "edit", "Form", show=False, id="lead_detail.edit"),
        Binding("h", "history", "History", show=False, id="lead_detail.history"),
        Binding("t", "activities", "Activities", show=False, id="lead_detail.activities"),
        Binding("p", "assign_process", "Assign process", show=False, id="lead_detail.process"),
        Binding("P", "remove_process", "Remove process", show=False, id="lead_detail.unprocess"),
        Binding("a", "open_account", "Account", id="lead_detail.open_account"),
        Binding("c", "open_contact", "Contact", id="lead_detail.open_contact"),
        Binding("o", "open_opportunity", "Opportunity", id="lead_detail.open_opportunity"),
        Binding("escape", "back", "Back", id="lead_detail.back"),
        Binding("backspace,b", "back", "Back", show=False, id="lead_detail.back_alt"),
    ]

    def __init__(self, lead_id: int) -> None:
        super().__init__()
        self.lead_id = lead_id
        self.lead: models.LeadDetail | None = None
        self._loaded: dict[str, Any] = {}
        self._loaded_stamp: object = None
        self._refill = True  # the next view fills the form even over unsaved edits
        self.errors: dict[str, str] = {}
        self._shown_errors = True  # whether error lines may be showing (cleared once)
        self._reasons_for: str | None = None  # the state the status reasons list is for
        self._fields: dict[str, Widget] = {}
        self._error_lines: dict[str, Static] = {}  # made when a field first has an error
        self._refilled = False  # refilled: the next view is shown with the tabs focused
        self._editable = True  # the form is shown (an open lead), not `LeadReadOnly`
        self._enabled_styles: object = None  # a field's styles while the form was shown
        self._read_only: LeadReadOnly | None = None  # built for the first closed lead
        self._form_quiet = False  # Show, Hide and Resize stopped where unheard

    # Layout.
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner")
        yield StageBar(id="stage-bar")
        with TabbedContent(id="detail-tabs", initial="tab-form"):
            with TabPane("Form", id="tab-form"):
                yield OptionList(id="created-records")
                with VerticalScroll(id="form"):  # a closed lead shows `LeadReadOnly` instead
                    yield Static("", id="form-error")
                    if not self._building:  # else mounted in steps (`build_steps`)
                        for names in FORM_STEPS:
                            yield from self._form_widgets(names)
                    yield Static("", id="record-info")
            yield LazyTabPane("Notes", lambda: NotesPanel(id="notes"), id="tab-notes")
            yield LazyTabPane("History", lambda: HistoryTable(id="history"), id="tab-history")
            yield from self.compose_extra_tabs()
        yield KeyFooter()

    def compose_extra_tabs(self) -> ComposeResult:
        """The lead's qualifying-process activities (the tab hides while the feature is off)."""

        def activities() -> Widget:
            from ..widgets.activities_panel import ActivitiesPanel

            return ActivitiesPanel(id="activities")

        yield LazyTabPane("Activities", activities, id="tab-activities")

    def build_steps(self) -> Iterator[Awaitable[object]]:
        """The form's fields, a few at a time (`FORM_STEPS`), when built off-stage."""
        form = self.query_one("#form", VerticalScroll)
        for names in FORM_STEPS:
            yield form.mount_all(self._form_widgets(names), before="#record-info")

    def _form_widgets(self, names: tuple[str, ...]) -> list[Widget]:
        """The rows of fields `names`, each group's title before its first field."""
        widgets: list[Widget] = []
        for name in names:
            if name in WIDE_FILLERS:
                widgets.append(Static(classes="wide-filler"))
            if name in GROUP_TITLES:
                widgets.append(Static(GROUP_TITLES[name], classes="group-title"))
            widgets.append(self._field_row(name))
        return widgets

    def _field_row(self, name: str) -> Horizontal:
        """The row of field `name`: its label and input (its error line is made when
        the field first has an error, see `show_errors`)."""
        label = LABELS[name] + (" *" if name in REQUIRED else "")
        field_id = f"f-{name}"
        widget: Widget
        if name in LOOKUPS:
            widget = LookupField(LOOKUPS[name], id=field_id)
        elif name in CHOICES:
            widget = FieldSelect(
                CHOICES[name].choices(),
                id=field_id,
                compact=True,
                allow_blank=name != "rating",
                prompt="(none)",
            )
        elif name == "status_reason":
            widget = FieldSelect(
                [(StatusReason.NEW.label, StatusReason.NEW.value)],
                id=field_id,
                compact=True,
                allow_blank=False,
            )
        elif name == "decision_maker_identified":
            widget = DecisionCheckbox("No", id=field_id, compact=True)
        elif name == "summary":
            widget = TextArea(id=field_id, compact=True, soft_wrap=True)
        else:
            widget = FieldInput(id=field_id)  # tabbing in puts the cursor at the end
        return Horizontal(
            Label(label, classes="field-label"), widget, classes="field", id=f"row-{name}"
        )

    def on_mount(self) -> None:
        self.watch_data()
        self.reload()
        tabs = self.query_one("#detail-tabs", TabbedContent)
        # A closed lead's banner makes these smaller, an open lead's larger again.
        size_in_one_layout(
            self.query_one(StageBar), tabs, tabs.query_one(ContentSwitcher), *tabs.query(TabPane)
        )
        self.query_one("#detail-tabs Tabs").focus()
        self.set_class(self.app.size.width >= WIDE_COLUMNS, "-wide")

    def on_resize(self, event: events.Resize) -> None:
        # At 160 columns and wider the form's fields sit in two columns.
        self.set_class(event.size.width >= WIDE_COLUMNS, "-wide")

    def refill(self, lead_id: int) -> None:
        """Show lead `lead_id` next: this screen is built once and refilled (see
        `LeadqApp.show_screen`); what the last lead left is cleared first."""
        self.lead_id = lead_id
        self.lead = None
        self.view = None
        self.gone = False
        self._loaded = {}
        self._loaded_stamp = None
        self._refill = True
        self._show_title("Lead", "")
        self._refilled = True
        notes = self.built_pane("tab-notes")
        if isinstance(notes, NotesPanel):
            notes.reset()
        activities = self.built_pane("tab-activities")
        if activities is not None:
            activities.clear_message()  # type: ignore[attr-defined]
        self.query_one("#detail-tabs", TabbedContent).active = "tab-form"
        self.query_one("#form", VerticalScroll).scroll_home(animate=False)
        super().refill()

    def show_loading(self) -> None:
        self.query_one("#detail-tabs").loading = True  # until the lead arrives

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Mark the focused field's row, so its label stands out even without colour.
        for row in self.query(".field.-focused"):
            row.remove_class("-focused")
        parent = event.widget.parent
        if isinstance(parent, Horizontal) and parent.has_class("field"):
            parent.add_class("-focused")

    # Loading.
    def read_view(self) -> models.LeadDetail:
        return models.lead_detail(self.lead_id)

    def show_view(self, lead: models.LeadDetail) -> None:
        """Show the lead as read; the form keeps unsaved edits unless refilled."""
        was_open = self.lead.is_open if self.lead is not None else None
        self.lead = lead
        tabs = self.query_one("#detail-tabs")
        tabs.loading = False
        if self._refilled:  # shown again with this lead, the tabs focused
            self._refilled = False
            self.query_one("#detail-tabs Tabs").focus()
        self._show_title(printable(lead.full_name) or "Lead", printable(lead.topic))
        self._show_stage()
        self._show_banner()
        dirty = bool(self.changes())
        if self._refill or not dirty or was_open != lead.is_open:
            self._fill_form(lead)
        elif lead.stamp != self._loaded_stamp:
            self.notify(
                "This lead was changed elsewhere; your unsaved edits are kept.",
                severity="warning",
            )
        self._refill = False
        self._loaded_stamp = lead.stamp
        self._show_created()
        for pane_id in ("tab-notes", "tab-history", "tab-activities"):
            widget = self.built_pane(pane_id)
            if widget is not None:
                self.pane_built(pane_id, widget)
        if self.built_pane("tab-activities") is None:  # the panel hides its tab once built
            self._show_activities_tab(lead.activities.feature_on)
        self.refresh_bindings()

    def pane_built(self, pane_id: str, widget: Widget) -> None:
        """Show the lead in a tab's panel (built, or just built)."""
        lead = self.lead
        if lead is None:
            return
        if isinstance(widget, NotesPanel):
            reason = "" if lead.is_open else lead.closed_message("add notes to")
            widget.show_view(("lead", lead.id), lead.notes, reason)
        elif isinstance(widget, HistoryTable):
            widget.show_entries(lead.history)
        elif pane_id == "tab-activities":
            widget.show_activities(lead)  # type: ignore[attr-defined]

    def _show_activities_tab(self, shown: bool) -> None:
        tab = self.query_one("#detail-tabs", TabbedContent).get_tab("tab-activities")
        if tab.display != shown:
            tabs = self.query_one("#detail-tabs", TabbedContent)
            (tabs.show_tab if shown else tabs.hide_tab)("tab-activities")

    def record_gone(self) -> None:
        self.lead = None
        super().record_gone()

    def _show_title(self, title: str, sub_title: str) -> None:
        """Set the screen's title and sub-title and show them in the header at once.

        Textual's `Header` follows them in an async watcher, which ran after the
        refilled screen's first frame and laid the whole screen out a second time
        (its title label asks for a layout on each update); the header's title has a
        fixed size, so it is updated here, in place, without one."""
        if (self.title, self.sub_title) == (title, sub_title):
            return
        self.set_reactive(Screen.title, title)
        self.set_reactive(Screen.sub_title, sub_title)
        header = self.query_one(Header)
        header.query_one(HeaderTitle).update(header.format_title(), layout=False)

    def _show_stage(self) -> None:
        assert self.lead is not None
        bar = self.query_one(StageBar)
        filled = dict(self.lead.qualify_filled)
        # An open lead (a reactivated one too) is in its own Qualify stage, even while
        # it still links the opportunity it produced before; a qualified one shows
        # where that opportunity stands.
        if self.lead.opportunity_stage is not None and not self.lead.is_open:
            bar.set_stages(self.lead.opportunity_stage, filled, hint="(on the opportunity: o)")
        else:
            bar.set_stages(self.lead.stage, filled, hint="")

    def _show_banner(self) -> None:
        assert self.lead is not None
        lead = self.lead
        banner = self.query_one("#banner", Static)
        if lead.is_open:
            self._banner_shown(banner, False)
            update_in_place(banner, "")  # hidden: no layout for it
            return
        state = LeadState(lead.state).label
        reason = StatusReason(lead.status_reason).label
        reason = f" ({reason})" if reason != state else ""
        by = f" by {lead.closed_by}" if lead.closed_by_id else ""
        at = f" on {when(lead.closed_at)} UTC" if lead.closed_at else ""
        lines = [
            Content.assemble(
                (f"■ {state}", "bold reverse"),
                literal(f"{reason}{by}{at}. "),
                ("Read-only: press r to reactivate.", "bold"),
            )
        ]
        update_in_place(banner, Content("\n").join(lines))
        self._banner_shown(banner, True)

    @staticmethod
    def _banner_shown(banner: Static, shown: bool) -> None:
        """Show or hide the banner as its `visible` class says (the CSS), without the
        restyle a class change makes: the class only changes its display, and
        restyling it (matching the app's every rule for a Static) was a tenth of
        showing the lead, on each switch between an open and a closed lead."""
        banner.set_class(shown, "visible", update=False)
        banner.display = shown

    def _related(self) -> list[tuple[str, str, str]]:
        """(kind, id, label) of the records qualifying created or linked."""
        lead = self.lead
        assert lead is not None
        refs = (lead.account, lead.contact, lead.opportunity)
        return [(ref.kind, str(ref.id), ref.label) for ref in refs if ref is not None]

    def _show_created(self) -> None:
        created = self.query_one("#created-records", OptionList)
        created.clear_options()
        related = self._related()
        created.display = bool(related)  # not a class: that restyled the list and its parts
        keys = {"account": "a", "contact": "c", "opportunity": "o"}
        for kind, record_id, label in related:
            prompt = Content.assemble(
                (f"{kind.capitalize():<12}", "bold"),
                literal(label),
                (f"  ({keys[kind]})", "dim"),
            )
            created.add_option(Option(prompt, id=f"{kind}:{record_id}"))
        if related:
            created.border_title = "Created or linked when qualified (enter opens)"

    @on(OptionList.OptionSelected, "#created-records")
    def _open_created(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind, record_id = (event.option.id or ":").split(":")
        {
            "account": self.app.open_account,
            "contact": self.app.open_contact,
            "opportunity": self.app.open_opportunity,
        }[kind](int(record_id))

    # The form.
    def form_field(self, name: str) -> Widget:
        """The input of form field `name` (looked up once: the form is built once)."""
        widget = self._fields.get(name)
        if widget is None:
            widget = self._fields[name] = self.query_one(f"#f-{name}")
        return widget

    def _fill_form(self, lead: models.LeadDetail) -> None:
        # Error lines first: clearing them restyles their rows (see `_show_editable`).
        self.show_errors({})
        # Filling announces no change: nothing listens to the fields' Changed messages
        # here (`changes()` compares values), and each one bubbled through the form's
        # seven containers to the app: 130-150 messages per lead shown.
        with self.prevent(*FIELD_CHANGED):
            self._fill_fields(lead)
        self._loaded = self.form_values()
        owner = lead.owner or "nobody"
        info = literal(
            f"Owner: {owner} · Created {when(lead.created_at)} · "
            f"Modified {when(lead.modified_at)} (UTC)"
        )
        update_in_place(self.query_one("#record-info", Static), info)
        self._show_editable(lead.is_open)
        if not lead.is_open:
            self._show_read_only(lead, info)

    def _fill_fields(self, lead: models.LeadDetail) -> None:
        for name in ALL_FIELDS:
            widget = self.form_field(name)
            if name in LOOKUPS:
                linked = getattr(lead, name)
                assert isinstance(widget, LookupField)
                widget.set_reference(linked.id if linked else None, linked.label if linked else "")
            elif name == "status_reason":
                assert isinstance(widget, Select)
                if self._reasons_for != lead.state:
                    reasons = STATUS_REASONS[LeadState(lead.state)]
                    widget.set_options([(r.label, r.value) for r in reasons])
                    self._reasons_for = lead.state
                widget.value = lead.status_reason
            elif isinstance(widget, Select):
                value = lead.values[name]
                widget.value = value if value else Select.NULL
            elif isinstance(widget, Checkbox):
                widget.value = bool(lead.values[name])
            elif isinstance(widget, TextArea):
                widget.load_text(_text(lead.values[name], multiline=True))
            elif isinstance(widget, Input):
                widget.value = _text(lead.values[name])
                widget.cursor_position = len(widget.value)

    def _show_editable(self, editable: bool) -> None:
        """Show the form (an open lead) or hide it for `LeadReadOnly` (a closed one).

        The fields of a hidden form are disabled (the summary read-only), so nothing
        can focus or type into them, but without the restyle Textual does for each
        (`set_reactive` skips the watchers): nobody sees them, and a switch between
        an open and a closed lead restyled 26 fields and their parts (30-90 ms). So
        the form shows again as it was styled, unless something restyled it while
        hidden (a theme change, the wide layout): then it is restyled once."""
        if editable == self._editable:
            return
        self._editable = editable
        form = self.query_one("#form", VerticalScroll)
        probe = self.form_field("topic").styles
        if not editable:
            self._enabled_styles = probe.get_rules()
            if not self._form_quiet:  # built by now: its rows leave the layout here
                self._form_quiet = True
                quiet_when_shown(form)
            if self.focused is not None and form in self.focused.ancestors_with_self:
                self.call_after_refresh(self._focus_read_only)
        for name in ALL_FIELDS:
            widget = self.form_field(name)
            if isinstance(widget, TextArea):
                widget.set_reactive(TextArea.read_only, not editable)
            else:
                widget.set_reactive(Widget.disabled, not editable)
        show_arranged(form, editable)
        if self._read_only is not None:
            show_arranged(self._read_only, not editable)
        if editable and probe.get_rules() != self._enabled_styles:
            form.update_node_styles()  # restyled while hidden, as disabled

    def _show_read_only(self, lead: models.LeadDetail, info: Content) -> None:
        if self._read_only is not None:
            self._read_only.show(lead, info)
        else:
            self._read_only = LeadReadOnly(lead, info, id="form-read")
            self.query_one("#tab-form", TabPane).mount(self._read_only)
            self.call_after_refresh(quiet_when_shown, self._read_only)  # once composed

    def _focus_read_only(self) -> None:
        if self._read_only is not None and not self._editable:
            self._read_only.focus()

    def form_values(self) -> dict[str, Any]:
        """What the form holds now, as `update_lead` takes it."""
        values: dict[str, Any] = {}
        for name in ALL_FIELDS:
            widget = self.form_field(name)
            if isinstance(widget, LookupField):
                values[name] = widget.value
            elif isinstance(widget, Select):
                values[name] = None if widget.value == Select.NULL else widget.value
            elif isinstance(widget, Checkbox):
                values[name] = widget.value
            elif isinstance(widget, TextArea):
                values[name] = widget.text
            elif isinstance(widget, Input):
                values[name] = widget.value
        return values

    def changes(self) -> dict[str, Any]:
        """The fields the user changed since the form was filled."""
        if self.lead is None or not self._loaded:
            return {}
        now = self.form_values()
        return {name: value for name, value in now.items() if self._loaded.get(name) != value}

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put each message beside its field (and a summary at the top).

        A field's error line is made the first time the field has an error, mounted
        under its row, and kept (hidden) once the error is fixed: 26 lines made with
        the form, most never shown, were a sixth of its widgets to build, style and
        walk in each layout."""
        self.errors = dict(errors)
        if not errors and not self._shown_errors:
            return  # nothing showing, nothing to clear
        self._shown_errors = bool(errors)
        form = self.query_one("#form", VerticalScroll)
        for name in ALL_FIELDS:
            message = errors.get(name, "")
            line = self._error_lines.get(name)
            if line is None and not message:
                continue  # never had an error: nothing to clear
            text = literal(f"⚠ {message}") if message else Content("")
            if line is None:
                line = Static(text, classes="field-error visible", id=f"err-{name}")
                self._error_lines[name] = line
                form.mount(line, after=self.query_one(f"#row-{name}"))
            else:
                line.update(text)
                line.set_class(bool(message), "visible")
            self.query_one(f"#row-{name}").set_class(bool(message), "invalid")
        summary = self.query_one("#form-error", Static)
        if errors:
            named = [LABELS.get(n, n) for n in errors]
            other = [m for n, m in errors.items() if n not in ALL_FIELDS]
            text = f"Not saved: check {', '.join(named)}." + "".join(f" {m}" for m in other)
            summary.update(literal(f"⚠ {text}"))
        else:
            summary.update("")
        summary.set_class(bool(errors), "visible")

    async def save(self) -> bool:
        """Save the changed fields; False (with errors shown) when nothing was saved."""
        if self.lead is None:
            return False
        if not self.lead.is_open:
            notify_literal(self, self.lead.closed_message(), severity="warning")
            return False
        changes = self.changes()
        if not changes:
            self.show_errors({})
            return True
        try:
            await run_service(
                self.app, models.update_lead, self.app.user, self.lead_id, changes, changes=True
            )
        except models.ValidationError as error:
            self.show_errors(error.errors)
            self._focus_first_error()
            return False
        except models.NotFound:
            self.record_gone()
            return False
        except models.LeadqError as error:
            self.show_errors({"form": str(error)})
            return False
        # The change reloads the screen (`data_changed`); that view refills the form.
        self._refill = True
        self.show_errors({})
        self.notify("Saved.")
        return True

    def _focus_first_error(self) -> None:
        for name in ALL_FIELDS:
            if name in self.errors:
                self.query_one("#detail-tabs", TabbedContent).active = "tab-form"
                widget = self.query_one(f"#f-{name}")
                widget.focus()
                self.query_one("#form", VerticalScroll).scroll_to_widget(
                    self.query_one(f"#row-{name}"), animate=False
                )
                return

    # Actions.
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        lead = self.lead
        if lead is None:
            return action == "back"
        if action in ("save", "qualify", "disqualify"):
            return lead.is_open
        if action == "reactivate":
            return not lead.is_open
        if action == "open_account":
            return self._linked("account") is not None
        if action == "open_contact":
            return self._linked("contact") is not None
        if action == "open_opportunity":
            return lead.opportunity is not None
        return True

    def _linked(self, kind: str) -> int | None:
        """The account or contact qualifying made, else the one the lead names."""
        lead = self.lead
        if lead is None:
            return None
        ref = getattr(lead, kind) or getattr(lead, f"existing_{kind}")
        return ref.id if ref is not None else None

    async def action_save(self) -> None:
        await self.save()

    async def action_qualify(self) -> None:
        if await self.save():
            self.app.qualify([self.lead_id])

    async def action_disqualify(self) -> None:
        if await self.save():
            self.app.disqualify([self.lead_id])

    def action_reactivate(self) -> None:
        self.app.reactivate(self.lead_id)

    def action_delete(self) -> None:
        self.app.delete([self.lead_id])

    async def action_add_note(self) -> None:
        notes = await self.pane_widget("tab-notes")
        self.query_one("#detail-tabs", TabbedContent).active = "tab-notes"
        # The pane shows on the next refresh; only then can its fields take focus.
        self.call_after_refresh(notes.focus_composer)  # type: ignore[attr-defined]

    def action_edit(self) -> None:
        """Show the form, its first field focused; a closed lead's fields focused, and
        why they cannot be edited."""
        self.query_one("#detail-tabs", TabbedContent).active = "tab-form"
        if self._editable:
            self.call_after_refresh(self.query_one("#f-topic").focus)
            return
        self.call_after_refresh(self._focus_read_only)
        if self._read_only is not None:
            self._read_only.say_why()

    async def action_assign_process(self) -> None:
        """Assign or change the qualifying process from any tab (the activities tab
        says p; its panel may hold nothing focusable)."""
        if not self._activities_on():
            self.notify(
                "The lead qualifying process feature is off; an administrator can turn "
                "it on in Settings.",
                severity="warning",
            )
            return
        panel = await self.pane_widget("tab-activities")
        await panel.action_assign()  # type: ignore[attr-defined]

    async def action_remove_process(self) -> None:
        if self._activities_on():
            panel = await self.pane_widget("tab-activities")
            await panel.action_remove()  # type: ignore[attr-defined]

    def _activities_on(self) -> bool:
        """Whether the lead qualifying process feature was on when the lead was read."""
        panel = self.built_pane("tab-activities")
        if panel is not None:
            return bool(panel.feature_on)  # type: ignore[attr-defined]
        return self.lead is not None and self.lead.activities.feature_on

    async def action_activities(self) -> None:
        if self._activities_on():
            panel = await self.pane_widget("tab-activities")
            self.query_one("#detail-tabs", TabbedContent).active = "tab-activities"
            panel.focus_list()  # type: ignore[attr-defined]

    async def action_history(self) -> None:
        history = await self.pane_widget("tab-history")
        self.query_one("#detail-tabs", TabbedContent).active = "tab-history"
        self.call_after_refresh(history.focus)

    def action_open_account(self) -> None:
        account_id = self._linked("account")
        if account_id is not None:
            self.app.open_account(account_id)

    def action_open_contact(self) -> None:
        contact_id = self._linked("contact")
        if contact_id is not None:
            self.app.open_contact(contact_id)

    def action_open_opportunity(self) -> None:
        if self.lead is not None and self.lead.opportunity is not None:
            self.app.open_opportunity(self.lead.opportunity.id)

    def unsaved_changes(self) -> list[str]:
        """The labels of the fields edited and not saved, then a note typed and not
        added (what leaving or quitting would lose)."""
        changes = self.changes() if self.lead is not None and self.lead.is_open else {}
        notes = self.built_pane("tab-notes")
        draft = notes.draft() if isinstance(notes, NotesPanel) else []
        return [LABELS[name] for name in changes] + draft

    def action_back(self) -> None:
        unsaved = self.unsaved_changes()
        if not unsaved:
            self.app.pop_screen()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()

        self.app.push_screen(DiscardChangesScreen(unsaved), answered)
