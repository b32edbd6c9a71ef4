"""A history line too long for the screen is read whole: enter on it opens the
whole entry, wrapped, on every record view that shows history (lead, account,
contact, opportunity), at 80x24 and at 60x20 (where a long entry scrolls with
the arrow keys and its OK button stays in sight)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Static

import models
from tui.screens.confirm import MessageScreen
from tui.screens.lead_detail import LeadDetailScreen
from tui.screens.records import AccountScreen, ContactScreen, OpportunityScreen
from tui.widgets.history import HistoryTable

from ..conftest import make_lead
from ..helpers import make_app, wait_until

LONG_COMPANY = "Featherstonehaugh Worthington Castle Rock Holdings International Trading"
LONG_TOPIC = (
    "Two hundred and fifty ergonomic chairs, sit-stand desks and monitor arms for the "
    "new Castle Rock head office, delivered in three waves and installed by the vendor"
)


def make_record(rep: models.User, kind: str) -> tuple[int, str]:
    """A record of `kind` whose newest history line is long: (its id, that line)."""
    if kind == "lead":
        lead = make_lead(rep, topic=LONG_TOPIC, company=LONG_COMPANY)
        models.qualify_lead(rep, lead.id)
        record_id = lead.id
    elif kind == "account":
        record_id = models.create_account(rep, name=f"{LONG_COMPANY} of Greater Redmond").id
    elif kind == "contact":
        contact = models.create_contact(
            rep, first_name="Bartholomew Alexander Maximilian", last_name=LONG_COMPANY[:50]
        )
        record_id = contact.id
    else:
        record_id = models.create_opportunity(rep, topic=LONG_TOPIC).id
    newest = models.AuditEvent.for_record(kind, record_id)[0]
    return record_id, newest.summary


SCREENS: dict[str, type[Screen]] = {
    "lead": LeadDetailScreen,
    "account": AccountScreen,
    "contact": ContactScreen,
    "opportunity": OpportunityScreen,
}


async def open_history(pilot: Pilot, kind: str, record_id: int) -> HistoryTable:
    app = pilot.app
    app.open_record(kind, record_id)  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, SCREENS[kind]))
    screen = app.screen
    await wait_until(pilot, lambda: getattr(screen, "view", None) is not None)
    await pilot.press("h")
    history = screen.query_one(HistoryTable)
    await wait_until(pilot, lambda: history.has_focus and history.event_count > 0)
    return history


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", list(SCREENS))
async def test_enter_on_a_history_line_reads_it_whole_and_wrapped(
    rep: models.User, kind: str
) -> None:
    record_id, line = make_record(rep, kind)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        history = await open_history(pilot, kind, record_id)
        what = history.columns[list(history.columns)[2]]
        assert history.region.x + 16 + 16 + len(line) > 80  # the line is cut on the table
        assert what is not None and history.cursor_row == 0  # the newest line
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MessageScreen))
        shown = app.screen
        await pilot.pause()
        message = shown.query_one("#message", Static)
        assert str(message.visual) == line  # whole, not cut
        assert message.region.right <= 80 and message.region.height >= 2  # wrapped
        await pilot.press("enter")  # OK closes it, back on the history
        await wait_until(pilot, lambda: isinstance(app.screen, SCREENS[kind]))
        assert history.has_focus


@pytest.mark.asyncio
async def test_at_60x20_a_long_entry_scrolls_with_the_keys_and_ok_stays_in_sight(
    rep: models.User,
) -> None:
    lead = make_lead(rep)
    long_line = " ".join(f"word{i}" for i in range(400))  # far taller than 20 rows
    models.AuditEvent.create(
        actor=rep.id, action="note", entity_type="lead", entity_id=lead.id, summary=long_line
    )
    app = make_app(rep)
    async with app.run_test(size=(60, 20)) as pilot:
        await open_history(pilot, "lead", lead.id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MessageScreen))
        shown = app.screen
        await pilot.pause()
        dialog = shown.query_one("#dialog")
        ok = shown.query_one("#ok", Button)
        assert shown.region.contains_region(ok.region)
        assert dialog.max_scroll_y > 0 and dialog.scroll_y == 0
        await pilot.press("pagedown", "down")
        await wait_until(pilot, lambda: dialog.scroll_y > 1)
        assert shown.region.contains_region(ok.region)
        await pilot.press("up")
        before = dialog.scroll_y
        await pilot.press("pagedown", "pagedown", "pagedown", "pagedown", "pagedown")
        await wait_until(pilot, lambda: dialog.scroll_y == dialog.max_scroll_y > before)
