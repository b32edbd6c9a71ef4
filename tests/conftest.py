"""Shared fixtures: a fresh database per test, on SQLite and on PostgreSQL.

The `db` fixture is parametrised over both backends. PostgreSQL runs against a
real server this session starts on 127.0.0.1 (see pgserver.py). Without server
binaries the PostgreSQL leg is skipped locally, but under CI=true it fails:
CI must run it.
"""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import models
from models.db import database_proxy
from models.entities import ALL_MODELS

from .pgserver import PostgresServer


@pytest.fixture(autouse=True)
def _unfreeze_after_each_test() -> Iterator[None]:
    """The app moves what it builds out of the collector's reach (`gc.freeze`, see
    tui/loading.py); a test's app is garbage once the test ends, so it is handed
    back to the collector instead of staying for the rest of the run."""
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def _no_server_check_left_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """`leadq serve` (run in-process by some tests) tells its sessions in the
    environment which file it checked; set to a value no file has, and restored after
    each test, so that a later test's file reusing that inode is still checked."""
    monkeypatch.setenv(models.CHECKED_FILE_ENV, "")


@pytest.fixture(autouse=True)
def _own_config_and_data_dirs(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test reads or writes the real user's leadq directories: the theme the
    app remembers (preferences.json) and the default database stay per test, so a
    theme saved by one test (or by the person running them) never styles another."""
    home = tmp_path_factory.mktemp("leadq-home")
    monkeypatch.setenv("LEADQ_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("LEADQ_DATA_DIR", str(home / "data"))


os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
        server.start()
    except (RuntimeError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL must run in CI but could not start: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server: PostgresServer) -> str:
    """One migrated database per test session (worker); tests truncate it."""
    url = pg_server.create_database(f"leadq_{uuid.uuid4().hex[:10]}")
    models.open_database(url)
    models.close_database()
    return url


def _truncate_postgres() -> None:
    tables = ", ".join(f'"{m._meta.table_name}"' for m in ALL_MODELS if m._meta.table_name)
    extra = [
        r[0]
        for r in database_proxy.execute_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'schema_migration'"
        ).fetchall()
    ]
    # DELETE with foreign-key triggers off (the test server's user is a superuser),
    # then restart the sequences: about 5x faster than TRUNCATE on these tiny tables.
    with database_proxy.atomic():
        database_proxy.execute_sql("SET LOCAL session_replication_role = replica")
        for name in sorted(set(extra)) or [t.strip('"') for t in tables.split(", ")]:
            database_proxy.execute_sql(f'DELETE FROM "{name}"')
        database_proxy.execute_sql(
            "SELECT setval(c.oid, 1, false) FROM pg_class c "
            "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
        )


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'leadq.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def db(db_url: str) -> Iterator[object]:
    """An empty, migrated database bound to the models."""
    database = models.open_database(db_url)
    if db_url.startswith("postgresql"):
        _truncate_postgres()
    yield database
    models.close_database()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[object]:
    """SQLite only, for tests about SQLite itself (TUI tests use this too)."""
    database = models.open_database(f"sqlite:///{tmp_path / 'leadq.db'}")
    yield database
    models.close_database()


@pytest.fixture
def admin(db: object) -> models.User:
    return models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)


@pytest.fixture
def rep(db: object) -> models.User:
    return models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)


def make_lead(actor: models.User, **overrides: object) -> models.Lead:
    values: dict[str, object] = {
        "topic": "50 ergonomic chairs",
        "first_name": "Nancy",
        "last_name": "Anderson",
        "job_title": "Purchasing manager",
        "business_phone": "+1 206 555 0142",
        "mobile_phone": "+1 206 555 0199",
        "email": "nancy@contoso.com",
        "company": "Contoso Ltd.",
        "website": "https://www.contoso.com",
        "street1": "1 Microsoft Way",
        "street2": "Building 4",
        "street3": "Floor 2",
        "city": "Redmond",
        "state_province": "WA",
        "postal_code": "98052",
        "country": "United States",
    }
    values.update(overrides)
    return models.create_lead(actor, **values)
