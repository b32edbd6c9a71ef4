"""The `leadq` command: start the app, serve it over SSH, manage users, seed demo data
(`models.seeding`; the app never imports seed.py, which is that command line on its own)."""

from __future__ import annotations

import argparse
import functools
import getpass
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# Exit statuses of `leadq` and `seed.py` (docs/errors.md). A `LeadqError` carries
# its own (`exit_status`: 1 refused, 2 usage, 3 database cannot be opened, 4 newer
# database); these are the ones no error class stands for.
EXIT_USAGE = 2
EXIT_BUG = 70  # sysexits' EX_SOFTWARE: a traceback was printed
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
BUG_REPORT = "this is a bug in leadq: please report it with the traceback above."


class CommandLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (what is wrong, where to look) and
    exit status 2, instead of the usage block; with `--json` on the command line it
    is the JSON error every scripting command prints (docs/cli.md), on stdout."""

    json_errors = False  # set by `main` for the command line being parsed

    def error(self, message: str) -> None:  # type: ignore[override]
        line = f"{self.prog}: {message} (see {self.prog} --help)"
        if CommandLineParser.json_errors:
            error = {"type": "UsageError", "message": line, "exit_status": EXIT_USAGE}
            print(json.dumps({"error": error}, ensure_ascii=False, indent=2))
            self.exit(EXIT_USAGE)
        self.exit(EXIT_USAGE, line + "\n")


_STARTED = time.perf_counter()


def stamped(message: str) -> None:
    """Progress on stderr, with the seconds since start (`leadq seed`, seed.py)."""
    print(f"[{time.perf_counter() - _STARTED:6.1f} s] {message}", file=sys.stderr)


def run_guarded(prog: str, body: Callable[[], T]) -> T | int:
    """Run a command's body as every leadq command line does: a known failure
    (`LeadqError`) prints one line and exits with its status; Ctrl+C prints one
    line; anything else is a bug: its traceback, then a line asking to report it."""
    import models

    try:
        return body()
    except models.LeadqError as exc:
        print(f"{prog}: {' '.join(str(exc).split())}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print(f"{prog}: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `leadq user list | head`: the reader has gone
        sys.stderr.close()
        return 0
    except Exception:
        damage = _damage_found()
        if damage is not None:  # what failed read a damaged page before the check did
            print(f"{prog}: {' '.join(str(damage).split())}", file=sys.stderr)
            return damage.exit_status
        traceback.print_exc()
        print(f"{prog}: {BUG_REPORT}", file=sys.stderr)
        return EXIT_BUG


def _damage_found():  # -> models.DatabaseDamaged | None
    """The start-up check's finding when it was left for later and finds damage."""
    import models

    try:
        models.finish_open_check()
    except models.DatabaseDamaged as exc:
        return exc
    except Exception:
        return None  # the error being reported is the one to read
    return None


APP_OPTIONS = {"--db": True, "--user": True, "--no-seed": False}
"""The options of `leadq` itself (without a subcommand), and whether each takes a value."""


def starts_the_app(argv: list[str]) -> bool:
    """Whether `argv` is only the app's own options (each spelled out in full): then
    `leadq` starts the app, and the parser of its ~40 subcommands (0.7 MiB and some
    ms to build) is not needed to read them."""
    rest = iter(argv)
    for arg in rest:
        name, equals, _ = arg.partition("=")
        takes_value = APP_OPTIONS.get(name)
        if takes_value is None or (equals and not takes_value):
            return False
        if takes_value and not equals and next(rest, None) is None:
            return False  # argparse says the value is missing
    return True


@functools.cache
def _parser(subcommands: bool = True) -> argparse.ArgumentParser:
    """The command line's parser, built once per process (argparse looks up a
    translation of each help text: 10 to 40 ms; the session factory builds it
    before it forks). Parsing leaves it unchanged. Without `subcommands`, only
    `leadq`'s own options (`starts_the_app`)."""
    parser = CommandLineParser(
        prog="leadq", description="A keyboard-driven terminal CRM for qualifying leads."
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="sqlite:///relative.db, sqlite:////absolute.db or postgresql://user@host/name "
        "(default: $LEADQ_DB, else a SQLite file in your data directory)",
    )
    parser.add_argument(
        "--user", metavar="NAME", help="sign in as this leadq user (default: $LEADQ_USER)"
    )
    parser.add_argument(
        "--no-seed",
        action="store_true",
        help="do not fill an empty database with demo data on first run",
    )
    if not subcommands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="serve leadq over SSH for demos")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default 2222 (SSH) or 8000 (--web)")
    serve.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="as for leadq")
    serve.add_argument(
        "--user", metavar="NAME", default=argparse.SUPPRESS, help="--web: the user it signs in"
    )
    serve.add_argument("--demo", action="store_true", help="let seeded demo users in without a key")
    serve.add_argument(
        "--force", action="store_true", help="allow --demo on a non-loopback address"
    )
    serve.add_argument(
        "--run-as",
        metavar="USER",
        help="the account session processes run as (required when serving as root)",
    )
    serve.add_argument(
        "--allow-root-sessions",
        action="store_true",
        help="serving as root without --run-as: run sessions as root (throwaway machines only)",
    )
    serve.add_argument("--max-sessions", type=int, default=32, help="apps at once, all users")
    serve.add_argument(
        "--session-start",
        choices=("fork", "spawn"),
        default="fork",
        help="fork: sessions forked from a preloaded factory process (fast, shared memory); "
        "spawn: a fresh Python per session (SSH and --web)",
    )
    serve.add_argument("--idle-timeout", type=int, default=1800, metavar="SECONDS")
    serve.add_argument(
        "--login-grace-time", type=float, default=30, metavar="SECONDS", help="to sign in"
    )
    serve.add_argument(
        "--max-startups",
        default="10:30:100",
        metavar="START:RATE:FULL",
        help="random early drop of connections not signed in yet, as sshd (10:30:100)",
    )
    serve.add_argument(
        "--per-source-max-startups",
        type=int,
        default=0,
        metavar="N",
        help="connections signing in at once from one address (0: no limit, as sshd)",
    )
    serve.add_argument(
        "--unused-connection-timeout",
        type=float,
        default=60,
        metavar="SECONDS",
        help="close a signed-in connection that has no session (0: never)",
    )
    serve.add_argument("--max-sessions-per-connection", type=int, default=10, metavar="N")
    serve.add_argument("--max-sessions-per-user", type=int, default=10, metavar="N")
    serve.add_argument("--keepalive-interval", type=float, default=15, metavar="SECONDS")
    serve.add_argument("--keepalive-count-max", type=int, default=2, metavar="N")
    for option in ("--kex-algorithms", "--ciphers", "--macs", "--pubkey-algorithms"):
        serve.add_argument(option, metavar="LIST", help="as in sshd_config: a,b / +a / -a")
    serve.add_argument(
        "--color-system",
        default=None,
        help="colours for SSH sessions: truecolor, 256, standard or auto (default 256)",
    )
    serve.add_argument("--web", action="store_true", help="serve to a browser (textual-serve)")
    files = serve.add_argument_group("file areas (attachments, screenshots, SFTP)")
    files.add_argument(
        "--files-dir", metavar="DIR", help="where the users' file areas are (<data dir>/files)"
    )
    files.add_argument(
        "--file-limit", metavar="SIZE", default="25M", help="the largest file (default 25M)"
    )
    files.add_argument(
        "--files-quota",
        metavar="SIZE",
        default="200M",
        help="all of one user's files together (default 200M)",
    )
    files.add_argument(
        "--max-files", metavar="N", type=int, default=1000, help="files per user (default 1000)"
    )

    from .users_cli import add_user_parser

    add_user_parser(sub)

    seed = sub.add_parser("seed", help="fill the database with deterministic demo data")
    seed.add_argument("--leads", type=int, default=300)

    from . import scripting  # import, export, leads list, lead show, qualify, disqualify, merge

    scripting.add_commands(sub)

    sub.add_parser("check", help="check the whole database file for damage (no time limit)")
    return parser


def resolve_user(requested: str | None):  # -> models.User
    """The user to sign in as: --user, $LEADQ_USER, the OS login name if it is a
    leadq user, else the first system administrator (single-user local use)."""
    import models

    name = requested or os.environ.get("LEADQ_USER")
    if name:
        return models.get_user(name)
    try:
        return models.get_user(getpass.getuser())
    except (models.NotFound, OSError, KeyError):
        pass
    admin = models.first_active_admin()
    if admin is None:
        raise models.NotFound("There are no users yet: add one with `leadq user add NAME`.")
    return admin


def skip_postgres_drivers(url: str | None) -> None:
    """On SQLite, keep Peewee from importing the PostgreSQL drivers it probes for at
    import time: psycopg costs about 15 MiB and a few hundred ms of start-up."""
    url = url or os.environ.get("LEADQ_DB") or "sqlite:"
    if not url.lower().startswith("postgres") and "peewee" not in sys.modules:
        for name in ("psycopg", "psycopg2", "psycopg2cffi"):
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    CommandLineParser.json_errors = "--json" in argv
    try:
        args = _parser(not starts_the_app(argv)).parse_args(argv)
    finally:
        CommandLineParser.json_errors = False
    if args.command not in ("serve", "seed"):
        skip_postgres_drivers(args.db)
    outcome = run_guarded("leadq", lambda: _run(args))
    if isinstance(outcome, StartApp):
        return run_guarded("leadq", outcome.run)
    return outcome


@dataclass(frozen=True)
class StartApp:
    """What `_run` returns to start the TUI once the database is open and the user
    known. Textual prints the tracebacks of the app's own errors; a `LeadqError`
    the app ends on (a damaged file found by the start-up check it runs after its
    first paint) is raised once the terminal is restored, for `run_guarded` to say."""

    user_id: int
    db_url: str
    file_area: object  # models.FileArea | None

    def run(self) -> int:
        from .app import LeadqApp
        from .loading import keep_built_objects

        # What start-up imported lives as long as the app: out of the collector's
        # reach, the full collection that start-up triggers walks only what is new
        # (bench_tui: 60-90 ms CPU less before the first paint).
        keep_built_objects()
        app = LeadqApp(user_id=self.user_id, db_url=self.db_url, file_area=self.file_area)
        app.run()
        if app.refusal is not None:
            import models

            models.close_database()  # the last connection: SQLite removes -wal and -shm
            raise app.refusal
        if app.crashed:
            damage = _damage_found()
            if damage is not None:
                raise damage
            print(f"leadq: {BUG_REPORT}", file=sys.stderr)
            return EXIT_BUG
        return app.return_code or 0


def _run(args: argparse.Namespace) -> int | StartApp:
    import models

    if args.command is not None:  # the app does not import the scripting commands
        from . import scripting

        if args.command in scripting.COMMANDS:
            return scripting.run(args)  # its own messages, JSON with --json
    if args.command == "serve":
        from .serve import serve_main

        return serve_main(args)
    if args.command == "seed":
        models.check_seed_counts(args.leads, url=models.resolve_url(args.db))  # before any file
    # The app paints its first screen before the start-up quick_check, which then runs
    # in a thread (writes wait for it); subcommands, and an app with no terminal to
    # paint on, check before anything else (docs/errors.md).
    painting = args.command is None and sys.stdin.isatty() and sys.stdout.isatty()
    models.open_database(args.db, check_later=painting)
    if args.command == "user":
        from .users_cli import user_command

        return user_command(args)
    if args.command == "seed":
        models.seed_demo_data(leads=args.leads, progress=stamped)
        return 0
    if args.command == "check":
        return _check_command(args)
    if not args.no_seed and not models.has_users():
        print("Empty database: adding demo data...", file=sys.stderr)
        models.seed_demo_data()
    user = resolve_user(args.user)
    # Set by `leadq serve` for a served session; no flag turns it off.
    file_area = models.FileArea.from_environment() if models.file_area_given() else None
    return StartApp(user.id, models.resolve_url(args.db), file_area)


def _check_command(args: argparse.Namespace) -> int:
    """`leadq check`: SQLite's quick_check over the whole file, however long it takes."""
    import models

    print(f"leadq check: {models.check_database()}")
    return 0
