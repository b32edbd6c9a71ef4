"""The leadq Textual app: the shell that holds the screens.

Screens are imported lazily in the `open_*` methods so that start-up pays only
for the lead list.
"""

from __future__ import annotations

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive

import models

from .preferences import load_preferences, save_preference

POLL_SECONDS = 1.0


def _leadq_commands():  # -> type[Provider]; imported when the palette first opens
    from .commands import LeadqCommands

    return LeadqCommands


class LeadqApp(App[None]):
    """leadq for one signed-in user."""

    TITLE = "leadq"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {_leadq_commands}
    BINDINGS = [
        Binding("f1", "help", "Help", id="help"),
        Binding("question_mark", "help", "Help", show=False, id="help_alt"),
        Binding("f2", "settings", "Settings", id="settings"),
        Binding("f3", "processes", "Processes", show=False, id="processes"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    data_version: reactive[int] = reactive(0, init=False)
    """Grows when this or another session changes data; screens watch it to refresh."""

    def __init__(self, user_id: int, db_url: str | None = None, *, poll: bool = True) -> None:
        super().__init__()
        self.user_id = user_id
        self.db_url = db_url
        self.poll = poll
        # The baseline is read before any screen loads data, so that a change made
        # by another session before the first poll still refreshes this one.
        self._change_token = models.change_token() if poll else -1
        self.user = models.User.get_by_id(user_id)

    # Start-up.
    def get_default_screen(self):  # type: ignore[override]
        from .screens.lead_list import LeadListScreen

        screen = LeadListScreen()
        # Textual reads CSS_PATH only for pushed screens and MODES, not the default one.
        self._load_screen_css(screen)
        return screen

    def on_mount(self) -> None:
        from .widgets.literal import printable  # the user's name is user data

        self.sub_title = printable(f"{self.user} · {self.user.role_label}")
        theme = load_preferences().get("theme")
        if theme and theme in self.available_themes:
            self.theme = theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        if self.poll:
            self.set_interval(POLL_SECONDS, self._check_for_changes)

    def _remember_theme(self, theme: object) -> None:
        save_preference("theme", self.theme)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Paste):
            from .widgets.literal import pasted  # inputs would show control codes raw

            event.text = pasted(event.text)
        await super().on_event(event)

    # Live updates from other sessions.
    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def _check_for_changes(self) -> None:
        with models.thread_connection():
            token = models.change_token()
        if token != self._change_token:
            first = self._change_token == -1
            self._change_token = token
            if not first:
                self.call_from_thread(self.data_changed)

    def data_changed(self) -> None:
        """Tell every screen that data changed (here or in another session)."""
        self.user = models.User.get_by_id(self.user_id)
        self.data_version += 1

    # Navigation.
    def open_lead(self, lead_id: int) -> None:
        from .screens.lead_detail import LeadDetailScreen

        self.push_screen(LeadDetailScreen(lead_id))

    def open_account(self, account_id: int) -> None:
        from .screens.records import AccountScreen

        self.push_screen(AccountScreen(account_id))

    def open_contact(self, contact_id: int) -> None:
        from .screens.records import ContactScreen

        self.push_screen(ContactScreen(contact_id))

    def open_opportunity(self, opportunity_id: int) -> None:
        from .screens.records import OpportunityScreen

        self.push_screen(OpportunityScreen(opportunity_id))

    def action_settings(self) -> None:
        from .screens.settings import SettingsScreen

        self.push_screen(SettingsScreen())

    def open_processes(self) -> None:
        """The qualifying processes screen (it says so when the feature is off)."""
        from .screens.processes import ProcessesScreen

        if not isinstance(self.screen, ProcessesScreen):
            self.push_screen(ProcessesScreen())

    def action_processes(self) -> None:
        self.open_processes()

    def get_system_commands(self, screen):  # type: ignore[no-untyped-def]
        from textual.app import SystemCommand

        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Qualifying processes",
            "Define lead qualifying processes: levels and activities (F3)",
            self.open_processes,
        )

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # Lead actions (each runs a flow of dialogs; see tui/flows/lead_actions.py).
    def qualify(self, lead_ids: list[int]) -> None:
        from .flows.lead_actions import start_qualify

        start_qualify(self, lead_ids)

    def disqualify(self, lead_ids: list[int]) -> None:
        from .flows.lead_actions import start_disqualify

        start_disqualify(self, lead_ids)

    def reactivate(self, lead_id: int) -> None:
        from .flows.lead_actions import start_reactivate

        start_reactivate(self, lead_id)

    def delete(self, lead_ids: list[int]) -> None:
        from .flows.lead_actions import start_delete

        start_delete(self, lead_ids)
