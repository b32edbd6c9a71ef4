"""Files in served sessions, end to end with the real OpenSSH tools: `sftp` (batch
mode) and `scp -s` reach the signed-in user's file area and nothing else, quotas
are refused with a message the client prints, and a rep in the app over `ssh`
can neither attach a server file outside the area (the host key, the database)
nor save an attachment outside it.

The attacks are the ones a rep would try: `..`, absolute paths, links planted in
the area (by someone with access to the server) pointing at the host key and the
database, symlinks and hard links made over SFTP, renames out, folders, hidden
names. See docs/ssh.md, "Files: the per-user area and SFTP".
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import models

from .serve_support import account_dir
from .test_serve_e2e import (
    IN_CI,
    SESSION_STARTS,
    WAIT,
    Served,
    Tmux,
    database,
    open_list,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.slow
HOST_KEY_START = b"-----BEGIN OPENSSH PRIVATE KEY-----"


def _require_tools() -> None:
    missing = [tool for tool in ("ssh", "sftp", "scp", "tmux") if shutil.which(tool) is None]
    if missing:
        message = f"the file end-to-end tests need {', '.join(missing)}"
        if IN_CI:
            pytest.fail(message + " (openssh-client and tmux)")
        pytest.skip(message)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Sessions forked by the factory (the default). SFTP and scp are served by the
    server itself, so their tests run once; the app's run both ways (`app_served`)."""
    _require_tools()
    tmp = tmp_path_factory.mktemp("files-e2e")
    with account_dir() as shared:
        server = start_server(tmp, f"sqlite:///{shared / 'leadq.db'}", 20)
        yield server
        stop_server(server)


@pytest.fixture(scope="module", params=SESSION_STARTS)
def app_served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """A server per way of starting the app: forked (its file area's descriptor sent
    to the factory) or started afresh (passed to the new process)."""
    if request.param == "fork":
        yield request.getfixturevalue("served")
        return
    _require_tools()
    tmp = tmp_path_factory.mktemp(f"files-e2e-{request.param}")
    with account_dir() as shared:
        server = start_server(
            tmp, f"sqlite:///{shared / 'leadq.db'}", 20, "--session-start", request.param
        )
        yield server
        stop_server(server)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    _require_tools()
    panes = Tmux()
    yield panes
    panes.kill()


def area(served: Served, user: str = "riley") -> Path:
    return served.tmp / "data" / "files" / user


def host_key(served: Served) -> Path:
    return served.tmp / "data" / "ssh" / "ssh_host_ed25519_key"


def database_file(served: Served) -> Path:
    return Path(served.url.removeprefix("sqlite:///"))


def client_options(served: Served, user: str) -> list[str]:
    return [
        "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
        "-i", str(served.keys[user]),
    ]  # fmt: skip


def sftp(served: Served, work: Path, commands: str, user: str = "riley"):  # type: ignore[no-untyped-def]
    """Run `sftp -b` with `commands` (a leading `-` lets a command fail) in `work`."""
    batch = work / "batch"
    batch.write_text(commands)
    return subprocess.run(
        ["sftp", *client_options(served, user), "-P", str(served.port), "-b", str(batch),
         f"{user}@127.0.0.1"],
        cwd=work, capture_output=True, text=True, timeout=WAIT,
    )  # fmt: skip


def outside_the_areas(served: Served) -> dict[str, bytes]:
    """Every file of the server's data directory and the database's, outside the areas."""
    files = {}
    for top in (served.tmp / "data", database_file(served).parent):
        for path in top.rglob("*"):
            if (served.tmp / "data" / "files") in path.parents or not path.is_file():
                continue
            if path.is_symlink() or path.name.endswith(("-wal", "-shm")) or path.suffix == ".db":
                continue  # the database changes as sessions run; it is checked apart
            files[str(path)] = path.read_bytes()
    return files


def styled(pane: object) -> str:
    """The pane's screen with its SGR attributes."""
    return pane.tmux.run("capture-pane", "-e", "-p", "-t", pane.name)  # type: ignore[attr-defined]


def footer(screen: str) -> str:
    lines = screen.rstrip("\n").split("\n")
    return lines[-1] if lines else ""


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "quote.txt").write_text("The quote: 50 chairs\n")
    return tmp_path


def test_sftp_reaches_the_users_area_and_nothing_else(served: Served, work: Path) -> None:
    first = sftp(served, work, "ls\n")  # the area is made at the first session
    assert first.returncode == 0, first.stderr
    mine = area(served)
    (mine / "key").symlink_to(host_key(served))  # planted by someone on the server
    os.link(database_file(served), mine / "db")
    before = outside_the_areas(served)
    try:
        result = sftp(
            served,
            work,
            "\n".join([
                "put quote.txt",
                "-get ../ssh/ssh_host_ed25519_key stolen-key-1",
                f"-get {host_key(served)} stolen-key-2",
                f"-get {database_file(served)} stolen-db-1",
                "-get key stolen-key-3",
                "-get db stolen-db-2",
                "-put quote.txt key",
                "-put quote.txt db",
                "-cd ..",
                "pwd",
                "-cd /etc",
                f"-symlink {host_key(served)} made-link",
                "-ln quote.txt made-hard-link",
                "-mkdir sub",
                "-put quote.txt .bashrc",
                "-chown 0 quote.txt",
                "get quote.txt back.txt",
                "-rename quote.txt /tmp/moved-out.txt",
                "-rename quote.txt ../../moved-out.txt",
                "-put quote.txt ../../escaped.txt",
                "ls -l",
            ])
            + "\n",
        )  # fmt: skip
    finally:
        (mine / "key").unlink()
        (mine / "db").unlink()
    assert result.returncode == 0, result.stderr
    out, err = result.stdout, result.stderr
    # Refusals are said, by the server, in words.
    for said in (
        "leadq: Links cannot be made in your file area.",
        "leadq: Your file area has no folders.",
        "leadq: A file name cannot start with a dot.",
        "leadq: db has other hard links, so it is not used.",
        "leadq: key is a link; links are not followed.",
    ):
        assert said in err, said
    assert "Remote working directory: /\n" in out  # `cd ..` stays in the area
    # Nothing came out but what was put in.
    assert (work / "back.txt").read_text() == "The quote: 50 chairs\n"
    assert not list(work.glob("stolen-*"))
    for path in work.rglob("*"):
        assert HOST_KEY_START not in path.read_bytes()
    # Nothing outside the area changed, and the links pointed at untouched files.
    assert outside_the_areas(served) == before
    assert host_key(served).read_bytes().startswith(HOST_KEY_START)
    assert database_file(served).read_bytes()[:16] == b"SQLite format 3\x00"
    assert not Path("/tmp/moved-out.txt").exists()
    # `../../escaped.txt` and `../../moved-out.txt` are names in the area, like a chroot's.
    assert sorted(p.name for p in mine.iterdir()) == ["escaped.txt", "moved-out.txt"]
    assert re.search(r"-rw-------\s+1 riley\s+leadq\s+\d+ .* escaped\.txt", out)


def test_scp_in_sftp_mode_works_and_legacy_scp_is_refused(served: Served, work: Path) -> None:
    def scp(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["scp", *client_options(served, "sam"), "-P", str(served.port), *argv],
            cwd=work, capture_output=True, text=True, timeout=WAIT,
        )  # fmt: skip

    sent = scp("-s", "quote.txt", "sam@127.0.0.1:sent.txt")
    assert sent.returncode == 0, sent.stderr
    assert (area(served, "sam") / "sent.txt").read_text() == "The quote: 50 chairs\n"
    back = scp("-s", "sam@127.0.0.1:sent.txt", "back.txt")
    assert back.returncode == 0 and (work / "back.txt").exists()
    stolen = scp("-s", f"sam@127.0.0.1:{host_key(served)}", "stolen")
    assert stolen.returncode != 0 and not (work / "stolen").exists()
    legacy = scp("-O", "quote.txt", "sam@127.0.0.1:legacy.txt")
    assert legacy.returncode != 0
    assert not (area(served, "sam") / "legacy.txt").exists()
    legacy_get = scp("-O", f"sam@127.0.0.1:{host_key(served)}", "stolen")
    assert legacy_get.returncode != 0 and not (work / "stolen").exists()
    # One user's area is not another's.
    other = sftp(served, work, "-get sent.txt from-sam.txt\n", user="riley")
    assert not (work / "from-sam.txt").exists(), other.stdout


def test_quotas_are_refused_with_a_message_over_sftp(tmp_path: Path, work: Path) -> None:
    _require_tools()
    with account_dir() as shared:
        served = start_server(
            tmp_path, f"sqlite:///{shared / 'leadq.db'}", 5,
            "--file-limit", "2K", "--files-quota", "3K", "--max-files", "3",
        )  # fmt: skip
        try:
            (work / "big.bin").write_bytes(b"b" * 2049)
            (work / "two.bin").write_bytes(b"t" * 2048)
            (work / "empty").write_bytes(b"")
            too_big = sftp(served, work, "put big.bin\n")
            assert too_big.returncode != 0
            assert "leadq: Files in your area are at most 2 KB" in too_big.stderr
            assert not (area(served) / "big.bin").exists()  # a refused upload leaves nothing
            first = sftp(served, work, "put two.bin one.bin\n")
            assert first.returncode == 0, first.stderr
            full = sftp(served, work, "put two.bin\n")
            assert full.returncode != 0
            assert "leadq: Your file area is limited to 3 KB and holds 2 KB" in full.stderr
            assert sorted(p.name for p in area(served).iterdir()) == ["one.bin"]
            count = sftp(served, work, "put empty e1\nput empty e2\nput empty e3\n")
            assert count.returncode != 0
            assert "leadq: Your file area holds 3 files, the most it may hold" in count.stderr
            df = sftp(served, work, "df -h\n")
            assert re.search(r"^\s+3\.0KB\s+2\.0KB\s+1\.0KB", df.stdout, re.M), df.stdout
        finally:
            stop_server(served)


def test_a_rep_in_the_app_cannot_attach_or_save_outside_the_area(
    app_served: Served, tmux: Tmux, work: Path
) -> None:
    served = app_served
    uploaded = sftp(served, work, "put quote.txt\n", user="morgan")
    assert uploaded.returncode == 0, uploaded.stderr
    mine = area(served, "morgan")
    (mine / "host-key").symlink_to(host_key(served))
    os.link(database_file(served), mine / "database")
    try:
        pane = open_list(tmux, served, "morgan", width=100, height=30)
        pane.send("Enter")  # the lead under the cursor
        pane.wait_for("Notes")
        pane.wait_for("n Note")
        pane.send("n")
        pane.wait_for("New note (tab moves on; Add note or ctrl+s saves)")
        # The text area has the focus once the footer drops the screen's letter keys.
        pane.wait_until(lambda s: "n Note" not in footer(s), "the note text to take the focus")
        pane.send("-l", "Sent the quote")
        pane.send("Tab")
        pane.wait_until(lambda s: "s Save attachment" in footer(s), "the file list's focus")
        pane.send("Enter")  # the list of the area's files
        pane.wait_for("quote.txt")
        screen = pane.text()
        assert "host-key" not in screen and "database" not in screen  # not offered
        assert str(served.tmp) not in screen
        pane.send("Down")
        pane.send("Enter")
        # The pick moves the focus on to Add note (a focused button is bold and reversed).
        focused_button = re.compile(r"\x1b\[1;7m(?:\x1b\[[0-9;]*m)* Add note")
        pane.wait_until(
            lambda s: "quote.txt  21 B" in s and focused_button.search(styled(pane)) is not None,
            "the pick, and Add note's focus",
        )
        pane.send("Enter")
        pane.wait_for("Note added with quote.txt.")
        with database(served.url):
            note = models.Note.select().order_by(models.Note.id.desc()).get()
            assert note.attachment_name == "quote.txt"
            assert bytes(note.attachment_data) == b"The quote: 50 chairs\n"
            for stored in models.Note.select().where(models.Note.attachment_data.is_null(False)):
                data = bytes(stored.attachment_data)
                assert HOST_KEY_START not in data and not data.startswith(b"SQLite format 3")

        def type_name(name: str) -> None:
            """Clear the name field, type `name`, enter (each step seen on the screen:
            a ctrl+u and text in one burst sometimes loses the text)."""
            pane.send("C-u")
            pane.wait_for("Save as (a name in your file area)")
            pane.send("-l", name)
            pane.wait_for(name[-40:])
            pane.send("Enter")

        # Saving: a name in the area, never a path.
        pane.send("s")
        pane.wait_for("in your file area as: edit the name, then enter.")
        pane.send("Enter")  # the attachment's own name is taken already
        pane.wait_for("quote.txt already exists in your file area; choose another name.")
        site_packages = next(Path(p) for p in __import__("sys").path if p.endswith("site-packages"))
        for attack, said in [  # each message differs from the one before it
            (f"{site_packages}/evil.pth", "cannot contain /"),
            (".evil.pth", "cannot start with a dot"),
            ("../../../../evil.pth", "cannot contain /"),
        ]:
            type_name(attack)
            pane.wait_for(said)
        assert not (site_packages / "evil.pth").exists()
        type_name("quote copy.txt")
        pane.wait_for("Saved quote.txt to your file area as quote copy.txt.")
        assert (mine / "quote copy.txt").read_text() == "The quote: 50 chairs\n"

        # A screenshot goes to the area too, and no server path shows.
        pane.send("C-p")
        pane.wait_for("Search for commands")
        pane.send("-l", "Screenshot")
        pane.wait_for("Save an SVG screenshot of this screen to your file area")
        # Enter only once the search's own hits are drawn (the match underlined) and
        # the first one highlighted, not the list the palette opened with.
        pane.wait_until(lambda _s: "\x1b[4mScreenshot" in styled(pane), "the search's hits")
        pane.send("Enter")
        pane.wait_until(lambda _s: any(mine.glob("leadq screenshot *.svg")), "the screenshot")
        pane.wait_until(lambda s: re.search(r"Saved leadq screenshot .*\.svg", s), "the notice")
        assert str(served.tmp) not in pane.text()
        shot = next(mine.glob("leadq screenshot *.svg"))
        assert shot.read_bytes().startswith(b"<svg")
    finally:
        (mine / "host-key").unlink()
        (mine / "database").unlink()
    for found in served.tmp.rglob("*evil.pth"):
        pytest.fail(f"{found} was written")
