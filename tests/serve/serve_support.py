"""What the serve tests share: the account sessions run as when the tests run as root.

`leadq serve` refuses to run sessions as root, and CI runs as root, so there the
servers under test get `--run-as nobody` and the files a session must reach (the
fake app, the SQLite database) live in a directory handed to that account.

One limit of the machine: when the tests' Python lives where `nobody` cannot go
(pyenv under /root, mode 0700), nobody cannot run it. Servers of the real app
are then started with the system Python of the same version, leadq's checkout
and the virtual environment's site-packages on PYTHONPATH (SERVE_PYTHON), which
nobody can run; the sessions inherit both. The fake app of tests/test_serve.py
(stdlib only) runs under that system Python too. Only when there is no such
Python do real-app servers fall back to `--allow-root-sessions`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pwd
import queue
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

RUN_AS = "nobody" if os.geteuid() == 0 else None
"""The --run-as account of the servers under test (None: they run as the tester)."""


def account_can_run(python: str, code: str = "pass", env: dict | None = None) -> bool:
    """Whether the session account can run `python -c code` (from `/`)."""
    if RUN_AS is None:
        return True
    uid, gid = session_ids()
    try:
        result = subprocess.run(
            [python, "-c", code], user=uid, group=gid, extra_groups=[], cwd="/",
            capture_output=True, timeout=60, env={"PATH": "/usr/bin:/bin", **(env or {})},
        )  # fmt: skip
    except OSError:
        return False
    return result.returncode == 0


def fake_app_python() -> str:
    """A Python the session account can run, for the stdlib-only fake app."""
    for python in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(python) and account_can_run(python):
            return python
    raise RuntimeError(f"no Python that {RUN_AS} can run")


ROOT = Path(__file__).resolve().parents[2]
_APP_IMPORTS = "import tui.app, tui.serve, models, textual, asyncssh, peewee"


def _system_python_env() -> dict[str, str]:
    paths = {sysconfig.get_paths()[kind] for kind in ("purelib", "platlib")}
    return {"PYTHONPATH": os.pathsep.join([str(ROOT), *sorted(paths)])}


@functools.cache
def _serve_python() -> tuple[str, tuple[tuple[str, str], ...], bool]:
    """(python, extra environment, whether the session account can run the app with it)."""
    if RUN_AS is None or account_can_run(sys.executable, _APP_IMPORTS):
        return sys.executable, (), True
    system = "/usr/bin/python3"
    env = _system_python_env()
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    same = f"import sys; assert '%d.%d' % sys.version_info[:2] == '{version}'; {_APP_IMPORTS}"
    if os.path.exists(system) and account_can_run(system, same, env):
        return system, tuple(env.items()), True
    return sys.executable, (), False


def serve_command() -> list[str]:
    """How to start `leadq serve` so that its sessions can run as the account."""
    return [_serve_python()[0], "-m", "tui", "serve"]


def serve_env(env: dict[str, str]) -> dict[str, str]:
    """`env` plus what serve_command() needs (PYTHONPATH for the system Python)."""
    return {**env, **dict(_serve_python()[1])}


def real_app_args() -> list[str]:
    """`leadq serve` options for servers that run the real app: --run-as the account
    (root), nothing (not root), or --allow-root-sessions when no Python will do."""
    if RUN_AS is None:
        return []
    return ["--run-as", RUN_AS] if _serve_python()[2] else ["--allow-root-sessions"]


def session_ids() -> tuple[int, int]:
    """(uid, gid) that session processes get."""
    if RUN_AS is None:
        return os.getuid(), os.getgid()
    entry = pwd.getpwnam(RUN_AS)
    return entry.pw_uid, entry.pw_gid


def hand_over(path: Path) -> None:
    """Give `path` and everything under it to the session account (a SQLite file
    needs its directory, -wal and -shm too)."""
    if RUN_AS is None:
        return
    uid, gid = session_ids()
    for item in [path, *path.rglob("*")]:
        os.chown(item, uid, gid, follow_symlinks=False)


@contextlib.contextmanager
def account_dir(prefix: str = "leadq-serve-") -> Iterator[Path]:
    """A temporary directory the session account can enter and write (pytest's own
    tmp_path sits under a directory only its owner can enter)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    hand_over(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def wait_for_line(stream: IO[str], pattern: str, seconds: float) -> re.Match[str]:
    """The first line of a server's output that matches `pattern`, read within
    `seconds` (a server that prints nothing and stays up fails the test instead of
    hanging it). AssertionError, with what was read, if it does not come or the
    output ends; the rest of the output is drained in the background, so a server
    that goes on printing never blocks on a full pipe."""
    lines: queue.Queue[str | None] = getattr(stream, "_leadq_lines", None) or queue.Queue()
    if not hasattr(stream, "_leadq_lines"):
        stream._leadq_lines = lines  # type: ignore[attr-defined]

        stream._leadq_all = []  # type: ignore[attr-defined]

        def pump() -> None:
            for line in stream:
                stream._leadq_all.append(line)  # type: ignore[attr-defined]
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            lines.put(None)  # the end stays visible to the next caller
            raise AssertionError(f"the server's output ended: {''.join(seen)[-2000:]}")
        seen.append(line)
        if found := re.search(pattern, line):
            return found
    raise AssertionError(f"no {pattern!r} within {seconds:g} s: {''.join(seen)[-2000:]}")


def output_so_far(stream: IO[str]) -> str:
    """Everything wait_for_line's reader has read from `stream` (for failure messages)."""
    return "".join(getattr(stream, "_leadq_all", []))[-4000:]
