"""Textual's key-hint footer, updated only when the keys it shows change."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.geometry import Size
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, KeyGroup


class _SizedWithoutLayout:
    """For a widget whose virtual size (what it could scroll by) no layout uses: set
    through Textual's reactive, it asked for another layout of the whole screen each
    time, and a repaint, for nothing."""

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)  # type: ignore[misc]


class KeyFooter(_SizedWithoutLayout, Footer):
    """A `Footer` that recomposes only when the keys it would show change.

    Textual's footer removes and remounts one widget per key on every bindings
    refresh (focus moves, the screen resumes, the app gains focus): five times
    while the lead list starts, with the same dozen keys each time, which took
    a good part of the start-up. Here several refreshes in one frame make one
    update, keys that change are shown by the key widgets already mounted (a
    widget takes another key's text, or is dimmed; only the ones missing are
    mounted: showing a closed lead after an open one remounted the whole footer,
    10-30 ms), and a screen that is waiting for its record (`footer_waits`, see
    `tui.loading.ViewScreen`) keeps the keys it showed until the record is there,
    instead of rebuilding once for "no record yet" and again for the record.
    """

    # Footer's scrollbars take no cells (its CSS: scrollbar-size 0 0), so showing or
    # hiding one moves nothing; Textual's reactives (layout=True) laid the whole
    # screen out again when the keys first outgrew the footer (a served session's
    # list, 100 columns: 6-7 ms of its CPU after the first frame, and a repaint).
    show_horizontal_scrollbar: Reactive[bool] = Reactive(False)
    show_vertical_scrollbar: Reactive[bool] = Reactive(False)

    _rebuild_pending = False
    _rebuilding = False
    _keys_stale = False  # the bindings changed while the screen was not shown
    _stack_updates = -1  # the screen's `stack_updates` when the bindings last changed
    _shown: tuple[Any, ...] | None = None

    @property
    def settled(self) -> bool:
        """True when no update of the keys is pending or under way: the footer shows
        what it will show until the bindings change again (tests wait for it before a
        snapshot)."""
        return not (self._rebuild_pending or self._rebuilding)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            # Footer.compose sets grid_size_columns, a layout style its horizontal
            # layout never reads, to the number of keys: a change asked for a layout
            # of its own, which came after the one that placed the new keys (a
            # second layout and repaint of the whole screen). Set here without one,
            # that set changes nothing.
            actions = {
                binding.action
                for _, binding, _, _ in self.screen.active_bindings.values()
                if binding.show
            }
            self.styles.set_rule("grid_size_columns", len(actions))
        for widget in super().compose():
            yield _settled(widget, self.compact) if isinstance(widget, FooterKey) else widget

    def on_mount(self, event: events.Mount) -> None:
        """Follow the screen's bindings as they change (`Footer.on_mount` instead
        follows them a message later: the screen was shown by then, see
        `bindings_changed`)."""
        event.prevent_default()
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed, immediate=True)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if not (self.is_attached and screen is self.screen):
            return
        just_shown = screen.stack_updates != self._stack_updates  # pushed or resumed
        self._stack_updates = screen.stack_updates
        if getattr(screen, "footer_waits", False):
            return  # the screen refreshes the bindings when its record arrives
        if not screen.is_current and not getattr(screen, "building_off_stage", False):
            # Updated now, or else as the screen is shown (see `_rekey_now`).
            self._keys_stale = not self._rekey_now()
            return
        stale, self._keys_stale = self._keys_stale, False
        if stale and just_shown and self._rekey_now():
            return
        if not self._rebuild_pending:
            self._rebuild_pending = True
            with self._context():  # called in the screen's: the rebuild runs in the footer's
                self.call_after_refresh(self._rebuild_if_changed)

    def _rekey_now(self) -> bool:
        """Show the keys wanted now, at once, with the key widgets already mounted; False
        when only a recompose can (the first build, grouped keys).

        For a screen whose bindings change while it is not shown (a screen built
        before, refilled, and pushed when its record has arrived, see
        `ViewScreen.open_over`), so that its first frame has the record's keys: after
        a refresh, as for a screen on show, the keys changed in a second frame (a
        closed lead shown after an open one was laid out and painted again 15-20 ms
        later). Done while the screen is not shown, the layout the keys ask for is
        requested before it is pushed; done as it is shown, the request could come
        after the layout of its first frame and make a second one. Called again as the
        screen is shown when it could not be done before."""
        if self._shown is None or self._rebuilding:
            return False
        shown = self._keys_shown()
        if shown == self._shown:
            return True
        if shown[1:] != self._shown[1:] or not self._rekey():
            return False
        self._shown = shown
        return True

    async def _rebuild_if_changed(self) -> None:
        self._rebuild_pending = False
        shown = self._keys_shown()
        if shown == self._shown:
            return
        if self._shown is not None and shown[1:] == self._shown[1:] and self._rekey():
            self._shown = shown
            return
        self._shown = shown
        self._rebuilding = True
        try:
            await self.recompose()
        finally:
            self._rebuilding = False

    def _keys_shown(self) -> tuple[Any, ...]:
        keys = tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip, binding.group)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )
        return (keys, self.show_command_palette, self.compact)

    def _wanted_keys(self) -> list[tuple[Any, bool, str]] | None:
        """(binding, enabled, tooltip) of each key `Footer.compose` would show, in its
        order; None when it would group keys (then only a recompose builds them)."""
        by_action: dict[str, list[tuple[Any, bool, str]]] = {}
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show:
                by_action.setdefault(binding.action, []).append((binding, enabled, tooltip))
        wanted = [keys[0] for keys in by_action.values()]
        groups = [binding.group for binding, _, _ in wanted]
        if any(a is not None and a == b for a, b in pairwise(groups)):
            return None
        return wanted

    def _rekey(self) -> bool:
        """Show the keys wanted now with the key widgets already mounted: each takes
        the next key (its text, action, dimming and tooltip), the ones left over are
        hidden (kept for when more keys are wanted again) and the ones missing mounted,
        as `Footer.compose` would have built them. False (nothing changed) when the
        keys are grouped.

        Removing a key widget finished after the frame it was asked in, and laid the
        whole screen out again: a closed lead has fewer keys than an open one, so each
        switch between them was painted twice."""
        wanted = self._wanted_keys()
        if wanted is None or self.query(KeyGroup):
            return False
        widgets = list(self.query_children(FooterKey))
        palette = next((w for w in widgets if w.has_class("-command-palette")), None)
        widgets = [w for w in widgets if w is not palette]
        for widget, (binding, enabled, tooltip) in zip(widgets, wanted, strict=False):
            display = self.app.get_key_display(binding)
            if (widget.key, widget.key_display, widget.description, widget.action) != (
                binding.key,
                display,
                binding.description,
                binding.action,
            ):
                widget.show_key(binding.key, display, binding.description, binding.action)
            if widget._disabled != (not enabled):
                widget._disabled = not enabled
                widget.set_class(not enabled, "-disabled")
            if widget.tooltip != (tooltip or None):  # Textual updates the screen's tooltip
                widget.tooltip = tooltip or None
            if not widget.display:
                widget.display = True
        for widget in widgets[len(wanted) :]:
            widget.display = False
        with self._context():  # data_bind binds to the active message pump: this footer
            missing = [
                _settled(
                    Key(
                        binding.key,
                        self.app.get_key_display(binding),
                        binding.description,
                        binding.action,
                        disabled=not enabled,
                        tooltip=tooltip,
                    ).data_bind(compact=Footer.compact),
                    self.compact,
                )
                for binding, enabled, tooltip in wanted[len(widgets) :]
            ]
        if missing:
            self.mount_all(missing, before=palette) if palette else self.mount_all(missing)
        return True


class Key(_SizedWithoutLayout, FooterKey):
    """Textual's footer key, placed with one layout and rendered once per change.

    A key is laid out and painted by every layout of the screen that moves it, and
    Textual's `render` builds its text from four style lookups each time, twice per
    layout (its width, then its lines): the footer's first keys were a third of a
    served session's work after its first frame. The styles those lookups find are
    kept until the key is restyled, also when it takes another key's text
    (`show_key`): a closed lead and an open one show different keys, and measuring
    the footer's changed keys was a third of the layout that switches between them."""

    def show_key(self, key: str, key_display: str, description: str, action: str) -> None:
        """Show another key with this widget (measured and painted again, in its styles)."""
        self.key, self.key_display, self.description, self.action = (
            key,
            key_display,
            description,
            action,
        )
        cache = self._rich_style_cache
        kept = {name: cache[name] for name in (_LOOK, _DRAWN) if name in cache}
        self.refresh(layout=True)  # empties the styles' cache: its text, not its styles, changed
        cache.update(kept)  # type: ignore[arg-type]

    def _render_content(self) -> None:
        """Textual's, kept per text and size (until the key is restyled): a key widget
        takes turns showing two keys as a closed lead and an open one do."""
        drawn = self._rich_style_cache.get(_DRAWN)  # type: ignore[call-overload]
        if drawn is None:
            drawn = self._rich_style_cache[_DRAWN] = {}  # type: ignore[index]
        text = (self.key_display, self.description, self.size)
        if text in drawn:
            self._render_cache = drawn[text]
            self._dirty_regions.clear()
            return
        super()._render_content()
        drawn[text] = self._render_cache

    def render(self) -> Text:
        # Kept with Textual's own cache of this widget's styles, which every repaint
        # and style change empties (tuples no component name can be).
        cached = self._rich_style_cache.get(_RENDERED)  # type: ignore[call-overload]
        if cached is not None and cached[0] == (self.key_display, self.description):
            return cached[1].copy()
        text = self._assemble()
        self._rich_style_cache[_RENDERED] = ((self.key_display, self.description), text)  # type: ignore[index]
        return text.copy()

    def _assemble(self) -> Text:
        """`FooterKey.render`, from the styles it looked up kept (`_LOOK`)."""
        look = self._rich_style_cache.get(_LOOK)  # type: ignore[call-overload]
        if look is None:  # restyled (or new): Textual's render looks them up
            text = super().render()
            self._rich_style_cache[_LOOK] = (  # type: ignore[index]
                self.get_component_rich_style("footer-key--key"),
                self.get_component_rich_style("footer-key--description"),
                self.get_component_styles("footer-key--key").padding,
                self.get_component_styles("footer-key--description").padding,
                self.rich_style,
            )
            return text
        key_style, description_style, key_padding, description_padding, own_style = look
        key_display, description = self.key_display, self.description
        if description:
            label_text = Text.assemble(
                (" " * key_padding.left + key_display + " " * key_padding.right, key_style),
                (
                    " " * description_padding.left + description + " " * description_padding.right,
                    description_style,
                ),
            )
        else:
            label_text = Text.assemble((key_display, key_style))
        label_text.stylize_before(own_style)
        return label_text


_RENDERED = ("-leadq-rendered",)
_LOOK = ("-leadq-look",)
_DRAWN = ("-leadq-drawn",)


def _settled(key: FooterKey, compact: bool) -> FooterKey:
    """`key` with the compact style it ends up with, set before it is mounted.

    FooterKey.compact (default True) restyles its key from a watcher: once when it
    is initialised on mount, and again when `data_bind` gives it the footer's value
    (False): two style updates of every key after the list is painted, 20-40 ms of
    a session's start. Set beforehand, neither watcher call changes anything. The
    command palette's key is not bound to the footer and keeps the default.
    """
    if type(key) is FooterKey:  # built by Textual's Footer.compose: the same key
        key.__class__ = Key  # with Key's methods (no state of its own)
    if key.has_class("-command-palette"):
        compact = True  # FooterKey.compact's default
    key.set_reactive(FooterKey.compact, compact)
    key.set_class(compact, "-compact", update=False)
    return key
