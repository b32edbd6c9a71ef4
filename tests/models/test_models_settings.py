"""Org settings and roles: only a system administrator changes settings, every
change is audited and stored in the database; users, roles and SSH keys."""

from __future__ import annotations

import subprocess

import pytest

import models
from models import AuditEvent, OrgSettings, PermissionDenied, Role, Setting, ValidationError

BOOL_SETTINGS = [d.key for d in models.SETTING_DEFS if isinstance(d.default, bool)]


def setting_events() -> list[AuditEvent]:
    return list(
        AuditEvent.select().where(AuditEvent.action == "setting_changed").order_by(AuditEvent.id)
    )


def test_defaults_on_an_empty_database(db) -> None:
    settings = models.load_settings()
    assert settings == OrgSettings()
    assert settings.auto_create_on_qualify is True
    assert settings.improved_duplicate_experience is True
    assert all(getattr(settings, k) for k in BOOL_SETTINGS if k.startswith("dup_"))
    assert settings.lead_qualifying_process is False
    assert settings.phone_region == "US"
    assert {d.key for d in models.SETTING_DEFS} >= {
        "auto_create_on_qualify",
        "improved_duplicate_experience",
        "dup_account_name",
        "dup_account_website",
        "dup_account_phone",
        "dup_contact_email",
        "dup_contact_phone",
        "dup_contact_name",
        "dup_lead_email",
        "lead_qualifying_process",
    }


@pytest.mark.parametrize("role", [Role.SALESPERSON, Role.SALES_MANAGER])
@pytest.mark.parametrize("key", ["auto_create_on_qualify", "dup_contact_email", "phone_region"])
def test_non_administrator_cannot_change_settings(db, role, key) -> None:
    user = models.create_user("someone", "Some One", role)
    value = "GB" if key == "phone_region" else False
    with pytest.raises(PermissionDenied) as caught:
        models.change_setting(user, key, value)
    assert "administrator" in str(caught.value)
    assert "Some One" in str(caught.value)
    assert models.load_settings() == OrgSettings()
    assert Setting.select().count() == 0
    assert setting_events() == []


@pytest.mark.parametrize("key", BOOL_SETTINGS)
def test_administrator_changes_each_setting_and_it_is_audited(db, admin, key) -> None:
    default = getattr(OrgSettings(), key)
    returned = models.change_setting(admin, key, not default)
    assert getattr(returned, key) is (not default)
    assert getattr(models.load_settings(), key) is (not default)
    row = Setting.get_by_id(key)
    assert row.modified_by_id == admin.id
    label = models.settings.SETTINGS_BY_KEY[key].label
    on_off = {True: "on", False: "off"}
    events = setting_events()
    assert [(e.actor_id, e.entity_type, e.summary) for e in events] == [
        (admin.id, "org", f"{label}: {on_off[default]} -> {on_off[not default]}")
    ]
    # Setting the same value again changes nothing and records nothing.
    models.change_setting(admin, key, not default)
    assert len(setting_events()) == 1
    # And back.
    models.change_setting(admin, key, default)
    assert getattr(models.load_settings(), key) is default
    assert len(setting_events()) == 2


def test_settings_are_stored_in_the_database(db, db_url, admin) -> None:
    models.change_setting(admin, "improved_duplicate_experience", False)
    models.change_setting(admin, "phone_region", " de ")
    models.close_database()
    models.open_database(db_url)  # a new connection, as another session would have
    settings = models.load_settings()
    assert settings.improved_duplicate_experience is False
    assert settings.phone_region == "DE"
    assert models.settings.phone_region() == "DE"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("auto_create_on_qualify", "yes"),
        ("auto_create_on_qualify", 1),
        ("dup_account_name", None),
        ("phone_region", "ZZ"),
        ("phone_region", ""),
        ("no_such_setting", True),
    ],
)
def test_invalid_setting_values_are_refused(db, admin, key, value) -> None:
    with pytest.raises(ValidationError) as caught:
        models.change_setting(admin, key, value)
    assert key in caught.value.errors
    assert models.load_settings() == OrgSettings()
    assert setting_events() == []


# --- users and roles ----------------------------------------------------------------


def test_roles() -> None:
    assert [r.value for r in Role] == ["salesperson", "sales_manager", "system_administrator"]
    assert Role.SYSTEM_ADMINISTRATOR.label == "System administrator"


def test_create_user_and_role_checks(db) -> None:
    user = models.create_user("  pat.lee ", "", Role.SALES_MANAGER)
    assert (user.username, user.full_name, user.role) == ("pat.lee", "pat.lee", "sales_manager")
    assert not user.is_admin and user.role_label == "Sales manager"
    admin = models.create_user("root-1", "Root", Role.SYSTEM_ADMINISTRATOR)
    assert admin.is_admin
    assert models.get_user("pat.lee").id == user.id

    for username, role, field in [
        ("pat.lee", Role.SALESPERSON, "username"),
        ("bad name!", Role.SALESPERSON, "username"),
        ("", Role.SALESPERSON, "username"),
        ("x" * 65, Role.SALESPERSON, "username"),
        ("newbie", "superuser", "role"),
    ]:
        with pytest.raises(ValidationError) as caught:
            models.create_user(username, "N", role)
        assert field in caught.value.errors
    assert models.User.select().count() == 2


def test_inactive_or_unknown_user_cannot_sign_in(db) -> None:
    models.create_user("gone", "Gone")
    models.deactivate_user("gone")
    with pytest.raises(models.UserInactive, match="'gone' is deactivated"):
        models.get_user("gone")
    with pytest.raises(models.NotFound):
        models.get_user("nobody")
    assert models.authorized_keys("gone") == []


def test_ssh_keys_and_fingerprints(db, tmp_path) -> None:
    key_file = tmp_path / "id"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pat@x", "-f", str(key_file)],
        check=True,
    )
    public = (tmp_path / "id.pub").read_text().strip()
    listed = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(tmp_path / "id.pub")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[1]
    assert models.key_fingerprint(public) == listed

    models.create_user("pat", "Pat")
    first = models.add_user_key("pat", public)
    again = models.add_user_key("pat", public)  # adding twice keeps one
    assert first.id == again.id
    assert models.authorized_keys("pat") == [public]
    for bad in ["", "ssh-ed25519", "ssh-dss AAAA", "ssh-ed25519 !!notbase64!!"]:
        with pytest.raises(ValidationError):
            models.key_fingerprint(bad)
