"""Full garbage collections run while the user is idle (tui/collector.py): not
automatically while the app runs, given back when it stops; garbage that grew old
is collected once the user pauses, not while keys keep coming nor while a screen
is built, and anyway once long overdue."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator

import pytest

import models
from tui import collector
from tui.collector import IdleCollector
from tui.screens.lead_detail import LeadDetailScreen

from ..conftest import make_lead
from ..helpers import make_app, settle, wait_for_screen, wait_until


class Cycle:
    """Garbage only the cyclic collector frees (it refers to itself)."""

    def __init__(self) -> None:
        self.me = self


def old_garbage(younger_collections: int) -> weakref.ref[Cycle]:
    """A cycle made garbage and moved to the oldest generation, then as many younger
    collections as asked since the last full one (`gc.get_count()[2]`)."""
    gc.collect()
    cycle = Cycle()
    gc.collect(1)  # survives into the oldest generation (it is still alive)
    ref = weakref.ref(cycle)
    del cycle
    while gc.get_count()[2] < younger_collections:
        gc.collect(1)  # a younger collection leaves old garbage alone
    assert ref() is not None
    return ref


class FakeApp:
    def set_interval(self, *args: object, **kwargs: object) -> object:
        class Timer:
            def stop(self) -> None:
                pass

        return Timer()


@pytest.fixture
def idle_collector() -> Iterator[IdleCollector]:
    saved = gc.get_threshold()
    watcher = IdleCollector(FakeApp())
    watcher.start()
    yield watcher
    watcher.stop()
    assert gc.get_threshold() == saved


def test_old_garbage_waits_while_the_user_types_then_goes_when_idle(
    idle_collector: IdleCollector,
) -> None:
    ref = old_garbage(collector.FULL_DUE)
    idle_collector.touched()
    assert not idle_collector.check()
    assert ref() is not None
    idle_collector.last_input = time.monotonic() - collector.IDLE_SECONDS
    assert idle_collector.check()
    assert ref() is None
    assert idle_collector.full_collections == 1


def test_no_full_collection_before_one_is_due(idle_collector: IdleCollector) -> None:
    gc.collect()
    idle_collector.last_input = time.monotonic() - 60
    assert gc.get_count()[2] < collector.FULL_DUE
    assert not idle_collector.check()


def test_an_overdue_collection_runs_even_while_the_user_types(
    idle_collector: IdleCollector,
) -> None:
    ref = old_garbage(collector.FULL_OVERDUE)
    idle_collector.touched()
    assert idle_collector.check()
    assert ref() is None


def test_a_screen_being_built_holds_the_collection_until_it_is_shown(
    idle_collector: IdleCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = old_garbage(collector.FULL_DUE)
    idle_collector.hold()
    idle_collector.last_input = time.monotonic() - 60
    assert not idle_collector.check()
    idle_collector.release()
    assert not idle_collector.check()  # released: the user is idle again a second later
    idle_collector.last_input = time.monotonic() - collector.IDLE_SECONDS
    assert idle_collector.check() and ref() is None
    monkeypatch.setattr(collector, "HOLD_SECONDS", 0.0)  # a hold never released expires
    ref = old_garbage(collector.FULL_DUE)
    idle_collector.hold()
    idle_collector.last_input = time.monotonic() - 60
    assert idle_collector.check() and ref() is None


def test_work_waiting_for_idleness_runs_once_when_the_user_is_idle(
    idle_collector: IdleCollector,
) -> None:
    ran: list[int] = []
    idle_collector.when_idle(lambda: ran.append(1))
    idle_collector.touched()
    idle_collector.check()
    assert ran == []
    idle_collector.last_input = time.monotonic() - collector.IDLE_SECONDS
    idle_collector.check()
    idle_collector.check()
    assert ran == [1]


@pytest.mark.asyncio
async def test_the_app_turns_automatic_full_collections_off_while_it_runs(
    sqlite_db: object,
) -> None:
    saved = gc.get_threshold()
    user = models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    app = make_app(user)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert gc.get_threshold() == (saved[0], collector.YOUNG_MIDDLE, collector.NEVER)
        before = app._collector.last_input
        await pilot.press("down")
        assert app._collector.last_input > before  # a key is the user being there
        touched = app._collector.last_input
        app.open_lead(make_lead(user).id)
        assert app._collector.last_input > touched  # so is a screen being opened
        old_garbage(collector.FULL_DUE)
        app._collector.last_input = time.monotonic() - 60
        assert not app._collector.check()  # the lead screen is being built
        screen = await wait_for_screen(pilot, LeadDetailScreen)
        await wait_until(pilot, lambda: screen._kept)
        await settle(pilot)
        old_garbage(collector.FULL_DUE)
        app._collector.last_input = time.monotonic() - 60
        assert app._collector.check()  # built and shown: collected when idle
    assert gc.get_threshold() == saved
