"""The qualifying-process screens driven with Pilot, and their snapshots at 80x24:
the processes screen (admin and read-only), the form, the lead's activities
panel and the process picker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Header, OptionList, Static, TabbedContent, Tree
from textual.widgets._footer import FooterKey

import models
from models import LeadActivity, Role
from tui.screens.assign_process import AssignProcessScreen
from tui.screens.process_form import ProcessFormScreen
from tui.screens.processes import ProcessesScreen
from tui.widgets.activities_panel import ActivitiesPanel
from tui.widgets.footer import KeyFooter

from ..conftest import make_lead
from ..helpers import make_app, settle

ASSIGNED_ON = dt.date(2024, 3, 1)
TODAY = dt.date(2024, 3, 5)
DONE_AT = dt.datetime(2024, 3, 2, 9, 30)


@pytest.fixture
def people(sqlite_db: object) -> Iterator[tuple[models.User, models.User]]:
    admin = models.create_user("ada", "Ada Admin", Role.SYSTEM_ADMINISTRATOR)
    rep = models.create_user("riley", "Riley Rep", Role.SALESPERSON)
    yield admin, rep


@pytest.fixture
def demo(people: tuple[models.User, models.User]) -> dict[str, object]:
    """The feature on, the demo process on two leads (one ready, one blocked), with
    check-off times frozen for stable snapshots."""
    admin, rep = people
    ready = make_lead(rep)
    blocked = make_lead(
        rep,
        first_name="Bo",
        last_name="Blocked",
        email="bo@fabrikam.com",
        company="Fabrikam",
        website="fabrikam.com",
        business_phone="+1 425 555 0100",
    )
    process = models.seed_demo_process(admin, [ready.id, blocked.id], on=ASSIGNED_ON)
    LeadActivity.update(done_at=DONE_AT).where(LeadActivity.done == True).execute()  # noqa: E712
    return {"admin": admin, "rep": rep, "ready": ready, "blocked": blocked, "process": process}


class PanelHost(Screen):
    """The activities panel alone, as the lead detail hosts it, with a fixed today."""

    def __init__(self, lead_id: int) -> None:
        super().__init__()
        self.lead_id = lead_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield ActivitiesPanel(today=TODAY, id="activities")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "data_version", lambda _v: self.load(), init=False)
        self.load()
        self.query_one(ActivitiesPanel).focus_list()

    def load(self) -> None:
        self.query_one(ActivitiesPanel).show_lead(models.get_lead(self.lead_id))


def outline_labels() -> list[str]:
    process = models.list_processes()[0]
    return [
        r.activity.purpose if r.activity else r.level.name
        for r in models.process_outline(process.id)
    ]


# The processes screen.
@pytest.mark.asyncio
async def test_feature_off_says_so_and_offers_nothing(
    people: tuple[models.User, models.User],
) -> None:
    admin, _ = people
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, ProcessesScreen)
        banner = screen.query_one("#banner", Static)
        assert "feature is off" in str(banner.render())
        assert screen.query_one("#body").display is False
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        assert models.QualifyingProcess.select().count() == 0


@pytest.mark.asyncio
async def test_admin_defines_a_process_from_the_keyboard(
    people: tuple[models.User, models.User],
) -> None:
    admin, _ = people
    models.change_setting(admin, "lead_qualifying_process", True)
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_processes()
        await settle(pilot)
        await pilot.press("n")
        assert isinstance(app.screen, ProcessFormScreen)
        await pilot.press(*"Onboarding", "tab", *"New customers", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ProcessesScreen)
        [process] = models.list_processes()
        assert (process.name, process.description) == ("Onboarding", "New customers")

        await pilot.press("l", *"Discovery", "enter")
        await settle(pilot)
        await pilot.press("tab", "down")  # the tree: root, then Discovery
        tree = app.screen.query_one("#outline", Tree)
        assert tree.has_focus and tree.cursor_node.data[0] == "level"
        # An activity: purpose, required off, 2 to 5 days, sales manager.
        await pilot.press("i", *"Call the buyer", "tab", "space", "tab")
        await pilot.press("backspace", "2", "tab", "backspace", "5", "tab")
        await pilot.press("enter", "down", "enter")  # the role select: Sales manager
        await pilot.press("ctrl+s")
        await settle(pilot)
        activity = models.ProcessActivity.get()
        assert (
            activity.purpose,
            activity.required,
            activity.days_to_start,
            activity.days_to_finish,
            activity.responsible_role,
        ) == ("Call the buyer", False, 2, 5, Role.SALES_MANAGER)

        # A sub-level under Discovery, then move it... and edit the activity.
        await pilot.press("s", *"Budget", "enter")
        await settle(pilot)
        assert outline_labels() == ["Discovery", "Call the buyer", "Budget"]
        assert models.ProcessLevel.get(models.ProcessLevel.name == "Budget").parent_id


@pytest.mark.asyncio
async def test_form_shows_model_errors_and_stays_open(
    people: tuple[models.User, models.User],
) -> None:
    admin, _ = people
    models.change_setting(admin, "lead_qualifying_process", True)
    process = models.create_process(admin, "P")
    models.add_level(admin, process.id, "L")
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_processes()
        await settle(pilot)
        await pilot.press("tab", "down", "i", *"Too late", "tab", "tab", "backspace", "9")
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ProcessFormScreen)
        error = form.query_one("#err-days_to_finish", Static)
        assert error.has_class("visible")
        assert "cannot be less than days to start" in str(error.render())
        assert models.ProcessActivity.select().count() == 0
        await pilot.press("escape")
        assert isinstance(app.screen, ProcessesScreen)


@pytest.mark.asyncio
async def test_copy_activate_default_and_delete(demo: dict[str, object]) -> None:
    admin = demo["admin"]
    app = make_app(admin)  # type: ignore[arg-type]
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_processes()
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        copy = models.QualifyingProcess.get(
            models.QualifyingProcess.name == "Copy of Standard B2B qualification"
        )
        assert copy.active is False
        table = app.screen.query_one("#process-table", DataTable)
        assert table.row_count == 2
        assert app.screen.process_id == copy.id  # the cursor follows the copy
        await pilot.press("a")
        assert models.get_process(copy.id).active is True
        await pilot.press("d")
        assert models.load_settings().default_qualifying_process == str(copy.id)
        await pilot.press("d")
        assert models.load_settings().default_qualifying_process == ""
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert [p.name for p in models.list_processes()] == ["Standard B2B qualification"]
        # The demo process is assigned to leads: deleting it is refused, and said.
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        message = app.screen.query_one("#message", Static)
        assert "assigned to 2 lead(s)" in str(message.render())
        assert len(models.list_processes()) == 1


@pytest.mark.asyncio
async def test_rep_sees_processes_read_only(demo: dict[str, object]) -> None:
    app = make_app(demo["rep"])  # type: ignore[arg-type]
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_processes()
        await settle(pilot)
        screen = app.screen
        assert "Read-only" in str(screen.query_one("#banner", Static).render())
        for key in ("n", "c", "a", "d", "delete"):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is screen
        assert len(models.list_processes()) == 1
        assert models.get_process(demo["process"].id).active  # type: ignore[attr-defined]
        keys = {key for key, active in screen.active_bindings.items() if active.enabled}
        assert "n" not in keys and "delete" not in keys


@pytest.mark.asyncio
async def test_user_text_is_literal(people: tuple[models.User, models.User]) -> None:
    admin, _ = people
    models.change_setting(admin, "lead_qualifying_process", True)
    process = models.create_process(admin, "[bold red]x[/] [@click=app.quit]q[/]")
    level = models.add_level(admin, process.id, "[b]L[/b]")
    models.add_activity(admin, level.id, purpose="\x1b[31mred\x1b[0m [i]p[/i]")
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_processes()
        await settle(pilot)
        tree = app.screen.query_one("#outline", Tree)
        assert str(tree.root.label) == "[bold red]x[/] [@click=app.quit]q[/]"
        level_node = tree.root.children[0]
        assert str(level_node.label) == "[b]L[/b]"
        assert "␛[31mred␛[0m [i]p[/i]" in str(level_node.children[0].label)
        assert app.is_running


# The activities panel on the lead.
@pytest.mark.asyncio
async def test_check_off_and_reopen_on_the_lead_detail(demo: dict[str, object]) -> None:
    rep, blocked = demo["rep"], demo["blocked"]
    app = make_app(rep)  # type: ignore[arg-type]
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_lead(blocked.id)  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        tabs = app.screen.query_one("#detail-tabs", TabbedContent)
        assert tabs.active == "tab-activities"
        panel = app.screen.query_one(ActivitiesPanel)
        assert panel.query_one("#activity-list", OptionList).has_focus
        # The first activity is done (seeded); the second is open.
        await pilot.press("down", "space")
        await settle(pilot)
        second = models.lead_activities(blocked.id)[1]  # type: ignore[attr-defined]
        assert second.done and second.done_by_id == rep.id  # type: ignore[attr-defined]
        event = models.get_lead(blocked.id).history()[0]  # type: ignore[attr-defined]
        assert (event.action, event.actor_id) == ("activity_done", rep.id)  # type: ignore[attr-defined]
        assert "Checked off: Confirm company and contact role" in str(
            panel.query_one("#activities-message", Static).render()
        )
        await pilot.press("space")
        await settle(pilot)
        assert not models.lead_activities(blocked.id)[1].done  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_activities_tab_hidden_when_feature_off(demo: dict[str, object]) -> None:
    admin, ready = demo["admin"], demo["ready"]
    models.change_setting(admin, "lead_qualifying_process", False)  # type: ignore[arg-type]
    app = make_app(demo["rep"])  # type: ignore[arg-type]
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_lead(ready.id)  # type: ignore[attr-defined]
        await settle(pilot)
        tabs = app.screen.query_one("#detail-tabs", TabbedContent)
        assert tabs.get_tab("tab-activities").display is False
        await pilot.press("t")
        assert tabs.active != "tab-activities"
        # Switched on again elsewhere: the tab comes back with its data.
        models.change_setting(admin, "lead_qualifying_process", True)  # type: ignore[arg-type]
        app.data_changed()
        await settle(pilot)
        assert tabs.get_tab("tab-activities").display is True
        await pilot.press("t")  # the tab is composed when first shown
        await settle(pilot)
        assert len(app.screen.query_one(ActivitiesPanel).activities) == 6


@pytest.mark.asyncio
async def test_assign_a_process_from_the_picker(demo: dict[str, object]) -> None:
    admin, rep = demo["admin"], demo["rep"]
    light = models.create_process(admin, "Light touch", "One call")  # type: ignore[arg-type]
    level = models.add_level(admin, light.id, "Call")  # type: ignore[arg-type]
    models.add_activity(admin, level.id, purpose="Quick call")  # type: ignore[arg-type]
    models.create_process(admin, "Dormant", active=False)  # type: ignore[arg-type]
    lead = make_lead(rep, email="new@x.com", first_name="Neo")  # type: ignore[arg-type]
    app = make_app(rep)  # type: ignore[arg-type]
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(PanelHost(lead.id))
        await settle(pilot)
        panel = app.screen.query_one(ActivitiesPanel)
        assert "No qualifying process assigned" in str(
            panel.query_one("#activities-summary", Static).render()
        )
        await pilot.press("p")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, AssignProcessScreen)
        names = [p.name for p in picker.processes]
        assert names == ["Light touch", "Standard B2B qualification"]  # no inactive one
        await pilot.press("enter")
        await settle(pilot)
        assert models.lead_process(lead.id).process_name == "Light touch"
        assert [a.purpose for a in panel.activities] == ["Quick call"]
        # Check it off, then try to switch processes: refused, and said.
        await pilot.press("space")
        await pilot.press("p", "down", "enter")
        await settle(pilot)
        message = str(panel.query_one("#activities-message", Static).render())
        assert "already done" in message
        assert models.lead_process(lead.id).process_name == "Light touch"


class UnloadedPanelHost(PanelHost):
    """The panel's host before its lead's view has arrived."""

    def load(self) -> None:
        pass


@pytest.mark.asyncio
async def test_the_footer_offers_the_panels_keys_when_its_lead_arrives(
    demo: dict[str, object],
) -> None:
    """The panel's keys depend on the feature being on, which the panel learns from
    the lead it shows: the footer follows whenever the lead arrives, also after the
    focus has settled (a slow read)."""
    app = make_app(demo["rep"])  # type: ignore[arg-type]
    blocked = demo["blocked"]
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(UnloadedPanelHost(blocked.id))  # type: ignore[attr-defined]
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        assert isinstance(app.screen.focused, OptionList)
        assert "space" not in [key.key for key in footer.query(FooterKey)]
        panel = app.screen.query_one(ActivitiesPanel)
        panel.show_activities(models.lead_detail(blocked.id))  # type: ignore[attr-defined]
        await settle(pilot)
        keys = [key.key for key in footer.query(FooterKey)]
        assert keys[:3] == ["space", "p", "P"]


# Snapshots at 80x24.
def test_snapshot_processes_screen(demo: dict[str, object], snap_compare: object) -> None:
    app = make_app(demo["admin"])  # type: ignore[arg-type]

    async def run_before(pilot: object) -> None:
        app.open_processes()
        await settle(pilot)  # type: ignore[attr-defined]

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)  # type: ignore[operator]


def test_snapshot_processes_read_only(demo: dict[str, object], snap_compare: object) -> None:
    app = make_app(demo["rep"])  # type: ignore[arg-type]

    async def run_before(pilot: object) -> None:
        app.open_processes()
        await settle(pilot)  # type: ignore[attr-defined]
        await pilot.press("tab", "down", "down")  # type: ignore[attr-defined]

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)  # type: ignore[operator]


def test_snapshot_activities_panel(demo: dict[str, object], snap_compare: object) -> None:
    app = make_app(demo["rep"])  # type: ignore[arg-type]
    blocked = demo["blocked"]

    async def run_before(pilot: object) -> None:
        app.push_screen(PanelHost(blocked.id))  # type: ignore[attr-defined]
        await settle(pilot)  # type: ignore[attr-defined]

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)  # type: ignore[operator]


def test_snapshot_assign_picker(demo: dict[str, object], snap_compare: object) -> None:
    admin = demo["admin"]
    light = models.create_process(admin, "Light touch", "One call, then qualify.")  # type: ignore[arg-type]
    models.add_activity(
        admin,  # type: ignore[arg-type]
        models.add_level(admin, light.id, "Call").id,  # type: ignore[arg-type]
        purpose="Quick call",
    )
    app = make_app(demo["rep"])  # type: ignore[arg-type]
    ready = demo["ready"]

    async def run_before(pilot: object) -> None:
        app.push_screen(PanelHost(ready.id))  # type: ignore[attr-defined]
        await settle(pilot)  # type: ignore[attr-defined]
        await pilot.press("p")  # type: ignore[attr-defined]
        await settle(pilot)  # type: ignore[attr-defined]

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)  # type: ignore[operator]
