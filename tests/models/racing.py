"""Two sessions at the same moment, in one test process: the test's own session
pauses inside a service, right after its deciding read, while contenders (other
threads, each with its own connection) run the same or another service.

A contender either finishes at once (nothing stopped it: the race the locks must
prevent) or waits on a lock the paused session holds. `start_and_settle` polls,
with a deadline, until each contender is finished or waiting: on PostgreSQL a
waiting lock shows in `pg_locks`, blocked by the paused session; on SQLite a
writer waits in `BEGIN IMMEDIATE`, which the contender reports as it enters it.
No fixed sleeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import models
from models.db import database_proxy, is_postgres

DEADLINE = 60.0

# Sessions waiting on a lock this session holds (pg_locks is read live; the
# pg_stat_* views would be a snapshot taken once per transaction).
_WAITING_SQL = (
    "SELECT count(DISTINCT pid) FROM pg_locks "
    "WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
)


class Contender:
    """Runs `action()` in its own thread and connection; keeps its result or error."""

    def __init__(self, action: Callable[[], Any]) -> None:
        self.action = action
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.began = threading.Event()  # entered BEGIN (SQLite: waits there if locked)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with models.thread_connection():
                self.result = self.action()
        except BaseException as exc:  # kept for the test to assert on
            self.error = exc
        finally:
            self.done.set()

    def join(self) -> None:
        self.thread.join(timeout=DEADLINE)
        assert not self.thread.is_alive(), "a contender did not finish"

    @property
    def acknowledged(self) -> bool:
        return self.done.is_set() and self.error is None


class Race:
    """Contenders that report entering BEGIN, and a way to wait until each of them is
    finished or waiting on a lock."""

    def __init__(self) -> None:
        self.contenders: list[Contender] = []
        db = database_proxy.obj
        real_begin = type(db).begin
        race = self

        def begin(self_db: Any, *args: Any, **kwargs: Any) -> Any:
            me = threading.current_thread()
            for contender in race.contenders:
                if contender.thread is me:
                    contender.began.set()
            return real_begin(self_db, *args, **kwargs)

        self._db = db
        db.begin = begin.__get__(db)

    def close(self) -> None:
        for contender in self.contenders:
            contender.join()
        del self._db.begin

    def add(self, action: Callable[[], Any]) -> Contender:
        contender = Contender(action)
        self.contenders.append(contender)
        return contender

    def start_and_settle(self, *contenders: Contender) -> None:
        """Start the contenders and return once each is finished or waiting."""
        for contender in contenders:
            contender.thread.start()
        deadline = time.monotonic() + DEADLINE
        while True:
            running = [c for c in contenders if not c.done.is_set()]
            if not running or len(running) <= self._waiting(running):
                return
            assert time.monotonic() < deadline, "contenders neither finished nor waited"
            time.sleep(0.005)

    def _waiting(self, running: list[Contender]) -> int:
        if is_postgres():
            return self._db.execute_sql(_WAITING_SQL).fetchone()[0]
        # SQLite: the paused session holds the write lock, so a contender that has
        # entered BEGIN IMMEDIATE waits there.
        return sum(c.began.is_set() for c in running)
