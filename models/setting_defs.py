"""The org settings there are, with their labels and defaults (plain values: they are
read from the database by `entities.load_settings` and changed by
`settings.change_setting`)."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class SettingDef:
    key: str
    label: str
    help: str
    default: bool | str
    group: str


SETTING_DEFS: tuple[SettingDef, ...] = (
    SettingDef(
        "auto_create_on_qualify",
        "Create account, contact and opportunity by default upon qualifying",
        "On: qualifying creates all three. Off: the rep chooses which records to create.",
        True,
        "Qualification",
    ),
    SettingDef(
        "improved_duplicate_experience",
        "Improved duplicate detection experience",
        "On: 'Account or contact may already exist' with matched records and rules. "
        "Off: the classic duplicate warning with filtered account and contact lists.",
        True,
        "Qualification",
    ),
    SettingDef(
        "dup_account_name",
        "Accounts with the same name",
        "Case, punctuation and legal suffixes (Inc, Ltd, LLC, GmbH...) are ignored.",
        True,
        "Duplicate rules",
    ),
    SettingDef(
        "dup_account_website",
        "Accounts with the same website domain",
        "https://www.acme.com/about and acme.com match.",
        True,
        "Duplicate rules",
    ),
    SettingDef(
        "dup_account_phone",
        "Accounts with the same phone",
        "Phones are compared in international (E.164) form.",
        True,
        "Duplicate rules",
    ),
    SettingDef(
        "dup_contact_email",
        "Contacts with the same email",
        "Email addresses are compared without regard to case.",
        True,
        "Duplicate rules",
    ),
    SettingDef(
        "dup_contact_phone",
        "Contacts with the same business phone",
        "Phones are compared in international (E.164) form.",
        True,
        "Duplicate rules",
    ),
    SettingDef(
        "dup_contact_name",
        "Contacts with the same first and last name",
        "Both names must be present; case and accents are ignored.",
        True,
        "Duplicate rules",
    ),
    SettingDef(
        "dup_lead_email",
        "Leads with the same email",
        "Marks leads in the list that share an email with another lead.",
        True,
        "Duplicate rules",
    ),
    SettingDef(
        "lead_qualifying_process",
        "Lead qualifying process",
        "Child of Leads. On: qualifying processes with activities can be assigned to "
        "leads, and open required activities block qualification.",
        False,
        "Features",
    ),
    SettingDef(
        "default_qualifying_process",
        "Default qualifying process for new leads",
        "The id of an active qualifying process assigned to every new lead while the lead "
        "qualifying process feature is on; empty for none. Set it on the Qualifying "
        "processes screen.",
        "",
        "Features",
    ),
    SettingDef(
        "phone_region",
        "Default phone region",
        "Two-letter country code used to read phone numbers written without +country.",
        "US",
        "Regional",
    ),
)
SETTINGS_BY_KEY = {d.key: d for d in SETTING_DEFS}


@dataclass(frozen=True)
class OrgSettings:
    auto_create_on_qualify: bool = True
    improved_duplicate_experience: bool = True
    dup_account_name: bool = True
    dup_account_website: bool = True
    dup_account_phone: bool = True
    dup_contact_email: bool = True
    dup_contact_phone: bool = True
    dup_contact_name: bool = True
    dup_lead_email: bool = True
    lead_qualifying_process: bool = False
    default_qualifying_process: str = ""
    phone_region: str = "US"


assert {f.name for f in fields(OrgSettings)} == set(SETTINGS_BY_KEY)
