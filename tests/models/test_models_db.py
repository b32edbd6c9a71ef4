"""The database layer: URLs, connection settings, migrations recorded in
`schema_migration`, the lead list's views and full-text search on both backends,
and the rule that models/ never imports the UI."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import peewee
import pytest
from playhouse.migrations import Runner

import models
from models import Lead, StatusReason
from models.db import MIGRATIONS_DIR, make_database, pending_migrations

from ..conftest import make_lead

ROOT = Path(__file__).resolve().parents[2]


def migration_rows(db) -> dict[str, object]:
    return dict(db.execute_sql("SELECT name, applied FROM schema_migration").fetchall())


# --- migrations ----------------------------------------------------------------------


def test_migrations_are_recorded_and_not_reapplied(db, db_url) -> None:
    files = sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py"))
    assert files and files[0] == "0001_initial"
    rows = migration_rows(db)
    assert sorted(rows) == [m.name for m in Runner(db, str(MIGRATIONS_DIR)).status()]
    assert set(files) <= set(rows)
    assert pending_migrations(db) == []

    lead = make_lead(models.create_user("u", "U"))
    models.close_database()
    again = models.open_database(db_url)  # opening twice applies nothing
    assert migration_rows(again) == rows
    assert models.db.migrate(again) == []
    assert Lead.get_by_id(lead.id).topic == lead.topic  # data untouched


def test_fresh_sqlite_file_is_created_in_wal_with_foreign_keys(tmp_path) -> None:
    path = tmp_path / "leadq.db"
    db = models.open_database(f"sqlite:///{path}")
    try:
        assert path.exists()
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert "0001_initial" in migration_rows(db)
    finally:
        models.close_database()


def test_url_resolution(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("LEADQ_DB", "sqlite:////from/env.db")
    assert models.resolve_url("sqlite:///given.db") == "sqlite:///given.db"
    assert models.resolve_url(None) == "sqlite:////from/env.db"
    monkeypatch.delenv("LEADQ_DB")
    monkeypatch.setenv("LEADQ_DATA_DIR", str(tmp_path / "data"))
    assert models.resolve_url(None) == f"sqlite:///{tmp_path}/data/leadq.db"
    monkeypatch.delenv("LEADQ_DATA_DIR")
    default = models.resolve_url(None)
    assert default.startswith("sqlite:////") and default.endswith("/leadq/leadq.db")
    with pytest.raises(ValueError, match="Unsupported"):
        make_database("mysql://x/y")
    sqlite = make_database(f"sqlite:///{tmp_path}/x.db")
    assert sqlite.database == f"{tmp_path}/x.db"
    assert isinstance(make_database("postgres://u@h:5/n"), peewee.PostgresqlDatabase)


def test_worker_thread_connection_sees_committed_data(db, rep) -> None:
    lead = make_lead(rep)
    seen: list[str] = []

    def work() -> None:
        with models.thread_connection():
            seen.append(models.get_lead(lead.id).topic)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [lead.topic]


def test_release_page_cache_gives_back_the_pages_this_connection_holds(db, rep) -> None:
    """SQLite's memory falls by the pages read (nothing to give back on PostgreSQL),
    and the connection reads the same rows after it."""
    for index in range(40):
        make_lead(rep, first_name=f"Lead{index}", summary="x" * 2000)
    expected = [lead.id for lead in Lead.select().order_by(Lead.id)]
    if models.db.is_postgres():
        models.release_page_cache()
    else:
        import _sqlite3
        import ctypes

        # Through the module's own handle: the SQLite it is linked with (or built
        # into it), not whichever libsqlite3 the system would find first.
        sqlite = ctypes.CDLL(_sqlite3.__file__)
        sqlite.sqlite3_memory_used.restype = ctypes.c_int64
        models.database_proxy.obj.connection().execute("PRAGMA shrink_memory")
        list(Lead.select())  # every page of the table in the cache
        held = sqlite.sqlite3_memory_used()
        models.release_page_cache()
        assert sqlite.sqlite3_memory_used() < held - 4 * 4096
    assert [lead.id for lead in Lead.select().order_by(Lead.id)] == expected


def test_change_token_grows_with_every_change(db, rep) -> None:
    start = models.change_token()
    lead = make_lead(rep)
    after_create = models.change_token()
    models.add_note(rep, lead, "hello")
    assert start < after_create < models.change_token()


# --- views ----------------------------------------------------------------------------


@pytest.fixture
def four_leads(db, rep):
    other = models.create_user("sam", "Sam Seller")
    mine = make_lead(rep, topic="mine", company="Alpha", email="a@alpha.com")
    theirs = make_lead(other, topic="theirs", company="Beta", email="b@beta.com")
    qualified = make_lead(rep, topic="qualified", company="Gamma", email="g@gamma.com")
    models.qualify_lead(rep, qualified.id, models.QualifyChoice(ignore_duplicates=True))
    disqualified = make_lead(rep, topic="disqualified", company="Delta", email="d@delta.com")
    models.disqualify_lead(rep, disqualified.id, StatusReason.CANNOT_CONTACT)
    return {"mine": mine, "theirs": theirs, "qualified": qualified, "disq": disqualified}


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("open", {"mine", "theirs"}),
        ("mine", {"mine"}),
        ("all", {"mine", "theirs", "qualified", "disq"}),
        ("qualified", {"qualified"}),
        ("disqualified", {"disq"}),
    ],
)
def test_views(four_leads, rep, view, expected) -> None:
    by_id = {lead.id: name for name, lead in four_leads.items()}
    query = models.lead_query(view, rep)
    assert {by_id[lead.id] for lead in query} == expected
    assert models.count_leads(query) == len(expected)


def test_duplicates_view(db, rep) -> None:
    models.Contact.create(first_name="X", last_name="Y", email="nancy@contoso.com")
    dup = make_lead(rep)
    make_lead(
        rep, first_name="Kim", email="kim@else.com", business_phone="", company="Else", website=""
    )
    assert [lead.id for lead in models.lead_query("duplicates", rep)] == [dup.id]


def test_unknown_view_is_an_error(db, rep) -> None:
    with pytest.raises(ValueError):
        models.lead_query("everything", rep)


def test_sorting_and_paging(db, rep) -> None:
    names = ["Carter", "adams", "Baker", "Baker"]
    leads = [make_lead(rep, last_name=n, company=f"Co {i}") for i, n in enumerate(names)]
    query = models.lead_query("all", rep, sort="name", descending=False)
    got = [lead.id for lead in query]
    # Ties (the two Bakers) fall back to id, so paging is stable.
    assert got.index(leads[2].id) < got.index(leads[3].id)
    assert [lead.id for lead in query.offset(1).limit(2)] == got[1:3]
    newest_first = [lead.id for lead in models.lead_query("all", rep)]
    assert newest_first == sorted(newest_first, reverse=True)
    for sort in models.SORTS:
        assert models.count_leads(models.lead_query("all", rep, sort=sort)) == 4


# --- search ---------------------------------------------------------------------------


@pytest.fixture
def searchable(db, rep):
    return {
        "nancy": make_lead(rep),  # Nancy Anderson, Contoso Ltd., nancy@contoso.com
        "jose": make_lead(
            rep,
            topic="Solar panels for the roof",
            first_name="José",
            last_name="O'Brien",
            company="Fabrikam GmbH",
            email="jose.obrien@fabrikam.de",
            website="",
            business_phone="",
        ),
        "kim": make_lead(
            rep,
            topic="Fleet of delivery vans",
            first_name="Kim",
            last_name="Lee",
            company="Northwind Traders",
            email="kim@northwind.example.com",
            website="",
            business_phone="",
        ),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nan", {"nancy"}),  # first name prefix
        ("ANDERS", {"nancy"}),  # last name, any case
        ("conto", {"nancy"}),  # company
        ("fabrik", {"jose"}),
        ("northwind trad", {"kim"}),  # every word must match
        ("kim@northwind", {"kim"}),  # email, split at punctuation
        ("obrien", {"jose"}),  # email local part
        ("ergonom", {"nancy"}),  # topic
        ("vans", {"kim"}),
        ("solar roof", {"jose"}),
        ("nancy vans", set()),  # words from two different leads
        ("zzz", set()),
        ("", {"nancy", "jose", "kim"}),
    ],
)
def test_prefix_search(searchable, rep, text, expected) -> None:
    by_id = {lead.id: name for name, lead in searchable.items()}
    found = {by_id[lead.id] for lead in models.lead_query("all", rep, search=text)}
    assert found == expected


@pytest.mark.parametrize(
    "text",
    ['"', "'", "[bold", "*", "AND", "OR NOT", "NEAR(", "_", "-x", "a:b", "!&|", "%", "\\", "é*"],
)
def test_search_with_operator_characters_does_not_fail(searchable, rep, text) -> None:
    query = models.lead_query("all", rep, search=text)
    assert models.count_leads(query) <= 3
    list(query)


def test_search_follows_edits_deletes_and_views(searchable, rep) -> None:
    nancy = searchable["nancy"]
    models.update_lead(rep, nancy.id, {"company": "Woodgrove Bank"})
    assert [x.id for x in models.lead_query("all", rep, search="woodgr")] == [nancy.id]
    assert list(models.lead_query("all", rep, search="contoso ltd")) == []
    models.qualify_lead(rep, nancy.id)
    assert list(models.lead_query("open", rep, search="woodgr")) == []
    assert [x.id for x in models.lead_query("qualified", rep, search="woodgr")] == [nancy.id]
    models.delete_lead(rep, searchable["kim"].id)
    assert list(models.lead_query("all", rep, search="northwind")) == []
    assert models.count_leads(models.lead_query("all", rep, search="")) == 2


def test_postgres_search_uses_the_generated_tsvector(db, rep) -> None:
    if not models.db.is_postgres():
        # The SQLite leg checks its FTS5 table instead.
        lead = make_lead(rep)
        hits = db.execute_sql("SELECT rowid FROM lead_fts WHERE lead_fts MATCH 'nan*'").fetchall()
        assert hits == [(lead.id,)]
        return
    lead = make_lead(rep)
    (tsv,) = db.execute_sql(
        "SELECT search_tsv::text FROM lead WHERE id = %s", (lead.id,)
    ).fetchone()
    for word in ("nancy", "anderson", "contoso", "ergonomic", "com"):
        assert f"'{word}'" in tsv
    (generated,) = db.execute_sql(
        "SELECT is_generated FROM information_schema.columns "
        "WHERE table_name = 'lead' AND column_name = 'search_tsv'"
    ).fetchone()
    assert generated == "ALWAYS"
    sql, _ = models.lead_query("all", rep, search="nan").sql()
    assert "search_tsv" in sql and "to_tsquery" in sql


# --- layering ---------------------------------------------------------------------------


def test_models_never_import_textual() -> None:
    modules = sorted(
        "models." + p.stem for p in (ROOT / "models").glob("*.py") if p.stem != "__init__"
    )
    script = (
        "import sys, importlib\n"
        f"for name in {['models', *modules]!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'tui', 'rich'))\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_models_source_has_no_ui_imports() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+(textual|tui|rich)\b", re.MULTILINE)
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "models").rglob("*.py")
        if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_start_up_check_is_cut_off_inside_sqlites_tree_walk(tmp_path: Path) -> None:
    """The bounded quick_check stops within its limit even inside the b-tree walk,
    which is one VDBE instruction (a progress handler is never called during it: a
    2.7 GB file ran 32 s past the 0.5 s limit), and leaves no thread behind (the
    session factory forks after it)."""
    import sqlite3

    from models import opening

    path = tmp_path / "big.db"
    connection = sqlite3.connect(path)
    # Indexes make the check's b-tree walk, one VDBE instruction, nearly all of its
    # time; a progress handler is called only between instructions.
    connection.execute("CREATE TABLE row (a BLOB, b BLOB, c BLOB)")
    connection.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500000)"
        " INSERT INTO row SELECT randomblob(16), randomblob(16), randomblob(16) FROM n"
    )
    for columns in ("a", "b", "c", "a, b", "b, c"):
        connection.execute(f"CREATE INDEX row_{columns.replace(', ', '_')} ON row ({columns})")
    connection.commit()
    connection.close()
    threads = threading.active_count()

    def timed(seconds: float | None) -> tuple[bool, float]:
        started = time.monotonic()
        whole = opening.quick_check(str(path), seconds=seconds)
        return whole, time.monotonic() - started

    runs = [timed(None) for _ in range(3)]
    assert all(whole for whole, _ in runs)  # checked whole: sound
    full = statistics.median(took for _, took in runs)
    # Limited to a tenth of the whole check, it is cut off (not damaged) well before
    # the end; with the limit checked only between instructions it ran to the end.
    # (A limit of 0 could pass before the statement starts, when an interrupt is void.)
    whole, took = timed(full / 10)
    assert whole is False
    assert took < full * 0.6, (took, full)
    assert threading.active_count() == threads


# --- the start-up check left for after the first paint (check_later) --------------------


def _leadq_file(path: Path, *, damaged: bool, wal: bool = True) -> Path:
    """A migrated leadq database with a user and a megabyte of rows; `damaged`: four
    pages of garbage in the middle, as a bad copy or a failing disk leaves them."""
    import sqlite3

    models.open_database(f"sqlite:///{path}")
    models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    models.close_database()
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE filler (data BLOB)")
    connection.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
        " INSERT INTO filler SELECT randomblob(500) FROM n"
    )
    connection.commit()
    if not wal:
        connection.execute("PRAGMA journal_mode = delete")
    connection.close()  # the last connection: the log is checkpointed and removed
    if damaged:
        size = path.stat().st_size
        with open(path, "r+b") as handle:
            handle.seek(size // 2 // 4096 * 4096)
            handle.write(bytes(range(256)) * 64)
    return path


def _user_count(path: Path) -> int:
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        return connection.execute('SELECT COUNT(*) FROM "user"').fetchone()[0]
    finally:
        connection.close()


def test_a_damaged_file_opened_for_the_app_is_read_but_never_written(tmp_path: Path) -> None:
    """With check_later the open succeeds and reads go ahead; the first write runs
    the check first and is refused with its sentence, and nothing is written."""
    path = _leadq_file(tmp_path / "leads.db", damaged=True)
    models.open_database(f"sqlite:///{path}", check_later=True)
    try:
        assert models.get_user("ada").username == "ada"  # a read: no check needed
        with pytest.raises(models.DatabaseDamaged, match=r"is damaged.*Restore it"):
            models.create_user("bo", "Bo Rep", models.Role.SALESPERSON)
        with pytest.raises(models.DatabaseDamaged, match="is damaged"):
            models.finish_open_check()  # the same finding, again
        with pytest.raises(models.DatabaseDamaged):
            models.database_proxy.execute_sql("DELETE FROM filler")  # outside a transaction
    finally:
        models.close_database()
    assert _user_count(path) == 1


def test_a_write_waits_for_the_check_under_way(tmp_path: Path, monkeypatch) -> None:
    """A save made while the app's thread is still checking waits for the check and
    is refused when the check finds damage: it never reaches the file first."""
    from models import opening

    path = _leadq_file(tmp_path / "leads.db", damaged=False)
    checking, finish = threading.Event(), threading.Event()

    def slow_damaged_check(where: str, seconds: float | None = None) -> bool:
        checking.set()
        assert finish.wait(30)
        raise opening._damaged(where, "Page 7: btreeInitPage() returns error code 11")

    monkeypatch.setattr(opening, "quick_check", slow_damaged_check)
    models.open_database(f"sqlite:///{path}", check_later=True)
    outcome: dict[str, BaseException] = {}

    def run(name: str, fn) -> threading.Thread:
        def target() -> None:
            with models.thread_connection():
                try:
                    fn()
                except BaseException as exc:
                    outcome[name] = exc

        thread = threading.Thread(target=target)
        thread.start()
        return thread

    try:
        checker = run("check", models.finish_open_check)
        assert checking.wait(30)
        writer = run("save", lambda: models.create_user("bo", "Bo", models.Role.SALESPERSON))
        finish.set()
        checker.join(30)
        writer.join(30)
    finally:
        models.close_database()
    assert isinstance(outcome["check"], models.DatabaseDamaged)
    assert isinstance(outcome["save"], models.DatabaseDamaged)
    assert _user_count(path) == 1


def test_a_sound_file_is_checked_once_then_written(tmp_path: Path, monkeypatch) -> None:
    from models import opening

    path = _leadq_file(tmp_path / "leads.db", damaged=False)
    checks: list[str] = []
    real = opening.quick_check
    monkeypatch.setattr(opening, "quick_check", lambda p, s=0.5: checks.append(p) or real(p, s))
    models.open_database(f"sqlite:///{path}", check_later=True)
    try:
        assert checks == []  # left for later
        models.finish_open_check()
        models.create_user("bo", "Bo Rep", models.Role.SALESPERSON)
        models.create_user("cy", "Cy Rep", models.Role.SALESPERSON)
    finally:
        models.close_database()
    assert checks == [str(path)]
    assert _user_count(path) == 3


@pytest.mark.parametrize("why", ["not in WAL mode", "a migration is pending"])
def test_check_later_checks_at_once_when_the_open_itself_writes(tmp_path: Path, why: str) -> None:
    """Switching a file to WAL and migrating both write: then the check comes first,
    and a damaged file is refused by the open, as without check_later."""
    import sqlite3

    path = _leadq_file(tmp_path / "leads.db", damaged=False, wal=why != "not in WAL mode")
    if why == "a migration is pending":
        connection = sqlite3.connect(path)
        connection.execute("DELETE FROM schema_migration WHERE name LIKE '0007%'")
        connection.commit()
        connection.close()
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 2 // 4096 * 4096)
        handle.write(bytes(range(256)) * 64)
    before = path.read_bytes()
    with pytest.raises(models.DatabaseDamaged, match="is damaged"):
        models.open_database(f"sqlite:///{path}", check_later=True)
    assert path.read_bytes() == before


def test_sessions_of_a_server_that_checked_the_file_skip_the_check(
    tmp_path: Path, monkeypatch
) -> None:
    """`leadq serve` checks the file at its start and says so in CHECKED_FILE_ENV (the
    file's device and inode): a session opening that very file does not check it
    again; a file put in its place since (another inode) is checked."""
    import shutil

    path = _leadq_file(tmp_path / "leads.db", damaged=True)
    url = f"sqlite:///{path}"
    monkeypatch.setenv(models.CHECKED_FILE_ENV, models.checked_file_identity(url) or "")
    models.open_database(url)  # no quick_check: the server made it
    models.close_database()
    shutil.copyfile(path, tmp_path / "copy.db")
    (tmp_path / "copy.db").replace(path)  # the same name, another file
    with pytest.raises(models.DatabaseDamaged):
        models.open_database(url)
    assert models.checked_file_identity("postgresql://u@h/db") is None
