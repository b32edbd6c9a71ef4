"""Textual's widget counter is kept off the Widget class (tui/sort_order.py): making
a widget sets no class attribute (which would invalidate the method-cache version
tags of Widget and all its subclasses, and in a forked session copy those classes'
pages), and widgets still get increasing sort orders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_making_widgets_sets_no_class_attribute_and_orders_them() -> None:
    code = (
        "import tui.app\n"
        "from textual.widget import Widget\n"
        "from textual.widgets import Label, Static\n"
        "before = dict(vars(Widget))\n"
        "made = [Static(), Label(), Widget(), Static()]\n"
        "orders = [w.sort_order for w in made]\n"
        "print(orders == sorted(orders), len(set(orders)) == 4, orders[1] == orders[0] + 1,\n"
        "      dict(vars(Widget)) == before, Widget._sort_order == orders[-1])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.stdout.strip() == "True True True True True", result.stderr
