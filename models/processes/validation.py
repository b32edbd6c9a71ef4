"""Checking what an administrator types into a qualifying process."""

from __future__ import annotations

from typing import Any

from ..enums import Role
from ..errors import ValidationError
from .models import (
    DAYS_MAX,
    NAME_MAX,
    PURPOSE_MAX,
    QualifyingProcess,
)


# Validation.
def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def clean_name(name: Any, field: str = "name", label: str = "A name") -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise ValidationError({field: f"{label} is required."})
    if len(text) > NAME_MAX:
        raise ValidationError({field: f"{label} is at most {NAME_MAX} characters."})
    return text


def check_unique_name(name: str, exclude_id: int | None = None) -> None:
    query = QualifyingProcess.select().where(QualifyingProcess.name_key == name_key(name))
    if exclude_id is not None:
        query = query.where(QualifyingProcess.id != exclude_id)
    if query.exists():
        raise ValidationError({"name": f"A qualifying process called {name!r} already exists."})


def _clean_days(value: Any, field: str, label: str, errors: dict[str, str]) -> int:
    try:
        days = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        errors[field] = f"{label} is a whole number of days."
        return 0
    if isinstance(value, bool) or days < 0 or days > DAYS_MAX:
        errors[field] = f"{label} is between 0 and {DAYS_MAX} days."
    return days


def clean_activity_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Check an activity's fields; raise ValidationError naming each bad one."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    purpose = " ".join(str(values.get("purpose") or "").split())
    if not purpose:
        errors["purpose"] = "The purpose is required."
    elif len(purpose) > PURPOSE_MAX:
        errors["purpose"] = f"The purpose is at most {PURPOSE_MAX} characters."
    clean["purpose"] = purpose
    clean["required"] = bool(values.get("required", True))
    start = _clean_days(values.get("days_to_start", 0), "days_to_start", "Days to start", errors)
    finish = _clean_days(
        values.get("days_to_finish", 0), "days_to_finish", "Days to finish", errors
    )
    if "days_to_start" not in errors and "days_to_finish" not in errors and finish < start:
        errors["days_to_finish"] = "Days to finish cannot be less than days to start."
    clean["days_to_start"], clean["days_to_finish"] = start, finish
    role = values.get("responsible_role", Role.SALESPERSON)
    if role not in set(Role):
        errors["responsible_role"] = "The responsible role is one of: " + ", ".join(
            r.label for r in Role
        )
    clean["responsible_role"] = str(role)
    if errors:
        raise ValidationError(errors)
    return clean


def check_default_process(value: Any) -> str:
    """The stored form of the `default_qualifying_process` setting: a process id as
    text, or "" for none. The process must exist and be active."""
    text = str(value if value is not None else "").strip()
    if text in ("", "0"):
        return ""
    try:
        process_id = int(text)
    except ValueError:
        process = QualifyingProcess.get_or_none(QualifyingProcess.name_key == name_key(text))
    else:
        process = QualifyingProcess.get_or_none(QualifyingProcess.id == process_id)
    if process is None:
        raise ValidationError(
            {"default_qualifying_process": f"There is no qualifying process {text!r}."}
        )
    if not process.active:
        raise ValidationError(
            {"default_qualifying_process": f"{process.name} is inactive and cannot be the default."}
        )
    return str(process.id)
