"""Deactivation and key revocation over the real OpenSSH client (issue 8).

One `leadq serve --demo` on a seeded SQLite file; the administrator's changes are
made with the real `leadq user ...` command in a subprocess, as an operator would.
- A deactivated user's open session ends within the live-refresh poll, and the
  next sign-in is refused, with a key and even as a demo user under `--demo`.
- A revoked key is refused at the next sign-in; the session it opened goes on
  (as with sshd when a line leaves authorized_keys).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import models
from tui.ssh.account import sqlite_path

from .serve_support import (
    account_dir,
    hand_over,
    real_app_args,
    serve_command,
    serve_env,
    session_ids,
)
from .test_serve_e2e import (
    LIVE_WAIT,
    ROOT,
    SESSION_STARTS,
    WAIT,
    Served,
    Tmux,
    _require_tools,
    database,
    make_key,
    open_list,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=SESSION_STARTS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """`--demo`, plus `dana`: not a demo user, so she signs in with her key only. Each
    test runs with sessions forked by the factory and started afresh: the app looks
    its user up again at its start, and ends itself when the user is deactivated."""
    _require_tools()
    tmp = tmp_path_factory.mktemp(f"serve-users-{request.param}")
    with account_dir() as shared:
        server = start_server(
            tmp, f"sqlite:///{shared / 'leadq.db'}", 60, "--demo",
            "--session-start", request.param,
        )  # fmt: skip
        server.session_start = request.param
        server.keys["dana"] = make_key(tmp, "id_dana")
        server.keys["dana2"] = make_key(tmp, "id_dana2")
        # The keys go in on stdin: the command runs as the session account, which
        # cannot read pytest's temporary directory.
        dana, dana2 = ((tmp / f"{n}.pub").read_text() for n in ("id_dana", "id_dana2"))
        leadq_user(server, "add", "dana", "--name", "Dana Diaz", "--key", "-", stdin=dana)
        leadq_user(server, "add-key", "dana", "-", stdin=dana2)
        yield server
        stop_server(server)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    _require_tools()
    panes = Tmux()
    yield panes
    panes.kill()


def leadq_user(served: Served, *args: str, stdin: str | None = None) -> str:
    """Run `leadq user ...` against the served database, as the account the sessions
    run as (so that a SQLite -wal it creates stays theirs); its output."""
    drop: dict[str, object] = {}
    if "--run-as" in real_app_args():
        uid, gid = session_ids()
        drop = {"user": uid, "group": gid, "extra_groups": []}
    env = {k: v for k, v in os.environ.items() if k not in ("LEADQ_DB", "LEADQ_USER")}
    python = serve_command()[0]  # one the session account can run
    result = subprocess.run(
        [python, "-m", "tui", "--db", served.url, "user", *args], input=stdin,
        capture_output=True, text=True, env=serve_env(env), cwd=ROOT, timeout=WAIT, **drop,
    )  # fmt: skip
    path = sqlite_path(served.url)
    if path is not None:
        hand_over(path.parent)
    assert result.returncode == 0, result.stderr
    return result.stdout


def ssh_refused(served: Served, user: str, key: str | None = None) -> str:
    """Sign in without a terminal; the client's stderr, asserting it was refused."""
    argv = [a for a in served.ssh_argv(user, key) if a != "-t"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 255, result
    assert "Permission denied (publickey)" in result.stderr
    return result.stderr


def _keys_without(served: Served, user: str) -> Served:
    """The same server, with the client offering no key at all for `user`."""
    empty = served.tmp / "no-such-key"
    return Served(served.url, served.port, {**served.keys, user: empty}, served.tmp,
                  served.process, served.log)  # fmt: skip


def test_a_deactivated_user_is_ended_and_refused_then_reactivated(
    served: Served, tmux: Tmux
) -> None:
    pane = open_list(tmux, served, "riley")
    out = leadq_user(served, "deactivate", "riley")
    assert out.startswith("Deactivated riley")
    seconds = pane.wait_for("this session has ended.", LIVE_WAIT)
    pane.wait_for("EXIT=1")  # refused (docs/errors.md)
    screen = " ".join(pane.text().split())
    assert "leadq: the user riley was deactivated by an administrator" in screen
    assert pane.flag("alternate_on") == "0" and pane.flag("mouse_any_flag") == "0"
    print(f"\nthe open session ended {seconds:.2f} s after the deactivation")
    try:
        ssh_refused(served, "riley")  # with riley's registered key
        ssh_refused(_keys_without(served, "riley"), "riley")  # as a --demo user, no key
    finally:
        assert leadq_user(served, "reactivate", "riley").startswith("Reactivated riley")
    open_list(tmux, served, "riley")  # signs in again


def test_a_revoked_key_is_refused_next_time_and_its_open_session_goes_on(
    served: Served, tmux: Tmux
) -> None:
    pane = open_list(tmux, served, "dana")
    with database(served.url):
        fingerprint = models.key_fingerprint((served.tmp / "id_dana.pub").read_text())
    out = leadq_user(served, "revoke-key", "dana", fingerprint)
    assert out.splitlines() == [
        f"Revoked key {fingerprint} (id_dana) of dana.",
        "dana still has 1 key(s).",
    ]
    ssh_refused(served, "dana")  # the revoked key
    other = tmux.open(served.ssh_argv("dana", "dana2"))  # her other key still works
    other.wait_for("Open leads")
    other.send("C-q")
    other.wait_for("EXIT=0")
    # The session the revoked key opened goes on, live: it answers keys.
    pane.send("F1")
    pane.wait_for("This screen: ")
    assert "EXIT=" not in pane.text()

    out = leadq_user(served, "revoke-key", "dana", "id_dana2")
    assert "dana has no keys left and can no longer sign in over SSH" in out
    ssh_refused(served, "dana", "dana2")
    assert "EXIT=" not in pane.text()


def test_a_lookalike_of_a_demo_users_name_is_no_user(served: Served) -> None:
    """Cyrillic i (U+0456) in place of the Latin one: another name, and nobody's."""
    ssh_refused(served, "r\u0456ley", "riley")


def test_a_connection_kept_open_opens_nothing_once_its_user_is_deactivated(
    served: Served,
) -> None:
    """An OpenSSH ControlMaster keeps sam's connection signed in; once sam is
    deactivated, new channels on it are refused too: SFTP, and the app (which looks
    the user up again at its start)."""
    if shutil.which("sftp") is None:
        pytest.fail("this test needs the OpenSSH sftp client")
    control = Path(tempfile.mkdtemp(prefix="lq-cm-"))  # a short path for the socket
    options = [
        "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
        "-i", str(served.keys["sam"]), "-o", f"ControlPath={control / 'sock'}",
    ]  # fmt: skip
    target = "sam@127.0.0.1"
    master = subprocess.Popen(
        ["ssh", *options, "-o", "ControlMaster=yes", "-N", "-p", str(served.port), target],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip

    def master_alive() -> bool:
        check = ["ssh", *options, "-O", "check", "-p", str(served.port), target]
        return subprocess.run(check, capture_output=True, timeout=WAIT).returncode == 0

    def sftp_ls() -> subprocess.CompletedProcess:
        batch = control / "batch"
        batch.write_text("ls\n")
        return subprocess.run(
            ["sftp", *options, "-o", "ControlMaster=no", "-P", str(served.port),
             "-b", str(batch), target],
            capture_output=True, text=True, timeout=WAIT,
        )  # fmt: skip

    try:
        deadline = time.monotonic() + WAIT
        while not master_alive():
            assert master.poll() is None and time.monotonic() < deadline, "no master"
            time.sleep(0.1)
        assert sftp_ls().returncode == 0  # through the master, before
        leadq_user(served, "deactivate", "sam")
        refused = sftp_ls()
        assert refused.returncode != 0, refused
        app = subprocess.run(
            ["ssh", *options, "-o", "ControlMaster=no", "-tt", "-p", str(served.port), target],
            capture_output=True, text=True, timeout=WAIT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert app.returncode == 1, app  # refused (docs/errors.md)
        assert "The leadq user 'sam' is deactivated and cannot sign in." in app.stdout
        assert master_alive()  # the refusals came over the connection kept open
    finally:
        leadq_user(served, "reactivate", "sam")
        master.terminate()
        master.wait(WAIT)
        shutil.rmtree(control, ignore_errors=True)
