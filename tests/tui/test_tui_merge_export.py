"""Export from the lead list and the merge screen, driven with Pilot; 80x24 snapshots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select

import models
from models.file_area import FileArea
from tui.screens.confirm import ConfirmScreen
from tui.screens.export_dialog import ExportDialog
from tui.screens.merge import MergeScreen

from ..conftest import make_lead
from ..helpers import freeze_times, list_settled, make_app, wait_until


def twins(ada: models.User) -> tuple[models.Lead, models.Lead]:
    first = make_lead(ada, city="", job_title="Buyer")
    second = make_lead(ada, city="Seattle", job_title="CFO", topic="Desks")
    return first, second


async def select(pilot: Pilot, ids: list[int]) -> None:
    table = pilot.app.screen.table  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: table.total is not None)
    table.set_selection(ids)
    await pilot.pause()


@pytest.mark.asyncio
async def test_export_the_selection_to_a_file(ada: models.User, tmp_path: Path) -> None:
    _first, second = twins(ada)
    target = tmp_path / "picked.jsonl"
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await select(pilot, [second.id])
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        dialog = app.screen
        dialog.query_one("#format", Select).value = "jsonl"
        await pilot.pause()
        dialog.query_one("#target", Input).value = str(target)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportDialog))
    (line,) = target.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["topic"] == "Desks"


@pytest.mark.asyncio
async def test_export_in_a_served_session_goes_to_the_file_area(
    ada: models.User, tmp_path: Path
) -> None:
    twins(ada)
    area = FileArea.for_user(tmp_path / "areas", "ada")
    app = make_app(ada)
    app.file_area = area
    async with app.run_test(size=(80, 24)) as pilot:
        await select(pilot, [])
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        app.screen.query_one("#target", Input).value = "../../escape.csv"
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        await wait_until(
            pilot,
            lambda: (
                "file name" in str(app.screen.query_one("#result").render())
                or "/" in str(app.screen.query_one("#result").render())
            ),
        )
        assert isinstance(app.screen, ExportDialog)  # refused: names, not paths
        app.screen.query_one("#target", Input).value = "open.csv"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportDialog))
    assert area.read("open.csv").decode().count("\n") == 3
    assert not (tmp_path / "escape.csv").exists()


def result_text(app: object) -> str:
    return str(app.screen.query_one("#result").render())  # type: ignore[attr-defined]


async def export_to(pilot: Pilot, target: str) -> None:
    await pilot.press("x")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExportDialog))
    pilot.app.screen.query_one("#target", Input).value = target
    await pilot.press("ctrl+s")


@pytest.mark.asyncio
async def test_export_never_replaces_a_file_locally_or_in_the_file_area(
    ada: models.User, tmp_path: Path
) -> None:
    twins(ada)
    kept = tmp_path / "kept.csv"
    kept.write_text("mine\n", encoding="utf-8")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await select(pilot, [])
        await export_to(pilot, str(kept))
        await wait_until(pilot, lambda: "already exists" in result_text(app))
    assert kept.read_text(encoding="utf-8") == "mine\n"
    assert [p.name for p in tmp_path.iterdir() if "csv" in p.name] == ["kept.csv"]

    area = FileArea.for_user(tmp_path / "areas", "ada")
    area.write("leads.csv", b"mine\n")
    app = make_app(ada)
    app.file_area = area
    async with app.run_test(size=(80, 24)) as pilot:
        await select(pilot, [])
        await export_to(pilot, "leads.csv")
        await wait_until(pilot, lambda: "already" in result_text(app))
        assert isinstance(app.screen, ExportDialog)
    assert area.read("leads.csv") == b"mine\n"


@pytest.mark.asyncio
async def test_a_served_export_over_the_file_size_limit_stops_and_writes_nothing(
    ada: models.User, tmp_path: Path
) -> None:
    for _ in range(30):
        make_lead(ada, summary="x" * 200)
    limits = models.FileLimits(per_file=2_000, per_user=100_000, files=10)
    area = FileArea.for_user(tmp_path / "areas", "ada", limits)
    app = make_app(ada)
    app.file_area = area
    async with app.run_test(size=(80, 24)) as pilot:
        await select(pilot, [])
        await export_to(pilot, "all.csv")
        await wait_until(pilot, lambda: "the most a file in your area" in result_text(app))
    assert area.files() == []


@pytest.mark.asyncio
async def test_merge_screen_takes_values_side_by_side(ada: models.User) -> None:
    first, second = twins(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await select(pilot, [first.id, second.id])
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, MergeScreen))
        screen = app.screen
        await wait_until(pilot, lambda: bool(screen.query("#fields")))
        table = screen.query_one("#fields", DataTable)
        await wait_until(pilot, lambda: table.row_count > 0)
        keys = [row.value for row in table.rows]
        assert keys[:3] == ["topic", "job_title", "city"]  # the differing fields first
        assert screen.choices["city"] == second.id  # blank on the master: the other's
        table.move_cursor(row=1)  # job title
        await pilot.press("2")
        assert screen.choices["job_title"] == second.id
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert models.get_lead(second.id).is_open  # asked first
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(app.screen, (MergeScreen, ConfirmScreen)))
    master = models.get_lead(first.id)
    assert (master.job_title, master.city, master.topic) == ("CFO", "Seattle", first.topic)
    assert models.get_lead(second.id).status_reason == "merged"


@pytest.mark.asyncio
async def test_merge_needs_two_to_five_and_says_refusals(ada: models.User) -> None:
    first, second = twins(ada)
    models.disqualify_lead(ada, second.id, "lost")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await select(pilot, [first.id])
        await pilot.press("m")
        await pilot.pause()
        assert not isinstance(app.screen, MergeScreen)
        app.push_screen(MergeScreen([first.id, second.id]))
        await wait_until(pilot, lambda: isinstance(app.screen, MergeScreen))
        screen = app.screen
        await wait_until(pilot, lambda: bool(screen.query("#result")))
        result = screen.query_one("#result")
        await wait_until(pilot, lambda: "only open leads" in str(result.render()))
        assert screen.query_one("#fields", DataTable).row_count == 0  # said before asking
        await pilot.press("f6")
    assert models.get_lead(first.id).is_open


def _settle(pilot: Pilot) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


def test_snapshot_merge_screen(ada: models.User, snap_compare) -> None:  # type: ignore[no-untyped-def]
    first, second = twins(ada)

    async def run_before(pilot: Pilot) -> None:
        pilot.app.push_screen(MergeScreen([first.id, second.id]))
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MergeScreen))
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("#fields")))
        table = pilot.app.screen.query_one("#fields", DataTable)
        await wait_until(pilot, lambda: table.row_count > 0)
        await pilot.pause()

    assert snap_compare(make_app(ada), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_export_dialog(ada: models.User, snap_compare) -> None:  # type: ignore[no-untyped-def]
    twins(ada)
    freeze_times()  # the list under the dialog shows its leads' dates

    async def run_before(pilot: Pilot) -> None:
        await list_settled(pilot)  # ... and their duplicate marks, once read
        pilot.app.push_screen(ExportDialog("open", "contoso", []))
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExportDialog))
        _settle(pilot)
        await pilot.pause()

    assert snap_compare(make_app(ada), terminal_size=(80, 24), run_before=run_before)
