"""Read models (models/views.py) and the qualify path: what each returns, that it
raises NotFound once the record is gone, and how many queries it takes (a fixed
number, whatever the record holds: `assert_query_count` catches an N+1)."""

from __future__ import annotations

import dataclasses

import pytest
from playhouse.test_utils import assert_query_count, count_queries

import models
from models import NotFound

from ..conftest import make_lead


def queries(call):  # type: ignore[no-untyped-def]
    with count_queries() as counted:
        call()
    return counted.count


def other_lead(actor: models.User, n: int) -> models.Lead:
    """A lead that matches nothing else (own name, email, company, site, phone)."""
    return make_lead(
        actor,
        first_name=f"Una{n}",
        last_name=f"Ique{n}",
        email=f"una{n}@unique{n}.example",
        company=f"Unique {n} Corp",
        website=f"unique{n}.example",
        business_phone=f"+1 206 555 {1000 + n}",
    )


@pytest.fixture
def linked(admin: models.User, rep: models.User) -> dict[str, object]:
    """A lead naming an existing account and contact, with notes and a process whose
    activities two different users checked off; qualified leads behind the account."""
    first = models.qualify_lead(rep, make_lead(rep).id)
    lead = other_lead(rep, 1)
    models.update_lead(
        rep,
        lead.id,
        {"existing_account": first.account.id, "existing_contact": first.contact.id},
    )
    for n in range(4):
        models.add_note(rep if n % 2 else admin, lead, f"note {n}")
    models.add_note(rep, lead, "", ("deck.pdf", b"%PDF" * 500))
    models.seed_demo_process(admin, [lead.id])
    return {"lead": lead, "first": first}


# The lead detail.
def test_lead_detail_shows_the_lead_and_its_links(linked: dict[str, object]) -> None:
    lead = linked["lead"]
    first = linked["first"]
    detail = models.lead_detail(lead.id)  # type: ignore[attr-defined]
    assert dataclasses.is_dataclass(detail) and detail.is_open
    assert detail.full_name == "Una1 Ique1" and detail.values["company"] == "Unique 1 Corp"
    assert detail.values["status_reason"] == "new"
    assert detail.existing_account.id == first.account.id  # type: ignore[attr-defined]
    assert detail.existing_account.label.startswith("Contoso")  # type: ignore[union-attr]
    # The contact's label names its account: read by a join, not one query more.
    assert "Contoso" in detail.existing_contact.label  # type: ignore[union-attr]
    assert detail.account is None and detail.opportunity is None
    assert detail.owner == "Riley Rep"
    assert [n.text for n in detail.notes][:2] == ["", "note 3"]
    assert detail.notes[0].attachment_name == "deck.pdf"
    assert detail.notes[0].attachment_size == 2000
    assert {n.author for n in detail.notes} == {"Ada Admin", "Riley Rep"}
    assert detail.history[0].what.startswith("Checked off") and detail.history[0].who == "Ada Admin"
    assert detail.history[-1].what.startswith("Created")
    assert detail.activities.feature_on
    assert detail.activities.assignment.process_name == "Standard B2B qualification"  # type: ignore[union-attr]
    done = [a for a in detail.activities.activities if a.done]
    assert done and all(a.done_by == "Ada Admin" for a in done)
    assert detail.qualify_filled["existing_account"] and not detail.qualify_filled["summary"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        detail.topic = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        detail.values["topic"] = "changed"  # type: ignore[index]


def test_lead_detail_takes_ten_queries_whatever_the_lead_holds(
    linked: dict[str, object], admin: models.User
) -> None:
    lead = linked["lead"]
    with assert_query_count(10):
        models.lead_detail(lead.id)  # type: ignore[attr-defined]
    for n in range(6):
        models.add_note(admin, lead, f"more {n}")  # type: ignore[arg-type]
    models.update_lead(admin, lead.id, {"summary": "Keen"})  # type: ignore[attr-defined]
    with assert_query_count(10):
        detail = models.lead_detail(lead.id)  # type: ignore[attr-defined]
    assert len(detail.notes) == 11


def test_a_qualified_lead_names_what_qualifying_made(admin: models.User, rep: models.User) -> None:
    lead = make_lead(rep)
    result = models.qualify_lead(admin, lead.id)
    with assert_query_count(8):  # the feature is off: no activities read
        detail = models.lead_detail(lead.id)
    assert not detail.is_open and detail.state == "qualified"
    assert detail.account.label == "Contoso Ltd." and detail.account.id == result.account.id  # type: ignore[union-attr]
    assert detail.contact.label == "Nancy Anderson"  # type: ignore[union-attr]
    assert detail.opportunity.id == result.opportunity.id  # type: ignore[union-attr]
    assert detail.opportunity_stage == "develop"
    assert detail.closed_by == "Ada Admin"
    assert detail.closed_message("add notes to") == models.qualify.closed_message(
        models.get_lead(lead.id), "add notes to"
    )
    assert not detail.activities.feature_on


def test_every_view_raises_not_found_once_the_record_is_gone(
    admin: models.User, rep: models.User
) -> None:
    lead = make_lead(rep)
    models.delete_lead(admin, lead.id)
    with pytest.raises(NotFound, match="no longer exists"):
        models.lead_detail(lead.id)
    result = models.qualify_lead(admin, make_lead(rep).id)
    ids = {
        "account": result.account.id,
        "contact": result.contact.id,
        "opportunity": result.opportunity.id,
    }
    for model in (models.Opportunity, models.Contact, models.Account):
        model.delete().execute()
    for kind, record_id in ids.items():
        with pytest.raises(NotFound, match=f"This {kind} no longer exists"):
            models.record_view(kind, record_id)
    with pytest.raises(NotFound):
        models.process_item("level", 12345)
    with pytest.raises(NotFound):
        models.process_item("activity", 12345)


# Account, contact and opportunity views.
def test_record_views_in_a_fixed_number_of_queries(admin: models.User, rep: models.User) -> None:
    first = models.qualify_lead(rep, make_lead(rep).id)
    account_id, contact_id = first.account.id, first.contact.id
    with assert_query_count(6):
        account = models.account_view(account_id)
    with assert_query_count(5):
        contact = models.contact_view(contact_id)
    with assert_query_count(6):
        opportunity = models.opportunity_view(first.opportunity.id)
    for n in range(4):  # more contacts, opportunities, leads and notes: same counts
        lead = other_lead(rep, n)
        choice = models.QualifyChoice(link_account_id=account_id, link_contact_id=contact_id)
        models.qualify_lead(rep, lead.id, choice)
        models.Contact.create(first_name=f"C{n}", last_name="Extra", account=account_id)
        models.add_note(admin, models.Account.get_by_id(account_id), f"note {n}")
    with assert_query_count(6):
        account = models.account_view(account_id)
    with assert_query_count(5):
        contact = models.contact_view(contact_id)
    assert account.title == "Contoso Ltd." and ("Owner", "Riley Rep") in account.fields
    headings = [heading for heading, _ in account.related]
    assert headings.count("Contacts") == 5 and headings.count("Opportunities") == 5
    assert headings.count("Leads it came from") == 5
    assert all("Contoso" in ref.label for heading, ref in account.related if heading == "Contacts")
    assert len(account.notes) == 4
    assert contact.title == "Nancy Anderson" and ("Account", "Contoso Ltd.") in contact.fields
    heading, ref = contact.related[0]
    assert (heading, ref.kind, ref.id) == ("Account", "account", account_id)
    assert ref.label == "Contoso Ltd. (Redmond, https://www.contoso.com)"
    assert opportunity.stage == "develop"
    assert ("From lead", "Nancy Anderson: 50 ergonomic chairs (Qualified)") in opportunity.fields
    kinds = [ref.kind for _, ref in opportunity.related]
    assert kinds == ["account", "contact", "lead"]


def test_an_opportunity_shows_the_lead_notes_marked(admin: models.User, rep: models.User) -> None:
    lead = make_lead(rep)
    models.add_note(rep, lead, "from the lead")
    result = models.qualify_lead(rep, lead.id)
    models.add_note(admin, result.opportunity, "own")
    view = models.opportunity_view(result.opportunity.id)
    assert [(n.text, n.from_lead) for n in view.notes] == [
        ("own", False),
        ("from the lead", True),
    ]


# Processes.
def test_processes_view_and_items(admin: models.User, rep: models.User) -> None:
    with assert_query_count(1):  # the feature is off: the settings only
        off = models.processes_view(admin)
    assert not off.feature_on and not off.editable and off.processes == ()
    process = models.seed_demo_process(admin, [])
    other = models.create_process(admin, "Another", "")
    with assert_query_count(9):
        view = models.processes_view(admin, process.id)
    assert view.editable and view.process_id == process.id
    assert view.process.name == "Standard B2B qualification"  # type: ignore[union-attr]
    assert [r.kind for r in view.tree][:2] == ["level", "activity"]
    assert not models.processes_view(rep, process.id).editable
    models.delete_process(admin, other.id)
    fallback = models.processes_view(admin, other.id)  # gone: the first one instead
    assert fallback.process_id == process.id
    level = view.tree[0]
    assert models.process_item("level", level.id).name == level.name
    activity = next(r for r in view.tree if r.kind == "activity")
    item = models.process_item("activity", activity.id)
    assert (item.name, item.level_id) == (activity.name, activity.level_id)


# The N+1s that were: the contact lookup and duplicate matches.
def test_contact_lookup_reads_accounts_by_join(rep: models.User) -> None:
    account = models.Account.create(name="Contoso")
    for n in range(20):
        models.Contact.create(first_name="Nancy", last_name=f"N{n:02d}", account=account)
    with assert_query_count(1):
        contacts = models.search_contacts("nancy")
    assert len(contacts) == 20
    with assert_query_count(0):
        labels = [models.contact_label(c) for c in contacts]
    assert all(label.endswith("(Contoso)") for label in labels)


def test_duplicate_matches_read_accounts_by_join(admin: models.User, rep: models.User) -> None:
    lead = make_lead(rep)
    account = models.Account.create(name="Contoso")
    for n in range(12):
        models.Contact.create(
            first_name="Nancy", last_name="Anderson", email=f"n{n}@x.example", account=account
        )
    settings = models.load_settings()
    # The settings given: the account rules, the contact rules, each of their
    # records, and the other leads with the same email.
    with assert_query_count(5):
        matches = models.find_duplicates(lead, settings)
    assert len(matches.contacts) == 12
    assert all("Contoso" in m.details for m in matches.contacts)


# The qualify path.
def test_qualifying_takes_a_fixed_number_of_queries(admin: models.User, rep: models.User) -> None:
    lead = make_lead(rep)
    for n in range(5):
        models.add_note(rep, lead, f"note {n}")  # notes are carried by reference: no copies
    base = queries(lambda: models.qualify_lead(rep, lead.id))
    second = other_lead(rep, 2)
    with assert_query_count(base):
        models.qualify_lead(rep, second.id)
    leads = [other_lead(rep, n).id for n in range(10, 14)]
    counted = queries(lambda: models.qualify_leads(rep, leads))
    assert counted == 4 * base  # each lead its own transaction, the same statements


def test_qualifying_into_duplicates_stops_in_a_fixed_number_of_queries(
    rep: models.User,
) -> None:
    models.qualify_lead(rep, make_lead(rep).id)
    first = make_lead(rep)
    with count_queries() as counted, pytest.raises(models.DuplicatesFound):
        models.qualify_lead(rep, first.id)
    base = counted.count
    account = models.Account.get()
    for n in range(8):
        models.Contact.create(
            first_name="Nancy", last_name="Anderson", email=f"n{n}@x.example", account=account
        )
    again = make_lead(rep)
    with assert_query_count(base), pytest.raises(models.DuplicatesFound) as found:
        models.qualify_lead(rep, again.id)
    assert len(found.value.matches.contacts) == 9
