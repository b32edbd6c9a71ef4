"""Help (F1 or ?): every key of every screen, the current screen's first.

Keys are read from the `BINDINGS` of the screens and widgets themselves, so
the help cannot drift from what the keys do.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Static

KEY_WIDTH = 16


def _title(cls: type) -> str:
    """`LeadDetailScreen` -> `Lead detail`."""
    name = re.sub(r"(Screen|Dialog|Modal)$", "", cls.__name__) or cls.__name__
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).split()
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else name


def _bindings(cls: type[DOMNode]) -> list[Binding]:
    """The bindings a class declares itself: not those it inherits, nor those of a
    base it repeats in its own list to order them (`inherit_bindings=False`)."""
    declared: Iterable[BindingType] = cls.__dict__.get("BINDINGS", [])
    repeats = not cls._inherit_bindings
    inherited = {
        (b.key, b.action)
        for base in cls.__mro__[1:]
        if repeats or base.__module__.startswith("tui.")
        for b in Binding.make_bindings(base.__dict__.get("BINDINGS", []))
    }
    return [
        b
        for b in Binding.make_bindings(declared)
        if b.description and (b.key, b.action) not in inherited
    ]


def _discover(package: str, base: type) -> list[type]:
    """The classes derived from `base` defined in the modules of `package`."""
    try:
        root = importlib.import_module(package)
    except Exception:  # a screen being written by someone else must not break help
        return []
    found: list[type] = []
    for info in pkgutil.iter_modules(root.__path__):
        try:
            module = importlib.import_module(f"{package}.{info.name}")
        except Exception:
            continue
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, base) and obj.__module__ == module.__name__ and _bindings(obj):
                found.append(obj)
    return found


class HelpScreen(Screen[None]):
    """The keys, grouped by screen."""

    CSS_PATH = "help.tcss"
    TITLE = "Help"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("q", "close", "Close", show=False, id="help.close_q"),
        Binding("f1", "close", "Close", show=False, id="help.close_f1"),
        Binding("question_mark", "close", "Close", show=False, id="help.close_question"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="help-body"):
            yield Static(self.help_content(), id="help-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    # ------------------------------------------------------------------ text
    def groups(self) -> Iterator[tuple[str, list[tuple[str, str]]]]:
        """(heading, [(keys, description)]) for the screen below, then the app, then
        every other screen and widget of leadq."""
        app = self.app
        stack = app.screen_stack
        below: Screen[Any] | None = stack[-2] if len(stack) >= 2 else None
        shown: set[type] = {type(self)}
        if below is not None:
            shown.add(type(below))
            rows = self._rows(_bindings(type(below)))
            for widget in below.query(Widget):
                if type(widget).__module__.startswith("tui.") and type(widget) not in shown:
                    shown.add(type(widget))
                    rows += self._rows(_bindings(type(widget)))
            yield f"This screen: {_title(type(below))}", rows
        yield "Everywhere", self._rows(_bindings(type(app)))
        for cls in _discover("tui.screens", Screen) + _discover("tui.widgets", Widget):
            if cls not in shown:
                shown.add(cls)
                yield _title(cls), self._rows(_bindings(cls))
        yield (
            "Command palette",
            [(self._key("ctrl+p"), "Every action, themes, and jump to a lead by name")],
        )

    def _key(self, key: str) -> str:
        return self.app.get_key_display(Binding(key, ""))

    def _rows(self, bindings: list[Binding]) -> list[tuple[str, str]]:
        merged: dict[str, list[str]] = {}
        for binding in bindings:
            keys = merged.setdefault(binding.description, [])
            display = self.app.get_key_display(binding)
            if display not in keys:
                keys.append(display)
        return [(" / ".join(keys), description) for description, keys in merged.items()]

    def help_content(self) -> Content:
        parts: list[Content] = []
        for heading, rows in self.groups():
            if not rows:
                continue
            if parts:
                parts.append(Content("\n"))
            parts.append(Content.styled(heading, "bold underline"))
            for keys, description in rows:
                parts.append(Content("\n"))
                parts.append(Content.styled(f"  {keys:<{KEY_WIDTH}}", "bold $accent"))
                parts.append(Content(description))
        return Content("").join(parts)
