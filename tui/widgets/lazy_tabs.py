"""Tab panes composed when first shown, not with their screen.

A record screen builds its Form or Overview tab at once and its other tabs (notes,
history, activities) only when the user first shows one or presses a key that
needs it: most records are opened and left without looking at them, and each of
those panels is dozens of widgets to compose, style and lay out, the first time
the screen is built and on every refill.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane


class LazyTabPane(TabPane):
    """A tab pane whose one widget is made by `make()` when `build()` is first awaited."""

    def __init__(self, title: str, make: Callable[[], Widget], *, id: str) -> None:
        super().__init__(title, id=id)
        self._make = make
        self.content: Widget | None = None
        """The pane's widget once built (mounted and composed), else None."""
        self._building: asyncio.Event | None = None

    async def build(self) -> tuple[Widget, bool]:
        """The pane's widget, composed now if it was not yet; True when it was just built."""
        if self._building is not None:
            await self._building.wait()  # built, or being built by an earlier call
            assert self.content is not None
            return self.content, False
        self._building = asyncio.Event()
        widget = self._make()
        await self.mount(widget)
        self.content = widget
        self._building.set()
        return widget, True


class LazyPanes:
    """Mixin for a screen with `LazyTabPane`s: a pane is built when its tab is shown
    (`TabbedContent.TabActivated`) or when a key needs it (`pane_widget`); the screen
    fills it then in `pane_built`, and afterwards with each view it shows."""

    def built_pane(self, pane_id: str) -> Widget | None:
        """The widget of pane `pane_id` if it has been built, else None."""
        screen: Widget = self  # type: ignore[assignment]
        return screen.query_one(f"#{pane_id}", LazyTabPane).content

    async def pane_widget(self, pane_id: str) -> Widget:
        """The widget of pane `pane_id`, built (and filled) first if need be."""
        screen: Widget = self  # type: ignore[assignment]
        widget, built = await screen.query_one(f"#{pane_id}", LazyTabPane).build()
        if built:
            self.pane_built(pane_id, widget)
        return widget

    def pane_built(self, pane_id: str, widget: Widget) -> None:
        """Fill a pane just built with what the screen shows (overridden)."""

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if isinstance(event.pane, LazyTabPane) and event.pane.id is not None:
            await self.pane_widget(event.pane.id)
