"""Duplicate detection: every rule on and off, normalisation, blank never matches,
what a MatchedRecord tells the user, and lead-to-lead email duplicates."""

from __future__ import annotations

import pytest

import models
from models import Account, Contact, Lead, MatchedRecord
from models.duplicates import ACCOUNT_RULES, CONTACT_RULES

from ..conftest import make_lead

ALL_RULES = [r[0] for r in ACCOUNT_RULES + CONTACT_RULES] + ["dup_lead_email"]

# A lead (see make_lead) is Nancy Anderson of Contoso Ltd., nancy@contoso.com,
# https://www.contoso.com, business phone +1 206 555 0142, mobile +1 206 555 0199.
# Each record below matches that lead by exactly one rule.
ONE_RULE_RECORDS = {
    "dup_account_name": (Account, {"name": "CONTOSO, Inc."}, "same account name"),
    "dup_account_website": (
        Account,
        {"name": "Unrelated", "website": "http://contoso.com/about"},
        "same website domain",
    ),
    "dup_account_phone": (Account, {"name": "Unrelated", "phone": "(206) 555-0142"}, "same phone"),
    "dup_contact_email": (
        Contact,
        {"first_name": "X", "last_name": "Y", "email": "Nancy@CONTOSO.com"},
        "same email",
    ),
    "dup_contact_phone": (
        Contact,
        {"first_name": "X", "last_name": "Y", "phone": "206.555.0142"},
        "same business phone",
    ),
    "dup_contact_name": (
        Contact,
        {"first_name": "nancy", "last_name": "ANDERSON"},
        "same first and last name",
    ),
}


def only_rules(admin: models.User, *enabled: str) -> None:
    for rule in ALL_RULES:
        models.change_setting(admin, rule, rule in enabled)


def matched(matches: models.DuplicateMatches) -> dict[str, list[int]]:
    return {
        "accounts": [m.id for m in matches.accounts],
        "contacts": [m.id for m in matches.contacts],
        "leads": [m.id for m in matches.leads],
    }


# --- each rule on and off ------------------------------------------------------------


@pytest.mark.parametrize("rule", list(ONE_RULE_RECORDS))
def test_each_rule_matches_only_when_switched_on(db, admin, rep, rule) -> None:
    model, values, label = ONE_RULE_RECORDS[rule]
    record = model.create(**values)
    lead = make_lead(rep)
    kind = "accounts" if model is Account else "contacts"

    matches = models.find_duplicates(lead)  # defaults: every rule on
    found = getattr(matches, kind)
    assert [m.id for m in found] == [record.id]
    assert found[0].rules == (label,)
    with pytest.raises(models.DuplicatesFound) as caught:
        models.qualify_lead(rep, lead.id)
    assert caught.value.matches == matches
    assert Lead.get_by_id(lead.id).is_open

    models.change_setting(admin, rule, False)
    assert not models.find_duplicates(lead)
    models.qualify_lead(rep, lead.id)  # goes through now
    assert model.select().count() == 2


@pytest.mark.parametrize("rule", list(ONE_RULE_RECORDS))
def test_each_rule_alone_is_enough(db, admin, rep, rule) -> None:
    only_rules(admin, rule)
    model, values, label = ONE_RULE_RECORDS[rule]
    record = model.create(**values)
    others = [r for r in ONE_RULE_RECORDS if r != rule]
    for other in others:  # records only other rules would match
        other_model, other_values, _ = ONE_RULE_RECORDS[other]
        other_model.create(**other_values)
    lead = make_lead(rep)
    matches = models.find_duplicates(lead)
    found = matches.accounts + matches.contacts
    assert [(m.kind, m.id, m.rules) for m in found] == [
        ("account" if model is Account else "contact", record.id, (label,))
    ]


@pytest.mark.parametrize(
    "name",
    [
        "Contoso",
        "contoso",
        "CONTOSO LTD",
        "Contoso, Ltd.",
        "Contoso Inc.",
        "Contoso LLC",
        "Contoso GmbH",
        "Contoso, Inc",
        "  contoso   limited ",
        "Contoso Corp.",
    ],
)
def test_account_name_ignores_case_punctuation_and_legal_suffixes(db, rep, name) -> None:
    account = Account.create(name=name)
    lead = make_lead(rep, company="Contoso Ltd.", website="", business_phone="")
    assert [m.id for m in models.find_duplicates(lead).accounts] == [account.id]


@pytest.mark.parametrize("name", ["Contoso Group", "Contoso Labs Ltd", "Contosa", "Inc"])
def test_account_name_differences_that_matter(db, rep, name) -> None:
    Account.create(name=name)
    lead = make_lead(rep, company="Contoso Ltd.", website="", business_phone="")
    assert models.find_duplicates(lead).accounts == []


@pytest.mark.parametrize(
    "website",
    [
        "contoso.com",
        "https://contoso.com",
        "http://www.contoso.com/about/us?x=1",
        "WWW.CONTOSO.COM",
        "https://www.Contoso.com:443/",
        "contoso.com/",
    ],
)
def test_website_domain_ignores_scheme_www_and_path(db, rep, website) -> None:
    account = Account.create(name="Unrelated", website=website)
    lead = make_lead(rep, website="https://www.contoso.com")
    assert [m.id for m in models.find_duplicates(lead).accounts] == [account.id]


@pytest.mark.parametrize("website", ["contoso.org", "shop.contoso.com", "contoso.co", "not a url"])
def test_other_domains_do_not_match(db, rep, website) -> None:
    Account.create(name="Unrelated", website=website)
    lead = make_lead(rep, website="https://www.contoso.com")
    assert models.find_duplicates(lead).accounts == []


@pytest.mark.parametrize(
    "phone",
    [
        "(206) 555-0142",
        "206-555-0142",
        "206.555.0142",
        "+12065550142",
        "+1 (206) 555 0142",
        "1-206-555-0142",
    ],
)
def test_phones_in_different_formats_match_as_e164(db, rep, phone) -> None:
    account = Account.create(name="Unrelated", phone=phone)
    contact = Contact.create(first_name="X", last_name="Y", phone=phone)
    assert account.phone_key == contact.phone_key == "+12065550142"
    lead = make_lead(rep, business_phone="+1 206 555 0142")
    matches = models.find_duplicates(lead)
    assert [m.id for m in matches.accounts] == [account.id]
    assert [m.id for m in matches.contacts] == [contact.id]


def test_phone_region_setting_reads_national_numbers(db, admin, rep) -> None:
    models.change_setting(admin, "phone_region", "gb")
    assert models.load_settings().phone_region == "GB"
    account = Account.create(name="London Ltd", phone="020 7946 0018")
    assert account.phone_key == "+442079460018"
    lead = make_lead(rep, company="Other", business_phone="+44 20 7946 0018")
    assert [m.id for m in models.find_duplicates(lead).accounts] == [account.id]


def test_contact_phone_rule_uses_the_business_phone_only(db, rep) -> None:
    Contact.create(first_name="X", last_name="Y", phone="+1 206 555 0199")  # lead's mobile
    lead = make_lead(rep)
    assert models.find_duplicates(lead).contacts == []


def test_contact_name_needs_both_names_and_ignores_accents(db, rep) -> None:
    accented = Contact.create(first_name="Náncy", last_name="Ánderson")
    Contact.create(first_name="Nancy", last_name="Andersen")
    Contact.create(first_name="", last_name="Anderson")
    lead = make_lead(rep, email="", business_phone="")
    assert [m.id for m in models.find_duplicates(lead).contacts] == [accented.id]


def test_contact_email_is_case_insensitive_and_trimmed(db, rep) -> None:
    contact = Contact.create(first_name="X", last_name="Y", email="  NANCY@Contoso.Com ")
    Contact.create(first_name="X", last_name="Z", email="nancy@contoso.org")
    lead = make_lead(rep, first_name="", business_phone="")
    assert [m.id for m in models.find_duplicates(lead).contacts] == [contact.id]


# --- blank never matches -------------------------------------------------------------


def test_blank_values_never_match(db, rep) -> None:
    # Records with every matchable value blank...
    Account.create(name="", website="", phone="")
    Contact.create(first_name="", last_name="Anderson", email="", phone="")
    Contact.create(first_name="", last_name="", email="", phone="")
    # ...and leads with every matchable value blank (last name is required).
    lead = make_lead(rep, company="", website="", business_phone="", email="", first_name="")
    other = make_lead(rep, company="", website="", business_phone="", email="", first_name="")
    assert matched(models.find_duplicates(lead)) == {"accounts": [], "contacts": [], "leads": []}
    assert models.leads_with_duplicates([lead.id, other.id]) == set()
    assert [lead.id for lead in models.lead_query("duplicates", rep)] == []


def test_two_blank_email_contacts_are_not_duplicates(db, rep) -> None:
    Contact.create(first_name="A", last_name="One", email="")
    Contact.create(first_name="B", last_name="Two", email="")
    lead = make_lead(rep, email="", business_phone="")
    assert models.find_duplicates(lead).contacts == []
    assert Contact.select().where(Contact.email_key.is_null(False)).count() == 0


def test_unreadable_phone_is_blank_for_matching(db, rep) -> None:
    Account.create(name="A", phone="call reception")
    Account.create(name="B", phone="call reception")
    lead = make_lead(rep, company="Other", business_phone="")
    assert models.find_duplicates(lead).accounts == []


# --- what a match tells the user ------------------------------------------------------


def test_matched_records_carry_rules_and_identifying_details(db, rep) -> None:
    account = Account.create(
        name="Contoso Ltd",
        website="contoso.com",
        phone="206 555 0142",
        city="Redmond",
        country="United States",
    )
    contact = Contact.create(
        first_name="Nancy",
        last_name="Anderson",
        email="nancy@contoso.com",
        phone="206-555-0142",
        job_title="Buyer",
        account=account,
    )
    lead = make_lead(rep)
    matches = models.find_duplicates(lead)
    assert matches.accounts == [
        MatchedRecord(
            "account",
            account.id,
            "Contoso Ltd",
            ("contoso.com", "206 555 0142", "Redmond, United States"),
            ("same account name", "same website domain", "same phone"),
        )
    ]
    assert matches.contacts == [
        MatchedRecord(
            "contact",
            contact.id,
            "Nancy Anderson",
            ("nancy@contoso.com", "206-555-0142", "Buyer", "Contoso Ltd"),
            ("same email", "same business phone", "same first and last name"),
        )
    ]
    message = str(models.DuplicatesFound(matches))
    assert "1 matching account(s)" in message and "1 matching contact(s)" in message


def test_several_matches_are_all_listed(db, rep) -> None:
    ids = {Account.create(name=n).id for n in ("Contoso", "Contoso Inc", "contoso gmbh")}
    lead = make_lead(rep, website="", business_phone="")
    assert {m.id for m in models.find_duplicates(lead).accounts} == ids


def test_keys_follow_edits(db, rep) -> None:
    contact = Contact.create(first_name="X", last_name="Y", email="old@example.com")
    lead = make_lead(rep, business_phone="", first_name="")
    assert models.find_duplicates(lead).contacts == []
    contact.email = "NANCY@contoso.com"
    contact.save()
    assert [m.id for m in models.find_duplicates(lead).contacts] == [contact.id]
    models.update_lead(rep, lead.id, {"email": "someone@else.com"})
    assert models.find_duplicates(Lead.get_by_id(lead.id)).contacts == []


# --- leads with the same email --------------------------------------------------------


def test_leads_with_the_same_email(db, admin, rep) -> None:
    a = make_lead(rep, email="pat@fabrikam.com", company="", website="", business_phone="")
    b = make_lead(
        rep,
        email="PAT@Fabrikam.com",
        company="",
        website="",
        business_phone="",
        first_name="Pat",
        last_name="Other",
    )
    c = make_lead(
        rep,
        email="kim@fabrikam.com",
        company="",
        website="",
        business_phone="",
        first_name="Kim",
        last_name="Third",
    )
    blank1 = make_lead(
        rep, email="", company="", website="", business_phone="", first_name="B1", last_name="Blank"
    )
    blank2 = make_lead(
        rep, email="", company="", website="", business_phone="", first_name="B2", last_name="Blank"
    )
    ids = [a.id, b.id, c.id, blank1.id, blank2.id]

    assert models.leads_with_duplicates(ids) == {a.id, b.id}
    found = models.find_duplicates(a).leads
    assert [(m.kind, m.id, m.rules) for m in found] == [("lead", b.id, ("same email",))]
    assert found[0].title == "Pat Other"
    assert "PAT@Fabrikam.com" in found[0].details
    assert models.find_duplicates(c).leads == []
    assert models.find_duplicates(blank1).leads == []
    assert {lead.id for lead in models.lead_query("duplicates", rep)} == {a.id, b.id}

    models.change_setting(admin, "dup_lead_email", False)
    assert models.leads_with_duplicates(ids) == set()
    assert models.find_duplicates(b).leads == []
    models.change_setting(admin, "dup_lead_email", True)

    # Lead-to-lead matches are shown, but they do not block qualifying.
    assert not models.find_duplicates(a)
    models.update_lead(rep, a.id, {"company": "Fabrikam"})
    models.qualify_lead(rep, a.id)
    assert Lead.get_by_id(a.id).state == models.LeadState.QUALIFIED


def test_leads_matching_accounts_and_contacts_are_marked(db, admin, rep) -> None:
    Account.create(name="Contoso")
    lead = make_lead(rep, email="", business_phone="", website="")
    clean = make_lead(
        rep,
        company="Northwind",
        email="",
        business_phone="",
        website="",
        first_name="Other",
        last_name="Person",
    )
    assert models.leads_with_duplicates([lead.id, clean.id]) == {lead.id}
    assert [x.id for x in models.lead_query("duplicates", rep)] == [lead.id]
    models.change_setting(admin, "dup_account_name", False)
    assert models.leads_with_duplicates([lead.id, clean.id]) == set()
    assert list(models.lead_query("duplicates", rep)) == []


def test_closed_leads_are_not_possible_duplicates(db, rep) -> None:
    """Once qualified, a lead matches the account and contact it made; that is no
    duplicate to work on, so neither the view nor the list marker counts it."""
    lead = make_lead(rep)
    other = make_lead(rep, email="nancy@contoso.com", first_name="Nan", last_name="Other")
    assert {x.id for x in models.lead_query("duplicates", rep)} == {lead.id, other.id}
    assert models.leads_with_duplicates([lead.id, other.id]) == {lead.id, other.id}
    models.qualify_lead(rep, lead.id)
    assert models.find_duplicates(Lead.get_by_id(lead.id)).accounts  # it matches its own
    assert [x.id for x in models.lead_query("duplicates", rep)] == [other.id]
    assert models.leads_with_duplicates([lead.id, other.id]) == {other.id}
