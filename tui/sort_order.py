"""Textual's widget counter, kept off the `Widget` class.

Every `Widget.__init__` runs `Widget._sort_order += 1` (Textual 8: the order widgets
were made in, for `sort_order`), a class attribute set. CPython calls
`PyType_Modified` after any class attribute set, which invalidates the method-cache
version tag of `Widget` and of every subclass (several hundred: all of Textual's
widgets and leadq's screens), so the next attribute lookup on each of them misses
the cache and assigns a new tag. In a session forked from the factory that wrote
175 of the factory's class objects (version tag and flags: about 0.6 MiB of pages
copied per session), and every widget made walked the whole subclass tree.

Here the counter lives in a cell of this module: the metaclass of Textual's
widgets (`_MessagePumpMeta`) answers `Widget._sort_order` with a property and takes
the set itself, without setting a class attribute. `sort_order` comes out the same
(1, 2, 3, ... in the order widgets are made). `install()` runs when tui.app is
imported.
"""

from __future__ import annotations

from typing import Any

from textual.message_pump import _MessagePumpMeta
from textual.widget import Widget

_NAME = "_sort_order"
_counter = [0]


def _get(cls: type) -> int:
    return _counter[0]


def _setattr(cls: type, name: str, value: Any, _set: Any = type.__setattr__) -> None:
    if name == _NAME and cls is Widget:
        _counter[0] = value  # not a class attribute: no PyType_Modified
    else:
        _set(cls, name, value)


def install() -> None:
    """Take `Widget._sort_order` off the class (once per process)."""
    if isinstance(_MessagePumpMeta.__dict__.get(_NAME), property):
        return
    _counter[0] = Widget.__dict__.get(_NAME, 0)
    _MessagePumpMeta._sort_order = property(_get)  # type: ignore[attr-defined]
    _MessagePumpMeta.__setattr__ = _setattr  # type: ignore[assignment,method-assign]
