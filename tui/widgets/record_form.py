"""A grouped form of record fields: inputs, choice lists, yes/no boxes, long text
and lookups, each with its error line.

It only holds values: what a field may contain is checked by `models` when the
screen saves (a `ValidationError` puts each message beside its field). Typed
text is never parsed as markup. Tabbing into a field puts the cursor at the end
of its value instead of selecting it, so the next key adds to it. At 160
columns and wider the groups sit in two columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.reactive import Reactive
from textual.validation import ValidationResult
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea
from textual.widgets._select import NoSelection, SelectCurrent, SelectOverlay

from .literal import literal, printable
from .lookup import LookupField

WIDE_COLUMNS = 160


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text, longtext, choice, bool, account, contact
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    allow_blank: bool = True


FormGroups = tuple[tuple[str, tuple[FormField, ...]], ...]


def shown(value: object, *, multiline: bool = False) -> str:
    """A value as its input shows it (control characters visible)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return printable(value, multiline=multiline)


class FieldInput(Input):
    """An input that, when focused, puts the cursor at the end of its value.

    Its virtual size (the width of its value, how far it scrolls) is kept without
    asking for a layout: Textual's reactive asked for one of the whole screen each
    time a value of another length was set, and filling the lead form laid the
    screen out again on every lead shown. Nothing else is placed by that size, and
    an input whose own size follows its value (width or height auto) still asks
    for a layout as its value changes (`Input._watch_value`)."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(select_on_focus=False, compact=True, **kwargs)

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self.cursor_position = len(self.value)

    def validate(self, value: str) -> ValidationResult | None:
        """Textual's; with no validators (the form's fields: `models` checks them as
        they are saved) it only marks the input valid, once, not again for each value
        the form fills in (two class changes asked for per field and lead shown)."""
        if not self.validators and self.has_class("-valid") and not self.has_class("-invalid"):
            return None
        return super().validate(value)


class _CurrentInPlace(SelectCurrent):
    """What a `FieldSelect` shows, updated without asking for a layout; a choice set or
    cleared restyles only its text (the only part `-has-value` styles), not its
    arrows and itself too."""

    def update(self, label: Any) -> None:
        self.label = label
        self.has_value = label is not Select.NULL
        shown = self.placeholder if isinstance(label, NoSelection) else label
        self.query_one("#label", Static).update(shown, layout=False)

    def _watch_has_value(self, has_value: bool) -> None:
        self.set_class(has_value, "-has-value", update=False)
        self.query_one("#label", Static).update_node_styles()


class FieldSelect(Select[Any]):
    """A choice list for a form row of fixed height: choosing or filling a value
    repaints what it shows without a layout of the whole screen (Textual's asked
    for one on every value set: the row's size does not depend on it)."""

    def compose(self) -> ComposeResult:
        yield _CurrentInPlace(self.prompt)
        yield SelectOverlay(type_to_search=self._type_to_search).data_bind(compact=Select.compact)


class RecordForm(VerticalScroll):
    """The fields of `groups`; `fill()` loads values, `values()` reads them back."""

    DEFAULT_CSS = """
    RecordForm { height: 1fr; padding: 0 1; }
    RecordForm #form-groups { height: auto; layout: vertical; }
    RecordForm.-wide #form-groups { layout: grid; grid-size: 2; grid-gutter: 0 2; }
    RecordForm .form-group { height: auto; }
    RecordForm .group-title { text-style: bold underline; margin-top: 1; }
    RecordForm .field { height: auto; min-height: 1; }
    RecordForm .field-label { width: 22; color: $text-muted; }
    RecordForm .field.-focused .field-label { color: $text; text-style: bold; }
    RecordForm .field.invalid .field-label { color: $error; }
    RecordForm .field Input, RecordForm .field Select, RecordForm .field LookupField { width: 1fr; }
    RecordForm .field Input { background: $boost; }
    RecordForm .field Input:focus { background: $surface-lighten-1; }
    RecordForm .field TextArea { width: 1fr; height: 4; }
    RecordForm .field-error { color: $error; display: none; padding-left: 22; }
    RecordForm .field-error.visible { display: block; }
    RecordForm #form-summary { color: $error; display: none; }
    RecordForm #form-summary.visible { display: block; }
    """

    def __init__(self, groups: FormGroups, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.groups = groups
        self.fields = {f.name: f for _, fields in groups for f in fields}
        self._loaded: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="form-summary")
        with Vertical(id="form-groups"):
            for title, fields in self.groups:
                with Vertical(classes="form-group"):
                    yield Static(title, classes="group-title")
                    for field in fields:
                        yield from self._compose_field(field)

    def _compose_field(self, field: FormField) -> ComposeResult:
        widget: Any
        widget_id = f"f-{field.name}"
        if field.kind in ("account", "contact"):
            widget = LookupField(field.kind, id=widget_id)
        elif field.kind == "choice":
            widget = Select(field.choices, id=widget_id, compact=True,
                            allow_blank=field.allow_blank, prompt="(none)")  # fmt: skip
        elif field.kind == "bool":
            widget = Checkbox("No", id=widget_id, compact=True)
        elif field.kind == "longtext":
            widget = TextArea(id=widget_id, compact=True, soft_wrap=True)
        else:
            widget = FieldInput(id=widget_id)
        with Horizontal(classes="field", id=f"row-{field.name}"):
            yield Label(field.label + (" *" if field.required else ""), classes="field-label")
            yield widget
        yield Static("", classes="field-error", id=f"err-{field.name}")

    def on_mount(self) -> None:
        self._fit(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(self.app.size.width)

    def _fit(self, width: int) -> None:
        self.set_class(width >= WIDE_COLUMNS, "-wide")

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        for row in self.query(".field.-focused"):
            row.remove_class("-focused")
        parent = event.widget.parent
        if isinstance(parent, Horizontal) and parent.has_class("field"):
            parent.add_class("-focused")

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.checkbox.label = "Yes" if event.value else "No"

    # Values.
    def widget(self, name: str) -> Any:
        return self.query_one(f"#f-{name}")

    def fill(self, values: dict[str, Any], labels: dict[str, str] | None = None) -> None:
        """Show `values` (lookups take their labels from `labels`)."""
        labels = labels or {}
        for name in self.fields:
            widget = self.widget(name)
            value = values.get(name)
            if isinstance(widget, LookupField):
                widget.set_reference(value, labels.get(name, ""))
            elif isinstance(widget, Select):
                widget.value = value if value else Select.NULL
            elif isinstance(widget, Checkbox):
                widget.value = bool(value)
                widget.label = "Yes" if value else "No"
            elif isinstance(widget, TextArea):
                widget.load_text(shown(value, multiline=True))
            else:
                widget.value = shown(value)
                widget.cursor_position = len(widget.value)
        self._loaded = self.values()
        self.show_errors({})

    def set_read_only(self, read_only: bool) -> None:
        for name in self.fields:
            widget = self.widget(name)
            if isinstance(widget, TextArea):
                widget.read_only = read_only
            else:
                widget.disabled = read_only

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.fields:
            widget = self.widget(name)
            if isinstance(widget, LookupField):
                out[name] = widget.value
            elif isinstance(widget, Select):
                out[name] = None if widget.value == Select.NULL else widget.value
            elif isinstance(widget, Checkbox):
                out[name] = widget.value
            elif isinstance(widget, TextArea):
                out[name] = widget.text
            else:
                out[name] = widget.value
        return out

    def changes(self) -> dict[str, Any]:
        """The fields changed since `fill()`."""
        now = self.values()
        return {k: v for k, v in now.items() if self._loaded.get(k) != v}

    def show_errors(self, errors: dict[str, str]) -> None:
        for name in self.fields:
            line = self.query_one(f"#err-{name}", Static)
            message = errors.get(name, "")
            line.update(literal(f"⚠ {message}") if message else "")
            line.set_class(bool(message), "visible")
            self.query_one(f"#row-{name}").set_class(bool(message), "invalid")
        summary = self.query_one("#form-summary", Static)
        if errors:
            named = [self.fields[n].label for n in errors if n in self.fields]
            other = [m for n, m in errors.items() if n not in self.fields]
            text = "Not saved"
            text += f": check {', '.join(named)}." if named else "."
            text += "".join(f" {m}" for m in other)
            summary.update(Content.assemble(("⚠ ", "bold"), literal(text)))
        else:
            summary.update("")
        summary.set_class(bool(errors), "visible")

    def focus_first_error(self, errors: dict[str, str]) -> None:
        for name in self.fields:
            if name in errors:
                self.widget(name).focus()
                self.scroll_to_widget(self.query_one(f"#row-{name}"), animate=False)
                return

    def focus_first(self) -> None:
        first = next(iter(self.fields))
        self.widget(first).focus()
