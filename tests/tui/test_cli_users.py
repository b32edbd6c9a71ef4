"""`leadq user ...` through the real command in a subprocess, on SQLite and PostgreSQL:
one clear line and a non-zero status for every refusal, no traceback, and a
database that did not change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import models

from ..models.test_models_users import snapshot, ssh_keygen

ROOT = Path(__file__).resolve().parents[2]


def leadq(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LEADQ_DB", "LEADQ_USER")}
    return subprocess.run(
        [sys.executable, "-m", "tui", "--db", url, "user", *args],
        capture_output=True, text=True, input=stdin, env=env, cwd=ROOT, timeout=60,
    )  # fmt: skip


def refused(result: subprocess.CompletedProcess, says: str) -> None:
    """Exit status 1 (refused, docs/errors.md), nothing on stdout, one line on stderr
    saying `says`."""
    assert result.returncode == 1, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("leadq: "), result.stderr
    assert says in lines[0], lines[0]
    assert "Traceback" not in result.stderr


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    """Key files: good ones and each kind of bad one."""
    good = ssh_keygen(tmp_path, "id_dana", "-t", "ed25519")
    files = {
        "good": tmp_path / "id_dana.pub",
        "private": tmp_path / "id_dana",
        "missing": tmp_path / "nope.pub",
        "directory": tmp_path,
        "empty": tmp_path / "empty.pub",
        "binary": tmp_path / "binary.pub",
        "malformed": tmp_path / "malformed.pub",
        "second_bad": tmp_path / "second_bad.pub",
        "dsa": tmp_path / "dsa.pub",
    }
    files["empty"].write_bytes(b"")
    files["binary"].write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    files["malformed"].write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB\n")
    files["second_bad"].write_text(f"{good}\nssh-ed25519 !!!\n")
    files["dsa"].write_text("ssh-dss AAAAB3NzaC1kc3MAAACBAP== old@box\n")
    return files


BAD_KEYS = [
    ("missing", "Cannot read {path}: No such file or directory."),
    ("directory", "Cannot read {path}: Is a directory."),
    ("empty", "The file {path} holds no public key."),
    ("binary", "The file {path} holds binary data, not a public key."),
    ("malformed", "Line 1 of the file {path} is not an OpenSSH public key"),
    ("second_bad", "Line 2 of the file {path} is not an OpenSSH public key"),
    ("dsa", "DSA keys (ssh-dss) are not accepted"),
    ("private", "The file {path} is a private key: give the public key (the .pub file)."),
]


@pytest.mark.parametrize(("kind", "says"), BAD_KEYS)
def test_user_add_with_a_bad_key_creates_no_user(db, db_url, keys, kind: str, says: str) -> None:
    before = snapshot()
    result = leadq(db_url, "add", "dana", "--name", "Dana Diaz", "--key", str(keys[kind]))
    refused(result, says.format(path=keys[kind]))
    assert "PRIVATE" not in result.stderr  # a private key is never echoed
    assert snapshot() == before


@pytest.mark.parametrize(("kind", "says"), BAD_KEYS)
def test_add_key_with_a_bad_key_adds_nothing(db, db_url, keys, kind: str, says: str) -> None:
    models.create_user("dana", "Dana Diaz")
    before = snapshot()
    refused(leadq(db_url, "add-key", "dana", str(keys[kind])), says.format(path=keys[kind]))
    assert snapshot() == before


def test_user_add_with_a_good_key_and_add_key(db, db_url, keys, tmp_path: Path) -> None:
    fingerprint = models.key_fingerprint(keys["good"].read_text())
    result = leadq(db_url, "add", "dana", "--name", "Dana Diaz", "--role", "sales_manager",
                   "--key", str(keys["good"]))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Added dana (Sales manager).",
        f"Key {fingerprint} now signs in dana.",
    ]
    assert models.authorized_keys("dana") == [keys["good"].read_text().strip()]

    second = ssh_keygen(tmp_path, "id_phone", "-t", "ecdsa")
    result = leadq(db_url, "add-key", "dana", "-", stdin=f"{second}\n{keys['good'].read_text()}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Key {models.key_fingerprint(second)} now signs in dana.",
        f"Key {fingerprint} already signed in dana; kept once.",
    ]
    assert len(models.authorized_keys("dana")) == 2


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("-bob", "cannot start with '-'"),
        ("Dana", "User names are lowercase, like login names: use 'dana'."),
        ("\u0430dmin", "U+0430 CYRILLIC SMALL LETTER A"),
        ("bob\x1b[2J", "U+001B"),
        ("dana smith", "cannot hold ' '"),
    ],
)
def test_user_add_refuses_a_bad_name(db, db_url, keys, name: str, says: str) -> None:
    before = snapshot()
    result = leadq(db_url, "add", "--key", str(keys["good"]), "--", name)
    refused(result, says)
    assert "\x1b" not in result.stderr
    assert snapshot() == before


def test_add_key_to_an_unknown_user_is_refused(db, db_url, keys) -> None:
    before = snapshot()
    refused(leadq(db_url, "add-key", "nobody", str(keys["good"])), "no leadq user called 'nobody'")
    assert snapshot() == before


def test_revoke_a_key_by_name_or_fingerprint(db, db_url, keys, tmp_path: Path) -> None:
    laptop = ssh_keygen(tmp_path, "laptop", "-t", "ed25519")
    models.create_user("dana", "Dana", public_keys=[keys["good"].read_text(), laptop])
    good = models.key_fingerprint(keys["good"].read_text())

    listed = leadq(db_url, "keys", "dana")
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [
        good, models.key_fingerprint(laptop),
    ]  # fmt: skip
    assert "id_dana@test" in listed.stdout and "ssh-ed25519" in listed.stdout

    result = leadq(db_url, "revoke-key", "dana", "laptop@test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Revoked key {models.key_fingerprint(laptop)} (laptop@test) of dana.",
        "dana still has 1 key(s).",
    ]
    result = leadq(db_url, "revoke-key", "dana", good)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Revoked key {good} (id_dana@test) of dana.",
        "dana has no keys left and can no longer sign in over SSH "
        "(sessions already open go on until they end).",
    ]
    assert models.authorized_keys("dana") == []
    before = snapshot()
    refused(leadq(db_url, "revoke-key", "dana", good), "dana has no keys.")
    assert snapshot() == before


def test_deactivate_reactivate_and_list(db, db_url, keys) -> None:
    models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    models.create_user("dana", "Dana \x1b[31mDiaz", public_keys=[keys["good"].read_text()])
    models.User.create(username="Old Name", full_name="Legacy")  # stored before the rule

    before = snapshot()
    refused(leadq(db_url, "deactivate", "ada"), "ada is the last active system administrator")
    refused(leadq(db_url, "deactivate", "nobody"), "There is no leadq user called 'nobody'.")
    assert snapshot() == before

    result = leadq(db_url, "deactivate", "dana")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Deactivated dana: they cannot sign in")
    assert not models.find_user("dana").active
    again = leadq(db_url, "deactivate", "dana")
    assert again.returncode == 0
    assert again.stdout == "dana was already deactivated; nothing changed.\n"

    listed = leadq(db_url, "list")
    assert listed.returncode == 0
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:]}
    assert rows["ada"].split()[3:5] == ["active", "0"]
    assert rows["dana"].split()[2:4] == ["deactivated", "1"]
    assert "Dana ␛[31mDiaz" in rows["dana"] and "\x1b" not in listed.stdout
    assert "(name predates the naming rule)" in rows["Old"]

    result = leadq(db_url, "reactivate", "dana")
    assert result.returncode == 0
    assert result.stdout == "Reactivated dana: they can sign in again with their keys.\n"
    actions = [e.action for e in models.AuditEvent.select().order_by(models.AuditEvent.id)]
    assert actions[-2:] == ["user_deactivated", "user_reactivated"]


def test_a_deactivated_user_cannot_start_leadq(db, db_url) -> None:
    """The local app (and each served session, which runs it with --user) refuses
    a deactivated user before anything starts."""
    models.create_user("ada", "Ada Admin", models.Role.SYSTEM_ADMINISTRATOR)
    models.create_user("dana", "Dana Diaz")
    models.deactivate_user("dana")
    env = {k: v for k, v in os.environ.items() if k not in ("LEADQ_DB", "LEADQ_USER")}
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--db", db_url, "--user", "dana", "--no-seed"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )  # fmt: skip
    refused(result, "The leadq user 'dana' is deactivated and cannot sign in.")
