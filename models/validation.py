"""Checking lead field values before anything is saved.

`clean_lead_fields` returns cleaned values or raises `ValidationError` with one
readable message per bad field; callers save only after it returns.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from . import normalize
from .entities import LEAD_FORM_FIELDS, Account, Contact, Lead, Opportunity
from .enums import LeadSource, PurchaseProcess, PurchaseTimeframe, Rating
from .errors import ValidationError

FIELD_LABELS: dict[str, str] = {
    "topic": "Topic",
    "first_name": "First name",
    "last_name": "Last name",
    "job_title": "Job title",
    "business_phone": "Business phone",
    "mobile_phone": "Mobile phone",
    "email": "Email",
    "company": "Company",
    "website": "Website",
    "street1": "Street 1",
    "street2": "Street 2",
    "street3": "Street 3",
    "city": "City",
    "state_province": "State/Province",
    "postal_code": "ZIP/Postal code",
    "country": "Country/Region",
    "rating": "Rating",
    "lead_source": "Lead source",
    "purchase_timeframe": "Purchase timeframe",
    "estimated_budget": "Estimated budget",
    "purchase_process": "Purchase process",
    "decision_maker_identified": "Decision maker identified",
    "summary": "Summary",
}
# The lead form as the screens lay it out (the lead detail, the new lead form): its
# groups in order, with the qualify stage's links and the status reason.
LEAD_FORM_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Contact",
        (
            "topic",
            "first_name",
            "last_name",
            "job_title",
            "business_phone",
            "mobile_phone",
            "email",
        ),
    ),
    ("Company", ("company", "website")),
    (
        "Address",
        ("street1", "street2", "street3", "city", "state_province", "postal_code", "country"),
    ),
    (
        "Qualify stage",
        (
            "existing_contact",
            "existing_account",
            "purchase_timeframe",
            "estimated_budget",
            "purchase_process",
            "decision_maker_identified",
            "summary",
        ),
    ),
    ("Details", ("rating", "lead_source", "status_reason")),
)
LEAD_FORM_LABELS: dict[str, str] = {
    **FIELD_LABELS,
    "existing_contact": "Existing contact",
    "existing_account": "Existing account",
    "status_reason": "Status reason",
}
assert {name for _, names in LEAD_FORM_GROUPS for name in names} == {
    *LEAD_FORM_FIELDS,
    "existing_contact",
    "existing_account",
    "status_reason",
}


REQUIRED = ("topic", "last_name")
CHOICES: dict[str, type] = {
    "rating": Rating,
    "lead_source": LeadSource,
    "purchase_timeframe": PurchaseTimeframe,
    "purchase_process": PurchaseProcess,
}
_ALLOWED = {name: tuple(m.value for m in enum) for name, enum in CHOICES.items()}
SUMMARY_MAX = 20_000
BUDGET_MAX = Decimal("9999999999999.99")


_MAX_LENGTHS: dict[str, int | None] = {
    name: SUMMARY_MAX if name == "summary" else getattr(Lead._meta.fields[name], "max_length", None)
    for name in FIELD_LABELS
}


def clean_lead_fields(values: dict[str, Any], region: str = "US") -> dict[str, Any]:
    """Validate and tidy the given lead fields (a partial update is fine)."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for field, value in values.items():
        label = FIELD_LABELS.get(field)
        if label is None:
            errors[field] = f"{field!r} is not a lead field."
            continue
        try:
            clean[field] = _clean_one(field, label, value, region)
        except ValueError as exc:
            errors[field] = str(exc)
    if errors:
        raise ValidationError(errors)
    return clean


def _clean_one(field: str, label: str, value: Any, region: str) -> Any:
    if field in _PLAIN_TEXT and value.__class__ is str and value.isascii() and "\x00" not in value:
        return _clean_text(field, label, value.strip(), region)  # the usual case, made short
    if field == "decision_maker_identified":
        if isinstance(value, bool):
            return value
        raise ValueError(f"{label} must be yes or no.")
    if field == "estimated_budget":
        return _clean_budget(label, value)
    text = "" if value is None else str(value)
    problem = unstorable(text)
    if problem:
        raise ValueError(f"{label} contains {problem}, which cannot be stored.")
    if field != "summary":
        text = text.strip()
    if field in REQUIRED and not text:
        raise ValueError(f"{label} is required.")
    if field in CHOICES:
        if not text:
            if field == "rating":
                raise ValueError(f"{label} is required.")
            return None
        allowed = _ALLOWED[field]
        if text not in allowed:
            raise ValueError(f"{label} must be one of: {', '.join(allowed)}.")
        return text
    return _clean_text(field, label, text, region)


def _clean_text(field: str, label: str, text: str, region: str) -> str:
    """A text field's value, already stripped (but the summary's) and storable."""
    if not text:
        if field in REQUIRED:
            raise ValueError(f"{label} is required.")
        return text
    limit = _MAX_LENGTHS[field]
    if limit is not None and len(text) > limit:
        raise ValueError(f"{label} is too long: {len(text):,} characters, at most {limit:,}.")
    check = _TEXT_CHECKS.get(field)
    if check is not None:
        check(label, text, region)
    return text


def _check_website(label: str, text: str, region: str) -> None:
    if normalize.website_domain(text) is None:
        raise ValueError(f"{label} {text!r} is not a web address (for example acme.com).")


# RFC 5322 dot-atom text, as email_validator's own first check reads it: a local part
# of these characters is valid whatever its length (email_validator is not strict).
_ATEXT = r"a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~"
_PLAIN_LOCAL = re.compile(f"[{_ATEXT}]+(?:\\.[{_ATEXT}]+)*\\Z")
_PLAIN_DOMAIN = re.compile(r"[a-zA-Z0-9.-]+\Z")
_PLAIN_MAX = 200  # far below the 254 bytes email_validator allows, however it counts


def _check_email(label: str, text: str, region: str = "") -> None:
    """`email_validator.validate_email` (no DNS), with a fast path for the common
    address: plain ASCII before the @, and an ASCII domain that is not IDNA
    (`xn--`) and that email_validator accepted before (cached per domain, the
    costly half: an import of a million rows from a few thousand domains). Only an
    address email_validator accepts takes it; anything else gets the full check,
    and its message."""
    local, at, domain = text.rpartition("@")
    if (
        at
        and len(text) <= _PLAIN_MAX
        and _PLAIN_LOCAL.match(local)
        and _PLAIN_DOMAIN.match(domain)
        and "xn--" not in (domain := domain.lower())
        and _domain_accepted(domain)
    ):
        return
    problem = _email_problem(text)
    if problem:
        raise ValueError(f"{label} {text!r} is not a valid address: {problem}")


@functools.lru_cache(maxsize=16384)
def _domain_accepted(domain: str) -> bool:
    return _email_problem("a@" + domain) is None


def _email_problem(text: str) -> str | None:
    # Imported here, with phonenumbers below: ~180 ms of start-up the list does not need.
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def unstorable(text: str) -> str | None:
    """What in `text` no database can store, said for a user, or None.

    NUL: PostgreSQL text cannot hold it (refused on every backend alike). A lone
    surrogate (U+D800-U+DFFF, half of a UTF-16 pair, which a broken paste or file
    can bring) is not a character UTF-8 can encode, on either backend.
    """
    if "\x00" in text:
        return "a NUL character (\\0)"
    if text.isascii():
        return None
    found = _SURROGATE.search(text)
    if found:
        code, place = ord(found.group()), found.start() + 1
        return f"an invalid character (a lone surrogate, U+{code:04X}, at position {place})"
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_phone(label: str, text: str, region: str) -> None:
    reading, _ = normalize.read_phone(text, region)
    if reading == "unreadable":
        raise ValueError(f"{label} {text!r} is not a phone number; use digits, or +country code.")
    if reading == "impossible":
        raise ValueError(f"{label} {text!r} has the wrong number of digits for its country.")


_TEXT_CHECKS: dict[str, Any] = {
    "email": _check_email,
    "business_phone": _check_phone,
    "mobile_phone": _check_phone,
    "website": _check_website,
}
_PLAIN_TEXT = (
    frozenset(FIELD_LABELS)
    - set(CHOICES)
    - {
        "decision_maker_identified",
        "estimated_budget",
        "summary",
    }
)


def _amount_text(value: str) -> str:
    """An amount as typed or exported, in Decimal's form: the currency sign and
    spaces go; `1,234.50` and `1.234,50` (a decimal comma: the last separator, or
    a lone comma before one or two digits) both read 1234.50."""
    raw = value.strip().strip("$€£").replace(" ", "").replace("\u00a0", "")
    comma, dot = raw.rfind(","), raw.rfind(".")
    if comma > dot and (dot >= 0 or 0 < len(raw) - comma - 1 < 3):
        return raw.replace(".", "").replace(",", ".")
    return raw.replace(",", "")


def _clean_budget(label: str, value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float | int | Decimal) and not isinstance(value, bool):
        raw = str(value)
    elif isinstance(value, str):
        raw = _amount_text(value)
    else:
        raise ValueError(f"{label} must be an amount.")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{label} {value!r} is not an amount.") from None
    if not amount.is_finite():
        raise ValueError(f"{label} must be a finite amount.")
    if amount < 0:
        raise ValueError(f"{label} cannot be negative.")
    if amount > BUDGET_MAX:
        raise ValueError(f"{label} is too large.")
    return amount.quantize(Decimal("0.01"))


# --- accounts, contacts, opportunities ----------------------------------------------

# Each field: (label, kind). Kinds: text, required, email, phone, website, money, date,
# longtext (no length limit below TEXT_MAX, kept as typed), link (a record id).
_ADDRESS = {
    "street1": ("Street 1", "text"),
    "street2": ("Street 2", "text"),
    "street3": ("Street 3", "text"),
    "city": ("City", "text"),
    "state_province": ("State/Province", "text"),
    "postal_code": ("ZIP/Postal code", "text"),
    "country": ("Country/Region", "text"),
}
RECORD_FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "account": {
        "name": ("Account name", "required"),
        "website": ("Website", "website"),
        "phone": ("Phone", "phone"),
        **_ADDRESS,
    },
    "contact": {
        "first_name": ("First name", "text"),
        "last_name": ("Last name", "required"),
        "job_title": ("Job title", "text"),
        "account": ("Account", "link"),
        "phone": ("Business phone", "phone"),
        "mobile_phone": ("Mobile phone", "phone"),
        "email": ("Email", "email"),
        **_ADDRESS,
    },
    "opportunity": {
        "topic": ("Topic", "required"),
        "account": ("Account", "link"),
        "contact": ("Contact", "link"),
        "estimated_value": ("Estimated value", "money"),
        "estimated_close_date": ("Estimated close date", "date"),
        "customer_need": ("Customer need", "longtext"),
        "proposed_solution": ("Proposed solution", "longtext"),
        "final_decision_date": ("Decision date", "date"),
    },
}
TEXT_MAX = 20_000


def record_model(kind: str) -> type:
    return {"account": Account, "contact": Contact, "opportunity": Opportunity}[kind]


def clean_record_fields(kind: str, values: dict[str, Any], region: str = "US") -> dict[str, Any]:
    """Validate and tidy fields of an account, contact or opportunity (a partial
    update is fine). Links come back as ids; whether they exist is the service's
    to check, in its transaction."""
    spec = RECORD_FIELDS[kind]
    model = record_model(kind)
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for field, value in values.items():
        if field not in spec:
            errors[field] = f"{field!r} is not a field of an {kind}."
            continue
        label, sort = spec[field]
        try:
            clean[field] = _clean_record_value(model, field, label, sort, value, region)
        except ValueError as exc:
            errors[field] = str(exc)
    if errors:
        raise ValidationError(errors)
    return clean


def _clean_record_value(
    model: type, field: str, label: str, sort: str, value: Any, region: str
) -> Any:
    if sort == "money":
        return _clean_budget(label, value)
    if sort == "date":
        return clean_date(label, value)
    if sort == "link":
        if value is None or value == "":
            return None
        record_id = getattr(value, "id", value)
        if isinstance(record_id, bool) or not isinstance(record_id, int):
            raise ValueError(f"{label} must be a record picked from the lookup.")
        return record_id
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ValueError(f"{label} contains a NUL character (\\0), which cannot be stored.")
    if sort == "longtext":
        if len(text) > TEXT_MAX:
            raise ValueError(
                f"{label} is too long: {len(text):,} characters, at most {TEXT_MAX:,}."
            )
        return text
    text = text.strip()
    if sort == "required" and not text:
        raise ValueError(f"{label} is required.")
    limit = getattr(model._meta.fields[field], "max_length", None)
    if limit is not None and len(text) > limit:
        raise ValueError(f"{label} is too long: {len(text):,} characters, at most {limit:,}.")
    if not text:
        return text
    if sort == "email":
        _check_email(label, text)
    elif sort == "phone":
        _check_phone(label, text, region)
    elif sort == "website" and normalize.website_domain(text) is None:
        raise ValueError(f"{label} {text!r} is not a web address (for example acme.com).")
    return text


def clean_date(label: str, value: Any) -> dt.date | None:
    """A date from a `date` or `YYYY-MM-DD` text; blank is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{label} {value!r} is not a date (YYYY-MM-DD).") from None
    raise ValueError(f"{label} must be a date (YYYY-MM-DD).")


def money(value: Decimal | None) -> str:
    """An amount as a screen and an audit line show it: `12,500.00`."""
    return "" if value is None else f"{value:,.2f}"


def clean_amount(label: str, value: Any) -> Decimal | None:
    """Money: >= 0, two decimals; `$1,200.50` reads as 1200.50."""
    return _clean_budget(label, value)
