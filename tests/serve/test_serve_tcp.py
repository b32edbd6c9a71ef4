"""Immediate TCP acknowledgements while a client signs in (tui/ssh/tcp.py): set again
before each received chunk reaches asyncssh, in order, until the session starts; not
on other sockets."""

from __future__ import annotations

import socket
from typing import Any

from tui.ssh.tcp import acknowledge_at_once

QUICKACK = socket.TCP_QUICKACK  # Linux's, as `leadq serve` is


class RecordingSocket(socket.socket):
    def __init__(self, family: int, events: list[Any]) -> None:
        super().__init__(family, socket.SOCK_STREAM)
        self.events = events

    def setsockopt(self, *args: Any) -> None:  # type: ignore[override]
        self.events.append(("setsockopt", *args))
        super().setsockopt(*args)


class Connection:
    """An asyncssh connection's two parts tcp.py uses."""

    def __init__(self, sock: socket.socket, events: list[Any]) -> None:
        self.sock, self.events = sock, events

    def get_extra_info(self, name: str) -> object:
        return self.sock if name == "socket" else None

    def data_received(self, data: bytes, datatype: object = None) -> None:
        self.events.append(("data", data, datatype))


def test_each_read_is_acknowledged_at_once_until_the_session_starts() -> None:
    events: list[Any] = []
    with RecordingSocket(socket.AF_INET, events) as sock:
        conn = Connection(sock, events)
        stop = acknowledge_at_once(conn)
        conn.data_received(b"kexinit")
        conn.data_received(b"ecdh", None)
        assert events == [
            ("setsockopt", socket.IPPROTO_TCP, QUICKACK, 1), ("data", b"kexinit", None),
            ("setsockopt", socket.IPPROTO_TCP, QUICKACK, 1), ("data", b"ecdh", None),
        ]  # fmt: skip
        stop()
        events.clear()
        conn.data_received(b"keys")
        assert events == [("data", b"keys", None)]
        assert conn.data_received.__func__ is Connection.data_received  # type: ignore[attr-defined]
        stop()  # twice is harmless


def test_a_unix_socket_is_left_alone() -> None:
    events: list[Any] = []
    with RecordingSocket(socket.AF_UNIX, events) as sock:
        conn = Connection(sock, events)
        stop = acknowledge_at_once(conn)
        conn.data_received(b"x")
        stop()
    assert events == [("data", b"x", None)]


def test_an_sftp_session_turns_delayed_acknowledgements_back_on_too() -> None:
    """The switch back is made for whichever session the channel turns out to be:
    an SFTP-only connection does not set TCP_QUICKACK on every read for its life."""
    from tui.ssh.sftp import SessionOrSftp

    events: list[Any] = []
    with RecordingSocket(socket.AF_INET, events) as sock:
        conn = Connection(sock, events)
        stop = acknowledge_at_once(conn)

        class AppSide:
            class connection:  # the app session's connection, as in server.py
                signed_in = staticmethod(stop)

        class SftpSide:
            def session_started(self) -> None:
                events.append(("sftp started",))

        channel = SessionOrSftp(AppSide(), "riley", lambda: None)  # type: ignore[arg-type]
        channel._session = SftpSide()  # the client asked for the sftp subsystem
        channel.session_started()
        conn.data_received(b"put")
    assert events[-2:] == [("sftp started",), ("data", b"put", None)]  # no setsockopt
