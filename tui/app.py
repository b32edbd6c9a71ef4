"""The leadq Textual app: the shell that holds the screens.

Screens are imported lazily in the `open_*` methods so that start-up pays only
for the lead list.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive

import models

from .collector import IdleCollector
from .key_names import install as _name_keys_without_unicodedata
from .leaf_size import install as _size_leaves_without_layout
from .preferences import load_preferences, save_preference
from .screen_resize import install as _lay_out_once_per_size
from .shared_css import SharedStylesheet, css_file_text, css_variables
from .sort_order import install as _keep_sort_order_off_the_class
from .type_ahead import TypeAhead

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from .loading import ViewScreen

_keep_sort_order_off_the_class()  # tui/sort_order.py
_name_keys_without_unicodedata()  # tui/key_names.py
_lay_out_once_per_size()  # tui/screen_resize.py
_size_leaves_without_layout()  # tui/leaf_size.py

POLL_SECONDS = 1.0
DEACTIVATED_EXIT_STATUS = 1
"""The app's exit status when its user was deactivated during the session: 1, a
refusal, as docs/errors.md numbers them (3 is a database that cannot be opened)."""

SCREEN_STYLESHEETS = sorted((Path(__file__).parent / "screens").resolve().glob("*.tcss"))
"""Every screen's stylesheet, read after the first frame (`_read_screen_stylesheets`)."""
STYLESHEET_SECONDS = 0.02
PARSED_STYLESHEETS = 1024
"""How many parsed CSS sources the stylesheet keeps (`_keep_parsed_stylesheets`)."""


def _leadq_commands():  # -> type[Provider]; imported when the palette first opens
    from .commands import LeadqCommands

    return LeadqCommands


NEXT_MODULES = (
    "tui.flows.lead_actions",
    "tui.screens.qualify_dialog",
    "tui.screens.qualify_result",
    "tui.screens.duplicate_picker",
    "tui.screens.records",
)
"""What qualifying a lead imports (its flow, dialogs and the records it opens): 80 ms
of imports on the event loop at the first qualify (load 9), imported in a thread
instead, once the first record screen is shown and the user is idle (a thread
importing while the user types still slows the loop: it holds the GIL)."""


def _import_next_modules() -> None:
    for name in NEXT_MODULES:
        importlib.import_module(name)


def _read_change_token() -> int:
    """On the poll's thread: the change token, through the connection it keeps."""
    models.keep_thread_connection()
    return models.change_token()


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
        Binding("f5", "open_list('account')", "Accounts", show=False, id="accounts"),
        Binding("f6", "open_list('contact')", "Contacts", show=False, id="contacts"),
        Binding("f7", "open_list('opportunity')", "Opportunities", show=False, id="opportunities"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    data_version: reactive[int] = reactive(0, init=False)
    """Grows when this or another session changes data; screens watch it to refresh."""

    def __init__(
        self,
        user_id: int,
        db_url: str | None = None,
        *,
        poll: bool = True,
        file_area: models.FileArea | None = None,
    ) -> None:
        super().__init__()
        # Parsed CSS shared by every app of this process (a forked session: parsed
        # in the session factory before the fork; see shared_css.py).
        self.stylesheet = SharedStylesheet(variables=self.theme_variables)
        self._keep_parsed_stylesheets()
        self.user_id = user_id
        self.db_url = db_url
        self.poll = poll
        self.file_area = file_area
        """Set in a served session (SSH or web): files come from and go to this area
        only, never a server path."""
        # The baseline is read before any screen loads data, so that a change made
        # by another session before the first poll still refreshes this one.
        self._change_token = models.change_token() if poll else -1
        self.user = models.current_user(user_id)
        self._built: dict[type[ViewScreen], ViewScreen] = {}
        self._type_ahead = TypeAhead(self, give=super().on_event)
        self._asking_to_quit = False
        self._panicked = False
        self._collector = IdleCollector(self)
        self._poller: ThreadPoolExecutor | None = None
        """The app's database thread (`_database_thread`): the start-up check, then
        the change poll, which keeps one database connection there for the session."""
        self._prefetched = False  # `NEXT_MODULES` imported
        self.refusal: models.LeadqError | None = None
        """What the app ended on, for the command line to say once the terminal is
        restored (a damaged database file found by the start-up check)."""

    def get_css_variables(self) -> dict[str, str]:
        return css_variables(self, super().get_css_variables)  # kept per theme

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        """Restyle `node` and its children, unless it is not mounted yet.

        A widget is styled when it mounts (`App._register` applies the stylesheet to
        each new widget); a class set in its constructor, such as `compact=True` on
        an Input, a Select or a TextArea, styled it once more before that, alone and
        for nothing: 0.8 ms per input, a third of composing the lead form."""
        if node is self or node.is_attached:
            super().update_styles(node, animate)

    def _keep_parsed_stylesheets(self) -> None:
        """Let the stylesheet's parse cache hold every source the app has.

        Textual keeps each source's rules (a widget's DEFAULT_CSS, a screen's file)
        in an LRU cache of 64; every widget class mounted for the first time adds a
        source, and the rules of all of them are taken from that cache again. leadq
        has more than 64 once a few screens were opened (67 after the import
        screen), and a pass over more sources than the cache holds misses on every
        one: each was parsed again (1 s on the event loop at load 10), or, with the
        process's table (`SharedStylesheet`), copied again (15 ms; 0.9 ms with the
        cache grown). (A private attribute of Textual 8.2, pinned in
        pyproject.toml; without it the cache stays as it was.)"""
        cache = getattr(self.stylesheet, "_parse_cache", None)
        if cache is not None:
            cache.grow(PARSED_STYLESHEETS)

    def get_driver_class(self):  # type: ignore[no-untyped-def]
        """Textual's choice, except that `LinuxDriver` becomes `LenientLinuxDriver`:
        input bytes that are not UTF-8 arrive as U+FFFD (see tui/driver.py)."""
        driver = super().get_driver_class()
        if driver.__module__ == "textual.drivers.linux_driver":
            from .driver import LenientLinuxDriver

            return LenientLinuxDriver
        return driver

    @property
    def crashed(self) -> bool:
        """Whether the app ended on an unhandled exception or a panic (Textual printed
        the traceback)."""
        return self._exception is not None or self._panicked

    def panic(self, *renderables) -> None:  # type: ignore[no-untyped-def]
        self._panicked = True  # e.g. the input thread died (Textual calls this)
        super().panic(*renderables)

    # Start-up.
    def get_default_screen(self):  # type: ignore[override]
        from .screens.lead_list import LeadListScreen

        screen = LeadListScreen()
        # Textual reads CSS_PATH only for pushed screens and MODES, not the default one.
        self._load_screen_css(screen)
        return screen

    def _read_screen_stylesheets(self) -> None:
        """Read the other screens' stylesheets once the first frame is painted.

        Textual reads a screen's CSS_PATH when the screen is first pushed, and then
        parses every stylesheet again and restyles every widget of every screen
        built: 84-268 ms on the event loop the first time the qualify result or the
        opportunity view opened once a lead form was built. Read before, it is not
        read then. Each rule of these files starts with its screen's name
        (tests/tui/test_tui_css_scope.py), so reading one early restyles nothing
        else. The files are read, not their modules imported: start-up stays lazy,
        and reading them all before the first frame would parse them three times
        over during start-up (50 ms more at load 8).

        When this process parsed them all ahead for the app's CSS variables (a
        session forked from the factory on the default theme, `shared_css`), they
        are added together with the texts read then and parsed once: a parse takes
        every source's rules again, 19 of them one by one cost 10-15 ms of every
        served session's start. Otherwise each one that is really parsed is read
        alone, one every `STYLESHEET_SECONDS` (a few milliseconds each)."""
        sheet = self.stylesheet
        unread = [p for p in SCREEN_STYLESHEETS if not sheet.has_source(str(p), "")]
        texts = [css_file_text(path) for path in unread]
        if unread and all(
            text is not None and sheet.parsed_ahead(text, (str(path), ""))
            for path, text in zip(unread, texts, strict=True)
        ):
            for path, text in zip(unread, texts, strict=True):
                assert text is not None
                sheet.add_source(text, read_from=(str(path), ""))
            sheet.parse()
            return

        def read_next() -> None:
            while unread:
                if self.read_stylesheets([unread.pop(0)]):  # not pushed meanwhile
                    return
            timer.stop()

        timer = self.set_interval(STYLESHEET_SECONDS, read_next, name="screen stylesheets")

    def read_stylesheets(self, paths: Iterable[PurePath | str]) -> bool:
        """Read those of `paths` not read yet and parse them (the others come from the
        parse cache), restyling nothing (see `_read_screen_stylesheets`); whether any
        was read."""
        unread = [path for path in paths if not self.stylesheet.has_source(str(path), "")]
        for path in unread:
            self.stylesheet.read(path)
        if unread:
            self.stylesheet.parse()
        return bool(unread)

    def on_mount(self) -> None:
        from .widgets.literal import printable  # the user's name is user data

        self.sub_title = printable(f"{self.user} · {self.user.role_label}")
        theme = load_preferences().get("theme")
        if theme and theme in self.available_themes:
            self.theme = theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        if self.poll:
            self.set_interval(POLL_SECONDS, self._check_for_changes)
        from .loading import keep_built_objects  # the list is built: keep it

        self.call_after_refresh(keep_built_objects)
        self.call_after_refresh(models.release_page_cache)  # the loop reads no more
        self.call_after_refresh(self._read_screen_stylesheets)
        self.call_after_refresh(self._check_database_file)
        self._collector.start()

    def on_unmount(self) -> None:
        self._collector.stop()
        if self._poller is not None:  # its connection is closed in its own thread
            self._poller.submit(models.close_database)
            self._poller.shutdown(wait=False)

    def _database_thread(self) -> ThreadPoolExecutor:
        """The thread of the start-up check and the change poll, made when first
        needed (after the first frame: never in the session factory, which forks).
        One thread for both: the check's connection (its schema and pages) is gone
        before the poll's is made in the same place, where a thread of its own kept
        another 0.2-0.4 MiB of the C heap for the session (bench_tui)."""
        if self._poller is None:
            self._poller = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadq-poll")
        return self._poller

    @work(exclusive=True, group="open-check", exit_on_error=False)
    async def _check_database_file(self) -> None:
        """The start-up check of the database file, once the first screen is painted
        (`models.open_database(check_later=True)`; nothing to do if the open made it),
        on the app's database thread (the first poll waits for it: at most
        `QUICK_CHECK_SECONDS`). A damaged file ends the app, with the same sentence
        and exit status as a refusal at start; a save meanwhile waited for the check
        and was refused."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._database_thread(), models.finish_open_check)
        except models.DatabaseDamaged as exc:
            self.end_on_refusal(exc)

    def end_on_refusal(self, error: models.LeadqError) -> None:
        self.refusal = error
        self.exit(return_code=error.exit_status)

    def _remember_theme(self, theme: object) -> None:
        save_preference("theme", self.theme)

    # Input: keys and pastes from the terminal are given in turn (tui/type_ahead.py).
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent | events.Paste):
            self._collector.touched()  # the user is here: no full collection now
        if isinstance(event, events.Paste):
            from .widgets.literal import pasted  # inputs would show control codes raw

            event.text = pasted(event.text)
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            await self._type_ahead.typed(event)
            return
        if isinstance(event, events.MouseDown | events.MouseUp) and not event.is_forwarded:
            await super().on_event(event)
            self._type_ahead.pressed(event)  # what is typed next waits for its click
            return
        await super().on_event(event)

    def opening_screen(self) -> ViewScreen | None:
        """The screen being opened over the current one: built off-stage, or refilled
        and waiting for its view (`ViewScreen.open_over`, `build_over`). Until it is
        shown, what is typed waits for it (tui/type_ahead.py)."""
        for screen in self._built.values():
            if screen.opening_over is not None and screen.opening_over is self.screen:
                return screen
        return None

    def screen_opened(self) -> None:
        """A screen opened: what was typed meanwhile is given to it once shown."""
        self._type_ahead.screen_opened()

    def open_dropped(self) -> None:
        """A screen's opening ended without it: what was typed for it is dropped."""
        self._type_ahead.open_dropped()

    # An open overtaken: another screen shown or closed first (a dialog, a click).
    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self._overtake_opens()
        return super().push_screen(screen, *args, **kwargs)

    def pop_screen(self) -> Any:  # type: ignore[override]
        self._overtake_opens()
        self._type_ahead.screen_closing()
        return super().pop_screen()

    def switch_screen(self, screen: Any) -> Any:  # type: ignore[override]
        self._overtake_opens()
        return super().switch_screen(screen)

    def _overtake_opens(self) -> None:
        """The screens change: an open under way is dropped (`ViewScreen.overtaken`), so
        that it is not shown later, when its origin happens to be on top again."""
        for screen in self._built.values():
            screen.overtaken()

    # Live updates from other sessions.
    @work(exclusive=True, group="poll", exit_on_error=False)
    async def _check_for_changes(self) -> None:
        """Read the change token on the poll's own thread, which keeps its database
        connection from one poll to the next (a thread worker is a new thread, so a
        new connection, every second)."""
        loop = asyncio.get_running_loop()
        token = await loop.run_in_executor(self._database_thread(), _read_change_token)
        if token > self._change_token:  # tokens only grow; a local change may be ahead
            first = self._change_token == -1
            self._change_token = token
            if not first:
                self.data_changed()

    def data_changed(self, token: int | None = None) -> None:
        """Tell the screens that data changed (here or in another session), and read
        the signed-in user again (`_after_change`): a deactivated user's session ends.

        `token`: the change token just after a change made here, so that the poll
        does not report that change again a second later (a second reload); if the
        poll has already reported it (it read the token after the change was saved,
        and the screens reloaded then), nothing is reloaded again.
        """
        if token is not None:
            if 0 <= token <= self._change_token:
                return
            self._seen(token)
        self.data_version += 1
        self._after_change(read_token=token is None)

    def _seen(self, token: int) -> None:
        if token > self._change_token >= 0:  # -1: not polling
            self._change_token = token

    @work(thread=True, exclusive=True, group="user", exit_on_error=False)
    def _after_change(self, read_token: bool) -> None:
        """The signed-in user again (an administrator may have changed the role, or
        deactivated them: then the session ends, within one poll of the deactivation,
        which writes an audit event and so moves the change token), and the change
        token when the caller had none to give."""
        try:
            with models.thread_connection():
                user = models.current_user(self.user_id)
                token = models.change_token() if read_token and self.poll else None
        except models.NotFound:  # the user is gone altogether
            self.call_from_thread(self.end_deactivated_session)
            return
        if not user.active:
            self.call_from_thread(self.end_deactivated_session)
            return
        self.call_from_thread(setattr, self, "user", user)
        if token is not None:
            self.call_from_thread(self._seen, token)

    def end_deactivated_session(self) -> None:
        """End the session of a user who was deactivated (or removed) meanwhile.

        Ended rather than made read-only: deactivating someone (a rep who left)
        is meant to stop them reading the pipeline too, not only writing to it.
        """
        from rich.text import Text  # a plain Text: never parsed as markup

        from .widgets.literal import printable

        name = printable(self.user.username)
        self.exit(
            return_code=DEACTIVATED_EXIT_STATUS,
            message=Text(
                f"leadq: the user {name} was deactivated by an administrator; "
                "this session has ended."
            ),
        )

    # Quitting.
    async def action_quit(self) -> None:
        """Quit (ctrl+q, the palette's Quit); first ask, as escape on a lead does, when
        a form has unsaved edits or a note was typed and not added."""
        if self._asking_to_quit:
            return
        unsaved = self.unsaved_changes()
        if not unsaved:
            self.exit()
            return
        from .screens.lead_detail import DiscardChangesScreen

        def answered(discard: bool | None) -> None:
            self._asking_to_quit = False
            if discard:
                self.exit()

        self._asking_to_quit = True
        question = "Quit leadq and discard them?"
        self.push_screen(DiscardChangesScreen(unsaved, question=question), answered)

    def unsaved_changes(self) -> list[str]:
        """What quitting now would lose, from every open screen (`unsaved_changes()`)."""
        found: list[str] = []
        for screen in self.screen_stack:
            ask = getattr(screen, "unsaved_changes", None)
            if callable(ask):
                found += ask()
        return found

    # Navigation.
    def show_screen(self, kind: type[ViewScreen], *args: Any) -> None:
        """Push the `kind` screen for `args`: the one built before, refilled, unless it
        is already on the stack (then a new one). A screen is built once: composing
        and styling the lead form costs far more than reading and showing a lead. A
        refilled screen is pushed when its view has arrived (`ViewScreen.open_over`)."""
        self._collector.touched()  # a screen is being opened: no full collection now
        screen = self._built.get(kind)
        if screen is None or screen in self.screen_stack or not screen.reusable():
            screen = kind(*args)
            if kind not in self._built:
                self._collector.hold()  # until its first view is shown (`screen_built`)
                self._built[kind] = screen
                self.install_screen(screen, f"leadq-{kind.__name__}")
                if kind.BUILT_OFF_STAGE:
                    screen.build_over(self.screen)  # shown when built, its view there
                    return
            self.push_screen(screen)
        else:
            screen.show_next(self.screen, *args)  # shown when its view has arrived

    def screen_built(self) -> None:
        """A screen built for the first time shows its first view, its objects frozen
        (`ViewScreen`): full collections may run again once the user is idle, and
        then the modules of what is done next from a record are imported."""
        self._collector.release()
        if not self._prefetched:
            self._prefetched = True
            self._collector.when_idle(self._import_next_modules)

    def _import_next_modules(self) -> None:
        self.run_worker(_import_next_modules, thread=True, exit_on_error=False)

    def open_lead(self, lead_id: int) -> None:
        from .screens.lead_detail import LeadDetailScreen

        self.show_screen(LeadDetailScreen, lead_id)

    def open_account(self, account_id: int) -> None:
        from .screens.records import AccountScreen

        self.show_screen(AccountScreen, account_id)

    def open_contact(self, contact_id: int) -> None:
        from .screens.records import ContactScreen

        self.show_screen(ContactScreen, contact_id)

    def open_opportunity(self, opportunity_id: int) -> None:
        from .screens.records import OpportunityScreen

        self.show_screen(OpportunityScreen, opportunity_id)

    def open_import(self) -> None:
        from .screens.import_leads import ImportScreen

        self.push_screen(ImportScreen())

    def open_record(self, kind: str, record_id: int) -> None:
        """The view of any record by kind (a new record opens here once saved)."""
        {
            "lead": self.open_lead,
            "account": self.open_account,
            "contact": self.open_contact,
            "opportunity": self.open_opportunity,
        }[kind](record_id)

    def action_open_list(self, kind: str) -> None:
        """The list of accounts, contacts or opportunities (F5, F6, F7)."""
        from .screens.record_list import RecordListScreen

        screen = self.screen
        if isinstance(screen, RecordListScreen) and screen.kind == kind:
            return
        self.push_screen(RecordListScreen(kind))

    def new_record(self, kind: str) -> None:
        """The create form of a lead, account, contact or opportunity."""
        from .screens.record_form import RecordFormScreen

        self.push_screen(RecordFormScreen(kind))

    def action_new_lead(self) -> None:
        self.new_record("lead")

    def edit_record(self, kind: str, record_id: int) -> None:
        from .screens.record_form import RecordFormScreen

        self.push_screen(RecordFormScreen(kind, record_id))

    def assign_owner(self, kind: str, ids: list[int]) -> None:
        from .flows.record_actions import start_assign_owner

        start_assign_owner(self, kind, ids)

    def bulk_edit(self, lead_ids: list[int]) -> None:
        from .flows.record_actions import start_bulk_edit

        start_bulk_edit(self, lead_ids)

    def delete_record(self, kind: str, record_id: int, then: object = None) -> None:
        from .flows.record_actions import start_delete_record

        start_delete_record(self, kind, record_id, then)

    def close_opportunity(self, opportunity_id: int, won: bool) -> None:
        from .flows.record_actions import start_close

        start_close(self, opportunity_id, won)

    def reopen_opportunity(self, opportunity_id: int) -> None:
        from .flows.record_actions import start_reopen

        start_reopen(self, opportunity_id)

    def action_settings(self) -> None:
        from .screens.settings import SettingsScreen

        self.show_screen(SettingsScreen)

    def open_processes(self) -> None:
        """The qualifying processes screen (it says so when the feature is off)."""
        from .screens.processes import ProcessesScreen

        if not isinstance(self.screen, ProcessesScreen):
            self.show_screen(ProcessesScreen)

    def action_processes(self) -> None:
        self.open_processes()

    def get_system_commands(self, screen):  # type: ignore[no-untyped-def]
        from textual.app import SystemCommand

        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":  # Textual's writes to a server path
                yield command
        where = "your file area" if self.file_area is not None else "Downloads (or here)"
        yield SystemCommand(
            "Screenshot",
            f"Save an SVG screenshot of this screen to {where}",
            lambda: self.set_timer(0.1, self.save_screenshot_for_user),
        )
        yield SystemCommand(
            "Qualifying processes",
            "Define lead qualifying processes: levels and activities (F3)",
            self.open_processes,
        )
        for kind, label, key in (
            ("account", "Accounts", "F5"),
            ("contact", "Contacts", "F6"),
            ("opportunity", "Opportunities", "F7"),
        ):
            yield SystemCommand(
                label, f"List, search and open {label.lower()} ({key})",
                lambda kind=kind: self.action_open_list(kind),
            )  # fmt: skip
        # A list offers its own New (with its key): the palette names each action once.
        from .screens.lead_list import LeadListScreen
        from .screens.record_list import RecordListScreen

        if not isinstance(screen, LeadListScreen):
            yield SystemCommand(
                "New lead", "Create a lead (n on the lead list)", self.action_new_lead
            )
        listed = screen.kind if isinstance(screen, RecordListScreen) else None
        for kind in ("account", "contact", "opportunity"):
            if kind == listed:
                continue
            article = "an" if kind[0] in "aeiou" else "a"
            yield SystemCommand(
                f"New {kind}", f"Create {article} {kind}", lambda kind=kind: self.new_record(kind)
            )

    # Screenshots.
    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Textual's screenshot action, routed through leadq's (no path is taken from
        the action, so a served session cannot be made to write elsewhere)."""
        self.save_screenshot_for_user()

    def deliver_screenshot(self, *args: object, **kwargs: object) -> str | None:
        self.save_screenshot_for_user()
        return None

    def save_screenshot_for_user(self) -> None:
        """An SVG of the screen: into the file area when served, else into Downloads
        (or the current folder, or leadq's data folder, whichever can be written)."""
        from textual.content import Content

        svg = self.export_screenshot().encode("utf-8")
        stamp = dt.datetime.now().strftime("%Y-%m-%d %H.%M.%S")
        name = f"leadq screenshot {stamp}.svg"
        try:
            if self.file_area is not None:
                saved = _save_in_area(self.file_area, name, svg)
                message = f"Saved {saved} to your file area."
            else:
                message = f"Saved the screenshot to {_save_locally(name, svg)}."
        except (models.LeadqError, OSError) as exc:
            reason = str(exc) if isinstance(exc, models.LeadqError) else exc.strerror
            self.notify(Content(f"The screenshot was not saved: {reason}"), severity="error")
            return
        self.notify(Content(message), title="Screenshot")

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


def _save_in_area(area: models.FileArea, name: str, data: bytes) -> str:
    stem = name.removesuffix(".svg")
    names = [name] + [f"{stem} ({attempt}).svg" for attempt in range(2, 100)]
    try:
        return area.write_first_free(names, data).name
    except models.NameTaken:
        raise models.FileAreaError(
            "There are too many screenshots of this second; try again."
        ) from None


def screenshot_folders() -> list[Path]:
    """Where a local screenshot goes, in order: Downloads, the current folder, and
    leadq's data folder (made if need be)."""
    from platformdirs import user_downloads_dir

    return [Path(user_downloads_dir()), Path.cwd(), models.data_dir() / "screenshots"]


def _save_locally(name: str, data: bytes) -> Path:
    last_error: OSError | None = None
    for index, folder in enumerate(screenshot_folders()):
        if index == 2:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            continue
        target = folder / name
        try:
            with open(target, "xb") as handle:
                handle.write(data)
        except OSError as exc:
            last_error = exc
            continue
        return target
    raise last_error or OSError(0, "no folder to write it to")
