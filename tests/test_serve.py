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
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncssh
import pytest

import models
from tui.serve import serve_main
from tui.ssh.hostkey import HostKeyError, host_key_path, load_or_create_host_key
from tui.ssh.server import LeadqServer, ServeOptions, is_loopback

ROOT = Path(__file__).resolve().parent.parent

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
        "EVIL", "LEADQ_CONFIG_DIR", "SSH_AUTH_SOCK")},
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
def served(
    sqlite_db: object,
    tmp_path: Path,
    keys: dict[str, asyncssh.SSHKey],
    monkeypatch: pytest.MonkeyPatch,
) -> ServeOptions:
    """A database with riley (rep, key) and ada (admin, key) and sam (no key), and
    options that run the fake app."""
    models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)
    models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    models.create_user("sam", "Sam Demo", models.Role.SALESPERSON)
    for name in ("riley", "ada"):
        models.add_user_key(name, keys[name].export_public_key().decode())
    app = tmp_path / "fake_app.py"
    app.write_text(FAKE_APP)
    monkeypatch.setenv("FAKE_MARKER", str(tmp_path / "marker"))
    monkeypatch.setenv("LEADQ_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    db_url = f"sqlite:///{tmp_path / 'leadq.db'}"
    return ServeOptions(
        db_url=db_url,
        host="127.0.0.1",
        port=0,
        data_dir=tmp_path / "data",
        app_command=(sys.executable, str(app)),
        hangup_grace=0.5,
        demo_users=frozenset({"sam", "ghost"}),
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


def _serve_args(**overrides: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "db": None, "user": None, "host": "127.0.0.1", "port": 0, "demo": False,
        "force": False, "max_sessions": 32, "idle_timeout": 1800, "color_system": None,
        "web": False,
    }  # fmt: skip
    values.update(overrides)
    return argparse.Namespace(**values)


def test_demo_and_web_refuse_a_non_loopback_address_without_force(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert serve_main(_serve_args(host="0.0.0.0", demo=True)) == 2
    assert "--demo" in capsys.readouterr().err
    assert serve_main(_serve_args(host="192.168.1.20", demo=True)) == 2
    assert serve_main(_serve_args(host="0.0.0.0", web=True)) == 2
    assert "--web" in capsys.readouterr().err
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("10.0.0.1")


def test_serve_refuses_an_empty_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert serve_main(_serve_args(db=f"sqlite:///{tmp_path / 'empty.db'}")) == 2
    assert "no users" in capsys.readouterr().err


# Refusals: only the app runs.


def test_exec_subsystem_and_forwarding_are_refused(served: ServeOptions, keys: dict) -> None:
    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.run("cat /etc/passwd")
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.create_process(subsystem="sftp")
            with pytest.raises((asyncssh.ChannelOpenError, asyncssh.SFTPError)):
                await conn.start_sftp_client()
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
        assert info["argv"] == [
            "--db", served.db_url, "--user", "riley", "--no-seed"
        ]  # fmt: skip
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


def test_an_app_that_is_killed_leaves_the_terminal_reset(served: ServeOptions, keys: dict) -> None:
    async def body(server: LeadqServer) -> None:
        async with connect(server, "riley", keys["riley"]) as conn:
            process, info = await open_app(conn)
            os.kill(info["pid"], 9)
            result = await process.wait()
            assert result.exit_status == 128 + 9
            tail = result.stdout
            assert b"\x1b[?1000l" in tail and b"\x1b[?1049l" in tail and b"\x1b[?25h" in tail
            assert b"leadq: the app was stopped." in tail

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
    served: ServeOptions, keys: dict, tmp_path: Path
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
    assert (tmp_path / "marker").read_text() == "HUP\n"


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
            assert b"\x1b[?1000l" in result.stdout and b"\x1b[?1049l" in result.stdout

    with_server(served, body)


def test_connections_that_have_not_signed_in_are_bounded(served: ServeOptions, keys: dict) -> None:
    served.max_pending_auth = 1

    async def body(server: LeadqServer) -> None:
        loop = asyncio.get_running_loop()
        silent = socket.create_connection(("127.0.0.1", server.port))  # holds the one slot
        try:
            for _ in range(100):
                if server.pending_auth == 1:
                    break
                await asyncio.sleep(0.02)
            with pytest.raises((asyncssh.DisconnectError, ConnectionError, OSError)):
                await connect(server, "riley", keys["riley"])
        finally:
            await loop.run_in_executor(None, silent.close)
        for _ in range(100):
            if server.pending_auth == 0:
                break
            await asyncio.sleep(0.02)
        async with connect(server, "riley", keys["riley"]) as conn:
            assert conn.get_extra_info("username") == "riley"

    with_server(served, body)


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


async def _web_screen(base: str, token: str) -> bytes:
    """What the app sends over the page's websocket until its lead list shows."""
    import aiohttp

    seen = bytearray()
    url = base.replace("http", "ws") + "/ws?width=100&height=30"
    async with (
        aiohttp.ClientSession(cookies={"leadq_token": token}) as http,
        http.ws_connect(url) as ws,
    ):
        deadline = time.monotonic() + 40
        while b"Open leads" not in seen and time.monotonic() < deadline:
            message = await ws.receive(timeout=40)
            if message.type == aiohttp.WSMsgType.BINARY:
                seen.extend(message.data)
            elif message.type != aiohttp.WSMsgType.TEXT:
                break
    return bytes(seen)


def test_web_needs_the_printed_token(sqlite_db: object, tmp_path: Path) -> None:
    models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    models.close_database()
    port = _free_port()
    env = {**os.environ, "LEADQ_DATA_DIR": str(tmp_path / "data")}
    server = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--web", "--port", str(port),
         "--db", f"sqlite:///{tmp_path / 'leadq.db'}", "--user", "ada"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT, text=True,
    )  # fmt: skip
    try:
        url = None
        deadline = time.monotonic() + 30
        assert server.stdout is not None
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            found = re.search(r"open (http://\S+)", line)
            if found:
                url = found.group(1)
                break
        assert url is not None, "leadq serve --web printed no URL"
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
        # The page's websocket, with the cookie, runs the app signed in as ada.
        screen = asyncio.run(_web_screen(base, token))
        assert b"Open leads" in screen and b"Ada Admin" in screen
    finally:
        server.terminate()
        server.wait(10)
