"""An OptionList whose highlighted option carries a visible "▸" marker.

The highlight of a plain OptionList is only a colour, which disappears with
NO_COLOR; the marker keeps the cursor visible in every terminal.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

CURSOR = "▸ "
NO_CURSOR = "  "


class CursorOptionList(OptionList):
    """Subclasses say how option `index` looks with `prompt_for(index, highlighted)`."""

    def __init__(self, count: int, *, id: str | None = None, classes: str | None = None) -> None:
        self._marked: int | None = None
        super().__init__(
            *[Option(self.prompt_for(i, False), id=self.option_id(i)) for i in range(count)],
            id=id,
            classes=classes,
        )

    def option_id(self, index: int) -> str | None:
        return None

    def prompt_for(self, index: int, highlighted: bool) -> Content:
        raise NotImplementedError

    def refresh_prompt(self, index: int) -> None:
        self.replace_option_prompt_at_index(index, self.prompt_for(index, index == self._marked))

    def watch_highlighted(self, highlighted: int | None) -> None:
        previous, self._marked = self._marked, highlighted
        for index in {previous, highlighted} - {None}:
            if index is not None and index < self.option_count:
                self.refresh_prompt(index)
        super().watch_highlighted(highlighted)
