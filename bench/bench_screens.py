"""Opening screens and the event loop's stalls, on a 1,000,000-lead SQLite database.

    python bench/bench_screens.py [--db PATH] [--opens 15]

1. Key to paint, per screen (Pilot's headless driver, 80x24): a key is posted to
   the app as a terminal would send it, and the time runs until the frame in
   which the new screen shows its record has been rendered (its view arrived and
   the screen refreshed after it). Opening a lead from the list (enter), its
   account from the lead (a), the settings (F2) and the qualifying processes
   (F3); each opened `--opens` times, back (escape) in between, medians.
   The anchor, in the same run: pushing a bare screen with a header, a static
   text and a footer on the same app (the least a new screen costs here).
2. The event loop's longest stall during a scripted session: open a lead, edit a
   field, save, add a note with a 25 MB attachment, qualify it (the result
   dialog), open the opportunity, back. A timer on the loop wakes every 5 ms and
   records how late it woke; the longest lateness is the longest time the loop
   could not run anything (a key would have waited that long).

`bench/million.py` makes the database (a plainer one than seed.py, faster) unless
--db names an existing file. Figures and what they mean: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

TICK = 0.005


class LoopWatch:
    """How late a 5 ms timer on the event loop wakes: the loop's stalls."""

    def __init__(self) -> None:
        self.stalls: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(TICK)
            self.stalls.append(max(0.0, time.perf_counter() - began - TICK) * 1000)

    def start(self) -> None:
        self.stalls.clear()
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> float:
        assert self._task is not None
        self._task.cancel()
        return max(self.stalls, default=0.0)


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

    async def measure(kind: type, post: Callable[[], object]) -> float:
        event = asyncio.Event()
        arrived[kind.__name__] = event
        # Profiled from the second open on: the median is of screens built before.
        profiling = (
            profiler is not None and kind.__name__ == profile and bool(cpu_ms[kind.__name__])
        )
        if profiling:
            profiler.start()
        began, cpu = time.perf_counter(), time.process_time()
        post()
        await asyncio.wait_for(event.wait(), 60)
        cpu_ms[kind.__name__].append((time.process_time() - cpu) * 1000)
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
    names = ["BareScreen", "LeadDetailScreen", "AccountScreen", "SettingsScreen", "ProcessesScreen"]
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


async def session_stalls(db: Path, attachment: Path) -> tuple[float, list[float]]:
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
    watch = LoopWatch()

    async def until(pilot: Any, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 120
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the scripted session did not get there")
            await pilot.pause(0.02)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(1.0)
        watch.start()
        app.open_lead(lead.id)
        await until(pilot, lambda: isinstance(app.screen, LeadDetailScreen) and app.screen.view)
        screen = app.screen
        screen.query_one("#f-city", Input).value = "Bergen"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: screen.view and screen.view.values["city"] == "Bergen")
        await pilot.press("n")
        await pilot.pause(0.2)
        await pilot.press(*"The deck")
        path = screen.query_one("#attach-path", Input)
        path.value = str(attachment)
        path.focus()
        await pilot.press("enter")
        await until(pilot, lambda: screen.view and len(screen.view.notes) == 1)
        screen.query_one("#detail-tabs Tabs").focus()
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QualifyResultScreen))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen and not screen.view.is_open)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, OpportunityScreen) and app.screen.view)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        await pilot.pause(0.5)
        longest = watch.stop()
    return longest, watch.stalls


def summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):7.1f} ms  "
        f"(min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "leadq_1m.db")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--opens", type=int, default=15)
    parser.add_argument("--skip-stalls", action="store_true")
    parser.add_argument(
        "--profile",
        metavar="SCREEN",
        help="profile the event loop's thread while SCREEN opens again (a class name such "
        "as LeadDetailScreen; needs pyinstrument) and print where the time went",
    )
    args = parser.parse_args()
    if not args.db.exists():
        from bench.million import make_database

        print(f"Making {args.db} ({args.leads:,} leads) ...", file=sys.stderr)
        make_database(args.db, args.leads)
    print(f"database: {args.db} ({args.db.stat().st_size / 1e6:.0f} MB)")
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
            longest, stalls = asyncio.run(session_stalls(args.db, Path(attachment.name)))
        over = sum(1 for s in stalls if s > 50)
        print(
            f"event loop, scripted session: longest stall {longest:.1f} ms, "
            f"median {statistics.median(stalls):.1f} ms over {len(stalls)} ticks, "
            f"{over} over 50 ms"
        )


if __name__ == "__main__":
    main()
