"""The terminal driver: Textual's `LinuxDriver`, with input that is not valid UTF-8.

Textual 8.2.8 decodes the terminal's bytes in `LinuxDriver.run_input_thread` with a
strict incremental UTF-8 decoder: one byte that is not UTF-8 (a Latin-1 "é", 0xE9,
typed or pasted over SSH from a terminal set to ISO-8859-1) raises
`UnicodeDecodeError` in the input thread, which panics the app with a traceback.
`LenientLinuxDriver.run_input_thread` is that method with the decoder made
`errors="replace"`, so such a byte arrives as U+FFFD and the app goes on; the rest is
Textual's code unchanged. A test compares it with Textual's method line by line, so
an upgrade of Textual that changes the method fails until this copy is looked at.
`LeadqApp.get_driver_class` picks this driver wherever Textual would pick `LinuxDriver`
(the web driver gets text the browser already decoded).
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

from textual._loop import loop_last
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

DECODE_ERRORS = "replace"


class LenientLinuxDriver(LinuxDriver):
    """`LinuxDriver` whose input decoder replaces bytes that are not UTF-8."""

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)

        fileno = self.fileno
        EVENT_READ = selectors.EVENT_READ

        parser = XTermParser(self._debug)
        feed = parser.feed
        tick = parser.tick

        utf8_decoder = getincrementaldecoder("utf-8")(errors=DECODE_ERRORS).decode
        decode = utf8_decoder
        read = os.read

        def process_selector_events(
            selector_events: list[tuple[selectors.SelectorKey, int]],
            final: bool = False,
        ) -> None:
            """Process events from selector.

            Args:
                selector_events: List of selector events.
                final: True if this is the last call.

            """
            for last, (_selector_key, mask) in loop_last(selector_events):
                if mask & EVENT_READ:
                    unicode_data = decode(read(fileno, 1024 * 4), final=final and last)
                    if not unicode_data:
                        # This can occur if the stdin is piped
                        break
                    for event in feed(unicode_data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process_selector_events(selector.select(0.1))
            selector.unregister(self.fileno)
            process_selector_events(selector.select(0.1), final=True)

        finally:
            selector.close()
            try:
                for _event in feed(""):
                    pass
            except (EOFError, ParseError):
                pass
