"""Users and keys (issue 8): the user-name rule, key checks, all-or-nothing creation,
revoking keys, deactivating and reactivating users, and every write service
refusing a deactivated actor. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import inspect
import io
import struct
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncssh
import pytest

import models
import models.users
from models import AuditEvent, PermissionDenied, Role, User, UserInactive, UserKey, ValidationError

from ..conftest import make_lead


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, to assert that a refused call changed nothing."""
    db = models.database_proxy.obj
    return {
        table: [tuple(row) for row in db.execute_sql(f'SELECT * FROM "{table}" ORDER BY 1')]
        for table in sorted(db.get_tables())
    }


def ssh_keygen(tmp_path: Path, name: str, *args: str) -> str:
    path = tmp_path / name
    subprocess.run(
        ["ssh-keygen", "-q", "-N", "", "-C", f"{name}@test", "-f", str(path), *args], check=True
    )
    return (tmp_path / f"{name}.pub").read_text().strip()


def wire(*parts: bytes) -> bytes:
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


def key_line(key_type: str, *parts: bytes, comment: str = "") -> str:
    return f"{key_type} {base64.b64encode(wire(key_type.encode(), *parts)).decode()} {comment}"


ED25519_AS_RSA = key_line("ssh-ed25519", b"\x01" * 32).replace("ssh-ed25519 ", "ssh-rsa ", 1)


# --- user names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["riley", "pat.lee", "root-1", "_svc", "a", "dana_2", "x" * 32, "a.b-c_d"]
)
def test_names_that_follow_the_rule_are_accepted(db, name: str) -> None:
    assert models.create_user(name, "N").username == name


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "A user name is required."),
        ("-bob", "cannot start with '-'"),
        ("Riley", "lowercase, like login names: use 'riley'"),
        ("RILEY", "use 'riley'"),
        ("\u0430dmin", "U+0430 CYRILLIC SMALL LETTER A"),  # Cyrillic a
        ("r\u0456ley", "U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I"),
        ("\uff52iley", "U+FF52 FULLWIDTH LATIN SMALL LETTER R"),
        ("ri\u200bley", "U+200B ZERO WIDTH SPACE"),
        ("bob\x1b[31m", "U+001B"),
        ("bob\n", "U+000A"),
        ("a b", "cannot hold ' '"),
        ("bob/../x", "cannot hold '/'"),
        ("bob@host", "cannot hold '@'"),
        (".hidden", "starts with a lowercase letter or '_'"),
        ("1abc", "starts with a lowercase letter or '_'"),
        ("x" * 33, "at most 32 characters (this one has 33)"),
    ],
)
def test_names_outside_the_rule_are_refused_saying_why(db, name: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        models.create_user(name, "N")
    assert says in caught.value.errors["username"]
    assert "\x1b" not in str(caught.value) and "\u0430" not in str(caught.value)
    assert not User.select().exists()


def test_a_name_differing_only_in_case_from_an_existing_one_is_refused(db) -> None:
    User.create(username="Dana", full_name="Dana Old")  # stored before the rule
    with pytest.raises(ValidationError, match="'Dana' exists \\(only case differs\\)"):
        models.create_user("dana", "Dana New")
    models.create_user("sam", "Sam")
    with pytest.raises(ValidationError, match="'sam' already exists"):
        models.create_user(" sam ", "Sam again")
    assert User.select().count() == 2


def test_existing_names_that_do_not_fit_keep_working(db, tmp_path: Path) -> None:
    """Names stored before the rule are not migrated: they sign in and can be managed."""
    User.create(username="Old.User", full_name="Old", role=Role.SALESPERSON)
    line = ssh_keygen(tmp_path, "old", "-t", "ed25519")
    models.add_user_key("Old.User", line)
    assert models.get_user("Old.User").username == "Old.User"
    assert models.authorized_keys("Old.User") == [line]
    summary = {u.username: u for u in models.list_users()}
    assert summary["Old.User"].name_fits is False and summary["Old.User"].keys == 1
    models.deactivate_user("Old.User")
    assert models.authorized_keys("Old.User") == []
    models.reactivate_user("Old.User")
    assert models.revoke_user_key("Old.User", "old@test").remaining == 0


# --- keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("-t", "ed25519"),
        ("-t", "rsa", "-b", "2048"),
        ("-t", "ecdsa", "-b", "256"),
        ("-t", "ecdsa", "-b", "384"),
        ("-t", "ecdsa", "-b", "521"),
    ],
)
def test_real_keys_are_accepted_with_ssh_keygens_fingerprint(db, tmp_path, args) -> None:
    line = ssh_keygen(tmp_path, "k", *args)
    listed = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(tmp_path / "k.pub")], check=True, capture_output=True
    ).stdout.split()[1]
    assert models.key_fingerprint(line) == listed.decode()
    assert models.public_keys_from_text(line) == [line]
    asyncssh.import_public_key(line)  # what the server does with a stored key


def test_a_security_key_is_accepted_and_the_server_can_read_it(db) -> None:
    line = key_line("sk-ssh-ed25519@openssh.com", b"\x11" * 32, b"ssh:", comment="yubi")
    models.key_fingerprint(line)
    assert asyncssh.import_public_key(line).get_algorithm() == "sk-ssh-ed25519@openssh.com"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("", "it is empty"),
        ("ssh-ed25519", "the key data is missing"),
        ("ssh-dss AAAAB3NzaC1kc3M=", "DSA keys (ssh-dss) are not accepted"),
        ("ssh-ed25519 !!notbase64!!", "base64 data is damaged"),
        ("ssh-ed25519 AAAA", "cut short"),
        (key_line("ssh-ed25519", b"\x01" * 31), "an Ed25519 key is 32 bytes"),
        (key_line("ssh-ed25519", b"\x01" * 32, b"extra"), "extra bytes"),
        (ED25519_AS_RSA, "not a ssh-rsa key"),
        (key_line("ssh-rsa", b"\x01\x00\x01", b"\x00" + b"\xff" * 64), "512 bits is too short"),
        (key_line("ecdsa-sha2-nistp256", b"nistp384", b"\x04" + b"\x01" * 64), "curve nistp256"),
        (key_line("ecdsa-sha2-nistp256", b"nistp256", b"\x02" + b"\x01" * 32), "uncompressed"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "private key or a certificate"),
        ("ssh-ed25519-cert-v01@openssh.com AAAA", "is not an SSH public key type"),
        ("\x1b[2J AAAA", "'\\\\x1b[2J' is not an SSH public key type"),
    ],
)
def test_malformed_keys_are_refused_saying_why(db, line: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        models.key_fingerprint(line)
    assert says in str(caught.value)
    assert "\x1b" not in str(caught.value)


def test_key_files_are_checked_before_use(tmp_path: Path) -> None:
    good = ssh_keygen(tmp_path, "id", "-t", "ed25519")
    cases: dict[str, tuple[bytes | None, str]] = {
        "missing.pub": (None, "Cannot read"),
        "empty.pub": (b"", "holds no public key"),
        "comments.pub": (b"# nothing here\n\n", "holds no public key"),
        "binary.pub": (b"ssh-ed25519 \x00\x01\x02", "holds binary data"),
        "latin1.pub": (b"ssh-ed25519 caf\xe9", "is not text"),
        "huge.pub": (b"#" * (models.users.KEY_FILE_MAX + 1), "larger than 64 KiB"),
        "second-bad.pub": (f"{good}\nssh-ed25519 AAAA\n".encode(), "Line 2 of the file"),
    }
    for name, (data, says) in cases.items():
        if data is not None:
            (tmp_path / name).write_bytes(data)
        with pytest.raises(ValidationError) as caught:
            models.public_keys_from_file(tmp_path / name)
        assert says in str(caught.value), name
    with pytest.raises(ValidationError, match="is a private key: give the public key"):
        models.public_keys_from_file(tmp_path / "id")
    with pytest.raises(ValidationError, match=r"Cannot read .*: Is a directory"):
        models.public_keys_from_file(tmp_path)
    (tmp_path / "authorized_keys").write_text(f"# riley\n{good}\n\n{good}\n")
    assert models.public_keys_from_file(tmp_path / "authorized_keys") == [good, good]


def test_a_user_with_keys_is_created_all_or_nothing(db, tmp_path: Path) -> None:
    good = ssh_keygen(tmp_path, "a", "-t", "ed25519")
    before = snapshot()
    with pytest.raises(ValidationError, match="Not an OpenSSH public key: the key data is cut"):
        models.create_user("dana", "Dana", public_keys=[good, "ssh-ed25519 AAAA"])
    with pytest.raises(ValidationError) as caught:  # both problems are named at once
        models.create_user("Dana", "Dana", role="boss", public_keys=[good])
    assert set(caught.value.errors) == {"username", "role"}
    assert snapshot() == before

    user = models.create_user("dana", "Dana", public_keys=[good])
    assert [k.fingerprint for k in user.keys] == [models.key_fingerprint(good)]
    event = AuditEvent.get(AuditEvent.action == "user_added")
    assert event.entity_id == user.id and models.key_fingerprint(good) in event.summary


def test_a_failure_while_storing_a_key_leaves_no_user(db, tmp_path, monkeypatch) -> None:
    good = ssh_keygen(tmp_path, "a", "-t", "ed25519")
    before = snapshot()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise models.LeadqError("disk full")

    monkeypatch.setattr(models.users, "_store_keys", broken)
    with pytest.raises(models.LeadqError, match="disk full"):
        models.create_user("dana", "Dana", public_keys=[good])
    assert snapshot() == before


def test_adding_keys_is_all_or_nothing_and_kept_once(db, tmp_path: Path) -> None:
    models.create_user("dana", "Dana")
    one, two = (ssh_keygen(tmp_path, n, "-t", "ed25519") for n in ("one", "two"))
    before = snapshot()
    with pytest.raises(ValidationError):
        models.add_user_keys("dana", [one, "ssh-rsa AAAA"])
    with pytest.raises(models.NotFound):
        models.add_user_keys("nobody", [one])
    assert snapshot() == before
    stored = models.add_user_keys("dana", [one, two, one])
    assert [new for _, new in stored] == [True, True, False]
    assert [new for _, new in models.add_user_keys("dana", [two])] == [False]
    assert UserKey.select().count() == 2
    assert AuditEvent.select().where(AuditEvent.action == "key_added").count() == 1


# --- revoking keys -----------------------------------------------------------------------


def test_a_key_is_revoked_by_fingerprint_or_name(db, tmp_path: Path) -> None:
    laptop, phone = (ssh_keygen(tmp_path, n, "-t", "ed25519") for n in ("laptop", "phone"))
    models.create_user("dana", "Dana", public_keys=[laptop, phone])
    fingerprint = models.key_fingerprint(laptop)

    revoked = models.revoke_user_key("dana", fingerprint.removeprefix("SHA256:"))
    assert (revoked.key.fingerprint, revoked.key.name, revoked.remaining) == (
        fingerprint, "laptop@test", 1,
    )  # fmt: skip
    assert models.authorized_keys("dana") == [phone]  # read at each sign-in: gone now
    event = AuditEvent.get(AuditEvent.action == "key_revoked")
    assert fingerprint in event.summary and "laptop@test" in event.summary

    last = models.revoke_user_key("dana", "phone@test")
    assert last.remaining == 0 and models.authorized_keys("dana") == []
    assert models.get_user("dana").active  # still a user, just without keys


def test_revoking_an_unknown_or_ambiguous_key_says_so_and_changes_nothing(db, tmp_path) -> None:
    first = ssh_keygen(tmp_path, "a", "-t", "ed25519", "-C", "laptop")
    second = ssh_keygen(tmp_path, "b", "-t", "ed25519", "-C", "laptop")
    models.create_user("dana", "Dana", public_keys=[first, second])
    models.create_user("sam", "Sam")
    before = snapshot()
    with pytest.raises(ValidationError, match="2 keys of dana are called 'laptop'"):
        models.revoke_user_key("dana", "laptop")
    with pytest.raises(models.NotFound, match="no key named or with the fingerprint 'desk'"):
        models.revoke_user_key("dana", "desk")
    with pytest.raises(models.NotFound, match="sam has no keys"):
        models.revoke_user_key("sam", "laptop")
    with pytest.raises(models.NotFound, match="no leadq user called 'nobody'"):
        models.revoke_user_key("nobody", "laptop")
    # Another user's key is not this user's to revoke.
    with pytest.raises(models.NotFound):
        models.revoke_user_key("sam", models.key_fingerprint(first))
    assert snapshot() == before


# --- deactivating and reactivating ----------------------------------------------------------


def test_deactivating_and_reactivating_a_user_is_audited(db, tmp_path: Path, rep) -> None:
    key = ssh_keygen(tmp_path, "r", "-t", "ed25519")
    models.add_user_key("riley", key)
    user, changed = models.deactivate_user("riley")
    assert changed and not user.active and not User.get_by_id(rep.id).active
    assert models.authorized_keys("riley") == []
    with pytest.raises(UserInactive, match="deactivated and cannot sign in"):
        models.get_user("riley")
    assert models.find_user("riley").id == rep.id
    assert models.deactivate_user("riley")[1] is False  # again: nothing changes

    user, changed = models.reactivate_user("riley")
    assert changed and user.active and models.authorized_keys("riley") == [key]
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions[-2:] == ["user_deactivated", "user_reactivated"]
    events = AuditEvent.select().where(AuditEvent.entity_type == "user")
    assert {e.entity_id for e in events} == {rep.id}


def test_the_last_active_administrator_cannot_be_deactivated(db, admin) -> None:
    before = snapshot()
    with pytest.raises(PermissionDenied, match="ada is the last active system administrator"):
        models.deactivate_user("ada")
    assert snapshot() == before
    models.create_user("otto", "Otto", Role.SYSTEM_ADMINISTRATOR)
    models.deactivate_user("ada")
    with pytest.raises(PermissionDenied, match="otto is the last active"):
        models.deactivate_user("otto")
    models.reactivate_user("ada")
    models.deactivate_user("otto")
    assert [u.username for u in User.select().where(User.active)] == ["ada"]


def test_only_an_active_administrator_manages_users(db, admin, rep) -> None:
    before = snapshot()
    for call in (
        lambda: models.create_user("new", "New", actor=rep),
        lambda: models.deactivate_user("ada", actor=rep),
        lambda: models.revoke_user_key("ada", "x", actor=rep),
    ):
        with pytest.raises(PermissionDenied, match="Only a system administrator"):
            call()
    assert snapshot() == before
    models.create_user("otto", "Otto", Role.SYSTEM_ADMINISTRATOR, actor=admin)
    models.deactivate_user("riley", actor=admin)
    event = AuditEvent.get(AuditEvent.action == "user_deactivated")
    assert event.actor_id == admin.id


class Hold:
    """Make `module.name` (called inside a service's transaction) wait, in the first
    thread that calls it, until `release()` holds or 3 s passed; `entered` is set
    when that thread is inside."""

    def __init__(self, monkeypatch, module: Any, name: str, release: Callable[[], bool]) -> None:
        real = getattr(module, name)
        self.entered = threading.Event()
        owner: list[threading.Thread] = []

        def held(*args: Any, **kwargs: Any) -> Any:
            if not owner:
                owner.append(threading.current_thread())
            if owner[0] is threading.current_thread():
                self.entered.set()
                deadline = time.monotonic() + 3.0
                while not release() and time.monotonic() < deadline:
                    time.sleep(0.02)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, held)


def _in_thread(call: Callable[[], Any], out: dict[str, Any], key: str) -> threading.Thread:
    def run() -> None:
        with models.thread_connection():
            try:
                out[key] = call()
            except Exception as exc:
                out[key] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_administrators_deactivated_at_once_leave_one(db, admin, monkeypatch) -> None:
    """Each deactivation alone is allowed; together they would leave no administrator.
    The first holds its transaction open (after its check) until the second finished
    or 3 s passed: the second must wait for it and then be refused."""
    models.create_user("otto", "Otto", Role.SYSTEM_ADMINISTRATOR)
    out: dict[str, Any] = {}
    hold = Hold(monkeypatch, models.users, "record", lambda: "second" in out)
    first = _in_thread(lambda: models.deactivate_user("ada"), out, "first")
    assert hold.entered.wait(30)
    second = _in_thread(lambda: models.deactivate_user("otto"), out, "second")
    first.join(30)
    second.join(30)
    results = [out["first"], out["second"]]
    refused = [r for r in results if isinstance(r, PermissionDenied)]
    assert len(refused) == 1, results
    assert "last active system administrator" in str(refused[0])
    assert User.select().where(User.active & (User.role == Role.SYSTEM_ADMINISTRATOR)).count() == 1


# --- every write service refuses a deactivated actor -------------------------------------------


def import_csv(actor: User, data: bytes, **options: Any) -> Any:
    return models.import_leads(actor, io.BytesIO(data), "leads.csv", **options)


def _world(tmp_path: Path) -> dict[str, Any]:
    """Two administrators and a rep, the process feature on with a process (a level,
    an activity) assigned to an open lead, a qualified lead with an opportunity and a
    disqualified one; then the administrator `ada` and the rep `riley` deactivated.
    Their User objects are kept, still saying active, as an open session holds them."""
    ada = models.create_user("ada", "Ada", Role.SYSTEM_ADMINISTRATOR)
    otto = models.create_user("otto", "Otto", Role.SYSTEM_ADMINISTRATOR)
    riley = models.create_user("riley", "Riley", Role.SALESPERSON)
    models.change_setting(ada, "lead_qualifying_process", True)
    process = models.create_process(ada, "Standard")
    level = models.add_level(ada, process.id, "Discovery")
    second_level = models.add_level(ada, process.id, "Needs")
    activity = models.add_activity(ada, level.id, purpose="Call", required=False)
    models.add_activity(ada, level.id, purpose="Mail", required=False)
    lead = make_lead(riley)
    models.assign_process(riley, lead.id, process.id)
    lead_activity = models.lead_activities(lead.id)[0]
    done_activity = models.lead_activities(lead.id)[1]
    models.check_off_activity(riley, done_activity.id)
    qualified = models.qualify_lead(riley, make_lead(riley, email="q@x.com", company="Q Inc").id)
    closed = make_lead(riley, email="d@x.com", company="D Inc")
    models.disqualify_lead(riley, closed.id, models.StatusReason.LOST)
    other = models.create_process(ada, "Other")
    idle = models.create_process(ada, "Idle", active=False)
    fresh = make_lead(
        riley, first_name="Fred", last_name="Fresh", email="f@x.com", company="F Inc",
        business_phone="+1 206 555 0100", mobile_phone="", website="https://fresh.example",
    )  # fmt: skip
    spare = make_lead(riley, first_name="Sue", last_name="Spare", email="s@x.com", company="S Inc",
                      business_phone="", mobile_phone="", website="")  # fmt: skip
    gus = make_lead(riley, first_name="Gus", last_name="Second", email="g@x.com", company="G Inc",
                    business_phone="+1 206 555 0111", mobile_phone="", website="https://g.example",
                    street1="", city="")  # fmt: skip
    second = models.qualify_lead(riley, gus.id)
    plain = make_lead(riley, first_name="Pat", last_name="Plain", email="p@x.com",
                      company="P Inc", business_phone="", mobile_phone="", website="")  # fmt: skip
    models.assign_process(riley, plain.id, process.id)
    lone_account = models.create_account(riley, name="Lone Co", ignore_duplicates=True)
    lone_contact = models.create_contact(
        riley, first_name="Lou", last_name="Loner", ignore_duplicates=True
    )
    models.close_opportunity_won(riley, second.opportunity.id, actual_revenue=1000)
    models.create_user("sam", "Sam", Role.SALESPERSON)
    models.add_user_key("otto", ssh_keygen(tmp_path, "k", "-t", "ed25519"))
    key = ssh_keygen(tmp_path, "new", "-t", "ed25519")
    batch = import_csv(riley, b"Topic,Last Name,Email\nBulk,Imported,i@x.com\n").batch_id
    models.deactivate_user("ada")
    models.deactivate_user("riley")
    assert ada.active and riley.active  # the stale objects a session would hold
    return locals()


# Every public service with an `actor`, called as the deactivated user would call it,
# with arguments that would otherwise succeed.
SERVICES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "activate_process": lambda w: models.activate_process(w["ada"], w["idle"].id),
    "add_activity": lambda w: models.add_activity(w["ada"], w["level"].id, purpose="New"),
    "add_level": lambda w: models.add_level(w["ada"], w["process"].id, "New level"),
    "add_note": lambda w: models.add_note(w["riley"], w["lead"], "a note"),
    "add_user_key": lambda w: models.add_user_key("otto", w["key"], actor=w["ada"]),
    "add_user_keys": lambda w: models.add_user_keys("otto", [w["key"]], actor=w["ada"]),
    "assign_process": lambda w: models.assign_process(w["riley"], w["fresh"].id, w["process"].id),
    "change_setting": lambda w: models.change_setting(w["ada"], "auto_create_on_qualify", False),
    "check_off_activity": lambda w: models.check_off_activity(w["riley"], w["lead_activity"].id),
    "copy_process": lambda w: models.copy_process(w["ada"], w["process"].id),
    "create_lead": lambda w: make_lead(w["riley"], email="n@x.com", company="N"),
    "create_process": lambda w: models.create_process(w["ada"], "Brand new"),
    "create_user": lambda w: models.create_user("newbie", "New", actor=w["ada"]),
    "deactivate_process": lambda w: models.deactivate_process(w["ada"], w["process"].id),
    "deactivate_user": lambda w: models.deactivate_user("sam", actor=w["ada"]),
    "delete_lead": lambda w: models.delete_lead(w["riley"], w["lead"].id),
    "delete_process": lambda w: models.delete_process(w["ada"], w["other"].id),
    "disqualify_lead": lambda w: models.disqualify_lead(
        w["riley"], w["lead"].id, models.StatusReason.LOST
    ),
    "import_leads": lambda w: import_csv(w["riley"], b"Topic,Last Name\nNew,Person\n"),
    "undo_import": lambda w: models.undo_import(w["riley"], w["batch"]),
    "merge_accounts": lambda w: models.merge_accounts(
        w["ada"], w["qualified"].account.id, w["second"].account.id
    ),
    "merge_contacts": lambda w: models.merge_contacts(
        w["ada"], w["qualified"].contact.id, w["second"].contact.id, parent_check=False
    ),
    "merge_leads": lambda w: models.merge_leads(w["ada"], w["fresh"].id, [w["spare"].id]),
    "assign_owner": lambda w: models.assign_owner(w["riley"], "lead", [w["lead"].id], w["otto"].id),
    "bulk_update_leads": lambda w: models.bulk_update_leads(
        w["riley"], [w["lead"].id], {"rating": "hot"}
    ),
    "close_opportunity_lost": lambda w: models.close_opportunity_lost(
        w["riley"], w["qualified"].opportunity.id, "out_sold"
    ),
    "close_opportunity_won": lambda w: models.close_opportunity_won(
        w["riley"], w["qualified"].opportunity.id, actual_revenue=10
    ),
    "create_account": lambda w: models.create_account(w["riley"], name="Brand New Co"),
    "create_contact": lambda w: models.create_contact(w["riley"], last_name="Newcomer"),
    "create_lead_checked": lambda w: models.create_lead_checked(
        w["riley"], topic="Checked", last_name="Newcomer"
    ),
    "create_opportunity": lambda w: models.create_opportunity(w["riley"], topic="Deal"),
    "delete_account": lambda w: models.delete_account(w["riley"], w["lone_account"].id),
    "delete_contact": lambda w: models.delete_contact(w["riley"], w["lone_contact"].id),
    "delete_opportunity": lambda w: models.delete_opportunity(
        w["riley"], w["qualified"].opportunity.id
    ),
    "remove_process": lambda w: models.remove_process(w["riley"], w["plain"].id),
    "reopen_opportunity": lambda w: models.reopen_opportunity(
        w["riley"], w["second"].opportunity.id
    ),
    "set_opportunity_step": lambda w: models.set_opportunity_step(
        w["riley"], w["qualified"].opportunity.id, "identify_stakeholders", True
    ),
    "update_account": lambda w: models.update_account(
        w["riley"], w["lone_account"].id, {"name": "Renamed Co"}
    ),
    "update_contact": lambda w: models.update_contact(
        w["riley"], w["lone_contact"].id, {"first_name": "Lew"}
    ),
    "update_opportunity": lambda w: models.update_opportunity(
        w["riley"], w["qualified"].opportunity.id, {"topic": "Renamed deal"}
    ),
    "move_item": lambda w: models.move_item(w["ada"], "level", w["second_level"].id, -1),
    "move_opportunity_stage": lambda w: models.move_opportunity_stage(
        w["riley"], w["qualified"].opportunity.id, 1
    ),
    "qualify_lead": lambda w: models.qualify_lead(w["riley"], w["fresh"].id),
    "qualify_leads": lambda w: models.qualify_leads(w["riley"], [w["fresh"].id]),
    "reactivate_lead": lambda w: models.reactivate_lead(w["riley"], w["closed"].id),
    "reactivate_user": lambda w: models.reactivate_user("riley", actor=w["ada"]),
    "record": lambda w: models.record(w["riley"], "noted", w["lead"], "x"),
    "remove_activity": lambda w: models.remove_activity(w["ada"], w["activity"].id),
    "remove_level": lambda w: models.remove_level(w["ada"], w["second_level"].id),
    "rename_level": lambda w: models.rename_level(w["ada"], w["level"].id, "Renamed"),
    "reopen_activity": lambda w: models.reopen_activity(w["riley"], w["done_activity"].id),
    "revoke_user_key": lambda w: models.revoke_user_key("otto", "k@test", actor=w["ada"]),
    "seed_demo_process": lambda w: models.seed_demo_process(w["ada"]),
    "set_activity_done": lambda w: models.set_activity_done(w["riley"], w["lead_activity"].id),
    "set_default_process": lambda w: models.set_default_process(w["ada"], w["process"].id),
    "set_process_active": lambda w: models.set_process_active(w["ada"], w["process"].id, False),
    "set_user_active": lambda w: models.set_user_active("sam", False, actor=w["ada"]),
    "update_activity": lambda w: models.update_activity(w["ada"], w["activity"].id, purpose="P"),
    "update_lead": lambda w: models.update_lead(w["riley"], w["lead"].id, {"topic": "New"}),
    "update_process": lambda w: models.update_process(w["ada"], w["process"].id, name="Std 2"),
}
READ_ONLY = {"can_delete", "merge_fields"}
BULK = {"qualify_leads", "assign_owner", "bulk_update_leads"}


def test_the_list_covers_every_service_that_takes_an_actor() -> None:
    with_actor = {
        name
        for name in models.__all__
        if inspect.isfunction(getattr(models, name))
        and "actor" in inspect.signature(getattr(models, name)).parameters
    }
    assert with_actor - READ_ONLY == set(SERVICES)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_deactivated_actor_is_refused_and_nothing_changes(db, tmp_path, service) -> None:
    world = _world(tmp_path)
    before = snapshot()
    if service in BULK:  # one outcome per record; each refused
        [outcome] = SERVICES[service](world)
        assert getattr(outcome, "status", "failed") == "failed"
        assert not getattr(outcome, "done", False)
        assert "'riley' is deactivated, so nothing was saved" in outcome.message
    else:
        with pytest.raises(UserInactive) as caught:
            SERVICES[service](world)
        name = "riley" if "riley" in str(caught.value) else "ada"
        assert str(caught.value) == (
            f"The leadq user '{name}' is deactivated, so nothing was saved; "
            "an administrator can reactivate it."
        )
    assert snapshot() == before


def test_a_reactivated_actor_can_write_again(db, tmp_path: Path) -> None:
    world = _world(tmp_path)
    models.reactivate_user("riley")
    assert models.update_lead(world["riley"], world["lead"].id, {"topic": "Back"}).topic == "Back"


def test_a_deactivation_during_a_write_refuses_it(db, rep, monkeypatch) -> None:
    """The actor is checked inside the write's transaction: a deactivation that lands
    while the write is under way either waits for it (SQLite: one writer at a time)
    or makes it fail (PostgreSQL); never a write after the deactivation."""
    lead = make_lead(rep)
    out: dict[str, Any] = {}
    hold = Hold(monkeypatch, models.leads, "record", lambda: "deactivate" in out)
    writer = _in_thread(lambda: models.update_lead(rep, lead.id, {"topic": "Late"}), out, "write")
    assert hold.entered.wait(30)
    deactivator = _in_thread(lambda: models.deactivate_user("riley"), out, "deactivate")
    writer.join(30)
    deactivator.join(30)
    assert not isinstance(out["deactivate"], Exception), out
    events = list(AuditEvent.select().order_by(AuditEvent.id))
    actions = [e.action for e in events]
    if isinstance(out["write"], UserInactive):
        assert "updated" not in actions and models.get_lead(lead.id).topic != "Late"
    else:
        assert not isinstance(out["write"], Exception), out
        assert actions.index("updated") < actions.index("user_deactivated")


def test_an_import_stops_at_the_next_chunk_once_its_user_is_deactivated(db, rep) -> None:
    """An import commits chunk by chunk: each chunk checks the actor, so a deactivation
    during the import lets no later chunk in; what came before stays (and can be
    undone by an administrator)."""
    rows = "".join(f"Lead {i},Person{i},p{i}@x.com\n" for i in range(5))
    data = f"Topic,Last Name,Email\n{rows}".encode()

    def deactivate_after_first_chunk(progress: Any) -> None:
        if progress.rows == 1:
            models.deactivate_user("riley")

    summary = import_csv(rep, data, rows_per_chunk=1, progress=deactivate_after_first_chunk)
    assert (summary.state, summary.created) == ("failed", 1)
    assert "'riley' is deactivated" in summary.message
    assert models.Lead.select().count() == 1
    batch = models.ImportBatch.get_by_id(summary.batch_id)
    assert batch.state == "failed" and batch.created_count == 1
    with pytest.raises(UserInactive):
        import_csv(rep, data)
    assert models.Lead.select().count() == 1
