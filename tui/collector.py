"""Full garbage collections while the user is idle, not while a screen is built.

Python's collector runs a full collection after ten younger ones (when enough
objects have grown old), and a full collection walks every tracked object that
is not frozen (`tui.loading.keep_built_objects`). It came due while a screen was
being built, with the screen's 65,000 new objects not frozen yet: 16 ms on a
quiet machine, 100 ms under load, on top of building the screen. While leadq
runs, the automatic full collections are off, and `IdleCollector` runs one when
one is due by Python's own count and nobody pressed a key, moved the mouse or
opened a screen for `IDLE_SECONDS`, and no screen being built waits for its first
view (its objects are frozen then; at most `HOLD_SECONDS`), or when one is long
overdue, so that a user who never pauses does not keep garbage for ever. Younger
collections stay automatic: they walk only young objects, the middle generation
after 3 young collections instead of 10 (`YOUNG_MIDDLE`). The thresholds are
given back when the last app in the process stops (tests run many apps in one
process)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any, ClassVar

IDLE_SECONDS = 1.0
"""How long without input before a full collection that is due runs."""

CHECK_SECONDS = 0.5

HOLD_SECONDS = 10.0
"""How long a screen being built holds the full collections off at most."""

FULL_DUE = 10
"""Middle-generation collections since the last full one at which a full one is
due (Python's default third threshold)."""

FULL_OVERDUE = 300
"""... and at which it runs even while the user keeps typing (with `YOUNG_MIDDLE`,
about as many allocations as 100 with Python's thresholds)."""

NEVER = 2**31 - 1
"""A third threshold that automatic collections never reach."""

YOUNG_MIDDLE = 3
"""The second threshold while leadq runs (Python's is 10): a middle-generation
collection walks what survived that many young ones, about 2,800 objects instead of
9,000 (14-35 ms on the loop at load 5, while a screen was built)."""


class IdleCollector:
    """Runs the full garbage collections of one app when its user is idle."""

    _running: ClassVar[int] = 0  # apps with a collector started, in this process
    _saved: ClassVar[tuple[int, int, int] | None] = None

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last_input = time.monotonic()
        self.full_collections = 0
        self._held_until = 0.0
        self._when_idle: list[Callable[[], object]] = []
        self._timer: Any = None

    def start(self) -> None:
        """Turn the automatic full collections off and check for idleness."""
        if self._timer is not None:
            return
        if IdleCollector._running == 0:
            saved = gc.get_threshold()
            IdleCollector._saved = saved
            gc.set_threshold(saved[0], min(saved[1], YOUNG_MIDDLE), NEVER)
        IdleCollector._running += 1
        self._timer = self.app.set_interval(CHECK_SECONDS, self.check, name="idle collector")

    def stop(self) -> None:
        """Give the thresholds back when this was the last app running."""
        if self._timer is None:
            return
        self._timer.stop()
        self._timer = None
        IdleCollector._running -= 1
        if IdleCollector._running == 0 and IdleCollector._saved is not None:
            gc.set_threshold(*IdleCollector._saved)
            IdleCollector._saved = None

    def touched(self) -> None:
        """The user pressed a key, clicked or moved the mouse, or a screen opens."""
        self.last_input = time.monotonic()

    def hold(self) -> None:
        """A screen is being built: no full collection (its objects are not frozen
        yet) until `release`, or `HOLD_SECONDS`."""
        self.touched()
        self._held_until = time.monotonic() + HOLD_SECONDS

    def release(self) -> None:
        """The screen built is shown and its objects frozen."""
        self.touched()
        self._held_until = 0.0

    def when_idle(self, work: Callable[[], object]) -> None:
        """Call `work` once, at the next check that finds the user idle."""
        self._when_idle.append(work)

    def check(self) -> bool:
        """Run a full collection if one is due and the user is idle, or if one is
        long overdue; whether it ran. Work waiting for the user to be idle is
        started first."""
        younger = gc.get_count()[2]
        now = time.monotonic()
        idle = now - self.last_input >= IDLE_SECONDS and now >= self._held_until
        if idle:
            waiting, self._when_idle = self._when_idle, []
            for work in waiting:
                work()
        if younger >= FULL_OVERDUE or (younger >= FULL_DUE and idle):
            gc.collect()
            self.full_collections += 1
            return True
        return False
