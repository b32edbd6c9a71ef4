"""The unprivileged account that served sessions run as (`leadq serve --run-as USER`).

Like sshd, a server started as root never lets a session keep root: every app
process sets its supplementary groups, its group and its user to the account's
between fork and exec (subprocess's `extra_groups`, `group`, `user`), so the app
never reads a byte of client input as root. A server that is not root runs the
sessions as itself; `--run-as` then only accepts its own account.

Started as root without `--run-as`, `leadq serve` refuses to start: there is no
silent fallback to root sessions, and no guessing of an account. Only
`--allow-root-sessions`, for a throwaway machine whose only account is root (a
demo container whose Python lives under /root), runs them as root, and says so.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote


class ServeError(Exception):
    """The server cannot start as configured; str() is a sentence saying why and what to do."""


@dataclass(frozen=True)
class RunAs:
    """An OS account, looked up once at start-up."""

    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str

    @classmethod
    def lookup(cls, name: str) -> RunAs:
        try:
            entry = pwd.getpwnam(name) if not name.isdigit() else pwd.getpwuid(int(name))
        except KeyError:
            raise ServeError(
                f"there is no account {name!r} for --run-as: create one "
                f"(`useradd --system --user-group --home-dir /nonexistent "
                f"--shell /usr/sbin/nologin {name}`) or name another."
            ) from None
        groups = tuple(sorted(set(os.getgrouplist(entry.pw_name, entry.pw_gid))))
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid, groups, entry.pw_dir)

    def popen_kwargs(self) -> dict[str, object]:
        """What subprocess needs to start a child as this account (groups, then gid, then uid)."""
        return {
            "user": self.uid,
            "group": self.gid,
            "extra_groups": list(self.groups),
            "cwd": self.workdir(),
        }

    def workdir(self) -> str:
        """The account's home when it has one it can enter, else `/` (as sshd does)."""
        home = Path(self.home)
        try:
            st = home.stat()
        except OSError:
            return "/"
        return str(home) if home.is_dir() and _permits(st, self, 0o1) else "/"

    def env(self) -> dict[str, str]:
        return {"HOME": self.home, "USER": self.name, "LOGNAME": self.name}


def _permits(st: os.stat_result, account: RunAs, want: int) -> bool:
    """Whether the mode bits grant `want` (r=4, w=2, x=1) to the account (no ACLs)."""
    if st.st_uid == account.uid:
        bits = st.st_mode >> 6
    elif st.st_gid in account.groups:
        bits = st.st_mode >> 3
    else:
        bits = st.st_mode
    return bits & want == want


def tty_group() -> int:
    """The `tty` group that owns terminals (-1: leave the group as it is)."""
    try:
        return grp.getgrnam("tty").gr_gid
    except KeyError:
        return -1


def resolve_run_as(name: str | None, allow_root: bool = False) -> RunAs | None:
    """The account sessions run as, or None for the server's own; ServeError if the
    server is root and sessions would be too (unless `allow_root` says so)."""
    euid = os.geteuid()
    if name is None or name == "":
        if euid == 0 and not allow_root:
            raise ServeError(
                "leadq serve is running as root and would run every session as root; "
                "give --run-as USER, an unprivileged account for the session processes "
                "that can read and write the database (docs/ssh.md, Running as root)."
            )
        return None
    account = RunAs.lookup(name)
    if euid != 0:
        if account.uid == euid:
            return None
        raise ServeError(
            f"--run-as {name} needs the server to start as root (it runs as uid {euid}); "
            "leave --run-as out to run the sessions as the server's own account."
        )
    if account.uid == 0 or account.gid == 0 or 0 in account.groups:
        raise ServeError(
            f"--run-as {account.name} would keep root's privileges (uid {account.uid}, "
            f"gid {account.gid}, groups {list(account.groups)}); name an unprivileged account."
        )
    return account


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///` URL (None for other databases and for memory)."""
    if not url.lower().startswith("sqlite:///"):
        return None
    path = unquote(url[len("sqlite:///") :])
    return Path(path) if path and path != ":memory:" else None


def absolute_url(url: str) -> str:
    """`sqlite:///relative.db` made absolute, so a session that starts elsewhere (the
    run-as account's home) opens the same file; other URLs unchanged."""
    path = sqlite_path(url)
    if path is None or path.is_absolute():
        return url
    return "sqlite:///" + str(Path.cwd() / path)


_PROBE = r"""
import json, os, sys
problems = []
try:
    import models, tui  # noqa: F401  the app's code must be readable
except Exception as exc:
    problems.append(f"cannot load leadq's code ({type(exc).__name__}: {exc})")
for path, mode, what in json.loads(sys.argv[1]):
    try:
        os.stat(path)
    except FileNotFoundError:
        continue  # made when needed
    except OSError:
        problems.append(f"cannot reach {path}")
        continue
    if not os.access(path, mode):
        problems.append(f"cannot {what} {path}")
print(json.dumps(problems))
"""


def probe_access(account: RunAs, db_url: str, python: str = sys.executable) -> list[str]:
    """What the account cannot do that a session needs: load the code, and on SQLite
    read and write the file, its -wal and -shm, and create them in the directory.
    Checked by a child running as the account, so ACLs and groups count as they will."""
    checks: list[tuple[str, int, str]] = []
    path = sqlite_path(db_url)
    if path is not None:
        rw = os.R_OK | os.W_OK
        checks.append((str(path.parent), rw | os.X_OK, "create files in"))
        for suffix in ("", "-wal", "-shm"):
            checks.append((f"{path}{suffix}", rw, "read and write"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADQ_")}
    env.update(account.env())
    try:
        result = subprocess.run(
            [python, "-c", _PROBE, json.dumps(checks)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            **account.popen_kwargs(),  # type: ignore[arg-type]
        )
        problems = json.loads(result.stdout.strip().splitlines()[-1])
    except OSError as exc:
        return [f"cannot run {python} ({exc.strerror or exc})"]
    except (ValueError, IndexError, subprocess.SubprocessError) as exc:
        return [f"cannot run {python} ({exc})"]
    return [str(p) for p in problems]
