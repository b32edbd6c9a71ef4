"""Valid input never gives a raw database error, on either backend: keys longer
than the fields they come from, and text no database can store (refused with a
message, nothing saved)."""

from __future__ import annotations

import pytest

import models
from models import Account, Contact, Lead, Note, normalize
from models.entities import Lead as LeadModel

from ..conftest import make_lead

ESZETT_50 = "ß" * 50  # casefolds to 100 characters: a person key of 201 in a column of 101
JAPANESE_LABELS = [
    "ドメイン名例の非常に長いサブ",
    "日本語のテストとても長い名前",
    "ここにもう一つの長いラベル",
    "さらに長い名前のラベル",
    "最後のラベルです",
    "もっと長いラベルを追加",
    "国際化ドメイン名の例",
]
LONG_IDN_SITE = "https://www." + ".".join(JAPANESE_LABELS) + ".jp"


def test_the_inputs_make_keys_longer_than_their_fields() -> None:
    fields = LeadModel._meta.fields
    person = normalize.person_key(ESZETT_50, ESZETT_50)
    assert len(person) == 201 > fields["first_name"].max_length + fields["last_name"].max_length
    domain = normalize.website_domain(LONG_IDN_SITE)
    assert len(LONG_IDN_SITE) <= fields["website"].max_length < len(domain)


def test_eszett_names_and_a_long_international_domain_qualify(db, admin) -> None:
    lead = make_lead(
        admin,
        first_name=ESZETT_50,
        last_name=ESZETT_50,
        company="Straße " * 22,
        website=LONG_IDN_SITE,
    )
    assert lead.person_key == normalize.person_key(ESZETT_50, ESZETT_50)
    result = models.qualify_lead(admin, lead.id)
    contact = Contact.get_by_id(result.contact.id)
    account = Account.get_by_id(result.account.id)
    assert contact.person_key == lead.person_key
    assert account.domain_key == normalize.website_domain(LONG_IDN_SITE)
    # The keys match like any other: a second lead finds both records.
    twin = make_lead(
        admin,
        first_name=ESZETT_50,
        last_name=ESZETT_50,
        email="other@example.org",
        business_phone="+44 20 7946 0000",
        company="Other",
        website=LONG_IDN_SITE,
    )
    matches = models.find_duplicates(Lead.get_by_id(twin.id))
    assert [m.id for m in matches.contacts] == [contact.id]
    assert [m.id for m in matches.accounts] == [account.id]


def test_keys_are_capped_to_fit_an_index_entry() -> None:
    expanding = "\ufdfa" * 160  # NFKD spells each out in 18 characters
    key = normalize.company_key(expanding)
    assert len(key) == normalize.KEY_MAX
    assert len(key.encode()) <= 2400


def test_a_lead_with_a_huge_expanding_company_saves(db, admin) -> None:
    lead = make_lead(admin, company="\ufdfa" * 160)
    assert len(Lead.get_by_id(lead.id).company_key) == normalize.KEY_MAX
    models.qualify_lead(admin, lead.id)


@pytest.mark.parametrize("field", ["company", "topic", "summary", "city"])
def test_a_lone_surrogate_is_refused_in_validation(db, admin, field) -> None:
    with pytest.raises(models.ValidationError) as caught:
        make_lead(admin, **{field: "Acme \udc80 Corp"})
    assert field in caught.value.errors
    assert "lone surrogate, U+DC80, at position 6" in caught.value.errors[field]
    assert Lead.select().count() == 0
    lead = make_lead(admin)
    with pytest.raises(models.ValidationError):
        models.update_lead(admin, lead.id, {field: "\ud83d"})
    assert Lead.get_by_id(lead.id).company == "Contoso Ltd."


def test_a_note_with_a_lone_surrogate_is_refused(db, admin) -> None:
    lead = make_lead(admin)
    with pytest.raises(models.ValidationError) as caught:
        models.add_note(admin, lead, "half an emoji \ud83d")
    assert "lone surrogate" in caught.value.errors["text"]
    with pytest.raises(models.ValidationError) as caught:
        models.add_note(admin, lead, "x", attachment=("scan\udcff.pdf", b"%PDF"))
    assert "lone surrogate" in caught.value.errors["attachment"]
    assert Note.select().count() == 0


def test_any_other_text_with_a_lone_surrogate_is_a_sentence_not_a_crash(db, admin) -> None:
    """A service without its own check (here a qualifying process name) still gets
    a LeadqError from the database layer, and nothing is saved."""
    models.change_setting(admin, "lead_qualifying_process", True)
    with pytest.raises(models.LeadqError) as caught:
        models.create_process(admin, "Discovery \udc80")
    assert "lone surrogate" in str(caught.value)
    assert models.list_processes() == []


def test_key_columns_are_unbounded_on_postgres(db) -> None:
    if not models.db.is_postgres():
        assert "0006_unbounded_keys" in {
            r[0] for r in db.execute_sql('SELECT "name" FROM "schema_migration"')
        }
        return
    rows = db.execute_sql(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE column_name LIKE '%%\\_key' AND table_name IN ('lead', 'account', 'contact')"
    ).fetchall()
    assert len(rows) == 11
    assert {data_type for _, _, data_type in rows} == {"text"}
