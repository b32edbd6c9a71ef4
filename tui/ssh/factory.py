"""The session factory: one preloaded process that forks a session's app on request.

Starting `python -m tui` for every session costs a second or more of imports
(Textual, Peewee, the app's screens, phonenumbers) and ~30 MiB of private memory
per session. The factory (`python -m tui.ssh.factory FD`, started by the server)
imports all of that once, then waits on a SOCK_SEQPACKET socket for requests. For
each it forks; the child

- becomes the leader of a new session with the pty slave the server sent (with
  SCM_RIGHTS, window size and raw mode already set as pty_app.py does) as its
  controlling terminal and stdin/stdout/stderr;
- closes every descriptor but those and the user's file area (the factory's socket
  and anything else it held are gone);
- drops to the run-as account (groups, gid, uid; like subprocess's) and goes to its
  working directory, before it reads any input;
- takes the session's environment, re-reads Textual's environment constants,
  re-seeds `random`, and only then runs the app (`tui.cli.main`), which opens its
  own database connection: the factory never opens one, so nothing of the
  database (schema, settings, users) is inherited.

The factory forks before it ever starts a thread (asserted at every fork), reaps
its children and tells the server each one's exit status. It holds no secret a
session could not have: the database URL reaches it in its environment, like a
session's. If it dies the server starts another (sessions already running go
on: the server adopts them as a child subreaper and reaps them itself).

Server side: SessionFactory, used by LeadqServer when `--session-start fork`.
"""

from __future__ import annotations

if __name__ == "__main__":  # the factory process: before anything else is imported,
    from . import hot_classes, hot_strings  # what a session uses, side by side (see there)

    hot_strings.intern_ahead()
    hot_classes.reserve()

import array
import asyncio
import contextlib
import ctypes
import fcntl
import gc
import json
import logging
import os
import random
import select
import signal
import socket
import sys
import termios
import threading
import types
from collections.abc import Sequence

from .account import RunAs

log = logging.getLogger("leadq.serve")

_MAX_MESSAGE = 1 << 20
_MAX_FDS = 4
START_SECONDS = 60.0
"""How long a new factory may take to import everything (a busy machine is slow)."""
REQUEST_SECONDS = 20.0
"""How long a fork request may wait for its answer before the session falls back."""


# The factory process.

_KEPT_PROFILE: list[object] = []


def preload() -> None:
    """Import everything a session needs, and touch the lazily loaded parts once,
    so that forked sessions share those pages instead of building their own."""
    from ..cli import _parser, skip_postgres_drivers
    from . import pty_app  # noqa: F401

    skip_postgres_drivers(os.environ.get("LEADQ_DB"))
    import importlib
    import pkgutil

    import phonenumbers
    import textual.widgets

    import models
    import tui.app
    import tui.screens
    import tui.widgets

    for package in (tui.screens, tui.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")
    import tui.commands
    import tui.flows.lead_actions

    # What a session would still import on its way to the painted list.
    for name in (
        "concurrent.futures.thread", "textual._xterm_parser", "textual.drivers.linux_driver",
        "textual.drivers.headless_driver", "textual.layouts.factory",
        "textual.layouts.horizontal", "textual.layouts.stream", "textual.pilot",
        "tui.driver", "tui.scripting", "tui.users_cli",
    ):  # fmt: skip
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    import rich.cells

    rich.cells.cell_len("リード")  # loads rich's Unicode width tables

    for name in textual.widgets.__all__:  # textual.widgets loads its widgets lazily
        getattr(textual.widgets, name)
    for name in models.__all__:  # so does the models front
        getattr(models, name)
    for region in ("US", "GB", "DE", "FR"):
        with contextlib.suppress(phonenumbers.NumberParseException):
            phonenumbers.parse("+1 415 555 0100", region)
    from . import hot_classes, hot_code

    hot_classes.release()  # the imports are done (and with them the classes)
    hot = hot_code.load()
    ranks = hot_code.class_ranks(hot)  # the classes a session uses, in that order
    _KEPT_PROFILE.extend((hot, ranks))  # freed after the fork, they would leave holes
    _parse_css_ahead(ranks)
    _count_handler_parameters()
    _keep_textual_constants()
    _parser(False)  # the parser a session's main() uses (--user NAME --no-seed: the app's)
    # The code of the functions a session runs, side by side (hot_code.py), and the
    # classes' MROs, then the heap's holes taken: what a session allocates starts on
    # fresh pages.
    hot_code.relocate(hot)
    hot_code.pack_mros(ranks)
    fill_malloc_holes()
    # Everything imported so far is kept for good: moved out of the collector's
    # reach, it is not touched (copied) by a session's collections. The collector
    # was off during the imports (serve()), so no freed holes in the shared pages
    # are left for a session's new objects to fill (and copy).
    gc.freeze()


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                     "uordblks", "fordblks", "keepcost")
    ]  # fmt: skip


_TCACHE_MAX = 1032
"""glibc's largest request kept in its per-thread cache of freed chunks."""


def fill_malloc_holes(limit: int = 16 << 20) -> int:
    """Take every free chunk inside the C heap (glibc) and keep it; returns the bytes taken.

    The imports leave a few hundred small free chunks scattered over the heap
    (freed temporaries: a module's marshalled code, a parser's lists). A session's
    first allocations would fill them, each one copying the page it sits on, which
    otherwise stays shared; taken here, they are written once, in the factory, and a
    session's allocations start on fresh pages at the top of the heap. A chunk
    comes from a hole when the free space at the top of the heap (`keepcost`) does
    not change; the first one that comes from the top ends each size. Measured: a
    session's private memory 22.4 -> 21.2 MiB for about 0.2 MB taken, 20 ms.
    Nothing is done without glibc's mallinfo2 (2.33 and later)."""
    try:
        libc = ctypes.CDLL(None)
        mallinfo2, malloc, free = libc.mallinfo2, libc.malloc, libc.free
    except (OSError, AttributeError):
        return 0
    mallinfo2.restype = _MallInfo2
    malloc.restype, malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    free.argtypes = [ctypes.c_void_p]
    sizes = [1 << 16]
    while sizes[-1] * 3 // 4 > _TCACHE_MAX:
        sizes.append(sizes[-1] * 3 // 4)
    # Below that, every size class of the cache (16 bytes apart), largest first.
    sizes += range(_TCACHE_MAX - 8, 0, -16)
    taken = 0
    for size in sizes:
        while taken < limit:
            top = mallinfo2().keepcost
            pointer = malloc(size)
            if pointer is None:
                return taken
            if mallinfo2().keepcost != top:  # from the top: no hole of this size left
                if size > _TCACHE_MAX:  # merges back into the top (a small one would
                    free(pointer)  # stay in the cache, a hole again: it is kept)
                break
            taken += size  # never freed
    return taken


def _parse_css_ahead(ranks: dict[type, int] | None = None) -> None:
    """Parse the CSS of every widget, screen and app class and the app's .tcss files
    for the default theme (what a session would parse on its way to the list; see
    tui/shared_css.py), the classes in `ranks` first. The variables are those of a
    bare App with that theme, which are the app's: it adds none."""
    from textual.app import App
    from textual.screen import Screen

    from ..app import LeadqApp
    from ..shared_css import css_files, css_variables, parse_ahead, subclasses

    app = App()
    variables = css_variables(app, lambda: App.get_css_variables(app))
    parse_ahead(variables, css_files([LeadqApp, *subclasses(Screen)]), ranks)


_HANDLER_PREFIXES = (
    "on_", "_on_", "watch_", "_watch_", "compute_", "_compute_", "validate_", "_validate_",
    "action_", "_action_", "key_", "_key_",
)  # fmt: skip
_CALLBACKS = frozenset(
    {"_initialize_data_bind", "_invoke_and_clear_callbacks", "refresh_bindings", "show"}
)
"""Textual's methods that Textual calls back on a session's way to the list."""


def _count_handler_parameters() -> int:
    """Count, as Textual does before its first call, the parameters of every message
    handler, watcher and action of every widget, screen and app class; how many.

    Textual calls `inspect.signature` on a callback the first time it invokes it and
    keeps the count on the function (`_param_count`): 110 signatures in every
    session on its way to the list and its first poll (3-4 ms of each one's CPU).
    Counted here, as for a bound method (the way Textual invokes them), sessions
    find them counted, but for the closures they make (about 40)."""
    from textual._callback import count_parameters
    from textual.message_pump import MessagePump

    from ..shared_css import subclasses

    counted = 0
    for cls in (MessagePump, *subclasses(MessagePump)):
        ours = cls.__module__.startswith("tui.")  # callbacks of every kind
        for name, value in list(vars(cls).items()):
            handler = getattr(value, "_textual_on", None) is not None
            named = ours or name.startswith(_HANDLER_PREFIXES) or name in _CALLBACKS
            if isinstance(value, types.FunctionType) and (handler or named):
                with contextlib.suppress(Exception):  # (no signature: Textual's own error)
                    count_parameters(value.__get__(cls))
                    counted += 1
    return counted


def _send(sock: socket.socket, message: dict) -> None:
    with contextlib.suppress(OSError):
        sock.send(json.dumps(message).encode())


def _exit_code(status: int) -> int:
    """asyncio's convention: the exit status, or minus the signal that ended it."""
    return os.waitstatus_to_exitcode(status)


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(sock, {"exit": pid, "status": _exit_code(status)})


def serve(fd: int) -> None:
    """The factory's loop: fork for each request, report exits, end with the server."""
    gc.disable()
    preload()
    sock = socket.socket(fileno=fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the server's
    _send(sock, {"ready": os.getpid()})
    while True:
        readable, _, _ = select.select([sock, wake_r], [], [])
        if wake_r in readable:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_r, 4096)
            _reap(sock)
        if sock not in readable:
            continue
        try:
            data, ancdata, _, _ = sock.recvmsg(_MAX_MESSAGE, socket.CMSG_SPACE(_MAX_FDS * 4))
        except InterruptedError:
            continue
        fds = _received_fds(ancdata)
        if not data:  # the server is gone
            os._exit(0)
        request = None
        try:
            request = json.loads(data)
            pid = _fork_session(request, fds, (sock.fileno(), wake_r, wake_w))
        except Exception as exc:
            _send(sock, {"id": request.get("id") if isinstance(request, dict) else None,
                         "error": f"{type(exc).__name__}: {exc}"})  # fmt: skip
        else:
            _send(sock, {"id": request["id"], "pid": pid})
        finally:
            for received in fds:
                with contextlib.suppress(OSError):
                    os.close(received)


def _received_fds(ancdata: list) -> list[int]:
    fds = array.array("i")
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
    return list(fds)


def _fork_session(request: dict, fds: list[int], own: Sequence[int]) -> int:
    if len(fds) not in (2, 4):
        raise ValueError(
            f"a request carries a pty (or stdin, stdout and stderr) and a file area, "
            f"not {len(fds)} descriptors"
        )
    # fork() copies only the calling thread: a lock another thread held would stay
    # locked for ever in the child. The factory never starts one.
    assert threading.active_count() == 1, "the session factory must not start threads"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which never returns
        code = 1
        try:
            code = _become_session(request, fds[:-1], fds[-1], own)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    return pid


def _become_session(request: dict, stdio: list[int], area: int, own: Sequence[int]) -> int:
    """In the child: the session's terminal (or, for --web, its three pipes),
    descriptors, account, environment; then the app."""
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    for fd in own:
        with contextlib.suppress(OSError):
            os.close(fd)
    os.setsid()
    for target in (0, 1, 2):
        os.dup2(stdio[target % len(stdio)], target)
    if len(stdio) == 1:  # a pty: it becomes the controlling terminal
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # Only the terminal and the file area stay open (at a fixed place, 3).
    if area != 3:
        os.dup2(area, 3, inheritable=False)
    os.closerange(4, os.sysconf("SC_OPEN_MAX"))
    account = request.get("run_as")
    if account is not None:
        os.setgroups(account["groups"])
        os.setgid(account["gid"])
        os.setuid(account["uid"])
        if (
            os.getuid() != account["uid"]
            or os.geteuid() != account["uid"]
            or 0 in (os.getgid(), os.getegid())
        ):
            raise RuntimeError("could not leave the server's account")
    os.chdir(request.get("cwd") or "/")
    env = dict(request["env"])
    import models

    if request.get("area", True):
        env[models.FILE_AREA_FD_ENV] = "3"
    else:  # no file area: fd 3 was a stand-in (/dev/null)
        env.pop(models.FILE_AREA_FD_ENV, None)
        os.close(3)
    os.environ.clear()
    os.environ.update(env)
    _reset_after_fork()
    from ..cli import main

    sys.argv = ["leadq", *request["args"]]
    return main(list(request["args"]))


_TEXTUAL_CONSTANTS: tuple[types.CodeType, dict[str, str | None]] | None = None
"""textual.constants' code, and the environment variables it may read with the
factory's values of them (see _reset_after_fork)."""


def _keep_textual_constants() -> None:
    """Keep the code of textual.constants (which reads Textual's settings from the
    environment when it is imported) and what it read, for the sessions."""
    global _TEXTUAL_CONSTANTS
    import textual.constants

    code = textual.constants.__spec__.loader.get_code(textual.constants.__name__)
    names, stack = set(), [code]
    while stack:  # the variables are named by string constants: TEXTUAL_FPS, ESCDELAY
        for const in stack.pop().co_consts:
            if type(const) is types.CodeType:
                stack.append(const)
            elif type(const) is str and const.isupper() and const.isidentifier():
                names.add(const)
    _TEXTUAL_CONSTANTS = code, {name: os.environ.get(name) for name in names}


def _reset_after_fork() -> None:
    """What a fresh process would compute from its own environment and entropy.

    Textual's settings (textual.constants) are computed again only when the
    session's environment gives one of them another value than the factory's had,
    and the colour system, which the server sets for every session, alone is set
    the way the module sets it. Re-importing the module (importlib.reload, before)
    made 0.2-0.3 MiB more of the factory's pages each session's own (the finders'
    work, the file read, the new objects; 10 sessions, median); running its code
    kept from the factory costs about half of that, setting one name nothing."""
    random.seed()
    import textual.constants

    if _TEXTUAL_CONSTANTS is None:
        import importlib

        importlib.reload(textual.constants)
    else:
        code, read = _TEXTUAL_CONSTANTS
        if {name for name, value in read.items() if os.environ.get(name) != value} <= {
            "TEXTUAL_COLOR_SYSTEM"
        }:
            textual.constants.COLOR_SYSTEM = os.environ.get("TEXTUAL_COLOR_SYSTEM", "auto")
        else:
            exec(code, textual.constants.__dict__)
    for module, name in (
        ("textual._styles_cache", "DEBUG"),
        ("textual.filter", "DIM_FACTOR"),
        ("textual.message_pump", "SLOW_THRESHOLD"),
    ):
        if module in sys.modules:
            setattr(sys.modules[module], name, getattr(textual.constants, name))
    gc.enable()  # the factory's objects stay frozen: a collection would copy their pages


# The server's side.


class ForkedProcess:
    """A session forked by the factory, with asyncio.subprocess.Process's little
    interface that PtyApp uses (pid, returncode, wait)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._done = asyncio.get_running_loop().create_future()
        self.pidfd = -1
        with contextlib.suppress(OSError):
            self.pidfd = os.pidfd_open(pid)

    def finished(self, status: int) -> None:
        if self.returncode is None:
            self.returncode = status
            if not self._done.done():
                self._done.set_result(status)
        if self.pidfd >= 0:
            with contextlib.suppress(RuntimeError, ValueError):
                asyncio.get_running_loop().remove_reader(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = -1

    def try_reap(self) -> bool:
        """Reap it ourselves if it became our child (its factory died): True if done."""
        if self.pidfd < 0:
            return self.returncode is not None
        try:
            result = os.waitid(os.P_PIDFD, self.pidfd, os.WEXITED | os.WNOHANG)
        except ChildProcessError:
            return False
        if result is None:
            return False
        killed = result.si_code in (os.CLD_KILLED, os.CLD_DUMPED)
        self.finished(-result.si_status if killed else result.si_status)
        return True

    async def wait(self) -> int:
        return await asyncio.shield(self._done)

    def kill(self) -> None:
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)


class ForkedPipeProcess(ForkedProcess):
    """A forked --web app with asyncio.subprocess.Process's pipes (stdin, stdout, stderr)."""

    stdin: asyncio.StreamWriter
    stdout: asyncio.StreamReader
    stderr: asyncio.StreamReader

    async def connect(self, stdin: int, stdout: int, stderr: int) -> None:
        """Take over the server's ends of the three pipes."""
        loop = asyncio.get_running_loop()
        readers = []
        for fd in (stdout, stderr):
            reader = asyncio.StreamReader(limit=2**16, loop=loop)
            await loop.connect_read_pipe(
                lambda reader=reader: asyncio.StreamReaderProtocol(reader, loop=loop),
                os.fdopen(fd, "rb", 0),
            )
            readers.append(reader)
        self.stdout, self.stderr = readers
        transport, protocol = await loop.connect_write_pipe(
            lambda: asyncio.streams.FlowControlMixin(loop=loop), os.fdopen(stdin, "wb", 0)
        )
        self.stdin = asyncio.StreamWriter(transport, protocol, None, loop)


def _set_child_subreaper() -> None:
    """Sessions whose factory died are re-parented to this process (not init), so
    the server can still reap them and learn their exit status."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


class FactoryUnavailable(Exception):
    """The factory could not fork this session (the caller falls back to spawning)."""


class SessionFactory:
    """The server's handle on the factory process: starts it, restarts it when it
    dies, sends fork requests, tracks the sessions it forked."""

    def __init__(self, python: str = sys.executable, env: dict[str, str] | None = None) -> None:
        self.python = python
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self.sock: socket.socket | None = None
        self.pid: int | None = None
        self.restarts = 0
        self.closed = False
        self._ready: asyncio.Future[None] | None = None
        self._starting: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[int]] = {}
        self._children: dict[int, ForkedProcess] = {}
        self._early_exits: dict[int, int] = {}
        self._next_id = 0

    async def start(self) -> None:
        """Start the factory (once, or again after it died) and wait until it is ready."""
        if self._starting is None or self._starting.done():
            self._starting = asyncio.ensure_future(self._start())
        await asyncio.shield(self._starting)

    @property
    def running(self) -> bool:
        return self.sock is not None and self._ready is not None and self._ready.done()

    async def _start(self) -> None:
        _set_child_subreaper()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        loop = asyncio.get_running_loop()
        try:
            self.process = await asyncio.create_subprocess_exec(
                self.python, "-m", "tui.ssh.factory", str(theirs.fileno()),
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),), env=self.env, start_new_session=True,
            )  # fmt: skip
        finally:
            theirs.close()
        ours.setblocking(False)
        self.sock = ours
        self._ready = loop.create_future()
        loop.add_reader(ours.fileno(), self._on_message)
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), START_SECONDS)
        except TimeoutError:
            self._lost("it did not start in time")
            raise FactoryUnavailable(
                f"the session factory did not start within {START_SECONDS:g} s"
            ) from None
        log.info("session factory ready (pid %s)", self.pid)

    def _on_message(self) -> None:
        assert self.sock is not None
        while True:
            try:
                data = self.sock.recv(_MAX_MESSAGE)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._lost("it ended")
                return
            message = json.loads(data)
            if "ready" in message:
                self.pid = message["ready"]
                if self._ready is not None and not self._ready.done():
                    self._ready.set_result(None)
            elif "exit" in message:
                child = self._children.pop(message["exit"], None)
                if child is not None:
                    child.finished(message["status"])
                else:  # the exit came before the fork's answer was read
                    self._early_exits[message["exit"]] = message["status"]
            elif "id" in message:
                future = self._pending.pop(message["id"], None)
                if future is not None and not future.done():
                    if "pid" in message:
                        future.set_result(message["pid"])
                    else:
                        future.set_exception(FactoryUnavailable(message.get("error", "?")))

    def _lost(self, why: str) -> None:
        """The factory is gone: fail what waits on it, adopt its sessions, restart it."""
        loop = asyncio.get_running_loop()
        if self.sock is not None:
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_reader(self.sock.fileno())
            self.sock.close()
            self.sock = None
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(FactoryUnavailable(f"the session factory: {why}"))
            self._ready.exception()  # retrieved: start() raises it where awaited
        for future in self._pending.values():
            if not future.done():
                future.set_exception(FactoryUnavailable(f"the session factory: {why}"))
        self._pending.clear()
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        for child in list(self._children.values()):
            self._adopt(child)
        if self.closed or self.pid is None:
            # One that never became ready is not restarted in a loop: the next
            # session's request tries again (and falls back to spawning meanwhile).
            return
        self.restarts += 1
        log.warning("session factory (pid %s) lost: %s; starting another", self.pid, why)
        self.pid = None
        self._starting = asyncio.ensure_future(self._start())
        self._starting.add_done_callback(lambda task: task.cancelled() or task.exception())

    def _adopt(self, child: ForkedProcess) -> None:
        """The factory that forked `child` is gone: reap it ourselves when it ends."""
        if child.try_reap():
            self._children.pop(child.pid, None)
            return
        if child.pidfd < 0:
            return
        loop = asyncio.get_running_loop()

        def ready() -> None:
            if child.try_reap():
                self._children.pop(child.pid, None)

        loop.add_reader(child.pidfd, ready)

    async def fork(
        self, args: Sequence[str], env: dict[str, str], stdio: Sequence[int],
        area: int | None, run_as: RunAs | None,
    ) -> ForkedProcess:  # fmt: skip
        """A session's app forked on `stdio` (a pty slave, or stdin, stdout and stderr
        pipe ends) with the file area `area` (a descriptor, or None: no area);
        FactoryUnavailable if it cannot be."""
        if self.closed:
            raise FactoryUnavailable("the server is closing")
        if not self.running:
            await asyncio.wait_for(self.start(), START_SECONDS + 5)
        assert self.sock is not None
        self._next_id += 1
        request_id = self._next_id
        request = {
            "id": request_id,
            "args": list(args),
            "env": env,
            "cwd": run_as.workdir() if run_as is not None else os.getcwd(),
            "area": area is not None,
            "run_as": None if run_as is None else {
                "uid": run_as.uid, "gid": run_as.gid, "groups": list(run_as.groups),
            },
        }  # fmt: skip
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        stand_in = os.open(os.devnull, os.O_RDONLY) if area is None else None
        fds = array.array("i", [*stdio, area if stand_in is None else stand_in]).tobytes()
        try:
            self.sock.sendmsg(
                [json.dumps(request).encode()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)]
            )
        except OSError as exc:
            self._pending.pop(request_id, None)
            raise FactoryUnavailable(f"cannot reach the session factory: {exc}") from None
        finally:
            if stand_in is not None:
                os.close(stand_in)
        try:
            pid = await asyncio.wait_for(future, REQUEST_SECONDS)
        except TimeoutError:
            self._pending.pop(request_id, None)
            raise FactoryUnavailable("the session factory did not answer in time") from None
        child = (ForkedProcess if len(stdio) == 1 else ForkedPipeProcess)(pid)
        if pid in self._early_exits:
            child.finished(self._early_exits.pop(pid))
        else:
            self._children[pid] = child
        return child

    async def close(self) -> None:
        self.closed = True
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
        if self.sock is not None:
            with contextlib.suppress(ValueError, RuntimeError):
                asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()  # the factory sees the end and exits
            self.sock = None
        for child in list(self._children.values()):
            self._adopt(child)  # sessions still running are reaped here from now on
        if self.process is not None:
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m tui.ssh.factory FD (started by `leadq serve`)", file=sys.stderr)
        return 2
    serve(int(argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
