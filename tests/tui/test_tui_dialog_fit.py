"""Every dialog fits the small terminals leadq promises (60x20 and 80x24): each of
its buttons is wholly on the screen, not clipped by its dialog, with its whole
label showing, and filled with the longest content a rep meets (long names, many
matches, many lines). A modal screen added to tui/ without a case here fails
`test_every_modal_screen_has_a_case`."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button

import models
import tui
from tui.screens.assign_process import AssignProcessScreen
from tui.screens.bulk_qualify import BulkQualifyScreen, LeadSummary
from tui.screens.close_opportunity import CloseLostDialog, CloseWonDialog
from tui.screens.confirm import ConfirmScreen, MessageScreen
from tui.screens.disqualify_dialog import DisqualifyDialog
from tui.screens.duplicate_picker import DuplicatePicker
from tui.screens.export_dialog import ExportDialog
from tui.screens.lead_detail import DiscardChangesScreen
from tui.screens.may_exist import MayAlreadyExistScreen
from tui.screens.opportunity_steps import OpportunitySteps
from tui.screens.pickers import BulkEditLeads, OwnerPicker
from tui.screens.process_form import Field, ProcessFormScreen
from tui.screens.qualify_dialog import QualifyDialog
from tui.screens.qualify_result import QualifiedRecords, QualifyResultScreen
from tui.widgets.lookup import LookupScreen

from ..helpers import make_app, wait_until

SIZES = [(60, 20), (80, 24)]
LONG_NAME = "Bartholomew Featherstonehaugh-Worthington of Castle Rock Holdings"
LONG_TEXT = (
    "Qualified. Created account Featherstonehaugh Worthington Castle Rock Holdings "
    "International Ltd.; created contact Bartholomew Featherstonehaugh-Worthington; "
    "created opportunity 250 ergonomic chairs for the new Castle Rock head office."
)


def matches(kind: str, count: int) -> list[models.MatchedRecord]:
    return [
        models.MatchedRecord(
            kind=kind,
            id=i + 1,
            title=f"{LONG_NAME} {i}",
            details=("+1 206 555 0142", "contoso.example", "Redmond, WA, United States"),
            rules=("Same name", "Same website domain", "Same phone"),
        )
        for i in range(count)
    ]


def many_matches() -> models.DuplicateMatches:
    return models.DuplicateMatches(
        accounts=matches("account", 6), contacts=matches("contact", 6), leads=matches("lead", 4)
    )


def summaries(count: int) -> list[LeadSummary]:
    return [
        LeadSummary(i, f"{LONG_NAME} {i}", "qualified" if i % 2 else "blocked", LONG_TEXT)
        for i in range(count)
    ]


def processes(count: int) -> list[models.ProcessSummary]:
    return [
        models.ProcessSummary(
            id=i + 1,
            name=f"Enterprise qualification for regulated industries {i}",
            description=LONG_TEXT,
            active=True,
            levels=3,
            activities=12,
            required=8,
            leads=40,
            is_default=i == 0,
        )
        for i in range(count)
    ]


async def show_bulk_summary(screen: ModalScreen) -> None:
    assert isinstance(screen, BulkQualifyScreen)
    await screen.show_summary(summaries(12))


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], ModalScreen]
    after: Callable[[ModalScreen], Awaitable[None]] | None = None


CASES = [
    Case("confirm", lambda: ConfirmScreen("Delete lead", LONG_TEXT, danger=True)),
    Case(
        "confirm with details",
        lambda: ConfirmScreen(
            "Qualify 12 leads", LONG_TEXT, details=[LONG_TEXT] * 12, confirm_label="Qualify"
        ),
    ),
    Case("message", lambda: MessageScreen("2026-11-02 09:14 UTC · Riley Rep", LONG_TEXT * 4)),
    Case(
        "message with lines",
        lambda: MessageScreen("Import finished", LONG_TEXT, lines=[LONG_TEXT] * 12, error=True),
    ),
    Case(
        "discard changes",
        lambda: DiscardChangesScreen(
            ["Topic", "First name", "Last name", "Email", "Company", "Website", "Street 1"]
        ),
    ),
    Case("qualify", lambda: QualifyDialog(LONG_NAME)),
    Case("disqualify", lambda: DisqualifyDialog(LONG_NAME)),
    Case("improved picker", lambda: DuplicatePicker(LONG_NAME, many_matches())),
    Case(
        "improved picker, bulk",
        lambda: DuplicatePicker(LONG_NAME, many_matches(), position=(3, 12)),
    ),
    Case(
        "classic picker",
        lambda: DuplicatePicker(LONG_NAME, many_matches(), improved=False),
    ),
    Case(
        "classic picker, bulk",
        lambda: DuplicatePicker(
            LONG_NAME,
            models.DuplicateMatches(contacts=matches("contact", 6)),
            improved=False,
            position=(3, 12),
            linked={"account": LONG_NAME},
        ),
    ),
    Case(
        "qualified",
        lambda: QualifyResultScreen(
            QualifiedRecords(
                1, LONG_NAME, (LONG_TEXT,) * 4, account_id=1, contact_id=1, opportunity_id=1
            )
        ),
    ),
    Case("bulk qualify, running", lambda: BulkQualifyScreen(12)),
    Case("bulk qualify, summary", lambda: BulkQualifyScreen(12), show_bulk_summary),
    Case("may already exist", lambda: MayAlreadyExistScreen("lead", many_matches())),
    Case("close as won", lambda: CloseWonDialog(LONG_TEXT)),
    Case("close as lost", lambda: CloseLostDialog(LONG_TEXT)),
    Case(
        "owner",
        lambda: OwnerPicker(
            f"the 12 selected leads ({LONG_NAME})",
            [(i, f"{LONG_NAME} {i}", "Salesperson") for i in range(1, 30)],
            current=1,
        ),
    ),
    Case("bulk edit", lambda: BulkEditLeads(12_000)),
    Case("export", lambda: ExportDialog("mine", LONG_NAME, [])),
    Case("assign process", lambda: AssignProcessScreen(processes(12), current_id=1)),
    Case(
        "process activity form",
        lambda: ProcessFormScreen(
            "New activity in " + LONG_NAME,
            [
                Field("purpose", "Purpose", value=LONG_TEXT),
                Field("required", "Required", "bool", True),
                Field("days_to_start", "Days to start", "days", 0),
                Field("days_to_finish", "Days to finish", "days", 10),
                Field("responsible_role", "Responsible role", "role", "salesperson"),
            ],
            lambda values: None,
        ),
    ),
    Case("lookup", lambda: LookupScreen("account", LONG_NAME)),
    Case(
        "opportunity steps",
        lambda: OpportunitySteps(1, LONG_TEXT, "propose", {"identify_stakeholders": True}),
    ),
]


def modal_classes() -> set[type]:
    """Every concrete modal screen leadq defines (its modules imported first)."""
    for module in pkgutil.walk_packages(tui.__path__, "tui."):
        if not module.name.startswith("tui.ssh") and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: set[type] = set()
    todo: list[type] = [ModalScreen]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("tui.") and not sub.__name__.startswith("_"):
                found.add(sub)
    return found


def test_every_modal_screen_has_a_case() -> None:
    covered = {type(case.make()) for case in CASES}
    missing = {cls.__qualname__ for cls in modal_classes() - covered}
    assert not missing, f"no fit case for {sorted(missing)}"


def clipped(widget: Widget) -> str | None:
    """Why `widget` cannot be seen whole on its screen, or None when it can."""
    screen = widget.screen
    try:
        geometry = screen.find_widget(widget)
    except Exception:  # NoWidget: not laid out at all (scrolled away, or no room)
        return "not on the screen"
    region = geometry.region
    if not region.area:
        return "no room"
    if not screen.region.contains_region(region):
        return f"{region} is outside the screen {screen.region}"
    if not geometry.clip.contains_region(region):
        return f"{region} is cut by its container ({geometry.clip})"
    if isinstance(widget, Button) and region.width < widget.label.cell_length:
        return f"its label {widget.label.plain!r} is cut to {region.width} cells"
    return None


@pytest.mark.asyncio
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_every_button_of_every_dialog_is_on_screen(
    rep: models.User, case: Case, size: tuple[int, int]
) -> None:
    app = make_app(rep)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = case.make()
        app.push_screen(screen)
        await wait_until(pilot, lambda: app.screen is screen and screen.is_mounted)
        if case.after is not None:
            await case.after(screen)
        await pilot.pause()
        await pilot.pause()
        frame = screen.query_one("#dialog")
        assert clipped(frame) is None, f"the dialog: {clipped(frame)}"
        # A dialog without buttons (a list that picks on enter) shows its last line.
        shown = list(screen.query(Button)) or [frame.children[-1]]
        problems = {str(w): why for w in shown if (why := clipped(w))}
        assert not problems, problems
