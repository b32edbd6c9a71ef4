"""The lead list driven with Pilot: views, search, sort, multi-select and the lead
actions, literal rendering of hostile names, refresh on other sessions' changes,
and an 80x24 snapshot."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

import models
from tui.app import LeadqApp
from tui.widgets.lead_table import LeadTable, layout_columns

from ..conftest import make_lead
from ..helpers import make_app

INJECTIONS = ["[bold red]x[/]", "[@click=app.quit]y[/]", "\x1b[31mred\x1b[0m"]


PEOPLE = [
    # first, last, company, topic, email
    ("Nancy", "Anderson", "Contoso Ltd.", "50 ergonomic chairs", "nancy@contoso.com"),
    ("Grace", "Hopper", "Fabrikam Inc", "Compiler licences", "grace@fabrikam.com"),
    ("Alan", "Turing", "Northwind Traders", "Codebreaking kit", "alan@northwind.com"),
    ("Ada", "Lovelace", "Adventure Works", "Engine parts", "ada@adventure-works.com"),
    ("Linus", "Torvalds", "Litware GmbH", "Kernel support", "linus@litware.com"),
    ("Barbara", "Liskov", "Coho Winery", "Substitution study", "barbara@coho.com"),
]


def set_created(lead: models.Lead, when: dt.datetime) -> None:
    models.Lead.update(created_at=when).where(models.Lead.id == lead.id).execute()


@pytest.fixture
def leads(admin: models.User, rep: models.User) -> dict[str, models.Lead]:
    """Six open leads with fixed creation times (Nancy newest), two owned by the rep,
    then one qualified and one disqualified."""
    made: dict[str, models.Lead] = {}
    start = dt.datetime(2024, 3, 1, 9, 0)
    for i, (first, last, company, topic, email) in enumerate(PEOPLE):
        owner = rep if i % 3 == 1 else admin
        lead = make_lead(
            admin,
            first_name=first,
            last_name=last,
            company=company,
            topic=topic,
            email=email,
            website="",
            business_phone=f"+1 206 555 01{i:02d}",
            mobile_phone="",
            owner=owner,
            rating=["hot", "warm", "cold"][i % 3],
        )
        set_created(lead, start - dt.timedelta(days=i))
        made[first] = lead
    models.qualify_lead(admin, made["Linus"].id)
    models.disqualify_lead(admin, made["Barbara"].id, models.StatusReason.LOST)
    return made


def table_of(app: LeadqApp) -> LeadTable:
    return app.screen.query_one(LeadTable)


async def settle(pilot: Pilot[Any], app: LeadqApp) -> LeadTable:
    """Wait until the list shows the current query's data, counted."""
    table = table_of(app)
    for _ in range(500):
        await pilot.pause(0.01)
        if table.loaded and table.total is not None and not table._pending:
            await pilot.pause()
            return table
    raise AssertionError("the lead list never finished loading")


def names(table: LeadTable) -> list[str]:
    rows = [table.row_at(i) for i in range(table.row_count)]
    assert all(rows), "every row of a small view is loaded"
    return [row.name for row in rows if row]


def screen_lines(table: LeadTable) -> list[str]:
    return [table.line_text(y) for y in range(table.size.height)]


@pytest.mark.asyncio
async def test_views_show_the_leads_of_each(
    leads: dict[str, models.Lead], rep: models.User
) -> None:
    app = make_app(rep)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await settle(pilot, app)
        assert names(table) == [
            "Nancy Anderson",
            "Grace Hopper",
            "Alan Turing",
            "Ada Lovelace",
        ]
        assert "4 leads" in str(app.screen.query_one("#status").render())
        await pilot.press("2")  # my open leads (the rep owns Grace)
        table = await settle(pilot, app)
        assert names(table) == ["Grace Hopper"]
        await pilot.press("3")  # all
        table = await settle(pilot, app)
        assert len(names(table)) == 6
        await pilot.press("4")  # qualified
        table = await settle(pilot, app)
        assert names(table) == ["Linus Torvalds"]
        await pilot.press("v")  # next view: disqualified
        table = await settle(pilot, app)
        assert names(table) == ["Barbara Liskov"]
        assert "Disqualified leads" in str(app.screen.query_one("#view-label").render())
        line = table.line_text(1)
        assert "Disqualified" in line and "Lost" in line


@pytest.mark.asyncio
async def test_search_narrows_as_you_type(
    leads: dict[str, models.Lead], admin: models.User
) -> None:
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        assert app.screen.query_one("#search").has_focus
        await pilot.press(*"fabri")
        await asyncio.sleep(0.2)  # past the coalescing window
        table = await settle(pilot, app)
        assert names(table) == ["Grace Hopper"]
        await pilot.press("escape")  # clears the search
        table = await settle(pilot, app)
        assert len(names(table)) == 4
        await pilot.press(*"ada@adv", "enter")  # email words; enter goes back to the list
        table = await settle(pilot, app)
        assert names(table) == ["Ada Lovelace"]
        assert table.has_focus


@pytest.mark.asyncio
async def test_sort_and_reverse(leads: dict[str, models.Lead], admin: models.User) -> None:
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await settle(pilot, app)
        assert names(table)[0] == "Nancy Anderson"  # newest first
        await pilot.press("S")  # oldest first
        table = await settle(pilot, app)
        assert names(table) == ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Nancy Anderson"]
        await pilot.press("s")  # by name (last name), ascending kept
        table = await settle(pilot, app)
        assert names(table) == ["Nancy Anderson", "Grace Hopper", "Ada Lovelace", "Alan Turing"]
        assert "Sort: Name ↑" in str(app.screen.query_one("#sort-label").render())


@pytest.mark.asyncio
async def test_select_several_then_qualify_calls_the_app_with_their_ids(
    leads: dict[str, models.Lead], admin: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(admin)
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(app, "qualify", lambda ids: calls.append(("qualify", ids)))
    monkeypatch.setattr(app, "disqualify", lambda ids: calls.append(("disqualify", ids)))
    monkeypatch.setattr(app, "delete", lambda ids: calls.append(("delete", ids)))
    monkeypatch.setattr(app, "open_lead", lambda lead_id: calls.append(("open", lead_id)))
    async with app.run_test(size=(100, 30)) as pilot:
        table = await settle(pilot, app)
        await pilot.press("space", "down", "space")  # Nancy, skip Grace, Alan
        assert table.selected == {leads["Nancy"].id, leads["Alan"].id}
        assert "2 selected" in str(app.screen.query_one("#status").render())
        assert table.line_text(1).startswith(" ✓")
        await pilot.press("q")
        assert calls == [("qualify", sorted([leads["Nancy"].id, leads["Alan"].id]))]
        await pilot.press("d", "delete")
        assert calls[1][0] == "disqualify" and calls[2][0] == "delete"
        await pilot.press("a")  # with a selection: clears it
        assert table.selected == set()
        await pilot.press("home", "q", "enter")  # no selection: the lead under the cursor
        assert calls[3:] == [("qualify", [leads["Nancy"].id]), ("open", leads["Nancy"].id)]
        await pilot.press("a")  # select the whole view
        await pilot.pause(0.3)
        assert table.selected == {leads[n].id for n in ("Nancy", "Grace", "Alan", "Ada")}


@pytest.mark.asyncio
async def test_hostile_names_render_literally(sqlite_db: object, admin: models.User) -> None:
    for i, text in enumerate(INJECTIONS):
        lead = make_lead(admin, first_name="", last_name=text, company=text, topic=text)
        set_created(lead, dt.datetime(2024, 1, 1) + dt.timedelta(minutes=i))
    app = make_app(admin)
    async with app.run_test(size=(160, 30)) as pilot:
        table = await settle(pilot, app)
        lines = screen_lines(table)
        text = "\n".join(lines)
        assert "[bold red]x[/]" in text
        assert "[@click=app.quit]y[/]" in text
        assert "␛[31mred␛[0m" in text
        assert "\x1b" not in text
        # The strips carry plain segments: no style came from the names.
        strips = [table.render_line(y) for y in (1, 2, 3)]
        assert any("[@click=app.quit]y[/]" in strip.text for strip in strips)
        for strip in strips:
            assert all(not s.style or not (s.style.link or s.style.meta) for s in strip)
        await pilot.press("enter")  # an action link in a name must not quit the app
        assert app.is_running


@pytest.mark.asyncio
async def test_a_lead_qualified_elsewhere_leaves_the_open_view(
    leads: dict[str, models.Lead], admin: models.User
) -> None:
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await settle(pilot, app)
        await pilot.press("down", "down")  # on Alan
        assert table.current_row and table.current_row.name == "Alan Turing"
        await pilot.press("space")  # select Alan; the cursor moves on to Ada
        models.qualify_lead(admin, leads["Grace"].id)  # "another session"
        models.qualify_lead(admin, leads["Alan"].id)
        app.data_changed()
        table = await settle(pilot, app)
        await pilot.pause(0.2)
        assert names(table) == ["Nancy Anderson", "Ada Lovelace"]
        assert table.current_row and table.current_row.name == "Ada Lovelace"
        assert table.selected == set()  # Alan left the view, so left the selection


@pytest.mark.asyncio
async def test_poll_picks_up_another_sessions_change_without_a_key(
    leads: dict[str, models.Lead], admin: models.User
) -> None:
    app = make_app(admin, poll=True)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await settle(pilot, app)
        await pilot.pause(1.2)  # the first poll records the current change token
        models.qualify_lead(admin, leads["Nancy"].id)
        for _ in range(40):
            await pilot.pause(0.1)
            if table.loaded and table.total == 3:
                break
        assert names(table) == ["Grace Hopper", "Alan Turing", "Ada Lovelace"]


def test_columns_fit_80_columns_and_share_extra_width() -> None:
    narrow = layout_columns(78)
    assert 3 + len(narrow) + sum(narrow) <= 78
    wide = layout_columns(200)
    assert 3 + len(wide) + sum(wide) == 200
    assert wide[0] > narrow[0]
    # What a lead is about outranks its state: a 100-column terminal shows more
    # of the topic and company before widening the short status columns.
    topic, company, state = (layout_columns(97)[i] for i in (1, 2, 3))
    assert (topic, company) == (16, 14) and state < 12


@pytest.mark.asyncio
async def test_a_large_list_fetches_only_the_pages_it_shows(
    sqlite_db: object, admin: models.User
) -> None:
    bulk_leads(admin, 2_500)
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await settle(pilot, app)
        assert table.total == 2_500
        assert set(table._pages) <= {0, 1}
        await pilot.press("end")
        table = await settle(pilot, app)
        assert table.cursor == 2_499
        assert table.current_row and table.current_row.name == "Person 0"  # the oldest
        assert 24 not in table._pages or len(table._pages) <= 4
        await pilot.press("pageup", "pageup", "pageup", "pageup", "pageup")
        table = await settle(pilot, app)
        row = table.current_row
        assert row and row.name == f"Person {2_500 - 1 - table.cursor}"


def bulk_leads(owner: models.User, count: int) -> None:
    """`count` open leads named Person 0.. (oldest first), inserted in bulk."""
    from models.entities import lead_keys

    start = dt.datetime(2023, 1, 1)
    rows = []
    for i in range(count):
        values = {
            "topic": f"Topic {i}",
            "first_name": "Person",
            "last_name": str(i),
            "company": f"Company {i}",
            "email": "",
            "website": "",
            "business_phone": "",
            "owner": owner.id,
            "created_at": start + dt.timedelta(minutes=i),
            "modified_at": start,
        }
        values.update(lead_keys(values, "US"))
        rows.append(values)
    with models.database_proxy.atomic():
        models.Lead.insert_many(rows).execute()


def snapshot_app(admin: models.User, rep: models.User) -> Iterator[LeadqApp]:
    yield make_app(admin)


def test_snapshot_lead_list(
    snap_compare: Any, leads: dict[str, models.Lead], admin: models.User
) -> None:
    app = make_app(admin)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot, app)
        await pilot.press("down", "space", "down")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
