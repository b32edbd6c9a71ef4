"""The anchor for bench_tui.py: a bare Textual app with the lead list's widgets
(header, toolbar with a compact search input, a ScrollView, status line,
footer) and no data, no database, no models.

Run as `python bench/bare_app.py START_WALL_TIME RESULT.json`: it writes the
seconds from START_WALL_TIME to its first painted frame and its resident memory,
then exits.
"""

from __future__ import annotations

import json
import sys
import time

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Header, Input, Static


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class EmptyList(ScrollView, can_focus=True):
    DEFAULT_CSS = "EmptyList { height: 1fr; }"

    def on_mount(self) -> None:
        self.virtual_size = Size(1, 1)

    def render_line(self, y: int) -> Strip:
        return Strip.blank(self.size.width, self.rich_style)


class BareApp(App[None]):
    def __init__(self, start: float, result: str) -> None:
        super().__init__()
        self.start, self.result, self.first_paint = start, result, 0.0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="toolbar"):
            yield Static("Open leads")
            yield Input(placeholder="Search", compact=True)
            yield Static("Sort: Created")
        yield EmptyList()
        yield Static("0 leads")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(EmptyList).focus()
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        self.first_paint = time.time() - self.start
        self.set_timer(1.0, self._report)

    def _report(self) -> None:
        with open(self.result, "w") as out:
            json.dump({"first_paint": self.first_paint, "rss_kib": rss_kib()}, out)
        self.exit()


if __name__ == "__main__":
    BareApp(float(sys.argv[1]), sys.argv[2]).run(headless=True)
