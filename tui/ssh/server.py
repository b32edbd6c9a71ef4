"""The SSH server behind `leadq serve`.

Every SSH session runs its own `python -m tui --db URL --user NAME --no-seed`
process on its own pty (see pty_app.py): a crash or hang in one session cannot
touch another, and sessions see each other's changes through the database (the
app polls `models.change_token()`).

Sign-in is by public key, checked against the keys stored for the leadq user of
the same name (`leadq user add NAME --key FILE`); `--demo` also lets the seeded
demo users in without a key. The authenticated name is the leadq user, so the
app brings that user's role. There is no shell, no command execution, no
subsystem (sftp/scp), no port, agent or X11 forwarding.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

import models

from .hostkey import load_or_create_host_key
from .pty_app import TERMINAL_RESET, PtyApp

log = logging.getLogger("leadq.serve")

COLOR_SYSTEMS = ("truecolor", "256", "standard", "auto")
DEFAULT_COLOR_SYSTEM = "256"
CLIENT_ENV_NAMES = {"LANG", "NO_COLOR", "COLORTERM", "TERM"}
CLIENT_ENV_PREFIXES = ("LC_",)
# Server environment that must not leak into a session: the client decides these.
_CHILD_ENV_DROP = {
    "TERM",
    "COLORTERM",
    "NO_COLOR",
    "COLUMNS",
    "LINES",
    "LEADQ_USER",
    "LEADQ_DB",
    "TEXTUAL_COLOR_SYSTEM",
    "TEXTUAL_DRIVER",
    "SSH_AUTH_SOCK",
    "SSH_CONNECTION",
    "SSH_CLIENT",
    "SSH_TTY",
}
_SAFE_TERM = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`; False for anything that may be reachable."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_usernames() -> frozenset[str]:
    """The seeded demo users that `--demo` lets in without a key (seed.DEMO_USERS)."""
    try:
        from seed import DEMO_USERS
    except ImportError:  # an installation without the seed script has no demo users
        return frozenset()
    return frozenset(user.username for user in DEMO_USERS)


@dataclass
class ServeOptions:
    db_url: str
    host: str = "127.0.0.1"
    port: int = 2222
    demo: bool = False
    max_sessions: int = 32
    idle_timeout: float = 1800
    color_system: str | None = None
    data_dir: Path | None = None
    max_pending_auth: int = 64
    """Connections that have not signed in yet; more are dropped at once."""
    login_timeout: float = 30
    hangup_grace: float = 3.0
    """Seconds between SIGHUP and SIGKILL for a session whose client went away."""
    app_command: tuple[str, ...] = (sys.executable, "-m", "tui")
    """What runs the app; `--db URL --user NAME --no-seed` are appended."""
    demo_users: frozenset[str] = field(default_factory=demo_usernames)


def _in_thread_db(func: Callable[[], object]) -> object:
    with models.thread_connection():
        return func()


def _active_user_exists(username: str) -> bool:
    return (
        models.User.get_or_none(
            (models.User.username == username) & (models.User.active == True)  # noqa: E712
        )
        is not None
    )


class LeadqServer:
    """The running server: the listener, the sessions, the limits."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self.sessions: set[AppSession] = set()
        self.pending_auth = 0
        self.host_key: asyncssh.SSHKey | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self.closing = False

    @property
    def port(self) -> int:
        assert self._acceptor is not None
        return self._acceptor.get_port()

    async def start(self) -> None:
        opts = self.options
        self.host_key = load_or_create_host_key(opts.data_dir)
        self._acceptor = await asyncssh.create_server(
            lambda: _Connection(self),
            opts.host,
            opts.port,
            server_host_keys=[self.host_key],
            login_timeout=opts.login_timeout,
            line_editor=False,
            allow_pty=True,
            agent_forwarding=False,
            x11_forwarding=False,
            password_auth=False,
            kbdint_auth=False,
            allow_scp=False,
            encoding=None,
            reuse_address=True,
            family=socket.AF_INET6 if ":" in opts.host else socket.AF_UNSPEC,
        )

    async def close(self, reason: str = "the server is shutting down") -> None:
        """Stop listening, end every session (its app is hung up) and wait for them."""
        self.closing = True
        if self._acceptor is not None:
            self._acceptor.close()
        sessions = list(self.sessions)
        for session in sessions:
            session.end(reason)
        tasks = [s.task for s in sessions if s.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=self.options.hangup_grace + 5)
        if self._acceptor is not None:
            await self._acceptor.wait_closed()

    def app_argv(self, username: str) -> list[str]:
        opts = self.options
        return [*opts.app_command, "--db", opts.db_url, "--user", username, "--no-seed"]

    def app_env(self, username: str, term: str | None, client_env: dict[str, str]) -> dict:
        """The child's environment: the server's, minus what the client decides, plus
        the client's TERM, its allow-listed variables and the colour system."""
        env = {k: v for k, v in os.environ.items() if k not in _CHILD_ENV_DROP}
        env = {k: v for k, v in env.items() if not k.startswith(CLIENT_ENV_PREFIXES)}
        for name, value in client_env.items():
            allowed = name in CLIENT_ENV_NAMES or name.startswith(CLIENT_ENV_PREFIXES)
            if allowed and len(value) <= 256 and "\0" not in value:
                env[name] = value
        if term and _SAFE_TERM.match(term):
            env["TERM"] = term
        elif not _SAFE_TERM.match(env.get("TERM", "")):
            env["TERM"] = "xterm-256color"
        color = self.options.color_system
        if color is None:
            truecolor = client_env.get("COLORTERM", "").lower() in ("truecolor", "24bit")
            color = "truecolor" if truecolor else DEFAULT_COLOR_SYSTEM
        env["TEXTUAL_COLOR_SYSTEM"] = color
        # Each leadq user keeps their own preferences (theme), not the server account's.
        base = os.environ.get("LEADQ_CONFIG_DIR")
        if not base:
            from platformdirs import user_config_dir

            base = user_config_dir("leadq", appauthor=False)
        env["LEADQ_CONFIG_DIR"] = str(Path(base) / "users" / username)
        return env


class _Connection(asyncssh.SSHServer):
    """One SSH connection: authentication and the refusal of everything but a session."""

    def __init__(self, server: LeadqServer) -> None:
        self.server = server
        self.conn: asyncssh.SSHServerConnection | None = None
        self._counted = False
        self._keys: list[asyncssh.SSHKey] = []
        self._signed_in_with = ""
        self.peer = "?"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        if self.server.closing or self.server.pending_auth >= self.server.options.max_pending_auth:
            log.warning("refused %s: too many connections signing in", self.peer)
            asyncio.get_running_loop().call_soon(
                conn.disconnect,
                asyncssh.DISC_TOO_MANY_CONNECTIONS,
                "leadq: too many connections signing in, try again later",
            )
            return
        self.server.pending_auth += 1
        self._counted = True

    def _uncount(self) -> None:
        if self._counted:
            self._counted = False
            self.server.pending_auth -= 1

    def connection_lost(self, exc: Exception | None) -> None:
        self._uncount()

    async def begin_auth(self, username: str) -> bool:
        opts = self.server.options
        loop = asyncio.get_running_loop()
        if opts.demo and username in opts.demo_users:
            exists = await loop.run_in_executor(
                None, _in_thread_db, lambda: _active_user_exists(username)
            )
            if exists:
                log.info("%s signs in as demo user %s (no key)", self.peer, username)
                return False  # no authentication needed
        lines = await loop.run_in_executor(
            None, _in_thread_db, lambda: models.authorized_keys(username)
        )
        self._keys = []
        for line in lines:  # type: ignore[union-attr]
            try:
                self._keys.append(asyncssh.import_public_key(line))
            except (asyncssh.KeyImportError, ValueError):
                log.warning("ignoring an unreadable stored key for %s", username)
        return True

    def auth_completed(self) -> None:
        self._uncount()
        if self._signed_in_with and self.conn is not None:
            username = self.conn.get_extra_info("username")
            log.info("%s signs in as %s (%s)", self.peer, username, self._signed_in_with)

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        ok = any(k.public_data == key.public_data for k in self._keys)
        if ok:
            self._signed_in_with = key.get_fingerprint()
        else:
            log.info("%s: key %s refused for %r", self.peer, key.get_fingerprint(), username)
        return ok

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def session_requested(self):  # type: ignore[override]
        assert self.conn is not None
        username = self.conn.get_extra_info("username")
        chan = self.conn.create_server_channel(encoding=None)
        return chan, AppSession(self.server, username, self.peer)

    # No forwarding of any kind.
    def connection_requested(self, *args: object) -> bool:
        log.info("%s: TCP forwarding refused", self.peer)
        return False

    def server_requested(self, *args: object) -> bool:
        log.info("%s: remote forwarding refused", self.peer)
        return False

    def unix_connection_requested(self, *args: object) -> bool:
        return False

    def unix_server_requested(self, *args: object) -> bool:
        return False

    def tun_requested(self, *args: object) -> bool:
        return False

    def tap_requested(self, *args: object) -> bool:
        return False


_INPUT_HIGH_WATER = 64 * 1024


class AppSession(asyncssh.SSHServerSession):
    """One SSH session: the app on its pty, with input, output, resizes and limits relayed."""

    def __init__(self, server: LeadqServer, username: str, peer: str) -> None:
        self.server = server
        self.username = username
        self.peer = peer
        self.chan: asyncssh.SSHServerChannel | None = None
        self.app: PtyApp | None = None
        self.task: asyncio.Task | None = None
        self._closed = False  # the client went away
        self._end_reason: str | None = None
        self._input = bytearray()
        self._reading = False
        self._writing_paused = False
        self._child_eof = False
        self._last_input = 0.0
        self._idle_handle: asyncio.TimerHandle | None = None
        self._input_paused = False

    # Requests from the client.
    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple, term_modes: dict) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        log.info("%s (%s): command refused: %r", self.peer, self.username, command[:80])
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        log.info("%s (%s): subsystem refused: %r", self.peer, self.username, subsystem)
        return False

    def session_started(self) -> None:
        self.task = asyncio.ensure_future(self._run())

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        if datatype is not None or self.app is None or self.app.master < 0:
            return
        self._last_input = asyncio.get_running_loop().time()
        self._input += data
        self._flush_input()

    def eof_received(self) -> bool:
        return True  # keep the channel half-open; the app decides when it is done

    def break_received(self, msec: int) -> bool:
        return False

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        if self.app is not None:
            self.app.resize(width, height)

    def pause_writing(self) -> None:
        self._writing_paused = True
        self._stop_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._start_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if self.app is not None:
            self.app.hang_up(self.server.options.hangup_grace)

    # Ending the session from the server's side.
    def end(self, reason: str) -> None:
        """Close the session with a message (idle timeout, shutdown)."""
        if self._end_reason is None:
            self._end_reason = reason
        if self.app is not None:
            self.app.hang_up(self.server.options.hangup_grace)
        elif self.chan is not None and not self._closed:
            self.chan.close()

    # The app's life.
    def _write(self, data: bytes) -> None:
        if not self._closed and self.chan is not None:
            with contextlib.suppress(OSError, asyncssh.Error):
                self.chan.write(data)

    async def _run(self) -> None:
        assert self.chan is not None
        chan = self.chan
        opts = self.server.options
        if chan.get_terminal_type() is None:
            chan.write_stderr(b"leadq: a terminal is needed; connect with `ssh -t`.\r\n")
            chan.exit(1)
            return
        if self.server.closing or len(self.server.sessions) >= opts.max_sessions:
            log.warning("%s (%s): refused, session limit", self.peer, self.username)
            self._write(
                f"leadq: too many sessions ({opts.max_sessions}), try again later\r\n".encode()
            )
            chan.exit(1)
            return
        self.server.sessions.add(self)
        try:
            status = await self._run_app()
        except Exception:
            log.exception("%s (%s): session failed", self.peer, self.username)
            status = 1
            self._write(TERMINAL_RESET + b"\r\nleadq: the session failed on the server.\r\n")
        finally:
            self.server.sessions.discard(self)
            self._cancel_idle()
            if self.app is not None:
                self.app.close()
        if not self._closed:
            with contextlib.suppress(OSError, asyncssh.Error):
                chan.exit(status)

    async def _run_app(self) -> int:
        assert self.chan is not None
        chan = self.chan
        columns, rows = chan.get_terminal_size()[:2]
        env = self.server.app_env(
            self.username, chan.get_terminal_type(), dict(chan.get_environment())
        )
        self.app = await PtyApp.start(
            self.server.app_argv(self.username), env, columns or 80, rows or 24
        )
        log.info(
            "%s (%s): session started, pid %d, %dx%d (%d running)",
            self.peer, self.username, self.app.pid, columns, rows, len(self.server.sessions),
        )  # fmt: skip
        if self._closed:  # the client left while the app was starting
            self.app.hang_up(self.server.options.hangup_grace)
        self._last_input = asyncio.get_running_loop().time()
        self._schedule_idle_check()
        self._start_reading()
        status = await self.app.wait()
        self._drain_output()
        log.info("%s (%s): app exited with %d", self.peer, self.username, status)
        if self._end_reason is not None:
            self._write(TERMINAL_RESET + f"\r\nleadq: {self._end_reason}.\r\n".encode())
        elif status < 0:  # killed by a signal: it could not restore the terminal
            self._write(TERMINAL_RESET + b"\r\nleadq: the app was stopped.\r\n")
        return status if status >= 0 else 128 - status

    def _start_reading(self) -> None:
        if (
            self.app is not None
            and self.app.master >= 0
            and not self._reading
            and not self._writing_paused
            and not self._child_eof
        ):
            asyncio.get_running_loop().add_reader(self.app.master, self._on_output)
            self._reading = True

    def _stop_reading(self) -> None:
        if self._reading and self.app is not None and self.app.master >= 0:
            asyncio.get_running_loop().remove_reader(self.app.master)
        self._reading = False

    def _read_some(self) -> bytes | None:
        """Bytes from the app; None when nothing is ready; b"" when it closed the pty."""
        assert self.app is not None
        try:
            return os.read(self.app.master, 65536)
        except BlockingIOError:
            return None
        except OSError:  # EIO: every slave descriptor is closed
            return b""

    def _on_output(self) -> None:
        data = self._read_some()
        if data is None:
            return
        if not data:
            self._child_eof = True
            self._stop_reading()
            return
        self._write(data)

    def _drain_output(self) -> None:
        self._stop_reading()
        if self.app is None or self.app.master < 0:
            return
        while not self._child_eof:
            data = self._read_some()
            if not data:
                break
            self._write(data)

    def _flush_input(self) -> None:
        app = self.app
        if app is None or app.master < 0:
            self._input.clear()
            return
        loop = asyncio.get_running_loop()
        while self._input:
            try:
                written = os.write(app.master, self._input)
            except BlockingIOError:
                break
            except OSError:
                self._input.clear()
                break
            del self._input[:written]
        if self._input:
            loop.add_writer(app.master, self._flush_input)
            if len(self._input) > _INPUT_HIGH_WATER and not self._input_paused:
                self._input_paused = True  # the app is not reading: stop the client
                assert self.chan is not None
                self.chan.pause_reading()
        else:
            loop.remove_writer(app.master)
            if self._input_paused:
                self._input_paused = False
                assert self.chan is not None
                self.chan.resume_reading()

    def _schedule_idle_check(self) -> None:
        timeout = self.server.options.idle_timeout
        if timeout and timeout > 0:
            loop = asyncio.get_running_loop()
            due = self._last_input + timeout - loop.time()
            self._idle_handle = loop.call_later(max(due, 0.05), self._check_idle)

    def _check_idle(self) -> None:
        timeout = self.server.options.idle_timeout
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_input >= timeout:
            log.info("%s (%s): idle for %ss, closing", self.peer, self.username, timeout)
            self.end(f"session closed after {_duration(timeout)} without input")
        else:
            self._schedule_idle_check()

    def _cancel_idle(self) -> None:
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None


def _duration(seconds: float) -> str:
    if seconds >= 120 and seconds % 60 == 0:
        return f"{int(seconds // 60)} minutes"
    return "1 second" if seconds == 1 else f"{seconds:g} seconds"


async def run_server(
    options: ServeOptions, *, ready: Callable[[LeadqServer], None] | None = None
) -> None:
    """Serve until cancelled, SIGINT or SIGTERM; then end the sessions cleanly."""
    import signal

    server = LeadqServer(options)
    await server.start()
    if ready is not None:
        ready(server)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.close()
