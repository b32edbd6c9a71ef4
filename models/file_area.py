"""A per-user file area: the only files a served session (SSH or web) can reach.

`leadq serve` gives each leadq user one flat directory, `<files dir>/<user>/`
(mode 0700). A served session attaches files from it, saves attachments and
screenshots into it, and its SFTP subsystem (tui/ssh/sftp.py) moves files in
and out of it. Nothing else on the server is reachable, so the rules live here,
for the app and the SFTP server alike:

- A file is named by a name, never a path: no `/` or `\\`, no leading dot (so
  no `.`, `..` or hidden files), no NUL, control or invisible format characters,
  no leading or trailing space, at most 255 bytes of UTF-8.
- Every file is opened relative to a descriptor of the area directory with
  O_NOFOLLOW, then checked on the open descriptor (a regular file with a single
  link): a symlink or hard link planted in the area is never followed, and there
  is no window between a check and the open for it to appear in.
- Quotas: a size limit per file, per user (all files together) and a number of
  files, checked and written under an exclusive lock on the area directory, so
  two sessions writing at once cannot both fit in the space one of them has.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import time
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .area_env import AREA_ENV, AREA_FD_ENV, LIMITS_ENV, area_given
from .errors import LeadqError

MB = 1024 * 1024
NAME_MAX_BYTES = 255
_PARTIAL_PREFIX = ".leadq-partial-"
_PARTIAL_STALE_SECONDS = 3600
_OPEN_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_NAME_TROUBLE = re.compile(r"[/\\\x00]")


class FileAreaError(LeadqError):
    """A file name or an operation the file area refuses; `str()` says why."""


class NameTaken(FileAreaError):
    """A file of that name is already in the area (nothing is overwritten)."""


class QuotaExceeded(FileAreaError):
    """The file, or the user's files together, would exceed a limit."""


def size_text(size: int) -> str:
    """25 MB, 1.5 MB, 300 KB, 12 bytes: sizes as the messages say them."""
    if size >= MB:
        return f"{size / MB:.1f}".removesuffix(".0") + " MB"
    if size >= 1024:
        return f"{size / 1024:.1f}".removesuffix(".0") + " KB"
    return "1 byte" if size == 1 else f"{size} bytes"


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes from `25M`, `200MB`, `1.5G`, `512k` or a plain number of bytes."""
    found = _SIZE.match(text or "")
    if found is None:
        raise FileAreaError(f"{text!r} is not a size: write e.g. 25M, 200MB, 1G or 4096.")
    number, unit = float(found.group(1)), found.group(2).lower()
    return int(number * {"": 1, "k": 1024, "m": MB, "g": 1024 * MB}[unit])


@dataclass(frozen=True)
class FileLimits:
    """What one user's area may hold."""

    per_file: int = 25 * MB
    per_user: int = 200 * MB
    files: int = 1000

    def __post_init__(self) -> None:
        if self.per_file <= 0 or self.per_user <= 0 or self.files <= 0:
            raise FileAreaError("File limits must be positive (a size per file, per user, files).")

    def encode(self) -> str:
        return f"{self.per_file}:{self.per_user}:{self.files}"

    @classmethod
    def decode(cls, text: str) -> FileLimits:
        try:
            per_file, per_user, files = (int(part) for part in text.split(":"))
        except ValueError:
            raise FileAreaError(f"{LIMITS_ENV} is not per_file:per_user:files bytes.") from None
        return cls(per_file, per_user, files)


@dataclass(frozen=True)
class AreaFile:
    """A file in an area, as a list shows it."""

    name: str
    size: int
    modified: float


def check_name(name: str) -> str:
    """`name` if it can name a file in an area; otherwise FileAreaError saying why."""
    if not isinstance(name, str) or not name:
        raise FileAreaError("Give the file a name.")
    trouble = _NAME_TROUBLE.search(name)
    if trouble is not None:
        char = trouble.group()
        if char == "\x00":
            raise FileAreaError("A file name cannot contain a NUL character (\\0).")
        shown = "/" if char == "/" else "\\"
        raise FileAreaError(
            f"A file name cannot contain {shown}: give a name, not a path "
            "(your file area has no folders)."
        )
    if name.startswith("."):
        raise FileAreaError("A file name cannot start with a dot.")
    if name != name.strip():
        raise FileAreaError("A file name cannot start or end with a space.")
    for char in name:
        category = unicodedata.category(char)
        if category == "Cs":
            raise FileAreaError("A file name must be valid UTF-8 text.")
        if category in ("Cc", "Cf", "Zl", "Zp"):
            raise FileAreaError(
                f"A file name cannot contain control or invisible characters (U+{ord(char):04X})."
            )
    if len(name.encode("utf-8")) > NAME_MAX_BYTES:
        raise FileAreaError(f"A file name is at most {NAME_MAX_BYTES} bytes long.")
    return name


def _taken(name: str) -> str:
    return f"{name} already exists in your file area; choose another name."


def _quota_message(used: int, adding: int, limit: int) -> str:
    return (
        f"Your file area is limited to {size_text(limit)} and holds {size_text(used)}; "
        f"{size_text(adding)} more does not fit. Delete files to make room."
    )


class FileArea:
    """One user's file area: a flat directory and its limits.

    Every operation opens the directory afresh (`O_DIRECTORY | O_NOFOLLOW`) and
    works relative to that descriptor, so nothing here ever resolves a path
    given by a user.
    """

    def __init__(
        self, root: Path, limits: FileLimits | None = None, *, descriptor: int | None = None
    ) -> None:
        self.root = Path(root)
        self.limits = limits or FileLimits()
        self._descriptor = descriptor
        """An open descriptor of the area directory, used instead of `root` when set."""

    @classmethod
    def for_user(
        cls,
        base: Path,
        username: str,
        limits: FileLimits | None = None,
        *,
        owner: tuple[int, int] | None = None,
    ) -> FileArea:
        """The area of `username` under `base`, created (0700) if it is missing.

        `owner` (uid, gid) hands the directories to the account the sessions run
        as, when the server runs as root.
        """
        try:
            check_name(username)
        except FileAreaError:
            raise FileAreaError(f"The user name {username!r} cannot name a file area.") from None
        base = Path(base)
        root = base / username
        try:
            for directory in (base, root):
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
                if owner is not None:
                    os.chown(directory, *owner, follow_symlinks=False)
        except OSError as exc:
            problem = f"Cannot make the file area for {username}: {exc.strerror}."
            raise FileAreaError(problem) from None
        area = cls(root, limits)
        with area._directory() as fd:
            if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
                with contextlib.suppress(OSError):
                    os.fchmod(fd, 0o700)
        return area

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> FileArea | None:
        """The session's area when `leadq serve` started it, else None (a local run)."""
        env = os.environ if env is None else env
        if not area_given(env):
            return None
        root, descriptor = env.get(AREA_ENV), env.get(AREA_FD_ENV)
        limits_text = env.get(LIMITS_ENV)
        limits = FileLimits.decode(limits_text) if limits_text else FileLimits()
        if descriptor:
            try:
                number = int(descriptor)
            except ValueError:
                raise FileAreaError(f"{AREA_FD_ENV} is not a descriptor number.") from None
            area = cls(Path(f"/proc/self/fd/{number}"), limits, descriptor=number)
        else:
            area = cls(Path(root or ""), limits)
        with area._directory():
            pass  # fail now, with a sentence, rather than at the first attach
        return area

    def open_descriptor(self) -> int:
        """A new descriptor of the area directory (close-on-exec; hand it to a session
        with `pass_fds`, and close it once the session has started)."""
        with self._directory() as fd:
            return os.dup(fd)

    # The directory and its lock.
    @contextlib.contextmanager
    def _directory(self) -> Iterator[int]:
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            if self._descriptor is not None:
                # A description of its own (for flock), without any path lookup.
                fd = os.open(".", flags, dir_fd=self._descriptor)
            else:
                fd = os.open(self.root, flags)
        except OSError as exc:
            raise FileAreaError(
                f"Your file area cannot be opened ({exc.strerror}); ask the administrator."
            ) from None
        try:
            yield fd
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def locked(self) -> Iterator[int]:
        """The area directory's descriptor, held under an exclusive lock (all writers
        of this area, in any process, take it before checking a quota)."""
        with self._directory() as fd:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield fd
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    # Reading the directory.
    @staticmethod
    def _entries(fd: int) -> Iterator[tuple[str, os.stat_result]]:
        with os.scandir(fd) as scan:
            for entry in scan:
                with contextlib.suppress(OSError):
                    yield entry.name, entry.stat(follow_symlinks=False)

    def usage(self, fd: int) -> tuple[int, int]:
        """(bytes, entries) the area holds; stale partial writes are removed on the way."""
        used = count = 0
        now = time.time()
        for name, info in self._entries(fd):
            if name.startswith(_PARTIAL_PREFIX) and now - info.st_mtime > _PARTIAL_STALE_SECONDS:
                with contextlib.suppress(OSError):
                    os.unlink(name, dir_fd=fd)
                continue
            count += 1
            if stat.S_ISREG(info.st_mode):
                used += info.st_size
        return used, count

    def files(self) -> list[AreaFile]:
        """The files a user can use: regular files with a valid name and one link,
        by name. Links, folders and hidden names are left out."""
        found = []
        with self._directory() as fd:
            for name, info in self._entries(fd):
                if _usable(name, info):
                    found.append(AreaFile(name, info.st_size, info.st_mtime))
        return sorted(found, key=lambda f: (f.name.casefold(), f.name))

    def used(self) -> int:
        with self._directory() as fd:
            return self.usage(fd)[0]

    # Opening files.
    def open_file(self, fd: int, name: str, flags: int = os.O_RDONLY, mode: int = 0o600) -> int:
        """A descriptor of `name` in the area whose directory descriptor is `fd`.

        The name is checked, the open never follows a link, and the opened file
        must be a regular file with a single link. Creating a file counts
        against the number of files (the caller holds the lock for that).
        """
        check_name(name)
        creating = bool(flags & os.O_CREAT)
        if creating and not _exists(fd, name):
            _used, count = self.usage(fd)
            if count >= self.limits.files:
                raise QuotaExceeded(
                    f"Your file area holds {count} files, the most it may hold; "
                    "delete some to make room."
                )
        # O_TRUNC would act before the checks below (on a hard link to a file
        # outside, say): truncate only once the file is known to be ours.
        truncate = bool(flags & os.O_TRUNC)
        try:
            file_fd = os.open(name, (flags & ~os.O_TRUNC) | _OPEN_FLAGS, mode, dir_fd=fd)
        except OSError as exc:
            raise _open_error(name, exc) from None
        try:
            info = os.fstat(file_fd)
            if not stat.S_ISREG(info.st_mode):
                raise FileAreaError(f"{name} is not a file.")
            if info.st_nlink != 1:
                raise FileAreaError(f"{name} has other hard links, so it is not used.")
            os.set_blocking(file_fd, True)
            if truncate:
                os.ftruncate(file_fd, 0)
            if creating:
                _give_to_area_owner(file_fd, fd)
        except BaseException:
            os.close(file_fd)
            raise
        return file_fd

    def read(self, name: str, max_size: int | None = None) -> bytes:
        """The bytes of `name`, refused above `max_size` (default: the per-file limit)."""
        limit = self.limits.per_file if max_size is None else min(max_size, self.limits.per_file)
        with self._directory() as fd:
            file_fd = self.open_file(fd, name)
        try:
            size = os.fstat(file_fd).st_size
            if size > limit:
                raise QuotaExceeded(f"{name} is {size_text(size)}; the most is {size_text(limit)}.")
            chunks, left = [], limit + 1
            while left > 0:
                chunk = os.read(file_fd, min(left, MB))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        except OSError as exc:
            raise FileAreaError(f"Cannot read {name}: {exc.strerror}.") from None
        finally:
            os.close(file_fd)
        data = b"".join(chunks)
        if len(data) > limit:  # it grew while being read
            raise QuotaExceeded(f"{name} is over {size_text(limit)}, the most it may be.")
        return data

    # Writing whole files (the app: saved attachments, screenshots).
    def write_first_free(self, names: Sequence[str], data: bytes) -> AreaFile:
        """Store `data` under the first of `names` that is not taken (another
        screenshot of the same second, the rejects of a file imported twice), within
        the quotas; `NameTaken` when every one is."""
        for name in names:
            try:
                return self.write(name, data)
            except NameTaken:
                continue
        raise NameTaken(f"{names[0]} to {names[-1]} are all taken; choose another name.")

    def write(self, name: str, data: bytes, *, overwrite: bool = False) -> AreaFile:
        """Store `data` as `name`: all of it or nothing, within the quotas.

        An existing file is refused unless `overwrite`; the bytes are written to
        a hidden partial file first and linked into place, so a reader never sees
        half a file and a failure (a full disk) leaves nothing behind.
        """
        check_name(name)
        limits = self.limits
        if len(data) > limits.per_file:
            raise QuotaExceeded(
                f"{name} would be {size_text(len(data))}; files in your area are at most "
                f"{size_text(limits.per_file)}."
            )
        with self.locked() as fd:
            existing = _lstat(fd, name)
            if existing is not None and not overwrite:
                raise NameTaken(_taken(name))
            if existing is not None and not stat.S_ISREG(existing.st_mode):
                raise FileAreaError(f"{name} is not a file; choose another name.")
            used, count = self.usage(fd)
            replaced = existing.st_size if existing is not None else 0
            if used - replaced + len(data) > limits.per_user:
                raise QuotaExceeded(_quota_message(used - replaced, len(data), limits.per_user))
            if existing is None and count >= limits.files:
                raise QuotaExceeded(
                    f"Your file area holds {count} files, the most it may hold; "
                    "delete some to make room."
                )
            # secrets.token_hex(8), without importing secrets (hmac, so OpenSSL: 0.5 MiB)
            partial = _PARTIAL_PREFIX + os.urandom(8).hex()
            try:
                part_fd = os.open(
                    partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, 0o600, dir_fd=fd
                )
                try:
                    os.set_blocking(part_fd, True)
                    _give_to_area_owner(part_fd, fd)
                    view = memoryview(data)
                    while view:
                        view = view[os.write(part_fd, view) :]
                    os.fsync(part_fd)
                finally:
                    os.close(part_fd)
                if overwrite:
                    os.replace(partial, name, src_dir_fd=fd, dst_dir_fd=fd)
                else:
                    os.link(partial, name, src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=False)
            except FileExistsError:
                raise NameTaken(_taken(name)) from None
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise FileAreaError(
                        f"The server's disk is full; {name} was not saved."
                    ) from None
                raise FileAreaError(f"Cannot save {name}: {exc.strerror}.") from None
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(partial, dir_fd=fd)
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        return AreaFile(name, info.st_size, info.st_mtime)

    # Writing in place (SFTP writes arrive piece by piece).
    def write_at(self, file_fd: int, offset: int, data: bytes, *, append: bool = False) -> None:
        """Write `data` at `offset` of an open area file, within the quotas."""
        with self.locked() as fd:
            size = os.fstat(file_fd).st_size
            start = size if append else offset
            self._check_growth(fd, size, start + len(data))
            view = memoryview(data)
            while view:
                written = os.pwrite(file_fd, view, start)
                view, start = view[written:], start + written

    def truncate(self, file_fd: int, length: int) -> None:
        """Set an open area file's size (growing it counts like writing)."""
        with self.locked() as fd:
            self._check_growth(fd, os.fstat(file_fd).st_size, length)
            os.ftruncate(file_fd, length)

    def _check_growth(self, fd: int, size: int, end: int) -> None:
        limits = self.limits
        if end > limits.per_file:
            raise QuotaExceeded(
                f"Files in your area are at most {size_text(limits.per_file)}; "
                f"this one would be {size_text(end)}."
            )
        growth = end - size
        if growth > 0:
            used, _count = self.usage(fd)
            if used + growth > limits.per_user:
                raise QuotaExceeded(_quota_message(used, growth, limits.per_user))

    # Names.
    def remove(self, name: str) -> None:
        check_name(name)
        with self._directory() as fd:
            info = _lstat(fd, name)
            if info is None:
                raise FileAreaError(f"There is no file named {name} in your file area.")
            if stat.S_ISDIR(info.st_mode):
                raise FileAreaError(f"{name} is a folder; it cannot be removed here.")
            try:
                os.unlink(name, dir_fd=fd)
            except OSError as exc:
                raise FileAreaError(f"Cannot remove {name}: {exc.strerror}.") from None

    def rename(self, old: str, new: str, *, overwrite: bool = False) -> None:
        """Give `old` the name `new` inside the area; `new` is refused if it exists,
        unless `overwrite`."""
        check_name(old)
        check_name(new)
        with self.locked() as fd:
            info = _lstat(fd, old)
            if info is None:
                raise FileAreaError(f"There is no file named {old} in your file area.")
            if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                raise FileAreaError(f"{old} is not a file, so it cannot be renamed.")
            target = _lstat(fd, new)
            if target is not None and not overwrite:
                raise NameTaken(_taken(new))
            if target is not None and stat.S_ISDIR(target.st_mode):
                raise FileAreaError(f"{new} is a folder; choose another name.")
            try:
                if overwrite:
                    os.replace(old, new, src_dir_fd=fd, dst_dir_fd=fd)
                else:
                    # link + unlink: an atomic "only if the new name is free".
                    os.link(old, new, src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=False)
                    os.unlink(old, dir_fd=fd)
            except FileExistsError:
                raise NameTaken(_taken(new)) from None
            except OSError as exc:
                raise FileAreaError(f"Cannot rename {old}: {exc.strerror}.") from None

    def discard(self, name: str, file_fd: int) -> bool:
        """Remove `name` if it still is the file open as `file_fd` (an upload the
        quota stopped halfway); True if it was removed."""
        with self.locked() as fd:
            info, mine = _lstat(fd, name), os.fstat(file_fd)
            if info is None or (info.st_dev, info.st_ino) != (mine.st_dev, mine.st_ino):
                return False
            os.unlink(name, dir_fd=fd)
            return True

    def stat(self, name: str) -> os.stat_result:
        """The entry `name` as it is (a link is not followed)."""
        check_name(name)
        with self._directory() as fd:
            info = _lstat(fd, name)
        if info is None:
            raise FileAreaError(f"There is no file named {name} in your file area.")
        return info

    def set_times(self, name: str, atime: float, mtime: float) -> None:
        check_name(name)
        with self._directory() as fd:
            file_fd = self.open_file(fd, name)
        try:
            os.utime(file_fd, (atime, mtime))
        finally:
            os.close(file_fd)

    def directory_stat(self) -> os.stat_result:
        with self._directory() as fd:
            return os.fstat(fd)


def _usable(name: str, info: os.stat_result) -> bool:
    try:
        check_name(name)
    except FileAreaError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_nlink == 1


def _lstat(fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _exists(fd: int, name: str) -> bool:
    return _lstat(fd, name) is not None


def _open_error(name: str, exc: OSError) -> FileAreaError:
    if exc.errno == errno.ENOENT:
        return FileAreaError(f"There is no file named {name} in your file area.")
    if exc.errno == errno.EEXIST:
        return NameTaken(_taken(name))
    if exc.errno == errno.ELOOP:
        return FileAreaError(f"{name} is a link; links are not followed.")
    if exc.errno == errno.EISDIR:
        return FileAreaError(f"{name} is a folder, not a file.")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return FileAreaError("The server's disk is full.")
    return FileAreaError(f"Cannot open {name}: {exc.strerror}.")


def _give_to_area_owner(file_fd: int, dir_fd: int) -> None:
    """A file made by a root server (SFTP) belongs to the area's owner (the account
    sessions run as), so that account's sessions can read and replace it."""
    if os.geteuid() != 0:
        return
    owner = os.fstat(dir_fd)
    if owner.st_uid != 0:
        os.fchown(file_fd, owner.st_uid, owner.st_gid)
