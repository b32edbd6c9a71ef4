"""A lead's qualifying-process activities: grouped by level, with due dates, the
responsible role, a required marker, and who checked each off when.

space (or enter) checks the highlighted activity off or reopens it; p assigns a
process from a picker of active ones. When the lead qualifying process feature is
off the panel shows nothing, and hides the tab it sits in. The activities come
with the lead's view (`models.LeadDetail.activities`); checking off and assigning
run in workers, and the hosting screen shows the result when it reloads.
"""

from __future__ import annotations

import datetime as dt

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

import models
from models import ActivityView, AssignmentView

from ..loading import run_service
from .history import when
from .literal import literal, printable


def _date(value: dt.date) -> str:
    return f"{value:%Y-%m-%d}"


def due_range(start: dt.date, finish: dt.date) -> str:
    """`2024-03-01→03-04` (the year once when both dates share it)."""
    if start == finish:
        return _date(start)
    end = f"{finish:%m-%d}" if finish.year == start.year else _date(finish)
    return f"{_date(start)}→{end}"


def activity_prompt(activity: ActivityView, today: dt.date) -> Content:
    """The check box, purpose and required marker; the details below; who checked
    it off and when on a third line."""
    indent = "  " * (activity.level_depth + 1)
    box = "[x]" if activity.done else "[ ]"
    first = Content.assemble(
        (f"{indent}{box} ", "bold" if not activity.done else ""),
        literal(activity.purpose, "strike" if activity.done else ""),
        (" *" if activity.required else "", "bold"),
    )
    details: list[Content | tuple[str, str]] = [
        (f"{indent}    {'required' if activity.required else 'optional'}", ""),
        (f" · due {due_range(activity.due_start, activity.due_finish)}", ""),
        (f" · {activity.role_label}", ""),
    ]
    if not activity.done and activity.due_finish < today:
        details.append((" · OVERDUE", "bold reverse"))
    lines = [first, Content.assemble(*details).stylize("dim")]
    if activity.done:
        who = activity.done_by or "(deleted user)"
        lines.append(
            Content.assemble(
                (f"{indent}    done by ", ""),
                literal(who),
                (f", {when(activity.done_at)}", ""),
            ).stylize("dim")
        )
    return Content("\n").join(lines)


def level_prompt(activity: ActivityView) -> Content:
    indent = "  " * activity.level_depth
    return Content.assemble((f"{indent}▸ ", "bold"), literal(activity.level_name, "bold"))


def assignment_summary(
    assignment: AssignmentView, activities: tuple[ActivityView, ...] | list[ActivityView]
) -> Content:
    required_open = sum(1 for a in activities if a.required and not a.done)
    required = sum(1 for a in activities if a.required)
    done = sum(1 for a in activities if a.done)
    who = f" by {assignment.assigned_by}" if assignment.assigned_by else ""
    status: tuple[str, str] = (
        (f"{required_open} of {required} required open: qualifying is blocked", "bold")
        if required_open
        else ("All required activities done: ready to qualify", "bold")
    )
    return Content.assemble(
        ("Process: ", "bold"),
        literal(assignment.process_name, "bold"),
        literal(f" · assigned {_date(assignment.assigned_on)}{printable(who)}\n", multiline=True),
        status,
        (f" · {done} of {len(activities)} done", ""),
    )


class ActivitiesPanel(Vertical, can_focus=False):
    """The activities of one lead. The hosting screen calls `show_activities(lead)`
    with each `models.LeadDetail` it reads (or `show_lead(lead)` to have the panel
    read them itself)."""

    DEFAULT_CSS = """
    ActivitiesPanel {
        height: 1fr;
    }
    ActivitiesPanel #activities-summary {
        height: auto;
        padding: 0 1;
    }
    ActivitiesPanel #activities-message {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    ActivitiesPanel #activities-message.error {
        text-style: bold;
        color: $text-error;
    }
    ActivitiesPanel #activity-list {
        height: 1fr;
        min-height: 4;
    }
    ActivitiesPanel #activity-list > .option-list--option {
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("space", "toggle", "Check off/reopen", id="activities.toggle"),
        Binding("p", "assign", "Assign process", id="activities.assign"),
        Binding("P", "remove", "Remove process", id="activities.remove"),
    ]

    def __init__(
        self, *, today: dt.date | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.lead: models.LeadDetail | None = None
        self.assignment: AssignmentView | None = None
        self.activities: list[ActivityView] = []
        self.feature_on = False
        self._today = today
        self._said = False

    @property
    def today(self) -> dt.date:
        return self._today or dt.datetime.now(dt.UTC).date()

    def compose(self) -> ComposeResult:
        yield Static("", id="activities-summary")
        yield Static("", id="activities-message")
        yield OptionList(id="activity-list")

    # Loading.
    def show_lead(self, lead: models.Lead | models.LeadDetail) -> None:
        """Read `lead`'s view in a worker, then show its activities."""
        self._read(lead.id)

    @work(thread=True, exclusive=True, group="activities", exit_on_error=False)
    def _read(self, lead_id: int) -> None:
        try:
            with models.thread_connection():
                lead = models.lead_detail(lead_id)
        except models.LeadqError as error:
            self.app.call_from_thread(self._say, str(error), error=True)
            return
        self.app.call_from_thread(self.show_activities, lead)

    def show_activities(self, lead: models.LeadDetail) -> None:
        """Show `lead`'s activities, or nothing (and hide the tab) if the feature is off."""
        self.lead = lead
        view = lead.activities
        if view.feature_on != self.feature_on:
            self.feature_on = view.feature_on
            self.refresh_bindings()  # check_action answers with it: the footer's keys change
        self._show_tab(self.feature_on)
        self.display = self.feature_on
        if not self.feature_on:
            return
        self.assignment = view.assignment
        self.activities = list(view.activities)
        summary = self.query_one("#activities-summary", Static)
        option_list = self.query_one("#activity-list", OptionList)
        had_focus = option_list.has_focus or self.has_focus
        highlighted = option_list.highlighted
        option_list.clear_options()
        if self.assignment is None:
            summary.update(
                Content.assemble(
                    ("No qualifying process assigned. ", "bold"),
                    ("Press p to assign one." if lead.is_open else "", ""),
                )
            )
            option_list.display = False
        else:
            self.can_focus = False
            option_list.display = True
            summary.update(assignment_summary(self.assignment, self.activities))
            option_list.add_options(self._options())
            if highlighted is None or highlighted >= option_list.option_count:
                highlighted = self._first_activity_index()
            option_list.highlighted = highlighted
        if had_focus and not option_list.display:
            # Nothing to list: the panel keeps the focus, so that p still assigns.
            self.can_focus = True
            self.focus()
        elif had_focus:
            option_list.focus()
        if not lead.is_open:
            self._say(lead.closed_message())
        elif not self._said:
            self._say("space: check off or reopen · p: assign or change · P: remove the process")
            self._said = False

    def _options(self) -> list[Option]:
        options: list[Option] = []
        level = None
        for activity in self.activities:
            if activity.level_path != level:
                level = activity.level_path
                options.append(Option(level_prompt(activity), disabled=True))
            options.append(Option(activity_prompt(activity, self.today), id=f"a{activity.id}"))
        return options

    def _first_activity_index(self) -> int | None:
        option_list = self.query_one("#activity-list", OptionList)
        for index in range(option_list.option_count):
            if not option_list.get_option_at_index(index).disabled:
                return index
        return None

    def _show_tab(self, visible: bool) -> None:
        """Hide or show the tab pane this panel sits in (if any)."""
        pane = next((a for a in self.ancestors if isinstance(a, TabPane)), None)
        tabs = next((a for a in self.ancestors if isinstance(a, TabbedContent)), None)
        if pane is None or tabs is None or pane.id is None:
            return
        if visible:
            tabs.show_tab(pane.id)
        else:
            tabs.hide_tab(pane.id)

    def clear_message(self) -> None:
        """Forget what was said about the last lead (the panel shows another)."""
        self._said = False
        self._say("")
        self._said = False

    def _say(self, message: str, *, error: bool = False) -> None:
        self._said = True
        line = self.query_one("#activities-message", Static)
        line.set_class(error, "error")
        line.update(literal(("⚠ " if error else "") + message))

    def focus_list(self) -> None:
        option_list = self.query_one("#activity-list", OptionList)
        if option_list.display:
            option_list.focus()

    # Actions.
    def selected_activity(self) -> ActivityView | None:
        option_list = self.query_one("#activity-list", OptionList)
        option = option_list.highlighted_option
        if option is None or not option.id:
            return None
        return next((a for a in self.activities if f"a{a.id}" == option.id), None)

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        await self.action_toggle()

    async def action_toggle(self) -> None:
        activity = self.selected_activity()
        if activity is None or self.lead is None:
            return
        try:
            changed = await run_service(
                self.app,
                models.set_activity_done,
                self.app.user,
                activity.id,
                not activity.done,
                changes=True,
            )
        except models.LeadqError as error:
            self._say(str(error), error=True)
            return
        verb = "Checked off" if changed.done else "Reopened"
        self._say(f"{verb}: {changed.purpose}")

    async def action_assign(self) -> None:
        if self.lead is None or not self.feature_on:
            return
        if not self.lead.is_open:
            self._say(self.lead.closed_message("assign a process to"), error=True)
            return
        from ..screens.assign_process import AssignProcessScreen

        current = self.assignment.process_id if self.assignment else None
        try:
            processes = await run_service(self.app, _active_processes)
        except models.LeadqError as error:
            self._say(str(error), error=True)
            return
        self.app.push_screen(AssignProcessScreen(processes, current), self._assign_picked)

    async def action_remove(self) -> None:
        """Take the process off the lead (refused, saying why, while activities are
        done or the lead is closed: `models.remove_process`)."""
        if self.lead is None or not self.feature_on:
            return
        if self.assignment is None:
            self._say("No qualifying process is assigned to this lead.", error=True)
            return
        try:
            await run_service(
                self.app, models.remove_process, self.app.user, self.lead.id, changes=True
            )
        except models.LeadqError as error:
            self._say(str(error), error=True)
            return
        self._say(f"Removed {self.assignment.process_name}.")

    async def _assign_picked(self, process_id: int | None) -> None:
        if process_id is None or self.lead is None:
            return
        try:
            assignment = await run_service(
                self.app,
                models.assign_process,
                self.app.user,
                self.lead.id,
                process_id,
                changes=True,
            )
        except models.LeadqError as error:
            self._say(str(error), error=True)
            return
        self._say(f"Assigned {assignment.process_name}.")
        self.focus_list()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.feature_on


def _active_processes() -> list[models.ProcessSummary]:
    return models.list_processes(active_only=True)
