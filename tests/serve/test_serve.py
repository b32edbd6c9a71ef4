"""`leadq serve` at the SSH level: host key, sign-in, refusals, limits, the pty relay.

The server runs in-process on a free loopback port and asyncssh's own client
talks to it. Sessions run a small fake app (FAKE_APP below) instead of leadq, so
what the child received (argv, TERM, window size, environment, controlling tty,
SIGHUP) can be read back exactly and cheaply; tests/test_serve_e2e.py runs the
real app under the real OpenSSH client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncssh
import pytest

import models
from tui.cli import _parser
from tui.serve import _limits, parse_max_startups, serve_main
from tui.ssh import account as account_module
from tui.ssh import web as web_module
from tui.ssh.account import RunAs, ServeError, probe_access, resolve_run_as
from tui.ssh.algorithms import AlgorithmError, algorithm_list, checked_signatures
from tui.ssh.hostkey import HostKeyError, host_key_path, load_or_create_host_key
from tui.ssh.pty_app import MAX_COLUMNS, MAX_ROWS, TERMINAL_RESET
from tui.ssh.server import (
    LeadqServer,
    ServeOptions,
    client_env_value,
    is_loopback,
    should_drop,
)

from .serve_support import (
    RUN_AS,
    account_dir,
    fake_app_python,
    hand_over,
    output_so_far,
    real_app_args,
    serve_command,
    serve_env,
    wait_for_line,
)

ROOT = Path(__file__).resolve().parents[2]

FAKE_APP = r"""
import fcntl, json, os, signal, struct, sys, termios

def size():
    rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8))
    return f"{cols}x{rows}"

def out(line):
    os.write(1, (line + "\n").encode())

def on_hup(*_):
    with open(os.environ["FAKE_MARKER"], "a") as handle:
        handle.write("HUP\n")
    os._exit(0)

signal.signal(signal.SIGWINCH, lambda *_: out("SIZE " + size()))
if os.environ.get("FAKE_MODE") == "ignore-hup":
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
else:
    signal.signal(signal.SIGHUP, on_hup)
try:
    controlling = os.tcgetpgrp(0) == os.getpgrp()
except OSError:
    controlling = False
attrs = termios.tcgetattr(0)
info = {
    "argv": sys.argv[1:],
    "pid": os.getpid(),
    "size": size(),
    "controlling_tty": controlling,
    "echo": bool(attrs[3] & termios.ECHO),
    "canonical": bool(attrs[3] & termios.ICANON),
    "env": {k: os.environ.get(k) for k in (
        "TERM", "TEXTUAL_COLOR_SYSTEM", "NO_COLOR", "LANG", "LC_ALL", "COLORTERM",
        "EVIL", "LEADQ_CONFIG_DIR", "SSH_AUTH_SOCK", "LEADQ_DB", "HOME", "USER",
        "LC_TIME", "LC_CTYPE", "LC_MESSAGES", "LC_FOO")},
    "uids": os.getresuid(),
    "gids": os.getresgid(),
    "groups": sorted(os.getgroups()),
    "cwd": os.getcwd(),
    "can_read_probe": os.access(os.environ.get("FAKE_PROBE", "/nonexistent"), os.R_OK),
}
out("READY " + json.dumps(info))
while True:
    data = os.read(0, 1024)
    if not data:
        break
    out("GOT " + data.hex())
    if b"q" in data:
        sys.exit(3)
"""


@pytest.fixture
def keys() -> dict[str, asyncssh.SSHKey]:
    return {name: asyncssh.generate_private_key("ssh-ed25519") for name in ("riley", "ada", "eve")}


@pytest.fixture
def shared() -> Iterator[Path]:
    """A directory the sessions' account can read and write (the fake app, its marker)."""
    with account_dir() as path:
        yield path


@pytest.fixture
def served(
    sqlite_db: object,
    tmp_path: Path,
    shared: Path,
    keys: dict[str, asyncssh.SSHKey],
    monkeypatch: pytest.MonkeyPatch,
) -> ServeOptions:
    """A database with riley (rep, key) and ada (admin, key) and sam (no key), and
    options that run the fake app (as RUN_AS when the tests run as root)."""
    models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)
    models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    models.create_user("sam", "Sam Demo", models.Role.SALESPERSON)
    for name in ("riley", "ada"):
        models.add_user_key(name, keys[name].export_public_key().decode())
    app = shared / "fake_app.py"
    app.write_text(FAKE_APP)
    monkeypatch.setenv("FAKE_MARKER", str(shared / "marker"))
    monkeypatch.setenv("LEADQ_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    db_url = f"sqlite:///{tmp_path / 'leadq.db'}"
    return ServeOptions(
        db_url=db_url,
        host="127.0.0.1",
        port=0,
        data_dir=tmp_path / "data",
        app_command=(fake_app_python(), str(app)),
        hangup_grace=0.5,
        demo_users=frozenset({"sam", "ghost"}),
        run_as=RUN_AS,
    )


def with_server(options: ServeOptions, body: Callable[[LeadqServer], Awaitable[object]]) -> object:
    async def main() -> object:
        server = LeadqServer(options)
        await server.start()
        try:
            return await asyncio.wait_for(body(server), 60)
        finally:
            await server.close()

    return asyncio.run(main())


def connect(server: LeadqServer, username: str, key: asyncssh.SSHKey | None = None, **kw):
    return asyncssh.connect(
        "127.0.0.1",
        server.port,
        username=username,
        client_keys=[key] if key else [],
        known_hosts=None,
        agent_path=None,
        config=[],
        **kw,
    )


async def open_app(conn: asyncssh.SSHClientConnection, **kw) -> tuple[object, dict]:
    """A pty session on the fake app; returns (process, what the app reported)."""
    kw.setdefault("term_type", "xterm-256color")
    kw.setdefault("term_size", (90, 33))
    process = await conn.create_process(encoding=None, **kw)
    await process.stdout.readuntil(b"READY ")
    info = json.loads((await process.stdout.readuntil(b"\n")).decode())
    return process, info


# Host key.


def test_host_key_is_created_once_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create_host_key(tmp_path)
    path = host_key_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = load_or_create_host_key(tmp_path)
    assert again.public_data == first.public_data
    assert again.get_algorithm() == "ssh-ed25519"


def test_host_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create_host_key(tmp_path)
    os.chmod(host_key_path(tmp_path), 0o644)
    with pytest.raises(HostKeyError, match="chmod 600"):
        load_or_create_host_key(tmp_path)


def test_server_presents_the_same_host_key_on_every_start(served: ServeOptions, keys: dict) -> None:
    async def host_key(server: LeadqServer) -> bytes:
        async with connect(server, "riley", keys["riley"]) as conn:
            return conn.get_server_host_key().public_data

    assert with_server(served, host_key) == with_server(served, host_key)


# Sign-in.


def test_right_key_signs_in_wrong_key_and_unknown_user_are_refused(
    served: ServeOptions, keys: dict
) -> None:
    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            assert conn.get_extra_info("username") == "riley"
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(server, "riley", keys["eve"])
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(server, "ada", keys["riley"])  # a key belongs to its user only
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(server, "nobody", keys["riley"])
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(server, "riley", None, password="riley")  # no passwords

    with_server(served, body)


def test_a_key_added_while_serving_works_without_restart(served: ServeOptions, keys: dict) -> None:
    async def body(server: LeadqServer) -> None:
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(server, "sam", keys["eve"])
        models.add_user_key("sam", keys["eve"].export_public_key().decode())
        async with connect(server, "sam", keys["eve"]) as conn:
            assert conn.get_extra_info("username") == "sam"

    with_server(served, body)


def test_demo_mode_lets_demo_users_in_without_a_key(served: ServeOptions) -> None:
    served.demo = True

    async def body(server: LeadqServer) -> None:
        async with connect(server, "sam") as conn:
            _, info = await open_app(conn)
            assert info["argv"][info["argv"].index("--user") + 1] == "sam"
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(server, "riley")  # not a demo user: needs a key
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(server, "ghost")  # a demo name, but not in this database

    with_server(served, body)


def test_without_demo_mode_demo_users_need_a_key(served: ServeOptions) -> None:
    async def body(server: LeadqServer) -> None:
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(server, "sam")

    with_server(served, body)


def _serve_args(*argv: str) -> argparse.Namespace:
    """`leadq serve ARGV` as the command line parses it (--db given like `leadq --db`)."""
    return _parser().parse_args(["serve", "--port", "0", *argv])


def test_demo_and_web_refuse_a_non_loopback_address_without_force(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert serve_main(_serve_args("--host", "0.0.0.0", "--demo")) == 2
    assert "--demo" in capsys.readouterr().err
    assert serve_main(_serve_args("--host", "192.168.1.20", "--demo")) == 2
    assert serve_main(_serve_args("--host", "0.0.0.0", "--web")) == 2
    assert "--web" in capsys.readouterr().err
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("10.0.0.1")


def test_serve_refuses_an_empty_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert serve_main(_serve_args("--db", empty, *(["--run-as", RUN_AS] if RUN_AS else []))) == 2
    assert "no users" in capsys.readouterr().err


# Refusals: only the app runs.


def test_exec_subsystem_and_forwarding_are_refused(served: ServeOptions, keys: dict) -> None:
    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.run("cat /etc/passwd")
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.create_process(subsystem="shell")  # SFTP is the one subsystem
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.create_connection(asyncssh.SSHTCPSession, "127.0.0.1", server.port)
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.create_unix_connection(asyncssh.SSHUNIXSession, "/run/x.sock")
            with pytest.raises(asyncssh.ChannelListenError):
                await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 22)
            # The connection is still good for the app itself.
            _, info = await open_app(conn)
            assert "--user" in info["argv"]

    with_server(served, body)


def test_a_session_without_a_terminal_is_told_to_use_ssh_t(
    served: ServeOptions, keys: dict
) -> None:
    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            process = await conn.create_process(encoding=None)
            result = await process.wait()
            assert result.exit_status == 1
            assert b"a terminal is needed" in result.stderr

    with_server(served, body)


# The session: pty, environment, resize, exit, hang-up.


def test_the_app_gets_its_own_pty_with_the_clients_term_size_and_safe_env(
    served: ServeOptions, keys: dict
) -> None:
    env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "NO_COLOR": "1", "EVIL": "rm -rf"}

    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            _, info = await open_app(conn, term_type="screen-256color", env=env)
        assert info["argv"] == ["--user", "riley", "--no-seed"]
        assert info["env"]["LEADQ_DB"] == served.db_url
        assert info["size"] == "90x33"
        assert info["controlling_tty"] is True
        assert info["echo"] is False and info["canonical"] is False
        assert info["env"]["TERM"] == "screen-256color"
        assert info["env"]["TEXTUAL_COLOR_SYSTEM"] == "256"
        assert info["env"]["NO_COLOR"] == "1"
        assert info["env"]["LANG"] == "C.UTF-8" and info["env"]["LC_ALL"] == "C.UTF-8"
        assert info["env"]["EVIL"] is None
        assert info["env"]["SSH_AUTH_SOCK"] is None
        assert info["env"]["LEADQ_CONFIG_DIR"].endswith(os.path.join("users", "riley"))

    with_server(served, body)


def test_colour_system_follows_colorterm_or_the_option(served: ServeOptions, keys: dict) -> None:
    async def colour(server: LeadqServer, env: dict) -> str:
        async with connect(server, "riley", keys["riley"]) as conn:
            _, info = await open_app(conn, env=env)
            return info["env"]["TEXTUAL_COLOR_SYSTEM"]

    async def body(server: LeadqServer) -> tuple[str, str]:
        return await colour(server, {}), await colour(server, {"COLORTERM": "truecolor"})

    assert with_server(served, body) == ("256", "truecolor")
    served.color_system = "standard"
    assert with_server(served, body) == ("standard", "standard")


def test_input_reaches_the_app_and_resizes_are_relayed(served: ServeOptions, keys: dict) -> None:
    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            process, _ = await open_app(conn)
            process.stdin.write(b"\x1b[A")
            await process.stdout.readuntil(b"GOT 1b5b41")
            process.change_terminal_size(120, 40)
            await process.stdout.readuntil(b"SIZE 120x40")
            process.change_terminal_size(80, 24)
            await process.stdout.readuntil(b"SIZE 80x24")

    with_server(served, body)


def test_the_apps_exit_status_is_sent_and_the_channel_closed(
    served: ServeOptions, keys: dict
) -> None:
    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            process, _ = await open_app(conn)
            process.stdin.write(b"q")
            result = await process.wait()
            assert result.exit_status == 3
            assert not server.sessions

    with_server(served, body)


def assert_terminal_reset(received: bytes) -> None:
    """Everything an app may have turned on is turned off again, in an order that works."""
    assert TERMINAL_RESET in received
    reset = received[received.rindex(TERMINAL_RESET) :]
    for mode in (9, 1000, 1001, 1002, 1003, 1005, 1006, 1015, 1016):  # every mouse mode
        assert f"\x1b[?{mode}l".encode() in reset
    for sequence in (
        b"\x1b[?2004l",  # bracketed paste off
        b"\x1b[?1004l",  # focus events off
        b"\x1b[<u",  # kitty keyboard mode popped...
        b"\x1b[?1049l",  # ...before the main screen comes back (one stack per screen)
        b"\x1b[?7h",  # line wrap on
        b"\x1b[?25h",  # cursor shown
        b"\x1b[0m",
    ):
        assert sequence in reset
    assert reset.index(b"\x1b[<u") < reset.index(b"\x1b[?1049l")


def test_an_app_that_is_killed_leaves_the_terminal_reset(served: ServeOptions, keys: dict) -> None:
    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            process, info = await open_app(conn)
            os.kill(info["pid"], 9)
            result = await process.wait()
            assert result.exit_status == 128 + 9
            assert_terminal_reset(result.stdout)
            assert b"leadq: the app was stopped." in result.stdout

    with_server(served, body)


def test_a_session_that_fails_on_the_server_leaves_the_terminal_reset(
    served: ServeOptions, keys: dict
) -> None:
    served.app_command = ("/nonexistent/leadq-app",)  # the app cannot even start

    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            process = await conn.create_process(encoding=None, term_type="xterm")
            result = await process.wait()
            assert result.exit_status == 1
            assert_terminal_reset(result.stdout)
            assert b"leadq: the session failed on the server." in result.stdout
            assert b"nonexistent" not in result.stdout  # no server path shown

    with_server(served, body)


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_a_client_that_disconnects_gets_its_app_hung_up(
    served: ServeOptions, keys: dict, shared: Path
) -> None:
    async def body(server: LeadqServer) -> int:
        conn = await connect(server, "riley", keys["riley"])
        _, info = await open_app(conn)
        conn.abort()
        for _ in range(200):
            if not server.sessions:
                break
            await asyncio.sleep(0.05)
        return info["pid"]

    pid = with_server(served, body)
    assert _gone(pid)
    assert (shared / "marker").read_text() == "HUP\n"


def test_an_app_that_ignores_sighup_is_killed_after_the_grace_period(
    served: ServeOptions, keys: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_MODE", "ignore-hup")

    async def body(server: LeadqServer) -> int:
        conn = await connect(server, "riley", keys["riley"])
        _, info = await open_app(conn)
        conn.abort()
        for _ in range(200):
            if not server.sessions:
                break
            await asyncio.sleep(0.05)
        assert not server.sessions
        return info["pid"]

    assert _gone(with_server(served, body))


def test_one_hung_session_does_not_stop_another(served: ServeOptions, keys: dict) -> None:
    async def body(server: LeadqServer) -> None:
        async with (
            connect(server, "riley", keys["riley"]) as conn1,
            connect(server, "ada", keys["ada"]) as conn2,
        ):
            _, info = await open_app(conn1)
            os.kill(info["pid"], 19)  # SIGSTOP: the first app hangs
            second, _ = await open_app(conn2)
            second.stdin.write(b"x")
            await second.stdout.readuntil(b"GOT 78")
            os.kill(info["pid"], 18)  # SIGCONT

    with_server(served, body)


# Limits.


def test_sessions_beyond_the_maximum_are_refused_with_a_message(
    served: ServeOptions, keys: dict
) -> None:
    served.max_sessions = 1

    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            first, _ = await open_app(conn)
            async with connect(server, "ada", keys["ada"]) as conn2:
                second = await conn2.create_process(
                    encoding=None, term_type="xterm", term_size=(80, 24)
                )
                result = await second.wait()
                assert b"leadq: too many sessions (1), try again later" in result.stdout
                assert result.exit_status == 1
            first.stdin.write(b"q")
            await first.wait()
        async with connect(server, "ada", keys["ada"]) as conn:
            await open_app(conn)  # a slot is free again

    with_server(served, body)


def test_an_idle_session_is_closed_with_a_message_and_the_terminal_reset(
    served: ServeOptions, keys: dict
) -> None:
    served.idle_timeout = 1

    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            process, _ = await open_app(conn)
            result = await process.wait()
            assert b"leadq: session closed after 1 second without input." in result.stdout
            assert_terminal_reset(result.stdout)

    with_server(served, body)


def test_max_startups_drops_at_random_like_sshd() -> None:
    # 10:30:100: below 10 never, at 10 with 30%, rising linearly, from 100 always.
    assert not should_drop(9, 10, 30, 100, 0.0)
    assert should_drop(10, 10, 30, 100, 0.29) and not should_drop(10, 10, 30, 100, 0.30)
    assert should_drop(64, 10, 30, 100, 0.71) and not should_drop(64, 10, 30, 100, 0.72)
    assert should_drop(100, 10, 30, 100, 0.999) and should_drop(500, 10, 30, 100, 0.999)
    assert should_drop(1, 1, 100, 1, 0.999)


def _wait(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


async def _await(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_connections_that_have_not_signed_in_are_bounded(served: ServeOptions, keys: dict) -> None:
    served.max_startups = (1, 100, 1)

    async def body(server: LeadqServer) -> None:
        loop = asyncio.get_running_loop()
        silent = socket.create_connection(("127.0.0.1", server.port))  # holds the one slot
        try:
            await _await(lambda: server.pending_auth == 1)
            with pytest.raises((asyncssh.DisconnectError, ConnectionError, OSError)):
                await connect(server, "riley", keys["riley"])
        finally:
            await loop.run_in_executor(None, silent.close)
        await _await(lambda: server.pending_auth == 0)
        async with connect(server, "riley", keys["riley"]) as conn:
            assert conn.get_extra_info("username") == "riley"

    with_server(served, body)


def test_the_early_drop_follows_the_rate(served: ServeOptions, keys: dict) -> None:
    served.max_startups = (1, 30, 10)
    coin = [0.5]
    served.random = lambda: coin[0]

    async def body(server: LeadqServer) -> None:
        loop = asyncio.get_running_loop()
        silent = socket.create_connection(("127.0.0.1", server.port))
        try:
            await _await(lambda: server.pending_auth == 1)
            async with connect(server, "riley", keys["riley"]):  # 50 >= 30: let in
                pass
            coin[0] = 0.1  # 10 < 30: dropped
            with pytest.raises((asyncssh.DisconnectError, ConnectionError, OSError)):
                await connect(server, "riley", keys["riley"])
        finally:
            await loop.run_in_executor(None, silent.close)

    with_server(served, body)


def test_one_address_cannot_hold_every_sign_in_slot(served: ServeOptions, keys: dict) -> None:
    """PerSourceMaxStartups: 127.0.0.2 (loopback too) holds its two slots; its third
    connection is dropped, while 127.0.0.1 still signs in."""
    served.per_source_max_startups = 2

    async def body(server: LeadqServer) -> None:
        loop = asyncio.get_running_loop()
        silent = []
        try:
            for _ in range(2):
                address = ("127.0.0.1", server.port)
                silent.append(socket.create_connection(address, source_address=("127.0.0.2", 0)))
            await _await(lambda: server.pending_by_source["127.0.0.2"] == 2)
            with pytest.raises((asyncssh.DisconnectError, ConnectionError, OSError)):
                await asyncssh.connect(
                    "127.0.0.1", server.port, local_addr=("127.0.0.2", 0), username="riley",
                    client_keys=[keys["riley"]], known_hosts=None, agent_path=None, config=[],
                )  # fmt: skip
            async with connect(server, "riley", keys["riley"]) as conn:
                assert conn.get_extra_info("username") == "riley"
        finally:
            for sock in silent:
                await loop.run_in_executor(None, sock.close)
        await _await(lambda: not server.pending_by_source)

    with_server(served, body)


def test_a_connection_that_does_not_sign_in_is_closed_after_the_grace_time(
    served: ServeOptions,
) -> None:
    served.login_grace_time = 0.5

    async def body(server: LeadqServer) -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        started = time.monotonic()
        await _await(lambda: server.pending_auth == 1)
        while await asyncio.wait_for(reader.read(4096), 10):
            pass  # the server's version line, then nothing until it closes
        writer.close()
        await _await(lambda: server.pending_auth == 0)
        return time.monotonic() - started

    assert with_server(served, body) < 10


def test_a_signed_in_connection_without_a_session_is_closed(
    served: ServeOptions, keys: dict
) -> None:
    served.unused_connection_timeout = 1

    async def body(server: LeadqServer) -> None:
        idle = await connect(server, "riley", keys["riley"])
        await asyncio.wait_for(idle.wait_closed(), 10)  # no session: disconnected
        async with connect(server, "ada", keys["ada"]) as conn:
            process, _ = await open_app(conn)
            await asyncio.sleep(2.5)  # two timeouts and more pass while the session is open
            process.stdin.write(b"x")
            await process.stdout.readuntil(b"GOT 78")
            process.stdin.write(b"q")
            await process.wait()
            await asyncio.wait_for(conn.wait_closed(), 10)  # its last session ended

    with_server(served, body)


def test_sessions_per_connection_are_capped(served: ServeOptions, keys: dict) -> None:
    served.max_sessions_per_connection = 2

    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            first, _ = await open_app(conn)
            await open_app(conn)
            with pytest.raises(asyncssh.ChannelOpenError, match="at most 2 sessions"):
                await conn.create_process(encoding=None, term_type="xterm")
            first.stdin.write(b"q")
            await first.wait()
            await open_app(conn)  # a slot is free again

    with_server(served, body)


def test_sessions_per_user_are_capped(served: ServeOptions, keys: dict) -> None:
    served.max_sessions_per_user = 1

    async def body(server: LeadqServer) -> None:
        async with (
            connect(server, "riley", keys["riley"]) as conn1,
            connect(server, "riley", keys["riley"]) as conn2,
            connect(server, "ada", keys["ada"]) as conn3,
        ):
            await open_app(conn1)
            second = await conn2.create_process(encoding=None, term_type="xterm")
            result = await second.wait()
            assert result.exit_status == 1
            assert b"leadq: riley already has 1 session open" in result.stdout
            await open_app(conn3)  # another user is not affected

    with_server(served, body)


def _write_client_key(directory: Path, name: str, key: asyncssh.SSHKey) -> Path:
    path = directory / name
    path.write_bytes(key.export_private_key())
    path.chmod(0o600)
    return path


def _ssh(port: int, user: str, key: Path, *options: str) -> list[str]:
    return [
        "ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes", "-i", str(key),
        "-p", str(port), *options, f"{user}@127.0.0.1",
    ]  # fmt: skip


async def _run_ssh(argv: list[str]) -> tuple[int, str]:
    """Run the OpenSSH client without a terminal: (exit status, stderr)."""
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode or 0, err.decode(errors="replace")


def _needs_ssh() -> None:
    if shutil.which("ssh") is None:
        if os.environ.get("CI"):
            pytest.fail("the OpenSSH client is needed (.ci/run installs it)")
        pytest.skip("no OpenSSH client")


def test_a_client_that_stops_answering_is_dropped_by_keepalives(
    served: ServeOptions, keys: dict, tmp_path: Path
) -> None:
    """SIGSTOP the real ssh client: its kernel still acknowledges TCP, but nothing
    answers the keepalives, as with a laptop that lost its network."""
    _needs_ssh()
    # Dropped after 3 s of silence; a live client has 1 s to answer each keepalive
    # (and two chances), which even a busy machine gives it.
    served.keepalive_interval = 1
    served.keepalive_count_max = 2
    served.idle_timeout = 0
    key = _write_client_key(tmp_path, "id_riley", keys["riley"])

    async def body(server: LeadqServer) -> tuple[int, float]:
        client = await asyncio.create_subprocess_exec(
            *_ssh(server.port, "riley", key, "-tt"),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert client.stdout is not None
        try:
            await asyncio.wait_for(client.stdout.readuntil(b"READY "), 30)
            info = json.loads(await client.stdout.readuntil(b"\n"))
            client.send_signal(19)  # SIGSTOP
            stopped = time.monotonic()
            await _await(lambda: not server.sessions, 30)
            return info["pid"], time.monotonic() - stopped
        finally:
            client.kill()
            await client.wait()

    pid, seconds = with_server(served, body)
    assert _gone(pid)
    assert seconds < 15, f"the app of a vanished client lived {seconds:.1f} s"


def test_only_current_algorithms_are_offered_and_the_list_can_change(
    served: ServeOptions, keys: dict, tmp_path: Path
) -> None:
    _needs_ssh()
    riley = _write_client_key(tmp_path, "id_riley", keys["riley"])
    rsa = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
    models.add_user_key("ada", rsa.export_public_key().decode())
    ada_rsa = _write_client_key(tmp_path, "id_ada_rsa", rsa)
    sha1_kex = ("-o", "KexAlgorithms=diffie-hellman-group14-sha1")
    sha1_mac = ("-o", "MACs=hmac-sha1", "-o", "Ciphers=aes128-ctr")
    sha1_sig = ("-o", "PubkeyAcceptedAlgorithms=ssh-rsa")

    async def body(server: LeadqServer) -> None:
        # Signed in (the session is refused for want of a terminal, after sign-in).
        status, err = await _run_ssh(_ssh(server.port, "riley", riley, "-T"))
        assert status == 1 and "a terminal is needed" in err
        status, err = await _run_ssh(_ssh(server.port, "ada", ada_rsa, "-T"))  # rsa-sha2
        assert status == 1 and "a terminal is needed" in err
        status, err = await _run_ssh(_ssh(server.port, "riley", riley, "-T", *sha1_kex))
        assert status == 255 and "no matching key exchange method" in err
        status, err = await _run_ssh(_ssh(server.port, "riley", riley, "-T", *sha1_mac))
        assert status == 255 and "no matching MAC" in err
        status, err = await _run_ssh(_ssh(server.port, "ada", ada_rsa, "-T", *sha1_sig))
        assert status == 255 and "Permission denied" in err

    with_server(served, body)
    served.kex_algorithms = "+diffie-hellman-group14-sha1"

    async def allowed(server: LeadqServer) -> None:
        status, err = await _run_ssh(_ssh(server.port, "riley", riley, "-T", *sha1_kex))
        assert status == 1 and "a terminal is needed" in err

    with_server(served, allowed)


def test_limit_options_reach_the_server_and_bad_ones_are_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = _serve_args(
        "--max-startups", "5:50:20", "--login-grace-time", "12", "--unused-connection-timeout",
        "7", "--max-sessions-per-connection", "3", "--max-sessions-per-user", "4",
        "--keepalive-interval", "9", "--keepalive-count-max", "1", "--macs", "+hmac-sha1",
        "--per-source-max-startups", "3",
    )  # fmt: skip
    limits = _limits(args)
    assert limits["max_startups"] == (5, 50, 20) and parse_max_startups("8") == (8, 100, 8)
    assert (limits["login_grace_time"], limits["unused_connection_timeout"]) == (12, 7)
    assert (limits["max_sessions_per_connection"], limits["max_sessions_per_user"]) == (3, 4)
    assert (limits["keepalive_interval"], limits["keepalive_count_max"]) == (9, 1)
    assert limits["macs"] == "+hmac-sha1" and limits["kex_algorithms"] is None
    assert limits["per_source_max_startups"] == 3
    ServeOptions(db_url="sqlite:///x.db", **limits)  # every limit is a server option
    for argv, message in (
        (("--max-startups", "10:30"), "--max-startups is START:RATE:FULL"),
        (("--max-startups", "20:30:10"), "--max-startups is START:RATE:FULL"),
        (("--login-grace-time", "-1"), "--login-grace-time must be 0 or more"),
        (("--max-sessions-per-user", "0"), "--max-sessions-per-user must be at least 1"),
        (("--max-sessions", "0"), "--max-sessions must be at least 1"),
        (("--kex-algorithms", "diffie-hellman-group0-md5"), "is not an algorithm"),
    ):
        assert serve_main(_serve_args(*argv)) == 2
        assert message in capsys.readouterr().err


def test_a_sha1_rsa_signature_is_refused_at_sign_in(served: ServeOptions) -> None:
    """asyncssh's own client, told to sign with ssh-rsa (SHA-1), does so whatever the
    server advertises; the server refuses it, and takes rsa-sha2-256 from the same key."""
    rsa = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
    models.add_user_key("ada", rsa.export_public_key().decode())
    public = asyncssh.import_public_key(rsa.export_public_key())
    checked = checked_signatures(public, algorithm_list("signatures", None))
    assert checked.verify(b"data", rsa.sign(b"data", b"rsa-sha2-256"))
    assert not checked.verify(b"data", rsa.sign(b"data", b"ssh-rsa"))

    async def body(server: LeadqServer) -> None:
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(server, "ada", rsa, signature_algs=["ssh-rsa"])
        async with connect(server, "ada", rsa, signature_algs=["rsa-sha2-256"]) as conn:
            assert conn.get_extra_info("username") == "ada"

    with_server(served, body)


def test_algorithm_options_are_checked() -> None:
    assert algorithm_list("kex", "-curve25519-sha256")[0] != "curve25519-sha256"
    assert "hmac-sha1" in algorithm_list("macs", "+hmac-sha1")
    assert algorithm_list("ciphers", "aes256-ctr") == ("aes256-ctr",)
    with pytest.raises(AlgorithmError, match="not-an-alg is not an algorithm"):
        algorithm_list("kex", "curve25519-sha256,not-an-alg")
    with pytest.raises(AlgorithmError, match="leaves no algorithm"):
        algorithm_list("ciphers", "-" + ",".join(algorithm_list("ciphers", None)))
    for kind in ("kex", "macs", "signatures"):
        assert not [name for name in algorithm_list(kind, None) if "sha1" in name]
    assert "ssh-rsa" not in algorithm_list("signatures", None)


# Secrets, the account sessions run as, what the client may set.


def test_the_database_url_is_in_the_environment_not_on_the_command_line(
    served: ServeOptions, keys: dict
) -> None:
    served.db_url = "postgresql://leadq:s3cret-pw@db.example.com/leadq"

    async def body(server: LeadqServer) -> tuple[dict, bytes, os.stat_result]:
        async with connect(server, "riley", keys["riley"]) as conn:
            _, info = await open_app(conn)
            cmdline = Path(f"/proc/{info['pid']}/cmdline").read_bytes()
            return info, cmdline, os.stat(f"/proc/{info['pid']}/environ")

    info, cmdline, environ = with_server(served, body)
    assert b"s3cret" not in cmdline and b"postgresql" not in cmdline
    assert cmdline.split(b"\0")[-4:-1] == [b"--user", b"riley", b"--no-seed"]
    assert info["env"]["LEADQ_DB"] == served.db_url
    # Only the session's own account (and root) can read its environment.
    assert environ.st_mode & 0o077 == 0
    assert environ.st_uid == info["uids"][0]


def test_sessions_run_as_the_run_as_account(
    served: ServeOptions, keys: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    if RUN_AS is None:
        pytest.skip("dropping privileges needs the tests to run as root (CI does)")
    account = pwd.getpwnam(RUN_AS)
    monkeypatch.setenv("FAKE_PROBE", str(host_key_path(served.data_dir)))

    async def body(server: LeadqServer) -> tuple[dict, os.stat_result]:
        async with connect(server, "riley", keys["riley"]) as conn:
            _, info = await open_app(conn)
            return info, os.stat(f"/proc/{info['pid']}/fd/0")  # its terminal

    info, tty = with_server(served, body)
    uid, gid = account.pw_uid, account.pw_gid
    assert info["uids"] == [uid, uid, uid]  # real, effective, saved
    assert info["gids"] == [gid, gid, gid]
    assert info["groups"] == sorted(set(os.getgrouplist(RUN_AS, gid)))
    assert 0 not in info["groups"]
    assert info["env"]["HOME"] == account.pw_dir and info["env"]["USER"] == RUN_AS
    assert info["cwd"] == (account.pw_dir if os.path.isdir(account.pw_dir) else "/")
    assert tty.st_uid == uid  # the pty is handed over, as sshd does
    assert info["can_read_probe"] is False  # the host key is the server's alone


def test_root_without_an_account_for_the_sessions_is_refused(
    served: ServeOptions, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(account_module.os, "geteuid", lambda: 0)
    with pytest.raises(ServeError, match="would run every session as root; give --run-as"):
        resolve_run_as(None)
    assert resolve_run_as(None, allow_root=True) is None
    with pytest.raises(ServeError, match="there is no account 'no-such-leadq-account'"):
        resolve_run_as("no-such-leadq-account")
    with pytest.raises(ServeError, match="would keep root's privileges"):
        resolve_run_as("root")
    assert resolve_run_as("nobody").uid == pwd.getpwnam("nobody").pw_uid  # type: ignore[union-attr]
    served.run_as = None

    async def start() -> None:
        await LeadqServer(served).start()

    with pytest.raises(ServeError, match="--run-as"):
        asyncio.run(start())
    monkeypatch.setattr(account_module.os, "geteuid", lambda: 4321)
    with pytest.raises(ServeError, match="needs the server to start as root"):
        resolve_run_as("nobody")
    monkeypatch.undo()
    assert serve_main(_serve_args("--run-as", "no-such-leadq-account")) == 2
    assert "there is no account 'no-such-leadq-account'" in capsys.readouterr().err


def test_the_account_is_checked_for_the_database_at_start(tmp_path: Path) -> None:
    if RUN_AS is None:
        pytest.skip("another account's access needs the tests to run as root (CI does)")
    account = RunAs.lookup(RUN_AS)
    private = tmp_path / "leadq.db"  # under pytest's directory, which only root enters
    private.write_bytes(b"")
    problems = probe_access(account, f"sqlite:///{private}", python=fake_app_python())
    assert f"cannot reach {private}" in problems
    with account_dir() as shared:
        db = shared / "leadq.db"
        db.write_bytes(b"")
        os.chmod(db, 0o644)  # root's file, others may only read
        problems = probe_access(account, f"sqlite:///{db}", python=fake_app_python())
        assert f"cannot read and write {db}" in problems
        hand_over(shared)
        problems = probe_access(account, f"sqlite:///{db}", python=fake_app_python())
        assert not [p for p in problems if str(shared) in p]
    assert probe_access(account, "sqlite:///x.db", python="/nonexistent/python") == [
        "cannot run /nonexistent/python (No such file or directory)"
    ]


def test_client_locale_and_colour_values_must_be_well_formed(
    served: ServeOptions, keys: dict
) -> None:
    env = {
        "LANG": "en_US.UTF-8\nEVIL=1",
        "LC_ALL": "C.UTF-8",
        "LC_CTYPE": "sr_RS.UTF-8@latin",
        "LC_TIME": "../../../etc/passwd",
        "LC_MESSAGES": "C\x1b]0;owned\x07",
        "LC_FOO": "C",
        "COLORTERM": "truecolor; rm -rf",
    }

    async def body(server: LeadqServer) -> dict:
        async with connect(server, "riley", keys["riley"]) as conn:
            _, info = await open_app(conn, env=env)
            return info["env"]

    seen = with_server(served, body)
    assert seen["LANG"] == os.environ.get("LANG")  # the server's own, not the client's
    assert seen["LC_ALL"] == "C.UTF-8" and seen["LC_CTYPE"] == "sr_RS.UTF-8@latin"
    assert seen["LC_TIME"] is None and seen["LC_MESSAGES"] is None and seen["LC_FOO"] is None
    assert seen["COLORTERM"] is None and seen["TEXTUAL_COLOR_SYSTEM"] == "256"
    assert client_env_value("LANG", "C") == "C" and client_env_value("LANG", "C\n") is None
    assert client_env_value("LANG", "") is None and client_env_value("EVIL", "C") is None


def test_window_sizes_are_clamped(served: ServeOptions, keys: dict) -> None:
    async def body(server: LeadqServer) -> str:
        async with connect(server, "riley", keys["riley"]) as conn:
            process, info = await open_app(conn, term_size=(20000, 10000))
            process.change_terminal_size(100, 30)
            await process.stdout.readuntil(b"SIZE 100x30")
            process.change_terminal_size(65535, 65535)
            await process.stdout.readuntil(f"SIZE {MAX_COLUMNS}x{MAX_ROWS}".encode())
            return info["size"]

    assert with_server(served, body) == f"{MAX_COLUMNS}x{MAX_ROWS}"
    assert MAX_COLUMNS * MAX_ROWS <= 200_000


# The browser server.


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, cookie: str | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url)
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


WEB_WAIT = 90.0
"""Every network wait of the web tests ends within this (a busy CI machine takes
seconds to start an app; a wait without an end hangs CI instead of failing)."""
WEB_STOP = web_module.QUIT_SECONDS + 30
"""How long a web server may take to end after SIGTERM: it gives each app
QUIT_SECONDS to quit before killing it, and an app still starting on a busy
machine does not read the quit until it has started (10 s was a CI flake)."""


async def _web_session(base: str, token: str, *, origin: str | None, others: int = 0) -> dict:
    """Open the page's websocket (with `origin`) and read until the lead list shows;
    then try `others` more websockets while it is open. What happened to each.

    Bounded as a whole: aiohttp's receive(timeout=...) restarts its clock at every
    ping the server's heartbeat sends, so it alone never ends against a server that
    keeps the socket open with no app behind it."""
    return await asyncio.wait_for(_web_session_steps(base, token, origin, others), WEB_WAIT)


async def _web_session_steps(base: str, token: str, origin: str | None, others: int) -> dict:
    import aiohttp

    seen = bytearray()
    url = base.replace("http", "ws") + "/ws?width=20000&height=10000"
    headers = {"Origin": origin} if origin is not None else {}
    result: dict = {"others": []}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(cookies={"leadq_token": token}, timeout=timeout) as http:
        try:
            ws = await http.ws_connect(url, headers=headers)
        except aiohttp.WSServerHandshakeError as exc:
            result["status"] = exc.status
            return result
        async with ws:
            result["status"] = 101
            while b"Open leads" not in seen:
                message = await ws.receive()
                if message.type == aiohttp.WSMsgType.BINARY:
                    seen.extend(message.data)
                elif message.type != aiohttp.WSMsgType.TEXT:
                    result["closed"] = (ws.close_code, message.extra)
                    break
            for _ in range(others):
                try:
                    extra = await http.ws_connect(url, headers=headers)
                except aiohttp.WSServerHandshakeError as exc:
                    result["others"].append(exc.status)
                else:
                    result["others"].append(101)
                    await extra.close()
    result["screen"] = bytes(seen)
    return result


def _cmdline(pid: int) -> bytes:
    """The process's command line (empty once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


@pytest.mark.parametrize(
    ("app", "start_seconds", "said"),
    [
        ("import sys; sys.exit(3)", 60.0, "the app stopped before it started (exit status 3)"),
        ("import time; time.sleep(600)", 1.5, "the app did not start within 1.5 s"),
    ],
    ids=["exits", "silent"],
)
def test_a_web_app_that_does_not_start_closes_its_tab_and_says_why(
    app: str, start_seconds: float, said: str
) -> None:
    """textual-serve leaves the websocket open when its app is gone; a client then
    waits for ever (the heartbeat's pings keep it from timing out). Ours is closed,
    with the reason on the terminal and in the close frame."""
    from aiohttp import web

    from tui.ssh.web import TokenServer

    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    async def main() -> dict:
        server = TokenServer(
            [sys.executable, "-c", app], "127.0.0.1", port, "t" * 24,
            db_url="sqlite:///unused.db", title="leadq", public_url=base,
        )  # fmt: skip
        server.start_seconds = start_seconds
        runner = web.AppRunner(await server._make_app())
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            return await _web_session(base, "t" * 24, origin=base)
        finally:
            await runner.cleanup()

    result = asyncio.run(main())
    assert result["status"] == 101
    assert result["closed"] == (1011, f"leadq: {said}")
    assert f"leadq: {said}.".encode() in result["screen"]


@pytest.mark.parametrize("session_start", ["fork", "spawn"])
def test_web_needs_the_printed_token_and_the_pages_origin(
    tmp_path: Path, session_start: str
) -> None:
    with account_dir() as shared:
        _web_server_checks(tmp_path, shared, session_start)


def _web_server_checks(tmp_path: Path, shared: Path, session_start: str) -> None:
    db_url = f"sqlite:///{shared / 'leadq.db'}"
    models.open_database(db_url)
    models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    models.close_database()
    hand_over(shared)
    port = _free_port()
    env = {**os.environ, "LEADQ_DATA_DIR": str(tmp_path / "data")}
    server = subprocess.Popen(
        [*serve_command(), "--web", "--port", str(port),
         "--db", db_url, "--user", "ada", "--max-sessions", "1", *real_app_args(),
         "--session-start", session_start],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=serve_env(env), cwd=ROOT, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        url = wait_for_line(server.stdout, r"open (http://\S+)", 60)[1]
        base, token = url.split("/?token=")
        assert base == f"http://127.0.0.1:{port}" and len(token) >= 20
        for _ in range(50):  # the URL is printed while the listener comes up
            try:
                status, _, _ = _get(base + "/")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 403
        assert _get(base + "/?token=wrong")[0] == 403
        assert _get(base + "/static/css/xterm.css")[0] == 403
        assert _get(base + "/ws")[0] == 403
        status, headers, body = _get(url)
        assert status == 200
        assert b"leadq" in body
        cookie = headers["Set-Cookie"].split(";")[0]
        assert cookie == f"leadq_token={token}"
        assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
        assert _get(base + "/", cookie=cookie)[0] == 200
        assert _get(base + "/", cookie="leadq_token=guess")[0] == 403
        # With the cookie, the websocket still needs the page's own origin: another
        # page on the same host (same site, so the cookie is sent) is refused.
        assert asyncio.run(_web_session(base, token, origin=None))["status"] == 403
        other = asyncio.run(_web_session(base, token, origin="http://127.0.0.1:9999"))
        assert other["status"] == 403
        # The page's websocket runs the app signed in as ada; a second one is over the cap.
        session = asyncio.run(_web_session(base, token, origin=base, others=1))
        assert session["status"] == 101
        assert "closed" not in session, f"{session}; {output_so_far(server.stdout)}"
        assert b"Open leads" in session["screen"] and b"Ada Admin" in session["screen"]
        assert session["others"] == [503]
        factories = [
            pid for pid in _children_of(server.pid)
            if b"tui.ssh.factory" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]  # fmt: skip
        assert len(factories) == (1 if session_start == "fork" else 0)
    finally:
        server.terminate()
        server.wait(WEB_STOP)


def test_a_web_session_has_no_secret_on_its_command_line(tmp_path: Path) -> None:
    with account_dir() as shared:
        db_url = f"sqlite:///{shared / 'leadq.db'}"
        models.open_database(db_url)
        models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
        models.close_database()
        hand_over(shared)
        port = _free_port()
        env = {**os.environ, "LEADQ_DATA_DIR": str(tmp_path / "data")}
        server = subprocess.Popen(
            [*serve_command(), "--web", "--port", str(port),
             "--db", db_url, "--user", "ada", *real_app_args(),
             # the spawned app's own command line and environment (a forked one shows
             # the factory's: test_web_needs_the_printed_token_and_the_pages_origin)
             "--session-start", "spawn"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=serve_env(env), cwd=ROOT,
            text=True,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            url = wait_for_line(server.stdout, r"open (http://\S+)", 60)[1]
            base, token = url.split("/?token=")

            async def watch() -> list[bytes]:
                import aiohttp

                ws_url = base.replace("http", "ws") + "/ws?width=20000&height=10000"
                async with (
                    aiohttp.ClientSession(
                        cookies={"leadq_token": token}, timeout=aiohttp.ClientTimeout(total=30)
                    ) as http,
                    http.ws_connect(ws_url, headers={"Origin": base}),
                ):
                    # Until the app has exec'd: between fork and exec a child still
                    # shows the server's own command line and environment.
                    ours = Path(f"/proc/{server.pid}/cmdline").read_bytes()
                    deadline = time.monotonic() + 40
                    while not (pids := _children_of(server.pid)) or any(
                        _cmdline(pid) in (ours, b"") for pid in pids
                    ):
                        assert time.monotonic() < deadline
                        await asyncio.sleep(0.05)
                    environs.extend(Path(f"/proc/{pid}/environ").read_bytes() for pid in pids)
                    return [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids]

            for _ in range(50):
                with contextlib.suppress(OSError):
                    _get(base + "/")
                    break
                time.sleep(0.1)
            environs: list[bytes] = []
            cmdlines = asyncio.run(asyncio.wait_for(watch(), WEB_WAIT))
            for environ in environs:  # the URL is here instead, and the window is clamped
                variables = environ.split(b"\0")
                assert f"LEADQ_DB={db_url}".encode() in variables
                assert b"COLUMNS=500" in variables and b"ROWS=200" in variables
            assert cmdlines and all(b"leadq.db" not in c and b"sqlite" not in c for c in cmdlines)
            assert all(c.split(b"\0")[-4:-1] == [b"--user", b"ada", b"--no-seed"] for c in cmdlines)
        finally:
            server.terminate()
            server.wait(WEB_STOP)


def test_the_session_factory_refuses_to_fork_while_a_thread_runs() -> None:
    """fork() copies only the calling thread: a lock held by another would stay locked
    in the session for ever. The factory never starts a thread, and checks it at every
    fork (in a process of its own here: the test runner has threads)."""
    code = (
        "import os, threading, time\n"
        "from tui.ssh import factory\n"
        "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
        "r, w = os.pipe()\n"
        "try:\n"
        "    factory._fork_session({'id': 1, 'args': [], 'env': {}}, [r, w], ())\n"
        "except AssertionError as exc:\n"
        "    print('refused:', exc)\n"
        "else:\n"
        "    print('forked')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.stdout.strip() == "refused: the session factory must not start threads"


@pytest.mark.parametrize("setting", [None, "TEXTUAL_FPS=30", "ESCDELAY=300"])
def test_a_forked_session_has_textual_settings_of_its_own_environment(setting: str | None) -> None:
    """After _reset_after_fork() in a session whose environment differs from the
    factory's (the colour system the server sets; one more Textual setting), Textual's
    settings are those a fresh import reads from that environment. With only the
    colour system changed, the module's code is not run again (its functions are
    the factory's)."""
    env = {**os.environ, "TEXTUAL_COLOR_SYSTEM": "256"}
    if setting is not None:
        name, value = setting.split("=")
        env[name] = value
    show = (
        "import json, textual.constants as c\n"
        "print(json.dumps({k: v for k, v in vars(c).items() if k.isupper()}, sort_keys=True))\n"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", show], capture_output=True, text=True, env=env, timeout=60
    )
    code = (
        "import os, sys\n"
        "from tui.ssh import factory\n"
        "import textual.constants as c\n"
        "factory._keep_textual_constants()\n"
        "before = c._get_environ_bool\n"
        f"os.environ.clear(); os.environ.update({env!r})\n"
        "factory._reset_after_fork()\n"
        "print(c._get_environ_bool is before, file=sys.stderr)\n" + show
    )
    forked = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert json.loads(forked.stdout) == json.loads(fresh.stdout), forked.stderr
    assert forked.stderr.strip() == str(setting is None)
    assert json.loads(forked.stdout)["COLOR_SYSTEM"] == "256"


def test_the_factory_takes_the_free_chunks_inside_its_heap() -> None:
    """After fill_malloc_holes() a new allocation comes from the top of the C heap,
    not from a hole between the factory's own chunks (whose page a session's first
    allocations would copy). In a process of its own: a heap with holes punched in it."""
    code = (
        "import ctypes\n"
        "from tui.ssh import factory\n"
        "libc = ctypes.CDLL(None)\n"
        "libc.mallinfo2.restype = factory._MallInfo2\n"
        "libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]\n"
        "libc.free.argtypes = [ctypes.c_void_p]\n"
        "chunks = [libc.malloc(size) for _ in range(100) for size in (200, 3000, 40)]\n"
        "for pointer in chunks[::2]:\n"
        "    libc.free(pointer)\n"
        "def from_top(size):\n"
        "    top = libc.mallinfo2().keepcost\n"
        "    libc.malloc(size)\n"
        "    return libc.mallinfo2().keepcost != top\n"
        "before = [from_top(size) for size in (200, 3000, 40)]\n"
        "taken = factory.fill_malloc_holes()\n"
        "after = [from_top(size) for size in (200, 3000, 40)]\n"
        "print(before, taken > 50 * 40, after, factory.fill_malloc_holes() < taken)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    expected = "[False, False, False] True [True, True, True] True"
    assert result.stdout.strip() == expected, result.stderr


def test_the_factory_counts_the_handlers_parameters_a_session_would_count() -> None:
    """What Textual computes at a handler's first call (its parameters, through
    `inspect.signature`) is computed in the factory: a session started from it counts
    none of the handlers and callbacks of the classes it inherited, and the counts
    are those Textual would find for the bound methods it calls."""
    code = (
        "import inspect\n"
        "from textual import _callback\n"
        "from tui.ssh import factory\n"
        "factory.preload()\n"
        "from textual.widgets._footer import FooterKey\n"
        "from tui.widgets.lead_table import LeadTable\n"
        "from tui.app import LeadqApp\n"
        "signatures = []\n"
        "real = _callback.signature\n"
        "_callback.signature = lambda f: (signatures.append(f), real(f))[1]\n"
        "table = LeadTable.__new__(LeadTable)\n"
        "methods = [table._count_done, table.on_mount, table._painted,\n"
        "           FooterKey.__new__(FooterKey)._watch_compact,\n"
        "           LeadqApp.__new__(LeadqApp).on_mount]\n"
        "counts = [_callback.count_parameters(m) for m in methods]\n"
        "expected = [len(real(m).parameters) for m in methods]\n"
        "print(counts == expected, len(signatures))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.stdout.strip() == "True 0", result.stderr


def test_hot_code_is_copied_side_by_side_and_still_runs() -> None:
    """relocate() gives the named functions fresh code objects allocated one after
    the other (25 functions spread over 20 pages end up on the two or three their
    5 KB straddle); they behave as before, and a function made at run time from a
    copied function's nested code (a closure) gets the copy too."""
    code = (
        "import gc, sys, types\n"
        "from tui.ssh import hot_code\n"
        "gc.disable()\n"
        "module = types.ModuleType('hotmod')\n"
        "for n in range(400):\n"
        "    source = f'def f{n}(x):\\n    return x + {n}\\n'\n"
        "    exec(compile(source, '<hotmod>', 'exec'), module.__dict__)\n"
        "source = 'def outer(n):\\n    def inner(k):\\n        return k * n\\n'\n"
        "source += '    return inner\\n'\n"
        "exec(compile(source, '<hotmod>', 'exec'), module.__dict__)\n"
        "hot = [getattr(module, f'f{n}') for n in range(0, 400, 16)]\n"
        "old = [f.__code__ for f in hot]\n"
        "cold = module.f1.__code__\n"
        "keys = [f'<hotmod>:{f.__name__}' for f in hot] + ['<hotmod>:outer.<locals>.inner']\n"
        "copied = hot_code.relocate(keys)\n"
        "def pages(codes):\n"
        "    return len({id(c) >> 12 for c in codes})\n"
        "inner = module.outer(3)\n"
        "print(copied, pages(old) > 10, pages(f.__code__ for f in hot) <= 3,\n"
        "      all(f.__code__ is not c for f, c in zip(hot, old)), module.f1.__code__ is cold,\n"
        "      [f(1) for f in hot[:3]], inner.__code__ is module.outer.__code__.co_consts[1],\n"
        "      inner(2))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    expected = "27 True True True True [1, 17, 33] True 6"
    assert result.stdout.strip() == expected, result.stderr


def test_the_classes_mros_are_copied_side_by_side_ranked_first() -> None:
    """pack_mros() gives every class a fresh, equal MRO tuple (the tuple a lookup that
    misses the method cache takes a reference to), allocated one after the other, the
    ranked classes' first in rank order: the MROs of 60 classes made among other
    objects of the same size, one a page, end up on a few; lookups, super(), isinstance
    and new subclasses behave as before. class_ranks() ranks a class by its first
    method named."""
    code = (
        "import gc, sys, types\n"
        "from tui.ssh import hot_code\n"
        "gc.disable()\n"
        "junk, classes = [], []\n"
        "for n in range(60):\n"
        "    ns = {'f': lambda self, n=n: n, 'g': lambda self: super(type(self), self)}\n"
        "    classes.append(type(f'C{n}', (object,), ns))\n"
        "    junk.append([(n, k) for k in range(100)])\n"
        "source = 'class Hot:\\n    def one(self):\\n        return 1\\n'\n"
        "module = types.ModuleType('hotmod')\n"
        "exec(compile(source, '<hotmod>', 'exec'), module.__dict__)\n"
        "ranks = hot_code.class_ranks(['<hotmod>:nothing', '<hotmod>:Hot.one'])\n"
        "old = [c.__mro__ for c in classes]\n"
        "ranks.update({c: 2 + i for i, c in enumerate(classes)})\n"
        "copied = hot_code.pack_mros(ranks)\n"
        "new = [c.__mro__ for c in classes]\n"
        "addresses = [id(m) for m in new]\n"
        "class Sub(classes[-1]):\n"
        "    pass\n"
        "print(ranks[module.Hot], copied > 60, new == old,\n"
        "      all(a is not b for a, b in zip(new, old)),\n"
        "      len({id(m) >> 12 for m in old}) > 40, len({a >> 12 for a in addresses}) <= 4,\n"
        "      classes[-1]().f(), isinstance(Sub(), classes[-1]), Sub.__mro__[1:] == new[-1],\n"
        "      Sub().f(), type(classes[5]().g()) is super)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    expected = "1 True True True True True 59 True True 59 True"
    assert result.stdout.strip() == expected, result.stderr


def test_the_factory_keeps_its_profile_and_packs_the_mros_of_what_a_session_uses() -> None:
    """preload() keeps the hot-code list it read and the classes it ranked from it
    (freed when it returns, they left a few thousand holes among the shared pages for
    every session's first allocations to fill and copy), and the MROs of the app's
    classes it ranked (the lead list, the app) were copied side by side."""
    code = (
        "import gc\n"
        "from tui.ssh import factory, hot_code\n"
        "gc.disable()\n"
        "factory.preload()\n"
        "names, ranks = factory._KEPT_PROFILE\n"
        "from tui.app import LeadqApp\n"
        "from tui.screens.lead_list import LeadListScreen\n"
        "mro = LeadqApp.__mro__\n"
        "old = [m for m in hot_code._KEPT if type(m) is tuple and m == mro]\n"
        "print(names == hot_code.load(), len(names) > 1000,\n"
        "      LeadqApp in ranks and LeadListScreen in ranks,\n"
        "      mro == tuple(LeadqApp.mro()), len(old) == 1 and old[0] is not mro)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.stdout.strip() == "True True True True True", result.stderr


def test_the_names_a_session_uses_are_made_first_and_side_by_side() -> None:
    """The factory process (`python -m tui.ssh.factory`) interns the names of
    hot_strings.txt before it imports anything else, one after the other: the code
    imported afterwards (Textual's, asyncio's for the factory itself) names those
    very objects, which sit on a few pages instead of next to each module's code."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['factory']\n"
        "try:\n"
        "    runpy.run_module('tui.ssh.factory', run_name='__main__', alter_sys=True)\n"
        "except SystemExit:\n"
        "    pass\n"
        "from tui.ssh import hot_strings\n"
        "import asyncio.events, textual.dom\n"
        "kept = {s: s for s in hot_strings._KEPT}\n"
        "codes = [textual.dom.DOMNode.__init__.__code__,\n"
        "         asyncio.events.Handle.__init__.__code__]\n"
        "names = [n for c in codes for n in c.co_names if n in kept]\n"
        "pages = len({id(s) >> 12 for s in kept})\n"
        "print(len(kept) > 2000, len(names) > 10, all(n is kept[n] for n in names),\n"
        "      pages < len(kept) / 20)\n"  # scattered: ~3.5 a page; side by side: ~45
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.stdout.strip() == "True True True True", result.stderr


def test_the_classes_a_session_uses_are_built_side_by_side_in_the_factory() -> None:
    """The factory process reserves memory for the classes of hot_classes.txt before
    it imports anything and builds each of them there (tui/ssh/hot_classes.py): the
    classes a session uses sit side by side (scattered, 267 took 276 pages), and
    Python's own `__build_class__` is back once preload() has imported everything."""
    code = (
        "import builtins, runpy, sys\n"
        "python_build_class = builtins.__build_class__\n"
        "sys.argv = ['factory']\n"
        "try:\n"
        "    runpy.run_module('tui.ssh.factory', run_name='__main__', alter_sys=True)\n"
        "except SystemExit:\n"
        "    pass\n"
        "import gc\n"
        "from tui.ssh import factory, hot_classes\n"
        "gc.disable()\n"
        "factory.preload()\n"
        "ranks = factory._KEPT_PROFILE[1]\n"
        "pages = set()\n"
        "for cls in ranks:\n"
        "    start = id(cls) - 16\n"
        "    end = start + hot_classes.request_size(cls) - 1\n"
        "    pages.update(range(start >> 12, (end >> 12) + 1))\n"
        "from tui.app import LeadqApp\n"
        "print(len(ranks) > 200, len(hot_classes.placed) > 150, LeadqApp in hot_classes.placed,\n"
        "      len(pages) < len(ranks) * 0.6, builtins.__build_class__ is python_build_class,\n"
        "      not hot_classes._chunks)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.stdout.strip() == "True True True True True True", result.stderr


_CLASSES = """
import enum, typing
T = typing.TypeVar("T")
class Meta(type):
    def __new__(meta, name, bases, ns, flag=None, **kwds):
        cls = super().__new__(meta, name, bases, ns, **kwds)
        cls.flag = flag
        return cls
class Named:
    def __set_name__(self, owner, name):
        self.name = name
class Base(metaclass=Meta, flag="base"):
    seen = []
    def __init_subclass__(cls, tag=None, **kwds):
        super().__init_subclass__(**kwds)
        Base.seen.append((cls.__name__, tag))
    def hello(self):
        return "base"
class Child(Base, tag="t"):
    field = Named()
    def hello(self):
        return "child of " + super().hello()
class Generic1(typing.Generic[T]):
    pass
class Colour(enum.Enum):
    RED = 1
    GREEN = 2
def outer(value):
    class Inner:
        got = value
        def again(self):
            return __class__
    return Inner
Inner = outer(42)
class KeyMeta(type):
    def __new__(meta, cls_name, bases, ns, /, **kwds):
        cls = super().__new__(meta, cls_name, bases, ns)
        cls.kwds = kwds
        return cls
    def __init__(cls, cls_name, bases, ns, /, **kwds):
        super().__init__(cls_name, bases, ns)
class Keyed(metaclass=KeyMeta, name="n", func="f"):
    pass
"""

_BUILD_THEM = """
import sys, typing
from tui.ssh import hot_classes
profile, source = sys.argv[1], open(sys.argv[2]).read()
names = ("Meta", "Named", "Keyed", "Base", "Child", "Generic1", "Colour", "Inner")
first = {"__name__": "__main__"}
exec(source, first)  # built by Python: the sizes their objects ask for
with open(profile, "w") as out:
    for name in names:
        cls = first[name]
        out.write(f"__main__ {cls.__qualname__} {hot_classes.request_size(cls)}\\n")
hot_classes.reserve(profile)
ns = {"__name__": "__main__"}
exec(source, ns)
hot_classes.release()
Base, Child, Generic1, Colour, Inner = (ns[n] for n in names[3:])
placed = sorted(cls.__qualname__ for cls in hot_classes.placed)
print(type(Child) is ns["Meta"], Base.flag, Child.flag, Base.seen, Child().hello(),
      Child.field.name, Generic1.__orig_bases__ == (typing.Generic[ns["T"]],),
      Generic1[int].__origin__ is Generic1, list(Colour), Inner.got,
      Inner().again() is Inner, ns["Keyed"].kwds == {"name": "n", "func": "f"},
      placed == sorted(first[n].__qualname__ for n in names))
"""


def test_a_class_built_into_its_reserved_memory_is_the_class_python_builds(
    tmp_path: Path,
) -> None:
    """hot_classes._build makes classes as CPython's `__build_class__` does: bases
    resolved through `__mro_entries__` (and `__orig_bases__` kept), a metaclass and
    its keywords, `__init_subclass__`, `__set_name__`, zero-argument `super()` (the
    `__class__` cell), a class defined in a function (its closure), an Enum (its own
    namespace), a class statement's keywords named `name` and `func` (psycopg has
    one); each one in the chunk reserved for it."""
    source = tmp_path / "classes.py"
    source.write_text(_CLASSES, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", _BUILD_THEM, str(tmp_path / "classes.txt"), str(source)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    expected = (
        "True base None [('Child', 't')] child of base field True True "
        "[<Colour.RED: 1>, <Colour.GREEN: 2>] 42 True True True"
    )
    assert result.stdout.strip() == expected, result.stderr


def test_the_hot_code_profile_names_what_the_factory_loads() -> None:
    """tui/ssh/hot_code.txt (written by `python -m tui.ssh.hot_code --write`) still names
    the functions the factory has: most of it is found and copied. A list gone stale
    (the app or Textual changed a lot) fails here: write it again."""
    code = (
        "import gc\n"
        "from tui.ssh import factory, hot_code\n"
        "gc.disable()\n"
        "names = hot_code.load()\n"
        "factory.preload()\n"
        "gc.unfreeze()\n"
        "print(len(names), hot_code.relocate(names))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    named, copied = (int(word) for word in result.stdout.split())
    assert named > 1000
    assert copied >= 0.9 * named, f"{copied} of {named} functions found: rewrite hot_code.txt"


def test_sessions_are_told_the_server_checked_their_database_file(
    served: ServeOptions,
) -> None:
    """The server checks the file at its start (`_check_database`); its sessions are
    told which file that was (device and inode), so that each does not check it again
    (models/opening.py CHECKED_FILE_ENV), over SSH and on the web alike."""
    from tui.serve import _sessions_trust_the_check

    _sessions_trust_the_check(served.db_url)
    identity = models.checked_file_identity(served.db_url)
    assert identity and identity.count(":") == 1
    env = LeadqServer(served).app_env("riley", "xterm-256color", {})
    assert env[models.CHECKED_FILE_ENV] == identity
    assert os.environ[models.CHECKED_FILE_ENV] == identity  # textual-serve copies it
