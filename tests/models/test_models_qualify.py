"""Qualifying a lead: the field mapping, auto-create on/off, linking existing and
picked records, the company rule, closed leads, all-or-nothing, bulk qualify and
notes carry-over. Every test runs on SQLite and PostgreSQL (the `db` fixture)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import peewee
import pytest

import models
import models.qualify
from models import (
    Account,
    AuditEvent,
    Contact,
    Lead,
    LeadClosed,
    Opportunity,
    QualifyChoice,
    QualifyRefused,
)
from models.mapping import ACCOUNT_MAPPING, ADDRESS_FIELDS, CONTACT_MAPPING, OPPORTUNITY_MAPPING

from ..conftest import make_lead

ADDRESS = {
    "street1": "1 Microsoft Way",
    "street2": "Building 4",
    "street3": "Floor 2",
    "city": "Redmond",
    "state_province": "WA",
    "postal_code": "98052",
    "country": "United States",
}
# SPEC.md section 3, written out literally so that a wrong mapping in
# models/mapping.py fails here even though the data-driven checks agree with it.
EXPECTED_OPPORTUNITY = {"topic": "50 ergonomic chairs"}
EXPECTED_ACCOUNT = {
    "name": "Contoso Ltd.",
    "website": "https://www.contoso.com",
    "phone": "+1 206 555 0142",
    **ADDRESS,
}
EXPECTED_CONTACT = {
    "first_name": "Nancy",
    "last_name": "Anderson",
    "job_title": "Purchasing manager",
    "phone": "+1 206 555 0142",
    "mobile_phone": "+1 206 555 0199",
    "email": "nancy@contoso.com",
    **ADDRESS,
}


def counts() -> dict[str, int]:
    return {m.__name__: m.select().count() for m in (Account, Contact, Opportunity)}


def audit_actions(lead_id: int) -> list[str]:
    return [e.action for e in AuditEvent.for_record("lead", lead_id)]


def auto_create_off(admin: models.User) -> None:
    models.change_setting(admin, "auto_create_on_qualify", False)


# --- the field mapping ----------------------------------------------------------


def test_mapping_data_is_the_spec_table() -> None:
    assert set(ADDRESS_FIELDS) == set(ADDRESS)
    assert dict(OPPORTUNITY_MAPPING) == {"topic": "topic"}
    assert sorted(ACCOUNT_MAPPING) == sorted(
        [("company", "name"), ("website", "website"), ("business_phone", "phone")]
        + [(f, f) for f in ADDRESS]
    )
    assert sorted(CONTACT_MAPPING) == sorted(
        [
            ("first_name", "first_name"),
            ("last_name", "last_name"),
            ("job_title", "job_title"),
            ("business_phone", "phone"),
            ("mobile_phone", "mobile_phone"),
            ("email", "email"),
        ]
        + [(f, f) for f in ADDRESS]
    )


@pytest.mark.parametrize(
    ("mapping", "attr", "expected"),
    [
        (OPPORTUNITY_MAPPING, "opportunity", EXPECTED_OPPORTUNITY),
        (ACCOUNT_MAPPING, "account", EXPECTED_ACCOUNT),
        (CONTACT_MAPPING, "contact", EXPECTED_CONTACT),
    ],
    ids=["opportunity", "account", "contact"],
)
def test_each_mapping_row_is_copied(db, rep, mapping, attr, expected) -> None:
    lead = make_lead(rep)
    result = models.qualify_lead(rep, lead.id)
    target = getattr(result, attr)
    stored = type(target).get_by_id(target.id)  # read back from the database
    for lead_field, target_field in mapping:
        assert getattr(stored, target_field) == getattr(lead, lead_field), (
            f"{lead_field} -> {attr}.{target_field}"
        )
    for field, value in expected.items():
        assert getattr(stored, field) == value, f"{attr}.{field}"


def test_created_records_are_tied_together(db, rep) -> None:
    lead = make_lead(rep, estimated_budget="12500.50")
    result = models.qualify_lead(rep, lead.id)
    opp = Opportunity.get_by_id(result.opportunity.id)
    contact = Contact.get_by_id(result.contact.id)
    assert opp.account_id == result.account.id
    assert opp.contact_id == result.contact.id
    assert opp.originating_lead_id == lead.id
    assert opp.estimated_value == Decimal("12500.50")
    assert opp.stage == models.Stage.DEVELOP
    assert contact.account_id == result.account.id
    fresh = Lead.get_by_id(lead.id)
    assert (fresh.account_id, fresh.contact_id) == (result.account.id, result.contact.id)
    assert fresh.opportunity().id == opp.id


# --- auto-create on / off --------------------------------------------------------


def test_auto_create_on_creates_all_three_and_moves_to_develop(db, rep) -> None:
    lead = make_lead(rep)
    # Create flags are ignored while auto-create is on.
    result = models.qualify_lead(rep, lead.id, QualifyChoice(False, False, False))
    assert counts() == {"Account": 1, "Contact": 1, "Opportunity": 1}
    assert result.account_created and result.contact_created
    fresh = Lead.get_by_id(lead.id)
    assert fresh.state == models.LeadState.QUALIFIED
    assert fresh.status_reason == models.StatusReason.QUALIFIED
    assert fresh.stage == models.Stage.DEVELOP
    assert fresh.closed_by_id == rep.id and fresh.closed_at is not None


@pytest.mark.parametrize(
    "flags",
    list(itertools.product([True, False], repeat=3)),
    ids=lambda f: "".join("yn"[not x] for x in f),
)
def test_auto_create_off_honours_each_choice(db, admin, rep, flags) -> None:
    auto_create_off(admin)
    create_account, create_contact, create_opportunity = flags
    lead = make_lead(rep)
    result = models.qualify_lead(
        rep, lead.id, QualifyChoice(create_account, create_contact, create_opportunity)
    )
    assert counts() == {
        "Account": int(create_account),
        "Contact": int(create_contact),
        "Opportunity": int(create_opportunity),
    }
    fresh = Lead.get_by_id(lead.id)
    assert fresh.state == models.LeadState.QUALIFIED  # qualified either way
    assert fresh.stage == (models.Stage.DEVELOP if create_opportunity else models.Stage.QUALIFY)
    assert (result.opportunity is not None) == create_opportunity
    if create_contact:
        contact = Contact.get_by_id(result.contact.id)
        assert contact.account_id == (result.account.id if create_account else None)
    if create_opportunity:
        opp = Opportunity.get_by_id(result.opportunity.id)
        assert opp.account_id == (result.account.id if create_account else None)
        assert opp.contact_id == (result.contact.id if create_contact else None)


def test_auto_create_off_without_a_choice_is_refused(db, admin, rep) -> None:
    auto_create_off(admin)
    lead = make_lead(rep)
    with pytest.raises(QualifyRefused, match="choose"):
        models.qualify_lead(rep, lead.id)
    assert Lead.get_by_id(lead.id).is_open
    assert counts() == {"Account": 0, "Contact": 0, "Opportunity": 0}


def test_nothing_created_still_qualifies_and_says_so(db, admin, rep) -> None:
    auto_create_off(admin)
    lead = make_lead(rep, company="")
    result = models.qualify_lead(rep, lead.id, QualifyChoice(False, False, False))
    assert result.lines() == ["Qualified without creating or linking any record"]
    fresh = Lead.get_by_id(lead.id)
    assert fresh.state == models.LeadState.QUALIFIED
    assert fresh.stage == models.Stage.QUALIFY


# --- existing and picked records ---------------------------------------------------


def test_existing_account_and_contact_are_linked_not_duplicated(db, rep) -> None:
    account = Account.create(name="Contoso Ltd.", website="contoso.com")
    contact = Contact.create(first_name="Nancy", last_name="Anderson", email="nancy@contoso.com")
    lead = make_lead(rep, existing_account=account, existing_contact=contact.id)
    before = counts()
    result = models.qualify_lead(rep, lead.id)
    after = counts()
    assert after["Account"] == before["Account"] == 1
    assert after["Contact"] == before["Contact"] == 1
    assert after["Opportunity"] == 1
    assert (result.account.id, result.contact.id) == (account.id, contact.id)
    assert not result.account_created and not result.contact_created
    opp = Opportunity.get_by_id(result.opportunity.id)
    assert (opp.account_id, opp.contact_id) == (account.id, contact.id)
    fresh = Lead.get_by_id(lead.id)
    assert (fresh.account_id, fresh.contact_id) == (account.id, contact.id)


def test_existing_account_only_creates_contact_under_it(db, rep) -> None:
    account = Account.create(name="Fabrikam")
    lead = make_lead(rep, company="", existing_account=account)
    result = models.qualify_lead(rep, lead.id)  # no company needed: account is linked
    assert counts() == {"Account": 1, "Contact": 1, "Opportunity": 1}
    assert result.account.id == account.id and not result.account_created
    assert Contact.get_by_id(result.contact.id).account_id == account.id


def test_picked_duplicates_are_linked(db, rep) -> None:
    account = Account.create(name="CONTOSO, LLC")
    contact = Contact.create(first_name="N", last_name="A", email="NANCY@contoso.com")
    lead = make_lead(rep)
    with pytest.raises(models.DuplicatesFound) as caught:
        models.qualify_lead(rep, lead.id)
    assert [m.id for m in caught.value.matches.accounts] == [account.id]
    assert [m.id for m in caught.value.matches.contacts] == [contact.id]
    assert Lead.get_by_id(lead.id).is_open and counts()["Opportunity"] == 0

    choice = QualifyChoice(link_account_id=account.id, link_contact_id=contact.id)
    result = models.qualify_lead(rep, lead.id, choice)
    assert counts() == {"Account": 1, "Contact": 1, "Opportunity": 1}
    assert (result.account.id, result.contact.id) == (account.id, contact.id)
    opp = Opportunity.get_by_id(result.opportunity.id)
    assert (opp.account_id, opp.contact_id) == (account.id, contact.id)


def test_ignore_duplicates_creates_new_records(db, rep) -> None:
    Account.create(name="Contoso")
    Contact.create(first_name="Nancy", last_name="Anderson")
    lead = make_lead(rep)
    result = models.qualify_lead(rep, lead.id, QualifyChoice(ignore_duplicates=True))
    assert counts() == {"Account": 2, "Contact": 2, "Opportunity": 1}
    assert result.account_created and result.contact_created


def test_picked_record_that_vanished_is_not_found(db, rep) -> None:
    lead = make_lead(rep)
    with pytest.raises(models.NotFound):
        models.qualify_lead(rep, lead.id, QualifyChoice(link_account_id=999_999))
    assert Lead.get_by_id(lead.id).is_open
    assert counts() == {"Account": 0, "Contact": 0, "Opportunity": 0}


# --- refusals --------------------------------------------------------------------------


def test_account_needs_a_company_name(db, rep) -> None:
    lead = make_lead(rep, company="   ")
    with pytest.raises(QualifyRefused) as caught:
        models.qualify_lead(rep, lead.id)
    assert "company" in str(caught.value).lower()
    assert Lead.get_by_id(lead.id).is_open
    assert counts() == {"Account": 0, "Contact": 0, "Opportunity": 0}
    assert "qualified" not in audit_actions(lead.id)


def test_no_company_is_fine_when_no_account_is_wanted(db, admin, rep) -> None:
    auto_create_off(admin)
    lead = make_lead(rep, company="")
    with pytest.raises(QualifyRefused, match="company"):
        models.qualify_lead(rep, lead.id, QualifyChoice(True, True, True))
    result = models.qualify_lead(rep, lead.id, QualifyChoice(False, True, True))
    assert result.account is None
    assert counts() == {"Account": 0, "Contact": 1, "Opportunity": 1}


@pytest.mark.parametrize("close", ["qualify", "disqualify"])
def test_closed_lead_is_refused_everywhere(db, rep, close) -> None:
    lead = make_lead(rep)
    if close == "qualify":
        models.qualify_lead(rep, lead.id)
    else:
        models.disqualify_lead(rep, lead.id, models.StatusReason.LOST)
    before = counts()
    snapshot = Lead.get_by_id(lead.id).__data__.copy()

    with pytest.raises(LeadClosed, match="Riley Rep") as caught:
        models.qualify_lead(rep, lead.id)
    assert "reactivate" in str(caught.value)
    with pytest.raises(LeadClosed):
        models.disqualify_lead(rep, lead.id, models.StatusReason.CANCELED)
    with pytest.raises(LeadClosed):
        models.update_lead(rep, lead.id, {"topic": "changed"})
    with pytest.raises(LeadClosed):
        models.add_note(rep, Lead.get_by_id(lead.id), "late note")

    assert counts() == before
    assert Lead.get_by_id(lead.id).__data__ == snapshot
    assert models.Note.select().count() == 0


def test_unknown_lead_is_not_found(db, rep) -> None:
    with pytest.raises(models.NotFound):
        models.qualify_lead(rep, 424242)


# --- all or nothing -------------------------------------------------------------------


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("injected failure")


@pytest.mark.parametrize("step", ["_create_account", "_create_contact", "_create_opportunity"])
def test_qualify_is_all_or_nothing(db, rep, monkeypatch, step) -> None:
    lead = make_lead(rep)
    monkeypatch.setattr(models.qualify, step, _boom)
    with pytest.raises(RuntimeError, match="injected"):
        models.qualify_lead(rep, lead.id)
    assert counts() == {"Account": 0, "Contact": 0, "Opportunity": 0}
    fresh = Lead.get_by_id(lead.id)
    assert fresh.state == models.LeadState.OPEN
    assert fresh.status_reason == models.StatusReason.NEW
    assert fresh.stage == models.Stage.QUALIFY
    assert fresh.closed_by_id is None and fresh.account_id is None
    assert audit_actions(lead.id) == ["created"]
    # Once the failure is gone the same lead qualifies normally.
    monkeypatch.undo()
    models.qualify_lead(rep, lead.id)
    assert counts() == {"Account": 1, "Contact": 1, "Opportunity": 1}


def test_failure_while_auditing_rolls_back_too(db, rep, monkeypatch) -> None:
    lead = make_lead(rep)

    def failing_record(actor, action, entity, summary):
        raise peewee.IntegrityError("audit insert failed")

    monkeypatch.setattr(models.qualify, "record", failing_record)
    with pytest.raises(peewee.IntegrityError):
        models.qualify_lead(rep, lead.id)
    assert counts() == {"Account": 0, "Contact": 0, "Opportunity": 0}
    assert Lead.get_by_id(lead.id).is_open


# --- qualify multiple ---------------------------------------------------------------


def test_qualify_multiple_reports_each_lead(db, rep, monkeypatch) -> None:
    ok = make_lead(
        rep,
        topic="ok",
        company="Alpha",
        email="a@alpha.com",
        first_name="Al",
        last_name="Alpha",
        business_phone="+1 206 555 0101",
        website="alpha.com",
    )
    # Shares ok's email: once ok's contact exists, this one has a duplicate.
    dup = make_lead(
        rep,
        topic="dup",
        company="Beta",
        email="A@ALPHA.com",
        first_name="Bo",
        last_name="Beta",
        business_phone="+1 206 555 0102",
        website="beta.com",
    )
    closed = make_lead(
        rep,
        topic="closed",
        company="Gamma",
        email="g@gamma.com",
        first_name="Gi",
        last_name="Gamma",
        business_phone="+1 206 555 0103",
        website="gamma.com",
    )
    models.disqualify_lead(rep, closed.id, models.StatusReason.LOST)
    broken = make_lead(
        rep,
        topic="broken",
        company="Delta",
        email="d@delta.com",
        first_name="Di",
        last_name="Delta",
        business_phone="+1 206 555 0104",
        website="delta.com",
    )
    last = make_lead(
        rep,
        topic="last",
        company="Omega",
        email="o@omega.com",
        first_name="Oz",
        last_name="Omega",
        business_phone="+1 206 555 0105",
        website="omega.com",
    )

    real = models.qualify._create_opportunity

    def flaky(lead, *args, **kwargs):
        if lead.topic == "broken":
            raise peewee.IntegrityError("disk says no")
        return real(lead, *args, **kwargs)

    monkeypatch.setattr(models.qualify, "_create_opportunity", flaky)
    progress: list[tuple[int, int]] = []
    ids = [ok.id, dup.id, closed.id, broken.id, 987654, last.id]
    outcomes = models.qualify_leads(rep, ids, progress=lambda d, t: progress.append((d, t)))

    assert [o.lead_id for o in outcomes] == ids
    assert [o.status for o in outcomes] == [
        "qualified",
        "duplicates",
        "failed",
        "failed",
        "failed",
        "qualified",
    ]
    assert outcomes[0].lead_name == "Al Alpha"
    assert outcomes[0].result.opportunity.topic == "ok"
    assert [m.id for m in outcomes[1].matches.contacts] == [outcomes[0].result.contact.id]
    assert "disqualified" in outcomes[2].message
    # A sentence, not the driver's text (which goes to the log).
    assert "nothing was saved" in outcomes[3].message
    assert "disk says no" not in outcomes[3].message
    assert progress == [(i, len(ids)) for i in range(1, len(ids) + 1)]

    states = {lead.topic: lead.state for lead in Lead.select()}
    assert states == {
        "ok": "qualified",
        "dup": "open",
        "closed": "disqualified",
        "broken": "open",
        "last": "qualified",
    }
    # The broken lead left nothing behind; the two good ones made three records each.
    assert counts() == {"Account": 2, "Contact": 2, "Opportunity": 2}
    assert not Account.select().where(Account.name == "Delta").exists()


# --- settings take effect, audit, notes carry-over ---------------------------------


def test_settings_apply_to_the_next_qualification(db, admin, rep) -> None:
    Account.create(name="Contoso")
    first, second = make_lead(rep), make_lead(rep)
    with pytest.raises(models.DuplicatesFound):
        models.qualify_lead(rep, first.id)
    for rule in (
        "dup_account_name",
        "dup_contact_email",
        "dup_contact_phone",
        "dup_contact_name",
        "dup_account_website",
        "dup_account_phone",
    ):
        models.change_setting(admin, rule, False)
    models.qualify_lead(rep, first.id)  # no duplicate check any more
    models.change_setting(admin, "auto_create_on_qualify", False)
    with pytest.raises(QualifyRefused):
        models.qualify_lead(rep, second.id)


def test_qualify_audit_says_what_was_created_and_linked(db, rep) -> None:
    account = Account.create(name="Existing Co")
    lead = make_lead(rep, existing_account=account)
    models.qualify_lead(rep, lead.id)
    event = AuditEvent.for_record("lead", lead.id)[0]
    assert event.action == "qualified"
    assert event.actor_id == rep.id
    assert "Linked account Existing Co" in event.summary
    assert "Created contact Nancy Anderson" in event.summary
    assert "Created opportunity 50 ergonomic chairs" in event.summary


def test_notes_follow_the_lead_into_the_opportunity(db, rep) -> None:
    lead = make_lead(rep)
    first = models.add_note(rep, lead, "Called Nancy")
    with_file = models.add_note(rep, lead, "Quote", attachment=("quote.pdf", b"%PDF-1.7\x00\xff"))
    result = models.qualify_lead(rep, lead.id)
    opp = Opportunity.get_by_id(result.opportunity.id)
    own = models.add_note(rep, opp, "Sent proposal")

    shown = {n.id: n for n in opp.notes_for_display()}
    assert set(shown) == {first.id, with_file.id, own.id}
    assert shown[first.id].is_from_lead_of(opp)
    assert shown[with_file.id].is_from_lead_of(opp)
    assert not shown[own.id].is_from_lead_of(opp)
    assert bytes(shown[with_file.id].attachment_data) == b"%PDF-1.7\x00\xff"

    models.reactivate_lead(rep, lead.id)
    opp = Opportunity.get_by_id(opp.id)
    assert {n.id for n in opp.notes_for_display()} == {first.id, with_file.id, own.id}
    assert {n.id for n in Lead.get_by_id(lead.id).notes_for_display()} == {first.id, with_file.id}
    assert models.attachment_bytes(with_file.id) == ("quote.pdf", b"%PDF-1.7\x00\xff")


def test_qualify_multiple_survives_an_unexpected_error(db, rep, monkeypatch) -> None:
    first = make_lead(
        rep,
        topic="first",
        company="Alpha",
        email="a@alpha.com",
        first_name="Al",
        last_name="Alpha",
        business_phone="+1 206 555 0101",
        website="alpha.com",
    )
    second = make_lead(
        rep,
        topic="second",
        company="Beta",
        email="b@beta.com",
        first_name="Bo",
        last_name="Beta",
        business_phone="+1 206 555 0102",
        website="beta.com",
    )
    real = models.qualify._create_contact

    def buggy(lead, *args, **kwargs):
        if lead.topic == "first":
            raise RuntimeError("a bug, not a rule")
        return real(lead, *args, **kwargs)

    monkeypatch.setattr(models.qualify, "_create_contact", buggy)
    outcomes = models.qualify_leads(rep, [first.id, second.id])
    assert [o.status for o in outcomes] == ["failed", "qualified"]
    assert "a bug, not a rule" in outcomes[0].message
    assert Lead.get_by_id(first.id).is_open
    assert Account.select().where(Account.name == "Alpha").count() == 0
