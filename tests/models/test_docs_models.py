"""docs/models.md lists what an integrator needs: a new field, setting or result
field that the doc does not name fails here."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import models
from models.entities import ALL_MODELS
from models.processes.models import PROCESS_MODELS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "models.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("model", [*ALL_MODELS, *PROCESS_MODELS], ids=lambda m: m.__name__)
def test_every_field_of_every_entity_is_listed(model) -> None:  # type: ignore[no-untyped-def]
    row = re.search(rf"^\| `{model.__name__}` \| `{model._meta.table_name}` \|(.*)$", DOC, re.M)
    assert row is not None, f"docs/models.md has no row for {model.__name__}"
    listed = set(re.findall(r"`(\w+)`", row.group(1)))
    assert {f.name for f in model._meta.sorted_fields} == listed


def test_settings_and_result_fields_are_listed() -> None:
    for definition in models.SETTING_DEFS:
        assert f"| `{definition.key}` |" in DOC
    for cls in (models.QualifyResult, models.LeadOutcome):
        for field in dataclasses.fields(cls):
            assert f"`{field.name}`" in DOC, f"{cls.__name__}.{field.name}"


def test_every_kind_of_history_is_listed(db, admin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The services that write history about each kind of record, once each; the
    kinds they wrote are the ones the doc names."""
    import io

    paragraph = DOC[DOC.index("History: every service") :].split("\n\n")[0]
    listed = set(re.findall(r"`(\w+)`", paragraph[paragraph.index("entity_type` is") :]))
    lead = models.create_lead(admin, topic="T", last_name="Doe", company="Contoso")
    result = models.qualify_lead(admin, lead.id)
    models.add_note(admin, result.account, "account")
    models.add_note(admin, result.contact, "contact")
    models.add_note(admin, result.opportunity, "opportunity")
    models.change_setting(admin, "dup_lead_email", False)
    models.change_setting(admin, "lead_qualifying_process", True)
    models.create_process(admin, "Standard")
    models.create_user("sam", "Sam Seller", models.Role.SALESPERSON, actor=admin)
    models.import_leads(admin, io.BytesIO(b"Topic,Last Name\nT,Roe\n"), "a.csv")
    written = {e.entity_type for e in models.AuditEvent.select(models.AuditEvent.entity_type)}
    assert written == {"lead", "account", "contact", "opportunity", "org",
                       "qualifyingprocess", "user", "importbatch"}  # fmt: skip
    assert written <= listed, written - listed
