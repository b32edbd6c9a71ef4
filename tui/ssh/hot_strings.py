"""The names a forked session uses, made side by side in the session factory.

CPython 3.11 writes a string's reference count whenever an object takes it as a
key (an instance's attribute, a dict entry) and around every generic attribute
lookup (the name is held for the lookup's length). The interned names a session
uses on its way to the lead list (`_first_child`, `styles`, `_loop`, ...) are made
while the factory imports Textual, the models and the app, each one with the code
that names it: about 3,000 of them over 860 pages, each page copied by every
session for a few strings on it.

Interned strings are one object per value, and the first one made is the one
every later use gets (unmarshalling a module's code interns its names, and finds
ours). So the factory makes them first, before it imports anything else
(`intern_ahead`, at the top of factory.py), one after the other from the list in
`hot_strings.txt`: they end up on about 80 pages. A session's private memory
went 19.4 -> 18.7 MiB (10 sessions, median).

The list is written with hot_code.txt by `python -m tui.ssh.hot_code --write`: the
names used by the code a session runs (hot_code.txt) and the identifier-like
strings whose reference count changed in the profiled session. A name missing
from it only stays where it is. This module imports nothing new (os and sys are loaded at
Python's start): whatever it imported would have its names made first, wherever
they fall.
"""

from __future__ import annotations

import os
import sys

PROFILE = os.path.join(os.path.dirname(__file__), "hot_strings.txt")
_KEPT: tuple[str, ...] = ()
"""The strings made here, held: an interned string that nothing refers to is freed
(the interned table does not count as a reference in 3.11), and its name would be
made again later, elsewhere."""


def intern_ahead(path: str = PROFILE) -> int:
    """Intern every name in `path` (one a line), allocated one after the other;
    returns how many were made here (the others were interned already, by Python's
    start-up; none if the file is missing)."""
    global _KEPT
    try:
        with open(path, encoding="utf-8") as profile:
            text = profile.read()
    except OSError:
        return 0
    names = [line for line in text.split("\n") if line and not line.startswith("#")]
    _KEPT = tuple(name for name in names if sys.intern(name) is name)
    return len(_KEPT)
