"""One leadq app process on its own pseudo-terminal.

The child is the leader of a new session with the pty slave as its controlling
terminal, so the kernel delivers SIGWINCH and SIGHUP to it as it would under
sshd. The pty gets the client's window size and a raw-ish mode (no echo, no
line editing, no signal keys; output processing kept so that a crash's
traceback still reads line by line) before the app starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import signal
import struct
import termios
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .account import RunAs, tty_group

if TYPE_CHECKING:
    from .factory import ForkedProcess, SessionFactory

# What a terminal must be sent when the server ends an app that could not restore it
# (killed, hung up, crashed). Textual does this itself on a normal exit. In order:
# end a synchronized update, attributes reset, every mouse mode off (X10, normal,
# highlight, button, any-motion, UTF-8, SGR, urxvt, SGR-pixels), focus events and
# bracketed paste off, the kitty keyboard mode popped (kitty keeps one stack per
# screen, so while still on the alternate screen), the main screen back, line wrap
# on, the cursor shown, normal cursor keys and keypad.
TERMINAL_RESET = (
    b"\x1b[?2026l\x1b[0m"
    b"\x1b[?9l\x1b[?1000l\x1b[?1001l\x1b[?1002l\x1b[?1003l"
    b"\x1b[?1005l\x1b[?1006l\x1b[?1015l\x1b[?1016l"
    b"\x1b[?1004l\x1b[?2004l"
    b"\x1b[<u"
    b"\x1b[?1049l"
    b"\x1b[?7h\x1b[?25h\x1b[?1l\x1b>"
)

MAX_COLUMNS = 500
MAX_ROWS = 200
"""The largest window a client may ask for: Textual keeps a buffer per cell, so a
20000x10000 request would grow the app to gigabytes."""


def clamp_window(columns: int, rows: int) -> tuple[int, int]:
    """The client's window size within 1..MAX_COLUMNS x 1..MAX_ROWS (0 means 80x24)."""
    columns = min(max(int(columns or 80), 1), MAX_COLUMNS)
    rows = min(max(int(rows or 24), 1), MAX_ROWS)
    return columns, rows


_LINUX_IUTF8 = 0o040000  # not exported by Python's termios before 3.12


def set_window_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def get_window_size(fd: int) -> tuple[int, int]:
    """(columns, rows) of the pty."""
    rows, columns, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    return columns, rows


def make_raw(fd: int) -> None:
    """No echo, no canonical mode, no signal keys, no flow control; keep OPOST|ONLCR."""
    attrs = termios.tcgetattr(fd)
    iflag, oflag, cflag, lflag = 0, 1, 2, 3
    attrs[iflag] &= ~(
        termios.BRKINT
        | termios.ICRNL
        | termios.INPCK
        | termios.ISTRIP
        | termios.IXON
        | termios.IXOFF
        | termios.INLCR
        | termios.IGNCR
    )
    attrs[iflag] |= getattr(termios, "IUTF8", _LINUX_IUTF8)
    attrs[oflag] |= termios.OPOST | termios.ONLCR
    attrs[cflag] = (attrs[cflag] & ~(termios.CSIZE | termios.PARENB)) | termios.CS8
    attrs[lflag] &= ~(termios.ECHO | termios.ICANON | termios.IEXTEN | termios.ISIG)
    attrs[6][termios.VMIN] = 1
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


def _take_controlling_tty() -> None:  # pragma: no cover - runs in the child
    # Runs after setsid() and after the pty slave became fd 0.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyApp:
    """A child process whose stdin, stdout and stderr are a fresh pty."""

    def __init__(self, process: asyncio.subprocess.Process | ForkedProcess, master: int) -> None:
        self.process = process
        self.master = master
        self._kill_handle: asyncio.TimerHandle | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    async def start(
        cls,
        argv: Sequence[str],
        env: dict[str, str],
        columns: int,
        rows: int,
        run_as: RunAs | None = None,
        pass_fds: Sequence[int] = (),
    ) -> PtyApp:
        """Start `argv` on a new pty; with `run_as`, as that account (groups, gid, uid
        set before exec; the pty handed to it as sshd does). `pass_fds` are inherited
        (the user's file area)."""
        master, slave = pty.openpty()
        try:
            set_window_size(slave, *clamp_window(columns, rows))
            make_raw(slave)
            account: dict[str, object] = {}
            if run_as is not None:
                os.fchown(slave, run_as.uid, tty_group())
                account = run_as.popen_kwargs()
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                start_new_session=True,
                preexec_fn=_take_controlling_tty,
                close_fds=True,
                pass_fds=tuple(pass_fds),
                **account,  # type: ignore[arg-type]
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        return cls(process, master)

    @classmethod
    async def fork(
        cls,
        factory: SessionFactory,
        args: Sequence[str],
        env: dict[str, str],
        columns: int,
        rows: int,
        run_as: RunAs | None,
        area: int,
    ) -> PtyApp:
        """The same, forked by the session factory (factory.py) instead of started:
        the pty made and set up here, the rest done by the child before the app runs.
        FactoryUnavailable if the factory cannot."""
        master, slave = pty.openpty()
        try:
            set_window_size(slave, *clamp_window(columns, rows))
            make_raw(slave)
            if run_as is not None:
                os.fchown(slave, run_as.uid, tty_group())
            process = await factory.fork(args, env, [slave], area, run_as)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        return cls(process, master)  # type: ignore[arg-type]

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def wait(self) -> int:
        return await self.process.wait()

    def resize(self, columns: int, rows: int) -> None:
        """Follow the client's window: TIOCSWINSZ (the kernel signals the foreground
        group) plus an explicit SIGWINCH in case the app is not in the foreground."""
        if columns <= 0 or rows <= 0:
            return
        columns, rows = clamp_window(columns, rows)
        try:
            set_window_size(self.master, columns, rows)
        except OSError:
            return
        self.signal(signal.SIGWINCH)

    def signal(self, signum: int) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)

    def hang_up(self, grace: float) -> None:
        """SIGHUP (as a dropped terminal would), then SIGKILL after `grace` seconds."""
        if not self.running or self._kill_handle is not None:
            return
        self.signal(signal.SIGHUP)
        self.signal(signal.SIGCONT)  # a stopped process only sees SIGHUP once continued
        loop = asyncio.get_running_loop()
        self._kill_handle = loop.call_later(grace, self.signal, signal.SIGKILL)

    def close(self) -> None:
        if self._kill_handle is not None and not self.running:
            self._kill_handle.cancel()
        if self.master >= 0:
            try:
                asyncio.get_running_loop().remove_reader(self.master)
                asyncio.get_running_loop().remove_writer(self.master)
            except RuntimeError:
                pass
            os.close(self.master)
            self.master = -1
