"""Key to paint on the account and contact lists over 1,000,000 rows each.

    python bench/bench_records.py [--rows 1000000] [--dir /tmp] [--db PATH] [--presses 30]

The database (N accounts, N contacts and N leads) is made once by
bench/records_db.py, set-based (about 5 minutes for a million of each here),
unless it exists; pending migrations are applied and leadq is byte-compiled
before anything is timed. In the app (Pilot's headless driver, 80x24) a key
event is posted as a terminal would; the time runs until the frame in which the
list shows the new data (all visible rows loaded) has been rendered: page down
(cached and uncached pages), End/Home, and search as you type (one key at a time,
with a typist's pause). The anchor, measured in the same run on the same
database, is the lead list doing the same keys over its N leads: the lists share
one engine (models.listing, tui.widgets.lead_table, tui.screens.list_screen), so
the ratio says what the account and contact lists cost beyond it. Medians; the
target is under 50 ms. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = {
    "lead": ("nancy", "contoso", "turing"),
    "account": ("aspen", "blue ridge", "contoso"),
    "contact": ("nancy", "edith", "kowal"),
}


async def key_to_paint(db: Path, kind: str, presses: int) -> dict[str, list[float]]:
    from textual import events

    import models
    from tui.app import LeadqApp
    from tui.widgets.lead_table import LeadTable

    models.open_database(f"sqlite:///{db}")
    user = models.get_user("admin")
    app = LeadqApp(user_id=user.id, poll=False)
    timings: dict[str, list[float]] = {"pagedown": [], "end/home": [], "search": []}
    cpu: dict[str, list[float]] = {name: [] for name in timings}
    async with app.run_test(size=(80, 24)) as pilot:
        if kind != "lead":
            app.action_open_list(kind)
            await pilot.pause(0.2)
        table = app.screen.query_one(LeadTable)
        waiting: dict[str, object] = {}
        real_render = type(table).render_lines

        def render_lines(crop):  # type: ignore[no-untyped-def]
            lines = real_render(table, crop)
            check = waiting.get("check")
            if check is not None and check():  # type: ignore[operator]
                waiting.pop("check")
                table.call_after_refresh(waiting["event"].set)  # type: ignore[attr-defined]
            return lines

        table.render_lines = render_lines  # type: ignore[method-assign]

        async def measure(key: str, character: str | None, check) -> float:  # type: ignore[no-untyped-def]
            event = asyncio.Event()
            waiting.update(event=event, check=check)
            began, began_cpu = time.perf_counter(), time.process_time()
            app.post_message(events.Key(key, character))
            await asyncio.wait_for(event.wait(), 30)
            name = "search" if character else "end/home" if key in ("end", "home") else key
            cpu[name].append((time.process_time() - began_cpu) * 1000)
            return (time.perf_counter() - began) * 1000

        deadline = time.monotonic() + 120
        while not (table.loaded and table.total) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await pilot.pause(0.5)

        def at_top(expected: int):  # type: ignore[no-untyped-def]
            return lambda: round(table.scroll_offset.y) == expected and table._all_visible_loaded()

        for _ in range(presses):
            top = round(table.scroll_offset.y)
            expected = min(top + table.body_height, table.row_count - table.body_height)
            timings["pagedown"].append(await measure("pagedown", None, at_top(expected)))
            await asyncio.sleep(0.03)
        for key in ("end", "home", "end", "home"):
            expected = 0 if key == "home" else table.row_count - table.body_height
            timings["end/home"].append(await measure(key, None, at_top(expected)))
            await asyncio.sleep(0.1)

        await pilot.press("slash")
        await pilot.pause(0.1)
        search = app.screen.query_one("#search")
        for word in WORDS[kind]:
            typed = ""
            for character in word:
                typed += character
                text = typed.strip()
                key = "space" if character == " " else character

                def done(text: str = text) -> bool:
                    return table.query_spec.search == text and table._all_visible_loaded()

                if text == table.query_spec.search:
                    search.insert_text_at_cursor(character)  # type: ignore[attr-defined]
                    continue
                timings["search"].append(await measure(key, character, done))
                await asyncio.sleep(0.15)
            search.value = ""  # type: ignore[attr-defined]
            while table.query_spec.search or not table._all_visible_loaded():
                await pilot.pause(0.05)
            await pilot.pause(0.2)
    models.close_database()
    return {**timings, **{f"{name} cpu": values for name, values in cpu.items()}}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    import bench_tui  # beside this script
    import records_db

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--db", type=Path, help="default: DIR/leadq_records_ROWS.db")
    parser.add_argument("--presses", type=int, default=30)
    args = parser.parse_args()
    db = args.db or args.dir / f"leadq_records_{args.rows}.db"
    if not db.exists():
        print(f"Making {db}: {args.rows:,} accounts, contacts and leads ...", file=sys.stderr)
        began = time.perf_counter()
        records_db.make_database(f"sqlite:///{db}", args.rows, say=lambda m: None)
        print(f"made in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    bench_tui.migrate_first(db)
    bench_tui.compile_bytecode()
    print(f"database: {db} ({db.stat().st_size / 1e6:.0f} MB)")
    print("key to paint, wall time and this process's CPU time (all threads) per key")
    results = {kind: asyncio.run(key_to_paint(db, kind, args.presses))
               for kind in ("lead", "account", "contact")}  # fmt: skip
    anchor = results["lead"]
    for name, values in anchor.items():
        print(f"lead     {name:13} median {median(values):6.1f} ms (n={len(values)})  (anchor)")
    for kind in ("account", "contact"):
        for name, values in results[kind].items():
            low, high = min(values), max(values)
            ratio = median(values) / median(anchor[name])
            print(
                f"{kind:8} {name:13} median {median(values):6.1f} ms (min {low:.1f}, max "
                f"{high:.1f}, n={len(values)})  lead list {median(anchor[name]):6.1f} ms  "
                f"RATIO {ratio:.2f}  target < 50 ms"
            )


if __name__ == "__main__":
    main()
