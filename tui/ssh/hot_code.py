"""The code a forked session runs, laid out side by side in the session factory.

CPython 3.11 writes into the code object of every function it calls (a reference
taken at each call; the call counters and the specialised bytecode live inside
the code object), so each of the ~2,000 functions a session runs on its way to
the lead list copies the page its code object sits on. The imports leave those
code objects scattered among everything else (1,900 of them over 1,100 pages,
4.4 MiB, for 0.8 MiB of code). The factory gives each of them a fresh copy,
allocated one after the other (`relocate`), so a session copies about as many
pages as the code fills.

Which functions: `hot_code.txt` beside this file, one `path:qualname` a line in
the order a session first called them, written by

    python -m tui.ssh.hot_code --write

which runs the app as a forked session would (the factory's imports first, then
`tui.cli.main` on a pty, 100x30, over a seeded SQLite file) under a profiler until
its list is shown and a live-update poll has passed. A function added since only
misses the packing (it stays where it is); one renamed or removed is skipped.
The same run writes `hot_strings.txt`, the names that session used (see
hot_strings.py), and `hot_classes.txt`, the classes it used (hot_classes.py).
The lists are not computed at each factory start: that is an app run (about 2 s
of CPU) before the factory could serve, for every server the tests start.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import sys
import types
from collections.abc import Iterable
from pathlib import Path

PROFILE = Path(__file__).with_name("hot_code.txt")
_CO_OPTIMIZED = 0x1
_KEPT: list[object] = []
"""The code objects replaced (kept alive: freed, they would leave holes that a
session's allocations fill and copy) and what the copies needed."""


class _Keys:
    """`path:qualname` of code objects, the path relative to its sys.path entry
    (or the file name as the code says it, for frozen modules)."""

    def __init__(self) -> None:
        roots = set()
        for entry in sys.path:
            if isinstance(entry, str):
                roots.update({os.path.abspath(entry), os.path.realpath(entry)})
        self.roots = sorted((root.rstrip(os.sep) + os.sep for root in roots), key=len)[::-1]
        self.paths: dict[str, str] = {}

    def path(self, filename: str) -> str:
        known = self.paths.get(filename)
        if known is None:
            known = filename
            for root in self.roots:
                if filename.startswith(root):
                    known = filename[len(root) :]
                    break
            self.paths[filename] = known
        return known

    def __call__(self, code: types.CodeType) -> str:
        return f"{self.path(code.co_filename)}:{code.co_qualname}"


def load(path: Path = PROFILE) -> list[str]:
    """The profile's keys, in order (none if the file is missing)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def relocate(keys: Iterable[str]) -> int:
    """Give every function whose code is named in `keys` a fresh copy of its code,
    the copies allocated one after the other in `keys`' order; returns how many
    code objects were copied. Nested code (a function defined inside another, a
    comprehension) is copied too, and so is every code object holding one that is,
    so that the functions made from it at run time get the copy."""
    rank = {key: index for index, key in enumerate(keys)}
    if not rank:
        return 0
    key_of = _Keys()
    files = {key.rsplit(":", 1)[0] for key in rank}
    functions = [
        o
        for o in gc.get_objects()
        if type(o) is types.FunctionType and key_of.path(o.__code__.co_filename) in files
    ]
    codes: dict[int, types.CodeType] = {}
    stack = [function.__code__ for function in functions]
    while stack:
        code = stack.pop()
        if id(code) not in codes:
            codes[id(code)] = code
            stack.extend(c for c in code.co_consts if type(c) is types.CodeType)
    hot = {
        id(code): rank[key]
        for code in codes.values()
        if code.co_flags & _CO_OPTIMIZED and (key := key_of(code)) in rank
    }
    if not hot:
        return 0
    needed: dict[int, bool] = {}

    def needs_copy(code: types.CodeType) -> bool:
        known = needed.get(id(code))
        if known is None:
            needed[id(code)] = False  # (no code object contains itself)
            known = id(code) in hot or any(
                needs_copy(c) for c in code.co_consts if type(c) is types.CodeType
            )
            needed[id(code)] = known
        return known

    order = sorted((c for c in codes.values() if needs_copy(c)), key=lambda c: hot.get(id(c), -1))
    # What the copies are made from, made first, so that it is not allocated
    # between them: the bytecode as bytes (cached by each code object).
    for code in order:
        code.co_code  # noqa: B018
    copies: dict[int, types.CodeType] = {}

    def copy(code: types.CodeType) -> types.CodeType:
        done = copies.get(id(code))
        if done is None:
            consts = tuple(
                copy(c) if type(c) is types.CodeType and needs_copy(c) else c
                for c in code.co_consts
            )
            if any(new is not old for new, old in zip(consts, code.co_consts, strict=True)):
                done = code.replace(co_consts=consts)
            else:
                done = code.replace()
            copies[id(code)] = done
            _KEPT.append(code)
        return done

    for code in order:
        copy(code)
    for function in functions:
        new = copies.get(id(function.__code__))
        if new is not None:
            function.__code__ = new
    return len(copies)


def class_ranks(keys: Iterable[str]) -> dict[type, int]:
    """{class: the rank in `keys` of its first method there} for the classes whose own
    functions `keys` names (the classes a session uses first, first)."""
    rank = {key: index for index, key in enumerate(keys)}
    key_of = _Keys()
    ranks: dict[type, int] = {}
    qualname_of, dict_of = type.__dict__["__qualname__"].__get__, type.__dict__["__dict__"].__get__
    for cls in _all_classes():
        best = None
        prefix = f"{qualname_of(cls)}."
        for value in list(dict_of(cls).values()):
            # (no getattr on what a class holds: a lazy proxy may raise anything)
            function = value.__func__ if type(value) in (classmethod, staticmethod) else value
            if type(function) is not types.FunctionType:
                continue
            code = function.__code__
            if code.co_qualname.startswith(prefix):
                found = rank.get(key_of(code))
                if found is not None and (best is None or found < best):
                    best = found
        if best is not None:
            ranks[cls] = best
    return ranks


def _all_classes() -> list[type]:
    found: dict[int, type] = {}
    stack: list[type] = [object]
    while stack:
        cls = stack.pop()
        if id(cls) not in found:
            found[id(cls)] = cls
            with contextlib.suppress(TypeError):  # (type.__subclasses__ needs a type)
                stack.extend(type.__subclasses__(cls))
    return list(found.values())


def _tp_mro_offset() -> int | None:
    """Where a class object holds its MRO tuple (PyTypeObject.tp_mro), found by looking."""

    class _A:
        pass

    class _B(_A):
        pass

    for offset in range(0, type.__basicsize__, 8):
        if all(
            ctypes.c_void_p.from_address(id(cls) + offset).value == id(cls.__mro__)
            for cls in (_A, _B)
        ):
            return offset
    return None


def pack_mros(ranks: dict[type, int]) -> int:
    """Give every class a fresh copy of its MRO tuple (`__mro__`, equal, not the same
    object), allocated one after the other: those of the classes in `ranks` first, in
    that order, then the others; returns how many were copied.

    CPython 3.11 takes a reference to a class's MRO tuple at every attribute lookup
    that misses its method cache (`find_name_in_mro`), so a forked session writes the
    MRO of every class it uses: each one sits next to its class's other objects, made
    when the module was imported, and its page is copied for the few bytes. Nothing
    reads the tuple's identity; the old ones are kept (freed, they would leave holes
    that a session's allocations fill and copy)."""
    offset = _tp_mro_offset()
    if offset is None:
        return 0
    mro_of = type.__dict__["__mro__"].__get__  # tp_mro, whatever a metaclass says
    classes = sorted(_all_classes(), key=lambda cls: ranks.get(cls, len(ranks)))
    found = [
        (cls, old)
        for cls in classes
        if type(old := mro_of(cls)) is tuple
        and ctypes.c_void_p.from_address(id(cls) + offset).value == id(old)
    ]
    copies = [tuple(list(old)) for _, old in found]  # made together, nothing between
    incref = ctypes.pythonapi.Py_IncRef
    for (cls, old), new in zip(found, copies, strict=True):
        incref(ctypes.py_object(new))  # the class's reference
        ctypes.c_void_p.from_address(id(cls) + offset).value = id(new)
        _KEPT.append(old)  # (still counting the class's old reference: never freed)
    return len(copies)


def _strings_held() -> dict[int, str]:
    """Every identifier-like string the process's objects hold (in dicts, tuples,
    lists, sets and code, one level below the tracked objects), by id."""
    found: dict[int, str] = {}

    def note(item: object) -> None:
        if type(item) is str and item.isidentifier() and item.isascii():
            found[id(item)] = item

    containers = []
    for obj in gc.get_objects():
        containers.append(obj)
        containers.extend(r for r in gc.get_referents(obj) if not gc.is_tracked(r))
    for obj in containers:
        kind = type(obj)
        if kind is dict:
            for key, value in obj.items():  # type: ignore[attr-defined]
                note(key)
                note(value)
        elif kind in (tuple, list, set, frozenset):
            for item in obj:  # type: ignore[attr-defined]
                note(item)
        elif kind is types.CodeType:
            for item in (*obj.co_names, *obj.co_consts):  # type: ignore[attr-defined]
                note(item)
    return found


def _names_of(code: types.CodeType) -> list[str]:
    """The names `code` looks up and its identifier-like constants."""
    names = list(code.co_names)
    stack = list(code.co_consts)
    while stack:
        item = stack.pop(0)
        if type(item) is str and item.isidentifier() and item.isascii():
            names.append(item)
        elif type(item) in (tuple, frozenset):
            stack.extend(item)  # type: ignore[arg-type]
    return names


def _record(out: str, strings_out: str, ready: str) -> None:
    """In the profiled app's process: the factory's imports, then a session with a
    profiler noting each code object called, written to `out` at the end; on
    SIGUSR1 (the list shown, a poll passed) the names that session used are
    written to `strings_out` (hot_strings.py), then `ready` is made."""
    import signal
    import threading

    from . import factory

    factory.preload()
    gc.unfreeze()
    held = _strings_held()
    counts = {key: sys.getrefcount(string) for key, string in held.items()}
    gc.freeze()
    called: dict[int, types.CodeType] = {}

    def note(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call" and id(frame.f_code) not in called:
            called[id(frame.f_code)] = frame.f_code

    def strings(*_: object) -> None:
        used = [name for code in list(called.values()) for name in _names_of(code)]
        used += [s for key, s in held.items() if sys.getrefcount(s) != counts[key]]
        Path(strings_out).write_text("\n".join(dict.fromkeys(used)) + "\n", encoding="utf-8")
        Path(ready).touch()

    signal.signal(signal.SIGUSR1, strings)
    threading.setprofile(note)
    sys.setprofile(note)
    try:
        factory._reset_after_fork()
        from ..cli import main

        main(["--user", "riley", "--no-seed"])
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        key_of = _Keys()
        lines = [key_of(c) for c in called.values() if c.co_flags & _CO_OPTIMIZED]
        Path(out).write_text("\n".join(dict.fromkeys(lines)) + "\n", encoding="utf-8")
        from . import hot_classes

        ranked = class_ranks(dict.fromkeys(lines))
        classes = sorted(ranked, key=ranked.__getitem__)
        text = "\n".join(hot_classes.profile_lines(classes)) + "\n"
        Path(f"{out}.classes").write_text(text, encoding="utf-8")


def write(path: Path = PROFILE, leads: int = 200, seconds: float = 120.0) -> int:
    """Profile a session (see the module's docstring) and write its list to `path`,
    and the names it used to hot_strings.txt beside it; returns how many functions
    it names."""
    import fcntl
    import pty
    import select
    import signal
    import struct
    import subprocess
    import tempfile
    import termios
    import time

    import models

    from . import hot_classes, hot_strings

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/leadq.db"
        models.open_database(url)
        models.seed_demo_data(leads=leads)
        models.close_database()
        out, strings_out, ready = f"{tmp}/called.txt", f"{tmp}/strings.txt", f"{tmp}/ready"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        env = {
            **os.environ, "LEADQ_DB": url, "TERM": "xterm-256color",
            "LEADQ_DATA_DIR": f"{tmp}/data", "LEADQ_CONFIG_DIR": f"{tmp}/config",
        }  # fmt: skip
        record = f"hot_code._record({out!r}, {strings_out!r}, {ready!r})"
        code = f"from tui.ssh import hot_code; {record}"
        root = Path(__file__).resolve().parents[2]
        child = subprocess.Popen(
            [sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave,
            env=env, cwd=root, start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        output = bytearray()
        deadline = time.monotonic() + seconds
        shown_at = None
        while child.poll() is None and time.monotonic() < deadline:
            readable, _, _ = select.select([master], [], [], 0.2)
            if readable:
                try:
                    output += os.read(master, 65536)
                except OSError:
                    break
            if shown_at is None and b"Open leads" in output and "▸".encode() in output:
                shown_at = time.monotonic()
            if shown_at is not None and time.monotonic() > shown_at + 2.5:  # a poll or two
                if not os.path.exists(ready):
                    child.send_signal(signal.SIGUSR1)
                    shown_at += 1.0  # asked again a second later if it has not answered
                    continue
                os.write(master, b"\x11")  # ctrl+q
                shown_at = float("inf")
        if child.poll() is None:
            child.kill()
        child.wait()
        os.close(master)
        if shown_at is None or not os.path.exists(out) or not os.path.exists(ready):
            raise SystemExit(f"the profiled session showed no list: {bytes(output[-400:])!r}")
        lines = load(Path(out))
        names = load(Path(strings_out))
        classes = load(Path(f"{out}.classes"))
    header = (
        "# Functions a forked session runs up to its lead list, in the order it first\n"
        "# calls them: the factory packs their code side by side (tui/ssh/hot_code.py).\n"
        "# Written by `python -m tui.ssh.hot_code --write`; do not edit.\n"
    )
    path.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    header = (
        "# Names a forked session uses up to its lead list: the factory makes them first,\n"
        "# side by side (tui/ssh/hot_strings.py). Written with hot_code.txt by\n"
        "# `python -m tui.ssh.hot_code --write`; do not edit.\n"
    )
    Path(hot_strings.PROFILE).write_text(header + "\n".join(names) + "\n", encoding="utf-8")
    header = (
        "# Classes a forked session uses up to its lead list (module, qualname, the size\n"
        "# of its object): the factory builds them side by side (tui/ssh/hot_classes.py).\n"
        "# Written with hot_code.txt by `python -m tui.ssh.hot_code --write`; do not edit.\n"
    )
    Path(hot_classes.PROFILE).write_text(header + "\n".join(classes) + "\n", encoding="utf-8")
    return len(lines)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python -m tui.ssh.hot_code --write")
    print(f"{write()} functions written to {PROFILE}, and their names beside it")
