"""docs/models.md lists what an integrator needs: a new field, setting or result
field that the doc does not name fails here."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import models
from models.entities import ALL_MODELS
from models.processes import PROCESS_MODELS

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
