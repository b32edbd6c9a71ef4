"""Showing user data literally: never as markup, never as terminal control codes.

`Content(text)` already keeps markup characters as they are, but control bytes
(an ESC starting an ANSI sequence, say) would still reach the terminal and
could recolour or clear the screen. They are shown as visible symbols instead:
C0 controls as their Unicode control pictures (ESC as ␛, CR as ␍), DEL as ␡,
and C1 controls and the bidirectional overrides (which could reverse the text
a bidi-aware terminal shows) as �.

Newlines and tabs are shown as ␤ and ␉ too, so a name holding one cannot
break a one-line layout (a table cell, a title, an input) or reach the terminal
as a raw byte in a hand-made `Segment`; multi-line text (a note, a summary, a
dialog's message) asks for `multiline=True` to keep them.

Every place user data reaches the screen goes through this module: `literal()`
for Content, `printable()` for plain strings (titles, Text cells, input
values), `notify_literal()` for notifications.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content

_VISIBLE = {code: 0x2400 + code for code in range(32) if code not in (9, 10)}
_VISIBLE[127] = 0x2421  # DEL
_VISIBLE.update({code: 0xFFFD for code in range(0x80, 0xA0)})  # C1 controls
# Bidirectional embeddings, overrides and isolates (a "Trojan Source" name could
# otherwise show reversed), and the Unicode line and paragraph separators, which
# some code splits lines on.
_VISIBLE.update({code: 0xFFFD for code in (0x061C, 0x200E, 0x200F, 0x2028, 0x2029)})
_VISIBLE.update({code: 0xFFFD for code in range(0x202A, 0x202F)})
_VISIBLE.update({code: 0xFFFD for code in range(0x2066, 0x206A)})
_ONE_LINE = {**_VISIBLE, 9: 0x2409, 10: 0x2424}  # ␉, ␤


def printable(text: object, *, multiline: bool = False) -> str:
    """`text` with control characters made visible (tab and newline too, unless
    `multiline`)."""
    return ("" if text is None else str(text)).translate(_VISIBLE if multiline else _ONE_LINE)


def literal(text: object, style: str = "", *, multiline: bool = False) -> Content:
    """User data as Content: no markup parsed, control codes made visible.

    Content built by the caller (already literal, with its own styles) is taken
    as it is."""
    content = text if isinstance(text, Content) else Content(printable(text, multiline=multiline))
    return content.stylize(style) if style and content else content


def pasted(text: str) -> str:
    """Pasted text as an input should hold it: line breaks as newlines (terminals
    send CR), other control characters as visible symbols, so a paste holding an
    escape sequence cannot reach the terminal through the input that shows it."""
    return printable(text.replace("\r\n", "\n").replace("\r", "\n"), multiline=True)


def notify_literal(target: Any, message: object, *, title: object = "", **kwargs: Any) -> None:
    """`target.notify(...)` (an App, Screen or widget) for a message that may hold
    user data: shown as plain text, never markup, control codes visible."""
    target.notify(printable(message), title=printable(title), markup=False, **kwargs)
