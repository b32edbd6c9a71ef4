"""One read path (issue 13), driven with Pilot: screens read their views in workers
and never query on the event loop; only the screen on top reloads on a change; a
local change reloads once; a stale read is dropped; a record deleted by another
session (another connection, in another thread) is said and the screen goes back,
never a traceback. Also the import contract: tui/ uses only the models front."""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, Tree

import models
from tui.screens.lead_detail import LeadDetailScreen
from tui.screens.processes import ProcessesScreen
from tui.screens.records import AccountScreen, OpportunityScreen

from ..conftest import make_lead
from ..helpers import make_app, settle, wait_until
from ..peewee_log import logged

GONE = "deleted in another session"
TWENTY_FIVE_MB = 25 * 1024 * 1024  # the largest attachment (models/notes.py)


def elsewhere(work: Callable[[], object]) -> None:
    """Run `work` as another session would: in another thread, on its own connection."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with models.thread_connection():
                work()
        except BaseException as exc:  # re-raised below, in the test
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive() and not errors, errors


def notified(pilot: Pilot, text: str) -> bool:
    return any(text in str(n.message) for n in pilot.app._notifications)


def queries_by_thread() -> AbstractContextManager[list[str]]:
    """The names of the threads that ran each query while the block runs."""
    return logged(lambda record: threading.current_thread().name)


async def open_screen(pilot: Pilot, open_it: Callable[[], object], kind: type) -> Any:
    open_it()
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind))
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.view is not None)
    await settle(pilot)
    return screen


# Deleted in another session.
@pytest.mark.asyncio
async def test_lead_deleted_elsewhere_is_said_and_the_detail_goes_back(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada, poll=True)  # the poll notices the other session's change
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, lambda: app.open_lead(lead.id), LeadDetailScreen)
        elsewhere(lambda: models.delete_lead(ada, lead.id))
        await wait_until(pilot, lambda: app.screen is not screen)
        await wait_until(pilot, lambda: notified(pilot, GONE))
        # Keys on what is left do nothing harmful.
        await pilot.press("ctrl+s", "q")
        await settle(pilot)
    assert app.return_code in (None, 0)


@pytest.mark.asyncio
async def test_saving_a_lead_deleted_elsewhere_goes_back(ada: models.User) -> None:
    lead = make_lead(ada)
    app = make_app(ada)  # no poll: the save itself finds the lead gone
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, lambda: app.open_lead(lead.id), LeadDetailScreen)
        screen.query_one("#f-city", Input).value = "Seattle"
        elsewhere(lambda: models.delete_lead(ada, lead.id))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is not screen)
        await wait_until(pilot, lambda: notified(pilot, GONE))
    assert app.return_code in (None, 0)


@pytest.mark.asyncio
async def test_account_deleted_elsewhere_while_covered_goes_back_when_uncovered(
    ada: models.User,
) -> None:
    result = models.qualify_lead(ada, make_lead(ada).id)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        account = await open_screen(
            pilot, lambda: app.open_account(result.account.id), AccountScreen
        )
        opportunity = await open_screen(
            pilot, lambda: app.open_opportunity(result.opportunity.id), OpportunityScreen
        )
        elsewhere(lambda: models.Account.delete().execute())
        app.data_changed()
        await settle(pilot)
        # The opportunity on top reloads (its account is gone from it); the account
        # view underneath waits until it is shown again.
        assert app.screen is opportunity
        assert "Customer account" not in str(opportunity.query_one("#related").render_lines)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is not account and notified(pilot, GONE))
        assert not isinstance(app.screen, AccountScreen)


@pytest.mark.asyncio
@pytest.mark.parametrize("key", ["e", "s", "i", "delete"])  # edit, sub-level, activity, remove
async def test_process_level_removed_elsewhere_while_highlighted(
    ada: models.User, key: str
) -> None:
    process = models.seed_demo_process(ada, [])
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, app.open_processes, ProcessesScreen)
        tree = screen.query_one("#outline", Tree)
        tree.focus()
        await pilot.press("down")  # the first level
        await settle(pilot)
        kind, level_id = tree.cursor_node.data  # type: ignore[union-attr]
        assert kind == "level"
        elsewhere(lambda: models.remove_level(ada, level_id))
        await pilot.press(key)
        await settle(pilot)
        assert app.screen is screen
        message = str(screen.query_one("#message", Static).render())
        assert "no longer exists" in message and "removed in another session" in message
        await wait_until(pilot, lambda: all(r.level_id != level_id for r in screen.tree_rows))
        assert screen.process_id == process.id and screen.tree_rows
    assert app.return_code in (None, 0)


# Only the screen on top reloads; a local change reloads once.
@pytest.mark.asyncio
async def test_only_the_screen_on_top_reloads(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = models.qualify_lead(ada, make_lead(ada).id)
    reads: list[str] = []
    real_detail, real_record = models.lead_detail, models.record_view
    monkeypatch.setattr(models, "lead_detail", lambda i: reads.append("lead") or real_detail(i))
    monkeypatch.setattr(models, "record_view", lambda k, i: reads.append(k) or real_record(k, i))
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        lead = await open_screen(pilot, lambda: app.open_lead(result.lead_id), LeadDetailScreen)
        await open_screen(pilot, lambda: app.open_account(result.account.id), AccountScreen)
        reads.clear()
        app.data_changed()
        app.data_changed()
        await settle(pilot)
        assert "lead" not in reads and 1 <= reads.count("account") <= 2
        reads.clear()
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is lead)
        await settle(pilot)
        assert reads == ["lead"]  # once when it comes back, however many changes


@pytest.mark.asyncio
async def test_a_local_save_reloads_the_detail_once(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = make_lead(ada)
    reads: list[int] = []
    real_detail = models.lead_detail
    monkeypatch.setattr(models, "lead_detail", lambda i: reads.append(i) or real_detail(i))
    monkeypatch.setattr("tui.app.POLL_SECONDS", 0.1)
    app = make_app(ada, poll=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, lambda: app.open_lead(lead.id), LeadDetailScreen)
        polls = app._change_token
        screen.query_one("#f-city", Input).value = "Seattle"
        await settle(pilot)
        reads.clear()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: notified(pilot, "Saved."), timeout=60)
        await wait_until(pilot, lambda: screen.query_one("#f-city", Input).value == "Seattle")
        # Ten poll intervals: the poll saw the token the save left, no reload.
        await pilot.pause(1.0)
        await settle(pilot)
        assert reads == [lead.id]
        assert app._change_token > polls
    assert models.get_lead(lead.id).city == "Seattle"


@pytest.mark.asyncio
async def test_the_poll_keeps_one_connection_and_still_sees_changes(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The once-a-second change poll reads through one connection for the session
    (a thread worker per poll connected anew each time: a PostgreSQL sign-in every
    second per session), and still refreshes on another session's change."""
    lead = make_lead(ada)
    database = models.database_proxy.obj
    connects: list[str] = []
    real_connect = database.connect

    def counted_connect(*args: Any, **kwargs: Any) -> Any:
        connects.append(threading.current_thread().name)
        return real_connect(*args, **kwargs)

    reads: list[str] = []
    real_token = models.change_token

    def counted_token() -> int:
        reads.append(threading.current_thread().name)
        return real_token()

    monkeypatch.setattr(database, "connect", counted_connect)
    monkeypatch.setattr(models, "change_token", counted_token)
    monkeypatch.setattr("tui.app.POLL_SECONDS", 0.05)
    app = make_app(ada, poll=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, lambda: app.open_lead(lead.id), LeadDetailScreen)
        await settle(pilot)
        connects.clear()
        reads.clear()
        await wait_until(pilot, lambda: len(reads) >= 6)  # six polls, nothing else reads
        assert len(connects) <= 1, connects
        models.update_lead(ada, lead.id, {"city": "Elsewhere"})  # another session's save
        city = lambda: screen.query_one("#f-city", Input).value  # noqa: E731
        await wait_until(pilot, lambda: city() == "Elsewhere")
        polls = [n for n in reads if n.startswith("leadq-poll")]
        assert len(polls) >= 6 and len(set(polls)) == 1  # one thread polls
        assert len([n for n in connects if n in polls]) <= 1


@pytest.mark.asyncio
async def test_the_start_up_check_runs_on_the_thread_that_then_polls(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quick_check left for after the first paint and the change poll share the
    app's database thread (a thread of their own each kept more of the C heap)."""
    ran: dict[str, list[str]] = {"check": [], "poll": []}
    real_check, real_token = models.finish_open_check, models.change_token

    def check() -> None:
        ran["check"].append(threading.current_thread().name)
        real_check()

    def token() -> int:
        ran["poll"].append(threading.current_thread().name)
        return real_token()

    monkeypatch.setattr(models, "finish_open_check", check)
    monkeypatch.setattr(models, "change_token", token)
    monkeypatch.setattr("tui.app.POLL_SECONDS", 0.05)
    app = make_app(ada, poll=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: ran["check"] and len(ran["poll"]) >= 3)
    assert len(ran["check"]) == 1
    polls = {name for name in ran["poll"] if name != "MainThread"}  # the app's first read
    assert polls == set(ran["check"]) and ran["check"][0].startswith("leadq-poll")


@pytest.mark.asyncio
async def test_the_loop_gives_back_its_connections_pages_after_the_first_frame(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main thread's connection read the list's first page; once it is painted the
    loop reads nothing more, and its connection's page cache is given back."""
    make_lead(ada)
    released: list[str] = []
    real_release = models.release_page_cache

    def release() -> None:
        released.append(threading.current_thread().name)
        real_release()

    monkeypatch.setattr(models, "release_page_cache", release)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: released)
        table = app.screen.query_one("#leads")
        await wait_until(pilot, lambda: table.loaded and table.total == 1)  # still reads
        await settle(pilot)
    assert released == ["MainThread"]


@pytest.mark.asyncio
async def test_a_stale_read_is_dropped(ada: models.User, monkeypatch: pytest.MonkeyPatch) -> None:
    lead = make_lead(ada)
    entered, may_end = threading.Event(), threading.Event()
    real_detail = models.lead_detail

    def detail(lead_id: int) -> models.LeadDetail:
        view = real_detail(lead_id)
        if not entered.is_set():  # the first read: held back until it is stale
            entered.set()
            assert may_end.wait(30)
        return view

    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, lambda: app.open_lead(lead.id), LeadDetailScreen)
        monkeypatch.setattr(models, "lead_detail", detail)
        screen.reload()
        await wait_until(pilot, entered.is_set)  # it has read the lead as it was
        elsewhere(lambda: models.update_lead(ada, lead.id, {"city": "Oslo"}))
        screen.reload()  # a newer read shows Oslo while the first is still held
        await wait_until(pilot, lambda: screen.query_one("#f-city", Input).value == "Oslo")
        may_end.set()  # the first read ends now, with Redmond: dropped
        await settle(pilot)
        await pilot.pause(0.2)
        assert screen.query_one("#f-city", Input).value == "Oslo"
        assert screen.lead.values["city"] == "Oslo"  # type: ignore[union-attr]


# No database work on the event loop.
@pytest.mark.asyncio
async def test_screens_and_services_never_query_on_the_event_loop(
    ada: models.User, tmp_path: Path
) -> None:
    lead = make_lead(ada)
    result = models.qualify_lead(ada, make_lead(ada, email="o@x.example").id)
    models.seed_demo_process(ada, [lead.id])
    attachment = tmp_path / "deck.bin"
    attachment.write_bytes(b"\x00" * (2 * 1024 * 1024))
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        loop_thread = threading.current_thread().name
        with queries_by_thread() as threads:
            detail = await open_screen(pilot, lambda: app.open_lead(lead.id), LeadDetailScreen)
            detail.query_one("#f-city", Input).value = "Bergen"
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: notified(pilot, "Saved."))
            await settle(pilot)
            await pilot.press("t", "space")  # check an activity off
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            await pilot.press(*"See the deck")
            detail.query_one("#attach-path", Input).value = str(attachment)
            detail.query_one("#attach-path", Input).focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: len(detail.lead.notes) == 1)  # type: ignore[union-attr]
            for open_it, kind in (
                (lambda: app.open_account(result.account.id), AccountScreen),
                (lambda: app.open_opportunity(result.opportunity.id), OpportunityScreen),
                (app.open_processes, ProcessesScreen),
            ):
                await open_screen(pilot, open_it, kind)
            await pilot.press("escape", "escape", "escape")
            await settle(pilot)
        assert threads, "the queries were not seen"
        assert loop_thread not in threads
    assert models.get_lead(lead.id).city == "Bergen"
    assert models.Note.get().attachment_name == "deck.bin"


@pytest.mark.asyncio
async def test_a_25_mb_attachment_is_read_and_stored_off_the_event_loop(
    ada: models.User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the file and storing the note run in the worker; what comes back to
    the loop is the file's name, not its bytes (the list shows the size the view
    read)."""
    lead = make_lead(ada)
    attachment = tmp_path / "deck.bin"
    attachment.write_bytes(b"\x01" * TWENTY_FIVE_MB)
    ran_in: dict[str, str] = {}
    real_read, real_add = models.read_attachment, models.add_note

    def read_attachment(path: str) -> tuple[str, bytes]:
        ran_in["read"] = threading.current_thread().name
        return real_read(path)

    def add_note(*args: Any) -> models.Note:
        ran_in["store"] = threading.current_thread().name
        return real_add(*args)

    import tui.widgets.notes_panel as notes_panel

    returned: list[object] = []
    real_run_service = notes_panel.run_service

    async def run_service(*args: Any, **kwargs: Any) -> object:
        returned.append(await real_run_service(*args, **kwargs))
        return returned[-1]

    monkeypatch.setattr(models, "read_attachment", read_attachment)
    monkeypatch.setattr(models, "add_note", add_note)
    monkeypatch.setattr(notes_panel, "run_service", run_service)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_screen(pilot, lambda: app.open_lead(lead.id), LeadDetailScreen)
        loop_thread = threading.current_thread().name
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"The deck")
        detail.query_one("#attach-path", Input).value = str(attachment)
        detail.query_one("#attach-path", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(detail.lead.notes) == 1)  # type: ignore[union-attr]
        await settle(pilot)
        assert ran_in.keys() == {"read", "store"}
        assert loop_thread not in ran_in.values()
        assert returned == ["deck.bin"]
        assert "Note added with deck.bin." in str(detail.query_one("#note-message", Static).visual)
        prompt = detail.query_one("#note-list").get_option_at_index(0).prompt.plain
        assert "deck.bin (25.0 MB)" in prompt
    assert len(models.Note.get().attachment_data) == TWENTY_FIVE_MB


@pytest.mark.asyncio
async def test_what_qualifying_imports_is_imported_in_a_thread_once_a_record_shows(
    ada: models.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    import tui.app

    imported: list[tuple[str, str]] = []
    real_import = importlib.import_module

    def import_module(name: str, package: str | None = None) -> object:
        imported.append((name, threading.current_thread().name))
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", import_module)
    lead = make_lead(ada)
    app = make_app(ada)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        loop_thread = threading.current_thread().name
        assert not [name for name, _ in imported if name in tui.app.NEXT_MODULES]
        await open_screen(pilot, lambda: app.open_lead(lead.id), LeadDetailScreen)
        wanted = list(tui.app.NEXT_MODULES)
        await wait_until(pilot, lambda: [n for n, _ in imported if n in wanted] == wanted)
        assert all(thread != loop_thread for name, thread in imported if name in wanted)


# The import contract.
QUERY_METHODS = {
    "select",
    "get",
    "get_by_id",
    "get_or_none",
    "get_or_create",
    "create",
    "insert",
    "insert_many",
    "update",
    "delete",
    "delete_by_id",
    "raw",
}


def test_tui_uses_only_the_models_front_and_never_queries_a_model() -> None:
    """tui/ (the screens and widgets, the command line, scripting, the servers and
    tui/ssh/) imports `models` (the package front) and nothing under it, reaches no
    module through it (`models.file_area.X`), and never calls a query method on a
    model class: reads go through `models.views`, writes through the services."""
    model_names = {
        name
        for name in dir(models)
        if isinstance(getattr(models, name), type)
        and issubclass(getattr(models, name), models.entities.BaseModel)
    }
    problems = []
    for path in sorted(Path("tui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported_models: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.startswith("models."):
                    problems.append(f"{path}:{node.lineno} imports {node.module}")
                if node.module == "models":
                    for alias in node.names:
                        if alias.name in model_names:
                            imported_models.add(alias.asname or alias.name)
                        elif not hasattr(models, alias.name) or isinstance(
                            getattr(models, alias.name), type(models)
                        ):
                            problems.append(f"{path}:{node.lineno} imports models.{alias.name}")
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("models."):
                        problems.append(f"{path}:{node.lineno} imports {alias.name}")
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "models"
                and isinstance(getattr(models, node.attr, None), type(models))
            ):
                problems.append(f"{path}:{node.lineno} reaches models.{node.attr}")
            if isinstance(node, ast.Attribute) and node.attr in QUERY_METHODS:
                owner = node.value
                if (
                    isinstance(owner, ast.Attribute)
                    and isinstance(owner.value, ast.Name)
                    and owner.value.id == "models"
                    and owner.attr in model_names
                ) or (isinstance(owner, ast.Name) and owner.id in imported_models):
                    problems.append(f"{path}:{node.lineno} queries a model ({node.attr})")
    assert problems == []


def test_tui_never_imports_the_seed_script() -> None:
    """The demo data and seeding are the models' (models.demo, models.seeding);
    seed.py is only their command line, and nothing in tui/ imports it, at the top or
    inside a function (`leadq seed` and first-run seeding call models.seed_demo_data)."""
    problems = []
    for path in sorted(Path("tui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            if any(name.split(".")[0] == "seed" for name in names):
                problems.append(f"{path}:{node.lineno} imports seed")
    assert problems == []
