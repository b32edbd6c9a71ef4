"""`leadq serve`: leadq for several people at once, over SSH (or in a browser with --web).

The machinery lives in tui/ssh/; this module turns the command line into a
running server. See docs/ssh.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

import models

from .ssh.account import RunAs, ServeError, absolute_url, probe_access, resolve_run_as
from .ssh.algorithms import AlgorithmError, algorithm_list
from .ssh.hostkey import HostKeyError
from .ssh.server import COLOR_SYSTEMS, LeadqServer, ServeOptions, is_loopback, run_server

DEFAULT_SSH_PORT = 2222
DEFAULT_WEB_PORT = 8000


def _fail(message: str, status: int = 2) -> int:
    print(f"leadq serve: {message}", file=sys.stderr)
    return status


def _check_database(url: str) -> tuple[str, int] | None:
    """Open (and migrate) the database once; an error sentence and the exit status
    (docs/errors.md) if it cannot serve."""
    try:
        models.open_database(url)
        if not models.has_users():
            return (
                "there are no users in this database yet: run `leadq --db URL seed` for "
                "the demo users, or `leadq --db URL user add NAME --role ROLE --key FILE`.",
                2,
            )
    except models.LeadqError as exc:
        return str(exc), exc.exit_status
    except Exception as exc:  # a server that cannot be reached, a bad URL
        return f"cannot open the database: {exc}", 3
    finally:
        models.close_database()
    return None


def _sessions_trust_the_check(url: str) -> None:
    """Tell the sessions that this very file was checked at the server's start, so
    that each does not run the start-up quick_check again (up to 0.5 s of CPU each:
    50 sessions starting together would spend 25 s of it on the same pages). A file
    replaced meanwhile (another inode) is checked again by the session that opens it;
    damage SQLite meets later is reported by the read or write that meets it."""
    identity = models.checked_file_identity(url)
    if identity is not None:
        os.environ[models.CHECKED_FILE_ENV] = identity


def parse_max_startups(value: str) -> tuple[int, int, int]:
    """sshd's MaxStartups: `start:rate:full`, or `N` for a hard limit of N."""
    try:
        parts = [int(part) for part in value.split(":")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        parts = [parts[0], 100, parts[0]]
    if len(parts) != 3 or not (0 < parts[0] <= parts[2] and 0 <= parts[1] <= 100):
        raise ValueError(
            f"--max-startups is START:RATE:FULL (like sshd's 10:30:100, with "
            f"0 < START <= FULL and RATE a percentage) or one number, not {value!r}."
        )
    return parts[0], parts[1], parts[2]


def _limits(args: argparse.Namespace) -> dict[str, object]:
    """The sshd-like limits from the command line, checked; ValueError says which is wrong."""
    limits: dict[str, object] = {"max_startups": parse_max_startups(args.max_startups)}
    for name in (
        "login_grace_time", "unused_connection_timeout", "keepalive_interval",
        "max_sessions_per_connection", "max_sessions_per_user", "keepalive_count_max",
        "per_source_max_startups",
    ):  # fmt: skip
        value = getattr(args, name)
        if value < 0 or (name.startswith("max_") and value < 1):
            least = "at least 1" if name.startswith("max_") else "0 or more"
            raise ValueError(f"--{name.replace('_', '-')} must be {least}, not {value}.")
        limits[name] = value
    if args.max_sessions < 1:
        raise ValueError(f"--max-sessions must be at least 1, not {args.max_sessions}.")
    for kind, name in (
        ("kex", "kex_algorithms"), ("ciphers", "ciphers"), ("macs", "macs"),
        ("signatures", "pubkey_algorithms"),
    ):  # fmt: skip
        value = getattr(args, name)
        algorithm_list(kind, value)  # AlgorithmError (a ValueError) names the bad one
        limits[name] = value
    return limits


def _account_problem(run_as: RunAs | None, url: str) -> str | None:
    """A sentence if the run-as account cannot run leadq or use the SQLite file."""
    if run_as is None:
        return None
    problems = probe_access(run_as, url)
    if not problems:
        return None
    advice = []
    if any(p.startswith(("cannot run", "cannot load")) for p in problems):
        advice.append(
            "install leadq where that account can read it (a virtual environment outside "
            "any private home directory, made with a Python the account can run)"
        )
    if any(p.startswith(("cannot reach", "cannot read", "cannot create")) for p in problems):
        advice.append(
            f"give it the database (for SQLite, the directory and the files in it: "
            f"`chown -R {run_as.name}: DIRECTORY`)"
        )
    return f"sessions run as {run_as.name}, who {'; '.join(problems)}: {' and '.join(advice)}."


def _file_limits(args: argparse.Namespace) -> models.FileLimits:
    limits = models.FileLimits(
        per_file=models.parse_size(args.file_limit),
        per_user=models.parse_size(args.files_quota),
        files=args.max_files,
    )
    if limits.per_file > limits.per_user:
        raise models.FileAreaError("--file-limit cannot be larger than --files-quota.")
    return limits


def serve_main(args: argparse.Namespace) -> int:
    """Run `leadq serve` until Ctrl+C; the exit status."""
    host: str = args.host
    web = bool(getattr(args, "web", False))
    port = args.port if args.port is not None else (DEFAULT_WEB_PORT if web else DEFAULT_SSH_PORT)
    if not is_loopback(host) and not args.force:
        if args.demo:
            return _fail(
                f"--demo lets people in without a key; it only listens on a loopback "
                f"address, not {host}. Add --force if you really mean it."
            )
        if web:
            return _fail(
                f"--web is plain HTTP with a token in the address; it only listens on a "
                f"loopback address, not {host}. Add --force (behind TLS) if you mean it."
            )
    color = args.color_system
    if color is not None and color not in COLOR_SYSTEMS:
        return _fail(f"--color-system is one of {', '.join(COLOR_SYSTEMS)}.")
    try:
        limits = _limits(args)
        file_limits = _file_limits(args)
        run_as = resolve_run_as(args.run_as, args.allow_root_sessions)
        if run_as is None and os.geteuid() == 0:
            print(
                "leadq serve: warning: sessions run as root (--allow-root-sessions); "
                "a signed-in user's app has root's privileges on this machine.",
                file=sys.stderr,
            )
    except (ValueError, ServeError, models.LeadqError) as exc:
        return _fail(str(exc))
    files_dir = Path(args.files_dir).expanduser().resolve() if args.files_dir else None
    url = absolute_url(models.resolve_url(args.db))
    problem = _check_database(url) or _account_problem(run_as, url)
    if problem:
        return _fail(*problem)
    _sessions_trust_the_check(url)
    if web:
        return _serve_web(args, url, host, port, run_as, files_dir, file_limits)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    options = ServeOptions(
        db_url=url,
        host=host,
        port=port,
        demo=args.demo,
        max_sessions=args.max_sessions,
        session_start=args.session_start,
        idle_timeout=args.idle_timeout,
        color_system=color,
        run_as=run_as.name if run_as else None,
        allow_root_sessions=args.allow_root_sessions,
        **limits,
        files_dir=files_dir,
        file_limits=file_limits,
    )
    # The database is reopened per check in the server's worker threads.
    models.open_database(url, run_migrations=False)
    models.close_database()

    def ready(server: LeadqServer) -> None:
        assert server.host_key is not None
        print(
            f"leadq serve: listening on {host}:{server.port} "
            f"(host key {server.host_key.get_fingerprint()})",
            flush=True,
        )
        if options.demo:
            names = ", ".join(sorted(options.demo_users)) or "(none: models.DEMO_USERS is empty)"
            print(f"leadq serve: demo mode, no key needed for: {names}", flush=True)
        print(f"leadq serve: connect with  ssh -p {server.port} USER@{host}", flush=True)

    try:
        asyncio.run(run_server(options, ready=ready))
    except (HostKeyError, ServeError, AlgorithmError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        pass
    return 0


def _serve_web(
    args: argparse.Namespace,
    url: str,
    host: str,
    port: int,
    run_as: RunAs | None,
    files_dir: Path | None,
    limits: models.FileLimits,
) -> int:
    from .cli import resolve_user
    from .ssh.web import TokenServer, new_token

    try:
        models.open_database(url)
        user = resolve_user(getattr(args, "user", None))
        owner = (run_as.uid, run_as.gid) if run_as is not None else None
        base = files_dir or models.data_dir() / "files"
        area_fd = models.FileArea.for_user(
            base, user.username, limits, owner=owner
        ).open_descriptor()
    except models.LeadqError as exc:
        return _fail(str(exc))
    finally:
        models.close_database()
    # Each tab's app inherits a descriptor of the user's file area (and the limits
    # through the environment textual-serve passes on): it has no server paths.
    os.environ[models.FILE_LIMITS_ENV] = limits.encode()
    public_host = f"[{host}]" if ":" in host else host
    factory = None
    if args.session_start == "fork":
        from .ssh.factory import SessionFactory
        from .ssh.server import factory_environment

        factory = SessionFactory(sys.executable, factory_environment(url))
    server = TokenServer(
        [sys.executable, "-m", "tui", "--user", user.username, "--no-seed"],
        host=host,
        port=port,
        token=new_token(),
        db_url=url,
        run_as=run_as,
        max_sessions=args.max_sessions,
        area_fd=area_fd,
        factory=factory,
        title="leadq",
        public_url=f"http://{public_host}:{port}",
    )
    print(f"leadq serve: serving leadq as {user.username} ({user.role_label})", flush=True)
    server.serve()
    return 0
