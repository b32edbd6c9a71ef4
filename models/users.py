"""Users, roles and the SSH keys that sign them in."""

from __future__ import annotations

import base64
import binascii
import hashlib

from .entities import User, UserKey
from .enums import Role
from .errors import NotFound, ValidationError

KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


def get_user(username: str) -> User:
    user = User.get_or_none(User.username == username)
    if user is None or not user.active:
        raise NotFound(f"There is no leadq user called {username!r}.")
    return user


def create_user(username: str, full_name: str, role: str = Role.SALESPERSON) -> User:
    username = (username or "").strip()
    errors = {}
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        errors["username"] = "A user name is letters, digits, '.', '-' or '_'."
    elif len(username) > 64:
        errors["username"] = "A user name is at most 64 characters."
    elif User.get_or_none(User.username == username) is not None:
        errors["username"] = f"The user {username!r} already exists."
    if role not in set(Role):
        errors["role"] = "The role is one of: " + ", ".join(r.value for r in Role) + "."
    if errors:
        raise ValidationError(errors)
    return User.create(username=username, full_name=(full_name or username).strip(), role=role)


def key_fingerprint(public_key: str) -> str:
    """The OpenSSH SHA256 fingerprint of a public key line (`ssh-ed25519 AAAA... comment`)."""
    parts = (public_key or "").split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise ValidationError(
            {"public_key": "Not an OpenSSH public key (expected e.g. 'ssh-ed25519 AAAA...')."}
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"public_key": "The key's base64 data is damaged."}) from None
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def add_user_key(username: str, public_key: str) -> UserKey:
    user = get_user(username)
    fingerprint = key_fingerprint(public_key)
    existing = UserKey.get_or_none((UserKey.user == user) & (UserKey.fingerprint == fingerprint))
    if existing is not None:
        return existing
    return UserKey.create(user=user, public_key=public_key.strip(), fingerprint=fingerprint)


def authorized_keys(username: str) -> list[str]:
    """The public key lines that may sign in as `username` (empty if unknown)."""
    user = User.get_or_none((User.username == username) & (User.active == True))  # noqa: E712
    if user is None:
        return []
    return [k.public_key for k in user.keys]
