"""Org-wide settings, stored in the database so every session sees the same ones.

Settings are read fresh from the database for each qualification (one small
query), so a change an administrator makes applies to the next qualification in
every process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from . import prepared
from .audit import record
from .entities import Setting, User, utcnow
from .errors import PermissionDenied, ValidationError, no_raw_errors
from .locks import lock_keys


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


_SELECT_SETTINGS = prepared.Prepared(lambda: Setting.select(Setting.key, Setting.value))


# The stored rows last read and the settings made of them (one pair per process).
_last_read: tuple[tuple, OrgSettings] = ((), OrgSettings())


def load_settings() -> OrgSettings:
    """The current settings, read from the database.

    Every call reads the rows (one small query, compiled once), so a change made in
    any process applies at once; only turning unchanged rows into `OrgSettings`
    again is skipped, by comparing them with the rows read last time.
    """
    global _last_read
    rows = tuple(_SELECT_SETTINGS.run({}).fetchall())
    last_rows, last_settings = _last_read
    if rows == last_rows:
        return last_settings
    stored = {key: json.loads(value) for key, value in rows}
    settings = OrgSettings(**{k: v for k, v in stored.items() if k in SETTINGS_BY_KEY})
    _last_read = (rows, settings)
    return settings


def phone_region() -> str:
    return load_settings().phone_region


def _check_value(definition: SettingDef, value: Any) -> bool | str:
    if isinstance(definition.default, bool):
        if not isinstance(value, bool):
            raise ValidationError({definition.key: f"{definition.label} must be on or off."})
        return value
    if definition.key == "default_qualifying_process":
        from .processes import check_default_process

        return check_default_process(value)
    text = str(value).strip().upper()
    import phonenumbers  # lazily, as in normalize.py: not needed to start the app

    if definition.key == "phone_region" and (text not in phonenumbers.SUPPORTED_REGIONS):
        raise ValidationError(
            {definition.key: f"{value!r} is not a known region code (try US, GB, DE, FR...)."}
        )
    return text


@no_raw_errors
def change_setting(actor: User, key: str, value: Any) -> OrgSettings:
    """Change one org setting. Only a system administrator may; the change is audited."""
    definition = SETTINGS_BY_KEY.get(key)
    if definition is None:
        raise ValidationError({key: f"There is no setting called {key!r}."})
    if not actor.is_admin:
        raise PermissionDenied(
            f"Only a system administrator can change settings; {actor} is a {actor.role_label}."
        )
    clean = _check_value(definition, value)
    db = Setting._meta.database
    with db.atomic():
        # Two administrators changing one setting: the second reads the first's value.
        lock_keys([f"setting.key={key}"])
        old = getattr(load_settings(), key)
        if old == clean:
            return load_settings()
        (
            Setting.insert(
                key=key, value=json.dumps(clean), modified_at=utcnow(), modified_by=actor
            )
            .on_conflict(
                conflict_target=[Setting.key],
                update={
                    Setting.value: json.dumps(clean),
                    Setting.modified_at: utcnow(),
                    Setting.modified_by: actor,
                },
            )
            .execute()
        )
        shown = {True: "on", False: "off"}
        record(
            actor,
            "setting_changed",
            None,
            f"{definition.label}: {shown.get(old, old)} -> {shown.get(clean, clean)}",
        )
    return load_settings()
