"""The classes a forked session uses, built side by side in the session factory.

A session writes into the class object of every class it makes an instance of
(CPython 3.11 counts an instance's reference to its class, and gives the class
a method-cache version tag): each page holding such a class is copied by every
session. A class object is about 1 KB, allocated by the C library's malloc when
its `class` statement runs, among everything else its module makes, so the 267
classes a session uses on its way to the lead list sat on 276 pages (420 KB: 103
pages side by side). Classes cannot be moved once made (every instance points at
its class), so the factory places them as they are made:

- before it imports anything (`reserve`, at the top of factory.py, after the
  names), it allocates one chunk of memory per class named in `hot_classes.txt`,
  of the size that class's object will ask for, one after the other;
- while it imports, `builtins.__build_class__` is `_build`: for a class of the
  list it runs the class body and, just before the metaclass makes the class,
  frees that class's chunk, which malloc hands to the very next request of that
  size (its per-thread cache, or an exact fit): the class object. Other classes
  are built by Python's own `__build_class__`;
- `release` (in preload(), once the imports are done) puts Python's own back and
  frees the chunks of classes that were not made (renamed or gone: their memory is
  then among the holes `fill_malloc_holes` takes).

A class whose chunk went to another request is still made, only elsewhere.
Measured (one session forked at a time, copied plus new pages at its list, four
factories with different hash seeds, alternated): 16.63 -> 16.47 MiB, median.

`hot_classes.txt` is written with hot_code.txt by `python -m tui.ssh.hot_code
--write`: the classes `hot_code.class_ranks` finds for the new list, in that
order, with the size their object asks malloc for.
"""

from __future__ import annotations

import builtins
import ctypes
import os
import types
from collections.abc import Iterable

PROFILE = os.path.join(os.path.dirname(__file__), "hot_classes.txt")
_python_build_class = builtins.__build_class__
_chunks: dict[tuple[str, str], int] = {}
"""{(module, qualname): the chunk reserved for that class's object, not yet used}"""
placed: list[type] = []
"""The classes built into their chunk (kept for the tests and the docs' figures)."""
_free = None


def request_size(cls: type) -> int:
    """The bytes `cls`'s object asked malloc for: the garbage collector's header,
    then the metaclass's size for the class's `__slots__` (PyType_GenericAlloc)."""
    meta = type(cls)
    slots = ctypes.c_ssize_t.from_address(id(cls) + 2 * ctypes.sizeof(ctypes.c_void_p)).value
    body = meta.__basicsize__ + (slots + 1) * meta.__itemsize__
    return 2 * ctypes.sizeof(ctypes.c_void_p) + (body + 7) // 8 * 8


def profile_lines(classes: Iterable[type]) -> list[str]:
    """`module qualname size` for each class (what hot_classes.txt holds)."""
    return [f"{cls.__module__} {cls.__qualname__} {request_size(cls)}" for cls in classes]


def reserve(path: str = PROFILE) -> int:
    """Allocate the chunks for the classes in `path` and build classes through
    `_build` from now on; returns how many chunks (none without the file or glibc)."""
    global _free
    try:
        with open(path, encoding="utf-8") as profile:
            lines = [line.split() for line in profile if line.strip() and line[0] != "#"]
        libc = ctypes.CDLL(None)
        malloc, _free = libc.malloc, libc.free
    except (OSError, AttributeError):
        return 0
    malloc.restype, malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    _free.argtypes = [ctypes.c_void_p]
    for fields in lines:
        if len(fields) == 3 and fields[2].isdigit():
            module_qualname = (fields[0], fields[1])
            pointer = malloc(int(fields[2]))
            if pointer:
                _chunks.setdefault(module_qualname, pointer)
    if _chunks:
        builtins.__build_class__ = _build
    return len(_chunks)


def release() -> None:
    """Python's own `__build_class__` back; the chunks not used freed."""
    builtins.__build_class__ = _python_build_class
    if _free is not None:
        for pointer in _chunks.values():
            _free(pointer)
    _chunks.clear()


def _build(func: types.FunctionType, name: str, /, *bases: object, **kwds: object) -> object:
    """`__build_class__` as CPython's (its first two arguments positional only: a
    class statement's keywords go to the metaclass; bases resolved through
    __mro_entries__, the metaclass and its namespace, the body run with its
    closure, `__orig_bases__`, the `__class__` cell checked), with the class's chunk
    freed just before the metaclass makes the class object."""
    pointer = _chunks.pop((func.__globals__.get("__name__", ""), func.__qualname__), None)
    if pointer is None:
        return _python_build_class(func, name, *bases, **kwds)
    resolved = types.resolve_bases(bases)
    meta, namespace, kwds = types.prepare_class(name, resolved, kwds)
    exec(func.__code__, func.__globals__, namespace, closure=func.__closure__)
    cell = namespace.get("__classcell__")  # (what the body returns, when it has one)
    if resolved is not bases:
        namespace["__orig_bases__"] = bases
    _free(pointer)
    cls = meta(name, resolved, namespace, **kwds)
    if isinstance(cell, types.CellType) and isinstance(cls, type):
        try:
            content = cell.cell_contents
        except ValueError:
            raise RuntimeError(f"__class__ not set defining {name!r} as {cls!r}") from None
        if content is not cls:
            raise TypeError(f"__class__ set to {content!r} defining {name!r} as {cls!r}")
    if id(cls) - 2 * ctypes.sizeof(ctypes.c_void_p) == pointer:
        placed.append(cls)
    return cls
