"""Two people on the same lead: the second to qualify is told who beat them, and
nothing is created twice (issue 5, "Live together", at the UI level; the
process-level race is in test_models_concurrency.py)."""

from __future__ import annotations

import pytest

import models
from tui.screens.confirm import MessageScreen
from tui.screens.qualify_dialog import QualifyDialog

from ..conftest import make_lead
from ..helpers import make_app, wait_for_screen
from .test_tui_flows import screen_text


@pytest.mark.asyncio
async def test_second_qualifier_is_told_who_qualified_it(
    admin: models.User, rep: models.User
) -> None:
    models.change_setting(admin, "auto_create_on_qualify", False)
    nancy = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.qualify([nancy.id])
        await wait_for_screen(pilot, QualifyDialog)
        # Meanwhile, in another session, the administrator qualifies the same lead.
        models.qualify_lead(admin, nancy.id, models.QualifyChoice())
        await pilot.press("enter")
        message = await wait_for_screen(pilot, MessageScreen)
        text = screen_text(message)
        assert "qualified by Ada Admin" in text
    assert models.Opportunity.select().count() == 1
    assert models.Account.select().count() == 1
    assert models.Contact.select().count() == 1
    assert models.Lead.get_by_id(nancy.id).closed_by_id == admin.id
