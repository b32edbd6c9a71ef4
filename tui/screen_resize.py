"""A screen is not laid out again for a Resize to the size it is laid out at.

Textual 8 lays a shown screen out afresh (`Screen._screen_resized`, the whole
widget tree arranged and the screen's map compared) for every Resize event it
gets, and a screen gets several of the size it already has: the app keeps the
driver's start-up Resize and hands it to the screen when it is next idle (even
when the app's size did not change), and a screen's own first layout sends the
screen itself a Resize, as it does to every widget it has just placed. So the
lead list, laid out for its first frame, was laid out three times more at the
same size before its list reached the terminal (3-6 ms of a served session's CPU,
about a tenth of it; every screen shown for the first time paid one more).

A layout at the size the screen's compositor already has finds the same map
unless something changed that asked for a layout of its own (`_layout_required`:
after a first layout, every widget placed asks for one as its virtual size is set),
and that layout the screen's update timer makes anyway, once; Textual made it
for each of those Resize events and again on the timer. A Resize to another size,
one that arrives before the first layout, and those of an inline app (its height
is not the terminal's) are laid out as Textual does. The screen's Resize handlers
(`on_resize`, the breakpoints' classes) still run; only the layout is skipped.
`install()` runs when tui.app is imported.
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Size
from textual.screen import Screen

_textual_screen_resized = Screen._screen_resized


def _screen_resized(self: Screen[Any], size: Size) -> None:
    compositor = self._compositor
    if (
        size == compositor.size
        and compositor.root is self
        and self.stack_updates
        and self.is_attached
    ):
        return  # laid out at this size: a layout asked for is the update timer's
    _textual_screen_resized(self, size)


_screen_resized.__doc__ = _textual_screen_resized.__doc__


def install() -> None:
    """Skip the same-size layouts (once per process)."""
    if Screen._screen_resized is not _screen_resized:
        Screen._screen_resized = _screen_resized  # type: ignore[method-assign]
