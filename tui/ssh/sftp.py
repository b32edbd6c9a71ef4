"""The SFTP subsystem of `leadq serve`: each signed-in user reaches their own file
area (models/file_area.py) and nothing else.

asyncssh's own `chroot` maps paths by text and then lets the operating system
follow any link it meets, so it is not used. Here a client's path is reduced
to one file name of the flat area (`..` stops at the area, as in a chroot; a
path with a folder in it names nothing) and every operation goes through
`FileArea`, which opens relative to the area's directory descriptor with
O_NOFOLLOW and keeps the quotas. Links are neither made nor followed nor read,
there are no folders, and permissions stay 0600.

OpenSSH's `sftp` shows only a status code for a failed request ("Permission
denied", "Failure"), so each refusal is also written to the session's stderr,
which the client prints: `leadq: Your file area is limited to 200 MB ...`.

`SessionOrSftp` is the session object `leadq serve` gives every SSH session
channel: a shell request runs the app (`AppSession`), an `sftp` subsystem
request turns the channel into this SFTP server instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import posixpath
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

import asyncssh
from asyncssh.sftp import (
    FXF_APPEND,
    FXF_CREAT,
    FXF_EXCL,
    FXF_READ,
    FXF_TRUNC,
    FXF_WRITE,
    SFTPAttrs,
    SFTPName,
    SFTPVFSAttrs,
)
from asyncssh.stream import SSHServerStreamSession

import models

log = logging.getLogger("leadq.serve")

READ_MAX = 256 * 1024
"""The most one read request returns (a client may ask for 4 GiB in one)."""
OPEN_FILES_MAX = 32
"""Files one SFTP session may hold open at once."""


class _OpenFile:
    def __init__(self, fd: int, name: str, append: bool, created: bool) -> None:
        self.fd = fd
        self.name = name
        self.append = append
        self.created = created
        """This open made the file (an upload): refused halfway, it is removed on close."""
        self.refused = False

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """For asyncssh's ranges extension (where a sparse file has data)."""
        return os.lseek(self.fd, offset, whence)


def _attrs(info: os.stat_result) -> SFTPAttrs:
    """The attributes a client sees: no server uid, gid or account names."""
    attrs = SFTPAttrs.from_local(info)
    attrs.uid = attrs.gid = None
    attrs.owner = attrs.group = None
    return attrs


class AreaSFTPServer(asyncssh.SFTPServer):
    """An SFTP server whose whole world is one user's file area."""

    def __init__(self, chan: asyncssh.SSHServerChannel, area: models.FileArea, username: str):
        super().__init__(chan)
        self.area = area
        self.username = username
        self._open: set[_OpenFile] = set()

    # Telling the client why.
    def _refuse(self, error: Exception, kind: type[asyncssh.SFTPError] | None = None) -> None:
        """Raise the SFTP error for `error`, after saying it on stderr."""
        reason = str(error)
        if kind is None:
            if isinstance(error, models.QuotaExceeded):
                kind = asyncssh.SFTPQuotaExceeded
            elif isinstance(error, models.NameTaken):
                kind = asyncssh.SFTPFileAlreadyExists
            elif reason.startswith("There is no file named"):
                kind = asyncssh.SFTPNoSuchFile
            else:
                kind = asyncssh.SFTPPermissionDenied
        if kind is not asyncssh.SFTPNoSuchFile:
            log.info("sftp (%s): refused: %s", self.username, reason)
            with contextlib.suppress(OSError, asyncssh.Error):
                self.channel.write_stderr(f"leadq: {reason}\r\n".encode())
        raise kind(reason) from None

    def _name(self, path: bytes) -> str | None:
        """The file name `path` names in the area; None for the area itself."""
        try:
            text = path.decode("utf-8")
        except UnicodeDecodeError:
            self._refuse(models.FileAreaError("A file name must be valid UTF-8 text."))
        parts = posixpath.normpath(posixpath.join("/", text)).lstrip("/")
        if not parts:
            return None
        if "/" in parts:
            self._refuse(
                models.FileAreaError(f"There is no file named {text} in your file area."),
                asyncssh.SFTPNoSuchFile,
            )
        try:
            return models.check_name(parts)
        except models.FileAreaError as error:
            self._refuse(error)
        raise AssertionError  # pragma: no cover

    def _file_name(self, path: bytes) -> str:
        name = self._name(path)
        if name is None:
            self._refuse(
                models.FileAreaError("That is your file area itself, not a file in it."),
                asyncssh.SFTPFileIsADirectory,
            )
        assert name is not None
        return name

    async def _run(self, func: Callable[..., Any], *args: Any) -> Any:
        """Run a file operation in a thread (the event loop serves every session)."""
        try:
            return await asyncio.to_thread(func, *args)
        except models.FileAreaError as error:
            self._refuse(error)
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                self._refuse(models.FileAreaError("The server's disk is full."))
            self._refuse(models.FileAreaError(f"The server could not do that: {error.strerror}."))

    # Names and attributes.
    def format_user(self, uid: int | None) -> str:
        return self.username

    def format_group(self, gid: int | None) -> str:
        return "leadq"

    def realpath(self, path: bytes) -> bytes:
        name = self._name(path)
        return b"/" if name is None else b"/" + name.encode("utf-8")

    async def stat(self, path: bytes) -> SFTPAttrs:
        name = self._name(path)
        if name is None:
            return _attrs(await self._run(self.area.directory_stat))
        return _attrs(await self._run(self.area.stat, name))  # never follows a link

    lstat = stat

    async def scandir(self, path: bytes) -> AsyncIterator[SFTPName]:  # type: ignore[override]
        if self._name(path) is not None:
            self._refuse(
                models.FileAreaError("Your file area has no folders."), asyncssh.SFTPNotADirectory
            )
        yield SFTPName(b".", attrs=_attrs(await self._run(self.area.directory_stat)))
        for found in await self._run(self.area.files):
            try:
                info = await self._run(self.area.stat, found.name)
            except asyncssh.SFTPError:
                continue  # removed since the listing
            yield SFTPName(found.name.encode("utf-8"), attrs=_attrs(info))

    # Files.
    async def open(self, path: bytes, pflags: int, attrs: SFTPAttrs) -> _OpenFile:
        name = self._file_name(path)
        if len(self._open) >= OPEN_FILES_MAX:
            self._refuse(
                models.FileAreaError(f"At most {OPEN_FILES_MAX} files can be open at once."),
                asyncssh.SFTPFailure,
            )
        if pflags & FXF_READ and pflags & FXF_WRITE:
            flags = os.O_RDWR
        elif pflags & FXF_WRITE:
            flags = os.O_WRONLY
        else:
            flags = os.O_RDONLY
        for sftp_flag, os_flag in (
            (FXF_APPEND, os.O_APPEND),
            (FXF_CREAT, os.O_CREAT),
            (FXF_TRUNC, os.O_TRUNC),
            (FXF_EXCL, os.O_EXCL),
        ):
            if pflags & sftp_flag:
                flags |= os_flag
        fd, created = await self._run(self._open_locked, name, flags)
        handle = _OpenFile(fd, name, bool(pflags & FXF_APPEND), created)
        self._open.add(handle)
        return handle

    def _open_locked(self, name: str, flags: int) -> tuple[int, bool]:
        """(descriptor, whether this open created the file)."""
        with self.area.locked() as directory:
            try:
                os.stat(name, dir_fd=directory, follow_symlinks=False)
                existed = True
            except FileNotFoundError:
                existed = False
            fd = self.area.open_file(directory, name, flags)
            return fd, bool(flags & os.O_CREAT) and not existed

    def open56(self, *args: object) -> object:
        raise asyncssh.SFTPOpUnsupported("leadq offers SFTP version 3.")

    async def read(self, file_obj: object, offset: int, size: int) -> bytes:
        handle = self._handle(file_obj)
        return await self._run(os.pread, handle.fd, min(size, READ_MAX), offset)

    async def write(self, file_obj: object, offset: int, data: bytes) -> int:
        handle = self._handle(file_obj)
        try:
            await self._run(self._write, handle, offset, data)
        except asyncssh.SFTPError:
            handle.refused = True
            raise
        return len(data)

    def _write(self, handle: _OpenFile, offset: int, data: bytes) -> None:
        self.area.write_at(handle.fd, offset, data, append=handle.append)

    async def close(self, file_obj: object) -> None:
        handle = self._handle(file_obj)
        self._open.discard(handle)
        try:
            if handle.created and handle.refused:
                await asyncio.to_thread(self.area.discard, handle.name, handle.fd)
        except (OSError, models.LeadqError):
            pass
        finally:
            os.close(handle.fd)

    async def fstat(self, file_obj: object) -> SFTPAttrs:
        return _attrs(os.fstat(self._handle(file_obj).fd))

    async def fsync(self, file_obj: object) -> None:
        await self._run(os.fsync, self._handle(file_obj).fd)

    def _handle(self, file_obj: object) -> _OpenFile:
        if not isinstance(file_obj, _OpenFile) or file_obj not in self._open:
            raise asyncssh.SFTPInvalidHandle("Invalid file handle")
        return file_obj

    # Changing attributes: size and times; never owners; permissions stay 0600.
    async def setstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        name = self._file_name(path)
        self._check_attrs(attrs)
        if attrs.size is not None:
            fd, _created = await self._run(self._open_locked, name, os.O_WRONLY)
            try:
                await self._run(self.area.truncate, fd, attrs.size)
            finally:
                os.close(fd)
        if attrs.atime is not None or attrs.mtime is not None:
            info = await self._run(self.area.stat, name)
            times = (attrs.atime or info.st_atime, attrs.mtime or info.st_mtime)
            await self._run(self.area.set_times, name, *times)

    lsetstat = setstat

    async def fsetstat(self, file_obj: object, attrs: SFTPAttrs) -> None:
        handle = self._handle(file_obj)
        self._check_attrs(attrs)
        if attrs.size is not None:
            await self._run(self.area.truncate, handle.fd, attrs.size)
        if attrs.atime is not None or attrs.mtime is not None:
            info = os.fstat(handle.fd)
            times = (attrs.atime or info.st_atime, attrs.mtime or info.st_mtime)
            await self._run(os.utime, handle.fd, times)

    def _check_attrs(self, attrs: SFTPAttrs) -> None:
        if attrs.uid is not None or attrs.gid is not None or attrs.owner or attrs.group:
            self._refuse(models.FileAreaError("Files in your file area keep their owner."))

    # Names in the area.
    async def remove(self, path: bytes) -> None:
        await self._run(self.area.remove, self._file_name(path))

    async def rename(self, oldpath: bytes, newpath: bytes) -> None:
        await self._run(self.area.rename, self._file_name(oldpath), self._file_name(newpath))

    async def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        old, new = self._file_name(oldpath), self._file_name(newpath)
        await self._run(lambda: self.area.rename(old, new, overwrite=True))

    def mkdir(self, path: bytes, attrs: SFTPAttrs) -> None:
        self._refuse(models.FileAreaError("Your file area has no folders."))

    def rmdir(self, path: bytes) -> None:
        self._refuse(models.FileAreaError("Your file area has no folders."))

    def readlink(self, path: bytes) -> bytes:
        self._refuse(models.FileAreaError("Links are not followed in your file area."))
        raise AssertionError  # pragma: no cover

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        self._refuse(models.FileAreaError("Links cannot be made in your file area."))

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        self._refuse(models.FileAreaError("Links cannot be made in your file area."))

    # Space: the quota, not the server's disk.
    async def statvfs(self, path: bytes) -> SFTPVFSAttrs:
        used, count = await self._run(self._usage)
        limits = self.area.limits
        block = 1024
        blocks, free = limits.per_user // block, max(limits.per_user - used, 0) // block
        files_free = max(limits.files - count, 0)
        return SFTPVFSAttrs(
            block, block, blocks, free, free, limits.files, files_free, files_free,
            0, 0, models.FILE_NAME_MAX_BYTES,
        )  # fmt: skip

    def _usage(self) -> tuple[int, int]:
        with self.area.locked() as directory:
            return self.area.usage(directory)

    async def fstatvfs(self, file_obj: object) -> SFTPVFSAttrs:
        self._handle(file_obj)
        return await self.statvfs(b"/")

    def exit(self) -> None:
        for handle in list(self._open):
            os.close(handle.fd)
        self._open.clear()
        log.info("sftp (%s): session ended", self.username)
        # Like OpenSSH's sftp-server exiting 0: scp checks the status.
        with contextlib.suppress(OSError, asyncssh.Error):
            self.channel.exit(0)


class SessionOrSftp(asyncssh.SSHServerSession):
    """An SSH session channel that is the app (`session`), unless the client asks
    for the `sftp` subsystem: then it is an SFTP server on the user's file area.

    `area` makes (or opens) the user's area; it is called only when SFTP is asked
    for. Every other subsystem is left to `session`, which refuses it.
    """

    open_per_user: ClassVar[Counter[str]] = Counter()
    """SFTP sessions open now, by user (this server process)."""

    def __init__(
        self,
        session: asyncssh.SSHServerSession,
        username: str,
        area: Callable[[], models.FileArea],
        max_per_user: int = 10,
    ) -> None:
        self._session: Any = session
        self._app_session: Any = session
        self._username = username
        self._area = area
        self._max_per_user = max_per_user
        self._counted = False
        self._chan: asyncssh.SSHServerChannel | None = None

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self._chan = chan
        self._session.connection_made(chan)

    def subsystem_requested(self, subsystem: str) -> bool:
        if subsystem != "sftp":
            return self._session.subsystem_requested(subsystem)
        if self.open_per_user[self._username] >= self._max_per_user:
            log.warning("sftp (%s): refused, %d open", self._username, self._max_per_user)
            return False
        try:
            area = self._area()
        except models.LeadqError as error:
            log.warning("sftp (%s): no file area: %s", self._username, error)
            return False
        username = self._username

        def server(chan: asyncssh.SSHServerChannel) -> AreaSFTPServer:
            return AreaSFTPServer(chan, area, username)

        stream = SSHServerStreamSession(None, server, sftp_version=3)
        assert self._chan is not None
        stream.connection_made(self._chan)
        self._session = stream
        self.open_per_user[username] += 1
        self._counted = True
        log.info("sftp (%s): session started", username)
        return True

    # Everything else goes to whichever the channel turned out to be.
    def connection_lost(self, exc: Exception | None) -> None:
        self._session.connection_lost(exc)
        if self._counted:
            self._counted = False
            self.open_per_user[self._username] -= 1
        if self._session is not self._app_session:
            # The app session keeps the connection's count of open sessions.
            self._app_session.connection_lost(exc)

    def session_started(self) -> None:
        # Delayed ACKs back on for either kind of session (tcp.py), SFTP included.
        self._app_session.connection.signed_in()
        self._session.session_started()

    def data_received(self, data: Any, datatype: asyncssh.DataType) -> None:
        self._session.data_received(data, datatype)

    def eof_received(self) -> bool:
        return self._session.eof_received()

    def pause_writing(self) -> None:
        self._session.pause_writing()

    def resume_writing(self) -> None:
        self._session.resume_writing()

    def pty_requested(self, term_type: str, term_size: tuple, term_modes: dict) -> bool:
        return self._session.pty_requested(term_type, term_size, term_modes)

    def shell_requested(self) -> bool:
        return self._session.shell_requested()

    def exec_requested(self, command: str) -> bool:
        return self._session.exec_requested(command)

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self._session.terminal_size_changed(width, height, pixwidth, pixheight)

    def break_received(self, msec: int) -> bool:
        return self._session.break_received(msec)

    def signal_received(self, signal: str) -> None:
        self._session.signal_received(signal)

    def soft_eof_received(self) -> None:
        self._session.soft_eof_received()
