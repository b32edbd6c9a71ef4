"""The keys leadq binds, named without Unicode's name tables.

Textual finds a bound key's character (`textual.keys.key_to_character`, for every
key bound above the focused widget, each time a screen gathers its bindings) and
the footer's label for it (`format_key`) by looking the key's name up among
Unicode's character names: `unicodedata.lookup("F1")`, `"SLASH"`, `"DELETE"`. Most
of these names are no character's, and each miss or alias probes tables spread over
the module's 1.2 MB: the 21 lookups of the lead list's first frame kept 0.76 MiB of
them resident (bench_tui, /proc/self/smaps: 0.86 MiB of `unicodedata` against 0.1),
for answers that never change. Here the keys leadq binds are answered from `NAMED`,
what Textual answers for them (tests/tui/test_key_names.py checks every entry
against Textual, and that every key bound in `tui/` is here); any other key goes
to Textual as before. `install()` runs when tui.app is imported.
"""

from __future__ import annotations

import string

import textual.app
import textual.keys
import textual.screen

NAMED: dict[str, tuple[str | None, str]] = {
    "backspace": ("\x08", "⌫"),
    "delete": ("\x7f", "del"),
    "down": (None, "↓"),
    "end": (None, "end"),
    "enter": (None, "⏎"),
    "escape": ("\x1b", "esc"),
    "f1": (None, "f1"),
    "f2": (None, "f2"),
    "f3": (None, "f3"),
    "f4": (None, "f4"),
    "f5": (None, "f5"),
    "f6": (None, "f6"),
    "f7": (None, "f7"),
    "f8": (None, "f8"),
    "home": (None, "home"),
    "left": (None, "←"),
    "left_square_bracket": ("[", "["),
    "pagedown": (None, "pgdn"),
    "pageup": (None, "pgup"),
    "question_mark": ("?", "?"),
    "right": (None, "→"),
    "right_square_bracket": ("]", "]"),
    "slash": (None, "/"),
    "space": (" ", "space"),
    "tab": ("\t", "tab"),
    "up": (None, "↑"),
}
"""{key: (its character for `key_to_character`, its label for `format_key`)}."""

ALNUM = frozenset(string.ascii_letters + string.digits)
"""Keys that are their own label: no character is named by one letter or digit, so
Textual's lookup of the name misses and gives the key back."""


def key_to_character(key: str) -> str | None:
    """Textual's `key_to_character`, from `NAMED` for the keys there."""
    known = NAMED.get(key)
    if known is not None:
        return known[0]
    return textual.keys.key_to_character(key)


def format_key(key: str) -> str:
    """Textual's `format_key` (a key without modifiers as the footer shows it), from
    `NAMED` and `ALNUM` for the keys there."""
    if key in ALNUM:
        return key
    known = NAMED.get(key)
    if known is not None:
        return known[1]
    return textual.keys.format_key(key)


def install() -> None:
    """Answer the names of leadq's keys here (once per process): where Textual's
    screens and app call the two functions (Textual 8.2, pinned in pyproject.toml)."""
    textual.screen.key_to_character = key_to_character  # type: ignore[attr-defined]
    textual.app.format_key = format_key  # type: ignore[attr-defined]
