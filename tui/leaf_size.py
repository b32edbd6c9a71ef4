"""A widget that cannot scroll takes its virtual size without asking for a layout.

Textual keeps each widget's virtual (scrollable) size in a reactive that asks for a
layout of the whole screen when it changes, and every layout sets it: so a layout
that places new widgets (a screen's first one) asks for a second, in which nothing
moves. Only a widget that can scroll (a container, a ScrollView: `is_scrollable`)
reads its virtual size, for its scroll bars and scroll limits; a leaf one (a
Static, a Label, a header's title) has neither, and nothing of a layout depends on
its virtual size. The lead list's first layout made ten such requests (the header's
parts, the labels, the status line): a second layout and repaint of the screen
just after its first frame, in every served session.

So `Widget._size_updated` sets it without that layout for a widget that cannot
scroll, as Textual itself does for the widgets a scroll exposes (`layout=False`);
the widget is still repainted when its size changes. Widgets that can scroll are
laid out as Textual does (see tui/widgets/one_layout.py for containers that cannot
scroll either). `install()` runs when tui.app is imported.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget

_textual_size_updated = Widget._size_updated


def _size_updated(
    self: Widget, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
) -> bool:
    if layout and not self.is_scrollable:
        layout = False  # nothing reads a leaf's virtual size in a layout
    return _textual_size_updated(self, size, virtual_size, container_size, layout)


_size_updated.__doc__ = _textual_size_updated.__doc__


def install() -> None:
    """Set leaf widgets' virtual sizes without a layout (once per process)."""
    if Widget._size_updated is not _size_updated:
        Widget._size_updated = _size_updated  # type: ignore[method-assign]
