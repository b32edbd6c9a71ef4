"""Temporary lead list (being replaced by the virtual list)."""

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class LeadListScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Lead list")
        yield Footer()
