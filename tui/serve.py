"""`leadq serve`: leadq for several people at once, over SSH (or in a browser with --web).

The machinery lives in tui/ssh/; this module turns the command line into a
running server. See docs/ssh.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shlex
import sys

import models

from .ssh.hostkey import HostKeyError
from .ssh.server import COLOR_SYSTEMS, LeadqServer, ServeOptions, is_loopback, run_server

DEFAULT_SSH_PORT = 2222
DEFAULT_WEB_PORT = 8000


def _fail(message: str) -> int:
    print(f"leadq serve: {message}", file=sys.stderr)
    return 2


def _check_database(url: str) -> str | None:
    """Open (and migrate) the database once; an error sentence if it cannot serve."""
    try:
        models.open_database(url)
        if not models.User.select().exists():
            return (
                "there are no users in this database yet: run `leadq --db URL seed` for "
                "the demo users, or `leadq --db URL user add NAME --role ROLE --key FILE`."
            )
    except models.LeadqError as exc:
        return str(exc)
    except Exception as exc:  # a server that cannot be reached, a bad URL
        return f"cannot open the database: {exc}"
    finally:
        models.close_database()
    return None


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
    url = models.resolve_url(args.db)
    problem = _check_database(url)
    if problem:
        return _fail(problem)
    if web:
        return _serve_web(args, url, host, port)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    options = ServeOptions(
        db_url=url,
        host=host,
        port=port,
        demo=args.demo,
        max_sessions=args.max_sessions,
        idle_timeout=args.idle_timeout,
        color_system=color,
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
            names = ", ".join(sorted(options.demo_users)) or "(none: seed.DEMO_USERS is empty)"
            print(f"leadq serve: demo mode, no key needed for: {names}", flush=True)
        print(f"leadq serve: connect with  ssh -p {server.port} USER@{host}", flush=True)

    try:
        asyncio.run(run_server(options, ready=ready))
    except HostKeyError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        pass
    return 0


def _serve_web(args: argparse.Namespace, url: str, host: str, port: int) -> int:
    from .cli import resolve_user
    from .ssh.web import TokenServer, new_token

    try:
        models.open_database(url)
        user = resolve_user(getattr(args, "user", None))
    except models.LeadqError as exc:
        return _fail(str(exc))
    finally:
        models.close_database()
    command = shlex.join(
        [sys.executable, "-m", "tui", "--db", url, "--user", user.username, "--no-seed"]
    )
    public_host = f"[{host}]" if ":" in host else host
    server = TokenServer(
        command,
        host=host,
        port=port,
        token=new_token(),
        title="leadq",
        public_url=f"http://{public_host}:{port}",
    )
    print(f"leadq serve: serving leadq as {user.username} ({user.role_label})", flush=True)
    server.serve()
    return 0
