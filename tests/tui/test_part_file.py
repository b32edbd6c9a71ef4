"""The hidden part file that local exports and an import's rejects are written to."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.part_file import PartFile


def test_published_in_place_and_nothing_else_left(tmp_path: Path) -> None:
    target = tmp_path / "leads.csv"
    with PartFile(target) as part:
        part.handle.write("a,b\n")
        assert part.path.parent == tmp_path and part.path.name.startswith(".")
        assert not target.exists()  # a reader never sees half a file
        part.publish(replace=False)
    assert target.read_text() == "a,b\n"
    assert [p.name for p in tmp_path.iterdir()] == ["leads.csv"]


def test_without_replace_a_file_made_meanwhile_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "leads.csv"
    with PartFile(target) as part:
        part.handle.write("mine")
        target.write_text("theirs")  # another program, while this was written
        with pytest.raises(FileExistsError):
            part.publish(replace=False)
    assert target.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["leads.csv"]


def test_replace_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "leads.csv"
    target.write_text("old")
    with PartFile(target) as part:
        part.handle.write("new")
        part.publish(replace=True)
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["leads.csv"]


def test_an_error_or_no_publish_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "leads.csv"
    with pytest.raises(KeyboardInterrupt), PartFile(target) as part:
        part.handle.write("half")
        raise KeyboardInterrupt
    with PartFile(target) as part:
        part.handle.write("not wanted")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_written_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        PartFile(tmp_path / "missing" / "leads.csv")
