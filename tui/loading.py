"""The one way screens read and write: never on the event loop.

- A `ViewScreen` shows one read model (`models.views`). `reload()` reads it in one
  exclusive thread worker and `show_view()` gets it on the loop when it arrives; a
  result overtaken by a newer reload is dropped (as Textual's
  `examples/dictionary.py` drops stale lookups). Only the screen on top reloads
  when data changes; the others reload when they come back. A record deleted by
  another session makes the screen say so and go back.
- `run_service()` runs a model service in a thread worker with its own database
  connection and returns its result (or raises its error) to the awaiting
  handler; with `changes=True` it tells the app that data changed, with the change
  token read right after the service, so the app's poll does not report the same
  change again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import peewee
from textual import events, work
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerFailed, get_current_worker

import models

if TYPE_CHECKING:
    from .app import LeadqApp

T = TypeVar("T")

SERVICE_GROUP = "services"
VIEW_GROUP = "view"


async def run_service(app: Any, fn: Callable[..., T], *args: Any, changes: bool = False) -> T:
    """`fn(*args)` in a thread worker; its result, or its exception raised here.

    With `changes=True` (a service that writes), `app.data_changed(token)` follows
    a success, with the change token as it stands just after the write.
    """

    def job() -> tuple[T, int | None]:
        with models.thread_connection():
            result = fn(*args)
            return result, (models.change_token() if changes else None)

    worker: Worker[tuple[T, int | None]] = app.run_worker(
        job,
        name=getattr(fn, "__name__", "service"),
        group=SERVICE_GROUP,
        thread=True,
        exit_on_error=False,
    )
    try:
        result, token = await worker.wait()
    except WorkerFailed as failed:
        raise failed.error from None
    if changes:
        app.data_changed(token)
    return result


def error_message(error: Exception) -> str:
    """What a user reads about a failed read or service."""
    if isinstance(error, peewee.PeeweeException) and not isinstance(error, models.LeadqError):
        return f"The database reported an error: {error}"
    return str(error)  # a LeadqError (database faults too) is a sentence already


class ViewScreen(Screen):
    """A screen showing one read model, loaded in a worker (see the module doc)."""

    KIND = "record"
    """What the screen shows, for the message when it was deleted elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.view: Any = None
        self.gone = False
        self._wanted = 0  # the number of the latest reload asked for
        self._stale = False  # data changed while another screen was on top
        self._styled_theme: str | None = None

    @property
    def leadq(self) -> LeadqApp:
        return self.app  # type: ignore[return-value]

    # Built once, refilled (see `LeadqApp.show_screen`).
    def reusable(self) -> bool:
        """Whether this screen, built before, can show what is asked next."""
        return True

    def refill(self, *args: Any) -> None:
        """Show another record (or the same again) when pushed next: the view is read
        again as the screen comes back."""
        self._stale = True

    # What a screen says (overridden).
    def read_view(self) -> Any:
        """Read the view (runs in a worker thread: database work only, no widgets)."""
        raise NotImplementedError

    def show_view(self, view: Any) -> None:
        """Show a view that has just arrived (on the event loop)."""

    # Loading.
    def watch_data(self) -> None:
        """Reload on every change (call from `on_mount`, before the first `reload`)."""
        self.watch(self.app, "data_version", self._data_version_changed, init=False)

    @property
    def on_top(self) -> bool:
        """On top, or visible under a dialog on top (those reload on a change)."""
        top = self.app.screen
        return top is self or (isinstance(top, ModalScreen) and self.is_current)

    def _data_version_changed(self, _version: int) -> None:
        if self.on_top:
            self.reload()
        else:
            self._stale = True

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Shown again: reload if data changed meanwhile, go back if the record went.

        Textual's own handler (`Screen._on_screen_resume`, dispatched after this one)
        restyles every widget of a screen it shows again: 250 on the lead form, most
        of the cost of showing it. Only a theme changed since the screen was last
        styled can make its styles stale, so the restyle is kept for that case."""
        theme = self.app.theme
        if self._styled_theme == theme:
            event.refresh_styles = False
        self._styled_theme = theme
        if self.gone:
            self.record_gone()
        elif self._stale:
            self._stale = False
            self.reload()

    def reload(self) -> None:
        """Read the view again; what arrives for an earlier reload is dropped."""
        self._wanted += 1
        self._read(self._wanted)

    @work(thread=True, exclusive=True, group=VIEW_GROUP, exit_on_error=False)
    def _read(self, wanted: int) -> None:
        worker = get_current_worker()
        try:
            with models.thread_connection():
                result: Any = self.read_view()
        except (models.LeadqError, peewee.PeeweeException) as error:
            result = error
        if not worker.is_cancelled:
            self.app.call_from_thread(self._arrived, wanted, result)

    def _arrived(self, wanted: int, result: Any) -> None:
        if wanted != self._wanted or not self.is_attached:
            return  # a newer reload is on its way, or the screen has gone
        if isinstance(result, models.NotFound):
            self.record_gone()
        elif isinstance(result, Exception):
            self.notify(error_message(result), title="Could not load", severity="error")
        else:
            self.view = result
            self.show_view(result)

    def record_gone(self) -> None:
        """The record was deleted elsewhere: say so and go back (when on top)."""
        self.gone = True
        self.view = None
        self.refresh_bindings()
        if self.app.screen is self:
            self.notify(
                f"This {self.KIND} no longer exists: it was deleted in another session.",
                severity="warning",
            )
            self.app.pop_screen()
