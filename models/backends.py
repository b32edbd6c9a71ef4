"""The two databases leadq runs on, and the faults a user can meet on them, each
turned into a sentence (a `DatabaseFault`, which is both a `LeadqError` and the
`peewee.OperationalError` code already catches).

SQLite (one file, many processes):
- a writer waits for the write lock in short, even polls, up to `busy_seconds`,
  instead of SQLite's own busy handler, whose waits grow to 100 ms: a writer that
  had waited long kept losing the lock to newcomers (5-12 s tails with 8 writers);
- `PRAGMA journal_mode=wal` on a brand-new file, which returns BUSY at once when
  several processes open it together, is retried;
- after SQLITE_FULL or an I/O error SQLite has often rolled the transaction back
  itself; the ROLLBACK that follows is then skipped instead of failing with
  "cannot rollback - no transaction is active" and hiding the cause;
- a file opened before its start-up check ran (`opening.PendingCheck`) is written
  only once that check has passed: the first write waits for it (or runs it).

PostgreSQL:
- connect and statement timeouts (a server that accepts and never answers gives
  a message within seconds), a lock timeout, and a limit on sessions left idle
  inside a transaction (they would hold their locks);
- a connection the server dropped (restart, `pg_terminate_backend`, a pooler's
  idle timeout) is replaced on the next call. A statement that can safely run
  again (BEGIN, a read outside a transaction) runs again on the new connection;
  a write that was cut off is reported, never repeated.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import peewee

from .errors import LeadqError


class DatabaseFault(LeadqError, peewee.OperationalError):
    """The database could not do what was asked; the message says why."""


class DatabaseBusy(DatabaseFault):
    """Another session or program holds the lock for too long: try again."""


class DatabaseTimeout(DatabaseFault):
    """The database did not answer in time."""


class DiskFull(DatabaseFault):
    """No space left for the database; nothing was saved."""


class DiskError(DatabaseFault):
    """The database file could not be read or written."""


class DatabaseUnreachable(DatabaseFault):
    """No connection to the database server could be made."""

    exit_status = 3  # the database cannot be opened (docs/errors.md)


class UnstorableText(DatabaseFault):
    """Text with a character no database can store reached a statement (the
    services' validation refuses it first, field by field)."""


UNSTORABLE = (
    "The text contains an invalid character (a lone surrogate, U+D800-U+DFFF) that "
    "cannot be stored; {}."
)


class ConnectionLost(DatabaseFault):
    """The server dropped the connection; the next call makes a new one."""


class SaveUncertain(ConnectionLost):
    """The connection was lost while a change was being committed: it may or may
    not have been saved."""


NOTHING_SAVED = "nothing was saved"


def _original(exc: BaseException) -> BaseException:
    """The driver's exception behind Peewee's wrapper."""
    if exc.args and isinstance(exc.args[0], BaseException):
        return exc.args[0]
    return exc.__context__ or exc


# --- SQLite ----------------------------------------------------------------------

BUSY_SECONDS = 10.0
# SQLite's own wait on one attempt (ms): short, so that waiting is done by the
# even polls of `_wait_for_lock`.
_BUSY_SLICE_MS = 2


class _SqliteSavepoint(peewee._savepoint):
    def rollback(self, begin: bool = True) -> None:
        if self.db.sqlite_in_transaction():
            super().rollback(begin)


def _sqlite_error_name(exc: BaseException) -> str:
    return getattr(_original(exc), "sqlite_errorname", "") or ""


class SqliteDatabase(peewee.SqliteDatabase):
    """Peewee's SQLite database with leadq's waiting and fault messages."""

    def __init__(self, *args: Any, busy_seconds: float = BUSY_SECONDS, **kwargs: Any) -> None:
        kwargs["timeout"] = _BUSY_SLICE_MS / 1000
        self.busy_seconds = busy_seconds
        self.check_before_writing: Callable[[], None] | None = None
        """The start-up check still to pass before the first write (it raises
        `DatabaseDamaged` if the file is damaged), set by `open_database` when the
        app opens the file first and checks it after its first paint."""
        super().__init__(*args, **kwargs)

    def checked_before_writing(self) -> None:
        """Pass the start-up check left for later (`check_before_writing`), once:
        waits for it or raises `DatabaseDamaged`; then nothing is left to check."""
        check = self.check_before_writing
        if check is not None:
            check()  # waits for the check if it is running; raises if the file is damaged
            self.check_before_writing = None

    # Waiting for the write lock.
    def _wait_for_lock(self, attempt: Any, *args: Any) -> Any:
        """`attempt(*args)`, again while the database is locked, until `busy_seconds`."""
        deadline = None
        tries = 0
        while True:
            try:
                return attempt(*args)
            except (sqlite3.OperationalError, peewee.OperationalError) as exc:
                if not _sqlite_error_name(exc).startswith("SQLITE_BUSY"):
                    raise
                now = time.monotonic()
                deadline = deadline or now + self.busy_seconds
                if now >= deadline:
                    writer = current_writer(self)
                    raise DatabaseBusy(busy_message(self.busy_seconds, writer)) from None
                # Short waits that get shorter: a writer that has waited longest
                # looks most often, so it is the likeliest to get the lock next
                # (SQLite's own handler does the opposite, waiting up to 100 ms).
                tries += 1
                time.sleep(random.uniform(0.5, 1.0) * max(0.0001, 0.0015 * 0.85**tries))

    def _set_pragmas(self, conn: sqlite3.Connection) -> None:
        # journal_mode=wal on a new file returns BUSY at once while another process
        # creates it: retried like a writer waiting for the lock.
        for pragma, value in self._pragmas:
            self._wait_for_lock(conn.execute, f"PRAGMA {pragma} = {value};")

    def begin(self, lock_type: str | None = None) -> None:
        self.checked_before_writing()
        self._guarded(self._wait_for_lock, super().begin, lock_type)

    def commit(self) -> None:
        # A COMMIT that returns BUSY leaves the transaction open and may be retried.
        self._guarded(self._wait_for_lock, super().commit)

    def rollback(self) -> None:
        if self.sqlite_in_transaction():
            super().rollback()
        # Otherwise SQLite rolled back already (disk full, I/O error): nothing to do.

    def savepoint(self) -> peewee._savepoint:
        return _SqliteSavepoint(self)

    def sqlite_in_transaction(self) -> bool:
        conn = self._state.conn
        return conn is not None and conn.in_transaction

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        if self.check_before_writing is not None and not _reads_only(sql):
            self.checked_before_writing()
        if self.in_transaction():
            return self._guarded(super().execute_sql, sql, params)
        # Outside a transaction a statement that found the file locked did nothing.
        return self._guarded(self._wait_for_lock, super().execute_sql, sql, params)

    def execute_prepared(self, sql: str, params: Any) -> Any:
        """The fast path of prepared.py, with the same fault handling."""
        if self.check_before_writing is not None and not _reads_only(sql):
            self.checked_before_writing()
        return self._guarded(_run_cursor, self, sql, params)

    def _guarded(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except DatabaseFault:
            raise
        except UnicodeEncodeError:
            raise UnstorableText(UNSTORABLE.format(NOTHING_SAVED)) from None
        except (sqlite3.DatabaseError, peewee.DatabaseError) as exc:
            fault = sqlite_fault(exc, self.busy_seconds)
            if fault is None:
                raise
            raise fault from exc


def _reads_only(sql: str) -> bool:
    """Whether a statement can only read: a SELECT, or a PRAGMA that sets nothing."""
    head = sql.lstrip()[:6].upper()
    return head == "SELECT" or (head == "PRAGMA" and "=" not in sql)


def busy_message(seconds: float, writer: str | None = None) -> str:
    if writer:
        return f"The database is busy: {writer}. Nothing was saved; try again when it has finished."
    return (
        f"The database is busy: another session or program has been writing to it for "
        f"more than {seconds:g} s. Nothing was saved; try again in a moment."
    )


# --- leadq's own long writers --------------------------------------------------------


def _writer_note_path(db: peewee.Database) -> Path | None:
    if isinstance(db, SqliteDatabase) and db.database not in ("", ":memory:"):
        return Path(f"{db.database}-writer")
    return None


def current_writer(db: peewee.Database) -> str | None:
    """What a long writer of leadq's own is doing to this SQLite file, said for a
    user ("another process is seeding demo data (process 12, 40 s so far)"), or
    None (none running, or its note is left from a process that has ended)."""
    path = _writer_note_path(db)
    if path is None:
        return None
    try:
        note = json.loads(path.read_text())
        pid, what, since = int(note["pid"]), str(note["what"]), float(note["since"])
        os.kill(pid, 0)  # raises if that process has ended
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return f"another process is {what} (process {pid}, {time.time() - since:.0f} s so far)"


@contextlib.contextmanager
def long_write(db: peewee.Database, what: str) -> Iterator[None]:
    """Around a long write of leadq's own (a migration, seeding): other sessions
    that wait for the lock meanwhile are told what is going on and for how long.

    SQLite: a note beside the file (`<file>-writer`) that `current_writer` reads.
    PostgreSQL: the session's application_name says it (pg_stat_activity), and the
    statement timeout is lifted for it (a rebuild may take minutes).
    """
    path = _writer_note_path(db)
    postgres = isinstance(db, PostgresDatabase)
    if path is not None:
        note = {"pid": os.getpid(), "what": what, "since": time.time()}
        with contextlib.suppress(OSError):
            path.write_text(json.dumps(note))
    elif postgres:
        db.execute_sql("SELECT set_config('application_name', %s, false)", (f"leadq: {what}",))
        db.execute_sql("SELECT set_config('statement_timeout', '0', false)")
    try:
        yield
    finally:
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()
        elif postgres and not db.is_closed():
            with contextlib.suppress(peewee.DatabaseError):
                db.execute_sql("SELECT set_config('application_name', 'leadq', false)")
                db.execute_sql("RESET statement_timeout")


def sqlite_fault(exc: BaseException, busy_seconds: float = BUSY_SECONDS) -> DatabaseFault | None:
    """The sentence for an SQLite error a user can do something about, or None."""
    name = _sqlite_error_name(exc)
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED"):
        return DatabaseBusy(busy_message(busy_seconds))
    if name == "SQLITE_FULL":
        return DiskFull(f"The disk is full; {NOTHING_SAVED}. Free some space and try again.")
    if name.startswith("SQLITE_IOERR"):
        return DiskError(
            f"The database file could not be written (disk I/O error, {name}); "
            f"{NOTHING_SAVED}. Check the disk, then try again."
        )
    if name.startswith("SQLITE_READONLY"):
        return DiskError(f"The database file is read-only; {NOTHING_SAVED}.")
    if name == "SQLITE_CANTOPEN":
        return DiskError("The database file cannot be opened (missing folder or no permission).")
    return None


def _run_cursor(db: peewee.Database, sql: str, params: Any) -> Any:
    with peewee.__exception_wrapper__:
        cursor = db.cursor()
        cursor.execute(sql, params)
    return cursor


# --- PostgreSQL ------------------------------------------------------------------

CONNECT_TIMEOUT = 5  # s
STATEMENT_TIMEOUT = 30_000  # ms
LOCK_TIMEOUT = 10_000  # ms
IDLE_IN_TRANSACTION_TIMEOUT = 60_000  # ms

_SESSION_SETTINGS = {
    "statement_timeout": STATEMENT_TIMEOUT,
    "lock_timeout": LOCK_TIMEOUT,
    "idle_in_transaction_session_timeout": IDLE_IN_TRANSACTION_TIMEOUT,
}
_RETRYABLE = ("select", "show", "begin")  # nothing changed if cut off


class PostgresDatabase(peewee.PostgresqlDatabase):
    """Peewee's PostgreSQL database with timeouts, reconnection and fault messages."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        from psycopg.conninfo import conninfo_to_dict

        given = conninfo_to_dict(url)
        kwargs.setdefault("prefer_psycopg3", True)
        self.connect_timeout = int(given.get("connect_timeout") or CONNECT_TIMEOUT)
        if "connect_timeout" not in given:
            kwargs["connect_timeout"] = CONNECT_TIMEOUT
        if "application_name" not in given:
            kwargs["application_name"] = "leadq"
        options = given.get("options", "")
        extra = [f"-c {k}={v}" for k, v in _SESSION_SETTINGS.items() if k not in options]
        if extra:
            kwargs["options"] = " ".join([options, *extra]).strip()
        self.server_address = f"{given.get('host', 'localhost')}:{given.get('port', 5432)}"
        super().__init__(url, **kwargs)

    def connect(self, reuse_if_open: bool = False) -> bool:
        try:
            return super().connect(reuse_if_open)
        except DatabaseFault:
            raise
        except peewee.DatabaseError as exc:
            raise self._unreachable(exc) from exc

    def _unreachable(self, exc: BaseException) -> DatabaseFault:
        reason = str(_original(exc)).strip().splitlines()[0] if str(exc) else "no answer"
        if "timeout" in reason:
            return DatabaseUnreachable(
                f"The database server at {self.server_address} did not answer within "
                f"{self.connect_timeout} s; "
                "check that it is running and reachable, then try again."
            )
        return DatabaseUnreachable(
            f"Cannot connect to the database at {self.server_address}: {reason}."
        )

    def _broken(self) -> bool:
        conn = self._state.conn
        return conn is not None and (conn.broken or conn.closed)

    def _reconnect(self) -> None:
        """Forget the dropped connection (outside any transaction) and make a new one."""
        self._state.reset()
        self.connect()

    def cursor(self, named_cursor: Any = None) -> Any:
        if not self.in_transaction() and self._broken():
            self._reconnect()
        return super().cursor(named_cursor)

    def begin(self, isolation_level: Any = None) -> None:
        self._guarded("BEGIN", super().begin, isolation_level)

    def commit(self) -> None:
        self._guarded("COMMIT", super().commit)

    def rollback(self) -> None:
        if not self._broken():
            try:
                super().rollback()
                return
            except peewee.DatabaseError:
                if not self._broken():
                    raise
        # The server ended the transaction with the connection (perhaps just now,
        # while this ROLLBACK was sent): nothing to undo, and the error that led
        # here, not this one, is what the user needs to read.
        if not self.in_transaction():
            self._state.reset()

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        return self._guarded(sql, super().execute_sql, sql, params)

    def execute_prepared(self, sql: str, params: Any) -> Any:
        """The fast path of prepared.py, with the same fault handling."""
        return self._guarded(sql, _run_cursor, self, sql, params)

    def _guarded(self, sql: str, fn: Any, *args: Any, again: bool = True) -> Any:
        try:
            return fn(*args)
        except DatabaseFault:
            raise
        except UnicodeEncodeError:
            raise UnstorableText(UNSTORABLE.format(NOTHING_SAVED)) from None
        except peewee.DatabaseError as exc:
            if not self._broken():
                fault = postgres_fault(exc)
                if fault is None:
                    raise
                raise fault from exc
            in_transaction = self.in_transaction()
            harmless = not in_transaction and sql.lstrip()[:6].lower().startswith(_RETRYABLE)
            if harmless and again:
                self._reconnect()  # nothing had changed: run it again on a new connection
                return self._guarded(sql, fn, *args, again=False)
            if sql == "COMMIT" or not (in_transaction or harmless):
                raise SaveUncertain(
                    "The connection to the database was lost while saving: the change may "
                    "or may not have been saved. Look at the record again before retrying."
                ) from exc
            raise ConnectionLost(
                f"The connection to the database was lost; {NOTHING_SAVED}. Try again."
            ) from exc


def postgres_fault(exc: BaseException) -> DatabaseFault | None:
    """The sentence for a PostgreSQL error a user can do something about, or None."""
    original = _original(exc)
    state = getattr(original, "sqlstate", None) or ""
    text = str(original)
    if state == "57014" and "statement timeout" in text:
        return DatabaseTimeout(
            f"The database took more than {STATEMENT_TIMEOUT // 1000} s to answer; "
            f"{NOTHING_SAVED}. Try again, or narrow the search."
        )
    if state in ("55P03", "40P01", "40001"):  # lock timeout, deadlock, serialization
        return DatabaseBusy(
            f"Someone else is changing the same records right now; {NOTHING_SAVED}. "
            "Try again in a moment."
        )
    if state == "53100":
        return DiskFull(f"The database server's disk is full; {NOTHING_SAVED}.")
    if state.startswith("53"):
        return DatabaseBusy(f"The database server is out of resources; {NOTHING_SAVED}.")
    if state.startswith("08") or state in ("57P01", "57P02", "57P03"):
        return ConnectionLost(f"The connection to the database was lost; {NOTHING_SAVED}.")
    return None
