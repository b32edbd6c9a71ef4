"""Database faults reach the user as a sentence (a LeadqError), never as a raw
database error, and leave nothing half-written: a busy or brand-new SQLite file,
a full disk, a dropped or silent PostgreSQL server, timeouts."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import socket
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import peewee
import psycopg
import pytest

import models
import models.leads
from models import Lead, Note, backends
from models.backends import (
    ConnectionLost,
    DatabaseBusy,
    DatabaseTimeout,
    DatabaseUnreachable,
    DiskFull,
    SaveUncertain,
)
from models.db import database_proxy

from ..conftest import make_lead
from ..pgserver import PostgresServer

DEADLINE = 60


def run_with_deadline(fn: Any) -> Any:
    """Run `fn` in a thread; fail (instead of hanging the suite) past DEADLINE."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # handed to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(DEADLINE)
    assert not thread.is_alive(), "no answer: the call hung"
    if "error" in box:
        raise box["error"]
    return box["result"]


# --- SQLite: busy, a brand-new file, a full disk ------------------------------------


def test_a_write_lock_held_too_long_says_busy(sqlite_db, tmp_path, monkeypatch) -> None:
    ada = models.create_user("ada", "Ada", models.Role.SYSTEM_ADMINISTRATOR)
    lead = make_lead(ada)
    monkeypatch.setattr(sqlite_db, "busy_seconds", 0.3)
    other = sqlite3.connect(tmp_path / "leadq.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock throughout
    try:
        with pytest.raises(DatabaseBusy) as caught:
            models.update_lead(ada, lead.id, {"city": "Busytown"})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert isinstance(caught.value, models.LeadqError)
    assert "busy" in str(caught.value) and "try again" in str(caught.value)
    assert Lead.get_by_id(lead.id).city == "Redmond"
    models.update_lead(ada, lead.id, {"city": "Seattle"})  # free again: it works
    assert Lead.get_by_id(lead.id).city == "Seattle"


def test_a_writer_waits_its_turn_below_the_busy_timeout(sqlite_db, tmp_path, monkeypatch) -> None:
    """The lock is released while the writer waits: the write goes through."""
    ada = models.create_user("ada", "Ada", models.Role.SYSTEM_ADMINISTRATOR)
    lead = make_lead(ada)
    other = sqlite3.connect(tmp_path / "leadq.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    waiting = threading.Event()
    real_sleep = backends.time.sleep

    def sleep(seconds: float) -> None:
        waiting.set()
        real_sleep(seconds)

    monkeypatch.setattr(backends.time, "sleep", sleep)

    def release_once_waiting() -> None:
        assert waiting.wait(DEADLINE)
        other.execute("ROLLBACK")

    releaser = threading.Thread(target=release_once_waiting)
    releaser.start()
    models.update_lead(ada, lead.id, {"city": "Seattle"})
    releaser.join(DEADLINE)
    other.close()
    assert Lead.get_by_id(lead.id).city == "Seattle"


def test_opening_a_new_file_while_another_process_creates_it(tmp_path, monkeypatch) -> None:
    """The switch to WAL on a brand-new file returns BUSY at once (without waiting)
    while another connection holds the file: it is retried."""
    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # as a process creating the file does
    waiting = threading.Event()
    real_sleep = backends.time.sleep

    def sleep(seconds: float) -> None:
        waiting.set()
        real_sleep(seconds)

    monkeypatch.setattr(backends.time, "sleep", sleep)

    def release_once_waiting() -> None:
        assert waiting.wait(DEADLINE)
        holder.execute("COMMIT")

    releaser = threading.Thread(target=release_once_waiting)
    releaser.start()
    try:
        db = models.open_database(f"sqlite:///{path}")
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        releaser.join(DEADLINE)
        holder.close()
        models.close_database()


def _open_new_file(url: str, barrier: Any, results: Any) -> None:
    try:
        barrier.wait(timeout=DEADLINE)
        models.open_database(url)
        models.create_user(f"u{mp.current_process().pid}", "Someone")
        models.close_database()
        results.put("ok")
    except Exception as exc:  # reported to the test
        results.put(f"{type(exc).__name__}: {exc}")


def test_several_processes_opening_a_brand_new_file_all_succeed(tmp_path) -> None:
    ctx = mp.get_context("spawn")
    url = f"sqlite:///{tmp_path / 'together.db'}"
    count = 6
    barrier, results = ctx.Barrier(count), ctx.Queue()
    procs = [ctx.Process(target=_open_new_file, args=(url, barrier, results)) for _ in range(count)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=DEADLINE * 2) for _ in procs]
    for proc in procs:
        proc.join(DEADLINE)
    assert outcomes == ["ok"] * count
    models.open_database(url)
    try:
        assert models.User.select().count() == count
    finally:
        models.close_database()


@contextlib.contextmanager
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder on a 3 MB tmpfs (as root, where the machine allows mounting), else an
    ordinary folder whose database is capped with PRAGMA max_page_count, which
    gives SQLite the same SQLITE_FULL a full disk does."""
    mount = tmp_path / "small"
    mount.mkdir()
    try:
        mounted = not subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
        ).returncode
    except OSError:  # no mount command
        mounted = False
    try:
        yield mount, "tmpfs" if mounted else "max_page_count"
    finally:
        models.close_database()
        if mounted:
            subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_says_so_and_saves_nothing(tmp_path) -> None:
    with small_disk(tmp_path) as (folder, how):
        db = models.open_database(f"sqlite:///{folder / 'leadq.db'}")
        ada = models.create_user("ada", "Ada", models.Role.SYSTEM_ADMINISTRATOR)
        lead = make_lead(ada)
        if how == "max_page_count":
            pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
            db.execute_sql(f"PRAGMA max_page_count = {pages + 600}")  # ~2.4 MB more
        big = ("scan.bin", bytes(range(256)) * 1200)  # 300 KB, several notes fill it
        saved = []
        with pytest.raises(DiskFull) as caught:
            for _ in range(30):
                saved.append(models.add_note(ada, lead, "scan", attachment=big).id)
        message = str(caught.value)
        assert "disk is full" in message and "nothing was saved" in message, (how, message)
        assert "rollback" not in message
        assert 0 < len(saved) < 30
        # Intact: what was acknowledged is there, the refused note is not.
        assert db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [n.id for n in Note.select().order_by(Note.id)] == saved
        notes_events = models.AuditEvent.select().where(models.AuditEvent.action == "note_added")
        assert notes_events.count() == len(saved)


def test_an_io_error_is_named_and_nothing_half_written(sqlite_db, monkeypatch) -> None:
    """SQLite has rolled back by itself after SQLITE_IOERR; the ROLLBACK that follows
    must not replace the cause with "cannot rollback - no transaction is active"."""
    ada = models.create_user("ada", "Ada", models.Role.SYSTEM_ADMINISTRATOR)
    lead = make_lead(ada)
    real = backends.SqliteDatabase.execute_prepared

    def fail_on_audit(self: Any, sql: str, params: Any) -> Any:
        if sql.startswith('INSERT INTO "audit_event"') and self.in_transaction():
            self._state.conn.execute("ROLLBACK")  # what SQLite does on SQLITE_IOERR
            error = sqlite3.OperationalError("disk I/O error")
            error.sqlite_errorname = "SQLITE_IOERR_WRITE"
            raise backends.sqlite_fault(error) from error
        return real(self, sql, params)

    monkeypatch.setattr(backends.SqliteDatabase, "execute_prepared", fail_on_audit)
    with pytest.raises(backends.DiskError) as caught:
        models.update_lead(ada, lead.id, {"city": "Nowhere"})
    assert "disk I/O error" in str(caught.value) and "nothing was saved" in str(caught.value)
    monkeypatch.undo()
    assert Lead.get_by_id(lead.id).city == "Redmond"
    models.update_lead(ada, lead.id, {"city": "Seattle"})
    assert Lead.get_by_id(lead.id).city == "Seattle"


# --- PostgreSQL: dropped connections, silent servers, timeouts ---------------------


@pytest.fixture
def pg(pg_url: str) -> Iterator[peewee.Database]:
    from ..conftest import _truncate_postgres

    db = models.open_database(pg_url)
    _truncate_postgres()
    yield db
    models.close_database()


def terminate_my_backend(url: str) -> None:
    """End this thread's server session from another connection, as an admin's
    pg_terminate_backend (or a pooler's idle timeout) would."""
    pid = database_proxy.obj.connection().info.backend_pid
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        admin.execute(
            "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)
        )  # ended once it is gone from the list: wait for it
        for _ in range(1000):
            if not admin.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone():
                return
        raise AssertionError("the session did not end")


def test_a_dropped_connection_is_replaced_on_the_next_call(pg, pg_url) -> None:
    ada = models.create_user("ada", "Ada", models.Role.SYSTEM_ADMINISTRATOR)
    lead = make_lead(ada)
    terminate_my_backend(pg_url)
    assert models.get_lead(lead.id).city == "Redmond"  # a read: run again on a new connection
    terminate_my_backend(pg_url)
    models.update_lead(ada, lead.id, {"city": "Seattle"})  # BEGIN: run again, then the edit
    assert models.get_lead(lead.id).city == "Seattle"
    assert len(models.AuditEvent.select().where(models.AuditEvent.action == "updated")) == 1


def test_a_write_cut_off_is_reported_and_not_applied(pg, pg_url, monkeypatch) -> None:
    ada = models.create_user("ada", "Ada", models.Role.SYSTEM_ADMINISTRATOR)
    lead = make_lead(ada)
    real_record = models.leads.record

    def record_after_the_connection_drops(*args: Any) -> Any:
        terminate_my_backend(pg_url)
        return real_record(*args)

    monkeypatch.setattr(models.leads, "record", record_after_the_connection_drops)
    with pytest.raises(ConnectionLost) as caught:
        models.update_lead(ada, lead.id, {"city": "Cut Off"})
    assert "nothing was saved" in str(caught.value)
    monkeypatch.undo()
    assert models.get_lead(lead.id).city == "Redmond"
    models.update_lead(ada, lead.id, {"city": "Seattle"})
    assert models.get_lead(lead.id).city == "Seattle"


def test_a_commit_cut_off_says_it_may_not_be_saved_and_is_not_repeated(
    pg, pg_url, monkeypatch
) -> None:
    ada = models.create_user("ada", "Ada", models.Role.SYSTEM_ADMINISTRATOR)
    lead = make_lead(ada)
    real_commit = peewee.Database.commit

    def commit_after_the_connection_drops(self: peewee.Database) -> None:
        terminate_my_backend(pg_url)
        real_commit(self)

    monkeypatch.setattr(peewee.Database, "commit", commit_after_the_connection_drops)
    with pytest.raises(SaveUncertain) as caught:
        models.add_note(ada, lead, "once only")
    assert "may or may not have been saved" in str(caught.value)
    monkeypatch.undo()
    # The server rolled it back with the session, and leadq did not send it again.
    assert Note.select().count() == 0
    models.add_note(ada, lead, "again")
    assert [n.text for n in Note.select()] == ["again"]


def test_a_server_restart_is_ridden_out() -> None:
    server = PostgresServer()
    server.start()
    try:
        url = server.create_database("restart")
        models.open_database(url)
        ada = models.create_user("ada", "Ada", models.Role.SYSTEM_ADMINISTRATOR)
        lead = make_lead(ada)
        server.restart()
        assert models.get_lead(lead.id).topic == lead.topic
        server.restart()
        models.update_lead(ada, lead.id, {"city": "Seattle"})
        assert models.get_lead(lead.id).city == "Seattle"
    finally:
        models.close_database()
        server.stop()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(DEADLINE)
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_server_that_never_answers_gives_a_message(silent_server) -> None:
    url = f"postgresql://leadq@127.0.0.1:{silent_server}/leadq?connect_timeout=2"
    with pytest.raises(DatabaseUnreachable) as caught:
        run_with_deadline(lambda: models.open_database(url))
    assert f"127.0.0.1:{silent_server} did not answer within 2 s" in str(caught.value)
    assert isinstance(caught.value, models.LeadqError)


def test_the_default_connect_timeout_is_a_few_seconds() -> None:
    db = backends.PostgresDatabase("postgresql://leadq@127.0.0.1:1/leadq")
    assert db.connect_params["connect_timeout"] == backends.CONNECT_TIMEOUT <= 10
    given = backends.PostgresDatabase("postgresql://leadq@127.0.0.1:1/leadq?connect_timeout=3")
    assert "connect_timeout" not in given.connect_params  # the URL's own is kept


def test_statements_and_lock_waits_time_out(pg, pg_url) -> None:
    assert pg.execute_sql("SHOW statement_timeout").fetchone()[0] == "30s"
    assert pg.execute_sql("SHOW lock_timeout").fetchone()[0] == "10s"
    with pytest.raises(DatabaseTimeout) as caught, pg.atomic():
        pg.execute_sql("SET LOCAL statement_timeout = 200")
        pg.execute_sql("SELECT pg_sleep(30)")
    assert "took more than" in str(caught.value)

    ada = models.create_user("ada", "Ada", models.Role.SYSTEM_ADMINISTRATOR)
    lead = make_lead(ada)
    with psycopg.connect(pg_url) as other:  # holds the lead's row lock
        other.execute("SELECT 1 FROM lead WHERE id = %s FOR UPDATE", (lead.id,))
        pg.execute_sql("SET lock_timeout = 200")
        try:
            with pytest.raises(DatabaseBusy) as busy:
                models.update_lead(ada, lead.id, {"city": "Locked"})
        finally:
            pg.execute_sql("RESET lock_timeout")
    assert "Someone else is changing" in str(busy.value)
    assert models.get_lead(lead.id).city == "Redmond"


def test_a_long_write_of_leadqs_own_says_what_it_is(sqlite_db, tmp_path, monkeypatch) -> None:
    """Seeding or a migration holds the write lock for minutes: a session that waits
    past the busy timeout is told what is running and for how long."""
    ada = models.create_user("ada", "Ada", models.Role.SYSTEM_ADMINISTRATOR)
    lead = make_lead(ada)
    monkeypatch.setattr(sqlite_db, "busy_seconds", 0.3)
    other = sqlite3.connect(tmp_path / "leadq.db", isolation_level=None)
    with backends.long_write(sqlite_db, "writing 1,000,000 demo leads"):
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(DatabaseBusy) as caught:
                models.add_note(ada, lead, "waiting")
        finally:
            other.execute("ROLLBACK")
            other.close()
    message = str(caught.value)
    assert "another process is writing 1,000,000 demo leads (process" in message
    assert "s so far" in message and "Nothing was saved" in message
    assert backends.current_writer(sqlite_db) is None  # the note is gone with the writer


def test_a_long_write_on_postgres_is_not_cut_off_by_the_statement_timeout(pg) -> None:
    with backends.long_write(pg, "upgrading the database"):
        assert pg.execute_sql("SHOW statement_timeout").fetchone()[0] == "0"
        assert (
            pg.execute_sql("SHOW application_name").fetchone()[0] == "leadq: upgrading the database"
        )
    assert pg.execute_sql("SHOW statement_timeout").fetchone()[0] == "30s"
