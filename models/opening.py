"""Checks made before and while a database is opened.

A malformed URL, a missing directory, a file that is not a database (or is
truncated, damaged or read-only), a server that cannot be reached and a database
written by a newer leadq are each refused with one sentence before anything is
created or changed. `models.db.open_database` calls these in order:

1. `parse_url`: the URL's form, with nothing touched.
2. `check_sqlite_file`: the path (its directories, permissions, SQLite's header and
   the size the header promises), then `quick_check` on a connection of its own,
   bounded in time, before the app's connection sets any pragma (switching a
   rollback-journal file to WAL would write to it). The app asks for the check to
   come later (`PendingCheck`): it then runs in a thread once the first screen is
   painted, and every write waits for it (see `PendingCheck`).
3. `connect`: the connection itself (PostgreSQL's connect timeout: models/backends.py).
4. `check_schema`: the recorded migrations are all known to this leadq, and a
   database holding tables without `schema_migration` is not someone else's.

The messages and the exit status each gives are listed in docs/errors.md.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import peewee

from .errors import (
    DatabaseDamaged,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnavailable,
    DatabaseUrlInvalid,
    LeadqError,
)

SQLITE_FORMS = "sqlite:///relative/path.db (three slashes) or sqlite:////absolute/path.db (four)"
URL_FORMS = f"{SQLITE_FORMS}, or postgresql://user@host/name"
SQLITE_MAGIC = b"SQLite format 3\x00"
QUICK_CHECK_SECONDS = 0.5
"""How long the start-up `PRAGMA quick_check` may run. It reads about 700 MB/s here
(bench/bench_open_check.py), so this covers files up to ~350 MB (about 230,000 leads)
in full; a bigger file is checked as far as the time allows. `leadq check` runs the
full check without a limit. See docs/errors.md."""
QUICK_CHECK_CACHE_KIB = 64
CHECKED_FILE_ENV = "LEADQ_DB_CHECKED"
"""Set by `leadq serve` for its sessions once it has checked the database file at its
own start: the file's device and inode (`file_identity`). A session opening that very
file skips the quick_check (50 sessions starting together would each spend up to
`QUICK_CHECK_SECONDS` of CPU on the same pages); a file replaced since (another inode)
is checked again."""


@dataclass(frozen=True)
class DatabaseUrl:
    """A checked database URL: `backend` is "sqlite" or "postgresql"; `target` is the
    SQLite path (or ":memory:") or the PostgreSQL URL with the postgresql:// scheme."""

    backend: str
    target: str


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return url.split("@", 1)[-1] if "@" in url else url


def parse_url(url: str) -> DatabaseUrl:
    """Check the URL's form; raises `DatabaseUrlInvalid` saying what is wrong."""
    text = url.strip()
    if not text:
        raise DatabaseUrlInvalid(f"The database URL is empty: use {URL_FORMS}.")
    scheme, colon, rest = text.partition(":")
    scheme = scheme.lower()
    if not colon or "/" in scheme or not scheme.isascii() or len(scheme) < 2:
        raise DatabaseUrlInvalid(
            f"{text!r} is not a database URL: for a file write sqlite:///{text} "
            f"(relative) or sqlite:////path/to/it.db (absolute); or use postgresql://..."
        )
    if scheme == "sqlite":
        return DatabaseUrl("sqlite", _sqlite_path(text, rest))
    if scheme in ("postgres", "postgresql"):
        return DatabaseUrl("postgresql", _postgres_url(text, rest))
    raise DatabaseUrlInvalid(
        f"Unsupported database URL {redacted(text)!r}: leadq opens {URL_FORMS}."
    )


def _sqlite_path(text: str, rest: str) -> str:
    if "?" in rest or "#" in rest:
        raise DatabaseUrlInvalid(
            f"{text!r}: SQLite URLs take no ?options or #fragments here; use {SQLITE_FORMS}."
        )
    if not rest.startswith("///"):
        name = rest.lstrip("/") or "leads.db"
        raise DatabaseUrlInvalid(
            f"{text!r} is not a file URL (after sqlite: come three slashes, then the "
            f"path): write sqlite:///{name} for a file relative to this directory, or "
            f"sqlite:////path/to/{Path(name).name} for an absolute path."
        )
    path = unquote(rest[3:])
    if not path:
        raise DatabaseUrlInvalid(f"{text!r} names no file: use {SQLITE_FORMS}.")
    if "\x00" in path:
        raise DatabaseUrlInvalid("The database path holds a NUL character.")
    return path


def _postgres_url(text: str, rest: str) -> str:
    url = "postgresql:" + rest
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError when the port is not a number in range
    except ValueError as exc:
        raise DatabaseUrlInvalid(
            f"{redacted(text)!r} is not a valid PostgreSQL URL ({exc}): use "
            "postgresql://user@host:port/name (an IPv6 host goes in brackets: [::1])."
        ) from None
    if not rest.startswith("//"):
        raise DatabaseUrlInvalid(
            f"{redacted(text)!r} is not a valid PostgreSQL URL: use postgresql://user@host/name."
        )
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # the driver is checked when connecting
        return url
    try:
        conninfo_to_dict(url)
    except Exception as exc:  # psycopg.ProgrammingError: libpq's own parser refused it
        reason = " ".join(str(exc).split())
        raise DatabaseUrlInvalid(
            f"{redacted(text)!r} is not a valid PostgreSQL URL ({reason})."
        ) from None
    return url


# --- SQLite: the file, before any connection ----------------------------------------


def check_sqlite_file(
    path: str, own_dir: Callable[[], Path], *, later: bool = False
) -> PendingCheck | None:
    """Refuse a path leadq cannot use as its database file (see the module docstring).

    A missing file is fine when its directory exists and is writable; a missing
    directory is created only when it is `own_dir()` (leadq's data directory).

    With `later`, the quick_check of a file already in WAL mode (so that the app's
    connection writes nothing when it opens it) is not run here but returned, to
    run once the app has painted; every other check is made here all the same.
    """
    if path == ":memory:" or path.startswith("file:"):
        return None
    file = Path(path)
    try:
        info = file.stat()
    except FileNotFoundError:
        _check_new_file(file, own_dir)
        return None
    except NotADirectoryError:
        _refuse_under_a_file(file)
    except PermissionError:
        raise DatabaseUnavailable(
            f"Cannot reach {file}: permission denied on one of its directories."
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise DatabaseUnavailable(
            f"{file} is a directory, not a database file: name a file in it, e.g. "
            f"sqlite:///{file / 'leadq.db'}."
        )
    if not stat.S_ISREG(info.st_mode):
        raise DatabaseUnavailable(f"{file} is not a regular file, so it cannot hold a database.")
    if not os.access(file, os.R_OK):
        raise DatabaseUnavailable(f"Cannot read {file}: permission denied.")
    if not info.st_size:
        _check_writable(file)
        return None
    wal = _check_header(file, info.st_size)
    _check_writable(file)
    pending = None
    if os.environ.get(CHECKED_FILE_ENV) == file_identity(info):
        pass  # the server that started this session checked this very file
    elif later and wal:
        pending = PendingCheck(str(file))
    else:
        quick_check(str(file))
    _check_foreign_tables(str(file))
    return pending


def file_identity(info: os.stat_result) -> str:
    """The file's device and inode, as `CHECKED_FILE_ENV` holds them."""
    return f"{info.st_dev}:{info.st_ino}"


def checked_file_identity(url: str) -> str | None:
    """What `leadq serve` puts in `CHECKED_FILE_ENV` once it has opened (and so
    checked) the database at `url`: the SQLite file's identity; None for PostgreSQL
    or a file that is not there."""
    target = parse_url(url)
    if target.backend != "sqlite" or target.target == ":memory:":
        return None
    try:
        return file_identity(os.stat(target.target))
    except OSError:
        return None


class PendingCheck:
    """The start-up quick_check of a file the app opened before checking it.

    `run()` runs it the first time (in whichever thread asks first: the app's
    worker after the first paint, or a write that comes sooner) and waits for it
    or repeats its outcome afterwards: it raises `DatabaseDamaged` when the file
    is damaged. The database's writes call it first (`backends.SqliteDatabase`),
    so nothing is written to a file before it has been checked; reads go ahead
    meanwhile (they change nothing)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._damage: str | None = None
        self._done = False

    def run(self) -> None:
        with self._lock:
            if not self._done:
                try:
                    quick_check(self.path)
                except DatabaseDamaged as exc:
                    self._damage = str(exc)
                self._done = True
        if self._damage is not None:
            raise DatabaseDamaged(self._damage)


def _check_new_file(file: Path, own_dir: Callable[[], Path]) -> None:
    parent = Path(os.path.abspath(file)).parent
    if parent.is_dir():
        if not os.access(parent, os.W_OK | os.X_OK):
            raise DatabaseReadOnly(
                f"Cannot create {file}: the directory {parent} is read-only for you. "
                "Choose a directory you can write to."
            )
        return
    ancestor = parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        _refuse_under_a_file(file)
    if parent == Path(os.path.abspath(own_dir())):
        parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return
    raise DatabaseUnavailable(
        f"The directory {parent} does not exist: create it first (mkdir -p {parent}) "
        "or check the path in the URL; leadq creates no directories but its own."
    )


def _refuse_under_a_file(file: Path) -> None:
    ancestor = Path(os.path.abspath(file)).parent
    while ancestor != ancestor.parent and not ancestor.is_file():
        ancestor = ancestor.parent
    raise DatabaseUnavailable(
        f"{ancestor} is a file, not a directory, so {file} cannot be created under it: "
        "check the path in the URL."
    )


def _check_header(file: Path, size: int) -> bool:
    """Refuse a file that is not SQLite's or is shorter than its header says; whether
    the file is in WAL mode (opening it in WAL mode then writes nothing to it)."""
    with open(file, "rb") as handle:
        header = handle.read(100)
    if not header.startswith(SQLITE_MAGIC):
        raise DatabaseUnavailable(
            f"{file} is not a SQLite database (it does not begin with SQLite's header): "
            "check the path in the URL; leadq does not overwrite other files."
        )
    in_wal_mode = header[18:20] == b"\x02\x02"
    log = Path(f"{file}-wal")
    if log.exists() and log.stat().st_size:
        return in_wal_mode  # pages may still be in the log: the size below is not final
    page_size = int.from_bytes(header[16:18], "big") if len(header) >= 18 else 0
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big") if len(header) == 100 else 0
    count_valid = len(header) == 100 and header[24:28] == header[92:96]
    expected = pages * page_size if count_valid else 100
    if size < expected or (page_size and size % page_size):
        raise DatabaseDamaged(
            f"{file} is truncated: it should hold {max(expected, size):,} bytes but has "
            f"{size:,}. Restore it from a backup; leadq does not open it."
        )
    return in_wal_mode


def _check_writable(file: Path) -> None:
    if not os.access(file, os.W_OK):
        raise DatabaseReadOnly(
            f"{file} is read-only for you, and leadq writes to its database on every "
            f"save: make it writable (chmod u+w {file}) or copy it somewhere you can "
            "write and open the copy."
        )
    directory = Path(os.path.abspath(file)).parent
    if os.access(directory, os.W_OK | os.X_OK):
        return
    if all(os.access(f"{file}{suffix}", os.W_OK) for suffix in ("-wal", "-shm")):
        return
    raise DatabaseReadOnly(
        f"The directory {directory} is read-only for you, and SQLite keeps "
        f"{file.name}-wal and {file.name}-shm beside the database: make the directory "
        "writable or move the file to one that is."
    )


def quick_check(path: str, seconds: float | None = QUICK_CHECK_SECONDS) -> bool:
    """Run `PRAGMA quick_check` on a connection of its own, for at most `seconds`
    (None: no limit). Raises `DatabaseDamaged` on damage it finds; returns whether
    the check covered the whole file."""
    connection = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=5)
    # The b-tree walk is one VDBE instruction, so a progress handler is not called
    # during it (a 2.7 GB file ran 32 s past a 0.5 s limit): a timer interrupts it
    # from another thread instead, which SQLite checks inside the walk.
    timer = None if seconds is None else threading.Timer(seconds, connection.interrupt)
    try:
        # The walk reads each page once: a small cache checks as fast (1.47 against
        # 1.50 s on 1.1 GB) and holds 2 MB less memory while it runs.
        connection.execute(f"PRAGMA cache_size = -{QUICK_CHECK_CACHE_KIB}")
        if timer is not None:
            timer.start()
        rows = [row[0] for row in connection.execute("PRAGMA quick_check(3)").fetchall()]
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if "interrupted" in message:
            return False  # out of time: the part read so far was sound
        if "locked" in message or "busy" in message:
            return False  # someone holds it exclusively; their writes are checked by SQLite
        raise _damaged(path, message) from None
    except sqlite3.DatabaseError as exc:  # "database disk image is malformed", ...
        raise _damaged(path, str(exc)) from None
    finally:
        if timer is not None:
            timer.cancel()
            timer.join()  # no thread outlives the check (the session factory forks)
        connection.close()
    if rows != ["ok"]:
        raise _damaged(path, " ".join(" ".join(rows).split()))
    return True


def _check_foreign_tables(path: str) -> None:
    """Before the app's connection switches the file to WAL (a write): refuse another
    program's SQLite database (tables, but no `schema_migration`)."""
    connection = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=5)
    try:
        names = [row[0] for row in connection.execute(SQLITE_TABLES)]
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, str(exc)) from None
    finally:
        connection.close()
    if names and "schema_migration" not in names:
        raise _not_leadqs(path, names)


SQLITE_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
)


def _not_leadqs(where: str, tables: list[str]) -> DatabaseUnavailable:
    shown = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
    return DatabaseUnavailable(
        f"{where} holds tables ({shown}) but is not a leadq database: choose an empty "
        "database or a leadq one; leadq adds nothing to it."
    )


def _damaged(path: str, detail: str) -> DatabaseDamaged:
    return DatabaseDamaged(
        f"{path} is damaged (SQLite's check says: {detail[:200]}). Restore it from a "
        f"backup, or save what can be read with: sqlite3 {path} .recover"
    )


# --- Connecting and the schema --------------------------------------------------------


def connect(db: peewee.Database, url: str) -> None:
    """Connect `db`, turning the driver's errors into one sentence."""
    try:
        db.connect(reuse_if_open=True)
    except LeadqError:
        raise  # backends.py said it already (DatabaseUnreachable: status 3)
    except peewee.DatabaseError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(db, peewee.PostgresqlDatabase):
            raise DatabaseUnavailable(
                f"Cannot connect to PostgreSQL at {redacted(url)} ({reason}): check that "
                "the server is running and the URL's host, port, user and database."
            ) from None
        raise DatabaseUnavailable(f"Cannot open {db.database}: {reason}.") from None
    except ImportError:
        raise DatabaseUnavailable(
            "The PostgreSQL driver is not installed: pip install 'psycopg[binary]'."
        ) from None


def recorded_migrations(db: peewee.Database) -> set[str] | None:
    """The migration names in `schema_migration`, None when there is no such table."""
    if "schema_migration" not in db.get_tables():
        return None
    return {row[0] for row in db.execute_sql('SELECT "name" FROM "schema_migration"')}


def check_schema(db: peewee.Database, known: Iterable[str], where: str) -> None:
    """Refuse a database from a newer leadq, or one that holds someone else's tables."""
    try:
        recorded = recorded_migrations(db)
    except peewee.DatabaseError as exc:
        raise _damaged(where, " ".join(str(exc).split())) from None
    if recorded is None:
        others = [name for name in db.get_tables() if not name.startswith("sqlite_")]
        if others:
            raise _not_leadqs(where, others)
        return
    unknown = sorted(recorded - set(known))
    if unknown:
        raise DatabaseTooNew(
            f"{where} was upgraded by a newer leadq (its schema has {', '.join(unknown)}, "
            "which this leadq does not know): run that newer leadq, or upgrade this one. "
            "Nothing was changed."
        )
