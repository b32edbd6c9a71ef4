"""Org settings: qualification behaviour, duplicate rules, features, phone region.

Each change is saved at once through `models.change_setting` (which enforces that
only a system administrator may change settings and audits the change), so it
takes effect for the next qualification in every session. Non-administrators see
the settings read-only with a banner saying why. The settings are read in a
worker (`ViewScreen`) and reload on a change (another administrator may have
changed something) while the screen is on top, or when it comes back.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Header, Input, Label, Static, Switch

import models

from ..loading import ViewScreen, run_service
from ..widgets.footer import KeyFooter
from ..widgets.literal import literal, notify_literal, printable


def _groups() -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for definition in models.SETTING_DEFS:
        groups.setdefault(definition.group, []).append(definition)
    return groups


EDITABLE_TEXT = {"phone_region"}
"""Text settings edited here; others (the default qualifying process) are shown
read-only because their own screen sets them."""


def on_off(value: bool) -> str:
    return "On" if value else "Off"


class SettingsScreen(ViewScreen):
    CSS_PATH = "settings.tcss"
    KIND = "setting"
    TITLE = "Settings"
    BINDINGS = [
        Binding("escape", "back", "Back", id="settings_back"),
        Binding("ctrl+r", "reload", "Reload", id="settings_reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = asdict(models.OrgSettings())
        self.process_names: dict[str, str] = {}
        self._composed_for_admin: bool | None = None
        self._widgets: dict[str, Any] = {}
        self._texts: dict[str, Content] = {}  # what each text shows now
        self._inputs = {
            d.key
            for d in models.SETTING_DEFS
            if isinstance(d.default, bool) or d.key in EDITABLE_TEXT
        }  # the settings with a switch or an input (the others are texts)

    @property
    def editable(self) -> bool:
        return bool(models.admin_only(self.app.user, models.CHANGE_SETTINGS))

    def reusable(self) -> bool:
        """Built for an administrator or not: a role change builds it anew."""
        return self._composed_for_admin == self.editable

    def compose(self) -> ComposeResult:
        allowed = models.admin_only(self.app.user, models.CHANGE_SETTINGS, you=True)
        self._composed_for_admin = bool(allowed)
        # Admins start on the first switch; others on the (scrollable) read-only list.
        self.AUTO_FOCUS = "Switch" if allowed else "#settings"
        yield Header()
        if not allowed:
            yield Static(
                Content(f"{allowed.reason} The settings below are read-only."), id="banner"
            )
        with VerticalScroll(id="settings"):
            for group, definitions in _groups().items():
                yield Label(group, classes="group")
                for definition in definitions:
                    yield from self._compose_setting(definition)
        yield KeyFooter()

    def _compose_setting(self, definition: Any) -> ComposeResult:
        key = definition.key
        disabled = not self.editable
        if isinstance(definition.default, bool):
            with Horizontal(classes="setting", id=f"row-{key}"):
                yield Switch(self.values[key], id=key, disabled=disabled)
                yield Static(on_off(self.values[key]), classes="state", id=f"state-{key}")
                with Vertical(classes="text"):
                    yield Label(Content(definition.label), classes="label")
                    yield Static(Content(definition.help), classes="help")
        elif key not in EDITABLE_TEXT:
            with Horizontal(classes="setting", id=f"row-{key}"):
                yield Static(Content(""), classes="value", id=f"value-{key}")
                with Vertical(classes="text"):
                    yield Label(Content(definition.label), classes="label")
                    yield Static(Content(definition.help), classes="help")
        else:
            with Horizontal(classes="setting", id=f"row-{key}"):
                yield Input(
                    printable(self.values[key]),
                    id=key,
                    max_length=2,
                    disabled=disabled,
                    classes="region",
                )
                with Vertical(classes="text"):
                    yield Label(Content(definition.label), classes="label")
                    yield Static(Content(definition.help + " Enter saves."), classes="help")
                    yield Static(Content(""), classes="error", id=f"error-{key}")

    def on_mount(self) -> None:
        self.watch_data()
        self.reload()

    # Loading.
    def action_reload(self) -> None:
        self.reload()

    def read_view(self) -> tuple[dict[str, Any], dict[str, str]]:
        settings = models.load_settings()
        processes = {str(p.id): p.name for p in models.list_processes()}
        return asdict(settings), processes

    def show_view(self, view: tuple[dict[str, Any], dict[str, str]]) -> None:
        values, self.process_names = view
        self._apply(values)

    def _apply(self, values: dict[str, Any]) -> None:
        self.values = values
        for definition in models.SETTING_DEFS:
            self._show_value(definition.key, values[definition.key])

    def _shown_text(self, key: str, value: Any) -> str:
        if key == "default_qualifying_process":
            return self.process_names.get(str(value), "None") if value else "None"
        return str(value) if value not in ("", None) else "None"

    def _show_value(self, key: str, value: Any) -> None:
        """Show `value` in its row; a row whose text is already shown is left alone (the
        screen is refilled each time it is opened: an update asks for a layout)."""
        widget = self._widget(f"#{key}") if key in self._inputs else None
        if widget is None:
            self._show_text(f"#value-{key}", literal(self._shown_text(key, value)))
        elif isinstance(widget, Switch):
            with widget.prevent(Switch.Changed):
                widget.value = bool(value)
            self._show_text(f"#state-{key}", Content(on_off(bool(value))))
        elif isinstance(widget, Input):
            with widget.prevent(Input.Changed):
                widget.value = printable(value)
            self._show_text(f"#error-{key}", Content(""))

    def _widget(self, selector: str) -> Any:
        """The widget `selector` names (looked up once: the screen is built once)."""
        widget = self._widgets.get(selector)
        if widget is None:
            widget = self._widgets[selector] = self.query_one(selector)
        return widget

    def _show_text(self, selector: str, text: Content) -> None:
        if self._texts.get(selector) != text:
            self._texts[selector] = text
            self._widget(selector).update(text)

    # Changing.
    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Mark the row that holds the focus (visible without colour, too)."""
        for row in self.query(".setting.-current"):
            row.remove_class("-current")
        parent = event.widget.parent
        if parent is not None and parent.has_class("setting"):
            parent.add_class("-current")

    def on_switch_changed(self, event: Switch.Changed) -> None:
        key = event.switch.id
        if key is None:
            return
        self._show_text(f"#state-{key}", Content(on_off(event.value)))
        self._save(key, event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id:
            self._save(event.input.id, event.value)

    def _save(self, key: str, value: Any) -> None:
        self.run_worker(self._save_setting(key, value), group="settings-save")

    async def _save_setting(self, key: str, value: Any) -> None:
        try:
            settings = await run_service(
                self.app, models.change_setting, self.app.user, key, value, changes=True
            )
        except models.LeadqError as exc:
            self._save_failed(key, exc)
        else:
            self._saved(key, asdict(settings))

    def _saved(self, key: str, values: dict[str, Any]) -> None:
        self._apply(values)
        label = next(d.label for d in models.SETTING_DEFS if d.key == key)
        value = values[key]
        shown = on_off(value) if isinstance(value, bool) else str(value)
        notify_literal(self, f"{label}: {shown}", title="Setting saved")

    def _save_failed(self, key: str, error: models.LeadqError) -> None:
        errors = getattr(error, "errors", {})
        message = errors.get(key, str(error))
        if key == "phone_region":
            self._show_text(f"#error-{key}", literal(message))
        else:
            self._show_value(key, self.values[key])
        notify_literal(self, message, title="Setting not saved", severity="error")

    def action_back(self) -> None:
        self.dismiss(None)
