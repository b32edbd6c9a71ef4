"""A text file written beside its target under a hidden name, then published.

Exports and an import's rejected rows are written this way on the local machine:
a reader never sees half a file, and a failure or an interruption leaves nothing
behind. (A served session's files go to its file area, which does the same with
its own quotas: `models.FileArea.write`.)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO


class PartFile:
    """`handle` writes a hidden `.NAME.part` beside `target`; `publish` puts it in
    place, `discard` removes it, and a `with` block that ends without publishing
    (an error, Ctrl+C) discards it. Raises OSError at once when the folder cannot
    be written."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.handle: IO[str] = tempfile.NamedTemporaryFile(  # noqa: SIM115 (published or removed)
            "w", encoding="utf-8", newline="", dir=target.parent, prefix=".", suffix=".part",
            delete=False,
        )  # fmt: skip
        self.path = Path(self.handle.name)
        self._finished = False

    def publish(self, *, replace: bool) -> None:
        """Make the written file `target`. With `replace`, a file already there is
        replaced (what a command's `-o` means); without, FileExistsError if one is
        there, even one made while this was written (what a screen promises)."""
        self._finished = True
        self.handle.close()
        try:
            if replace:
                os.replace(self.path, self.target)
            else:
                os.link(self.path, self.target)
        finally:
            self.path.unlink(missing_ok=True)

    def discard(self) -> None:
        self._finished = True
        self.handle.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> PartFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._finished:
            self.discard()
