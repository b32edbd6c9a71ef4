"""What the app imports to show the lead list: the models front loads a name's
module when it is first used (models/__init__.py), so the start-up path does not pay
for the services and views of other screens (bench/bench_tui.py measures it)."""

from __future__ import annotations

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
"""

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
    "models.views",
}


def test_the_lead_list_starts_without_the_other_screens_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'leadq.db'}"
    models.open_database(url)
    try:
        models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    finally:
        models.close_database()
    done = subprocess.run(
        [sys.executable, "-c", LIST_UP, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "models.listing" in loaded  # the list's own
    assert loaded & NOT_FOR_THE_LIST == set()


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
