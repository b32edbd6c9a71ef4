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
from tui.widgets.column_picker import IGNORE, ColumnPicker

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
        screen.request_preview(str(source), "skip", {})
        table = screen.query_one("#preview", DataTable)
        await wait_until(pilot, lambda: table.row_count == 4)
        for widget in screen.query(Input):
            widget.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(ada), terminal_size=(80, 24), run_before=run_before)


def table_rows(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def headings(table: DataTable) -> list[str]:
    return [str(column.label) for column in table.columns.values()]


ODD_HEADERS = (
    "Subject,Surname,E-mail,Org,Notes\nChairs,Anderson,nancy@contoso.com,Contoso,call back\n"
)


@pytest.mark.asyncio
async def test_each_column_gets_a_picker_preset_from_its_header(
    ada: models.User, tmp_path: Path
) -> None:
    source = tmp_path / "d365.csv"
    shutil.copy(CORPUS / "dynamics365.csv", source)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#file", Input).value = str(source)
        screen.query_one("#file", Input).focus()
        await pilot.press("enter")
        picker = screen.query_one("#columns", ColumnPicker)
        await wait_until(pilot, lambda: len(picker.headers) == 25)
        values = {h: p.value for h, p in zip(picker.headers, picker.pickers(), strict=True)}
        assert values["Topic"] == "topic" and values["Company Name"] == "company"
        assert values["Budget Amount"] == "estimated_budget"
        assert values["(Do Not Modify) Lead"] == IGNORE and values["Owner"] == IGNORE
        assert picker.mapping() == {}
        table = screen.query_one("#preview", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        assert headings(table)[:4] == ["Line", "Check", "Topic", "First name"]
        assert "Estimated budget" in headings(table)


@pytest.mark.asyncio
async def test_changing_a_picker_previews_again_and_the_import_follows_it(
    ada: models.User, tmp_path: Path
) -> None:
    source = tmp_path / "odd.csv"
    source.write_text(ODD_HEADERS, encoding="utf-8")
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#file", Input).value = str(source)
        screen.query_one("#file", Input).focus()
        await pilot.press("enter")
        picker = screen.query_one("#columns", ColumnPicker)
        table = screen.query_one("#preview", DataTable)
        info = screen.query_one("#info", Static)
        await wait_until(pilot, lambda: table.row_count == 1)
        # "Subject" is Dynamics' topic; nothing reads as a last name yet.
        assert [p.value for p in picker.pickers()] == ["topic", IGNORE, "email", IGNORE, IGNORE]
        assert "Every lead needs Last name" in str(info.render())
        assert "Last name is required" in table_rows(table)[0][1]

        # Through the keyboard: focus the Surname picker, open it, pick Last name.
        surname = picker.pickers()[1]
        surname.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: surname.expanded)
        choices = [value for _, value in surname._options]
        for _ in range(choices.index("last_name")):
            await pilot.press("down")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Last name" in headings(table))
        await wait_until(pilot, lambda: table_rows(table)[0][1] == "ok")
        assert picker.mapping() == {"Surname": "last_name"}
        assert table_rows(table)[0][headings(table).index("Last name")] == "Anderson"

        picker.choose("Org", "company")
        picker.choose("E-mail", IGNORE)
        await wait_until(pilot, lambda: "Company" in headings(table))
        assert "Email" not in headings(table)
        assert table_rows(table)[0][headings(table).index("Company")] == "Contoso"
        assert not models.Lead.select().exists()

        await pilot.press("f6")
        await wait_until(pilot, lambda: "Import batch #1" in summary(screen))
    lead = models.Lead.get()
    assert (lead.topic, lead.last_name, lead.company, lead.email) == (
        "Chairs",
        "Anderson",
        "Contoso",
        "",
    )


@pytest.mark.asyncio
async def test_two_columns_picked_for_one_field_say_so_and_import_nothing(
    ada: models.User, tmp_path: Path
) -> None:
    source = tmp_path / "dupes.csv"
    shutil.copy(CORPUS / "duplicates.csv", source)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#file", Input).value = str(source)
        await pilot.press("f5")
        picker = screen.query_one("#columns", ColumnPicker)
        table = screen.query_one("#preview", DataTable)
        await wait_until(pilot, lambda: table.row_count == 4)
        picker.choose("Company", "topic")
        info = screen.query_one("#info", Static)
        await wait_until(pilot, lambda: "both map to Topic" in str(info.render()))
        assert "--map" not in str(info.render())  # the command line's wording, not here
        assert table.row_count == 0
        await pilot.press("f6")
        await wait_until(pilot, lambda: "Nothing was imported" in summary(screen))
        assert not models.Lead.select().exists()
        picker.choose("Company", "company")
        await wait_until(pilot, lambda: table.row_count == 4)


@pytest.mark.asyncio
async def test_another_file_gets_its_own_pickers(ada: models.User, tmp_path: Path) -> None:
    first, second = tmp_path / "odd.csv", tmp_path / "dupes.csv"
    first.write_text(ODD_HEADERS, encoding="utf-8")
    shutil.copy(CORPUS / "duplicates.csv", second)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        picker = screen.query_one("#columns", ColumnPicker)
        screen.query_one("#file", Input).value = str(first)
        await pilot.press("f5")
        await wait_until(pilot, lambda: len(picker.headers) == 5)
        picker.choose("Surname", "last_name")
        await wait_until(pilot, lambda: screen.preview_shown is not None
                         and not screen.preview_shown.missing_required)  # fmt: skip
        screen.query_one("#file", Input).value = str(second)
        await pilot.press("f5")
        await wait_until(pilot, lambda: picker.headers[:1] == ["Topic"])
        assert picker.mapping() == {}  # the first file's choice is not carried over
        assert [p.value for p in picker.pickers()] == [
            "topic", "first_name", "last_name", "email", "company",
        ]  # fmt: skip
        screen.query_one("#file", Input).value = str(tmp_path / "missing.csv")
        await pilot.press("f5")
        await wait_until(pilot, lambda: not picker.headers)
        assert "Cannot read" in str(screen.query_one("#info", Static).render())


def test_snapshot_import_column_pickers(ada: models.User, tmp_path: Path, snap_compare) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "d365.csv"
    shutil.copy(CORPUS / "dynamics365.csv", source)

    async def run_before(pilot: Pilot) -> None:
        screen = await open_import(pilot)
        screen.query_one("#file", Input).value = "d365.csv"
        screen.request_preview(str(source), "skip", {})
        table = screen.query_one("#preview", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        picker = screen.query_one("#columns", ColumnPicker)
        picker.pickers()[0].focus()
        for widget in screen.query(Input):
            widget.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(ada), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.asyncio
async def test_a_full_file_area_keeps_the_import_and_says_the_rejects_were_not_saved(
    ada: models.User, tmp_path: Path
) -> None:
    data = (CORPUS / "duplicates.csv").read_bytes()
    limits = models.FileLimits(per_file=10_000, per_user=len(data) + 20, files=10)
    area = FileArea.for_user(tmp_path / "areas", "ada", limits)
    area.write("leads.csv", data)
    app = make_app(ada)
    app.file_area = area
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#file", Input).value = "leads.csv"
        await pilot.press("f6")
        await wait_until(pilot, lambda: "Import batch #1" in summary(screen))
        assert "Nothing was imported" not in summary(screen)
        assert "Rejected and skipped rows: not saved:" in summary(screen)
    assert models.Lead.select().count() == 2
    assert [f.name for f in area.files()] == ["leads.csv"]


@pytest.mark.asyncio
async def test_local_rejects_are_streamed_beside_the_file_and_nothing_is_left_without_them(
    ada: models.User, tmp_path: Path
) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    clean, dupes = folder / "clean.csv", folder / "dupes.csv"
    clean.write_text("Topic,Last Name\nT,Doe\n", encoding="utf-8")
    shutil.copy(CORPUS / "duplicates.csv", dupes)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#file", Input).value = str(clean)
        await pilot.press("f6")
        await wait_until(pilot, lambda: "Import batch #1" in summary(screen))
        assert sorted(p.name for p in folder.iterdir()) == ["clean.csv", "dupes.csv"]
        screen.query_one("#file", Input).value = str(dupes)
        await pilot.press("f6")
        await wait_until(pilot, lambda: "Import batch #2" in summary(screen))
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["clean.csv", "dupes-rejected.csv", "dupes.csv"]  # no partial file left
        screen.query_one("#file", Input).value = str(folder / "nowhere" / "x.csv")
        await pilot.press("f6")
        await wait_until(pilot, lambda: "Nothing was imported" in summary(screen))
        assert "Cannot read" in str(screen.query_one("#info", Static).render())


@pytest.mark.asyncio
async def test_column_headers_are_shown_literally(ada: models.User, tmp_path: Path) -> None:
    source = tmp_path / "hostile.csv"
    source.write_text(
        'Topic,Last Name,"[b]Boss[/b] [@click=app.quit]x[/]","\x1b[31mred"\nT,Doe,a,b\n',
        encoding="utf-8",
    )
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#file", Input).value = str(source)
        await pilot.press("f5")
        picker = screen.query_one("#columns", ColumnPicker)
        await wait_until(pilot, lambda: len(picker.headers) == 4)
        await pilot.pause()
        labels = [str(label.render()) for label in picker.query(".header")]
        assert labels[2] == "[b]Boss[/b] [@click=app.quit]x[/]"
        assert "\x1b" not in labels[3] and "[31mred" in labels[3]
        assert app.is_running
