"""TUI benchmarks on a 1,000,000-lead SQLite database.

    python bench/bench_tui.py [--db PATH] [--runs 5]

1. Start to first painted lead list, leadq vs the bare app (bench/bare_app.py:
   the same widgets, no data), each in its own process on its own 80x24
   pseudo-terminal, alternating runs; medians and the ratio.
2. Resident memory of each process one second after its first paint (leadq:
   a million leads in the database, the list open, the count done).
3. Key-to-paint in the app (Pilot's headless driver, 80x24): a key event is
   posted to the app as a terminal would; the time runs until the frame in
   which the list shows the new data (all visible rows loaded) has been
   rendered. Page down (cached and uncached pages, End, Home) and search as
   you type (one key at a time, each after a pause: a key searches at once
   when the previous search's rows are shown).

Pending migrations are applied (and timed) before anything is measured: the
first start after an upgrade is not a start-up figure.

The database is made once with seed.py (`--leads 1000000`) unless --db names
an existing file; `bench/million.py` makes a plainer one faster. leadq is
byte-compiled first, as an installed copy is (see compile_bytecode). Figures and
what they mean: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ------------------------------------------------------------ child: leadq
def child_leadq(start: float, result: str, db: str, username: str) -> None:
    """Start leadq the way the `leadq` command does, reporting its first paint."""
    from tui import cli

    url = f"sqlite:///{db}"
    cli.skip_postgres_drivers(url)  # what cli.main does first (before models loads)
    from tui.widgets import lead_table

    state: dict[str, float] = {}

    def report(table: lead_table.LeadTable) -> None:
        state["rss_kib"] = rss_kib()
        state["count"] = table.total or 0
        Path(result).write_text(json.dumps(state))
        table.app.exit()

    def painted(table: lead_table.LeadTable) -> None:
        if "first_paint" not in state:
            state["first_paint"] = time.time() - start
            table.app.set_timer(1.0, lambda: report(table))

    original = lead_table.LeadTable.on_mount

    def on_mount(self: lead_table.LeadTable) -> None:
        original(self)
        self.paint_listeners.append(painted)

    lead_table.LeadTable.on_mount = on_mount  # type: ignore[method-assign]
    cli.main(["--db", url, "--no-seed", "--user", username])


def run_in_pty(argv: list[str], env: dict[str, str]) -> None:
    """Run `argv` on a fresh 80x24 pseudo-terminal, draining its output."""
    import pty  # the parent's only (as statistics): not in the leadq child it measures

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

    def drain() -> None:
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    proc.wait(timeout=120)
    reader.join(timeout=5)
    os.close(master)


def startup_runs(db: Path, runs: int, username: str) -> dict[str, list[dict[str, float]]]:
    env = {**os.environ, "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    env["LEADQ_CONFIG_DIR"] = tempfile.mkdtemp(prefix="leadq-bench-")
    results: dict[str, list[dict[str, float]]] = {"bare": [], "leadq": []}
    for _ in range(runs):
        for name in ("bare", "leadq"):
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
                path = out.name
            start = time.time()
            if name == "bare":
                argv = [sys.executable, str(ROOT / "bench" / "bare_app.py"), repr(start), path]
            else:
                argv = [sys.executable, __file__, "--child", repr(start), path, str(db), username]
            run_in_pty(argv, env)
            results[name].append(json.loads(Path(path).read_text()))
            os.unlink(path)
    return results


# ------------------------------------------------------- key to paint
async def key_to_paint(db: Path, presses: int) -> dict[str, list[float]]:
    from textual import events

    import models
    from tui.app import LeadqApp
    from tui.widgets.lead_table import LeadTable

    models.open_database(f"sqlite:///{db}")
    user = models.User.select().order_by(models.User.id).first()
    app = LeadqApp(user_id=user.id, poll=False)
    timings: dict[str, list[float]] = {"pagedown": [], "end/home": [], "search": []}
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(LeadTable)
        waiting: dict[str, object] = {}

        def render_lines(crop):  # type: ignore[no-untyped-def]
            lines = LeadTable.render_lines(table, crop)
            check = waiting.get("check")
            if check is not None and check():  # type: ignore[operator]
                waiting.pop("check")
                table.call_after_refresh(waiting["event"].set)  # type: ignore[attr-defined]
            return lines

        table.render_lines = render_lines  # type: ignore[method-assign]

        async def measure(key: str, character: str | None, check) -> float:  # type: ignore[no-untyped-def]
            event = asyncio.Event()
            waiting.update(event=event, check=check)
            began = time.perf_counter()
            app.post_message(events.Key(key, character))
            await asyncio.wait_for(event.wait(), 30)
            return (time.perf_counter() - began) * 1000

        while not (table.loaded and table.total):
            await pilot.pause(0.05)
        await pilot.pause(0.5)

        def at_top(expected: int):  # type: ignore[no-untyped-def]
            return lambda: round(table.scroll_offset.y) == expected and table._all_visible_loaded()

        for _ in range(presses):
            top = round(table.scroll_offset.y)
            expected = min(top + table.body_height, table.row_count - table.body_height)
            timings["pagedown"].append(await measure("pagedown", None, at_top(expected)))
            await asyncio.sleep(0.03)
        for key in ("end", "home", "end", "home", "end", "home"):
            expected = 0 if key == "home" else table.row_count - table.body_height
            timings["end/home"].append(await measure(key, None, at_top(expected)))
            await asyncio.sleep(0.1)

        await pilot.press("slash")
        search = app.screen.query_one("#search")
        for word in ("nancy", "contoso", "turing", "allen hopper"):
            typed = ""
            for character in word:
                typed += character
                text = typed.strip()
                key = "space" if character == " " else character

                def done(text: str = text) -> bool:
                    return table.query_spec.search == text and table._all_visible_loaded()

                if text == table.query_spec.search:
                    search.insert_text_at_cursor(character)  # a trailing space: no new search
                    continue
                timings["search"].append(await measure(key, character, done))
                await asyncio.sleep(0.15)  # a pause between keys, as a brisk typist's
            search.value = ""
            while table.query_spec.search or not table._all_visible_loaded():
                await pilot.pause(0.05)
            await pilot.pause(0.2)
    return timings


# ------------------------------------------------------------------ main
def summary(values: list[float]) -> str:
    import statistics

    median = statistics.median(values)
    low, high = min(values), max(values)
    return f"median {median:7.1f} ms  (min {low:.1f}, max {high:.1f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "leadq_1m.db")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--skip-startup", action="store_true", help="key to paint only")
    parser.add_argument("--skip-keys", action="store_true", help="start-up and memory only")
    parser.add_argument(
        "--child", nargs=4, metavar=("START", "RESULT", "DB", "USER"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        start, result, db, username = args.child
        child_leadq(float(start), result, db, username)
        return
    if not args.db.exists():
        print(f"Making {args.db} with seed.py --leads {args.leads} ...", file=sys.stderr)
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "seed.py"),
                "--db",
                f"sqlite:///{args.db}",
                "--leads",
                str(args.leads),
                "--quiet",
            ],
            check=True,
        )
    print(f"database: {args.db} ({args.db.stat().st_size / 1e6:.0f} MB)")
    username = migrate_first(args.db)
    compile_bytecode()
    if not args.skip_startup:
        startup(args, username)
    if not args.skip_keys:
        timings = asyncio.run(key_to_paint(args.db, args.presses))
        for name, values in timings.items():
            print(f"key to paint, {name:9} {summary(values)}")


def compile_bytecode() -> None:
    """Byte-compile leadq first, as an installed copy is (pip does it; Python does it
    on the first run unless PYTHONDONTWRITEBYTECODE is set, as it is in some dev
    shells): otherwise leadq's start-up would include compiling its own sources
    while the anchor loads Textual's cached bytecode."""
    import compileall

    for package in ("models", "tui"):
        compileall.compile_dir(str(ROOT / package), quiet=1)
    compileall.compile_file(str(ROOT / "bench" / "bench_tui.py"), quiet=1)


def migrate_first(db: Path) -> str:
    """Apply pending migrations (timed, not counted); return the user both parts sign
    in as: the first user, whichever script made the file (seed.py's is ada,
    bench/million.py's admin)."""
    import models

    began = time.perf_counter()
    models.open_database(f"sqlite:///{db}", run_migrations=False)
    pending = models.db.pending_migrations(models.database_proxy.obj)
    if pending:
        models.db.migrate(models.database_proxy.obj)
        took = time.perf_counter() - began
        print(f"migrated first ({', '.join(pending)}): {took:.1f} s, not counted")
    user = models.User.select().order_by(models.User.id).first()
    models.close_database()
    if user is None:
        sys.exit(f"{db} has no users: make it with seed.py or bench/million.py")
    return user.username


def startup(args: argparse.Namespace, username: str) -> None:
    import statistics

    results = startup_runs(args.db, args.runs, username)
    bare_paint = statistics.median(r["first_paint"] for r in results["bare"]) * 1000
    leadq_paint = statistics.median(r["first_paint"] for r in results["leadq"]) * 1000
    bare_rss = statistics.median(r["rss_kib"] for r in results["bare"]) / 1024
    leadq_rss = statistics.median(r["rss_kib"] for r in results["leadq"]) / 1024
    count = int(results["leadq"][0]["count"])
    print(f"leads in the open view: {count:,}")
    print(
        f"start to first paint: bare {bare_paint:.0f} ms, leadq {leadq_paint:.0f} ms, "
        f"ratio {leadq_paint / bare_paint:.2f} (limit 1.5)  [medians of {args.runs}]"
    )
    print(
        f"resident memory:      bare {bare_rss:.1f} MiB, leadq {leadq_rss:.1f} MiB, "
        f"ratio {leadq_rss / bare_rss:.2f} (limit 1.5)"
    )


if __name__ == "__main__":
    main()
