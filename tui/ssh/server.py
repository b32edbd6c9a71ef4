"""The SSH server behind `leadq serve`.

Every SSH session runs its own `python -m tui --user NAME --no-seed` process on
its own pty (see pty_app.py): a crash or hang in one session cannot touch
another, and sessions see each other's changes through the database (the app
polls `models.change_token()`). The database URL goes to the child in its
environment (LEADQ_DB), never on its command line, which every local user can
read with `ps`; a server started as root runs the children as `--run-as USER`
(account.py).

Sign-in is by public key, checked against the keys stored for the leadq user of
the same name (`leadq user add NAME --key FILE`); `--demo` also lets the seeded
demo users in without a key. The authenticated name is the leadq user, so the
app brings that user's role. The one subsystem is SFTP, confined to the user's
file area (sftp.py); there is no shell, no command execution, no legacy scp, no
port, agent or X11 forwarding.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import logging
import os
import random
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

import models

from .account import RunAs, absolute_url, resolve_run_as
from .algorithms import algorithm_list, checked_signatures
from .factory import FactoryUnavailable, SessionFactory
from .hostkey import load_or_create_host_key
from .pty_app import TERMINAL_RESET, PtyApp
from .sftp import SessionOrSftp
from .tcp import acknowledge_at_once

log = logging.getLogger("leadq.serve")

COLOR_SYSTEMS = ("truecolor", "256", "standard", "auto")
SESSION_STARTS = ("fork", "spawn")
DEFAULT_COLOR_SYSTEM = "256"
CLIENT_ENV_NAMES = {"LANG", "NO_COLOR", "COLORTERM", "TERM"}
LOCALE_CATEGORIES = {
    "LC_ALL", "LC_CTYPE", "LC_COLLATE", "LC_MESSAGES", "LC_MONETARY", "LC_NUMERIC",
    "LC_TIME", "LC_ADDRESS", "LC_IDENTIFICATION", "LC_MEASUREMENT", "LC_NAME",
    "LC_PAPER", "LC_TELEPHONE",
}  # fmt: skip
"""The only LC_* names taken from a client: the POSIX and glibc categories."""
# Server environment that must not leak into a session: the client or the server decide
# these per session.
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
    models.FILE_AREA_ENV,
    models.FILE_AREA_FD_ENV,
    models.FILE_LIMITS_ENV,
}
_FACTORY_ENV = {"PATH", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "LANG", "LC_ALL", "LC_CTYPE"}
# With --run-as, the server account's own places are not the session's.
_RUN_AS_ENV_DROP = {"HOME", "USER", "LOGNAME", "MAIL", "PWD", "OLDPWD"}
# Matched with fullmatch: `$` would let a trailing newline through.
_SAFE_TERM = re.compile(r"[A-Za-z0-9._+-]{1,64}")
_LOCALE_NAME = re.compile(
    r"[A-Za-z][A-Za-z0-9_]{0,31}(\.[A-Za-z0-9_-]{1,32})?(@[A-Za-z0-9_-]{1,32})?"
)
"""C, POSIX, C.UTF-8, en_US.UTF-8, sr_RS.UTF-8@latin: nothing else (no paths, no
control characters, no newlines)."""
_COLORTERM = re.compile(r"[A-Za-z0-9-]{1,32}")
_NO_COLOR = re.compile(r"[\x21-\x7e]{0,32}")


def client_env_value(name: str, value: str) -> str | None:
    """The value a client sent for `name` if it is allowed and well-formed, else None."""
    if name == "LANG" or name in LOCALE_CATEGORIES:
        return value if _LOCALE_NAME.fullmatch(value) else None
    if name == "COLORTERM":
        return value if _COLORTERM.fullmatch(value) else None
    if name == "NO_COLOR":
        return value if _NO_COLOR.fullmatch(value) else None
    return None  # TERM is the pty request's; anything else is not taken


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`; False for anything that may be reachable."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_usernames() -> frozenset[str]:
    """The seeded demo users that `--demo` lets in without a key (models.DEMO_USERS)."""
    return frozenset(user.username for user in models.DEMO_USERS)


@dataclass
class ServeOptions:
    db_url: str
    host: str = "127.0.0.1"
    port: int = 2222
    demo: bool = False
    max_sessions: int = 32
    """Apps running at once, all users together."""
    idle_timeout: float = 1800
    color_system: str | None = None
    data_dir: Path | None = None
    run_as: str | None = None
    """The account session processes run as; required when the server is root..."""
    allow_root_sessions: bool = False
    """...unless this says that root sessions are meant (a throwaway machine)."""
    max_startups: tuple[int, int, int] = (10, 30, 100)
    """sshd's MaxStartups start:rate:full for connections that have not signed in:
    from `start` on, a new one is dropped with probability rate%, rising linearly to
    100% at `full`."""
    per_source_max_startups: int = 0
    """Connections signing in at once from one address, beyond which its new ones are
    dropped (sshd's PerSourceMaxStartups); 0: no limit, as in sshd."""
    login_grace_time: float = 30
    """Seconds a connection may take to sign in (sshd's LoginGraceTime)."""
    unused_connection_timeout: float = 60
    """Seconds a signed-in connection may stay without a session (sshd's
    UnusedConnectionTimeout); 0: no limit."""
    max_sessions_per_connection: int = 10
    """Session channels open at once on one connection (sshd's MaxSessions)."""
    max_sessions_per_user: int = 10
    """Apps running at once for one leadq user, over all their connections."""
    keepalive_interval: float = 15
    keepalive_count_max: int = 2
    """A client that answers no keepalive for interval x (count_max + 1) seconds is
    disconnected and its app hung up (sshd's ClientAliveInterval/CountMax)."""
    kex_algorithms: str | None = None
    ciphers: str | None = None
    macs: str | None = None
    pubkey_algorithms: str | None = None
    """Algorithm lists as sshd reads them (`a,b`, `+a`, `-a`); None: algorithms.py's."""
    hangup_grace: float = 3.0
    """Seconds between SIGHUP and SIGKILL for a session whose client went away."""
    app_command: tuple[str, ...] = (sys.executable, "-m", "tui")
    """What runs the app; `--user NAME --no-seed` are appended (the URL is in LEADQ_DB)."""
    session_start: str = "spawn"
    """"spawn": app_command per session; "fork": forked by the preloaded session
    factory (factory.py), app_command's Python running it (`leadq serve`'s default)."""
    demo_users: frozenset[str] = field(default_factory=demo_usernames)
    random: Callable[[], float] = random.random
    """The random early drop's coin (tests make it certain)."""

    files_dir: Path | None = None
    """Where the users' file areas are (default `<data dir>/files`)."""
    file_limits: models.FileLimits = field(default_factory=models.FileLimits)


def factory_environment(db_url: str) -> dict[str, str]:
    """The session factory's environment, which is what every forked session's
    /proc/PID/environ shows (a fork keeps it): only what Python needs, and the URL
    that sessions get anyway. Each session's own replaces it before the app runs."""
    env = {k: v for k, v in os.environ.items() if k in _FACTORY_ENV}
    env[models.DB_ENV_VAR] = db_url
    return env


def should_drop(pending: int, start: int, rate: int, full: int, coin: float) -> bool:
    """sshd's MaxStartups decision for a new connection while `pending` have not
    signed in; `coin` is uniform in [0, 1)."""
    if pending < start:
        return False
    if pending >= full or rate >= 100:
        return True
    percent = rate + (100 - rate) * (pending - start) // (full - start)
    return coin * 100 < percent


def _in_thread_db(func: Callable[[], object]) -> object:
    with models.thread_connection():
        return func()


def _active_user_exists(username: str) -> bool:
    return models.is_active_user(username)


class LeadqServer:
    """The running server: the listener, the sessions, the limits."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self.sessions: set[AppSession] = set()
        self.pending_auth = 0
        self.pending_by_source: collections.Counter[str] = collections.Counter()
        self.host_key: asyncssh.SSHKey | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self.closing = False
        self.db_url = absolute_url(options.db_url)
        self.run_as: RunAs | None = None
        """The account sessions run as (None: the server's own); set by start()."""
        self.signature_algorithms = algorithm_list("signatures", options.pubkey_algorithms)
        self.factory: SessionFactory | None = None
        """The preloaded session factory (--session-start fork)."""

    @property
    def port(self) -> int:
        assert self._acceptor is not None
        return self._acceptor.get_port()

    async def start(self) -> None:
        """Listen; ServeError (account.py) if root would be kept, AlgorithmError for a
        bad algorithm list."""
        opts = self.options
        self.run_as = resolve_run_as(opts.run_as, opts.allow_root_sessions)
        self.host_key = load_or_create_host_key(opts.data_dir)
        if opts.session_start == "fork":
            self.factory = SessionFactory(opts.app_command[0], factory_environment(self.db_url))
            try:
                await self.factory.start()
            except FactoryUnavailable as exc:  # sessions fall back to spawning meanwhile
                log.warning("%s; sessions are started afresh until it is back", exc)
        try:
            self._acceptor = await asyncssh.create_server(
                lambda: _Connection(self),
                opts.host,
                opts.port,
                server_host_keys=[self.host_key],
                login_timeout=opts.login_grace_time,
                keepalive_interval=opts.keepalive_interval,
                keepalive_count_max=opts.keepalive_count_max,
                kex_algs=list(algorithm_list("kex", opts.kex_algorithms)),
                encryption_algs=list(algorithm_list("ciphers", opts.ciphers)),
                mac_algs=list(algorithm_list("macs", opts.macs)),
                signature_algs=list(self.signature_algorithms),
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
        except BaseException:
            if self.factory is not None:
                await self.factory.close()
            raise

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
        if self.factory is not None:
            await self.factory.close()

    def app_argv(self, username: str) -> list[str]:
        """The child's command line: nothing secret (every local user can read it)."""
        return [*self.options.app_command, "--user", username, "--no-seed"]

    def file_area(self, username: str) -> models.FileArea:
        """The user's file area (made on first use): the only files a session reaches."""
        opts = self.options
        base = opts.files_dir or (opts.data_dir or models.data_dir()) / "files"
        # With --run-as the sessions' account owns the areas; SFTP (the server, as
        # root) hands the files it makes to that owner too.
        owner = (self.run_as.uid, self.run_as.gid) if self.run_as is not None else None
        return models.FileArea.for_user(base, username, opts.file_limits, owner=owner)

    def app_env(self, username: str, term: str | None, client_env: dict[str, str]) -> dict:
        """The child's environment: the server's, minus what the client or the server
        decide, plus the client's TERM, its allow-listed well-formed variables, the
        colour system and the database URL (kept off the command line)."""
        drop = _CHILD_ENV_DROP | (_RUN_AS_ENV_DROP if self.run_as else set())
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in drop
            and not k.startswith("LC_")
            and not (self.run_as and k.startswith("XDG_"))
        }
        if self.run_as is not None:
            env.update(self.run_as.env())
        for name, value in client_env.items():
            if isinstance(name, bytes) or isinstance(value, bytes):
                continue  # not UTF-8: not a locale name or a colour setting
            checked = client_env_value(name, value)
            if checked is not None:
                env[name] = checked
            elif name != "TERM":
                log.info("dropped the client's %r (not allowed or not well-formed)", name[:40])
        if term and _SAFE_TERM.fullmatch(term):
            env["TERM"] = term
        elif not _SAFE_TERM.fullmatch(env.get("TERM", "")):
            env["TERM"] = "xterm-256color"
        color = self.options.color_system
        if color is None:
            truecolor = env.get("COLORTERM", "").lower() in ("truecolor", "24bit")
            color = "truecolor" if truecolor else DEFAULT_COLOR_SYSTEM
        env["TEXTUAL_COLOR_SYSTEM"] = color
        # Each leadq user keeps their own preferences (theme), not the server account's.
        base = os.environ.get("LEADQ_CONFIG_DIR")
        if not base and self.run_as is not None:
            base = str(Path(self.run_as.home) / ".config" / "leadq")
        if not base:
            from platformdirs import user_config_dir

            base = user_config_dir("leadq", appauthor=False)
        env["LEADQ_CONFIG_DIR"] = str(Path(base) / "users" / username)
        env[models.DB_ENV_VAR] = self.db_url
        # Served: no server paths, only the user's file area (models/file_area.py),
        # whose descriptor _run_app hands over (LEADQ_FILE_AREA_FD).
        env[models.FILE_LIMITS_ENV] = self.options.file_limits.encode()
        return env


class _Connection(asyncssh.SSHServer):
    """One SSH connection: the limits before and after sign-in, authentication, and
    the refusal of everything but a session."""

    def __init__(self, server: LeadqServer) -> None:
        self.server = server
        self.conn: asyncssh.SSHServerConnection | None = None
        self._counted = False
        self._keys: list[asyncssh.SSHKey] = []
        self._signed_in_with = ""
        self.peer = "?"
        self.source = "?"
        self.open_sessions = 0
        self._unused_handle: asyncio.TimerHandle | None = None
        self.signed_in = lambda: None
        """Called when the client's session starts: delayed ACKs are fine from then on."""

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.signed_in = acknowledge_at_once(conn)  # tcp.py: 80 ms of stalls otherwise
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        self.source = str(peer[0])
        server, opts = self.server, self.server.options
        from_source = server.pending_by_source[self.source]
        per_source = opts.per_source_max_startups
        if server.closing or should_drop(server.pending_auth, *opts.max_startups, opts.random()):
            # Like sshd: no banner, no message; the client sees the connection closed.
            log.warning(
                "dropped %s: %d connections are signing in (max startups %s)",
                self.peer, server.pending_auth, ":".join(map(str, opts.max_startups)),
            )  # fmt: skip
        elif per_source and from_source >= per_source:
            log.warning(
                "dropped %s: %d connections from %s are signing in (per source max startups)",
                self.peer, from_source, self.source,
            )  # fmt: skip
        else:
            server.pending_auth += 1
            server.pending_by_source[self.source] += 1
            self._counted = True
            return
        asyncio.get_running_loop().call_soon(conn.abort)

    def _uncount(self) -> None:
        if self._counted:
            self._counted = False
            self.server.pending_auth -= 1
            self.server.pending_by_source[self.source] -= 1
            if self.server.pending_by_source[self.source] <= 0:
                del self.server.pending_by_source[self.source]

    def connection_lost(self, exc: Exception | None) -> None:
        self._uncount()
        self._cancel_unused()

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
        self._start_unused()

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        ok = any(k.public_data == key.public_data for k in self._keys)
        if ok:
            self._signed_in_with = key.get_fingerprint()
            checked_signatures(key, self.server.signature_algorithms)
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
        limit = self.server.options.max_sessions_per_connection
        if self.open_sessions >= limit:
            log.info("%s (%s): session refused, %d open on it", self.peer, username, limit)
            raise asyncssh.ChannelOpenError(
                asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED,
                f"leadq: at most {limit} sessions per connection",
            )
        self.open_sessions += 1
        self._cancel_unused()
        chan = self.conn.create_server_channel(encoding=None)
        session = AppSession(self.server, username, self.peer, self)
        return chan, SessionOrSftp(
            session,
            username,
            lambda: self._sftp_area(username),
            self.server.options.max_sessions_per_user,
        )

    def _sftp_area(self, username: str) -> models.FileArea:
        """The file area for an SFTP channel. A connection signed in before its user
        was deactivated (kept open, e.g. as an OpenSSH ControlMaster) gets none: the
        user is looked up again (UserInactive), as each app session does with --user."""
        _in_thread_db(lambda: models.get_user(username))
        return self.server.file_area(username)

    def session_closed(self) -> None:
        """A session channel of this connection closed."""
        self.open_sessions -= 1
        if self.open_sessions == 0:
            self._start_unused()

    # A signed-in connection with no session (only refused forwardings, or nothing).
    def _start_unused(self) -> None:
        timeout = self.server.options.unused_connection_timeout
        if timeout and timeout > 0 and self._unused_handle is None and self.conn is not None:
            loop = asyncio.get_running_loop()
            self._unused_handle = loop.call_later(timeout, self._close_unused)

    def _cancel_unused(self) -> None:
        if self._unused_handle is not None:
            self._unused_handle.cancel()
            self._unused_handle = None

    def _close_unused(self) -> None:
        self._unused_handle = None
        if self.conn is not None and self.open_sessions == 0:
            timeout = self.server.options.unused_connection_timeout
            log.info("%s: no session for %ss, disconnecting", self.peer, timeout)
            self.conn.disconnect(
                asyncssh.DISC_BY_APPLICATION,
                f"leadq: no session opened for {_duration(timeout)}",
            )

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

    def __init__(
        self, server: LeadqServer, username: str, peer: str, connection: _Connection
    ) -> None:
        self.server = server
        self.username = username
        self.peer = peer
        self.connection = connection
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
        self.connection.session_closed()
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
        per_user = opts.max_sessions_per_user
        if sum(s.username == self.username for s in self.server.sessions) >= per_user:
            log.warning("%s (%s): refused, %d sessions open", self.peer, self.username, per_user)
            sessions = "1 session" if per_user == 1 else f"{per_user} sessions"
            self._write(
                f"leadq: {self.username} already has {sessions} open; "
                "close one and try again\r\n".encode()
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
        area = self.server.file_area(self.username).open_descriptor()
        env[models.FILE_AREA_FD_ENV] = str(area)
        factory = self.server.factory
        how = "started"
        try:
            if factory is not None:
                try:
                    self.app = await PtyApp.fork(
                        factory, self.server.app_argv(self.username)[-3:], env,
                        columns or 80, rows or 24, self.server.run_as, area,
                    )  # fmt: skip
                    how = "forked"
                except FactoryUnavailable as exc:
                    log.warning("%s (%s): %s; starting the app afresh", self.peer,
                                self.username, exc)  # fmt: skip
            if self.app is None:
                self.app = await PtyApp.start(
                    self.server.app_argv(self.username),
                    env,
                    columns or 80,
                    rows or 24,
                    run_as=self.server.run_as,
                    pass_fds=(area,),
                )
        finally:
            os.close(area)
        log.info(
            "%s (%s): session %s, pid %d, %dx%d (%d running)",
            self.peer, self.username, how, self.app.pid, columns, rows,
            len(self.server.sessions),
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
