"""Account, contact and opportunity views: fields, related records, notes, history.

They exist so that what qualifying created or linked (and the notes carried
over from the lead) can be seen. Related records open on enter. The
opportunity's stage bar moves forward with `]` (or ctrl+right) and back with
`[` (or ctrl+left). Each view is one `models.RecordView` read in a worker
(`ViewScreen`): it reloads on a change while on top, and goes back, saying so,
when its record has been deleted.
"""

from __future__ import annotations

import datetime as dt

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

import models
from models import Stage

from ..loading import ViewScreen, run_service
from ..widgets.footer import KeyFooter
from ..widgets.history import HistoryTable, when
from ..widgets.lazy_tabs import LazyPanes, LazyTabPane
from ..widgets.literal import literal, printable
from ..widgets.notes_panel import NotesPanel
from ..widgets.stage_bar import StageBar
from .refusals import SaysWhyNot

Field = tuple[str, object]
Related = tuple[str, str, int, str]  # (heading, kind, id, label)


def fields_content(fields: list[Field] | tuple[Field, ...]) -> Content:
    """`Label  value` lines; values are user data, so literal."""
    lines = []
    width = max([16, *(len(label) + 1 for label, _ in fields)])  # a gap after the longest
    for label, value in fields:
        if isinstance(value, dt.datetime):
            value = when(value)
        text = value if isinstance(value, str) else ("" if value is None else str(value))
        lines.append(
            Content.assemble(
                (f"{label:<{width}}", "bold"),
                literal(text) if text else ("—", "dim"),
            )
        )
    return Content("\n").join(lines)


class RecordScreen(SaysWhyNot, LazyPanes, ViewScreen):
    """What the three record views share; subclasses say which kind they show.

    The view is read with what the user may do to the record: an action the rules
    refuse is dimmed in the footer and says why when pressed (`SaysWhyNot`). The
    Notes and History tabs are composed when first shown or needed (`LazyTabPane`)."""

    CSS_PATH = "records.tcss"
    KIND = "record"
    BUILT_OFF_STAGE = True  # the first one too: shown with its record, laid out and rendered
    RULES = {"edit": "edit", "assign": "assign", "delete": "delete"}
    BINDINGS = [
        Binding("e", "edit", "Edit", id="record.edit"),
        Binding("o", "assign", "Owner", id="record.assign"),
        Binding("delete", "delete", "Delete", id="record.delete"),
        Binding("n", "add_note", "Note", id="record.add_note"),
        Binding("h", "history", "History", id="record.history"),
        Binding("v", "overview", "Overview", show=False, id="record.overview"),
        Binding("escape", "back", "Back", id="record.back"),
        Binding("backspace,b", "back", "Back", show=False, id="record.back_alt"),
    ]

    def __init__(self, record_id: int) -> None:
        super().__init__()
        self.record_id = record_id
        self._refilled = False  # refilled: the next view is shown with the links focused

    @property
    def record(self) -> models.RecordView | None:
        return self.view

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.compose_top()
        with TabbedContent(id="record-tabs", initial="tab-overview"):
            with TabPane("Overview", id="tab-overview"), VerticalScroll(id="overview"):
                yield Static("", id="fields")
                yield Static("Related records (enter opens)", classes="section-title")
                yield OptionList(id="related")
            yield LazyTabPane("Notes", lambda: NotesPanel(id="notes"), id="tab-notes")
            yield LazyTabPane("History", lambda: HistoryTable(id="history"), id="tab-history")
        yield KeyFooter()

    def compose_top(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.watch_data()
        self.reload()
        self.query_one("#related", OptionList).focus()

    def refill(self, record_id: int) -> None:
        """Show record `record_id` next (built once and refilled, as the lead is)."""
        self.record_id = record_id
        self.view = None
        self.gone = False
        self.title, self.sub_title = self.KIND.capitalize(), ""
        self._refilled = True
        notes = self.built_pane("tab-notes")
        if isinstance(notes, NotesPanel):
            notes.reset()
        self.query_one("#record-tabs", TabbedContent).active = "tab-overview"
        self.query_one("#related", OptionList).highlighted = None
        self.reset_top()
        super().refill()

    def show_loading(self) -> None:
        self.query_one("#record-tabs").loading = True  # until the record arrives

    def reset_top(self) -> None:
        pass

    def read_view(self) -> models.RecordView:
        view = models.record_view(self.KIND, self.record_id)
        return models.with_actions(view, self.app.user)

    @property
    def decisions(self) -> dict[str, models.Decision]:  # type: ignore[override]
        return dict(self.record.actions) if self.record is not None else {}

    def on_key(self, event: events.Key) -> None:
        self.say_why_not(event)

    def show_view(self, record: models.RecordView) -> None:
        self.query_one("#record-tabs").loading = False
        if self._refilled:  # shown again with this record, its links focused
            self._refilled = False
            self.query_one("#related", OptionList).focus()
        self.title = printable(record.title)
        self.sub_title = f"{self.KIND.capitalize()} #{record.id}"
        if record.closed and self.KIND != "opportunity":  # merged: its stage bar says won/lost
            self.sub_title += f" · {record.closed}, read-only"
        self.query_one("#fields", Static).update(fields_content(record.fields))
        self._show_related([(h, r.kind, r.id, r.label) for h, r in record.related])
        for pane_id in ("tab-notes", "tab-history"):
            widget = self.built_pane(pane_id)
            if widget is not None:
                self.pane_built(pane_id, widget)
        self.show_top(record)
        self.refresh_bindings()

    def pane_built(self, pane_id: str, widget: Widget) -> None:
        """Show the record in a tab's panel (built, or just built)."""
        record = self.record
        if record is None:
            return
        if isinstance(widget, NotesPanel):
            widget.show_view((self.KIND, record.id), record.notes)
        elif isinstance(widget, HistoryTable):
            widget.show_entries(record.history)

    def show_top(self, record: models.RecordView) -> None:
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
        if self.record is None:
            return action == "back"
        return self.refused_state(action)

    def action_edit(self) -> None:
        self.app.edit_record(self.KIND, self.record_id)  # type: ignore[attr-defined]

    def action_assign(self) -> None:
        self.app.assign_owner(self.KIND, [self.record_id])  # type: ignore[attr-defined]

    def action_delete(self) -> None:
        self.app.delete_record(self.KIND, self.record_id)  # type: ignore[attr-defined]

    async def action_add_note(self) -> None:
        notes = await self.pane_widget("tab-notes")
        self.query_one("#record-tabs", TabbedContent).active = "tab-notes"
        # The pane shows on the next refresh; only then can its fields take focus.
        self.call_after_refresh(notes.focus_composer)  # type: ignore[attr-defined]

    async def action_history(self) -> None:
        history = await self.pane_widget("tab-history")
        self.query_one("#record-tabs", TabbedContent).active = "tab-history"
        self.call_after_refresh(history.focus)

    def action_overview(self) -> None:
        self.query_one("#record-tabs", TabbedContent).active = "tab-overview"
        self.call_after_refresh(self.query_one("#related", OptionList).focus)

    def action_back(self) -> None:
        self.app.pop_screen()


class AccountScreen(RecordScreen):
    """An account, its contacts and opportunities, and the leads it came from."""

    KIND = "account"


class ContactScreen(RecordScreen):
    """A contact, its account and opportunities, and the leads it came from."""

    KIND = "contact"


class OpportunityScreen(RecordScreen, inherit_bindings=False):
    """An opportunity with its stage bar, customer, originating lead and notes
    (its own and the lead's, marked "from lead").

    Its own keys come first (the footer shows keys in the order they are defined,
    and at 80 columns only the first fit), then the record keys and the screen's."""

    KIND = "opportunity"
    RULES = {
        **RecordScreen.RULES,
        "move_stage": "move_stage",
        "close_won": "close_won",
        "close_lost": "close_lost",
        "reopen": "reopen",
        "steps": "edit",
    }
    BINDINGS = [
        Binding("w", "close_won", "Won", id="opportunity.close_won"),
        Binding("l", "close_lost", "Lost", id="opportunity.close_lost"),
        Binding("r", "reopen", "Reopen", id="opportunity.reopen"),
        Binding("t", "steps", "Steps", id="opportunity.steps"),
        Binding(
            "right_square_bracket",
            "move_stage(1)",
            "Next stage",
            show=False,  # the stage bar says so
            id="opportunity.next",
        ),
        Binding(
            "left_square_bracket",
            "move_stage(-1)",
            "Prev stage",
            show=False,
            id="opportunity.prev",
        ),
        Binding("ctrl+right", "move_stage(1)", "Next stage", show=False, id="opportunity.next2"),
        Binding("ctrl+left", "move_stage(-1)", "Prev stage", show=False, id="opportunity.prev2"),
        *RecordScreen.BINDINGS,
        *Screen.BINDINGS,
    ]

    OPEN_HINT = "[ back  ] forward  t steps"

    def compose_top(self) -> ComposeResult:
        yield StageBar(Stage.DEVELOP, hint=self.OPEN_HINT, id="stage-bar")
        yield Static("", id="stage-message")

    def reset_top(self) -> None:
        message = self.query_one("#stage-message", Static)
        message.update("")
        message.remove_class("error", "closed")

    def show_top(self, record: models.RecordView) -> None:
        assert record.stage is not None
        hint = "" if record.closed else self.OPEN_HINT
        self.query_one(StageBar).set_stages(record.stage, dict(record.steps), hint=hint)
        message = self.query_one("#stage-message", Static)
        message.set_class(bool(record.closed), "closed")
        if not record.closed:
            if not message.has_class("error"):
                message.update("")
            return
        message.remove_class("error")
        message.update(
            Content.assemble(
                (f"■ {record.closed}. ", "bold reverse"),
                ("Read-only: press r to reopen.", "bold"),
            )
        )

    def action_close_won(self) -> None:
        self.app.close_opportunity(self.record_id, True)  # type: ignore[attr-defined]

    def action_close_lost(self) -> None:
        self.app.close_opportunity(self.record_id, False)  # type: ignore[attr-defined]

    def action_reopen(self) -> None:
        self.app.reopen_opportunity(self.record_id)  # type: ignore[attr-defined]

    def action_steps(self) -> None:
        """Tick the yes/no steps of the stages (refused before it opens, by the rules)."""
        from .opportunity_steps import OpportunitySteps

        record = self.record
        if record is None or record.stage is None:
            return
        steps = OpportunitySteps(self.record_id, record.title, record.stage, dict(record.steps))
        self.app.push_screen(steps)

    async def action_move_stage(self, step: int) -> None:
        message = self.query_one("#stage-message", Static)
        try:
            await run_service(
                self.app,
                models.move_opportunity_stage,
                self.app.user,
                self.record_id,
                step,
                changes=True,
            )
        except models.NotFound:
            self.record_gone()
            return
        except models.LeadqError as error:
            message.update(literal(f"⚠ {error}"))
            message.add_class("error")
            return
        message.update("")
        message.remove_class("error")
