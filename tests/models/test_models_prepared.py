"""The qualify fast path (models/prepared.py and its use in qualify.py) keeps the
rules: the keys of created records are what `normalize` gives, settings are never
stale, the fast insert writes what the ORM would, statements follow the database.
Every test that takes `db` runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal

import pytest

import models
import models.audit
import models.qualify
from models import Account, AuditEvent, Contact, Lead, QualifyRefused, Setting, normalize, prepared
from models.prepared import Slot

from ..conftest import make_lead


def unique_lead(actor: models.User, n: int, **overrides: object) -> Lead:
    """A lead that duplicates no other lead made here with another `n`."""
    values: dict[str, object] = {
        "topic": f"order {n}",
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        "company": f"Company {n}",
        "website": f"company{n}.example",
        "business_phone": f"+1 206 555 {n:04d}",
        "email": f"buyer{n}@company{n}.example",
    }
    return make_lead(actor, **{**values, **overrides})


def record_keys(account: Account, contact: Contact, region: str) -> None:
    """The stored keys of the records qualifying created, against `normalize`."""
    account = Account.get_by_id(account.id)
    contact = Contact.get_by_id(contact.id)
    assert account.name_key == normalize.company_key(account.name)
    assert account.domain_key == normalize.website_domain(account.website)
    assert account.phone_key == normalize.phone_key(account.phone, region)
    assert contact.email_key == normalize.email_key(contact.email)
    assert contact.phone_key == normalize.phone_key(contact.phone, region)
    assert contact.person_key == normalize.person_key(contact.first_name, contact.last_name)


@pytest.mark.parametrize(
    "phone, website, email, company",
    [
        ("+1 206 555 0142", "https://www.Contoso.com/about", "Nancy@Contoso.COM", "Contoso, Ltd."),
        ("(206) 555-0142", "contoso.com", "nancy@contoso.com", "CONTOSO inc"),  # national form
        ("", "", "", "Blank Keys GmbH"),  # blank values have no key
        (
            "+44 20 7946 0018",
            "https://xn--bcher-kva.example/",
            "ÉMILE@Example.org",
            "Émile & Søn S.A.",
        ),
    ],
)
def test_keys_of_created_records_are_what_normalize_gives(
    db, rep, phone, website, email, company
) -> None:
    lead = make_lead(rep, business_phone=phone, website=website, email=email, company=company)
    result = models.qualify_lead(rep, lead.id)
    assert result.account_created and result.contact_created
    record_keys(result.account, result.contact, "US")
    # And they are the lead's own keys, which the duplicate lookups searched with.
    lead = Lead.get_by_id(lead.id)
    assert Account.get_by_id(result.account.id).name_key == lead.company_key
    assert Contact.get_by_id(result.contact.id).person_key == lead.person_key


def test_phone_keys_follow_a_region_changed_after_the_lead_was_saved(db, admin, rep) -> None:
    """A number written without its country code is keyed afresh with the region in
    force: the key the lead stored under the old region would be a stale setting."""
    models.change_setting(admin, "phone_region", "GB")
    lead = unique_lead(rep, 1, business_phone="020 7946 0018")
    assert Lead.get_by_id(lead.id).phone_key == "+442079460018"
    models.change_setting(admin, "phone_region", "US")
    result = models.qualify_lead(rep, lead.id)
    record_keys(result.account, result.contact, "US")
    assert Account.get_by_id(result.account.id).phone_key is None  # not a possible US number
    # A number with its country code keeps the lead's key whatever the region.
    models.change_setting(admin, "phone_region", "DE")
    other = unique_lead(rep, 2, business_phone="+1 206 555 0100")
    result = models.qualify_lead(rep, other.id)
    assert Contact.get_by_id(result.contact.id).phone_key == "+12065550100"
    record_keys(result.account, result.contact, "DE")


def _in_another_connection(work) -> None:
    """Run `work` on another thread, which has its own connection (as another
    process would), and wait for it."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            with models.thread_connection():
                work()
        except BaseException as exc:  # reported to the test
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive() and not failure, failure


def test_a_setting_changed_in_another_connection_applies_to_the_next_qualification(
    db, admin, rep
) -> None:
    first, second, third = (unique_lead(rep, n) for n in (1, 2, 3))
    models.qualify_lead(rep, first.id)  # the settings are read (and remembered) here
    _in_another_connection(lambda: models.change_setting(admin, "auto_create_on_qualify", False))
    with pytest.raises(QualifyRefused, match="Auto-create is off"):
        models.qualify_lead(rep, second.id)
    assert Lead.get_by_id(second.id).is_open
    _in_another_connection(lambda: models.change_setting(admin, "auto_create_on_qualify", True))
    assert models.qualify_lead(rep, third.id).opportunity is not None


def test_a_setting_written_without_the_service_is_not_missed(db, admin, rep) -> None:
    """The settings rows are read for every qualification; only unchanged rows are
    not parsed again, so even a direct write to the table is seen at once."""
    models.change_setting(admin, "dup_contact_email", False)
    assert models.load_settings().dup_contact_email is False
    Setting.update(value=json.dumps(True)).where(Setting.key == "dup_contact_email").execute()
    assert models.load_settings().dup_contact_email is True
    Setting.insert(key="dup_account_name", value=json.dumps(False)).execute()
    assert models.load_settings().dup_account_name is False
    Setting.delete().execute()
    assert models.load_settings() == models.OrgSettings()


def test_a_duplicate_rule_switched_off_elsewhere_stops_matching_at_once(db, admin, rep) -> None:
    first = unique_lead(rep, 1, email="x@alpha.example")
    models.qualify_lead(rep, first.id)
    twin = unique_lead(rep, 2, email="X@Alpha.example")
    with pytest.raises(models.DuplicatesFound):
        models.qualify_lead(rep, twin.id)
    _in_another_connection(lambda: models.change_setting(admin, "dup_contact_email", False))
    assert models.qualify_lead(rep, twin.id).contact_created


def test_fast_insert_writes_what_the_orm_writes(db, rep) -> None:
    now = dt.datetime(2024, 5, 6, 7, 8, 9, 123456)
    values = {
        "name": "Contoso Ltd.",
        "website": "https://contoso.com",
        "phone": "+1 206 555 0142",
        "street1": "1 Way",
        "city": "Redmond",
        "owner": rep.id,
        "created_at": now,
        "modified_at": now,
        "name_key": "contoso",
        "domain_key": "contoso.com",
        "phone_key": "+12065550142",
    }
    fast = prepared.create(Account, **values)
    slow = Account.insert(**values).execute()
    assert isinstance(fast.id, int) and fast.id != slow
    rows = {
        row.pop("id"): row
        for row in Account.select().where(Account.id.in_([fast.id, slow])).dicts()
    }
    assert rows[fast.id] == rows[slow]
    assert rows[fast.id]["street2"] == "" and rows[fast.id]["created_at"] == now  # defaults


def test_audit_record_is_saved_and_returned(db, rep) -> None:
    lead = make_lead(rep)
    event = models.audit.record(rep, "noted", lead, "A [bold]summary[/] \x1b[31m😀")
    stored = AuditEvent.get_by_id(event.id)
    assert (stored.actor_id, stored.action, stored.entity_type, stored.entity_id) == (
        rep.id,
        "noted",
        "lead",
        lead.id,
    )
    assert stored.summary == "A [bold]summary[/] \x1b[31m😀" and stored.at == event.at


def test_reader_loads_the_fields_it_is_given_as_the_orm_would(db, rep) -> None:
    lead = make_lead(rep, topic="Reader")
    Lead.update(estimated_budget=Decimal("1234.50"), decision_maker_identified=True).where(
        Lead.id == lead.id
    ).execute()
    fields = (Lead.id, Lead.topic, Lead.estimated_budget, Lead.decision_maker_identified,
              Lead.created_at, Lead.owner)  # fmt: skip
    read = prepared.Reader(Lead, fields).get(lead.id)
    orm = Lead.get_by_id(lead.id)
    assert read.estimated_budget == Decimal("1234.50") and isinstance(
        read.estimated_budget, Decimal
    )
    for field in fields:
        assert getattr(read, field.name) == getattr(orm, field.name), field.name
    assert read.owner_id == rep.id
    assert prepared.Reader(Lead, fields).get(987654) is None


def test_a_compiled_statement_never_bakes_in_a_value(db) -> None:
    baked = prepared.Prepared(lambda: Lead.select(Lead.id).where(Lead.id == 5))
    with pytest.raises(TypeError, match="not a Slot"):
        baked.compiled()


def test_statements_are_compiled_for_the_database_in_use(db, db_url, rep, tmp_path) -> None:
    select = prepared.Prepared(lambda: Lead.select(Lead.topic).where(Lead.id == Slot("id")))
    lead = make_lead(rep, topic="here")
    bound, compiled = select.compiled()
    assert bound is db and db.param in compiled.sql and compiled.names == ("id",)
    assert select.run({"id": lead.id}).fetchone() == ("here",)
    # Bound to another database (SQLite here), the statement is compiled for it.
    other = models.open_database(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        other_rep = models.create_user("sam", "Sam Rep", models.Role.SALESPERSON)
        other_lead = make_lead(other_rep, topic="there")
        assert select.compiled()[0] is other and "?" in select.compiled()[1].sql
        assert select.run({"id": other_lead.id}).fetchone() == ("there",)
        assert models.qualify_lead(other_rep, other_lead.id).opportunity.topic == "there"
    finally:
        models.close_database()
        models.open_database(db_url)


def test_bulk_outcomes_name_every_lead(db, rep) -> None:
    ok = unique_lead(rep, 1, first_name="Ann", last_name="Ok")
    closed = unique_lead(rep, 2, first_name="Cy", last_name="Closed")
    models.disqualify_lead(rep, closed.id, models.StatusReason.LOST)
    outcomes = models.qualify_leads(rep, [closed.id, 987654, ok.id])
    assert [(o.lead_name, o.status) for o in outcomes] == [
        ("Cy Closed", "failed"),
        ("lead #987654", "failed"),
        ("Ann Ok", "qualified"),
    ]
