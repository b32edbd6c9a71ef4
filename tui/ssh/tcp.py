"""Immediate TCP acknowledgements while an SSH client signs in.

OpenSSH's client leaves Nagle's algorithm on until its session is interactive
(it sets TCP_NODELAY only then), so during the key exchange a small packet it
writes right after another (its KEXINIT then its ECDH init; NEWKEYS then the
service request) is held back until the first one is acknowledged. Linux delays
that acknowledgement by up to 40 ms when the receiver has nothing to send back
(and the server, having just answered, is in its interactive "ping-pong" mode).
Measured on loopback: two such stalls, 80 ms of a 100 ms sign-in. TCP_QUICKACK
switches delayed acknowledgements off, but only until the kernel's own
heuristics switch them on again (after the next reply), so it is set again after
every read, from the connection's first byte until its first session starts.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from typing import Any

_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only


def acknowledge_at_once(conn: Any) -> Callable[[], None]:
    """Have the kernel acknowledge every packet `conn` (an asyncssh connection, its
    transport connected) receives at once; returns the function that stops it."""
    sock = conn.get_extra_info("socket")
    if _QUICKACK is None or sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return lambda: None
    receive = conn.data_received

    def data_received(data: bytes, datatype: object = None) -> None:
        with contextlib.suppress(OSError):  # an ACK still pending is sent now
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        receive(data, datatype)

    conn.data_received = data_received  # asyncio looks it up on each read

    def stop() -> None:
        vars(conn).pop("data_received", None)

    return stop
