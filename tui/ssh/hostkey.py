"""The SSH host key: made once (ed25519) and kept private in the data directory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import asyncssh

import models

HOST_KEY_NAME = "ssh_host_ed25519_key"


class HostKeyError(Exception):
    """The host key cannot be used (e.g. others can read it); str() says how to fix it."""


def host_key_path(directory: Path | None = None) -> Path:
    return (directory or models.data_dir()) / "ssh" / HOST_KEY_NAME


def load_or_create_host_key(directory: Path | None = None) -> asyncssh.SSHKey:
    """The server's private host key, generated on first use.

    The key sits in `<data dir>/ssh/` (mode 0700) as an OpenSSH private key file
    with mode 0600. Like sshd, a key file that group or others can read is refused
    rather than used.
    """
    path = host_key_path(directory)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519", comment="leadq host key")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another server made it at the same moment: use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key.export_private_key())
            return key
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise HostKeyError(
            f"The SSH host key {path} can be read by others (mode {mode:04o}); "
            f"run `chmod 600 {path}` and start again."
        )
    try:
        return asyncssh.read_private_key(str(path))
    except (OSError, asyncssh.KeyImportError) as exc:
        raise HostKeyError(f"Cannot read the SSH host key {path}: {exc}") from None
