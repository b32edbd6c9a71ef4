"""Containers that cannot scroll take a new size in the layout that gives it.

Textual keeps each widget's virtual (scrollable) size in a reactive that asks for
another layout of the whole screen when it changes. A container whose overflow is
hidden on both axes has no scroll bars and no scroll position, so nothing of a
layout depends on that size: the second layout is done for nothing. On the lead
detail, a closed lead's banner (and its longer stage bar) makes the tabs, their
switcher and the form's pane smaller, and an open lead larger again: each switch
between them was laid out and painted twice, 10-25 ms apart.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual._styles_cache import StylesCache
from textual.geometry import Region, Size
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Static


def size_in_one_layout(*widgets: Widget) -> None:
    """Let each of `widgets` take its virtual size without asking for a layout while
    it cannot scroll (overflow hidden on both axes, checked at each layout).

    Textual's own containers (TabbedContent's ContentSwitcher is found by its exact
    type) cannot be subclassed here, so the widget's method is wrapped instead."""
    for widget in widgets:
        widget._size_updated = _without_layout(widget)  # type: ignore[method-assign]


def _without_layout(widget: Widget) -> Callable[[Size, Size, Size, bool], bool]:
    size_updated = widget._size_updated

    def _size_updated(
        size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        styles = widget.styles
        if styles.overflow_x == "hidden" and styles.overflow_y == "hidden":
            layout = False
        return size_updated(size, virtual_size, container_size, layout)

    return _size_updated


def refresh_in_place(widget: Widget) -> None:
    """Repaint `widget`, whose content just changed (refreshed without a layout), and
    lay the screen out again only if that changes its height at its width.

    Textual lays the whole screen out for any text a widget of automatic height is
    given; the lead detail's banner, record line and stage bar get new text for
    every lead shown, mostly of the same height. A widget not displayed is measured
    when it shows (showing it asks for a layout), one not laid out yet is laid out,
    and one under a container not displayed (the lead form while a closed lead
    hides it) at the size it last had: a layout asked for there made the form be
    arranged anew when it showed again."""
    widget.refresh()
    if widget.display and not _same_height(widget):
        widget.refresh(layout=True)


def _same_height(widget: Widget) -> bool:
    styles = widget.styles
    if styles.width is not None and styles.width.is_auto:
        return False  # its width follows its content too
    # Its own last size, kept while it is not displayed (its region and `size` come
    # from the screen's map, which leaves out a widget under a hidden container).
    size = Region(0, 0, *widget.outer_size).shrink(styles.gutter).size
    if not size.width:
        return False
    if styles.height is not None and not styles.height.is_auto:
        return True
    return widget.get_content_height(widget.container_size, widget.app.size, size.width) == (
        size.height
    )


def update_in_place(widget: Static, content: VisualType) -> None:
    """`Static.update`, laid out again only if the new content changes its height
    (see `refresh_in_place`)."""
    widget.update(content, layout=False)
    refresh_in_place(widget)


def show_arranged(widget: Widget, display: bool) -> None:
    """`widget.display = display`, keeping the arrangement of its children it had.

    Textual counts a change of a widget's display as a change of its own children
    too (`NodeList.updated`, which its arrangement cache is keyed on), so a part
    shown again had its children arranged anew: the lead form (40 rows and titles)
    each time an open lead followed a closed one, although nothing in it moved, and
    its own 18 lines drawn anew. Its ancestors are still arranged again (what they
    show changed); an arrangement made stale meanwhile (a child that changed size, a
    child mounted) is not kept, nor lines when its size changed."""
    if widget.display == display:
        return
    nodes, cache = widget._nodes, widget._arrangement_cache
    before = nodes._updates
    kept = [(key, cache.get(key)) for key in list(cache.keys()) if key[1] == before]
    # Its own lines (the background its children are drawn on) do not change with its
    # display either: the repaint the change asks for empties a stand-in instead.
    lines = widget._styles_cache
    widget._styles_cache = StylesCache()
    try:
        widget.display = display
    finally:
        widget._styles_cache = lines
    for (size, _, optimal), arrangement in kept:
        cache[(size, nodes._updates, optimal)] = arrangement


SHOWN_EVENTS: tuple[type[events.Event], ...] = (events.Show, events.Hide, events.Resize)


def unheard_shown_events(widget: Widget) -> list[type[events.Event]]:
    """Which of Show, Hide and Resize nothing of `widget` handles: no handler in its
    class, none declared with `@on`, and, for Show and Hide, it can neither scroll
    nor focus (Widget's own handlers pass them to scroll bars, and Hide blurs a
    focused widget). Widget has no handler for Resize: an input (whose scrolling
    follows its size in `_size_updated`, not in an event) gets none either."""
    styles = widget.styles
    scrolls_or_focuses = (
        widget.can_focus or styles.overflow_x != "hidden" or styles.overflow_y != "hidden"
    )
    classes = [cls for cls in type(widget).__mro__ if cls is not Widget]
    unheard = []
    for event in SHOWN_EVENTS:
        if scrolls_or_focuses and event is not events.Resize:
            continue
        names = (event.handler_name, f"_{event.handler_name}")
        if any(name in vars(cls) for cls in classes for name in names):
            continue
        if any(event in vars(cls).get("_decorated_handlers", {}) for cls in classes):
            continue
        unheard.append(event)
    return unheard


def quiet_when_shown(root: Widget) -> None:
    """Stop Show, Hide and Resize being sent to the widgets under `root` that nothing
    does with (`unheard_shown_events`).

    Textual sends each widget that leaves the layout a Hide, and each one that comes
    back a Show and a Resize: the lead form (130 widgets) and its read-only view (60)
    take turns each time an open lead follows a closed one, 280 messages handled one
    by one for nothing but a few scroll bars and inputs. Those keep their Show and
    Hide."""
    for widget in root.walk_children(Widget):
        unheard = unheard_shown_events(widget)
        if unheard:
            widget.disable_messages(*unheard)
