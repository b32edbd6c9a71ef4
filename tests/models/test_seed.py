"""seed.py: deterministic demo data that the model layer accepts, and the bench
scripts (run at a tiny scale so they keep working; no timing is asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import models
from models import demo, seeding
from models.entities import LEAD_FORM_FIELDS, lead_keys

ROOT = Path(__file__).resolve().parents[2]
TIME_COLUMNS = {"created_at", "modified_at", "closed_at", "at", "added_at"}
DUPLICATE_RULES = {
    "same account name",
    "same website domain",
    "same phone",
    "same email",
    "same business phone",
    "same first and last name",
}


def _dump() -> dict[str, list[tuple]]:
    """Every row of every table, without the columns services stamp with `now`."""
    db = models.database_proxy.obj
    tables = [
        row[0]
        for row in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT GLOB '*_fts*' AND name <> 'schema_migration'"
        ).fetchall()
    ]
    dump = {}
    for table in sorted(tables):
        cursor = db.execute_sql(f'SELECT * FROM "{table}" ORDER BY rowid')
        keep = [i for i, d in enumerate(cursor.description) if d[0] not in TIME_COLUMNS]
        dump[table] = [tuple(row[i] for i in keep) for row in cursor.fetchall()]
    return dump


def test_two_seeds_give_identical_data(tmp_path: Path) -> None:
    dumps, created = [], []
    for name in ("one", "two"):
        models.open_database(f"sqlite:///{tmp_path / name}.db")
        try:
            seeding.seed(leads=150)
            dumps.append(_dump())
            created.append(
                [lead.created_at for lead in models.Lead.select().order_by(models.Lead.id)]
            )
        finally:
            models.close_database()
    assert dumps[0]["lead"], "nothing was seeded"
    assert dumps[0] == dumps[1]
    # Bulk rows carry fixed timestamps too (only service writes use the clock).
    assert created[0] == created[1]
    assert max(created[0]) <= demo.BASE_TIME


def test_demo_users_exist_with_their_roles(db: object) -> None:
    seeding.seed(leads=40)
    for expected in demo.DEMO_USERS:
        user = models.get_user(expected.username)
        assert (user.full_name, user.role) == (expected.full_name, expected.role)
    names = {u.username for u in demo.DEMO_USERS}
    assert {"admin", "morgan", "riley", "sam"} <= names
    admin = models.get_user("admin")
    assert admin.full_name == "Ada Admin" and admin.is_admin


def test_every_state_reason_rating_source_and_owner_is_present(db: object) -> None:
    summary = seeding.seed(leads=400)
    Lead = models.Lead
    assert summary.leads == Lead.select().count() == 400
    pairs = {
        (lead.state, lead.status_reason) for lead in Lead.select(Lead.state, Lead.status_reason)
    }
    expected = {
        ("open", "new"),
        ("open", "contacted"),
        ("qualified", "qualified"),
        *(("disqualified", reason.value) for reason in models.DISQUALIFY_REASONS),
    }
    assert pairs == expected
    assert {lead.rating for lead in Lead.select(Lead.rating)} == {r.value for r in models.Rating}
    sources = {lead.lead_source for lead in Lead.select(Lead.lead_source)} - {None}
    assert sources == {s.value for s in models.LeadSource}
    owners = {lead.owner.username for lead in Lead.select().where(Lead.owner.is_null(False))}
    assert {"riley", "sam", "morgan"} <= owners
    # Closed leads say who closed them; disqualified ones through the service too.
    assert not Lead.select().where((Lead.state != "open") & Lead.closed_by.is_null()).exists()
    actions = {e.action for e in models.AuditEvent.select(models.AuditEvent.action)}
    assert {"qualified", "disqualified", "reactivated", "note_added", "stage_changed"} <= actions


def test_notes_attachments_and_carried_over_notes(db: object) -> None:
    seeding.seed(leads=300)
    Note = models.Note
    assert Note.select().where(Note.lead.is_null(False)).count() > 50
    with_file = Note.select().where(Note.attachment_name.is_null(False))
    assert with_file.count() > 0
    note = with_file.first()
    name, data = models.attachment_bytes(note.id)
    assert name == note.attachment_name and len(data) > 0
    # An opportunity qualified through the service shows its lead's notes.
    shown = 0
    for opportunity in models.Opportunity.select().where(
        models.Opportunity.originating_lead.is_null(False)
    ):
        carried = [n for n in opportunity.notes_for_display() if n.is_from_lead_of(opportunity)]
        shown += bool(carried)
        lead = opportunity.originating_lead
        assert lead.state == "qualified" and lead.stage == "develop"
        assert lead.account_id == opportunity.account_id
    assert shown > 10


def test_each_duplicate_rule_has_a_lead_that_shows_it(db: object) -> None:
    seeding.seed(leads=200)
    Lead = models.Lead
    rules_seen: set[str] = set()
    shared_email = 0
    for lead in Lead.select().where(Lead.topic.startswith("Demo duplicate")):
        matches = models.find_duplicates(lead)
        for record in matches.accounts + matches.contacts:
            rules_seen |= set(record.rules)
        shared_email += bool(matches.leads)
        assert matches or matches.leads, lead.topic
    assert rules_seen == DUPLICATE_RULES
    assert shared_email == 2
    # The account-name duplicate differs in case and legal suffix only.
    contoso = Lead.get(Lead.company == "CONTOSO INC")
    (account,) = models.find_duplicates(contoso).accounts
    assert account.title == "Contoso Ltd."


def test_only_the_made_duplicates_are_marked(db: object) -> None:
    seeding.seed(leads=300)
    Lead = models.Lead
    open_ids = [row.id for row in Lead.select(Lead.id).where(Lead.state == "open")]
    marked = models.leads_with_duplicates(open_ids)
    topics = {Lead.get_by_id(i).topic for i in marked}
    assert topics and all(t.startswith("Demo duplicate") for t in topics)


def test_demo_leads_are_ready_and_qualify(db: object) -> None:
    seeding.seed(leads=120)
    Lead = models.Lead
    ready = list(Lead.select().where(Lead.topic.startswith("Demo: ")).order_by(Lead.id))
    assert len(ready) == len(demo.DEMO_LEADS)
    for lead in ready:
        assert lead.is_open and lead.company
        filled = lead.qualify_stage_filled()
        del filled["existing_account"], filled["existing_contact"]
        assert all(filled.values()), (lead.topic, filled)
        matches = models.find_duplicates(lead)
        assert not matches and not matches.leads
    rep = models.get_user("riley")
    result = models.qualify_lead(rep, ready[0].id)
    assert result.account_created and result.contact_created
    assert result.account.name == ready[0].company
    assert result.opportunity.stage == "develop"
    assert models.get_lead(ready[0].id).state == "qualified"


def test_stored_keys_are_what_lead_keys_computes(db: object) -> None:
    seeding.seed(leads=250, accounts=120, contacts=200)
    region = models.load_settings().phone_region
    for lead in models.Lead.select():
        values = {name: getattr(lead, name) for name in LEAD_FORM_FIELDS}
        expected = lead_keys(values, region)
        assert {k: getattr(lead, k) for k in expected} == expected, lead.id
    for account in models.Account.select():
        stored = (account.name_key, account.domain_key, account.phone_key)
        account.refresh_keys(region)
        assert stored == (account.name_key, account.domain_key, account.phone_key)
    for contact in models.Contact.select():
        stored = (contact.email_key, contact.phone_key, contact.person_key)
        contact.refresh_keys(region)
        assert stored == (contact.email_key, contact.phone_key, contact.person_key)
    assert models.Account.select().count() >= 120
    assert models.Contact.select().count() >= 200


def test_new_records_after_seeding_get_fresh_ids(db: object) -> None:
    """Bulk rows carry explicit ids; PostgreSQL's sequences must have moved past them."""
    seeding.seed(leads=80)
    rep = models.get_user("sam")
    lead = models.create_lead(rep, topic="After seeding", last_name="Later", company="Later Co")
    assert lead.id > max(row.id for row in models.Lead.select(models.Lead.id) if row.id != lead.id)
    result = models.qualify_lead(rep, lead.id)
    assert result.account.id and result.contact.id and result.opportunity.id


def test_hostile_text_is_stored_unchanged(db: object) -> None:
    seeding.seed(leads=40)
    lead = models.Lead.get(models.Lead.topic == demo.HOSTILE_TOPIC)
    assert "[bold red]" in lead.topic and "\x1b[31m" in lead.topic
    assert lead.first_name == "[b]Bracket[/b]"


def test_seeding_twice_is_refused_and_reset_starts_over(db: object) -> None:
    seeding.seed(leads=50)
    with pytest.raises(seeding.SeedRefused, match="already has users or leads"):
        seeding.seed(leads=50)
    assert models.Lead.select().count() == 50
    seeding.seed(leads=70, reset=True)
    assert models.Lead.select().count() == 70
    assert models.User.select().count() == len(demo.DEMO_USERS)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    first = _run("seed.py", "--db", url, "--leads", "30", "--quiet")
    assert first.returncode == 0, first.stderr
    assert "30 leads" in first.stdout and "admin" in first.stdout
    again = _run("seed.py", "--db", url, "--leads", "30", "--quiet")
    assert again.returncode == 1
    assert "already has users or leads" in again.stderr


@pytest.mark.parametrize(
    "script, args",
    [
        ("bench/bench_seed.py", ["--scale", "60", "--repeats", "1"]),
        ("bench/bench_qualify.py", ["--scale", "20", "--repeats", "1"]),
        ("bench/bench_duplicates.py", ["--scale", "300", "--lookups", "5"]),
        ("bench/bench_concurrency.py", ["--seconds", "0.5", "--repeats", "1"]),
        ("bench/bench_qualify_pg.py", ["--scale", "5", "--repeats", "1"]),
        ("bench/bench_open_check.py", ["--scale", "60", "--repeats", "1"]),
        ("bench/bench_import.py", ["--rows", "300", "--repeats", "1"]),
        ("bench/bench_records.py", ["--rows", "300", "--presses", "2"]),
        ("bench/bench_screens.py", ["--leads", "300", "--opens", "1", "--why"]),
    ],
)
def test_bench_scripts_run_at_a_tiny_scale(script: str, args: list[str], tmp_path: Path) -> None:
    # The PostgreSQL one keeps its server in the system's temporary folder (the
    # server's own user cannot enter the test's).
    where = [] if script.endswith("_pg.py") else ["--dir", str(tmp_path)]
    done = _run(script, *args, *where)
    assert done.returncode == 0, done.stderr
    assert "RATIO" in done.stdout
