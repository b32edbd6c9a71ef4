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

import asyncio
import gc
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import peewee
from textual import events, work
from textual._compositor import Compositor, ReflowResult
from textual.geometry import Region, Size
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker, WorkerFailed, get_current_worker

import models

if TYPE_CHECKING:
    from .app import LeadqApp

T = TypeVar("T")

SERVICE_GROUP = "services"
VIEW_GROUP = "view"

OPEN_WAIT_SECONDS = 0.15
"""How long a screen built before waits for its view before it is shown anyway
(with a loading indicator); reads usually take a few milliseconds."""

STEP_PAUSE_SECONDS = 0.005
"""The pause after each step of a screen built off-stage (`ViewScreen.build_over`), in
which the loop handles what came meanwhile: a key, a frame, a timer."""

STEPS_PER_LAYOUT = 2
"""A screen built off-stage is laid out after this many steps of its build (and once
composed, and once built): after each step, the layouts cost the lead detail's first
open 90 ms more of the loop's time in all; after two, as much as one layout at the end."""

RENDER_BAND_LINES = 6
"""A screen built off-stage renders its widgets' lines this many screen lines at a time,
a pause between two bands (the first render of the lead detail was 35-45 ms in one go)."""

LAYOUT_PASSES = 4
"""At most this many layouts of a screen built off-stage, before it is pushed."""


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


def keep_built_objects() -> None:
    """Move every object alive now out of the garbage collector's reach (`gc.freeze`).

    A screen is built once and kept (its widgets, styles and caches: 200,000
    objects once the lead form is built), and a full collection walks them all,
    which stalled the event loop for 0.3-1 s on a busy machine every few screens
    opened. Kept objects are still freed when nothing refers to them; a cycle that
    is garbage at the moment of a freeze is kept for good, and freezes happen a few
    times a session (after the first frame and when a screen kind first shows its
    view), so that costs little."""
    gc.freeze()


def error_message(error: Exception) -> str:
    """What a user reads about a failed read or service."""
    if isinstance(error, peewee.PeeweeException) and not isinstance(error, models.LeadqError):
        return f"The database reported an error: {error}"
    return str(error)  # a LeadqError (database faults too) is a sentence already


class _MapKeepingCompositor(Compositor):
    """A compositor whose full map, made by each layout, is not made again just after.

    A widget updated while not visible (a hidden form's field, a footer key) marks
    Textual's full map stale at the start of the next layout; the layout makes a
    new full map but leaves the mark, so the first widget that then asks where it
    is (a footer key that changed size, as a closed lead is followed by an open
    one) arranged the whole screen a second time, 3-8 ms on the lead detail."""

    def reflow(self, parent: Widget, size: Size) -> ReflowResult:
        result = super().reflow(parent, size)
        self._full_map_invalidated = False  # `reflow` made it, of every widget
        return result

    def _render_chops(
        self, crop: Region, is_rendered_line: Callable[[int], bool]
    ) -> Sequence[Mapping[int, Strip]]:
        """Textual's `Compositor._render_chops`, without rendering a widget that the
        widgets in front of it cover whole: what it would draw is thrown away.

        The compositor paints front to back, and the first strip for each cut of a
        line wins, but it rendered every widget shown first: the screen itself and
        the containers under the lead form (the tabs, their switcher, the form's
        pane: 80 lines, drawn anew each time their size changes, as the closed
        lead's banner comes and goes) for nothing. A widget with any cut of a line
        still empty is rendered and placed as Textual does."""
        cuts = self.cuts
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
        intersection = Region.intersection
        contains_region = Region.contains_region
        for widget, region, clip in self._widgets_in(crop):
            render_region = intersection(region, clip)
            x, y, width, height = render_region
            if not (width and height):
                continue
            first_cut, last_cut = render_region.column_span
            lines = [line for line in render_region.line_range if is_rendered_line(line)]
            if all(
                chops[line][cut] is not None
                for line in lines
                for cut in cuts[line]
                if first_cut <= cut < last_cut
            ):
                continue  # covered: nothing of it would show
            if contains_region(clip, region):
                strips = widget.render_lines(Region(0, 0, region.width, region.height))
            else:
                strips = widget.render_lines(Region(x - region.x, y - region.y, width, height))
            for line, strip in zip(render_region.line_range, strips, strict=False):
                if not is_rendered_line(line):
                    continue
                chops_line = chops[line]
                final_cuts = [cut for cut in cuts[line] if last_cut >= cut >= first_cut]
                cut_strips = strip.divide([cut - x for cut in final_cuts[1:]])
                for cut, cut_strip in zip(final_cuts, cut_strips, strict=False):
                    if chops_line.get(cut) is None:
                        chops_line[cut] = cut_strip
        return cast("Sequence[Mapping[int, Strip]]", chops)

    def _widgets_in(self, crop: Region | None) -> list[tuple[Widget, Region, Region]]:
        """The widgets shown (overlapping `crop`), front to back, as `_get_renders` has
        them: (widget, region, clip)."""
        visible = self.visible_widgets
        if crop:
            overlaps = crop.overlaps
            return [(w, region, clip) for w, (region, clip) in visible.items() if overlaps(clip)]
        return [(w, region, clip) for w, (region, clip) in visible.items()]


class ViewScreen(Screen):
    """A screen showing one read model, loaded in a worker (see the module doc)."""

    KIND = "record"
    """What the screen shows, for the message when it was deleted elsewhere."""

    BUILT_OFF_STAGE = False
    """Whether the first screen of this kind is built off-stage, in steps, before it is
    shown (`build_over`): for a screen too large to build in one go on the loop."""

    def __init__(self) -> None:
        super().__init__()
        self._compositor = _MapKeepingCompositor()
        self.view: Any = None
        self.gone = False
        self._wanted = 0  # the number of the latest reload asked for
        self._stale = False  # data changed while another screen was on top
        self._awaiting = False  # a read is under way for a screen with no view yet
        self._styled_theme: str | None = None
        self._opening_from: Screen | None = None  # shown over it when the view arrives
        self._open_timer: Timer | None = None
        self._kept = False  # whether its widgets were moved out of the collector's reach
        self._building = False  # being built off-stage, in steps (`build_over`)
        self._laid_out = True  # False until a screen built off-stage is laid out there
        self._laying_out = False
        self._arrived_meanwhile: tuple[int, Any] | None = None  # a read done during it
        self._next: tuple[Screen, tuple[Any, ...]] | None = None  # asked for during it
        self._painted_next = False  # a layout under way is followed by a full repaint

    @property
    def leadq(self) -> LeadqApp:
        return self.app  # type: ignore[return-value]

    # Built once, refilled (see `LeadqApp.show_screen`).
    def reusable(self) -> bool:
        """Whether this screen, built before, can show what is asked next."""
        return True

    def show_next(self, origin: Screen, *args: Any) -> None:
        """Show what `args` name, over `origin`, in this screen built before (refilled);
        asked while it is still being built or laid out off-stage, once it is."""
        if self._building or self._laying_out:
            self._next = (origin, args)
            return
        self.refill(*args)
        self.open_over(origin)

    def refill(self, *args: Any) -> None:
        """Show another record (or the same again) when pushed next: the view is read
        again as the screen comes back (or before, by `open_over`)."""
        self._stale = True
        self._awaiting = self.view is None

    def open_over(self, origin: Screen) -> None:
        """Show this screen, built before and just refilled, over `origin` once its view
        has arrived (at most `OPEN_WAIT_SECONDS` later), so that its first frame shows
        the record: no frame of a loading indicator, no second layout when the record
        comes. Not shown if meanwhile another screen took the place of `origin`."""
        self._stop_opening()  # (what is typed meanwhile waits for this one instead)
        self._opening_from = origin
        self._stale = False
        self.reload()
        self._open_timer = self.app.set_timer(OPEN_WAIT_SECONDS, self._open_now)

    # Built off-stage, in steps.
    def build_steps(self) -> Iterator[Awaitable[object]]:
        """What is mounted after `compose`, one step at a time, when the screen is built
        off-stage (`build_over`); `compose` leaves it out then."""
        return iter(())

    def build_over(self, origin: Screen) -> None:
        """Build this screen off-stage and show it over `origin` once it is built and
        its view has arrived (or `OPEN_WAIT_SECONDS` after that), so that its first
        frame shows the record whole.

        Composing, styling and laying out a screen as large as the lead detail (170
        widgets) took 100 ms on a quiet machine, on the event loop and in one go: a
        key pressed meanwhile waited as long. Off-stage, the screen composes what
        `compose` yields, then mounts `build_steps()` one at a time, each followed by
        a pause in which the loop handles what came (`STEP_PAUSE_SECONDS`), and is laid
        out as it grows (`STEPS_PER_LAYOUT`); then the view is shown, the screen laid out
        again and its lines rendered, still off-stage, and it is pushed (`_open_now`).
        Its stylesheet is read first, so that the push restyles nothing."""
        self._building = True
        self._laid_out = False
        self._opening_from = origin
        self._stale = False
        self.leadq.read_stylesheets(self.css_path)
        self.app._register(self.app, self)  # as App.push_screen starts a screen (8.2)

    @property
    def building_off_stage(self) -> bool:
        """Whether the screen is being built and laid out off-stage (`build_over`): its
        footer then follows its bindings as they change, so that it is laid out and
        painted with the keys of the record it first shows."""
        return not self._laid_out

    def _on_mount(self, event: events.Mount) -> None:
        """Composed: its widgets were styled as they were mounted, with this theme."""
        self._styled_theme = self.app.theme
        if self._building:
            self.run_worker(self._build_in_steps(), group="build")

    @property
    def _taken_apart(self) -> bool:
        """The screen or the app is closing: a build, a layout or a view arriving stops
        (the app closes its installed screens' widgets at the end, not the screens)."""
        return self._closing or self._closed or not self.is_attached or not self.app._running

    async def _build_in_steps(self) -> None:
        try:
            if not await self._lay_out_after_pause():  # what `compose` yielded
                return
            mounted = 0  # steps mounted since the last layout
            for step in self.build_steps():
                if not await self._paused():
                    return
                await step
                mounted += 1
                if mounted == STEPS_PER_LAYOUT:
                    mounted = 0
                    if not await self._lay_out_after_pause():
                        return
            if mounted and not await self._lay_out_after_pause():
                return
            if not await self._paused():
                return
        finally:
            self._building = False
        self._built_off_stage()

    async def _paused(self) -> bool:
        """Pause between two steps of a build off-stage; False if the screen was taken
        apart meanwhile (the build stops)."""
        await asyncio.sleep(STEP_PAUSE_SECONDS)
        return not self._taken_apart

    async def _lay_out_after_pause(self) -> bool:
        """After a pause, lay out what is built so far, off-stage (`_lay_out_built`);
        False if the screen was taken apart meanwhile."""
        if not await self._paused():
            return False
        self._lay_out_built()
        return True

    def _lay_out_built(self) -> None:
        """Lay out what is built so far, off-stage: the widgets mounted since the last
        layout are placed (their first arrangement, box models, Resize and Show) and
        the others again, from Textual's arrangement caches. One layout of the whole
        lead detail, built, placed 170 widgets in one go: 40-60 ms on the loop."""
        self._refresh_layout(self.app.size)
        self._layout_required = False

    def _open_next(self) -> bool:
        """Open what was asked for during the build or the layout off-stage, if anything
        was (instead of what was asked for before it)."""
        if self._next is None:
            return False
        origin, args = self._next
        self._next = self._arrived_meanwhile = None
        self.refill(*args)
        self.open_over(origin)
        return True

    def _built_off_stage(self) -> None:
        if self._open_next():  # another record was asked for meanwhile
            return
        arrived, self._arrived_meanwhile = self._arrived_meanwhile, None
        if arrived is not None:
            self._arrived(*arrived)  # shows the view, then the screen over its origin
        elif self._opening_from is not None:  # the read is slower than the build
            self._open_timer = self.app.set_timer(OPEN_WAIT_SECONDS, self._open_now)

    async def _lay_out_off_stage(self) -> None:
        """Lay out a screen built off-stage, there (not current: nothing is painted), render
        its widgets' lines a band at a time (`RENDER_BAND_LINES`), then push it
        (`_open_now`): the push only paints it, from the lines rendered.

        Laid out once what showing the view changed is done (the footer's keys), and
        again, after a pause, while that asks for another layout: a first layout
        finds which containers scroll, and their scroll bars narrow what is in them
        (Textual's own timer, which makes those layouts, runs for the current screen
        only). A layout asked for while the lines are rendered (an option list that
        measured its options in its new width) is made, and the lines rendered again,
        before the push, not after it."""
        try:
            if not await self._paused():
                return
            for _ in range(LAYOUT_PASSES):
                self._lay_out_built()
                if not await self._paused():
                    return
                if self._layout_required:
                    continue  # the layout asked for another
                if not await self._render_in_bands():
                    return
                if not self._layout_required:
                    break  # and nothing asked for one while the lines were rendered
        finally:
            self._laying_out = False
            self._laid_out = True
        if not self._open_next():
            self._open_now()

    async def _render_in_bands(self) -> bool:
        """Render the lines of the widgets shown, `RENDER_BAND_LINES` screen lines at a
        time with a pause after each (Textual keeps them: the push paints from them);
        False if the screen was taken apart meanwhile."""
        width, height = self.app.size
        for top in range(0, height, RENDER_BAND_LINES):
            band = Region(0, top, width, min(RENDER_BAND_LINES, height - top))
            for _ in self._compositor._get_renders(band):
                pass
            if not await self._paused():
                return False
        return True

    @property
    def opening_over(self) -> Screen | None:
        """The screen this one is being opened over (not shown yet), if any."""
        return self._opening_from

    def overtaken(self) -> None:
        """The app's screens changed before this one opened (another was shown or
        closed first): the open under way, or asked for during the build, is dropped,
        never shown later (its origin may be on top again by then)."""
        self._next = None
        self._cancel_open()

    def _stop_opening(self) -> Screen | None:
        opening, self._opening_from = self._opening_from, None
        if self._open_timer is not None:
            self._open_timer.stop()
            self._open_timer = None
        return opening

    def _cancel_open(self) -> None:
        if self._stop_opening() is not None:
            self.leadq.open_dropped()  # and what was typed for it (tui/type_ahead.py)

    def _open_now(self) -> None:
        if self._taken_apart:
            return
        origin = self._opening_from
        if origin is None or self.app.screen is not origin or self in self.app.screen_stack:
            self._cancel_open()
            return
        if self.view is None:
            self.show_loading()  # the read is slow: shown now, the view follows
        if not self._laid_out:
            if not self._laying_out:
                self._laying_out = True
                self.run_worker(self._lay_out_off_stage(), group="build")
            return
        self._stop_opening()
        self.app.push_screen(self)
        self.leadq.screen_opened()  # what was typed meanwhile is given to it

    def show_loading(self) -> None:
        """Show that the view is being read (a screen shown before its view arrived)."""

    @property
    def footer_waits(self) -> bool:
        """Whether the footer keeps the keys it shows until the view arrives (see
        `KeyFooter`): while a screen with no view yet reads one, every action but
        back is refused anyway, and rebuilding the footer for that moment and
        again for the record costs more than the rest of showing it."""
        return self._awaiting and self.view is None

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

    # One paint per frame.
    def _refresh_layout(self, size: Size | None = None, scroll: bool = False) -> None:
        """Textual's layout, without the paint of what it moved when the whole screen is
        to be painted next anyway (see `_compositor_refresh`)."""
        self._painted_next = self._repaint_required
        try:
            super()._refresh_layout(size, scroll)
        finally:
            self._painted_next = False

    def _compositor_refresh(self) -> None:
        """Paint what changed, unless a layout under way is to be followed by a paint of
        the whole screen: the frame in which a refilled screen is shown (Textual's
        `Screen._on_screen_resume` asks for that paint) was rendered twice when it was
        laid out first (showing an open lead after a closed one), once for the regions
        the layout moved, once whole. The paint asked for keeps the screen's update
        timer going until it is done (`Screen._on_idle`)."""
        if self._painted_next:
            return
        super()._compositor_refresh()

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Shown again: reload if data changed meanwhile, go back if the record went.

        Textual's own handler (`Screen._on_screen_resume`, dispatched after this one)
        restyles every widget of a screen it shows, the first time too: 250 on the
        lead form, most of the cost of showing it (90 ms for the opportunity view
        built a moment before). Only a theme changed since the screen was styled can
        make its styles stale (a screen's stylesheet is read before it mounts, after
        the first frame by `LeadqApp._read_screen_stylesheets` or by Textual as the
        screen is pushed), so the restyle is kept for that case."""
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
        self._awaiting = self.view is None
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
        if wanted != self._wanted or self._taken_apart:
            return  # a newer reload is on its way, or the screen has gone
        if self._building:
            self._arrived_meanwhile = (wanted, result)  # shown once built
            return
        self._awaiting = False
        if isinstance(result, models.NotFound):
            self.refresh_bindings()
            self.record_gone()
            return
        if isinstance(result, Exception):
            self.app.notify(error_message(result), title="Could not load", severity="error")
        else:
            self.view = result
            self.show_view(result)
            if not self._kept:
                self._kept = True
                self.call_after_refresh(self._keep_built)
        # After the view is shown: the footer of a screen not shown yet takes the keys
        # at once (`KeyFooter`), which must be the record's, not those of no record.
        self.refresh_bindings()
        if self._opening_from is not None:
            self._open_now()

    def _keep_built(self) -> None:
        keep_built_objects()
        built = getattr(self.app, "screen_built", None)  # LeadqApp's idle collector
        if built is not None:
            built()

    def record_gone(self) -> None:
        """The record was deleted elsewhere: say so and go back (when on top)."""
        self.gone = True
        self.view = None
        self.refresh_bindings()
        message = f"This {self.KIND} no longer exists: it was deleted in another session."
        if self._opening_from is not None:  # not shown yet: said where the user is
            self._cancel_open()
            self.app.notify(message, severity="warning")
        elif self.app.screen is self:
            self.notify(message, severity="warning")
            self.app.pop_screen()
