"""What the serve tests share: the account sessions run as when the tests run as root.

`leadq serve` refuses to run sessions as root, and CI runs as root, so there the
servers under test get `--run-as nobody` and the files a session must reach (the
fake app, the SQLite database) live in a directory handed to that account.

One limit of the machine: when the tests' Python lives where `nobody` cannot go
(pyenv under /root, mode 0700), no session of the real app can run as nobody.
Then the fake-app sessions (tests/test_serve.py, stdlib only) use the system
Python, which nobody can run, so the privilege drop is still checked for real;
the real-app servers get `--allow-root-sessions` (ROOT_SESSION_ARGS) instead.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

RUN_AS = "nobody" if os.geteuid() == 0 else None
"""The --run-as account of the servers under test (None: they run as the tester)."""


def account_can_run(python: str, code: str = "pass") -> bool:
    """Whether the session account can run `python -c code` (from `/`)."""
    if RUN_AS is None:
        return True
    uid, gid = session_ids()
    try:
        result = subprocess.run(
            [python, "-c", code], user=uid, group=gid, extra_groups=[], cwd="/",
            capture_output=True, timeout=60, env={"PATH": "/usr/bin:/bin"},
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


def real_app_args() -> list[str]:
    """`leadq serve` options for servers that run the real app: --run-as the account
    when it can run this installation, else (root only) --allow-root-sessions."""
    if RUN_AS is None:
        return []
    if account_can_run(sys.executable, "import tui, models, textual"):
        return ["--run-as", RUN_AS]
    return ["--allow-root-sessions"]


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
