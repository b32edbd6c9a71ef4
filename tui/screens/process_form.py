"""A small form dialog for qualifying processes, levels and activities.

The dialog calls `save(values)` itself (in a worker: it writes), so a model
`ValidationError` is shown beside its field and the dialog stays open; it
dismisses True once saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from models import LeadqError, Role

from ..loading import run_service
from ..widgets.literal import literal, printable


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str = "text"  # text, days, bool, role
    value: Any = ""
    placeholder: str = ""


class ProcessFormScreen(ModalScreen[bool]):
    CSS_PATH = "process_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="process_form.save"),
        Binding("escape", "cancel", "Cancel", id="process_form.cancel"),
    ]

    def __init__(
        self, title: str, fields: list[Field], save: Callable[[dict[str, Any]], object]
    ) -> None:
        super().__init__()
        self.form_title = title
        self.fields = fields
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = literal(self.form_title)
            for field in self.fields:
                with Horizontal(classes="field"):
                    yield Label(field.label, classes="field-label")
                    if field.kind == "bool":
                        yield Checkbox("Yes", bool(field.value), id=f"f-{field.key}", compact=True)
                    elif field.kind == "role":
                        yield Select(
                            Role.choices(),
                            value=field.value or Role.SALESPERSON.value,
                            allow_blank=False,
                            id=f"f-{field.key}",
                            compact=True,
                        )
                    else:
                        yield Input(
                            printable(field.value),
                            placeholder=field.placeholder,
                            id=f"f-{field.key}",
                            compact=True,
                            type="integer" if field.kind == "days" else "text",
                        )
                yield Static("", classes="field-error", id=f"err-{field.key}")
            yield Static("", id="form-error")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(f"#f-{self.fields[0].key}").focus()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in self.fields:
            widget = self.query_one(f"#f-{field.key}")
            if isinstance(widget, Checkbox | Select):
                out[field.key] = widget.value
            elif isinstance(widget, Input):
                shown = widget.value
                if shown == printable(field.value):
                    # Untouched: keep the stored text, whose control characters the
                    # input shows as visible symbols.
                    shown = str(field.value)
                out[field.key] = shown.strip() or ("0" if field.kind == "days" else "")
        return out

    async def action_save(self) -> None:
        for error_line in self.query(".field-error, #form-error").results(Static):
            error_line.update("")
            error_line.remove_class("visible")
        try:
            await run_service(self.app, self.save, self.values(), changes=True)
        except LeadqError as error:
            errors = getattr(error, "errors", {}) or {}
            shown = False
            for key, message in errors.items():
                if any(f.key == key for f in self.fields):
                    line = self.query_one(f"#err-{key}", Static)
                    line.update(literal(f"⚠ {message}"))
                    line.add_class("visible")
                    shown = True
            if not shown:
                line = self.query_one("#form-error", Static)
                line.update(literal(f"⚠ {error}"))
                line.add_class("visible")
            return
        self.dismiss(True)

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.action_save()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            await self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(False)


__all__ = ["Field", "ProcessFormScreen"]
