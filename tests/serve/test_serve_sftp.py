"""`leadq serve`'s SFTP subsystem at the protocol level: asyncssh's client sends
requests the OpenSSH client would not (raw paths, huge reads, sparse writes,
extension requests), against the server in-process. Each user reaches their own
file area and nothing else. tests/test_serve_files_e2e.py does the same with the
real `sftp`, `scp` and `ssh`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncssh
import pytest

import models
from models.file_area import AREA_ENV, AREA_FD_ENV, LIMITS_ENV
from tui.ssh.server import LeadqServer, ServeOptions

from .serve_support import RUN_AS, session_ids

SECRET = b"-----BEGIN OPENSSH PRIVATE KEY-----\nnot for you\n"


@pytest.fixture
def options(sqlite_db: object, tmp_path: Path) -> ServeOptions:
    models.create_user("riley", "Riley Rep", models.Role.SALESPERSON)
    models.create_user("sam", "Sam Demo", models.Role.SALESPERSON)
    (tmp_path / "secret").write_bytes(SECRET)
    return ServeOptions(
        db_url=f"sqlite:///{tmp_path / 'leadq.db'}",
        port=0,
        demo=True,
        data_dir=tmp_path / "data",
        app_command=(sys.executable, "-c", "pass"),
        demo_users=frozenset({"riley", "sam"}),
        file_limits=models.FileLimits(per_file=1000, per_user=1500, files=5),
        run_as=RUN_AS,
    )


def run(options: ServeOptions, body: Callable[[LeadqServer], Awaitable[object]]) -> object:
    async def main() -> object:
        server = LeadqServer(options)
        await server.start()
        try:
            return await asyncio.wait_for(body(server), 60)
        finally:
            await server.close()

    return asyncio.run(main())


def sftp(server: LeadqServer, username: str = "riley"):  # type: ignore[no-untyped-def]
    class Session:
        async def __aenter__(self) -> asyncssh.SFTPClient:
            self.conn = await asyncssh.connect(
                "127.0.0.1", server.port, username=username, client_keys=[],
                known_hosts=None, agent_path=None, config=[],
            )  # fmt: skip
            try:
                self.client = await self.conn.start_sftp_client()
            except BaseException:
                self.conn.close()
                raise
            return self.client

        async def __aexit__(self, *exc: object) -> None:
            self.client.exit()
            self.conn.close()
            await self.conn.wait_closed()

    return Session()


def area_of(options: ServeOptions, user: str = "riley") -> Path:
    assert options.data_dir is not None
    return options.data_dir / "files" / user


def test_each_user_has_their_own_private_area(options: ServeOptions) -> None:
    async def body(server: LeadqServer) -> None:
        async with sftp(server, "riley") as client:
            await client.chdir("/")
            assert await client.getcwd() == "/"
            async with client.open("mine.txt", "wb") as handle:
                await handle.write(b"riley's")
            assert await client.listdir("/") == [".", "mine.txt"]
        async with sftp(server, "sam") as client:
            assert await client.listdir("/") == ["."]
            assert not await client.exists("mine.txt")
            assert not await client.exists("/../riley/mine.txt")

    run(options, body)
    assert (area_of(options) / "mine.txt").read_bytes() == b"riley's"
    assert (area_of(options) / "mine.txt").stat().st_mode & 0o777 == 0o600
    assert area_of(options).stat().st_mode & 0o777 == 0o700
    # The sessions' account (--run-as, when the server is root) owns the area and
    # the files SFTP makes in it, so the app can read and replace them.
    uid, gid = session_ids()
    for path in (area_of(options), area_of(options) / "mine.txt", area_of(options).parent):
        assert (path.stat().st_uid, path.stat().st_gid) == (uid, gid)


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "../secret",
        "../../secret",
        "/../../secret",
        "data/ssh/ssh_host_ed25519_key",
        "../ssh/ssh_host_ed25519_key",
        "//secret/..//../secret",
    ],
)
def test_paths_outside_the_area_name_nothing(
    options: ServeOptions, path: str, tmp_path: Path
) -> None:
    async def body(server: LeadqServer) -> None:
        server.file_area("riley")
        before = sorted(p for p in tmp_path.rglob("*") if area_of(options) not in p.parents)
        async with sftp(server) as client:
            try:
                async with client.open(path, "rb") as handle:
                    assert await handle.read() != SECRET
            except asyncssh.SFTPError:
                pass
            try:  # a one-name path lands in the area, as under a chroot; others fail
                async with client.open(path, "wb") as handle:
                    await handle.write(b"overwritten")
            except asyncssh.SFTPError:
                pass
        after = sorted(p for p in tmp_path.rglob("*") if area_of(options) not in p.parents)
        assert after == before

    run(options, body)
    assert (options.data_dir.parent / "secret").read_bytes() == SECRET  # type: ignore[union-attr]


def test_dot_dot_stays_in_the_area_like_a_chroot(options: ServeOptions) -> None:
    async def body(server: LeadqServer) -> None:
        async with sftp(server) as client:
            await client.chdir("../../..")
            assert await client.getcwd() == "/"
            assert await client.realpath("/../../etc/..") == "/"
            async with client.open("../up.txt", "wb") as handle:  # lands in the area
                await handle.write(b"x")

    run(options, body)
    assert (area_of(options) / "up.txt").exists()
    assert not (area_of(options).parent / "up.txt").exists()


def test_links_are_neither_made_nor_followed_nor_read(
    options: ServeOptions, tmp_path: Path
) -> None:
    def plant(server: LeadqServer) -> Path:
        root = server.file_area("riley").root
        (root / "key").symlink_to(tmp_path / "secret")
        os.link(tmp_path / "secret", root / "hard")
        return root

    async def body(server: LeadqServer) -> None:
        root = plant(server)
        async with sftp(server) as client:
            for make in (client.symlink, client.link):
                with pytest.raises(asyncssh.SFTPPermissionDenied, match="Links cannot be made"):
                    await make(str(tmp_path / "secret"), "made")
            assert not (root / "made").exists()
            with pytest.raises(asyncssh.SFTPPermissionDenied, match="not followed"):
                await client.readlink("key")
            for name, reason in (("key", "is a link"), ("hard", "other hard links")):
                for mode in ("rb", "wb", "ab", "r+b"):
                    with pytest.raises(asyncssh.SFTPPermissionDenied, match=reason):
                        await client.open(name, mode)
            assert await client.listdir("/") == ["."]  # neither is offered
            attrs = await client.stat("key")  # the link itself, never its target
            assert attrs.size != len(SECRET) or attrs.type == asyncssh.FILEXFER_TYPE_SYMLINK
            with pytest.raises(asyncssh.SFTPPermissionDenied):
                await client.setstat("key", asyncssh.SFTPAttrs(size=0))
            with pytest.raises(asyncssh.SFTPPermissionDenied):
                await client.rename("key", "renamed")

    run(options, body)
    assert (tmp_path / "secret").read_bytes() == SECRET


def test_no_folders_no_hidden_names_no_owners(options: ServeOptions) -> None:
    async def body(server: LeadqServer) -> None:
        async with sftp(server) as client:
            with pytest.raises(asyncssh.SFTPPermissionDenied, match="no folders"):
                await client.mkdir("sub")
            for name in (".bashrc", ".leadq-partial-1", "a\x1bb", "nul\x00"):
                with pytest.raises(asyncssh.SFTPError):
                    await client.open(name, "wb")
            with pytest.raises(asyncssh.SFTPPermissionDenied, match="UTF-8"):
                await client.open(b"bad\xff", "wb")
            async with client.open("f.txt", "wb") as handle:
                await handle.write(b"f")
            with pytest.raises(asyncssh.SFTPPermissionDenied, match="keep their owner"):
                await client.chown("f.txt", 0, 0)
            await client.chmod("f.txt", 0o4777)  # accepted, and without effect
            for rename in (client.rename, client.posix_rename):
                with pytest.raises(asyncssh.SFTPError):
                    await rename("f.txt", "/tmp/f.txt")
                with pytest.raises(asyncssh.SFTPError):
                    await rename("f.txt", "/")

    run(options, body)
    assert sorted(p.name for p in area_of(options).iterdir()) == ["f.txt"]
    assert (area_of(options) / "f.txt").stat().st_mode & 0o7777 == 0o600


def test_quotas_hold_for_every_way_of_writing(options: ServeOptions) -> None:
    async def body(server: LeadqServer) -> None:
        async with sftp(server) as client:
            async with client.open("big.bin", "wb") as handle:
                await handle.write(b"x" * 1000)
            async with client.open("big.bin", "r+b") as handle:
                with pytest.raises(asyncssh.SFTPError, match="at most 1000 bytes"):
                    await handle.write(b"x", 1000)
            async with client.open("too-big.bin", "wb") as handle:
                await handle.write(b"x" * 400)
                with pytest.raises(asyncssh.SFTPError, match="at most 1000 bytes"):
                    await handle.write(b"x" * 700, 400)
            async with client.open("sparse.bin", "wb") as handle:
                with pytest.raises(asyncssh.SFTPError, match="at most 1000 bytes"):
                    await handle.write(b"x", 10**12)  # a sparse file of a terabyte
            with pytest.raises(asyncssh.SFTPError, match="at most 1000 bytes"):
                await client.truncate("big.bin", 10**12)
            async with client.open("second.bin", "wb") as handle:
                await handle.write(b"y" * 500)
                with pytest.raises(asyncssh.SFTPError, match=re.escape("limited to 1.5 KB")):
                    await handle.write(b"y", 500)
            # copy-data (asyncssh's server-side copy) goes through the same checks.
            with pytest.raises(asyncssh.SFTPError, match=re.escape("limited to 1.5 KB")):
                await client.copy("big.bin", "copy.bin", remote_only=True)
            stats = await client.statvfs("/")
            assert stats.frsize * stats.blocks == 1500 // 1024 * 1024
            for index in range(4):
                async with client.open(f"empty{index}", "wb"):
                    pass
            with pytest.raises(asyncssh.SFTPError, match="the most it may hold"):
                async with client.open("one-too-many", "wb"):
                    pass

    run(options, body)
    files = sorted(p.name for p in area_of(options).iterdir())
    # The uploads the quota stopped are gone; the ones that fitted stay.
    assert files == ["big.bin", "empty0", "empty1", "empty2", "empty3"]
    assert (area_of(options) / "big.bin").stat().st_size == 1000


def test_reads_are_bounded_and_open_files_are_capped(options: ServeOptions) -> None:
    from tui.ssh.sftp import OPEN_FILES_MAX, READ_MAX

    options.file_limits = models.FileLimits(per_file=READ_MAX * 2, per_user=READ_MAX * 3, files=5)

    async def body(server: LeadqServer) -> None:
        async with sftp(server) as client:
            async with client.open("f.bin", "wb") as handle:
                await handle.write(b"z" * (READ_MAX + 10))
            async with client.open("f.bin", "rb", block_size=0) as handle:
                data = await handle.read(2**31, 0)  # asks for 2 GiB in one request
                assert len(data) <= READ_MAX + 10
            handles = []
            for _ in range(OPEN_FILES_MAX):
                handles.append(await client.open("f.bin", "rb"))
            with pytest.raises(asyncssh.SFTPError, match=f"At most {OPEN_FILES_MAX} files"):
                await client.open("f.bin", "rb")
            for handle in handles:
                await handle.close()

    run(options, body)


AREA_PROBE = r"""
import json, os, sys
fd = int(os.environ["LEADQ_FILE_AREA_FD"])
made = os.open("from-the-app.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=fd)
os.write(made, b"hello")
os.close(made)
print("AREA " + json.dumps({
    "env": {k: os.environ.get(k) for k in ("LEADQ_FILE_AREA", "LEADQ_FILE_LIMITS")},
    "listed": sorted(os.listdir(fd)),
}), flush=True)
sys.stdin.read(1)
"""


def test_sftp_sessions_per_user_are_capped(options: ServeOptions) -> None:
    options.max_sessions_per_user = 2

    async def body(server: LeadqServer) -> None:
        async with sftp(server, "riley"), sftp(server, "riley"):
            with pytest.raises((asyncssh.ChannelOpenError, asyncssh.SFTPError)):
                async with sftp(server, "riley"):
                    pass
            async with sftp(server, "sam") as other:  # another user is not held up
                assert await other.listdir("/") == ["."]
        async with sftp(server, "riley") as again:  # closed ones no longer count
            assert await again.listdir("/") == ["."]

    run(options, body)


def test_the_app_gets_its_area_from_the_server_never_from_the_client(
    options: ServeOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app inherits a descriptor of the area (so it needs no way through the
    server's directories, even as the --run-as account), set by the server alone."""
    from .serve_support import account_dir, fake_app_python

    monkeypatch.setenv(AREA_ENV, "/")  # the server's own environment does not leak through
    with account_dir() as shared:
        probe = shared / "probe.py"
        probe.write_text(AREA_PROBE)
        options.app_command = (fake_app_python(), str(probe))

        async def body(server: LeadqServer) -> dict:
            server.file_area("riley").write("already.txt", b"x")
            async with asyncssh.connect(
                "127.0.0.1", server.port, username="riley", client_keys=[], known_hosts=None,
                agent_path=None, config=[],
            ) as conn:  # fmt: skip
                env = {AREA_ENV: "/", AREA_FD_ENV: "0", LIMITS_ENV: "9:9:9", "LC_ALL": "C"}
                process = await conn.create_process(term_type="xterm", env=env, encoding=None)
                await process.stdout.readuntil(b"AREA ")
                line = await process.stdout.readuntil(b"\n")
                process.close()
                return json.loads(line)

        info = run(options, body)
    assert info["listed"] == ["already.txt", "from-the-app.txt"]
    assert info["env"] == {AREA_ENV: None, LIMITS_ENV: "1000:1500:5"}
    made = area_of(options) / "from-the-app.txt"
    assert made.read_bytes() == b"hello"
    assert made.stat().st_uid == session_ids()[0]


def test_a_user_name_that_cannot_name_an_area_gets_none(options: ServeOptions) -> None:
    server = LeadqServer(options)
    for name in ("..", "a/b", ".ssh"):
        with pytest.raises(models.FileAreaError, match="cannot name a file area"):
            server.file_area(name)
    files = area_of(options).parent
    assert not files.exists() or list(files.iterdir()) == []


# The command line.


def test_serve_refuses_bad_file_limits(capsys: pytest.CaptureFixture[str]) -> None:
    from tui.serve import serve_main

    from .test_serve import _serve_args

    assert serve_main(_serve_args("--file-limit", "lots")) == 2
    assert "'lots' is not a size" in capsys.readouterr().err
    assert serve_main(_serve_args("--file-limit", "300M")) == 2
    assert "--file-limit cannot be larger than --files-quota" in capsys.readouterr().err
    assert serve_main(_serve_args("--max-files", "0")) == 2
    assert "must be positive" in capsys.readouterr().err


def test_web_sessions_get_the_users_area_too(
    options: ServeOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.serve import serve_main
    from tui.ssh.web import LeadqAppService, TokenServer

    from .test_serve import _serve_args

    seen: dict[str, object] = {}

    def serve(self: TokenServer) -> None:  # instead of listening: what would the app get?
        seen["area"] = os.fstat(self.area_fd)
        service = LeadqAppService(
            self.argv, db_url=self.db_url, run_as=None, area_fd=self.area_fd,
            write_bytes=None, write_str=None, close=None, download_manager=None,
        )  # fmt: skip
        seen["env"] = service._build_environment()

    monkeypatch.setattr(TokenServer, "serve", serve)
    monkeypatch.setenv("LEADQ_DATA_DIR", str(tmp_path / "web-data"))
    monkeypatch.setenv(AREA_ENV, "/")  # not passed on (restored after the test, like the next)
    monkeypatch.setenv(LIMITS_ENV, "1:1:1")
    models.close_database()
    root = ["--allow-root-sessions"] if RUN_AS else []
    args = _serve_args(
        "--web", "--db", options.db_url, "--user", "riley", "--files-quota", "300M", *root
    )
    assert serve_main(args) == 0
    area = tmp_path / "web-data" / "files" / "riley"
    assert os.path.samestat(seen["area"], area.stat())  # type: ignore[arg-type]
    env = seen["env"]
    assert isinstance(env, dict)
    assert env[AREA_FD_ENV].isdigit() and AREA_ENV not in env
    assert env[LIMITS_ENV] == f"{25 * 1024 * 1024}:{300 * 1024 * 1024}:1000"
