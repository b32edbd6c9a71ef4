"""Textual's key-hint footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, KeyGroup


class KeyFooter(Footer):
    """A `Footer` that recomposes only when the keys it would show change.

    Textual's footer removes and remounts one widget per key on every bindings
    refresh (focus moves, the screen resumes, the app gains focus): five times
    while the lead list starts, with the same dozen keys each time, which took
    a good part of the start-up. Here several refreshes in one frame make one
    rebuild, a refresh that only dims or undims keys changes those keys in place,
    and a screen that is waiting for its record (`footer_waits`, see
    `tui.loading.ViewScreen`) keeps the keys it showed until the record is there,
    instead of rebuilding once for "no record yet" and again for the record.
    """

    _rebuild_pending = False
    _shown: tuple[Any, ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if getattr(screen, "footer_waits", False):
            return  # the screen refreshes the bindings when its record arrives
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._rebuild_pending = False
        shown = self._keys_shown()
        if shown == self._shown:
            return
        if self._shown is not None and self._same_keys(self._shown, shown) and self._restate(shown):
            self._shown = shown
            return
        self._shown = shown
        await self.recompose()

    def _keys_shown(self) -> tuple[Any, ...]:
        keys = tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip, binding.group)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )
        return (keys, self.show_command_palette, self.compact)

    @staticmethod
    def _same_keys(before: tuple[Any, ...], after: tuple[Any, ...]) -> bool:
        """The same keys in the same order (only enabled or tooltips may differ)."""
        (old, *old_rest), (new, *new_rest) = before, after
        return (
            old_rest == new_rest
            and len(old) == len(new)
            and all(a[:3] + a[5:] == b[:3] + b[5:] for a, b in zip(old, new, strict=True))
        )

    def _restate(self, shown: tuple[Any, ...]) -> bool:
        """Dim or undim the keys in place (what `Footer.compose` would have built);
        False when the footer is not one this can follow (grouped keys)."""
        if self.query(KeyGroup):
            return False
        keys, *_ = shown
        widgets = [w for w in self.query_children(FooterKey) if not w.has_class("-command-palette")]
        by_action: dict[str, tuple[bool, str]] = {}
        for _key, action, _description, enabled, tooltip, _group in keys:
            by_action.setdefault(action, (enabled, tooltip))  # compose shows the first
        if [w.action for w in widgets] != list(by_action):
            return False
        for widget in widgets:
            enabled, tooltip = by_action[widget.action]
            if widget._disabled != (not enabled):
                widget._disabled = not enabled
                widget.set_class(not enabled, "-disabled")
            widget.tooltip = tooltip or None
        return True
