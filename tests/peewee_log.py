"""What Peewee runs inside a block, read from its debug log (both backends): the
statements with their values, or anything else a test wants of each one."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


@contextmanager
def logged(keep: Callable[[logging.LogRecord], T]) -> Iterator[list[T]]:
    """`keep(record)` for each statement Peewee runs while the block runs, in order
    (a record's `msg` is the statement and its values)."""
    seen: list[T] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(keep(record))

    logger = logging.getLogger("peewee")
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
