"""The import screen, driven with Pilot: preview, import in a worker, undo; the
served session's file area; an 80x24 snapshot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

import models
from models.file_area import FileArea
from tui.screens.import_leads import ImportScreen

from ..helpers import make_app, wait_until

CORPUS = Path(__file__).resolve().parents[1] / "csv"


async def open_import(pilot: Pilot) -> ImportScreen:
    pilot.app.open_import()  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ImportScreen))
    await pilot.pause()
    return pilot.app.screen  # type: ignore[return-value]


def summary(screen: ImportScreen) -> str:
    return str(screen.query_one("#summary", Static).render())


@pytest.mark.asyncio
async def test_preview_import_and_undo(ada: models.User, tmp_path: Path) -> None:
    source = tmp_path / "dupes.csv"
    shutil.copy(CORPUS / "duplicates.csv", source)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#file", Input).value = str(source)
        screen.query_one("#file", Input).focus()
        await pilot.press("enter")
        table = screen.query_one("#preview", DataTable)
        await wait_until(pilot, lambda: table.row_count == 4)
        checks = [str(table.get_row_at(i)[1]) for i in range(4)]
        assert checks[0] == "ok" and checks[1] == "duplicate: same email as line 2 of this file"
        assert not models.Lead.select().exists()  # a preview writes nothing

        await pilot.press("f6")
        await wait_until(pilot, lambda: "Import batch #1" in summary(screen))
        assert models.Lead.select().count() == 2
        assert "Rejected and skipped rows" in summary(screen)
        rejected = tmp_path / "dupes-rejected.csv"
        assert "same email as line 2" in rejected.read_text(encoding="utf-8")
        assert screen.query_one("#batch", Input).value == "1"

        await pilot.press("f8")
        await wait_until(pilot, lambda: "undone" in summary(screen))
        assert not models.Lead.select().exists()
        await pilot.press("escape")
        assert not isinstance(app.screen, ImportScreen)


@pytest.mark.asyncio
async def test_served_session_reads_and_writes_the_file_area_only(
    ada: models.User, tmp_path: Path
) -> None:
    area = FileArea.for_user(tmp_path / "areas", "ada")
    area.write("leads.csv", (CORPUS / "formulas.csv").read_bytes() + b"T,No,,n@x.com,,\n")
    outside = tmp_path / "outside.csv"
    shutil.copy(CORPUS / "bom_crlf.csv", outside)
    app = make_app(ada)
    app.file_area = area
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        info = str(screen.query_one("#info", Static).render())
        assert "In your file area: leads.csv" in info
        screen.query_one("#file", Input).value = str(outside)  # a server path: refused
        await pilot.press("f6")
        await wait_until(pilot, lambda: "Nothing was imported" in summary(screen))
        assert not models.Lead.select().exists()
        screen.query_one("#file", Input).value = "leads.csv"
        await pilot.press("f6")
        await wait_until(pilot, lambda: "Import batch" in summary(screen))
        assert models.Lead.select().count() == 2
        assert "leads-rejected.csv in your file area" in summary(screen)
        assert "rejected (line 5)" in area.read("leads-rejected.csv").decode()


@pytest.mark.asyncio
async def test_palette_offers_import_leads(ada: models.User) -> None:
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        from tui.commands import LeadqCommands

        provider = LeadqCommands(app.screen)
        names = [name for name, _, _ in provider.commands()]
        assert "Import leads" in names
        await pilot.pause()


def test_snapshot_import_preview(ada: models.User, tmp_path: Path, snap_compare) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "leads.csv"
    shutil.copy(CORPUS / "duplicates.csv", source)

    async def run_before(pilot: Pilot) -> None:
        screen = await open_import(pilot)
        screen.query_one("#file", Input).value = "leads.csv"
        screen.query_one("#file", Input).focus()
        screen._preview(str(source), "skip", {})
        table = screen.query_one("#preview", DataTable)
        await wait_until(pilot, lambda: table.row_count == 4)
        for widget in screen.query(Input):
            widget.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(ada), terminal_size=(80, 24), run_before=run_before)
