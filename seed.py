"""Deterministic demo data for leadq: `python seed.py [--db URL] [--leads N]`.

The command line of `models.seeding`, which writes the data (docs/seed.md says what
a seeded database holds); `leadq seed` and `leadq`'s first run call it the same way.
"""

from __future__ import annotations

import argparse
import sys

import models
from models.demo import DEMO_USERS
from models.seeding import check_counts, seed
from tui.cli import CommandLineParser, run_guarded, stamped


def main(argv: list[str] | None = None) -> int:
    parser = CommandLineParser(
        prog="seed.py", description="Fill a leadq database with deterministic demo data."
    )
    parser.add_argument("--db", metavar="URL", help="database URL (default: $LEADQ_DB or leadq's)")
    parser.add_argument("--leads", type=int, default=300, help="leads in all (default 300)")
    parser.add_argument("--accounts", type=int, help="accounts at least (default leads/20)")
    parser.add_argument("--contacts", type=int, help="contacts at least (default leads/10)")
    parser.add_argument("--reset", action="store_true", help="delete all data first")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    return run_guarded("seed.py", lambda: _main(args))


def _main(args: argparse.Namespace) -> int:
    check_counts(args.leads, args.accounts, args.contacts, models.resolve_url(args.db))
    models.open_database(args.db)
    try:
        summary = seed(
            args.leads,
            accounts=args.accounts,
            contacts=args.contacts,
            reset=args.reset,
            progress=None if args.quiet else stamped,
        )
    finally:
        models.close_database()
    if args.quiet:
        print(summary.line())
    users = ", ".join(f"{u.username} ({u.role.label})" for u in DEMO_USERS)
    print(f"Demo users: {users}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
