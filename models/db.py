"""Opening the database: URL resolution, connection settings, migrations.

One `DatabaseProxy` is bound to the models; `open_database()` points it at a
SQLite file (WAL, foreign keys on, `BEGIN IMMEDIATE` writes so that several
processes can share one file) or a PostgreSQL server, and applies pending
migrations recorded in the `schema_migration` table.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import peewee

from . import backends, opening

database_proxy = peewee.DatabaseProxy()
logger = logging.getLogger(__name__)

ENV_VAR = "LEADQ_DB"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Arbitrary constant for pg_advisory_xact_lock: serialises concurrent migrators.
_PG_MIGRATION_LOCK = 0x1EAD9


def default_url() -> str:
    """The SQLite file in the user's data directory."""
    return f"sqlite:///{data_dir() / 'leadq.db'}"  # absolute, so this gives four slashes


def resolve_url(url: str | None = None) -> str:
    """`--db URL`, else the LEADQ_DB environment variable, else the default file."""
    return url or os.environ.get(ENV_VAR) or default_url()


DATA_DIR_ENV = "LEADQ_DATA_DIR"


def data_dir() -> Path:
    """leadq's own data directory (the one directory it creates when missing):
    $LEADQ_DATA_DIR, else the user's data directory. The default database, the
    server's host key and served file areas, and local screenshots' last resort
    live there."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("leadq", appauthor=False))


def make_database(url: str) -> peewee.Database:
    """A Peewee database for `sqlite:///path` or `postgresql://user@host:port/name`.

    SQLite paths follow SQLAlchemy: three slashes then a relative path, four for an
    absolute one (`sqlite:////var/lib/leadq.db`). The URL's form is checked
    (`opening.parse_url`); nothing is opened or created here.
    """
    parsed = opening.parse_url(url)
    if parsed.backend == "sqlite":
        # Waiting for the write lock, WAL switch retries, fault messages: backends.py.
        return backends.SqliteDatabase(
            parsed.target,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "synchronous": "normal",
                "cache_size": -32_000,
            },
            lock_type="IMMEDIATE",
        )
    # Timeouts (connect_timeout 5 s), reconnection, fault messages: backends.py.
    return backends.PostgresDatabase(parsed.target)


def is_postgres(db: peewee.Database | None = None) -> bool:
    db = db or database_proxy.obj
    return isinstance(db, peewee.PostgresqlDatabase)


def migrate(db: peewee.Database) -> list[str]:
    """Apply pending migrations under a lock; returns the names applied."""
    from playhouse.migrations import Runner  # lazily: ~30 ms of start-up, see open_database

    runner = Runner(db, directory=str(MIGRATIONS_DIR))
    started = time.monotonic()
    with db.atomic():
        if is_postgres(db):
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_MIGRATION_LOCK,))
        # A migration may rebuild an index for a minute: sessions waiting meanwhile
        # are told so, and PostgreSQL's statement timeout does not cut it off.
        with backends.long_write(db, "upgrading the database to this version of leadq"):
            applied = runner.up()
    if applied:
        logger.info("applied %s in %.1f s", ", ".join(applied), time.monotonic() - started)
    return applied


def pending_migrations(db: peewee.Database) -> list[str]:
    from playhouse.migrations import Runner

    runner = Runner(db, directory=str(MIGRATIONS_DIR))
    return [m.name for m in runner.status() if not m.applied and m.path]


def open_database(
    url: str | None = None, *, run_migrations: bool = True, check_later: bool = False
) -> peewee.Database:
    """Connect the models to the database at `url` and bring its schema up to date.

    Refused with a `LeadqError` (nothing created or changed) when the URL is wrong,
    the file cannot be used or is damaged, the server cannot be reached, or the
    schema comes from a newer leadq; see models/opening.py.

    `check_later` (the app, which paints first): the quick_check of a SQLite file
    already in WAL mode with no migration pending is left for `finish_open_check()`,
    which the app runs in a thread after its first paint; until it has passed,
    every write waits for it. Every other check is made here.
    """
    from_env = not url and bool(os.environ.get(ENV_VAR))
    url = resolve_url(url)
    try:
        db = make_database(url)
    except opening.DatabaseUrlInvalid as exc:
        if from_env:  # say where the URL came from
            raise opening.DatabaseUrlInvalid(f"{ENV_VAR}: {exc}") from None
        raise
    pending = None
    if isinstance(db, backends.SqliteDatabase):
        pending = opening.check_sqlite_file(db.database, data_dir, later=check_later)
    opening.connect(db, url)
    where = db.database if isinstance(db, peewee.SqliteDatabase) else opening.redacted(url)
    try:
        opening.check_schema(db, _migration_names(), where)
        migrating = run_migrations and not _all_applied(db)
        if pending is not None and migrating:
            pending.run()  # a migration writes: check first
        elif pending is not None:
            db.check_before_writing = pending.run
    except BaseException:
        db.close()
        raise
    database_proxy.initialize(db)
    if migrating:
        migrate(db)
    return db


def finish_open_check() -> None:
    """Run the start-up check that `open_database(check_later=True)` left for later
    (or wait for it, or repeat its outcome): raises `DatabaseDamaged` when the file
    is damaged. Nothing to do when the open checked the file already."""
    db = database_proxy.obj
    if isinstance(db, backends.SqliteDatabase):
        db.checked_before_writing()


def _migration_names() -> set[str]:
    return {path.stem for path in MIGRATIONS_DIR.glob("[0-9]*.py")}


def _all_applied(db: peewee.Database) -> bool:
    """Whether every migration file is recorded as applied: one query, so that an
    up-to-date database (every start but the first after an upgrade) skips loading
    playhouse.migrations and the write lock `migrate()` takes."""
    names = _migration_names()
    try:
        rows = db.execute_sql('SELECT "name" FROM "schema_migration"').fetchall()
    except peewee.DatabaseError:
        return False  # no table yet: a new database
    return names <= {row[0] for row in rows}


def close_database() -> None:
    db = database_proxy.obj
    if db is not None and not db.is_closed():
        db.close()


class thread_connection:
    """Open this thread's own connection for the block and close it after.

    Peewee keeps one connection per thread; UI worker threads are short-lived, so
    each wraps its database work in this to avoid leaking connections.
    """

    def __enter__(self) -> None:
        db = database_proxy.obj
        self._opened = db.is_closed()
        if self._opened:
            db.connect()

    def __exit__(self, *exc: object) -> None:
        if self._opened:
            database_proxy.obj.close()


def keep_thread_connection() -> None:
    """Open this thread's connection if it is closed, and leave it open: for a
    long-lived thread that reads again and again (the app's change poll), which
    would otherwise connect anew each time (on PostgreSQL a new server process
    and sign-in every second per session). `close_database()` in the same thread
    closes it."""
    db = database_proxy.obj
    if db.is_closed():
        db.connect()


def check_database() -> str:
    """`leadq check`: SQLite's quick_check over the whole file, however long it takes
    (`DatabaseDamaged` if it finds damage), said in a sentence; PostgreSQL checks its
    own pages. The database is closed afterwards."""
    db = database_proxy.obj
    if is_postgres(db):
        return "PostgreSQL checks its own pages; nothing to do."
    close_database()
    opening.quick_check(db.database, seconds=None)
    return f"{db.database} is sound."


def release_page_cache() -> None:
    """This thread's SQLite connection gives back the pages it holds (SQLite's
    `shrink_memory`: they are read from the file again when needed). For a
    connection done with its reads for a while: the app's main thread reads the
    start-up checks and the list's first page, then nothing (the screens read in
    workers), and kept about 0.2 MiB of pages for the session (bench_tui). Nothing
    on PostgreSQL or when this thread has no connection open."""
    db = database_proxy.obj
    if isinstance(db, peewee.SqliteDatabase) and not db.is_closed():
        db.connection().execute("PRAGMA shrink_memory")  # writes nothing: no check to wait for
