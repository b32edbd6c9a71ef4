"""Showing user data literally: never as markup, never as terminal control codes.

`Content(text)` already keeps markup characters as they are, but control bytes
(an ESC starting an ANSI sequence, say) would still reach the terminal and
could recolour or clear the screen. They are shown as visible symbols instead.
"""

from __future__ import annotations

from textual.content import Content

_VISIBLE = {code: 0x2400 + code for code in range(32) if code not in (9, 10)}
_VISIBLE[127] = 0x2421  # DEL
_VISIBLE.update({code: 0xFFFD for code in range(0x80, 0xA0)})  # C1 controls


def printable(text: object) -> str:
    """`text` with control characters (except tab and newline) made visible."""
    return ("" if text is None else str(text)).translate(_VISIBLE)


def literal(text: object, style: str = "") -> Content:
    """User data as Content: no markup parsed, control codes made visible."""
    content = Content(printable(text))
    return content.stylize(style) if style and content else content
