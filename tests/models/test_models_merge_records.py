"""Merging accounts and contacts: Dynamics 365's refusals, a merged record being
read-only, and other sessions at the same moment (see racing.py); both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import models
import models.merge
import models.qualify
from models import Account, AuditEvent, Contact, Lead, Note, Opportunity

from ..conftest import make_lead
from .racing import Race
from .test_models_locking import pause_after


@pytest.fixture
def race(db) -> Iterator[Race]:
    race = Race()
    yield race
    race.close()


def account(actor: models.User, name: str, **values: object) -> Account:
    return models.create_account(actor, ignore_duplicates=True, name=name, **values)


def contact(actor: models.User, last: str, **values: object) -> Contact:
    return models.create_contact(actor, ignore_duplicates=True, last_name=last, **values)


def unchanged(*records: Account | Contact) -> None:
    for item in records:
        fresh = type(item).get_by_id(item.id)
        assert fresh.merged_into_id is None
        assert fresh.modified_at == item.modified_at


def test_merging_needs_write_access_to_both_records(db, admin, rep) -> None:
    manager = models.create_user("mo", "Mo Manager", models.Role.SALES_MANAGER)
    mine = account(rep, "Contoso")
    theirs = account(admin, "Contoso Ltd")
    with pytest.raises(
        models.PermissionDenied,
        match=r"merge the account #\d+ into another: it belongs to Ada Admin",
    ):
        models.merge_accounts(rep, mine.id, theirs.id)  # theirs would be closed
    into = r"merge into the account #\d+: it belongs to Ada Admin"
    with pytest.raises(models.PermissionDenied, match=into):
        models.merge_accounts(rep, theirs.id, mine.id)  # theirs would be edited
    with pytest.raises(models.PermissionDenied, match=into):
        models.merge_fields(rep, "account", [theirs.id, mine.id])  # said before asking
    unchanged(mine, theirs)
    merged = models.merge_accounts(manager, mine.id, theirs.id)
    assert merged.id == mine.id and Account.get_by_id(theirs.id).merged_into_id == mine.id


def test_taking_the_others_owner_is_a_reassignment(db, admin, rep) -> None:
    """A rep may merge their lead into any open lead (the team's queue), but giving
    it their own ownership reassigns the master, which only its owner may do."""
    master = make_lead(admin, email="a@x.com")
    theirs = make_lead(rep, email="b@x.com", owner=rep)
    with pytest.raises(models.PermissionDenied, match="this lead belongs to Ada Admin"):
        models.merge_leads(rep, master.id, [theirs.id], {"owner": theirs.id})
    assert models.get_lead(theirs.id).is_open
    merged = models.merge_leads(rep, master.id, [theirs.id])
    assert merged.owner_id == admin.id


def test_one_record_two_records_and_closed_ones_are_refused(db, admin) -> None:
    one = account(admin, "Litware")
    two = account(admin, "Litware Inc")
    with pytest.raises(models.MergeRefused, match="cannot be merged into itself"):
        models.merge_accounts(admin, one.id, one.id)
    with pytest.raises(models.MergeRefused, match="with itself"):
        models.merge_fields(None, "account", [one.id, one.id])
    with pytest.raises(models.MergeRefused, match="two accounts at a time"):
        models.merge_fields(None, "account", [one.id])
    with pytest.raises(models.NotFound, match="no longer exists"):
        models.merge_accounts(admin, one.id, 99999)
    models.merge_accounts(admin, one.id, two.id)
    third = account(admin, "Litware LLC")
    for ids in ([third.id, two.id], [two.id, third.id]):
        with pytest.raises(models.MergeRefused, match="already merged into #"):
            models.merge_fields(None, "account", ids)
        with pytest.raises(models.MergeRefused, match="only active records"):
            models.merge_accounts(admin, *ids)
    unchanged(third)


def test_contacts_of_different_accounts_wait_for_the_parent_check_off(db, admin) -> None:
    contoso, fabrikam = account(admin, "Contoso"), account(admin, "Fabrikam")
    nancy = contact(admin, "Anderson", first_name="Nancy", account=contoso.id)
    twin = contact(admin, "Anderson", first_name="Nancy", account=fabrikam.id, email="n@f.com")
    deal = models.create_opportunity(admin, topic="Desks", account=fabrikam.id, contact=twin.id)
    fields = models.merge_fields(None, "contact", [nancy.id, twin.id])
    assert models.parents_differ("contact", fields)
    (shown,) = [f for f in fields if f.name == "account"]
    assert shown.texts == (f"#{contoso.id} Contoso", f"#{fabrikam.id} Fabrikam")
    with pytest.raises(models.MergeRefused, match=r"different accounts .*parent check is on"):
        models.merge_contacts(admin, nancy.id, twin.id)
    unchanged(nancy, twin)
    assert Opportunity.get_by_id(deal.id).contact_id == twin.id
    master = models.merge_contacts(
        admin, nancy.id, twin.id, {"account": twin.id}, parent_check=False
    )
    assert (master.account_id, master.email) == (fabrikam.id, "n@f.com")
    assert Opportunity.get_by_id(deal.id).contact_id == nancy.id
    assert Contact.get_by_id(twin.id).merged_into_id == nancy.id
    # Same account, or one without: nothing for the parent check to refuse.
    alone = contact(admin, "Anderson", first_name="Nancy")
    assert not models.parents_differ(
        "contact", models.merge_fields(None, "contact", [nancy.id, alone.id])
    )
    models.merge_contacts(admin, nancy.id, alone.id)


def test_a_merged_record_is_read_only_and_takes_no_new_links(db, admin) -> None:
    master, other = account(admin, "Northwind"), account(admin, "Northwind Traders")
    person = contact(admin, "Lee")
    models.merge_accounts(admin, master.id, other.id)
    said = f"merged into #{master.id} Northwind"
    with pytest.raises(models.RecordMerged, match=said):
        models.update_account(admin, other.id, {"city": "Paris"})
    with pytest.raises(models.RecordMerged, match=said):
        models.add_note(admin, Account.get_by_id(other.id), "too late")
    (outcome,) = models.assign_owner(admin, "account", [other.id], admin.id)
    assert not outcome.done and said in outcome.message
    with pytest.raises(models.ValidationError, match=f"{said}; pick that one") as caught:
        models.create_contact(admin, last_name="Kim", account=other.id)
    assert "account" in caught.value.errors
    with pytest.raises(models.ValidationError, match=said):
        models.update_contact(admin, person.id, {"account": other.id})
    with pytest.raises(models.ValidationError, match=said):
        models.create_opportunity(admin, topic="T", account=other.id)
    lead = make_lead(admin)
    with pytest.raises(models.ValidationError, match=said):
        models.update_lead(admin, lead.id, {"existing_account": other.id})
    with pytest.raises(models.ValidationError, match=said):
        models.create_lead(admin, topic="T", last_name="Doe", existing_account=other.id)
    choice = models.QualifyChoice(link_account_id=other.id)
    with pytest.raises(models.QualifyRefused, match=said):
        models.qualify_lead(admin, lead.id, choice)
    assert models.get_lead(lead.id).is_open
    assert Contact.get_by_id(person.id).account_id is None
    models.delete_account(admin, other.id)  # an inactive record may still be deleted
    assert Account.get_or_none(Account.id == other.id) is None


def test_an_account_merge_moves_everything_in_one_audited_transaction(db, admin) -> None:
    master, other = account(admin, "Adventure Works"), account(admin, "Adventure Works Ltd")
    person = contact(admin, "Lee", account=other.id)
    deal = models.create_opportunity(admin, topic="Bikes", account=other.id, contact=person.id)
    models.add_note(admin, other, "called")
    models.update_account(admin, other.id, {"city": "Lyon"})
    merged = models.merge_accounts(admin, master.id, other.id, {"city": other.id})
    assert merged.city == "Lyon"
    assert Contact.get_by_id(person.id).account_id == master.id
    assert Opportunity.get_by_id(deal.id).account_id == master.id
    assert Note.get(Note.text == "called").account_id == master.id
    summaries = [e.summary for e in AuditEvent.for_record("account", master.id)]
    assert summaries[0].startswith(f"Merged account #{other.id} Adventure Works Ltd")
    assert "Changed City" in summaries  # the other's history moved with it
    assert [e.summary for e in AuditEvent.for_record("account", other.id)] == [
        f"Merged into account #{master.id} Adventure Works"
    ]


def test_a_failed_merge_leaves_nothing_half_done(db, admin, monkeypatch) -> None:
    master, other = account(admin, "Tailspin"), account(admin, "Tailspin Toys")
    person = contact(admin, "Ray", account=other.id)
    models.add_note(admin, other, "kept where it was")

    def broken(*args: object) -> None:
        raise models.ValidationError({"x": "refused at the very end"})

    monkeypatch.setattr(models.merge, "_move_history", broken)
    with pytest.raises(models.ValidationError, match="at the very end"):
        models.merge_accounts(admin, master.id, other.id, {"city": other.id})
    assert Contact.get_by_id(person.id).account_id == other.id
    assert Note.get(Note.text == "kept where it was").account_id == other.id
    unchanged(master, other)


# Another session at the same moment -----------------------------------------------


def paused_merge(monkeypatch, race, *contenders) -> None:  # type: ignore[no-untyped-def]
    """Run the contenders while the test's merge holds its locks, just after reading
    the records it decides on."""
    pause_after(monkeypatch, models.merge, "_load", lambda: race.start_and_settle(*contenders))


@pytest.mark.parametrize("change", ["edit", "note", "reassign"])
def test_a_change_at_the_same_moment_waits_and_is_refused(
    db, admin, race, monkeypatch, change
) -> None:
    """One contender at a time: a second one would queue behind the first, not
    behind the merge, and the race helper waits for sessions the merge blocks."""
    master, other = account(admin, "Proseware"), account(admin, "Proseware Inc")
    rep = models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)
    actions = {
        "edit": lambda: models.update_account(admin, other.id, {"city": "Oslo"}),
        "note": lambda: models.add_note(admin, other, "late note"),
        "reassign": lambda: models.assign_owner(admin, "account", [other.id], rep.id),
    }
    contender = race.add(actions[change])
    paused_merge(monkeypatch, race, contender)
    models.merge_accounts(admin, master.id, other.id)
    contender.join()
    if change == "reassign":
        (outcome,) = contender.result
        assert not outcome.done and "was merged into" in outcome.message
    else:
        assert isinstance(contender.error, models.RecordMerged), contender.error
    fresh = Account.get_by_id(other.id)
    assert (fresh.city, fresh.owner_id) == ("", admin.id)
    assert not Note.select().where(Note.text == "late note").exists()


def test_a_contact_created_for_the_account_meanwhile_is_refused(
    db, admin, race, monkeypatch
) -> None:
    master, other = account(admin, "Wingtip"), account(admin, "Wingtip Toys")
    creator = race.add(lambda: models.create_contact(admin, last_name="Kim", account=other.id))
    paused_merge(monkeypatch, race, creator)
    models.merge_accounts(admin, master.id, other.id)
    creator.join()
    assert isinstance(creator.error, models.ValidationError), creator.error
    assert "pick that one" in creator.error.message
    assert not Contact.select().where(Contact.account == other.id).exists()


def test_a_delete_at_the_same_moment_keeps_what_the_merge_moved(
    db, admin, race, monkeypatch
) -> None:
    master, other = account(admin, "Coho"), account(admin, "Coho Winery")
    person = contact(admin, "Ito", account=other.id)
    deleter = race.add(lambda: models.delete_account(admin, other.id))
    paused_merge(monkeypatch, race, deleter)
    models.merge_accounts(admin, master.id, other.id)
    deleter.join()
    assert deleter.error is None, deleter.error  # the merged record went; its contact stayed
    assert Contact.get_by_id(person.id).account_id == master.id


def test_a_merge_after_a_delete_says_the_record_is_gone(db, admin, race, monkeypatch) -> None:
    master, other = account(admin, "Alpine"), account(admin, "Alpine Ski House")
    merger = race.add(lambda: models.merge_accounts(admin, master.id, other.id))
    pause_after(monkeypatch, models.records, "locked", lambda: race.start_and_settle(merger))
    models.delete_account(admin, other.id)
    merger.join()
    assert isinstance(merger.error, models.NotFound), merger.error
    assert Account.get_by_id(master.id).merged_into_id is None


def test_a_qualification_linking_the_account_finishes_first_and_is_moved(
    db, admin, race, monkeypatch
) -> None:
    """The qualification holds its lead and the account it links; the merge waits
    for both (lead first: no deadlock), then moves what qualifying made."""
    master, other = account(admin, "Fourth Coffee"), account(admin, "Fourth Coffee Inc")
    lead = make_lead(admin, company="Fourth Coffee", email="q@fourth.com")
    models.update_lead(admin, lead.id, {"existing_account": other.id})
    merger = race.add(lambda: models.merge_accounts(admin, master.id, other.id))
    pause_after(monkeypatch, models.qualify, "_pick", lambda: race.start_and_settle(merger))
    models.qualify_lead(admin, lead.id, models.QualifyChoice(ignore_duplicates=True))
    merger.join()
    assert merger.error is None, merger.error
    qualified = Lead.get_by_id(lead.id)
    assert (qualified.account_id, qualified.existing_account_id) == (master.id, master.id)
    assert Opportunity.get(Opportunity.originating_lead == lead.id).account_id == master.id
    assert Contact.get_by_id(qualified.contact_id).account_id == master.id


def test_two_merges_of_one_contact_one_wins(db, admin, race, monkeypatch) -> None:
    first, second, third = (contact(admin, "Diaz", first_name=n) for n in ("Ana", "Ann", "Anna"))
    rival = race.add(lambda: models.merge_contacts(admin, third.id, second.id))
    paused_merge(monkeypatch, race, rival)
    models.merge_contacts(admin, first.id, second.id)
    rival.join()
    assert isinstance(rival.error, models.MergeRefused), rival.error
    assert Contact.get_by_id(second.id).merged_into_id == first.id
    assert Contact.get_by_id(third.id).merged_into_id is None


def test_a_contact_merge_during_its_accounts_merge_waits_then_merges(
    db, admin, race, monkeypatch
) -> None:
    """Both lock contacts before accounts (`locks`' order): no deadlock; the contact
    merge then sees both contacts under the merged account, so its parent check
    passes."""
    master, other = account(admin, "Lucerne"), account(admin, "Lucerne Publishing")
    first = contact(admin, "Ng", account=master.id)
    second = contact(admin, "Ng", account=other.id, email="ng@lucerne.com")
    rival = race.add(lambda: models.merge_contacts(admin, first.id, second.id))
    paused_merge(monkeypatch, race, rival)
    models.merge_accounts(admin, master.id, other.id)
    rival.join()
    assert rival.error is None, rival.error
    kept = Contact.get_by_id(first.id)
    assert (kept.account_id, kept.email) == (master.id, "ng@lucerne.com")
    assert Contact.get_by_id(second.id).merged_into_id == first.id
