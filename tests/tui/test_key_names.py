"""leadq's keys are named as Textual names them, without Unicode's name tables
(tui/key_names.py)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import textual.app
import textual.keys
import textual.screen
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

import tui
from tui import key_names
from tui.app import LeadqApp


@pytest.mark.parametrize("key", sorted(key_names.NAMED))
def test_each_named_key_is_answered_as_textual_answers(key: str) -> None:
    character, display = key_names.NAMED[key]
    assert character == textual.keys.key_to_character(key)
    assert display == textual.keys.format_key(key)
    assert key_names.key_to_character(key) == character
    assert key_names.format_key(key) == display


def test_a_letter_or_digit_is_its_own_label_as_in_textual() -> None:
    for key in sorted(key_names.ALNUM):
        assert key_names.format_key(key) == textual.keys.format_key(key) == key
        assert key_names.key_to_character(key) == textual.keys.key_to_character(key) == key


def test_other_keys_go_to_textual() -> None:
    for key in ("f12", "insert", "ctrl+q", "shift+tab", "exclamation_mark", "underscore"):
        assert key not in key_names.NAMED
        assert key_names.key_to_character(key) == textual.keys.key_to_character(key)
        assert key_names.format_key(key) == textual.keys.format_key(key)


def test_the_app_uses_them() -> None:
    assert textual.screen.key_to_character is key_names.key_to_character
    assert textual.app.format_key is key_names.format_key
    assert App().get_key_display(Binding("ctrl+slash", "x")) == "^/"


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_key_bound_in_tui_is_named_here() -> None:
    """A key bound later and missing here still works (Textual answers it), but its
    first lookup brings Unicode's name tables back into memory: add it to NAMED."""
    for package in ("tui.screens", "tui.widgets", "tui.flows"):
        for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
            importlib.import_module(f"{package}.{module.name}")
    bound = set()
    for cls in [LeadqApp, Screen, App, *_subclasses(DOMNode)]:
        if cls not in (Screen, App) and not cls.__module__.startswith(tui.__name__):
            continue
        for binding in cls.__dict__.get("BINDINGS", []):
            keys = binding.key if isinstance(binding, Binding) else binding[0]
            for key in keys.split(","):
                bound.add(key.strip().rpartition("+")[2])
    missing = {key for key in bound if key not in key_names.NAMED and key not in key_names.ALNUM}
    assert missing == set()
