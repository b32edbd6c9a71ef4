"""Users, roles and the SSH keys that sign them in.

User names follow the conservative rule of `useradd` (shadow-utils' default
NAME_REGEX): lowercase ASCII letters, digits, `.`, `-` and `_`, starting with a
letter or `_`, at most 32 characters. That keeps out a leading `-` (read as an
option by every command the name is passed to), control characters, look-alikes
of Latin letters from other scripts (Cyrillic U+0430 for `a`), and names that differ
only in case. The rule applies to new names only: a name already stored that does
not fit still signs in and can be managed (`UserSummary.name_fits` says so).

An inactive (deactivated) user cannot sign in, and every service refuses to write
on their behalf: `audit.record`, which every write service calls inside its
transaction, checks the actor first (see `audit.require_active`).
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from peewee import JOIN, fn

from .audit import record
from .db import is_postgres
from .entities import User, UserKey
from .enums import Role
from .errors import NotFound, PermissionDenied, UserInactive, ValidationError, no_raw_errors
from .roles import admin_only

KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
USERNAME_MAX = 32
USERNAME_RULE = re.compile(r"[a-z_][a-z0-9_.-]{0,31}")
KEY_FILE_MAX = 64 * 1024
"""Bytes read from a key file: an authorized_keys file of a few hundred keys."""
RSA_MIN_BITS = 1024  # OpenSSH's RequiredRSASize default


# --- names ------------------------------------------------------------------------


def _describe(char: str) -> str:
    """A character named so that the message itself shows nothing confusable."""
    name = unicodedata.name(char, "")
    if char.isascii() and char.isprintable():
        return repr(char)
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def check_username(username: str) -> str:
    """The user name, checked against the rule above; ValidationError saying what
    is wrong otherwise. Surrounding spaces are dropped."""
    name = (username or "").strip(" ")
    allowed = "lowercase letters a-z, digits, '.', '-' and '_'"
    if not name:
        problem = "A user name is required."
    elif len(name) > USERNAME_MAX:
        problem = f"A user name is at most {USERNAME_MAX} characters (this one has {len(name)})."
    elif bad := next((c for c in name if not c.isascii() or not c.isprintable()), None):
        problem = f"A user name is {allowed}; it cannot hold {_describe(bad)}."
    elif name.lower() != name:
        problem = f"User names are lowercase, like login names: use {name.lower()!r}."
    elif name[0] == "-":
        problem = "A user name cannot start with '-' (commands would read it as an option)."
    elif bad := next((c for c in name if not re.fullmatch(r"[a-z0-9_.-]", c)), None):
        problem = f"A user name is {allowed}; it cannot hold {_describe(bad)}."
    elif not USERNAME_RULE.fullmatch(name):
        problem = "A user name starts with a lowercase letter or '_'."
    else:
        return name
    raise ValidationError({"username": problem})


def username_fits(username: str) -> bool:
    """Whether a stored name follows the current rule (older ones may not)."""
    return USERNAME_RULE.fullmatch(username or "") is not None


def find_user(username: str) -> User:
    """The user called `username`, active or not (for managing users)."""
    user = User.get_or_none(User.username == username)
    if user is None:
        raise NotFound(f"There is no leadq user called {username!r}.")
    return user


def get_user(username: str) -> User:
    """The user signing in as `username`: refused if unknown or deactivated."""
    user = find_user(username)
    if not user.active:
        raise UserInactive(f"The leadq user {username!r} is deactivated and cannot sign in.")
    return user


def current_user(user_id: int) -> User:
    """The signed-in user as stored now (role changes apply at once)."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound("This user no longer exists.")
    return user


# --- public keys --------------------------------------------------------------------


class _Blob:
    """Reads the SSH wire format (RFC 4251 strings) of a public key blob."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def string(self) -> bytes:
        if self.at + 4 > len(self.data):
            raise ValueError("the key data is cut short")
        (length,) = struct.unpack(">I", self.data[self.at : self.at + 4])
        start = self.at + 4
        if start + length > len(self.data):
            raise ValueError("the key data is cut short")
        self.at = start + length
        return self.data[start : self.at]

    def end(self) -> None:
        if self.at != len(self.data):
            raise ValueError("the key data has extra bytes after the key")


_CURVES = {"nistp256": 65, "nistp384": 97, "nistp521": 133}  # uncompressed point sizes


def _check_blob(key_type: str, blob: bytes) -> None:
    """Raise ValueError unless `blob` is a well-formed public key of `key_type`."""
    reader = _Blob(blob)
    if reader.string() != key_type.encode():
        raise ValueError(f"the key data is not a {key_type} key")
    base = key_type.removeprefix("sk-").removesuffix("@openssh.com")
    if base == "ssh-ed25519":
        if len(reader.string()) != 32:
            raise ValueError("an Ed25519 key is 32 bytes")
    elif base == "ssh-rsa":
        exponent, modulus = reader.string(), reader.string()
        bits = int.from_bytes(modulus, "big").bit_length()
        if not exponent or int.from_bytes(exponent, "big") < 3:
            raise ValueError("the RSA exponent is invalid")
        if bits < RSA_MIN_BITS:
            raise ValueError(f"an RSA key of {bits} bits is too short (at least {RSA_MIN_BITS})")
    else:
        curve = base.removeprefix("ecdsa-sha2-")
        if reader.string() != curve.encode():
            raise ValueError(f"the key data does not name the curve {curve}")
        point = reader.string()
        if len(point) != _CURVES[curve] or point[:1] != b"\x04":
            raise ValueError(f"the point is not an uncompressed {curve} point")
    if key_type.startswith("sk-"):
        reader.string()  # the application, usually "ssh:"
    reader.end()


def _parse_key(public_key: str) -> tuple[str, bytes, str]:
    """(type, blob, comment) of an OpenSSH public key line; ValueError saying why not."""
    parts = (public_key or "").strip().split(None, 2)
    if not parts:
        raise ValueError("it is empty")
    key_type = parts[0]
    if key_type not in KEY_TYPES:
        if key_type == "ssh-dss":
            raise ValueError("DSA keys (ssh-dss) are not accepted, as in current OpenSSH")
        if key_type.startswith("-----BEGIN"):
            raise ValueError("it is a private key or a certificate, not a public key")
        shown = key_type[:40].encode("unicode_escape").decode()
        raise ValueError(f"{shown!r} is not an SSH public key type ({', '.join(KEY_TYPES[:3])}...)")
    if len(parts) < 2:
        raise ValueError("the key data is missing after the key type")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the key's base64 data is damaged") from None
    _check_blob(key_type, blob)
    return key_type, blob, parts[2].strip() if len(parts) > 2 else ""


def _fingerprint(blob: bytes) -> str:
    import hashlib  # here: importing it sets up OpenSSL (0.5 MiB), not needed to start

    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def key_fingerprint(public_key: str) -> str:
    """The OpenSSH SHA256 fingerprint of a public key line (`ssh-ed25519 AAAA... comment`)."""
    try:
        _, blob, _ = _parse_key(public_key)
    except ValueError as exc:
        raise ValidationError({"public_key": f"Not an OpenSSH public key: {exc}."}) from None
    return _fingerprint(blob)


def key_name(public_key: str) -> str:
    """The comment at the end of a key line (`riley@laptop`), or ''."""
    parts = (public_key or "").strip().split(None, 2)
    return parts[2].strip() if len(parts) > 2 else ""


def public_keys_from_text(text: str, source: str = "The key") -> list[str]:
    """The key lines in `text` (blank lines and `#` comments skipped), each checked;
    ValidationError naming the first bad line, or saying there is none."""
    keys = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-----BEGIN") and "PRIVATE KEY" in line:
            raise ValidationError(
                {"key": f"{source} is a private key: give the public key (the .pub file)."}
            )
        try:
            _parse_key(line)
        except ValueError as exc:
            where = f"Line {number} of {source.lower()}" if source != "The key" else source
            raise ValidationError(
                {"key": f"{where} is not an OpenSSH public key: {exc}."}
            ) from None
        keys.append(line)
    if not keys:
        raise ValidationError({"key": f"{source} holds no public key."})
    return keys


def public_keys_from_file(path: str | Path) -> list[str]:
    """The checked key lines of a public key file (`~/.ssh/id_ed25519.pub`, or an
    authorized_keys file); ValidationError with one sentence if it cannot be used."""
    shown = str(path)
    label = f"The file {shown}"
    try:
        with open(Path(path).expanduser(), "rb") as handle:
            data = handle.read(KEY_FILE_MAX + 1)
    except OSError as exc:
        raise ValidationError({"key": f"Cannot read {shown}: {exc.strerror or exc}."}) from None
    if len(data) > KEY_FILE_MAX:
        raise ValidationError(
            {"key": f"{label} is larger than {KEY_FILE_MAX // 1024} KiB: not a public key file."}
        )
    if b"\0" in data:
        raise ValidationError({"key": f"{label} holds binary data, not a public key."})
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError({"key": f"{label} is not text, so not a public key."}) from None
    return public_keys_from_text(text, label)


# --- services -----------------------------------------------------------------------


def _db():  # type: ignore[no-untyped-def]
    return User._meta.database


def _require_admin(actor: User | None, what: str) -> None:
    """`actor` None is the operator at the command line (who holds the database)."""
    if actor is not None:
        admin_only(actor, what).enforce()


def _lock_user(username: str) -> User:
    """The user row, locked against concurrent changes for this transaction."""
    query = User.select().where(User.username == username)
    if is_postgres():
        query = query.for_update()
    user = query.first()
    if user is None:
        raise NotFound(f"There is no leadq user called {username!r}.")
    return user


def _store_keys(user: User, lines: Sequence[str]) -> list[tuple[UserKey, bool]]:
    """Store the (already checked) key lines; (key, newly added) for each."""
    out: list[tuple[UserKey, bool]] = []
    for line in lines:
        fingerprint = key_fingerprint(line)
        existing = UserKey.get_or_none(
            (UserKey.user == user) & (UserKey.fingerprint == fingerprint)
        )
        if existing is not None:
            out.append((existing, False))
            continue
        key = UserKey.create(user=user, public_key=line.strip(), fingerprint=fingerprint)
        out.append((key, True))
    return out


@no_raw_errors
def create_user(
    username: str,
    full_name: str,
    role: str = Role.SALESPERSON,
    *,
    public_keys: Iterable[str] = (),
    actor: User | None = None,
) -> User:
    """Create a user, with `public_keys` if given: all of it or, if anything is
    invalid (the name, the role, any key), nothing."""
    errors: dict[str, str] = {}
    try:
        username = check_username(username)
    except ValidationError as exc:
        errors.update(exc.errors)
    if role not in set(Role):
        errors["role"] = "The role is one of: " + ", ".join(r.value for r in Role) + "."
    keys = list(public_keys)
    for line in keys:
        try:
            key_fingerprint(line)
        except ValidationError as exc:
            errors.setdefault("key", exc.errors["public_key"])
    if errors:
        raise ValidationError(errors)
    _require_admin(actor, "add users")
    with _db().atomic():
        same = User.get_or_none(fn.LOWER(User.username) == username)
        if same is not None:
            taken = "already exists" if same.username == username else "exists (only case differs)"
            raise ValidationError({"username": f"The user {same.username!r} {taken}."})
        user = User.create(username=username, full_name=(full_name or username).strip(), role=role)
        stored = _store_keys(user, keys)
        summary = f"Added user {username} ({user.role_label})"
        if stored:
            summary += f" with {len(stored)} key(s): " + ", ".join(k.fingerprint for k, _ in stored)
        record(actor, "user_added", user, summary)
    return user


@no_raw_errors
def add_user_keys(
    username: str, public_keys: Sequence[str], *, actor: User | None = None
) -> list[tuple[UserKey, bool]]:
    """Add key lines to a user: all of them or, if one is invalid, none. A key the
    user already has is kept once ((key, False) in the result)."""
    for line in public_keys:
        key_fingerprint(line)
    if not public_keys:
        raise ValidationError({"key": "No public key given."})
    _require_admin(actor, "add keys")
    with _db().atomic():
        user = _lock_user(username)
        stored = _store_keys(user, public_keys)
        added = [key.fingerprint for key, new in stored if new]
        if added:
            record(actor, "key_added", user, f"Added key(s) of {username}: " + ", ".join(added))
    return stored


@no_raw_errors
def add_user_key(username: str, public_key: str, *, actor: User | None = None) -> UserKey:
    return add_user_keys(username, [public_key], actor=actor)[0][0]


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    key_type: str
    name: str
    """The key's comment (`riley@laptop`): user data, show it literally."""
    added_at: object


def _key_info(key: UserKey) -> KeyInfo:
    key_type = (key.public_key.split(None, 1) or ["?"])[0]
    return KeyInfo(key.fingerprint, key_type, key_name(key.public_key), key.added_at)


def user_keys(username: str) -> list[KeyInfo]:
    """A user's keys, oldest first."""
    user = find_user(username)
    query = UserKey.select().where(UserKey.user == user).order_by(UserKey.added_at, UserKey.id)
    return [_key_info(key) for key in query]


@dataclass(frozen=True)
class RevokedKey:
    key: KeyInfo
    remaining: int
    """Keys the user still has: 0 means they can no longer sign in with a key."""


def _pick_key(user: User, which: str) -> UserKey:
    which = (which or "").strip()
    keys = list(UserKey.select().where(UserKey.user == user).order_by(UserKey.id))
    wanted = which if which.startswith("SHA256:") else f"SHA256:{which}"
    matches = [k for k in keys if k.fingerprint == wanted]
    if not matches:
        matches = [k for k in keys if key_name(k.public_key) == which]
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = ", ".join(k.fingerprint for k in matches)
        raise ValidationError(
            {
                "key": f"{len(matches)} keys of {user.username} are called {which!r}: "
                f"give the fingerprint of one ({listed})."
            }
        )
    if not keys:
        raise NotFound(f"{user.username} has no keys.")
    raise NotFound(
        f"{user.username} has no key named or with the fingerprint {which!r} "
        f"(`leadq user keys {user.username}` lists them)."
    )


@no_raw_errors
def revoke_user_key(username: str, which: str, *, actor: User | None = None) -> RevokedKey:
    """Remove one of a user's keys, named by its fingerprint (`SHA256:...`, the
    prefix may be left out) or its comment. Keys are read at each sign-in, so the
    key stops working at the next one; a session already open goes on (as with
    sshd and authorized_keys)."""
    _require_admin(actor, "revoke keys")
    with _db().atomic():
        user = _lock_user(username)
        key = _pick_key(user, which)
        info = _key_info(key)
        UserKey.delete().where(UserKey.id == key.id).execute()
        remaining = UserKey.select().where(UserKey.user == user).count()
        label = f" ({info.name})" if info.name else ""
        record(actor, "key_revoked", user, f"Revoked key {info.fingerprint}{label} of {username}")
    return RevokedKey(info, remaining)


def _other_active_admins(user: User) -> int:
    """Active administrators besides `user`, their rows locked on PostgreSQL so that
    two deactivations at once cannot both pass (SQLite's BEGIN IMMEDIATE already
    serialises writers)."""
    query = User.select(User.id).where(
        (User.role == Role.SYSTEM_ADMINISTRATOR) & (User.active == True)  # noqa: E712
    )
    if is_postgres():
        query = query.order_by(User.id).for_update()
    return sum(1 for row in query if row.id != user.id)


@no_raw_errors
def set_user_active(username: str, active: bool, *, actor: User | None = None) -> tuple[User, bool]:
    """Deactivate or reactivate a user; (user, whether it changed). The last active
    system administrator cannot be deactivated."""
    _require_admin(actor, "deactivate or reactivate users")
    with _db().atomic():
        user = _lock_user(username)
        if user.active == active:
            return user, False
        if not active and user.is_admin and _other_active_admins(user) == 0:
            raise PermissionDenied(
                f"{username} is the last active system administrator: add another one "
                "(`leadq user add NAME --role system_administrator`) or reactivate one "
                "first, or nobody could manage leadq's settings."
            )
        User.update(active=active).where(User.id == user.id).execute()
        user.active = active
        verb = "Reactivated" if active else "Deactivated"
        action = "user_reactivated" if active else "user_deactivated"
        record(actor, action, user, f"{verb} user {username} ({user.full_name})")
    return user, True


@no_raw_errors
def deactivate_user(username: str, *, actor: User | None = None) -> tuple[User, bool]:
    """Stop a user signing in and acting: refused at the next sign-in, refused by
    every service at once, and open sessions end within a poll interval."""
    return set_user_active(username, False, actor=actor)


@no_raw_errors
def reactivate_user(username: str, *, actor: User | None = None) -> tuple[User, bool]:
    return set_user_active(username, True, actor=actor)


@dataclass(frozen=True)
class UserSummary:
    username: str
    full_name: str
    role_label: str
    active: bool
    keys: int
    name_fits: bool
    """False for a name stored before the current rule that does not follow it."""


def list_users() -> list[UserSummary]:
    """Every user with their key count, by name (one query)."""
    query = (
        User.select(User, fn.COUNT(UserKey.id).alias("key_count"))
        .join(UserKey, JOIN.LEFT_OUTER, on=(UserKey.user == User.id))
        .group_by(User.id)
        .order_by(User.username)
    )
    return [
        UserSummary(
            user.username,
            user.full_name,
            user.role_label,
            bool(user.active),
            user.key_count,
            username_fits(user.username),
        )
        for user in query
    ]


def authorized_keys(username: str) -> list[str]:
    """The public key lines that may sign in as `username` (empty if unknown or
    deactivated). Read at each sign-in: a revoked key stops working at once."""
    user = User.get_or_none((User.username == username) & (User.active == True))  # noqa: E712
    if user is None:
        return []
    return [k.public_key for k in user.keys]


def active_users() -> list[tuple[int, str, str]]:
    """(id, name, role label) of every active user, by name: whom records can be
    assigned to."""
    users = User.select().where(User.active == True).order_by(User.full_name, User.id)  # noqa: E712
    return [(user.id, str(user), user.role_label) for user in users]


def has_users() -> bool:
    """Whether the database has any user yet (a first run seeds or asks for one)."""
    return User.select().exists()


def first_active_admin() -> User | None:
    """The oldest active system administrator, the local app's fallback user."""
    return (
        User.select()
        .where((User.role == Role.SYSTEM_ADMINISTRATOR) & User.active)
        .order_by(User.id)
        .first()
    )


def is_active_user(username: str) -> bool:
    """Whether `username` names an active user (SSH sign-in asks this)."""
    return User.select().where((User.username == username) & User.active).exists()


def usernames_by_id() -> dict[int, str]:
    """Every user's name by id, in one query (for output that names owners)."""
    return {u.id: u.username for u in User.select(User.id, User.username)}
