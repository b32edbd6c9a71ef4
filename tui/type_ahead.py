"""Type-ahead: what is typed faster than it is handled means what it means typed slowly.

The rule: keys typed after the key that opens a screen belong to that screen; they
wait until it is shown, then are given to it in order. Only quitting (ctrl+q) jumps
the queue; every other key waits its turn.

Why the app needs it: a terminal read holding several keys (a fast typist, tmux
send-keys, a paste that is not bracketed) arrives as several Key events at once, and
Textual forwards them all to the focused widget before it has handled the first. A
key after one that opens a screen (Enter on the lead list, then n) was taken by the
screen it opens over (n: a new lead) before the new screen was even asked for: the
list's Enter posts `LeadTable.OpenLead`, which its screen handles a hop later.

How (`TypeAhead`): a key that a binding takes (an action: it may open a screen, move
the focus) is given to the focused widget, and the keys after it only once it has
been handled, with what its handling posted to the widgets on its way; text typed
into a field goes on at once, as in Textual. While a screen opens
(`LeadqApp.opening_screen`), what is typed waits for it and is given to it once it is
shown (`screen_opened`). So Enter then n opens the lead on its notes composer, Enter
then escape opens it and closes it, and Enter, down, enter opens the lead under the
cursor and gives down and enter to the lead detail. A mouse button holds the keys
after it the same way (`pressed`): n right after a double click on a row (which opens
the lead, a hop later) is the lead's. Keys typed for a screen whose opening was
dropped (the record was deleted meanwhile, or another screen was shown first) are
dropped too (`open_dropped`): they were not meant for the screen the user is left on.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.errors import NoWidget
from textual.screen import Screen

if TYPE_CHECKING:
    from textual.timer import Timer

    from .app import LeadqApp

KEY_TRAIL_SECONDS = 2.0
"""How long a key given to a widget may hold the keys typed after it before they are
given anyway (`TypeAhead._give_up_on_trail`, a safety net: its trail takes a
millisecond or so)."""


class TypeAhead:
    """The keys and pastes typed into `app`, given to its focused widget in turn.

    `give` delivers one as Textual would (`App.on_event`: priority bindings first,
    else forwarded to the focused widget)."""

    def __init__(self, app: LeadqApp, give: Callable[[events.Event], Awaitable[None]]) -> None:
        self._app = app
        self._deliver = give
        self._waiting: deque[events.Key | events.Paste] = deque()  # typed ahead
        self._giving: events.Event | None = None  # given (a key, a press), not handled yet
        self._giving_since = 0.0
        self._giving_to: Any = None  # the widget it was given to
        self._giving_on: object = None  # the screen on top when it was given
        self._following: events.Event | None = None  # the key whose trail is under way
        self._giving_refresh = False  # its handling left work for after a refresh
        self._trail_timer: Timer | None = None
        self._opened = False  # a screen opened: what waits is given to it once shown

    async def typed(self, event: events.Key | events.Paste) -> None:
        """A key or a paste from the terminal: given now, or once what was typed
        before it has been handled."""
        if self._giving is not None and not self._waiting and self._settled():
            self._giving = None  # handled long since: keys typed one by one
        if not self._waiting and self._may_give():
            await self._give(event)
            return
        if isinstance(event, events.Key) and await self._app_priority_key(event.key):
            return
        self._waiting.append(event)
        if self._may_give():  # (nothing holds them any more: a form gone unready)
            await self._give_waiting()
        self._follow_giving()

    def screen_opened(self) -> None:
        """A screen opened: what was typed meanwhile, or is until it is shown and
        focused, is given to it then, in order."""
        if not self._opened:
            app = self._app
            self._opened = app.call_after_refresh(app.call_later, self._give_to_opened)

    def open_dropped(self) -> None:
        """A screen's opening ended without it (its record was deleted meanwhile, or the
        open was overtaken): what was typed for it is dropped, not given to the screen
        the user is on (d there would disqualify the lead under the list's cursor)."""
        if self._app.opening_screen() is None:
            self._waiting.clear()

    def pressed(self, event: events.MouseDown | events.MouseUp) -> None:
        """A mouse button went down or up, and the app gave it (and the click it makes
        on release) to the widget under the mouse: the keys typed after it wait until
        that widget has handled it, as after a key a binding takes. A double click on
        the lead list opens the lead (`LeadTable.OpenLead`, a hop later): n typed
        right after it is the lead's, not the list's (a new lead)."""
        app = self._app
        try:
            target = app.mouse_captured or app.get_widget_at(event.x, event.y)[0]
        except NoWidget:
            return
        self._hold_behind(event, target)

    def screen_closing(self) -> None:
        """The screen on top is about to close: what was typed for a form that closes
        before it was filled (`taking_keys`) is dropped."""
        if not getattr(self._app.screen, "taking_keys", True):
            self._waiting.clear()

    async def _app_priority_key(self, key: str) -> bool:
        """Quit at once if `key` is the app's quit key (ctrl+q), whatever waits.

        Only quitting jumps the queue. The app's other priority keys (Textual's
        ctrl+p, the command palette) wait their turn like any key: run at once, the
        palette opened over the list and took the Enter typed before it as its own
        (its top command, the accounts list) instead of opening the lead."""
        app = self._app
        for namespace, bindings in app.screen._binding_chain:
            if namespace is app:
                for binding in bindings.key_to_bindings.get(key, ()):
                    if binding.priority and binding.action == "quit":
                        return await app.run_action(binding.action, app)
        return False

    async def _give(self, event: events.Key | events.Paste) -> None:
        """Give `event` to the focused widget, as Textual does (priority bindings first);
        a key that a binding takes (an action: it may open a screen, move the focus) is
        followed, and the next one given when it has been handled (`_trail_step`).
        Other keys and pastes (text typed into a field) go on at once, as in Textual:
        given one at a time, each was painted before the next (a 50-key burst into the
        search box took 5-15 times the CPU)."""
        app = self._app
        target = app.focused or app.screen
        acts = isinstance(event, events.Key) and self._bound(event.key)
        await self._deliver(event)
        if event.is_forwarded and acts:  # not taken by a priority binding
            self._hold_behind(event, target)

    def _hold_behind(self, event: events.Event, target: Any) -> None:
        """The keys typed after `event`, given to `target`, wait until it is handled."""
        self._giving = event
        self._giving_to = target
        self._giving_on = self._app.screen
        self._giving_refresh = False
        if self._waiting:
            self._follow_giving()

    def _bound(self, key: str) -> bool:
        """Whether a binding of the focused widget, its ancestors or the app takes `key`
        (the chain Textual checks, less the keys the focused widget types itself)."""
        return any(
            key in bindings.key_to_bindings for _, bindings in self._app.screen._modal_binding_chain
        )

    def _settled(self) -> bool:
        """Whether the key given last has been handled, and what it sent on its way:
        nothing is queued at the app, at the widgets from the one it was given to up
        to its screen, nor at the screen on top, and no callback waits for a refresh
        (the message queues and `Screen._callbacks`: Textual 8.2's, pinned). Cheap,
        and true when keys come one by one; else the key is followed (`_trail`). (A
        handler still awaiting something then is not waited for, as in Textual.)"""
        app = self._app
        screen = app.screen
        if screen._callbacks:
            return False
        for node in (app, *self._giving_to.ancestors_with_self, screen):
            if node._message_queue.qsize() or node._pending_message is not None:
                return False
        return True

    def _follow_giving(self) -> None:
        """Keys wait behind the one given last: follow it, to give the next when it
        has been handled (`_trail_step`), or `KEY_TRAIL_SECONDS` later at most."""
        event = self._giving
        if event is None or self._following is event:
            return
        self._following = event
        self._giving_since = time.monotonic()
        self._trail(event, self._giving_to, self._giving_to, second=False)
        if self._trail_timer is None:
            self._trail_timer = self._app.set_timer(KEY_TRAIL_SECONDS, self._trail_overdue)

    def _trail(self, event: events.Event, node: Any, first: Any, second: bool) -> None:
        """Put a step of `event`'s trail in `node`'s queue (or the nearest ancestor's
        that takes it, else the app's), behind what is there already. A widget gone
        meanwhile (the dialog Escape closed) takes nothing: it holds nothing either."""
        app = self._app
        while node is not None and node is not app:
            if node.call_later(self._trail_step, event, node, first, second):
                return
            node = node._parent
        if not app.call_later(self._trail_step, event, app, first, second):
            self._giving = None  # the app is closing

    async def _trail_step(self, event: events.Event, node: Any, first: Any, second: bool) -> None:
        """`node` handled what was in its queue before this step: `event`, if it came
        this way, and what the nodes below it sent up. The trail climbs the way a key
        bubbles, to the app, behind the key; then, unless all is quiet on the way
        (`_settled`), once more from the widget it was given to, behind the messages
        its handling posted there and above (the table's OpenLead after Enter, which
        opens the lead at the list screen). Then,
        if the key changed the screen (a dialog, a form) or left work for after the
        next refresh (n on a lead focuses the note composer then), the next key waits
        for that refresh too: it is for the widget focused then."""
        if event is not self._giving:
            return  # overdue, and given up on (`_trail_overdue`)
        app = self._app
        if isinstance(node, Screen) and node._callbacks:  # (Textual 8.2's, pinned)
            self._giving_refresh = True
        if node is not app:
            self._trail(event, node._parent or app, first, second)
        elif not second and not self._settled():
            self._trail(event, first, first, second=True)
        elif self._giving_refresh or app.screen is not self._giving_on:
            # After the refresh's callbacks, and a hop more: a widget's focus() is
            # taken by the app in a callback of its own.
            app.call_after_refresh(app.call_later, self._given, event)
        else:
            await self._given(event)

    async def _given(self, event: events.Event) -> None:
        if event is self._giving:
            self._giving = None
            await self._give_waiting()

    def _may_give(self) -> bool:
        """Whether a key may be given now: none is on its way, no screen is opening, none
        has just opened (it takes what was typed once shown: `screen_opened`), and the
        screen on top takes keys (a form takes none before its fields are filled:
        `taking_keys`; it calls `screen_opened` then)."""
        app = self._app
        return (
            self._giving is None
            and not self._opened
            and app.opening_screen() is None
            and getattr(app.screen, "taking_keys", True)
        )

    async def _give_waiting(self) -> None:
        while self._waiting and self._may_give():
            await self._give(self._waiting.popleft())
        if not self._waiting and self._trail_timer is not None:
            self._trail_timer.stop()
            self._trail_timer = None

    async def _give_to_opened(self) -> None:
        self._opened = False
        await self._give_waiting()

    def _trail_overdue(self) -> None:
        self._trail_timer = None
        self._app.call_later(self._give_up_on_trail)  # after what the app is handling

    async def _give_up_on_trail(self) -> None:
        """A safety net: a key's trail lost on its way (a widget gone in between, as
        far as is known never) would hold every later key; after `KEY_TRAIL_SECONDS`
        the next one is given anyway, as Textual would have at once."""
        if not self._waiting:
            return
        late = time.monotonic() - self._giving_since
        if self._giving is not None and late < KEY_TRAIL_SECONDS:
            self._trail_timer = self._app.set_timer(KEY_TRAIL_SECONDS - late, self._trail_overdue)
            return
        self._giving = None
        await self._give_waiting()
