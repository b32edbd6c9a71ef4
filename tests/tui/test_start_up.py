"""What the app imports to show the lead list: the models front loads a name's
module when it is first used (models/__init__.py), so the start-up path does not pay
for the services and views of other screens (bench/bench_tui.py measures it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import models

ROOT = Path(__file__).resolve().parents[2]

LIST_UP = """
import asyncio, sys
import models
models.open_database(sys.argv[1])
from tui.app import LeadqApp
app = LeadqApp(user_id=models.first_active_admin().id, poll=False)
async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#leads")
        while not (table.loaded and table.total is not None):
            await pilot.pause(0.05)
asyncio.run(main())
print(" ".join(sorted(m for m in sys.modules if m.startswith("models."))))
later = {"hashlib", "_hashlib", "hmac", "secrets", "calendar"}
print(" ".join(sorted(later & set(sys.modules))) or "-")
"""
"""The second line: the modules that set up OpenSSL's digests as they are imported
(0.5 MiB resident), and calendar, none of which the list needs."""

NOT_FOR_THE_LIST = {
    "models.csvfile",
    "models.exporting",
    "models.forms",
    "models.importing",
    "models.lookup",
    "models.merge",
    "models.notes",
    "models.opportunities",
    "models.processes.admin",
    "models.processes.demo",
    "models.qualify",
    "models.record_listing",
    "models.records",
    "models.settings",
    "models.locks",
    "models.permissions",
    "models.processes.models",
    "models.processes.reading",
    "models.processes.validation",
    "models.views",
}


def _run_on_a_database_with_ada(
    tmp_path: Path, code: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`code` run by a fresh Python with the URL of a new database (one admin, ada),
    with `env` added to its environment."""
    url = f"sqlite:///{tmp_path / 'leadq.db'}"
    models.open_database(url)
    try:
        models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    finally:
        models.close_database()
    return subprocess.run(
        [sys.executable, "-c", code, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_the_lead_list_starts_without_the_other_screens_models(tmp_path: Path) -> None:
    done = _run_on_a_database_with_ada(tmp_path, LIST_UP)
    assert done.returncode == 0, done.stderr
    models_line, hashing_line = done.stdout.splitlines()
    loaded = set(models_line.split())
    assert "models.listing" in loaded  # the list's own
    assert loaded & NOT_FOR_THE_LIST == set()
    assert hashing_line == "-"  # not even through Peewee, which imports them at its top


LOOKUPS_COUNTED = """
import unicodedata
looked_up = []
real_lookup = unicodedata.lookup
unicodedata.lookup = lambda name: (looked_up.append(name), real_lookup(name))[1]
"""
NO_NAME_LOOKUPS = LOOKUPS_COUNTED + LIST_UP + "print(looked_up)\n"


def test_the_lead_list_looks_no_key_name_up_in_unicodes_tables(tmp_path: Path) -> None:
    """Its bindings' characters and footer labels come from tui/key_names.py: a name
    looked up in `unicodedata` (21 before) kept 0.76 MiB of its tables resident."""
    done = _run_on_a_database_with_ada(tmp_path, NO_NAME_LOOKUPS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


APP_COMMAND_LINE = """
import sys
from tui import cli
started = cli._run(cli._parser(False).parse_args(["--db", sys.argv[1], "--user", "ada"]))
print(type(started).__name__, "tui.scripting" in sys.modules)
"""


def test_leadq_starting_the_app_does_not_import_the_scripting_commands(tmp_path: Path) -> None:
    done = _run_on_a_database_with_ada(tmp_path, APP_COMMAND_LINE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["StartApp", "False"]


APP_FILE_AREA = """
import sys
from tui import cli
started = cli._run(cli._parser(False).parse_args(["--db", sys.argv[1], "--user", "ada"]))
print(started.file_area is None, "models.file_area" in sys.modules)
"""


def test_a_local_run_of_the_app_does_not_import_the_file_area(tmp_path: Path) -> None:
    """The file area (a served session's) is imported only when the session has one."""
    done = _run_on_a_database_with_ada(tmp_path, APP_FILE_AREA, {"LEADQ_FILE_AREA": ""})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]
    area, served_db = tmp_path / "area", tmp_path / "served"
    area.mkdir(mode=0o700)
    served_db.mkdir()
    served = _run_on_a_database_with_ada(served_db, APP_FILE_AREA, {"LEADQ_FILE_AREA": str(area)})
    assert served.returncode == 0, served.stderr
    assert served.stdout.split() == ["False", "True"]


PEEWEE_LOADING_LATER = """
import datetime, sys
import models.entities, peewee
assert not {"_hashlib", "calendar"} & set(sys.modules), sorted(sys.modules)
name = "lead_" + "very_long_column_name_" * 4
print(peewee._truncate_constraint_name(name))
import hashlib
print(name[:56] + "_" + hashlib.md5(name.encode()).hexdigest()[:7])
print(peewee.hashlib.sha256 is hashlib.sha256)
moment = datetime.datetime(2026, 12, 1, 18, 0, tzinfo=datetime.timezone.utc)
print(peewee.TimestampField(utc=True).db_value(moment))
"""


def test_peewee_gets_the_real_hashlib_and_calendar_once_it_uses_them() -> None:
    """Peewee's stand-ins (models/__init__.py) load the real modules when Peewee first
    hashes (a constraint name too long to keep) or stores a UTC timestamp."""
    done = subprocess.run(
        [sys.executable, "-c", PEEWEE_LOADING_LATER], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    truncated, expected, same, timestamp = done.stdout.splitlines()
    assert truncated == expected and len(truncated) == 64
    assert same == "True"
    assert int(timestamp) == 1796148000  # 2026-12-01 18:00 UTC


def test_every_front_name_resolves_and_is_kept() -> None:
    for name in models.__all__:
        value = getattr(models, name)
        assert vars(models)[name] is value  # looked up once, then a plain attribute
    assert set(models.__all__) <= set(dir(models))
    assert models.entities.Lead is models.Lead  # modules as the eager front gave them


def test_an_unknown_front_name_is_an_attribute_error() -> None:
    import pytest

    with pytest.raises(AttributeError, match="has no attribute 'no_such_service'"):
        models.no_such_service  # noqa: B018


def test_leadq_seeds_without_the_seed_script(tmp_path: Path) -> None:
    """`leadq seed` and the first run of `leadq` on an empty database seed through
    models.seeding; seed.py (the script) is never loaded."""
    code = (
        "import sys\n"
        "from tui.cli import main\n"
        "status = main(['--db', sys.argv[1], 'seed', '--leads', '20'])\n"
        "print(status, 'seed' in sys.modules, 'models.seeding' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, f"sqlite:///{tmp_path / 'leadq.db'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout.split() == ["0", "False", "True"], done.stderr
    assert "20 leads" in done.stderr
