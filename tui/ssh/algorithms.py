"""The SSH algorithms `leadq serve` offers: current ones only, changeable per option.

The defaults follow what OpenSSH 9.x offers, minus everything built on SHA-1
(diffie-hellman-group14-sha1, group1, group-exchange-sha1, hmac-sha1, the
`ssh-rsa` signature) and the 64-bit-tag MACs. asyncssh accepts whatever
signature a client's key makes, so `checked_signatures` also makes the server
refuse a user-auth signature whose algorithm is not in the list.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncssh
from asyncssh.encryption import get_encryption_algs
from asyncssh.kex import get_kex_algs
from asyncssh.mac import get_mac_algs
from asyncssh.public_key import get_public_key_algs

KEX = (
    "mlkem768x25519-sha256",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
)
CIPHERS = (
    "chacha20-poly1305@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
)
MACS = (
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "umac-128-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "umac-128@openssh.com",
)
SIGNATURES = (
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
)
"""Signatures accepted from clients' keys (the host key is Ed25519)."""

KINDS = {
    "kex": ("--kex-algorithms", KEX, get_kex_algs),
    "ciphers": ("--ciphers", CIPHERS, get_encryption_algs),
    "macs": ("--macs", MACS, get_mac_algs),
    "signatures": ("--pubkey-algorithms", SIGNATURES, get_public_key_algs),
}


class AlgorithmError(ValueError):
    """An algorithm list that names something unknown or leaves nothing; str() says which."""


def algorithm_list(kind: str, spec: str | None) -> tuple[str, ...]:
    """The list for `kind` from an option value as sshd reads it: `a,b` replaces the
    default list, `+a,b` appends to it, `-a,b` removes from it; None is the default."""
    option, wanted, supported = KINDS[kind]
    known = {alg.decode() for alg in supported()}
    default = tuple(name for name in wanted if name in known)  # some need optional libraries
    if spec is None:
        return default
    spec = spec.strip()
    mode = spec[:1] if spec[:1] in "+-" else ""
    names = [n.strip() for n in spec[len(mode) :].split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise AlgorithmError(
            f"{option}: {', '.join(unknown)} is not an algorithm this server knows; "
            f"it knows {', '.join(sorted(known))}."
        )
    if mode == "+":
        result = (*default, *(n for n in names if n not in default))
    elif mode == "-":
        result = tuple(n for n in default if n not in names)
    else:
        result = tuple(dict.fromkeys(names))
    if not result:
        raise AlgorithmError(f"{option} leaves no algorithm to offer.")
    return result


def _signature_algorithm(signature: bytes) -> bytes:
    """The algorithm name an SSH signature blob starts with (a uint32-length string)."""
    length = int.from_bytes(signature[:4], "big")
    return signature[4 : 4 + length] if 4 + length <= len(signature) else b""


def checked_signatures(key: asyncssh.SSHKey, allowed: Sequence[str]) -> asyncssh.SSHKey:
    """`key`, made to refuse signatures whose algorithm is not in `allowed` (asyncssh
    verifies a client's user-auth signature with this same key object)."""
    names = {name.encode() for name in allowed}
    verify = key.verify

    def verify_allowed(data: bytes, signature: bytes) -> bool:
        return _signature_algorithm(signature) in names and verify(data, signature)

    key.verify = verify_allowed  # type: ignore[method-assign]
    return key
