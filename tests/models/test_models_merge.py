"""Merging duplicate leads, accounts and contacts, on both backends."""

from __future__ import annotations

import io

import pytest

import models
from models import importing
from models.entities import AuditEvent, Lead, Note

from ..conftest import make_lead


def test_merge_leads_fields_notes_history_and_closing(db, admin) -> None:
    master = make_lead(admin, city="", job_title="Buyer", email="nancy@contoso.com")
    second = make_lead(admin, city="Seattle", job_title="CFO", email="n.anderson@contoso.com")
    third = make_lead(admin, email="nancy@contoso.com", mobile_phone="")
    models.add_note(admin, second, "met at the fair", attachment=("card.txt", b"vcard"))
    models.update_lead(admin, third.id, {"summary": "from the third"})
    shown = models.merge_fields(admin, "lead", [master.id, second.id, third.id])
    fields = {f.name: f for f in shown}
    assert fields["city"].default == second.id and fields["city"].differs
    assert fields["job_title"].default == master.id

    merged = models.merge_leads(
        admin, master.id, [second.id, third.id], {"job_title": second.id, "summary": third.id}
    )
    assert (merged.city, merged.job_title, merged.summary) == ("Seattle", "CFO", "from the third")
    assert merged.email == "nancy@contoso.com" and merged.is_open
    note = Note.get(Note.text == "met at the fair")
    assert note.lead_id == master.id and note.attachment_data == b"vcard"
    for other in (second, third):
        closed = models.get_lead(other.id)
        assert (closed.state, closed.status_reason, closed.merged_into_id) == (
            "disqualified",
            "merged",
            master.id,
        )
        assert closed.email_key is None  # matches nothing any more
        events = AuditEvent.for_record("lead", other.id)
        assert [e.summary for e in events] == [f"Merged into lead #{master.id} {merged.full_name}"]
    summaries = [e.summary for e in AuditEvent.for_record("lead", master.id)]
    assert summaries[0].startswith(f"Merged lead #{second.id}")
    assert "Changed Summary" in summaries  # the third lead's history moved to the master
    assert models.leads_with_duplicates([master.id]) == set()


def test_merge_refusals_change_nothing(db, admin, rep) -> None:
    master = make_lead(admin)
    other = make_lead(admin, email="x@y.com")
    qualified = make_lead(admin, email="q@y.com", company="Q")
    models.qualify_lead(admin, qualified.id, models.QualifyChoice(ignore_duplicates=True))
    with pytest.raises(models.MergeRefused, match="only open leads can be, as in Dynamics 365"):
        models.merge_leads(admin, master.id, [qualified.id])
    with pytest.raises(models.MergeRefused, match="only open leads"):
        models.merge_leads(admin, qualified.id, [master.id])
    with pytest.raises(models.MergeRefused, match="with itself"):
        models.merge_leads(admin, master.id, [master.id])
    with pytest.raises(models.MergeRefused, match="two to 5"):
        models.merge_leads(admin, master.id, [])
    with pytest.raises(
        models.PermissionDenied, match=r"merge the lead #\d+ into another: it belongs to Ada Admin"
    ):
        models.merge_leads(rep, master.id, [other.id])
    with pytest.raises(models.ValidationError, match="not one of those being merged"):
        models.merge_leads(admin, master.id, [other.id], {"city": qualified.id})
    with pytest.raises(models.NotFound):
        models.merge_leads(admin, master.id, [999])
    assert models.get_lead(other.id).is_open and models.get_lead(master.id).merged_into_id is None
    models.reactivate_lead(admin, qualified.id)  # open again, but an opportunity came from it
    with pytest.raises(models.MergeRefused, match="opportunity came from it"):
        models.merge_leads(admin, master.id, [qualified.id])


def test_merge_accounts_repoints_contacts_opportunities_leads_and_notes(db, admin) -> None:
    lead = make_lead(admin)
    result = models.qualify_lead(admin, lead.id)
    duplicate = models.Account.create(name="Contoso", phone="", website="contoso.com", city="X")
    other_contact = models.Contact.create(last_name="Lee", account=duplicate)
    models.add_note(admin, duplicate, "account note")
    waiting = make_lead(admin, email="w@contoso.com")
    models.update_lead(admin, waiting.id, {"existing_account": duplicate.id})
    master = models.merge_accounts(admin, result.account.id, duplicate.id, {"city": duplicate.id})
    assert master.city == "X" and master.name == "Contoso Ltd."
    assert models.Contact.get_by_id(other_contact.id).account_id == master.id
    assert Note.get(Note.text == "account note").account_id == master.id
    assert models.get_lead(waiting.id).existing_account_id == master.id
    gone = models.Account.get_by_id(duplicate.id)
    assert gone.merged_into_id == master.id and gone.name_key is None
    assert duplicate.id not in [a.id for a in models.search_accounts("")]
    with pytest.raises(models.MergeRefused, match="already merged"):
        models.merge_accounts(admin, master.id, duplicate.id)


def test_merge_contacts(db, admin) -> None:
    lead = make_lead(admin)
    result = models.qualify_lead(admin, lead.id)
    twin = models.Contact.create(first_name="Nancy", last_name="Anderson", email="", job_title="")
    models.add_note(admin, twin, "twin note")
    master = models.merge_contacts(admin, twin.id, result.contact.id)
    assert master.email == "nancy@contoso.com"  # blank on the master: taken from the other
    assert master.account_id == result.account.id
    assert models.Opportunity.get_by_id(result.opportunity.id).contact_id == master.id
    assert models.get_lead(lead.id).contact_id == master.id
    assert models.Contact.get_by_id(result.contact.id).merged_into_id == master.id


def test_undo_of_an_import_keeps_a_lead_others_were_merged_into(db, admin) -> None:
    data = b"Topic,Last Name,Email\nT,Doe,doe@x.com\n"
    summary = importing.import_leads(admin, io.BytesIO(data), "a.csv")
    imported = Lead.get(Lead.email == "doe@x.com")
    other = make_lead(admin)
    models.add_note(admin, other, "keep me")
    models.merge_leads(admin, imported.id, [other.id])
    result = importing.undo_import(admin, summary.batch_id)
    assert result.removed == 0
    assert [k.why for k in result.kept] == ["other leads were merged into it"]
    assert Note.get(Note.text == "keep me").lead_id == imported.id
