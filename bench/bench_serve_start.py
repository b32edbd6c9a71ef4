"""Session start of `leadq serve`: forked from the preloaded factory against a fresh
process per session (`--session-start fork` against `spawn`), in the same run.

Two servers (one per way) on loopback over the same seeded SQLite file, sessions
signed in with the real OpenSSH client, each `ssh -tt` on a pty of its own. For
each way:

- one session at a time, 10 times: seconds from starting `ssh` to the first
  painted lead list (the list's title and its cursor row in the output); median;
- 50 sessions opened together: seconds until the last one shows its list; every
  one must show it (no errors);
- the CPU time (utime + stime, /proc/PID/stat) each of those apps had used when
  the last list showed, and that of all of them with the server's and the
  factory's since the 50 were opened (with 2 cores, the time to the last list is
  about that total over 2);
- while those 50 show their lists: each session process's PSS (proportional set
  size, /proc/PID/smaps_rollup), median; and for fork the total with the factory's
  own PSS shared out over the sessions; as root, also where a forked session's
  resident memory comes from (/proc/PID/pagemap against the factory's): pages
  still shared with it, pages it copied on write, pages of its own.

Prints each figure and the ratio fork/spawn. Targets (issue 14): first list and
the 50's last list at most 0.3x, PSS per session at most 0.5x.

    python bench/bench_serve_start.py [--rounds 10] [--sessions 50]

As root the servers run their sessions as `nobody` (like the tests; see
tests/serve/serve_support.py for the Python that account can run).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import models  # noqa: E402
from tests.serve.serve_support import (  # noqa: E402
    account_dir,
    hand_over,
    real_app_args,
    serve_command,
    serve_env,
    wait_for_line,
)

USERS = ("riley", "sam", "morgan", "admin")
LIST_SHOWN = (b"Open leads", "▸".encode())
BOUND = 300.0
PAGE = os.sysconf("SC_PAGE_SIZE")
BREAKDOWN_SESSIONS = 5


def start_server(url: str, tmp: Path, how: str, sessions: int) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "LEADQ_DATA_DIR": str(tmp / "data"), "LEADQ_CONFIG_DIR": str(tmp / "c")}
    server = subprocess.Popen(
        [*serve_command(), "--demo", "--db", url, "--port", "0", "--session-start", how,
         "--max-sessions", str(sessions + 8), "--max-startups", str(sessions + 8),
         "--max-sessions-per-user", str(sessions), *real_app_args()],
        stdout=subprocess.PIPE, stderr=open(tmp / f"serve-{how}.log", "w"),  # noqa: SIM115
        env=serve_env(env), cwd=ROOT, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    port = int(wait_for_line(server.stdout, r"listening on 127\.0\.0\.1:(\d+)", 120)[1])
    return server, port


class Client:
    """`ssh -tt` on its own pty, its output kept."""

    def __init__(self, port: int, user: str) -> None:
        self.master, slave = pty.openpty()
        os.set_blocking(self.master, False)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            ["ssh", "-F", "/dev/null", "-tt", "-o", "StrictHostKeyChecking=no",
             "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
             "-o", "BatchMode=yes", "-o", "PubkeyAuthentication=no",
             "-p", str(port), f"{user}@127.0.0.1"],
            stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.output = bytearray()
        self.shown: float | None = None

    def read(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while data := os.read(self.master, 65536):
                self.output += data
        if self.shown is None and all(mark in self.output for mark in LIST_SHOWN):
            self.shown = time.monotonic() - self.started

    def quit(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, b"\x11")  # Ctrl+Q

    def close(self, bound: float = 30.0) -> None:
        """Quit, reading what ssh still writes (a full pty would block it), until it ends."""
        self.quit()
        deadline = time.monotonic() + bound
        while self.process.poll() is None and time.monotonic() < deadline:
            select.select([self.master], [], [], 0.2)
            self.read()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


def wait_shown(clients: list[Client], bound: float = BOUND) -> None:
    deadline = time.monotonic() + bound
    while any(c.shown is None for c in clients):
        if time.monotonic() > deadline:
            missing = [c for c in clients if c.shown is None]
            raise SystemExit(
                f"{len(missing)} sessions showed no list in {bound:g} s; one showed: "
                f"{bytes(missing[0].output[-300:])!r}"
            )
        waiting = [c.master for c in clients if c.shown is None]
        readable, _, _ = select.select(waiting, [], [], 0.5)
        for client in clients:
            if client.master in readable:
                client.read()
            if client.shown is None and client.process.poll() is not None:
                client.read()
                if client.shown is None:
                    raise SystemExit(f"a session ended: {bytes(client.output[-300:])!r}")


def descendants(pid: int) -> dict[int, int]:
    """{pid: ppid} of every process under `pid`."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
    found: dict[int, int] = {}
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier and p not in found}
        found.update({p: parents[p] for p in frontier})
    return found


def pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _resident(pid: int) -> dict[int, int]:
    """{virtual page address: physical frame} of every resident page of `pid`
    (/proc/PID/pagemap; the frames read as 0 without CAP_SYS_ADMIN)."""
    pages: dict[int, int] = {}
    with open(f"/proc/{pid}/pagemap", "rb", buffering=0) as pagemap:
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            fields = line.split()
            if fields[-1] == "[vsyscall]":
                continue
            start, end = (int(part, 16) for part in fields[0].split("-"))
            try:
                pagemap.seek(start // PAGE * 8)
                entries = pagemap.read((end - start) // PAGE * 8)
            except OSError:
                continue
            for index, (entry,) in enumerate(struct.iter_unpack("<Q", entries)):
                if entry >> 63:  # present
                    pages[start + index * PAGE] = entry & ((1 << 55) - 1)
    return pages


def against_factory(factory: int, session: int) -> dict[str, float] | None:
    """A forked session's resident memory in MiB: still the factory's pages
    ("shared"), copies of pages the factory has at the same address ("copied": the
    session wrote into what it inherited), pages the factory has not ("new").
    None without the privilege to read physical frames (root)."""
    ours, theirs = _resident(session), _resident(factory)
    if not any(ours.values()):
        return None
    kinds = {"shared": 0, "copied": 0, "new": 0}
    for address, frame in ours.items():
        inherited = theirs.get(address)
        kind = "new" if inherited is None else "shared" if inherited == frame else "copied"
        kinds[kind] += 1
    return {kind: count * PAGE / 2**20 for kind, count in kinds.items()}


def tty_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[4])


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """The process's own CPU time so far (utime + stime, /proc/PID/stat), all threads."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    return 0.0


def measure(url: str, tmp: Path, how: str, rounds: int, sessions: int) -> dict[str, float]:
    server, port = start_server(url, tmp, how, sessions)
    try:
        firsts = []
        for i in range(rounds):
            client = Client(port, USERS[i % len(USERS)])
            wait_shown([client])
            firsts.append(client.shown or 0.0)
            client.close()
        before = {p: cpu_seconds(p) for p in [server.pid, *descendants(server.pid)]}
        started = time.monotonic()
        clients = [Client(port, USERS[i % len(USERS)]) for i in range(sessions)]
        try:
            wait_shown(clients)
            last = time.monotonic() - started
            under = descendants(server.pid)
            apps = [p for p in under if tty_of(p) != 0]
            factories = [p for p in under if tty_of(p) == 0 and p not in apps]
            # CPU used while the 50 started: each app's (when the last list showed),
            # and the server's and the factory's (forks, SSH) since they were opened.
            app_cpu = [cpu_seconds(p) for p in apps]
            serving_cpu = sum(cpu_seconds(p) - before.get(p, 0.0) for p in [server.pid, *factories])
            time.sleep(1.0)  # the lists painted; let the first poll pass
            pss = [pss_kib(p) for p in apps]
            factory_pss = sum(pss_kib(p) for p in factories if under[p] == server.pid)
            breakdown = [
                against_factory(under[p], p) for p in apps[:BREAKDOWN_SESSIONS] if how == "fork"
            ]
        finally:
            for client in clients:
                client.quit()
            for client in clients:
                client.close()
        errors = (tmp / f"serve-{how}.log").read_text().count("Traceback")
        return {
            "first": statistics.median(firsts),
            "last": last,
            "apps": len(apps),
            "pss": statistics.median(pss) / 1024,
            "pss_total": (sum(pss) + (factory_pss if how == "fork" else 0)) / len(pss) / 1024,
            "errors": errors,
            "app_cpu": statistics.median(app_cpu),
            "cpu_total": sum(app_cpu) + serving_cpu,
            **{
                kind: statistics.median(b[kind] for b in breakdown)
                for kind in ("shared", "copied", "new")
                if breakdown and None not in breakdown
            },
        }
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--leads", type=int, default=200)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    with account_dir() as shared, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = f"sqlite:///{shared / 'leadq.db'}"
        from models import seeding

        models.open_database(url)
        seeding.seed(leads=args.leads)
        models.close_database()
        hand_over(shared)
        results = {}
        for how in ("spawn", "fork"):
            results[how] = measure(url, tmp, how, args.rounds, args.sessions)
            print(f"{how}: {results[how]}", flush=True)
    spawn, fork = results["spawn"], results["fork"]
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print()
    print(f"{'':40} {'spawn':>9} {'fork':>9} {'ratio':>7}  target")
    rows = [
        (f"first painted list, median of {args.rounds} (s)", "first", 0.3),
        (f"{args.sessions} together: last list shown (s)", "last", 0.3),
        ("PSS per session, median (MiB)", "pss", 0.5),
        ("PSS per session, factory shared out", "pss_total", 0.5),
    ]
    ok = True
    for label, key, target in rows:
        ratio = fork[key] / spawn[key]
        ok &= ratio <= target
        print(f"{label:40} {spawn[key]:9.2f} {fork[key]:9.2f} {ratio:6.2f}x  <= {target}x")
    for label, key in (
        (f"{args.sessions} together: CPU per app, median (s)", "app_cpu"),
        ("  and of all apps, server and factory (s)", "cpu_total"),
    ):
        print(f"{label:40} {spawn[key]:9.2f} {fork[key]:9.2f} {fork[key] / spawn[key]:6.2f}x")
    print(f"{'sessions measured / errors in the log':40} {spawn['apps']:>4}/{spawn['errors']:<4}"
          f" {fork['apps']:>4}/{fork['errors']:<4}")  # fmt: skip
    if "copied" in fork:
        print(
            f"a forked session's resident memory against its factory's, median of "
            f"{BREAKDOWN_SESSIONS} (MiB): still shared {fork['shared']:.1f}, copied on "
            f"write {fork['copied']:.1f}, new {fork['new']:.1f}"
        )
    ok &= spawn["errors"] == fork["errors"] == 0
    print("all targets met" if ok else "NOT all targets met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
