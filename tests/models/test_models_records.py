"""Accounts, contacts and opportunities a rep creates, edits, closes and deletes;
owners and bulk edits; the one "can this user do this" answer; re-qualifying.
Every test runs on SQLite and PostgreSQL (the `db` fixture)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import models
from models import (
    Account,
    AuditEvent,
    Contact,
    DeleteRefused,
    Lead,
    Note,
    Opportunity,
    OpportunityClosed,
    PermissionDenied,
    QualifyChoice,
    Role,
    ValidationError,
)
from models.listing import lead_query, lead_rows

from ..conftest import make_lead


@pytest.fixture
def manager(db: object) -> models.User:
    return models.create_user("morgan", "Morgan Manager", Role.SALES_MANAGER)


@pytest.fixture
def other_rep(db: object) -> models.User:
    return models.create_user("sam", "Sam Rep", Role.SALESPERSON)


def events(kind: str, record_id: int) -> list[AuditEvent]:
    return list(
        AuditEvent.select()
        .where((AuditEvent.entity_type == kind) & (AuditEvent.entity_id == record_id))
        .order_by(AuditEvent.id)
    )


# --- accounts and contacts ---------------------------------------------------------


def test_create_account_computes_keys_and_audits(db, rep) -> None:
    account = models.create_account(
        rep,
        name="Margie's Travel, Inc.",
        website="https://www.margiestravel.com/x",
        phone="+1 206 555 0100",
    )
    fresh = Account.get_by_id(account.id)
    assert fresh.owner_id == rep.id
    assert fresh.name_key == "margies travel"
    assert fresh.domain_key == "margiestravel.com"
    assert fresh.phone_key == "+12065550100"
    assert fresh.name_sort == "margies travel inc"
    assert [e.action for e in events("account", account.id)] == ["created"]


def test_margies_travel_matches_margie_s_travel(db, rep) -> None:
    models.create_account(rep, name="Margie's Travel")
    matches = models.record_duplicates("account", {"name": "Margies Travel"})
    assert [m.title for m in matches.accounts] == ["Margie's Travel"]
    assert matches.accounts[0].rules == ("same account name",)
    lead = make_lead(rep, company="Margies Travel", website="", business_phone="")
    found = models.find_duplicates(lead)
    assert [m.title for m in found.accounts] == ["Margie's Travel"]


def test_create_account_refuses_duplicates_unless_ignored(db, rep) -> None:
    models.create_account(rep, name="Contoso Ltd")
    with pytest.raises(models.DuplicatesFound) as caught:
        models.create_account(rep, name="CONTOSO")
    assert [m.title for m in caught.value.matches.accounts] == ["Contoso Ltd"]
    assert Account.select().count() == 1
    models.create_account(rep, name="CONTOSO", ignore_duplicates=True)
    assert Account.select().count() == 2


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "A", "website": "not a site"}, "website"),
        ({"name": "A", "phone": "12"}, "phone"),
        ({"name": "A" * 161}, "name"),
        ({"name": "A", "colour": "red"}, "colour"),
        ({"name": "A\x00"}, "name"),
    ],
)
def test_account_validation(db, rep, values, field) -> None:
    with pytest.raises(ValidationError) as caught:
        models.create_account(rep, **values)
    assert field in caught.value.errors
    assert Account.select().count() == 0


def test_edit_account_recomputes_keys_and_audits_the_fields(db, rep) -> None:
    account = models.create_account(rep, name="Fabrikam", website="fabrikam.com")
    models.update_account(rep, account.id, {"name": "Fabrikam, Inc.", "website": "www.fab.example"})
    fresh = Account.get_by_id(account.id)
    assert (fresh.name_key, fresh.domain_key) == ("fabrikam", "fab.example")
    assert events("account", account.id)[-1].summary == "Changed Account name, Website"
    # Saving the same values changes nothing and records nothing.
    models.update_account(rep, account.id, {"name": "Fabrikam, Inc."})
    assert len(events("account", account.id)) == 2


def test_salesperson_edits_only_what_they_own(db, rep, other_rep, manager, admin) -> None:
    account = models.create_account(rep, name="Fabrikam")
    decision = models.can(other_rep, "edit", account)
    assert not decision and "belongs to Riley Rep" in decision.reason
    with pytest.raises(PermissionDenied) as caught:
        models.update_account(other_rep, account.id, {"name": "Stolen"})
    assert str(caught.value) == decision.reason  # the same rule, the same sentence
    for boss in (manager, admin):
        models.update_account(boss, account.id, {"phone": "+1 425 555 0100"})
    assert Account.get_by_id(account.id).name == "Fabrikam"


def test_contact_belongs_to_an_account_picked_by_id(db, rep) -> None:
    account = models.create_account(rep, name="Fabrikam")
    contact = models.create_contact(
        rep,
        first_name="JANET",
        last_name="Leverling",
        email="Janet@Fabrikam.com",
        account=account.id,
    )
    fresh = Contact.get_by_id(contact.id)
    assert fresh.account_id == account.id
    assert (fresh.email_key, fresh.person_key, fresh.name_sort) == (
        "janet@fabrikam.com",
        "janet leverling",
        "leverling janet",
    )
    with pytest.raises(ValidationError) as caught:
        models.update_contact(rep, contact.id, {"account": 999_999})
    assert "no longer exists" in caught.value.errors["account"]
    models.update_contact(rep, contact.id, {"account": None})
    assert Contact.get_by_id(contact.id).account_id is None


def test_contact_duplicates_by_email(db, rep) -> None:
    models.create_contact(rep, first_name="Nancy", last_name="Davolio", email="nancy@x.example")
    with pytest.raises(models.DuplicatesFound) as caught:
        models.create_contact(rep, last_name="Someone", email="NANCY@x.example")
    assert caught.value.matches.contacts[0].rules == ("same email",)


# --- delete rules -------------------------------------------------------------------


def qualified(rep: models.User, **overrides: object) -> models.QualifyResult:
    return models.qualify_lead(rep, make_lead(rep, **overrides).id)


def test_account_with_an_open_opportunity_cannot_be_deleted(db, rep, admin) -> None:
    result = qualified(rep)
    for actor in (rep, admin):
        decision = models.can(actor, "delete", result.account)
        assert not decision and isinstance(decision.error, DeleteRefused)
        with pytest.raises(DeleteRefused, match="open opportunities"):
            models.delete_account(actor, result.account.id)
    assert Account.select().count() == 1


def test_account_delete_cascades_as_dynamics_does(db, rep) -> None:
    lead = make_lead(rep)
    models.add_note(rep, lead, "lead note")
    result = models.qualify_lead(rep, lead.id)
    models.close_opportunity_lost(rep, result.opportunity.id, "canceled")
    models.add_note(rep, result.account, "account note")
    models.add_note(rep, result.contact, "contact note")
    impact = models.delete_impact("account", result.account.id)
    assert (impact.contacts, impact.opportunities, impact.notes) == (1, 1, 2)
    assert impact.sentence() == "With it: 1 contact, 1 closed opportunity, 2 notes."
    models.delete_account(rep, result.account.id)
    assert Account.select().count() == Contact.select().count() == 0
    assert Opportunity.select().count() == 0
    lead = Lead.get_by_id(result.lead_id)
    assert lead.account_id is None and lead.notes_for_display()  # the lead keeps its notes
    assert events("account", result.account.id)[-1].action == "deleted"


def test_contact_delete_removes_link_on_opportunities_with_an_account(db, rep) -> None:
    result = qualified(rep)
    with pytest.raises(DeleteRefused, match="customer of open opportunities"):
        models.delete_contact(rep, result.contact.id)
    models.close_opportunity_won(rep, result.opportunity.id, "1000")
    models.delete_contact(rep, result.contact.id)
    kept = Opportunity.get_by_id(result.opportunity.id)
    assert kept.contact_id is None and kept.account_id == result.account.id


def test_salesperson_cannot_delete_another_reps_account(db, rep, other_rep) -> None:
    account = models.create_account(rep, name="Fabrikam")
    with pytest.raises(PermissionDenied):
        models.delete_account(other_rep, account.id)
    models.delete_account(rep, account.id)
    assert Account.select().count() == 0


def test_deleting_the_opportunity_frees_its_lead(db, rep) -> None:
    result = qualified(rep)
    models.add_note(rep, result.opportunity, "opp note")
    models.delete_opportunity(rep, result.opportunity.id)
    assert Note.select().where(Note.opportunity.is_null(False)).count() == 0
    models.delete_lead(rep, result.lead_id)  # no opportunity came from it any more
    assert Lead.select().count() == 0


# --- opportunities ------------------------------------------------------------------


def test_create_and_edit_an_opportunity(db, rep) -> None:
    account = models.create_account(rep, name="Fabrikam")
    opp = models.create_opportunity(
        rep, topic="Fleet renewal", account=account.id, estimated_value="12,500.50",
        estimated_close_date="2026-12-31",
    )  # fmt: skip
    fresh = Opportunity.get_by_id(opp.id)
    assert fresh.estimated_value == Decimal("12500.50")
    assert fresh.estimated_close_date == dt.date(2026, 12, 31)
    assert fresh.state == "open" and fresh.stage == "develop"
    assert models.money(fresh.estimated_value) == "12,500.50"
    models.update_opportunity(rep, opp.id, {"estimated_value": "13000", "customer_need": "Cars"})
    fresh = Opportunity.get_by_id(opp.id)
    assert fresh.estimated_value == Decimal("13000.00")
    assert fresh.stage_filled()["customer_need"] is True
    assert events("opportunity", opp.id)[-1].summary == "Changed Estimated value, Customer need"
    with pytest.raises(ValidationError) as caught:
        models.update_opportunity(
            rep, opp.id, {"estimated_value": "-1", "estimated_close_date": "soon"}
        )
    assert set(caught.value.errors) == {"estimated_value", "estimated_close_date"}


def test_close_as_won_is_read_only_until_reopened(db, rep) -> None:
    opp = qualified(rep).opportunity
    with pytest.raises(ValidationError, match="Actual revenue is required"):
        models.close_opportunity_won(rep, opp.id, "")
    won = models.close_opportunity_won(rep, opp.id, "9,999.99", "2026-11-30")
    assert (won.state, won.status_reason, won.stage) == ("won", "won", "close")
    assert won.actual_revenue == Decimal("9999.99")
    assert won.actual_close_date == dt.date(2026, 11, 30)
    assert won.closed_by_id == rep.id
    for action in ("edit", "move_stage", "close_won", "close_lost"):
        decision = models.can(rep, action, won)
        assert isinstance(decision.error, OpportunityClosed)
        assert "was won by Riley Rep on 2026-11-30" in decision.reason
    with pytest.raises(OpportunityClosed):
        models.update_opportunity(rep, opp.id, {"topic": "Changed"})
    with pytest.raises(OpportunityClosed):
        models.move_opportunity_stage(rep, opp.id, -1)
    with pytest.raises(OpportunityClosed):
        models.close_opportunity_lost(rep, opp.id, "canceled")
    reopened = models.reopen_opportunity(rep, opp.id)
    assert (reopened.state, reopened.status_reason, reopened.actual_revenue) == (
        "open",
        "in_progress",
        None,
    )
    summaries = [e.summary for e in events("opportunity", opp.id)]
    assert "Closed as won: actual revenue 9,999.99, 2026-11-30" in summaries
    assert summaries[-1] == "Reopened (was won)"


@pytest.mark.parametrize("reason", ["canceled", "out_sold"])
def test_close_as_lost_with_reason_and_competitor(db, rep, reason) -> None:
    opp = qualified(rep).opportunity
    lost = models.close_opportunity_lost(rep, opp.id, reason, competitor="Northwind")
    assert (lost.state, lost.status_reason, lost.competitor) == ("lost", reason, "Northwind")
    assert lost.actual_close_date == dt.datetime.now(dt.UTC).date()
    assert "competitor Northwind" in events("opportunity", opp.id)[-1].summary


@pytest.mark.parametrize("reason", ["", "won", "lost", "bored"])
def test_close_as_lost_needs_a_real_reason(db, rep, reason) -> None:
    opp = qualified(rep).opportunity
    with pytest.raises(ValidationError, match="Canceled, Out-sold"):
        models.close_opportunity_lost(rep, opp.id, reason)
    assert Opportunity.get_by_id(opp.id).is_open


def test_closing_another_reps_opportunity_is_refused(db, rep, other_rep, manager) -> None:
    opp = qualified(rep).opportunity
    with pytest.raises(PermissionDenied):
        models.close_opportunity_won(other_rep, opp.id, "10")
    models.close_opportunity_won(manager, opp.id, "10")
    with pytest.raises(PermissionDenied):
        models.reopen_opportunity(other_rep, opp.id)


def test_stage_steps_and_pipeline(db, rep, other_rep) -> None:
    first = qualified(rep, estimated_budget="100").opportunity
    unique = {"website": "", "business_phone": "", "first_name": ""}
    second = qualified(rep, email="b@b.example", company="B", estimated_budget="50", **unique)
    second = second.opportunity
    qualified(other_rep, email="c@c.example", company="C", estimated_budget="7", **unique)
    models.move_opportunity_stage(rep, second.id, 1)
    models.set_opportunity_step(rep, first.id, "identify_stakeholders", True)
    assert Opportunity.get_by_id(first.id).stage_filled()["identify_stakeholders"]
    with pytest.raises(ValidationError):
        models.set_opportunity_step(rep, first.id, "customer_need", True)  # a text step
    figures = {f.stage.value: (f.count, f.value) for f in models.pipeline()}
    assert figures == {
        "develop": (2, Decimal("107.00")),
        "propose": (1, Decimal("50.00")),
        "close": (0, Decimal("0.00")),
    }
    mine = {f.stage.value: f.count for f in models.pipeline(rep)}
    assert mine == {"develop": 1, "propose": 1, "close": 0}
    models.close_opportunity_lost(rep, first.id, "out_sold")
    assert models.pipeline()[0].count == 1  # closed ones leave the pipeline


def test_opportunity_history_says_it_came_from_the_lead(db, rep) -> None:
    result = qualified(rep)
    (event,) = events("opportunity", result.opportunity.id)
    assert event.summary == "Created from lead Nancy Anderson"


def test_stage_bar_contact_step_is_filled_after_qualifying_with_a_contact(db, rep, admin) -> None:
    models.change_setting(admin, "auto_create_on_qualify", False)
    lead = make_lead(rep)
    models.qualify_lead(
        rep,
        lead.id,
        QualifyChoice(create_account=False, create_contact=True, create_opportunity=False),
    )
    filled = Lead.get_by_id(lead.id).qualify_stage_filled()
    assert filled["existing_contact"] is True and filled["existing_account"] is False


# --- owners and bulk edits ------------------------------------------------------------


def test_assign_owner_one_or_many_audited(db, rep, other_rep, manager) -> None:
    leads = [make_lead(rep, email=f"l{i}@x.example").id for i in range(3)]
    foreign = make_lead(other_rep, email="f@x.example").id
    outcomes = models.assign_owner(rep, "lead", [*leads, foreign], other_rep.id)
    assert [o.done for o in outcomes] == [True, True, True, False]
    assert "belongs to Sam Rep" in outcomes[-1].message
    assert {Lead.get_by_id(i).owner_id for i in leads} == {other_rep.id}
    assert events("lead", leads[0])[-1].summary == "Owner Riley Rep -> Sam Rep"
    # "My" views follow the owner.
    mine = lead_rows(lead_query("mine", other_rep), 0, 10)
    assert {row["id"] for row in mine} == {*leads, foreign}
    account = models.create_account(rep, name="Fabrikam")
    (outcome,) = models.assign_owner(manager, "account", [account.id], rep.id)
    assert outcome.message == "Already owned by Riley Rep"
    with pytest.raises(ValidationError):
        models.assign_owner(rep, "lead", leads, 999_999)


def test_bulk_edit_rating_source_status_reason(db, rep, admin) -> None:
    open_ids = [make_lead(rep, email=f"l{i}@x.example").id for i in range(2)]
    closed = make_lead(rep, email="q@x.example").id
    models.disqualify_lead(rep, closed, "lost")
    outcomes = models.bulk_update_leads(
        rep,
        [*open_ids, closed],
        {"rating": "hot", "lead_source": "web", "status_reason": "contacted"},
    )
    assert [o.done for o in outcomes] == [True, True, False]
    assert "reactivate it" in outcomes[-1].message
    for lead_id in open_ids:
        lead = Lead.get_by_id(lead_id)
        assert (lead.rating, lead.lead_source, lead.status_reason) == ("hot", "web", "contacted")
    with pytest.raises(ValidationError):
        models.bulk_update_leads(rep, open_ids, {"status_reason": "qualified"})
    with pytest.raises(ValidationError):
        models.bulk_update_leads(rep, open_ids, {"topic": "x"})


# --- the one answer -------------------------------------------------------------------


def test_can_answers_what_the_services_enforce(db, rep, other_rep) -> None:
    lead = make_lead(rep)
    models.qualify_lead(rep, lead.id)
    lead = Lead.get_by_id(lead.id)
    answers = models.decisions(other_rep, lead)
    assert set(answers) == set(models.ACTIONS[Lead])
    assert not answers["disqualify"] and "was qualified" in answers["disqualify"].reason
    assert not answers["delete"] and isinstance(answers["delete"].error, PermissionDenied)
    assert answers["reactivate"]
    with pytest.raises(models.LeadClosed) as caught:
        models.disqualify_lead(other_rep, lead.id, "lost")
    assert str(caught.value) == answers["disqualify"].reason


def test_qualify_refused_before_asking_with_open_required_activities(db, rep, admin) -> None:
    process = models.seed_demo_process(admin)
    lead = make_lead(rep)
    models.assign_process(admin, lead.id, process.id)
    decision = models.can(rep, "qualify", lead)
    assert isinstance(decision.error, models.ExitCriteriaNotMet)
    with pytest.raises(models.ExitCriteriaNotMet) as caught:
        models.qualify_lead(rep, lead.id)
    assert str(caught.value) == decision.reason


def test_qualify_closed_lead_with_auto_create_off_says_closed(db, rep, admin) -> None:
    lead = make_lead(rep)
    models.qualify_lead(rep, lead.id)
    models.change_setting(admin, "auto_create_on_qualify", False)
    with pytest.raises(models.LeadClosed):
        models.qualify_lead(rep, lead.id)


def test_remove_process_from_a_lead(db, rep, admin) -> None:
    process = models.seed_demo_process(admin)
    lead = make_lead(rep)
    assert not models.can(rep, "remove_process", lead)
    models.assign_process(admin, lead.id, process.id)
    models.remove_process(rep, lead.id)
    assert models.lead_process(lead.id) is None and models.lead_activities(lead.id) == []
    assert events("lead", lead.id)[-1].action == "process_removed"
    models.assign_process(admin, lead.id, process.id)
    models.check_off_activity(rep, models.lead_activities(lead.id)[0].id)
    with pytest.raises(models.ProcessRefused, match="reopen them"):
        models.remove_process(rep, lead.id)


# --- re-qualifying ----------------------------------------------------------------------


@pytest.mark.parametrize("close_first", [False, True])
def test_requalify_links_what_it_produced_before(db, rep, close_first) -> None:
    first = qualified(rep)
    if close_first:
        models.close_opportunity_lost(rep, first.opportunity.id, "canceled")
    models.reactivate_lead(rep, first.lead_id)
    previous = models.previous_records(first.lead_id)
    assert (previous.account.id, previous.contact.id, previous.opportunity.id) == (
        first.account.id,
        first.contact.id,
        first.opportunity.id,
    )
    again = models.qualify_lead(
        rep,
        first.lead_id,
        QualifyChoice(
            link_account_id=previous.account.id,
            link_contact_id=previous.contact.id,
            reuse_opportunity_id=previous.opportunity.id,
        ),
    )
    assert not again.account_created and not again.contact_created
    assert again.opportunity.id == first.opportunity.id and again.opportunity.is_open
    assert "Linked opportunity 50 ergonomic chairs" in again.lines()
    assert Account.select().count() == Contact.select().count() == Opportunity.select().count() == 1
    verb = "Reopened" if close_first else "Linked again"
    assert events("opportunity", first.opportunity.id)[-1].summary.startswith(verb)


def test_requalify_with_a_new_opportunity(db, rep) -> None:
    first = qualified(rep)
    models.reactivate_lead(rep, first.lead_id)
    previous = models.previous_records(first.lead_id)
    again = models.qualify_lead(
        rep,
        first.lead_id,
        QualifyChoice(link_account_id=previous.account.id, link_contact_id=previous.contact.id),
    )
    assert again.opportunity.id != first.opportunity.id
    assert Opportunity.select().count() == 2 and Account.select().count() == 1


# --- new leads ------------------------------------------------------------------------


def test_new_lead_duplicates_open_leads_accounts_contacts(db, rep) -> None:
    make_lead(rep, email="pat@x.example")
    models.create_account(rep, name="Contoso")
    with pytest.raises(models.LeadDuplicatesFound) as caught:
        models.create_lead_checked(
            rep, topic="t", last_name="Keller", email="PAT@x.example", company="Contoso Ltd"
        )
    matches = caught.value.matches
    assert len(matches.leads) == 1 and [a.title for a in matches.accounts] == ["Contoso"]
    assert "may already exist" in str(caught.value)
    assert Lead.select().count() == 1
    created = models.create_lead_checked(
        rep, ignore_duplicates=True, topic="t", last_name="Keller", email="pat@x.example"
    )
    assert created.owner_id == rep.id and Lead.select().count() == 2


def test_new_lead_validation_comes_before_duplicates(db, rep) -> None:
    with pytest.raises(ValidationError) as caught:
        models.create_lead_checked(rep, topic="", last_name="", email="bad")
    assert set(caught.value.errors) == {"topic", "last_name", "email"}


def test_new_lead_gets_the_default_process(db, rep, admin) -> None:
    process = models.seed_demo_process(admin)
    models.set_default_process(admin, process.id)
    lead = models.create_lead_checked(rep, topic="t", last_name="New")
    assert models.lead_process(lead.id).process_id == process.id


# --- name sort ----------------------------------------------------------------------


def test_name_sort_ignores_case_and_accents(db, rep) -> None:
    for first, last in [
        ("JANET", "leverling"),
        ("Ann", "Zimmerman"),
        ("Émile", "Éclair"),
        ("b", "ADAMS"),
    ]:
        make_lead(rep, first_name=first, last_name=last, email="")
    rows = lead_rows(lead_query("all", rep, sort="name", descending=False), 0, 10, sort="name",
                     descending=False)  # fmt: skip
    assert [row["last_name"] for row in rows] == ["ADAMS", "Éclair", "leverling", "Zimmerman"]


def test_migration_recomputes_stored_keys(db, rep) -> None:
    """0004 rewrites keys stored by the old rule (punctuation as a space)."""
    import importlib

    lead = make_lead(rep, company="Margie's Travel", first_name="Pat", last_name="O'Brien")
    account = models.create_account(rep, name="Margie's Travel", ignore_duplicates=True)
    Lead.update(company_key="margie s travel", person_key="pat o brien", name_sort="").where(
        Lead.id == lead.id
    ).execute()
    Account.update(name_key="margie s travel", name_sort="").where(
        Account.id == account.id
    ).execute()
    migration = importlib.import_module("models.migrations.0004_crm_records")
    with db.atomic():
        migration._recompute_keys(db)
    fresh = Lead.get_by_id(lead.id)
    assert (fresh.company_key, fresh.person_key, fresh.name_sort) == (
        "margies travel",
        "pat obrien",
        "obrien pat",
    )
    assert Account.get_by_id(account.id).name_key == "margies travel"


def test_every_model_column_exists_after_migrations(db) -> None:
    for model in models.entities.ALL_MODELS:
        columns = {c.name for c in db.get_columns(model._meta.table_name)}
        assert {f.column_name for f in model._meta.sorted_fields} <= columns, model
