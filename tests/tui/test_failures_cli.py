"""Every command-line entry point fails cleanly (issue 10): each case runs the real
command in a subprocess and checks the one-line message, the documented exit status
(docs/errors.md), that no traceback was printed, and that no file changed or appeared.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import models
from models import seeding
from tui.cli import BUG_REPORT, EXIT_BUG, run_guarded

ROOT = Path(__file__).resolve().parents[2]
LEADQ = (sys.executable, "-m", "tui")
SEED = (sys.executable, str(ROOT / "seed.py"))
USAGE, REFUSED, UNAVAILABLE, TOO_NEW = 2, 1, 3, 4


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADQ_")}
    env.update(
        PYTHONPATH=str(ROOT),
        XDG_DATA_HOME=str(home / "xdg-data"),
        LEADQ_CONFIG_DIR=str(home / "config"),
    )
    return env


def run(
    argv: tuple[str, ...] | list[str], cwd: Path, *, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), cwd=cwd, env=_env(cwd), capture_output=True, text=True, timeout=timeout
    )


def tree(directory: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under `directory`: size, mtime and content hash."""
    found = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            info = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[str(path.relative_to(directory))] = (info.st_size, info.st_mtime_ns, digest)
        else:
            found[str(path.relative_to(directory))] = (-1, 0, "dir")
    return found


def assert_refused(
    done: subprocess.CompletedProcess[str], status: int, *phrases: str, prog: str = "leadq"
) -> str:
    """One line on stderr naming the problem, nothing on stdout, no traceback."""
    assert done.returncode == status, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{prog}: "), lines[0]
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def refused_without_change(
    cwd: Path, argv: list[str], status: int, *phrases: str, prog: str = "leadq"
) -> str:
    before = tree(cwd)
    line = assert_refused(run(argv, cwd), status, *phrases, prog=prog)
    assert tree(cwd) == before
    return line


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small seeded leadq database to copy and damage."""
    path = tmp_path_factory.mktemp("seeded") / "leadq.db"
    models.open_database(f"sqlite:///{path}")
    try:
        seeding.seed(leads=300)
    finally:
        models.close_database()
    return path


def copy_of(seeded: Path, where: Path, name: str = "leads.db") -> Path:
    target = where / name
    shutil.copyfile(seeded, target)
    return target


# --- URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status", "phrases"),
    [
        ("foo://bar", USAGE, ["Unsupported database URL 'foo://bar'", "sqlite:///"]),
        ("postgresql://[bad", USAGE, ["not a valid PostgreSQL URL", "Invalid IPv6"]),
        ("postgresql://u@host:99999/db", USAGE, ["not a valid PostgreSQL URL"]),
        ("leads.db", USAGE, ["not a database URL", "sqlite:///leads.db"]),
        ("sqlite:", USAGE, ["three slashes"]),
    ],
)
def test_a_malformed_url_is_refused_before_anything(
    tmp_path: Path, url: str, status: int, phrases: list[str]
) -> None:
    refused_without_change(tmp_path, [*LEADQ, "--db", url, "user", "list"], status, *phrases)


def test_two_slashes_are_refused_with_the_correct_forms(tmp_path: Path) -> None:
    """sqlite://leads.db used to open an in-memory database and seed it silently."""
    line = refused_without_change(tmp_path, [*LEADQ, "--db", "sqlite://leads.db"], USAGE)
    assert "sqlite:///leads.db" in line and "sqlite:////path/to/leads.db" in line
    assert not (tmp_path / "leads.db").exists()


def test_a_path_under_a_regular_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("a file, not a directory\n")
    url = f"sqlite:///{tmp_path / 'notes.txt' / 'sub' / 'leads.db'}"
    refused_without_change(
        tmp_path, [*LEADQ, "--db", url, "user", "list"], UNAVAILABLE, "notes.txt is a file"
    )


def test_a_missing_directory_is_not_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}"
    line = refused_without_change(tmp_path, [*LEADQ, "--db", url], UNAVAILABLE, "does not exist")
    assert "mkdir -p" in line
    assert not (tmp_path / "no").exists()


def test_leadq_creates_its_own_data_directory(tmp_path: Path) -> None:
    done = run([*LEADQ, "--no-seed", "user", "list"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "xdg-data" / "leadq" / "leadq.db").is_file()


# --- Files that are not (good) leadq databases -----------------------------------------


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "leads.db").write_text("name,email\nNancy,nancy@contoso.com\n")
    refused_without_change(
        tmp_path,
        [*LEADQ, "--db", "sqlite:///leads.db", "user", "list"],
        UNAVAILABLE,
        "leads.db is not a SQLite database",
    )


def test_a_directory_named_as_the_database(tmp_path: Path) -> None:
    (tmp_path / "leads.db").mkdir()
    refused_without_change(
        tmp_path, [*LEADQ, "--db", "sqlite:///leads.db"], UNAVAILABLE, "is a directory"
    )


def test_a_truncated_database(tmp_path: Path, seeded: Path) -> None:
    path = copy_of(seeded, tmp_path)
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 3)
    refused_without_change(
        tmp_path, [*LEADQ, "--db", "sqlite:///leads.db", "user", "list"], UNAVAILABLE, "truncated"
    )


def _garbage_in_the_middle(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 2 // 4096 * 4096)
        handle.write(bytes(range(256)) * 64)  # four pages of garbage


def test_garbage_pages_in_the_middle_are_refused_at_start(tmp_path: Path, seeded: Path) -> None:
    path = copy_of(seeded, tmp_path)
    _garbage_in_the_middle(path)
    for argv in (["user", "list"], [], ["check"]):
        line = refused_without_change(
            tmp_path, [*LEADQ, "--db", "sqlite:///leads.db", *argv], UNAVAILABLE, "is damaged"
        )
        assert "restore it from a backup" in line.lower() and ".recover" in line


def test_leadq_check_reads_a_sound_file_to_the_end(tmp_path: Path, seeded: Path) -> None:
    copy_of(seeded, tmp_path)
    done = run([*LEADQ, "--db", "sqlite:///leads.db", "check"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "leads.db is sound" in done.stdout


def test_a_database_from_a_newer_leadq_is_refused_not_migrated(
    tmp_path: Path, seeded: Path
) -> None:
    path = copy_of(seeded, tmp_path)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO schema_migration (name, applied) VALUES ('0099_from_the_future', "
            "'2027-01-01 00:00:00')"
        )
    connection.close()  # the last connection checkpoints and removes the log
    for argv in (["user", "list"], [], ["seed"]):
        refused_without_change(
            tmp_path,
            [*LEADQ, "--db", "sqlite:///leads.db", *argv],
            TOO_NEW,
            "newer leadq",
            "0099_from_the_future",
        )


def test_another_programs_sqlite_database_is_left_alone(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "other.db") as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    connection.close()
    refused_without_change(
        tmp_path, [*LEADQ, "--db", "sqlite:///other.db"], UNAVAILABLE, "not a leadq database"
    )


def _without_root_override() -> list[str]:
    """As root, file modes do not stop writes: drop the capability that lets them."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("setpriv (util-linux) is needed to test a read-only file as root")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def test_a_read_only_database_is_refused_at_start(tmp_path: Path, seeded: Path) -> None:
    path = copy_of(seeded, tmp_path)
    path.chmod(0o444)
    argv = [*_without_root_override(), *LEADQ, "--db", "sqlite:///leads.db", "user", "list"]
    line = refused_without_change(tmp_path, argv, UNAVAILABLE, "read-only", "chmod u+w")
    assert str(path) in line or "leads.db" in line


def test_a_database_in_a_read_only_directory_is_refused(tmp_path: Path, seeded: Path) -> None:
    folder = tmp_path / "shelf"
    folder.mkdir()
    copy_of(seeded, folder)
    folder.chmod(0o555)
    try:
        argv = [*_without_root_override(), *LEADQ, "--db", "sqlite:///shelf/leads.db"]
        refused_without_change(tmp_path, argv, UNAVAILABLE, "read-only", "leads.db-wal")
    finally:
        folder.chmod(0o755)


# --- PostgreSQL that cannot be reached -------------------------------------------------


def test_a_postgresql_port_nobody_listens_on(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://leadq:s3cret@127.0.0.1:{port}/leadq"
    line = refused_without_change(
        tmp_path,
        [*LEADQ, "--db", url, "user", "list"],
        UNAVAILABLE,
        f"Cannot connect to the database at 127.0.0.1:{port}",
        "Connection refused",
    )
    assert "s3cret" not in line


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a hung server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_a_postgresql_server_that_never_answers_times_out(
    tmp_path: Path, silent_server: int
) -> None:
    url = f"postgresql://leadq@127.0.0.1:{silent_server}/leadq"
    before = tree(tmp_path)
    started = time.monotonic()
    done = run([*LEADQ, "--db", url, "user", "list"], tmp_path, timeout=60)
    waited = time.monotonic() - started
    assert_refused(done, UNAVAILABLE, f"127.0.0.1:{silent_server} did not answer within 5 s")
    assert tree(tmp_path) == before
    # It gave up on its own (connect timeout 5 s), not killed by the 60 s limit above.
    assert waited < 45


# --- Usage errors and bugs -------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "phrase", "prog"),
    [
        (["--bogus"], "unrecognized arguments: --bogus", "leadq"),
        (["seed", "--leads", "many"], "invalid int value: 'many'", "leadq seed"),
        (["user", "add", "x", "--role", "boss"], "invalid choice: 'boss'", "leadq user add"),
    ],
)
def test_usage_errors_are_one_line(tmp_path: Path, argv: list[str], phrase: str, prog: str) -> None:
    line = refused_without_change(tmp_path, [*LEADQ, *argv], USAGE, phrase, prog=prog)
    assert f"see {prog} --help" in line


def test_a_refusal_by_a_rule_exits_1(tmp_path: Path, seeded: Path) -> None:
    copy_of(seeded, tmp_path)
    before = tree(tmp_path)
    done = run([*LEADQ, "--db", "sqlite:///leads.db", "--user", "ghost", "user", "list"], tmp_path)
    assert done.returncode == 0  # user list needs no signed-in user
    done = run([*LEADQ, "--db", "sqlite:///leads.db", "--user", "ghost"], tmp_path)
    assert_refused(done, REFUSED, "ghost")
    assert tree(tmp_path) == before


def test_serve_says_what_is_wrong_with_the_database(tmp_path: Path) -> None:
    serve = [*LEADQ, "serve", *(["--run-as", "nobody"] if os.geteuid() == 0 else [])]
    argv = [*serve, "--db", "foo://bar"]
    refused_without_change(tmp_path, argv, USAGE, "Unsupported", prog="leadq serve")
    argv = [*serve, "--db", f"sqlite:///{tmp_path / 'missing' / 'x.db'}"]
    refused_without_change(tmp_path, argv, UNAVAILABLE, "does not exist", prog="leadq serve")


def test_a_genuine_bug_prints_its_traceback_and_asks_for_a_report(tmp_path: Path) -> None:
    program = (
        "import sys, tui.cli as cli\n"
        "def broken(args):\n"
        "    raise RuntimeError('an unforeseen state')\n"
        "cli._run = broken\n"
        "sys.exit(cli.main(['user', 'list']))\n"
    )
    done = run([sys.executable, "-c", program], tmp_path)
    assert done.returncode == EXIT_BUG
    assert "Traceback" in done.stderr and "RuntimeError: an unforeseen state" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == f"leadq: {BUG_REPORT}"


def test_run_guarded_maps_errors_to_their_status(capsys: pytest.CaptureFixture[str]) -> None:
    def fails(error: Exception) -> int:
        raise error

    assert run_guarded("x", lambda: fails(models.NotFound("No such lead."))) == 1
    assert run_guarded("x", lambda: fails(KeyboardInterrupt())) == 130
    assert capsys.readouterr().err == "x: No such lead.\nx: interrupted.\n"


def test_a_damaged_page_read_before_the_check_says_the_file_is_damaged(
    tmp_path: Path, seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The app's file is checked after its first paint: a read that meets a damaged
    page first (an error no rule expected) is reported as the check's finding, with
    its status, not as a bug."""
    path = copy_of(seeded, tmp_path)
    _garbage_in_the_middle(path)
    models.open_database(f"sqlite:///{path}", check_later=True)

    def reads_a_damaged_page() -> int:
        raise sqlite3.DatabaseError("database disk image is malformed")

    try:
        assert run_guarded("leadq", reads_a_damaged_page) == UNAVAILABLE
    finally:
        models.close_database()
    err = capsys.readouterr().err
    assert err.startswith(f"leadq: {path} is damaged") and "Traceback" not in err


def test_the_app_parser_reads_what_the_full_parser_reads() -> None:
    """`leadq` with only its own options is read by a parser without the
    subcommands (cheaper at start-up): the same options, the same values."""
    from tui import cli

    full = cli._parser()
    own = {
        option: action.nargs is None
        for action in full._actions
        if action.option_strings and action.dest != "help"
        for option in action.option_strings
    }
    assert own == cli.APP_OPTIONS  # a new top-level option goes in APP_OPTIONS too
    for argv in ([], ["--db", "sqlite:///x.db"], ["--user=riley", "--no-seed", "--db", "d"]):
        assert cli.starts_the_app(argv)
        assert cli._parser(subcommands=False).parse_args(argv) == full.parse_args(argv)
    for argv in (
        ["seed"],
        ["--help"],
        ["--no-s"],
        ["--db"],
        ["--no-seed=1"],
        ["--db", "x", "check"],
    ):
        assert not cli.starts_the_app(argv), argv


# --- Seeding ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["seed.py", "leadq seed"])
def test_seed_arguments_are_checked_before_any_file_is_made(tmp_path: Path, command: str) -> None:
    def argv(*extra: str) -> list[str]:
        if command == "seed.py":
            return [*SEED, "--db", "sqlite:///new.db", *extra]
        return [*LEADQ, "--db", "sqlite:///new.db", "seed", *extra]

    prog = "seed.py" if command == "seed.py" else "leadq"
    refused_without_change(tmp_path, argv("--leads", "-5"), REFUSED, "negative", prog=prog)
    line = refused_without_change(
        tmp_path, argv("--leads", "1000000000"), REFUSED, "at most 10,000,000", prog=prog
    )
    assert "1.6 TB" in line  # 1,550 bytes a lead
    assert not (tmp_path / "new.db").exists()


def test_seed_refuses_what_the_disk_cannot_hold(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: shutil._ntuple_diskusage(1, 1, 10**6))
    with pytest.raises(models.ValidationError, match=r"needs about 31\.0 GB free"):
        seeding.check_counts(10_000_000, url=f"sqlite:///{tmp_path / 'x.db'}")
    assert list(tmp_path.iterdir()) == []


# seed.py's own main, with the first disqualification (after 40 qualifications through
# the services) announcing itself and waiting there to be killed.
KILLED_MIDWAY = """
import sys, time, seed
from models import seeding
def disqualify_then_hang(*args, **kwargs):
    print("DISQUALIFYING", file=sys.stderr, flush=True)
    time.sleep(600)
seeding.disqualify_lead = disqualify_then_hang
sys.exit(seed.main(sys.argv[1:]))
"""


def _wait_for_line(process: subprocess.Popen[str], text: str) -> None:
    assert process.stderr is not None
    seen = []
    for line in process.stderr:  # ends when the process does
        seen.append(line)
        if text in line:
            return
    raise AssertionError(f"{text!r} never came: {''.join(seen)}")


def test_a_seed_killed_midway_leaves_nothing_half_seeded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_MIDWAY, "--db", url, "--leads", "3000"],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_line(process, "DISQUALIFYING")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert (tmp_path / "demo.db-wal").stat().st_size > 0  # it had written, uncommitted
    models.open_database(url)
    try:
        assert models.User.select().count() == 0
        assert models.Lead.select().count() == 0
        assert models.AuditEvent.select().count() == 0
    finally:
        models.close_database()
    again = run([*LEADQ, "--db", url, "seed", "--leads", "40"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "40 leads" in again.stderr


def test_a_bad_url_from_the_environment_says_so(tmp_path: Path) -> None:
    env = {**_env(tmp_path), "LEADQ_DB": "sqlite://leads.db"}
    done = subprocess.run(
        [*LEADQ, "user", "list"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert_refused(done, USAGE, "LEADQ_DB: 'sqlite://leads.db'")
    assert list(tmp_path.iterdir()) == []


# --- The same checks on both backends, in the model layer --------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of this test's own (the session's shared one must stay usable)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'own.db'}"
    server = request.getfixturevalue("pg_server")
    return server.create_database(f"leadq_own_{os.getpid()}")


def test_a_newer_schema_is_refused_on_both_backends(own_database: str) -> None:
    models.open_database(own_database)
    models.database_proxy.execute_sql(
        "INSERT INTO schema_migration (name, applied) VALUES ('0099_future', '2027-01-01')"
    )
    models.close_database()
    with pytest.raises(models.DatabaseTooNew, match="0099_future"):
        models.open_database(own_database)
    database = models.db.make_database(own_database)  # as it is, without any check
    database.connect()
    try:
        names = {row[0] for row in database.execute_sql("SELECT name FROM schema_migration")}
        assert "0099_future" in names and "0001_initial" in names
    finally:
        database.close()


def test_someone_elses_tables_are_refused_on_both_backends(own_database: str) -> None:
    database = models.db.make_database(own_database)
    database.connect()
    database.execute_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    database.close()
    with pytest.raises(models.DatabaseUnavailable, match="not a leadq database"):
        models.open_database(own_database)
    database.connect()
    try:
        assert database.get_tables() == ["invoices"]
    finally:
        database.close()
