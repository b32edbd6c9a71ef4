"""`leadq user ...`: add users and keys, revoke keys, deactivate and reactivate users.

Every change goes through the services in models/users.py (which check names and
keys, keep the last administrator and write audit events); this module only
parses arguments and prints one line per outcome. Errors are `LeadqError`s, which
`leadq` prints as one sentence with a non-zero exit status.
"""

from __future__ import annotations

import argparse
import sys

ROLES = ["salesperson", "sales_manager", "system_administrator"]


def add_user_parser(sub: argparse._SubParsersAction) -> None:
    user = sub.add_parser("user", help="manage leadq users and their SSH keys")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    key_help = "an OpenSSH public key file (id_ed25519.pub, or authorized_keys); - reads stdin"
    add = user_sub.add_parser("add", help="add a user (and their SSH public keys)")
    add.add_argument("username", help="lowercase letters, digits, '.', '-', '_' (max. 32)")
    add.add_argument("--name", help="full name")
    add.add_argument("--role", default="salesperson", choices=ROLES)
    add.add_argument("--key", metavar="FILE", help=key_help)
    addkey = user_sub.add_parser("add-key", help="add SSH public keys to a user")
    addkey.add_argument("username")
    addkey.add_argument("key", metavar="FILE", help=key_help)
    keys = user_sub.add_parser("keys", help="list a user's SSH keys")
    keys.add_argument("username")
    revoke = user_sub.add_parser("revoke-key", help="remove one of a user's SSH keys")
    revoke.add_argument("username")
    revoke.add_argument("key", metavar="KEY", help="its fingerprint (SHA256:...) or its name")
    for name, verb in (("deactivate", "stop"), ("reactivate", "let")):
        action = user_sub.add_parser(name, help=f"{verb} a user signing in and acting")
        action.add_argument("username")
    user_sub.add_parser("list", help="list users: role, active or not, key count")


def _read_keys(path: str) -> list[str]:
    import models

    if path == "-":
        return models.public_keys_from_text(sys.stdin.read(), "The standard input")
    return models.public_keys_from_file(path)


def _show(text: str) -> str:
    from .widgets.literal import printable  # names and key comments are user data

    return printable(text)


def _print_keys(username: str, stored: list) -> None:  # list[tuple[UserKey, bool]]
    for key, new in stored:
        if new:
            print(f"Key {key.fingerprint} now signs in {_show(username)}.")
        else:
            print(f"Key {key.fingerprint} already signed in {_show(username)}; kept once.")


def _list() -> int:
    import models

    users = models.list_users()
    if not users:
        print("No users yet: add one with `leadq user add NAME --key FILE`.")
        return 0
    print(f"{'USER':20} {'ROLE':22} {'STATUS':12} {'KEYS':>4}  NAME")
    for user in users:
        status = "active" if user.active else "deactivated"
        note = "" if user.name_fits else "  (name predates the naming rule)"
        print(
            f"{_show(user.username):20} {user.role_label:22} {status:12} {user.keys:>4}  "
            f"{_show(user.full_name)}{note}"
        )
    return 0


def _keys(username: str) -> int:
    import models

    keys = models.user_keys(username)
    if not keys:
        print(f"{_show(username)} has no keys: add one with `leadq user add-key {username} FILE`.")
        return 0
    for key in keys:
        added = f"{key.added_at:%Y-%m-%d}" if key.added_at else ""
        print(f"{key.fingerprint}  {key.key_type:20} {added}  {_show(key.name)}")
    return 0


def _revoke(username: str, which: str) -> int:
    import models

    revoked = models.revoke_user_key(username, which)
    name = f" ({_show(revoked.key.name)})" if revoked.key.name else ""
    print(f"Revoked key {revoked.key.fingerprint}{name} of {_show(username)}.")
    if revoked.remaining == 0:
        print(
            f"{_show(username)} has no keys left and can no longer sign in over SSH "
            f"(sessions already open go on until they end)."
        )
    else:
        print(f"{_show(username)} still has {revoked.remaining} key(s).")
    return 0


def _set_active(username: str, active: bool) -> int:
    import models

    user, changed = models.set_user_active(username, active)
    name = _show(user.username)
    if not changed:
        print(f"{name} was already {'active' if active else 'deactivated'}; nothing changed.")
    elif active:
        print(f"Reactivated {name}: they can sign in again with their keys.")
    else:
        print(
            f"Deactivated {name}: they cannot sign in, nothing is saved on their behalf, "
            "and their open sessions end within a few seconds."
        )
    return 0


def user_command(args: argparse.Namespace) -> int:
    import models

    command = args.user_command
    if command == "list":
        return _list()
    if command == "keys":
        return _keys(args.username)
    if command == "revoke-key":
        return _revoke(args.username, args.key)
    if command in ("deactivate", "reactivate"):
        return _set_active(args.username, command == "reactivate")
    if command == "add":
        # Everything is read and checked before anything is written, and the user
        # and their keys are created in one transaction: a bad key creates no user.
        keys = _read_keys(args.key) if args.key else []
        user = models.create_user(
            args.username, args.name or args.username, args.role, public_keys=keys
        )
        print(f"Added {_show(user.username)} ({user.role_label}).")
        for key in models.user_keys(user.username):
            print(f"Key {key.fingerprint} now signs in {_show(user.username)}.")
        if not keys:
            print(f"{_show(user.username)} has no key yet: `leadq user add-key NAME FILE`.")
        return 0
    if command == "add-key":
        keys = _read_keys(args.key)
        user = models.find_user(args.username)
        _print_keys(user.username, models.add_user_keys(user.username, keys))
        if not user.active:
            print(f"{_show(user.username)} is deactivated: the keys work once reactivated.")
        return 0
    raise AssertionError(command)
