"""Org-wide settings, stored in the database so every session sees the same ones.

The settings there are and their defaults are `setting_defs`; reading them
(`load_settings`, `phone_region`) sits with the `Setting` model in `entities`,
since saving a lead, account or contact reads the phone region. They are all
named here too, with `change_setting`.

Settings are read fresh from the database for each qualification (one small
query), so a change an administrator makes applies to the next qualification in
every process.
"""

from __future__ import annotations

import json
from typing import Any

from .audit import record
from .entities import Setting, User, load_settings, phone_region, utcnow
from .errors import ValidationError, no_raw_errors
from .locks import lock_keys
from .processes.validation import check_default_process
from .roles import CHANGE_SETTINGS, admin_only
from .setting_defs import SETTING_DEFS, SETTINGS_BY_KEY, OrgSettings, SettingDef


def _check_value(definition: SettingDef, value: Any) -> bool | str:
    if isinstance(definition.default, bool):
        if not isinstance(value, bool):
            raise ValidationError({definition.key: f"{definition.label} must be on or off."})
        return value
    if definition.key == "default_qualifying_process":
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
    admin_only(actor, CHANGE_SETTINGS).enforce()
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


__all__ = [
    "SETTINGS_BY_KEY",
    "SETTING_DEFS",
    "OrgSettings",
    "SettingDef",
    "change_setting",
    "load_settings",
    "phone_region",
]
