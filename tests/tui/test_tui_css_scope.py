"""Screen stylesheets stay on their own screen, and are all read soon after start-up.

Every screen's CSS_PATH is added to the app-wide stylesheet after the first frame
(so that opening a screen first never parses every stylesheet again and restyles
every widget built), so an unscoped rule (`#banner { display: none }`) in one
screen's file would silently restyle every screen with a widget of that id.
Every rule in `tui/screens/*.tcss` must therefore start with its screen's type.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import Static

import models
import tui.screens
from tui.screens.lead_detail import ALL_FIELDS, LeadDetailScreen

from ..conftest import make_lead
from ..helpers import make_app, settle, wait_for_screen, wait_until

SCREENS_DIR = Path(tui.screens.__file__).parent


def top_level_selectors(css: str) -> list[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    selectors, depth, start = [], 0, 0
    for index, char in enumerate(css):
        if char == "{":
            if depth == 0:
                selectors += [s.strip() for s in css[start:index].split(",")]
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                start = index + 1
    return selectors


def screens_using(stylesheet: Path) -> list[str]:
    module = importlib.import_module(f"tui.screens.{stylesheet.stem}")
    return [
        cls.__name__
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Screen) and getattr(cls, "CSS_PATH", None) == stylesheet.name
    ]


@pytest.mark.parametrize("stylesheet", sorted(SCREENS_DIR.glob("*.tcss")), ids=lambda p: p.name)
def test_every_rule_is_scoped_to_its_screen(stylesheet: Path) -> None:
    owners = screens_using(stylesheet)
    assert owners, f"no screen in {stylesheet.stem}.py uses {stylesheet.name}"
    unscoped = [
        selector
        for selector in top_level_selectors(stylesheet.read_text())
        if not any(re.match(rf"{name}\b", selector) for name in owners)
    ]
    assert not unscoped, f"{stylesheet.name}: rules not scoped to {owners}: {unscoped}"


@pytest.mark.asyncio
async def test_settings_banner_shows_after_visiting_a_lead(sqlite_db: object) -> None:
    """The lead detail's closed-lead banner rule once hid the settings banner."""
    from tui.screens.settings import SettingsScreen

    rep = models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)
    lead = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_lead(lead.id)
        await wait_for_screen(pilot, LeadDetailScreen)
        app.pop_screen()
        await settle(pilot)
        app.action_settings()
        screen = await wait_for_screen(pilot, SettingsScreen)
        banner = screen.query_one("#banner", Static)
        assert banner.display and banner.region.height > 0


def screen_classes_with_stylesheets() -> list[type[Screen]]:
    found = []
    for stylesheet in sorted(SCREENS_DIR.glob("*.tcss")):
        module = importlib.import_module(f"tui.screens.{stylesheet.stem}")
        found += [
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, Screen) and getattr(cls, "CSS_PATH", None) == stylesheet.name
        ]
    return found


@pytest.mark.asyncio
async def test_every_screen_stylesheet_is_read_soon_after_start_up(
    sqlite_db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a screen or dialog first parses no stylesheet again: each one's
    CSS_PATH is already read, and qualifying a lead (its result dialog and the
    opportunity view) reparses nothing."""
    from textual.css.stylesheet import Stylesheet

    from tui.screens.qualify_result import QualifyResultScreen
    from tui.screens.records import OpportunityScreen

    rep = models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)
    lead = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        paths = {
            cls.__name__: str(SCREENS_DIR.resolve() / cls.CSS_PATH)  # type: ignore[operator]
            for cls in screen_classes_with_stylesheets()
        }
        await wait_until(
            pilot, lambda: all(app.stylesheet.has_source(p, "") for p in paths.values())
        )
        reparsed: list[object] = []
        real_reparse = Stylesheet.reparse
        monkeypatch.setattr(
            Stylesheet, "reparse", lambda self: (reparsed.append(self), real_reparse(self))[1]
        )
        app.open_lead(lead.id)
        detail = await wait_for_screen(pilot, LeadDetailScreen)
        await settle(pilot)
        detail.query_one("#detail-tabs Tabs").focus()
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, QualifyResultScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is detail)
        await settle(pilot)
        await pilot.press("o")
        await wait_for_screen(pilot, OpportunityScreen)
        await settle(pilot)
        assert reparsed == []


@pytest.mark.asyncio
async def test_a_new_stylesheet_source_is_parsed_alone_past_64_sources(
    sqlite_db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each widget class mounted first adds its CSS; the app's stylesheet then takes
    from its cache the rules of every source it has. With more sources than the
    cache held (64), each of them missed every time: the whole CSS was parsed again
    (1 s on the loop after the import screen at load 10), or, since the rules are
    kept per process (tui/shared_css.py), copied again (15 ms)."""
    from tui.shared_css import SharedStylesheet

    rep = models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        sheet = app.stylesheet
        for n in range(80):
            sheet.add_source(f"#probe-{n} {{ width: {n + 1}; }}", read_from=("probe", str(n)))
        sheet.parse()
        assert len(sheet.source) > 80
        missed: list[str] = []
        real_template = SharedStylesheet._template

        def template(self: SharedStylesheet, css: str, *args: Any) -> Any:
            missed.append(css)  # not in the stylesheet's own cache
            return real_template(self, css, *args)

        monkeypatch.setattr(SharedStylesheet, "_template", template)
        sheet.add_source("#probe-new { width: 3; }", read_from=("probe", "new"))
        sheet.parse()
        assert missed == ["#probe-new { width: 3; }"]


ORDER_PSEUDO_CLASSES = re.compile(
    r":(first-of-type|last-of-type|first-child|last-child|empty|odd|even)\b"
)


def test_no_stylesheet_depends_on_a_widgets_place_among_its_siblings() -> None:
    """Textual marks every widget that a rule's last selector names (`.field`, whatever
    screen the rule is scoped to) as styled by its order when any such rule has an
    order pseudo-class, and restyles it and all its children after each mount: the
    process form's `.field:first-of-type` restyled the lead form's 26 rows once more
    as the lead detail was first built."""
    tui_dir = SCREENS_DIR.parent
    sources = sorted(tui_dir.rglob("*.tcss")) + sorted(tui_dir.rglob("*.py"))
    found = [
        f"{path.relative_to(tui_dir)}: {match.group(0)}"
        for path in sources
        for match in ORDER_PSEUDO_CLASSES.finditer(path.read_text())
    ]
    assert found == []


@pytest.mark.asyncio
async def test_the_lead_forms_rows_are_not_restyled_for_their_order(sqlite_db: object) -> None:
    rep = models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)
    lead = make_lead(rep)
    app = make_app(rep)
    async with app.run_test(size=(80, 24)) as pilot:
        paths = [
            str(SCREENS_DIR.resolve() / cls.CSS_PATH) for cls in screen_classes_with_stylesheets()
        ]  # type: ignore[operator]
        await wait_until(pilot, lambda: all(app.stylesheet.has_source(p, "") for p in paths))
        app.open_lead(lead.id)
        detail = await wait_for_screen(pilot, LeadDetailScreen)
        await settle(pilot)
        rows = detail.query(".field")
        assert len(rows) == len(ALL_FIELDS)
        assert [row.id for row in rows if row._has_order_style] == []
