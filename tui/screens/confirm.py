"""Small dialogs: a yes/no confirmation and a message to acknowledge.

Both render their text literally (user data such as lead names is never parsed
as markup, and control characters are shown as visible symbols).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from ..widgets.literal import literal

SCROLL_BINDINGS = [  # no description: kept out of the footer, help and palette
    Binding("down", "scroll(1)", show=False, id="dialog.scroll_down"),
    Binding("up", "scroll(-1)", show=False, id="dialog.scroll_up"),
    Binding("pagedown", "scroll_page(1)", show=False, id="dialog.page_down"),
    Binding("pageup", "scroll_page(-1)", show=False, id="dialog.page_up"),
]


class ScrollsText:
    """Up/down and page keys scroll a dialog too tall for the screen (at 60x20 a
    long message scrolls inside its frame, the buttons staying in sight)."""

    def action_scroll(self, lines: int) -> None:
        dialog = self.query_one("#dialog")  # type: ignore[attr-defined]
        dialog.scroll_relative(y=lines, animate=False)

    def action_scroll_page(self, pages: int) -> None:
        dialog = self.query_one("#dialog")  # type: ignore[attr-defined]
        dialog.scroll_relative(y=pages * max(1, dialog.scrollable_content_region.height - 1),
                               animate=False)  # fmt: skip


class ConfirmScreen(ScrollsText, ModalScreen[bool]):
    """Ask before doing something; dismisses True to go ahead, False to cancel."""

    CSS_PATH = "confirm.tcss"
    AUTO_FOCUS = "#confirm"
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm_yes"),
        Binding("n", "answer(False)", "No", id="confirm_no"),
        Binding("escape", "answer(False)", "Cancel", id="confirm_cancel"),
        *SCROLL_BINDINGS,
    ]

    def __init__(
        self,
        title: str,
        message: str | Content,
        *,
        confirm_label: str = "OK",
        danger: bool = False,
        details: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self.dialog_title = title
        self.message = literal(message, multiline=True)
        self.details = list(details)
        self.confirm_label = confirm_label
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog") as dialog:
            dialog.border_title = literal(self.dialog_title)
            yield Static(self.message, id="message", markup=False)
            if self.details:
                with VerticalScroll(id="details"):
                    for line in self.details:
                        yield Static(
                            literal(f"• {line}", multiline=True), markup=False, classes="detail"
                        )
            with Horizontal(classes="buttons"):
                yield Button(
                    f"{self.confirm_label} (y)",
                    id="confirm",
                    variant="error" if self.danger else "primary",
                    compact=True,
                )
                yield Button("Cancel (n)", id="cancel", compact=True)
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class MessageScreen(ScrollsText, ModalScreen[None]):
    """Tell the user something (an error, a summary) and wait for OK."""

    CSS_PATH = "confirm.tcss"
    AUTO_FOCUS = "#ok"
    BINDINGS = [
        Binding("escape", "close", "Close", id="message_close"),
        Binding("enter", "close", "OK", show=False, id="message_ok"),
        *SCROLL_BINDINGS,
    ]

    def __init__(
        self,
        title: str,
        message: str | Content,
        *,
        lines: Iterable[str | Content] = (),
        error: bool = False,
    ) -> None:
        super().__init__()
        self.dialog_title = title
        self.message = literal(message, multiline=True)
        self.lines = [literal(line, multiline=True) for line in lines]
        self.error = error

    def compose(self) -> ComposeResult:
        classes = "dialog error" if self.error else "dialog"
        with Vertical(id="dialog", classes=classes) as dialog:
            dialog.border_title = literal(self.dialog_title)
            yield Static(self.message, id="message", markup=False)
            if self.lines:
                with VerticalScroll(id="details"):
                    for line in self.lines:
                        yield Static(line, markup=False, classes="detail")
            with Horizontal(classes="buttons"):
                yield Button("OK", id="ok", variant="primary", compact=True)
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
