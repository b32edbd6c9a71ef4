"""Opening screens and the event loop's stalls, on a 1,000,000-lead SQLite database.

    python bench/bench_screens.py [--db PATH | --leads N --dir DIR] [--opens 15]
        [--skip-screens] [--skip-stalls] [--why] [--profile SCREEN]

1. Key to paint, per screen (Pilot's headless driver, 80x24): a key is posted to
   the app as a terminal would send it, and the time runs until the frame in
   which the new screen shows its record has been rendered (its view arrived and
   the screen refreshed after it). Opening a lead from the list (enter), its
   account from the lead (a), the settings (F2) and the qualifying processes
   (F3); each opened `--opens` times, back (escape) in between, medians. The
   list's leads are open and the account's lead is closed, so "lead" is an open
   lead shown on the detail that last showed a closed one; "lead, open after
   open" is the next lead of the list, opened right after.
   The anchor, in the same run: pushing a bare screen with a header, a static
   text and a footer on the same app (the least a new screen costs here).
2. The event loop's longest stall during a scripted session: open a lead, edit a
   field, save, add a note with a 25 MB attachment, qualify it (the result
   dialog), open the opportunity, back. A timer on the loop wakes every 5 ms and
   records how late it woke; the longest lateness is the longest time the loop
   could not run anything (a key would have waited that long). Printed for the
   session and for each of its steps. With --why, each stall over 50 ms says
   where the loop was: a watchdog thread samples the loop thread's stack while
   the loop is late, and full garbage collections are timed (see `LoopWatch`).

`bench/million.py` makes the database (a plainer one than seed.py, faster) unless
--db names an existing file. Figures and what they mean: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

TICK = 0.005


class LoopWatch:
    """How late a 5 ms timer on the event loop wakes: the loop's stalls.

    With `why`, a watchdog thread samples the loop thread's stack
    (`sys._current_frames()`) every millisecond while the timer is more than
    `WHY_LATE_MS` late, and full garbage collections are timed (`gc.callbacks`),
    so that each stall over 50 ms can say where the loop was (see `report`)."""

    def __init__(self, why: bool = False) -> None:
        self.stalls: list[float] = []
        self.ticks: list[tuple[float, float]] = []  # (when the tick began, how late)
        self._task: asyncio.Task[None] | None = None
        self._why = why
        self._beat = 0.0  # when the latest tick began (the watchdog's reference)
        self._samples: dict[float, list[tuple[str, ...]]] = collections.defaultdict(list)
        self._collections: list[
            tuple[float, float, int, int, int]
        ] = []  # began, ms, gen, freed, walked
        self._gc_walked = 0
        self._gc_began = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._marks: list[tuple[float, str]] = []

    def mark(self, step: str) -> None:
        """Note when a step of the session begins (the report's timeline)."""
        self._marks.append((time.perf_counter(), step))

    async def _run(self) -> None:
        while True:
            began = self._beat = time.perf_counter()
            await asyncio.sleep(TICK)
            late = max(0.0, time.perf_counter() - began - TICK) * 1000
            self.stalls.append(late)
            self.ticks.append((began, late))

    def start(self) -> None:
        self.stalls.clear()
        self.ticks.clear()
        self._task = asyncio.get_running_loop().create_task(self._run())
        if self._why:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._sample, args=(threading.get_ident(),), daemon=True
            )
            self._thread.start()
            gc.callbacks.append(self._gc_timed)

    def stop(self) -> float:
        assert self._task is not None
        self._task.cancel()
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            gc.callbacks.remove(self._gc_timed)
        return max(self.stalls, default=0.0)

    def _sample(self, loop_thread: int) -> None:
        # Every 5 ms while the loop keeps time, every millisecond while it is late:
        # a busier watchdog would keep Pilot's `wait_for_idle` (process time against
        # wall time) from ever seeing the app idle, and every key would wait 1 s.
        pause = 0.005
        while not self._stop.wait(pause):
            beat = self._beat
            late = (time.perf_counter() - beat - TICK) * 1000 >= WHY_LATE_MS
            pause = 0.001 if late else 0.005
            if not late:
                continue
            frame = sys._current_frames().get(loop_thread)
            stack: list[str] = []
            while frame is not None:
                code = frame.f_code
                stack.append(f"{_short(code.co_filename)}:{frame.f_lineno} {code.co_name}")
                frame = frame.f_back
            self._samples[beat].append(tuple(reversed(stack)))

    def _gc_timed(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            # A full collection walks every tracked object not frozen: counted first.
            self._gc_walked = len(gc.get_objects()) if info["generation"] == 2 else 0
            self._gc_began = time.perf_counter()
        elif info["generation"] == 2 or time.perf_counter() - self._gc_began > 0.01:
            took = (time.perf_counter() - self._gc_began) * 1000
            self._collections.append(
                (self._gc_began, took, info["generation"], info["collected"], self._gc_walked)
            )

    def by_step(self) -> dict[str, tuple[float, int]]:
        """The longest stall and the number over 50 ms in each step of the session (a
        tick belongs to the step under way when it began)."""
        steps: dict[str, tuple[float, int]] = {}
        marks = sorted(self._marks)
        for began, late in self.ticks:
            step = next((name for at, name in reversed(marks) if at <= began), "start")
            longest, over = steps.get(step, (0.0, 0))
            steps[step] = (max(longest, late), over + (late > 50))
        return steps

    def report(self, over_ms: float = 50.0) -> str:
        """Each stall over `over_ms`: its length, the collections in it, and where the
        loop was: samples grouped by the deepest frame of the project's own code on
        the stack (or, with none, the first frame below asyncio's dispatch), with
        the project's frames that led there and the library frames below it."""
        start = self.ticks[0][0] if self.ticks else 0.0
        lines = ["steps: " + ", ".join(f"+{at - start:.2f} s {step}" for at, step in self._marks)]
        full = [c for c in self._collections if c[2] == 2]
        lines.append(
            f"{len(full)} full collections: "
            + ", ".join(f"+{c[0] - start:.2f} s {c[1]:.0f} ms ({c[4]:,} objects)" for c in full)
        )
        for began, late in self.ticks:
            if late <= over_ms:
                continue
            lines.append(f"stall {late:.0f} ms at +{began - start:.2f} s")
            ended = began + TICK + late / 1000
            for at, took, generation, collected, walked in self._collections:
                if began <= at <= ended:
                    objects = f" of {walked:,} objects" if walked else ""
                    lines.append(
                        f"    gc: generation {generation} collection {took:.0f} ms, "
                        f"{collected:,} collected{objects} ({gc.get_freeze_count():,} frozen)"
                    )
            samples = self._samples.get(began, [])
            if not samples:
                lines.append("    no sample: the loop thread was not running Python")
                continue
            groups: dict[str, list[tuple[str, ...]]] = collections.defaultdict(list)
            for stack in samples:
                groups[_where(stack)].append(stack)
            lines.append(f"    {len(samples)} samples of the loop thread's stack, by place:")
            for key, stacks in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:4]:
                share = len(stacks) * 100 // len(samples)
                path = collections.Counter(_path_to(stack) for stack in stacks)
                below = collections.Counter(_below(stack, key) for stack in stacks)
                lines.append(f"    {share:3d}%  {key}")
                lines.append(f"          from {path.most_common(1)[0][0]}")
                for frames, n in below.most_common(2):
                    lines.append(f"          {n * 100 // len(stacks):3d}% then {frames}")
        return "\n".join(lines)


OURS = ("tui/", "models/")


PLUMBING = ("asyncio/", "textual/message_pump.py", "textual/_callback.py", "contextlib.py")
"""Frames that only carry a callback to its code (skipped to name the place)."""


def _where(stack: tuple[str, ...]) -> str:
    """The place a sample is counted at: a collection, the project's deepest frame,
    or the first frame below the loop's plumbing."""
    if any(" _gc_timed" in f for f in stack):
        return "(a garbage collection)"
    if stack[-1].endswith(" select"):
        return "(idle in select: the loop's thread not scheduled, or the GIL held elsewhere)"
    ours = [f for f in stack if f.startswith(OURS)]
    if ours:
        return ours[-1]
    plumbing = [i for i, f in enumerate(stack) if any(p in f for p in PLUMBING)]
    below = plumbing[-1] + 1 if plumbing else 0
    return stack[below] if below < len(stack) else stack[-1]


def _path_to(stack: tuple[str, ...]) -> str:
    ours = [
        f.split(" ")[1] + f"@{f.split(' ')[0].rsplit('/', 1)[-1]}"
        for f in stack
        if f.startswith(OURS)
    ]
    return " > ".join(ours[-4:]) or "(no project frame)"


def _below(stack: tuple[str, ...], key: str) -> str:
    if key not in stack:
        return "(itself)"
    index = max(i for i, f in enumerate(stack) if f == key)
    rest = stack[index + 1 :]
    if len(rest) > 4:
        rest = (*rest[:2], "…", *rest[-2:])
    return " > ".join(rest) or "(itself)"


WHY_LATE_MS = 20.0
"""How late the loop's timer must be before the watchdog samples the loop's stack."""


def _short(filename: str) -> str:
    """A path from the project's root, or from the installed package's folder."""
    for marker in ("site-packages" + os.sep, str(ROOT) + os.sep, "lib" + os.sep):
        if marker in filename:
            return filename.rsplit(marker, 1)[1]
    return filename


async def key_to_paint(db: Path, opens: int, profile: str | None = None) -> dict[str, list[float]]:
    from textual import events
    from textual.screen import Screen
    from textual.widgets import Footer, Header, Static

    import models
    from tui.app import LeadqApp
    from tui.loading import ViewScreen
    from tui.screens.lead_detail import LeadDetailScreen
    from tui.screens.processes import ProcessesScreen
    from tui.screens.records import AccountScreen
    from tui.screens.settings import SettingsScreen
    from tui.widgets.lead_table import LeadTable

    models.open_database(f"sqlite:///{db}")
    admin = models.current_user(1)
    ensure_records(admin)
    app = LeadqApp(user_id=admin.id, poll=False)
    timings: dict[str, list[float]] = {
        "bare screen (anchor)": [],
        "lead": [],
        "lead, open after open": [],
        "account": [],
        "settings": [],
        "processes": [],
    }
    arrived: dict[str, asyncio.Event] = {}
    cpu_ms: dict[str, list[float]] = collections.defaultdict(list)
    real_show = ViewScreen._arrived

    def arrived_then_painted(self: ViewScreen, wanted: int, result: Any) -> None:
        real_show(self, wanted, result)  # a screen built before is pushed here
        name = type(self).__name__
        if name in arrived and self.view is not None and self.is_current:
            self.call_after_refresh(arrived.pop(name).set)

    ViewScreen._arrived = arrived_then_painted  # type: ignore[method-assign]
    real_open_now = ViewScreen._open_now

    def opened_then_painted(self: ViewScreen) -> None:
        # A screen built off-stage (the first lead detail, `build_over`) has its view
        # before it is shown: it is pushed here, once built and laid out.
        real_open_now(self)
        name = type(self).__name__
        if name in arrived and self.view is not None and self.is_current:
            self.call_after_refresh(arrived.pop(name).set)

    ViewScreen._open_now = opened_then_painted  # type: ignore[method-assign]

    class BareScreen(Screen[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Header()
            yield Static("A bare screen")
            yield Footer()

        def on_mount(self) -> None:
            self.call_after_refresh(arrived.pop("BareScreen").set)

    profiler = None
    if profile:
        from pyinstrument import Profiler  # pip install pyinstrument

        profiler = Profiler(interval=0.0005, async_mode="disabled")

    async def measure(kind: type, post: Callable[[], object], case: str = "") -> float:
        event = asyncio.Event()
        arrived[kind.__name__] = event
        name = f"{kind.__name__}, {case}" if case else kind.__name__
        # Profiled from the second open on: the median is of screens built before.
        profiling = profiler is not None and kind.__name__ == profile and bool(cpu_ms[name])
        if profiling:
            profiler.start()
        began, cpu = time.perf_counter(), time.process_time()
        post()
        await asyncio.wait_for(event.wait(), 60)
        cpu_ms[name].append((time.process_time() - cpu) * 1000)
        took = (time.perf_counter() - began) * 1000
        if profiling:
            profiler.stop()
        return took

    def key(name: str) -> Callable[[], object]:
        return lambda: app.post_message(events.Key(name, None))

    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(LeadTable)
        while not (table.loaded and table.total):
            await pilot.pause(0.05)
        await pilot.pause(0.5)
        account_lead = models.lead_query("all", admin).where(models.Lead.account.is_null(False))
        account_lead_id = account_lead.first().id  # type: ignore[union-attr]

        async def back(kind: type) -> None:
            while not isinstance(app.screen, kind):
                await pilot.press("escape")
                await pilot.pause(0.05)
            await pilot.pause(0.1)

        for n in range(opens):
            timings["bare screen (anchor)"].append(
                await measure(BareScreen, lambda: app.push_screen(BareScreen()))
            )
            app.pop_screen()
            await pilot.pause(0.1)
            timings["lead"].append(await measure(LeadDetailScreen, key("enter")))
            await back(_list(app))
            await pilot.press("down")
            await pilot.pause(0.1)
            # The next lead of the list, open too, on the screen that showed an open
            # lead (the line above: an open lead on the screen that showed a closed one).
            timings["lead, open after open"].append(
                await measure(LeadDetailScreen, key("enter"), "open after open")
            )
            await back(_list(app))
            await pilot.press("down")
            await pilot.pause(0.1)
            app.open_lead(account_lead_id)
            while not (isinstance(app.screen, LeadDetailScreen) and app.screen.view is not None):
                await pilot.pause(0.02)
            await pilot.pause(0.1)
            timings["account"].append(await measure(AccountScreen, key("a")))
            await back(_list(app))
            timings["settings"].append(await measure(SettingsScreen, key("f2")))
            await back(_list(app))
            timings["processes"].append(await measure(ProcessesScreen, key("f3")))
            await back(_list(app))
            print(f"  round {n + 1}/{opens}", file=sys.stderr, end="\r")
    if profiler is not None:
        print(profiler.output_text(unicode=True, show_all=True), file=sys.stderr)
    names = [
        "BareScreen",
        "LeadDetailScreen",
        "LeadDetailScreen, open after open",
        "AccountScreen",
        "SettingsScreen",
        "ProcessesScreen",
    ]
    for name, key in zip(names, list(timings), strict=True):
        timings[f"{key}, CPU"] = cpu_ms[name]
    return timings


def _list(app: Any) -> type:
    from tui.screens.lead_list import LeadListScreen

    return LeadListScreen


def ensure_records(admin: Any) -> None:
    """A few qualified leads (an account to open), a process, and the feature on."""
    import models

    if models.Account.select().exists():
        return
    ids = [lead.id for lead in models.lead_query("all", admin).limit(5)]
    for lead_id in ids[:3]:
        try:
            models.qualify_lead(admin, lead_id, models.QualifyChoice(ignore_duplicates=True))
        except models.LeadqError:
            continue
    models.seed_demo_process(admin, ids[3:5])


async def session_stalls(db: Path, attachment: Path, why: bool = False) -> LoopWatch:
    from textual.widgets import Input

    import models
    from tui.app import LeadqApp
    from tui.screens.lead_detail import LeadDetailScreen
    from tui.screens.qualify_result import QualifyResultScreen
    from tui.screens.records import OpportunityScreen

    models.open_database(f"sqlite:///{db}")
    admin = models.current_user(1)
    lead = models.create_lead(
        admin,
        topic="Stall probe",
        first_name="Stella",
        last_name=f"Probe {time.time_ns()}",
        company=f"Probe {time.time_ns()} Ltd",
        email=f"stella{time.time_ns()}@probe.example",
    )
    app = LeadqApp(user_id=admin.id, poll=True)
    watch = LoopWatch(why)

    async def until(pilot: Any, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 120
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the scripted session did not get there")
            await pilot.pause(0.02)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(1.0)
        watch.start()
        watch.mark("open")
        app.open_lead(lead.id)
        await until(pilot, lambda: isinstance(app.screen, LeadDetailScreen) and app.screen.view)
        screen = app.screen
        screen.query_one("#f-city", Input).value = "Bergen"
        watch.mark("save")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: screen.view and screen.view.values["city"] == "Bergen")
        watch.mark("note")
        await pilot.press("n")
        await pilot.pause(0.2)
        watch.mark("type")
        await pilot.press(*"The deck")
        watch.mark("typed")
        path = screen.query_one("#attach-path", Input)
        path.value = str(attachment)
        path.focus()
        watch.mark("add note")
        await pilot.press("enter")
        await until(pilot, lambda: screen.view and len(screen.view.notes) == 1)
        screen.query_one("#detail-tabs Tabs").focus()
        watch.mark("qualify")
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QualifyResultScreen))
        watch.mark("result closed")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen and not screen.view.is_open)
        watch.mark("opportunity")
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, OpportunityScreen) and app.screen.view)
        watch.mark("back")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        await pilot.pause(0.5)
        watch.stop()
    return watch


def summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):7.1f} ms  "
        f"(min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="the database (made with --leads if absent)")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir()),
        help="where the database is made without --db (leadq_1m.db for 1,000,000 leads)",
    )
    parser.add_argument("--opens", type=int, default=15)
    parser.add_argument("--skip-stalls", action="store_true")
    parser.add_argument("--skip-screens", action="store_true", help="only part 2, the stalls")
    parser.add_argument(
        "--why",
        action="store_true",
        help="say where the loop was during each stall over 50 ms (its thread's stack "
        "sampled while the loop is late, full collections timed)",
    )
    parser.add_argument(
        "--profile",
        metavar="SCREEN",
        help="profile the event loop's thread while SCREEN opens again (a class name such "
        "as LeadDetailScreen; needs pyinstrument) and print where the time went",
    )
    args = parser.parse_args()
    if args.db is None:
        name = "leadq_1m.db" if args.leads == 1_000_000 else f"leadq_screens_{args.leads}.db"
        args.db = args.dir / name
    if not args.db.exists():
        from bench.million import make_database

        print(f"Making {args.db} ({args.leads:,} leads) ...", file=sys.stderr)
        make_database(args.db, args.leads)
    print(f"database: {args.db} ({args.db.stat().st_size / 1e6:.0f} MB)")
    if not args.skip_screens:
        timings = asyncio.run(key_to_paint(args.db, args.opens, args.profile))
        anchors = {
            "": statistics.median(timings["bare screen (anchor)"]),
            ", CPU": statistics.median(timings["bare screen (anchor), CPU"]),
        }
        for name, values in timings.items():
            anchor = anchors[", CPU" if name.endswith(", CPU") else ""]
            ratio = statistics.median(values) / anchor if anchor else 0
            print(f"key to paint, {name:26} {summary(values)}  RATIO {ratio:.2f}x")
    if not args.skip_stalls:
        with tempfile.NamedTemporaryFile(suffix=".bin") as attachment:
            attachment.write(os.urandom(25 * 1024 * 1024 - 1))
            attachment.flush()
            watch = asyncio.run(session_stalls(args.db, Path(attachment.name), args.why))
        stalls = watch.stalls
        longest = max(stalls)
        over = sum(1 for s in stalls if s > 50)
        if args.why:
            print(watch.report())
        print(
            "event loop, longest stall by step: "
            + ", ".join(
                f"{step} {longest:.0f} ms ({over} over 50)"
                for step, (longest, over) in watch.by_step().items()
            )
        )
        print(
            f"event loop, scripted session: longest stall {longest:.1f} ms, "
            f"median {statistics.median(stalls):.1f} ms over {len(stalls)} ticks, "
            f"{over} over 50 ms"
        )


if __name__ == "__main__":
    main()
