"""Load: 20 SSH sessions at once against `leadq serve`, each working the real app.

`leadq serve --demo` runs as a subprocess on a free loopback port over a seeded
SQLite database; 20 asyncssh clients (spread over the four demo users) connect
at the same moment, wait for the lead list, change view, sort, search, move,
and quit. Every session must be served and end with exit status 0 within the
time bound, and the server log must hold no error. The memory of each session's
app process (RSS, read from /proc while all 20 are open) is printed; the figure
is quoted in docs/ssh.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import asyncssh
import pytest

import models

from .serve_support import (
    account_dir,
    hand_over,
    real_app_args,
    serve_command,
    serve_env,
    wait_for_line,
)

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = 20
TIME_BOUND = 150.0  # seconds for the whole run (CI shares two cores with another worker)
USERS = ("riley", "sam", "morgan", "admin")

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may contain spaces; fields after ")" are fixed.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return found


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


STATE: dict[int, str] = {}
SCREENS: dict[int, bytearray] = {}


async def _session(port: int, user: str, index: int, shown: asyncio.Event, go: asyncio.Event):
    STATE[index] = "connecting"
    async with asyncssh.connect(
        "127.0.0.1", port, username=user, client_keys=[], known_hosts=None,
        agent_path=None, config=[],
    ) as conn:  # fmt: skip
        process = await conn.create_process(
            term_type="xterm-256color", term_size=(80, 24), encoding=None
        )
        seen = SCREENS[index] = bytearray()
        STATE[index] = "waiting for the list"

        async def read_until(pattern: bytes) -> None:
            while pattern not in seen:
                chunk = await process.stdout.read(65536)
                if not chunk:
                    raise AssertionError(f"session {index} ended before showing {pattern!r}")
                seen.extend(chunk)

        async def pump() -> None:
            while True:
                chunk = await process.stdout.read(65536)
                if not chunk:
                    return
                seen.extend(chunk)

        await read_until(b"Open leads")
        await read_until(b" leads")
        shown.set()
        STATE[index] = "shown"
        await go.wait()  # every session is open at once before anyone acts
        reader = asyncio.ensure_future(pump())
        for keys in (b"v", b"s", b"S", b"1", b"/", b"an", b"\x1b", b"\x1b[B", b"\x1b[B"):
            process.stdin.write(keys)
            await asyncio.sleep(0.3)
        STATE[index] = "quitting"
        process.stdin.write(b"\x11")  # ctrl+q
        result = await process.wait()
        STATE[index] = "done"
        await reader
        return result.exit_status, bytes(seen)


def _apps(pid: int) -> list[int]:
    """The app processes under the server: its children (spawned) or its factory's
    (forked), those with a terminal (the factory has none)."""
    found = []
    for child in _children(pid):
        for candidate in (child, *_children(child)):
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[4]) != 0:
                    found.append(candidate)
    return found


@pytest.mark.parametrize("session_start", ["fork", "spawn"])
def test_twenty_sessions_at_once(tmp_path: Path, session_start: str) -> None:
    with account_dir() as shared:
        _twenty_sessions(tmp_path, shared, session_start)


def _twenty_sessions(tmp_path: Path, shared: Path, session_start: str) -> None:
    from models import seeding

    url = f"sqlite:///{shared / 'leadq.db'}"
    models.open_database(url)
    try:
        seeding.seed(leads=300)
    finally:
        models.close_database()
    hand_over(shared)
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "LEADQ_DATA_DIR": str(tmp_path / "data"),
        "LEADQ_CONFIG_DIR": str(tmp_path / "config"),
    }
    with open(log, "w") as log_file:  # the server keeps its own descriptor
        server = subprocess.Popen(
            [*serve_command(), "--demo", "--db", url, "--port", "0",
             "--max-sessions", str(SESSIONS), *real_app_args(),
             # All 20 sign in at the same instant: no random early drop below 32.
             "--max-startups", "32", "--session-start", session_start],
            stdout=subprocess.PIPE, stderr=log_file, env=serve_env(env), cwd=ROOT, text=True,
        )  # fmt: skip
    try:
        assert server.stdout is not None
        try:
            found = wait_for_line(server.stdout, r"listening on 127\.0\.0\.1:(\d+)", 120)
        except AssertionError as exc:
            raise AssertionError(f"leadq serve did not start: {exc}; {log.read_text()}") from None
        port = int(found[1])

        async def run_all() -> tuple[list, list[float], float]:
            shown = [asyncio.Event() for _ in range(SESSIONS)]
            go = asyncio.Event()
            started = time.monotonic()
            tasks = [
                asyncio.ensure_future(_session(port, USERS[i % len(USERS)], i, shown[i], go))
                for i in range(SESSIONS)
            ]
            waiting = asyncio.ensure_future(asyncio.gather(*(e.wait() for e in shown)))
            # Until every list shows; a session that ends before that has failed.
            await asyncio.wait([waiting, *tasks], return_when=asyncio.FIRST_COMPLETED,
                               timeout=TIME_BOUND)  # fmt: skip
            for task in tasks:
                if task.done():
                    waiting.cancel()
                    task.result()  # raises what went wrong
                    raise AssertionError("a session ended before it was asked to quit")
            assert all(e.is_set() for e in shown), f"lists not shown in time: {STATE}"
            all_open = time.monotonic() - started
            apps = _apps(server.pid)
            rss = [_rss_mib(pid) for pid in apps]
            go.set()
            remaining = TIME_BOUND - (time.monotonic() - started)
            try:
                results = await asyncio.wait_for(asyncio.gather(*tasks), max(remaining, 1))
            except TimeoutError:
                stuck = {i: STATE[i] for i in STATE if STATE[i] != "done"}
                tails = {i: bytes(SCREENS.get(i, b""))[-400:] for i in stuck}
                raise AssertionError(f"sessions not done in time: {stuck}; {tails}") from None
            return results, rss, all_open

        wall = time.monotonic()
        results, rss, all_open = asyncio.run(run_all())
        wall = time.monotonic() - wall
        server_rss = _rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(20)

    statuses = [status for status, _ in results]
    assert statuses == [0] * SESSIONS
    assert len(rss) == SESSIONS, f"expected {SESSIONS} app processes, found {len(rss)}"
    for _, screen in results:
        assert b"Traceback" not in screen
    text = log.read_text()
    assert "session failed" not in text and "Traceback" not in text
    assert text.count("app exited with 0") == SESSIONS
    print(
        f"\n{SESSIONS} sessions: all lists shown after {all_open:.1f} s, all done in {wall:.1f} s;"
        f" app RSS per session MiB: median {statistics.median(rss):.0f},"
        f" min {min(rss):.0f}, max {max(rss):.0f}, total {sum(rss):.0f};"
        f" server RSS {server_rss:.0f} MiB"
    )


def test_the_session_start_bench_runs_at_a_tiny_scale() -> None:
    """bench/bench_serve_start.py end to end with the real ssh, 1 round and 3 sessions
    each way: every session listed and measured, nothing in the logs. Its figures at
    this scale say nothing (the targets are for 10 rounds and 50 sessions), so its
    exit status (targets met or not) is not asserted."""
    import shutil

    if shutil.which("ssh") is None:
        pytest.fail("the bench needs OpenSSH's ssh (.ci/run installs it)")
    done = subprocess.run(
        [sys.executable, "bench/bench_serve_start.py", "--rounds", "1", "--sessions", "3",
         "--leads", "20"],
        cwd=ROOT, capture_output=True, text=True, timeout=TIME_BOUND,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert "PSS per session, median (MiB)" in done.stdout, done.stdout
    assert "sessions measured / errors in the log" in done.stdout
    measured = done.stdout.split("sessions measured / errors in the log")[1].split()
    assert measured[:2] == ["3/0", "3/0"], done.stdout
