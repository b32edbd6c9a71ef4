"""The lead list's search as you type when a search has too many matches to sort
(listed newest entered first, with a note), keys typed in a burst, and the key
footer that rebuilds only when its keys change."""

# ruff: noqa: F811 - the fixtures imported from test_tui_list are parameters here

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets._footer import FooterKey

import models
from models import listing

from ..helpers import make_app
from .test_tui_list import leads, names, settle  # noqa: F401 - fixtures


def label(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


@pytest.mark.asyncio
async def test_a_search_with_many_matches_is_listed_as_entered_with_a_note(
    leads: dict[str, models.Lead],
    admin: models.User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The list decides with models.listing's limit; the screen names it from the front.
    monkeypatch.setattr(listing, "SORTED_SEARCH_LIMIT", 1)
    monkeypatch.setattr(models, "SORTED_SEARCH_LIMIT", 1)
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", "n")  # Nancy, and Alan of Northwind Traders
        table = await settle(pilot, app)
        assert table.order == listing.ENTERED
        # Newest entered first: Alan was entered after Nancy (though created before).
        assert names(table) == ["Alan Turing", "Nancy Anderson"]
        assert "Sort: Entered ↓" in label(app, "#sort-label")
        assert "1+ match, refine to sort by created" in label(app, "#status")
        await pilot.press("a")  # "na": Nancy only, so sorted again
        table = await settle(pilot, app)
        assert table.order == "created"
        assert names(table) == ["Nancy Anderson"]
        assert "Sort: Created ↓" in label(app, "#sort-label")
        assert "refine" not in label(app, "#status")


@pytest.mark.asyncio
async def test_keys_typed_in_a_burst_end_on_the_last_text(
    leads: dict[str, models.Lead],
    admin: models.User,
) -> None:
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"lovel")  # no pause between keys
        table = await settle(pilot, app)
        assert table.query_spec.search == "lovel"
        assert names(table) == ["Ada Lovelace"]


@pytest.mark.asyncio
async def test_footer_follows_the_focus(
    leads: dict[str, models.Lead],
    admin: models.User,
) -> None:
    app = make_app(admin)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)

        def hints() -> set[str]:
            return {key.description for key in app.screen.query(FooterKey)}

        assert {"Open", "Select", "Qualify"} <= hints()  # the list has the focus
        await pilot.press("slash")
        await pilot.pause(0.1)
        assert not {"Open", "Select", "Qualify"} & hints()  # letters type into the box
        assert "Help" in hints()
        await pilot.press("down")  # back to the list
        await pilot.pause(0.1)
        assert {"Open", "Select", "Qualify"} <= hints()


@pytest.mark.asyncio
async def test_a_search_key_lays_the_screen_out_only_when_a_label_changes_width(
    leads: dict[str, models.Lead],
    admin: models.User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The status line is one line across the screen whatever it says: updating it
    asks for no screen-wide layout; the sort label does when its width changes."""
    monkeypatch.setattr(listing, "SORTED_SEARCH_LIMIT", 1)
    monkeypatch.setattr(models, "SORTED_SEARCH_LIMIT", 1)
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("s")  # by name: "Sort: Name ↑"
        await settle(pilot, app)
        layouts: list[str] = []
        for selector in ("#status", "#sort-label"):
            widget = app.screen.query_one(selector)
            real = widget.update

            def update(content: Any, real: Any = real, name: str = selector, **kw: Any) -> Any:
                if kw.get("layout", True):
                    layouts.append(name)
                return real(content, **kw)

            monkeypatch.setattr(widget, "update", update)
        await pilot.press("slash", "n")  # two matches: listed as entered
        await settle(pilot, app)
        assert "refine to sort" in label(app, "#status")
        assert "Sort: Entered ↑" in label(app, "#sort-label")
        assert layouts == ["#sort-label"]  # "Name" -> "Entered": wider
        await pilot.press("a")  # one match: sorted again
        await settle(pilot, app)
        assert "refine" not in label(app, "#status")
        assert "Sort: Name ↑" in label(app, "#sort-label")
        assert layouts == ["#sort-label", "#sort-label"]
        await pilot.press("n")  # "nan": the same sort, another count
        await settle(pilot, app)
        assert layouts == ["#sort-label", "#sort-label"]
