"""Which lead fields qualifying copies to the opportunity, account and contact.

The mapping is data (SPEC.md section 3, from the Dynamics 365 field mappings):
each entry is (lead field, target field).
"""

from __future__ import annotations

ADDRESS_FIELDS: tuple[str, ...] = (
    "street1",
    "street2",
    "street3",
    "city",
    "state_province",
    "postal_code",
    "country",
)

OPPORTUNITY_MAPPING: tuple[tuple[str, str], ...] = (("topic", "topic"),)

ACCOUNT_MAPPING: tuple[tuple[str, str], ...] = (
    ("company", "name"),
    ("website", "website"),
    ("business_phone", "phone"),
    *((field, field) for field in ADDRESS_FIELDS),
)

CONTACT_MAPPING: tuple[tuple[str, str], ...] = (
    ("first_name", "first_name"),
    ("last_name", "last_name"),
    ("job_title", "job_title"),
    ("business_phone", "phone"),
    ("mobile_phone", "mobile_phone"),
    ("email", "email"),
    *((field, field) for field in ADDRESS_FIELDS),
)
