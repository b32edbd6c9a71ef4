"""The per-user file area of served sessions (models/file_area.py): naming rules,
links that are never followed, quotas, and saving attachments into an area."""

from __future__ import annotations

import os
import re
import stat
import threading
from pathlib import Path

import pytest

import models
from models import FileArea, FileAreaError, FileLimits, QuotaExceeded, check_name

from ..conftest import make_lead


@pytest.fixture
def area(tmp_path: Path) -> FileArea:
    return FileArea.for_user(tmp_path / "files", "riley")


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside every area, like the host key or the database."""
    path = tmp_path / "ssh_host_ed25519_key"
    path.write_bytes(b"-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n")
    return path


# Names.

GOOD_NAMES = ["quote.pdf", "Q3 report (final).xlsx", "naïve café.txt", "a" * 255, "-dash", "x..y"]
BAD_NAMES = {
    "": "Give the file a name",
    "../quote.pdf": "cannot contain /",
    "/etc/passwd": "cannot contain /",
    "sub/dir.txt": "cannot contain /",
    "..": "cannot start with a dot",
    ".": "cannot start with a dot",
    ".bashrc": "cannot start with a dot",
    "a\\b": "cannot contain \\",
    "a\x00b": "NUL character",
    "a\nb": "control or invisible characters (U+000A)",
    "a\x1b[31mb": "control or invisible characters (U+001B)",
    "a\x7fb": "control or invisible characters (U+007F)",
    "evil\u202etxt.exe": "control or invisible characters (U+202E)",
    "zero\u200bwidth": "control or invisible characters (U+200B)",
    " lead": "start or end with a space",
    "trail ": "start or end with a space",
    "bad\udcff.txt": "valid UTF-8",
    "é" * 128: "at most 255 bytes",
}


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_ordinary_names_are_accepted(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(("name", "reason"), BAD_NAMES.items())
def test_names_that_could_leave_the_area_or_mislead_are_refused(name: str, reason: str) -> None:
    with pytest.raises(FileAreaError) as refused:
        check_name(name)
    assert reason in str(refused.value)
    assert isinstance(refused.value, models.LeadqError)


@pytest.mark.parametrize("name", ["..", "a/b", "", ".hidden"])
def test_a_user_name_that_is_not_a_safe_name_gets_no_area(tmp_path: Path, name: str) -> None:
    with pytest.raises(FileAreaError, match=re.escape("cannot name a file area")):
        FileArea.for_user(tmp_path / "files", name)
    assert not (tmp_path / "files").exists() or list((tmp_path / "files").iterdir()) == []


def test_areas_are_private_directories(tmp_path: Path, area: FileArea) -> None:
    assert stat.S_IMODE(area.root.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "files").stat().st_mode) == 0o700
    assert area.root == tmp_path / "files" / "riley"
    area.root.chmod(0o755)
    FileArea.for_user(tmp_path / "files", "riley")
    assert stat.S_IMODE(area.root.stat().st_mode) == 0o700


# Reading and listing.


def test_files_lists_only_usable_files(area: FileArea, secret: Path, tmp_path: Path) -> None:
    area.write("quote.pdf", b"%PDF")
    (area.root / ".hidden").write_bytes(b"h")
    (area.root / "folder").mkdir()
    (area.root / "host-key").symlink_to(secret)
    os.link(secret, area.root / "hard-key")
    assert [(f.name, f.size) for f in area.files()] == [("quote.pdf", 4)]


def test_a_symlink_in_the_area_is_never_followed(area: FileArea, secret: Path) -> None:
    (area.root / "key").symlink_to(secret)
    with pytest.raises(FileAreaError, match=re.escape("key is a link; links are not followed")):
        area.read("key")
    (area.root / "dangling").symlink_to(area.root.parent / "nowhere")
    with pytest.raises(FileAreaError, match=re.escape("dangling")):
        area.write("dangling", b"x")  # a dangling link is not written through either
    assert not (area.root.parent / "nowhere").exists()
    with pytest.raises(FileAreaError, match=re.escape("key already exists")):
        area.write("key", b"overwritten")
    assert secret.read_bytes().startswith(b"-----BEGIN")


def test_overwriting_a_link_replaces_the_link_not_its_target(area: FileArea, secret: Path) -> None:
    before = secret.read_bytes()
    (area.root / "key").symlink_to(secret)
    with pytest.raises(FileAreaError, match=re.escape("not a file")):
        area.write("key", b"x", overwrite=True)
    assert secret.read_bytes() == before


def test_a_hard_link_to_a_file_outside_is_refused(area: FileArea, secret: Path) -> None:
    os.link(secret, area.root / "key")
    with pytest.raises(FileAreaError, match=re.escape("key has other hard links")):
        area.read("key")


def test_a_link_swapped_in_after_listing_is_not_followed(area: FileArea, secret: Path) -> None:
    area.write("report.txt", b"mine")
    listed = [f.name for f in area.files()]
    (area.root / "report.txt").unlink()
    (area.root / "report.txt").symlink_to(secret)  # the race an attacker would try
    with pytest.raises(FileAreaError, match=re.escape("is a link")):
        area.read(listed[0])


def test_a_fifo_or_folder_is_not_a_file(area: FileArea) -> None:
    os.mkfifo(area.root / "pipe")
    with pytest.raises(FileAreaError, match=re.escape("pipe is not a file")):
        area.read("pipe")  # and it does not block waiting for a writer
    (area.root / "folder").mkdir()
    with pytest.raises(FileAreaError, match=re.escape("folder")):
        area.read("folder")


def test_a_missing_file_and_a_path_are_refused_with_a_sentence(area: FileArea) -> None:
    with pytest.raises(
        FileAreaError, match=re.escape("There is no file named nope.txt in your file area")
    ):
        area.read("nope.txt")
    with pytest.raises(FileAreaError, match=re.escape("cannot contain /")):
        area.read("../../ssh/ssh_host_ed25519_key")


# Writing and quotas.


def test_write_stores_all_or_nothing_and_refuses_to_overwrite(area: FileArea) -> None:
    saved = area.write("quote.pdf", b"one")
    assert (saved.name, saved.size) == ("quote.pdf", 3)
    with pytest.raises(
        FileAreaError, match=re.escape("quote.pdf already exists in your file area")
    ):
        area.write("quote.pdf", b"two")
    assert area.read("quote.pdf") == b"one"
    area.write("quote.pdf", b"three", overwrite=True)
    assert area.read("quote.pdf") == b"three"
    assert stat.S_IMODE((area.root / "quote.pdf").stat().st_mode) == 0o600
    assert sorted(p.name for p in area.root.iterdir()) == ["quote.pdf"]  # no partial left


def test_write_first_free_takes_the_first_name_not_taken(tmp_path: Path) -> None:
    area = FileArea.for_user(tmp_path, "riley", FileLimits(per_file=10, per_user=100, files=2))
    area.write("shot.svg", b"old")
    names = ["shot.svg", "shot (2).svg", "shot (3).svg"]
    assert area.write_first_free(names, b"new").name == "shot (2).svg"
    assert area.read("shot.svg") == b"old"  # nothing taken is overwritten
    with pytest.raises(models.NameTaken, match=re.escape("shot.svg to shot (2).svg are all taken")):
        area.write_first_free(names[:2], b"more")
    with pytest.raises(QuotaExceeded):  # a full area is said, not skipped past
        area.write_first_free(names, b"more")
    assert sorted(f.name for f in area.files()) == ["shot (2).svg", "shot.svg"]


def test_per_file_limit(tmp_path: Path) -> None:
    area = FileArea.for_user(tmp_path, "riley", FileLimits(per_file=10, per_user=100, files=10))
    with pytest.raises(
        QuotaExceeded, match=re.escape("would be 11 bytes; files in your area are at most 10")
    ):
        area.write("big.bin", b"x" * 11)
    (area.root / "big.bin").write_bytes(b"x" * 11)  # put there by other means
    with pytest.raises(QuotaExceeded, match=re.escape("big.bin is 11 bytes; the most is 10 bytes")):
        area.read("big.bin")


def test_read_takes_the_smaller_of_its_limit_and_the_areas(tmp_path: Path) -> None:
    area = FileArea.for_user(tmp_path, "riley", FileLimits(per_file=10, per_user=100, files=10))
    area.write("nine.bin", b"x" * 9)
    with pytest.raises(QuotaExceeded, match=re.escape("the most is 5 bytes")):
        area.read("nine.bin", max_size=5)
    assert area.read("nine.bin", max_size=50) == b"x" * 9


def test_per_user_quota(tmp_path: Path) -> None:
    area = FileArea.for_user(tmp_path, "riley", FileLimits(per_file=60, per_user=100, files=10))
    area.write("a.bin", b"a" * 60)
    with pytest.raises(QuotaExceeded) as refused:
        area.write("b.bin", b"b" * 41)
    assert "limited to 100 bytes and holds 60 bytes; 41 bytes more does not fit" in str(
        refused.value
    )
    area.write("b.bin", b"b" * 40)
    assert area.used() == 100
    # Replacing a file counts only the difference.
    area.write("a.bin", b"A" * 60, overwrite=True)
    assert [f.name for f in area.files()] == ["a.bin", "b.bin"]


def test_number_of_files_is_limited(tmp_path: Path) -> None:
    area = FileArea.for_user(tmp_path, "riley", FileLimits(per_file=10, per_user=100, files=2))
    area.write("1", b"")
    area.write("2", b"")
    with pytest.raises(QuotaExceeded, match=re.escape("holds 2 files, the most it may hold")):
        area.write("3", b"")
    area.write("2", b"new", overwrite=True)  # replacing is not a new file


def test_two_writers_at_once_cannot_both_take_the_last_space(tmp_path: Path) -> None:
    limits = FileLimits(per_file=600, per_user=1000, files=100)
    areas = [FileArea.for_user(tmp_path, "riley", limits) for _ in range(2)]
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def write(index: int) -> None:
        start.wait()
        try:
            areas[index].write(f"file{index}.bin", b"x" * 600)
            outcomes.append("saved")
        except QuotaExceeded:
            outcomes.append("refused")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "saved"]
    assert areas[0].used() == 600


def test_write_at_and_truncate_keep_to_the_limits(tmp_path: Path) -> None:
    area = FileArea.for_user(tmp_path, "riley", FileLimits(per_file=100, per_user=150, files=10))
    area.write("other.bin", b"o" * 60)
    with area.locked() as fd:
        file_fd = area.open_file(fd, "up.bin", os.O_RDWR | os.O_CREAT | os.O_EXCL)
    try:
        area.write_at(file_fd, 0, b"u" * 50)
        with pytest.raises(
            QuotaExceeded, match=re.escape("at most 100 bytes; this one would be 101")
        ):
            area.write_at(file_fd, 100, b"u")  # a sparse file counts its full size
        with pytest.raises(QuotaExceeded, match=re.escape("limited to 150 bytes")):
            area.truncate(file_fd, 95)
        area.truncate(file_fd, 10)
        area.write_at(file_fd, 0, b"z", append=True)
        assert os.fstat(file_fd).st_size == 11
    finally:
        os.close(file_fd)


def test_stale_partial_writes_are_cleared(area: FileArea) -> None:
    partial = area.root / ".leadq-partial-0123"
    partial.write_bytes(b"x" * 10)
    assert area.used() == 10  # a recent partial write still counts
    os.utime(partial, (0, 0))
    assert area.used() == 0
    assert not partial.exists()


def test_rename_and_remove_stay_inside(area: FileArea, tmp_path: Path) -> None:
    area.write("a.txt", b"a")
    with pytest.raises(FileAreaError, match=re.escape("cannot contain /")):
        area.rename("a.txt", "../a.txt")
    area.write("b.txt", b"b")
    with pytest.raises(FileAreaError, match=re.escape("b.txt already exists")):
        area.rename("a.txt", "b.txt")
    area.rename("a.txt", "c.txt")
    assert [f.name for f in area.files()] == ["b.txt", "c.txt"]
    area.remove("c.txt")
    with pytest.raises(FileAreaError, match=re.escape("no file named c.txt")):
        area.remove("c.txt")
    assert not (tmp_path / "files" / "a.txt").exists()


# How a session finds its area.


def test_an_area_is_given_by_its_directory_or_a_descriptor() -> None:
    """`models.file_area_given`, which the app asks before importing the file area;
    an empty variable gives none, as `from_environment` finds none."""
    given = models.file_area_given
    assert not given({}) and not given({models.FILE_AREA_ENV: "", models.FILE_AREA_FD_ENV: ""})
    assert given({models.FILE_AREA_ENV: "/srv/files/ada"})
    assert given({models.FILE_AREA_FD_ENV: "3"})
    assert not given({models.FILE_LIMITS_ENV: "1:2:3"})
    assert FileArea.from_environment({models.FILE_AREA_ENV: ""}) is None


def test_from_environment(tmp_path: Path, area: FileArea) -> None:
    assert FileArea.from_environment({}) is None
    env = {models.file_area.AREA_ENV: str(area.root), models.file_area.LIMITS_ENV: "1:2:3"}
    found = FileArea.from_environment(env)
    assert found is not None and found.root == area.root
    assert found.limits == FileLimits(1, 2, 3)
    env[models.file_area.AREA_ENV] = str(tmp_path / "missing")
    with pytest.raises(FileAreaError, match=re.escape("cannot be opened")):
        FileArea.from_environment(env)
    link = tmp_path / "link"
    link.symlink_to(area.root)
    with pytest.raises(FileAreaError, match=re.escape("cannot be opened")):
        FileArea.from_environment({models.file_area.AREA_ENV: str(link)})
    with pytest.raises(FileAreaError, match=re.escape("per_file:per_user:files")):
        FileArea.from_environment(
            {models.file_area.AREA_ENV: str(area.root), "LEADQ_FILE_LIMITS": "x"}
        )


@pytest.mark.parametrize(
    ("text", "size"),
    [("25M", 25 * 1024 * 1024), ("200MB", 200 * 1024 * 1024), ("1.5g", 1536 * 1024 * 1024),
     ("512k", 512 * 1024), ("4096", 4096), ("10 MiB", 10 * 1024 * 1024)],
)  # fmt: skip
def test_parse_size(text: str, size: int) -> None:
    assert models.parse_size(text) == size


def test_parse_size_refuses_nonsense() -> None:
    with pytest.raises(FileAreaError, match=re.escape("is not a size")):
        models.parse_size("lots")


# Attachments into and out of an area (both databases).


def test_attach_from_and_save_to_an_area(db: object, rep: models.User, area: FileArea) -> None:
    lead = make_lead(rep)
    area.write("quote.pdf", b"%PDF-1.7\x00\xff")
    note = models.add_note(rep, lead, "Quote", models.read_area_attachment(area, "quote.pdf"))
    assert models.attachment_bytes(note.id) == ("quote.pdf", b"%PDF-1.7\x00\xff")
    with pytest.raises(FileAreaError, match=re.escape("quote.pdf already exists")):
        models.save_attachment_to_area(note.id, area, "quote.pdf")
    saved = models.save_attachment_to_area(note.id, area, "quote copy.pdf")
    assert saved.size == 10 and area.read("quote copy.pdf") == b"%PDF-1.7\x00\xff"
    with pytest.raises(FileAreaError, match=re.escape("cannot contain /")):
        models.save_attachment_to_area(note.id, area, "../../site-packages/evil.pth")
    with pytest.raises(FileAreaError, match=re.escape("cannot contain /")):
        models.read_area_attachment(area, "/etc/passwd")
    assert models.Note.select().count() == 1
