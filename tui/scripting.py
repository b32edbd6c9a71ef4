"""The scriptable commands of `leadq`: import, export, list, show, qualify, disqualify,
merge.

They go through the same model services as the TUI, acting as `--user` (roles are
the services' own). With `--json`, the output is JSON with the keys listed in
docs/cli.md, and so is an error (`{"error": {...}}` on standard output). Exit
statuses (docs/cli.md): 0 done; 1 refused, nothing changed (a rule, a bad value, a
lead not found); 2 usage; 3 the database cannot be opened; 5 done in part (rows
rejected or skipped, leads not qualified: the output says which).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from .part_file import PartFile

COMMANDS = ("import", "export", "leads", "lead", "qualify", "disqualify", "merge")
EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_PARTIAL = 5


class CommandFailed(Exception):
    """A failure found by the command line itself (a file that cannot be read)."""

    def __init__(self, message: str, status: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def add_commands(sub: argparse._SubParsersAction) -> None:
    json_help = "print JSON (keys documented in docs/cli.md); errors are JSON too"

    imp = sub.add_parser("import", help="import leads from a CSV file, or undo an import")
    imp.add_argument("file", nargs="?", metavar="FILE.csv", help="the CSV file ('-': stdin)")
    imp.add_argument(
        "--on-duplicate",
        choices=["skip", "create", "update"],
        default="skip",
        help="skip duplicates (default), create them anyway, or update the matching "
        "lead's blank fields",
    )
    imp.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=field",
        help="feed a column to a lead field (or '-' to ignore it); repeatable",
    )
    imp.add_argument(
        "--reject",
        metavar="FILE",
        help="where rejected and skipped rows go (default: FILE-rejected.csv beside the file, "
        "written only if there are any)",
    )
    imp.add_argument("--undo", type=int, metavar="BATCH", help="undo the import numbered BATCH")
    imp.add_argument("--list", action="store_true", help="list the latest imports")
    imp.add_argument("--json", action="store_true", help=json_help)

    exp = sub.add_parser("export", help="export leads (a view, a search) as CSV, JSON or JSONL")
    exp.add_argument("--view", default="all", help="open, mine, all (default), qualified, ...")
    exp.add_argument("--search", default="", metavar="TEXT")
    exp.add_argument("--ids", default="", metavar="ID,ID", help="only these leads (a selection)")
    exp.add_argument("--format", choices=["csv", "json", "jsonl"], default="csv")
    exp.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")

    leads = sub.add_parser("leads", help="list leads")
    leads_sub = leads.add_subparsers(dest="leads_command", required=True)
    lst = leads_sub.add_parser("list", help="list the leads of a view")
    lst.add_argument("--view", default="open")
    lst.add_argument("--search", default="", metavar="TEXT")
    lst.add_argument("--limit", type=int, default=0, help="at most this many (default: all)")
    lst.add_argument("--json", action="store_true", help=json_help)

    lead = sub.add_parser("lead", help="one lead")
    lead_sub = lead.add_subparsers(dest="lead_command", required=True)
    show = lead_sub.add_parser("show", help="show a lead with its notes and history")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true", help=json_help)

    qualify = sub.add_parser("qualify", help="qualify leads (each in its own transaction)")
    qualify.add_argument("ids", type=int, nargs="+", metavar="ID")
    qualify.add_argument(
        "--create",
        default="account,contact,opportunity",
        metavar="WHAT",
        help="when auto-create is off: which of account,contact,opportunity to create",
    )
    qualify.add_argument("--link-account", type=int, metavar="ID")
    qualify.add_argument("--link-contact", type=int, metavar="ID")
    qualify.add_argument(
        "--ignore-duplicates", action="store_true", help="create new records despite matches"
    )
    qualify.add_argument("--json", action="store_true", help=json_help)

    dis = sub.add_parser("disqualify", help="disqualify a lead with a reason")
    dis.add_argument("id", type=int)
    dis.add_argument(
        "--reason",
        required=True,
        help="lost, cannot_contact, no_longer_interested or canceled",
    )
    dis.add_argument("--json", action="store_true", help=json_help)

    mrg = sub.add_parser(
        "merge", help="merge duplicates: 2-5 leads, or two accounts or two contacts"
    )
    mrg.add_argument("kind", choices=["lead", "account", "contact"])
    mrg.add_argument(
        "ids", type=int, nargs="+", metavar="ID", help="the master first, then the others"
    )
    mrg.add_argument(
        "--take",
        action="append",
        default=[],
        metavar="FIELD=ID",
        help="the master takes FIELD from record ID (repeatable); otherwise it keeps its "
        "own value, or the first other's where its own is blank",
    )
    mrg.add_argument(
        "--no-parent-check",
        action="store_true",
        help="two contacts of different accounts: merge them anyway (the master keeps "
        "the account --take picks, else its own)",
    )
    mrg.add_argument("--show", action="store_true", help="show the fields side by side only")
    mrg.add_argument("--json", action="store_true", help=json_help)


def run(args: argparse.Namespace) -> int:
    """Open the database, sign in as --user, run the command; errors in one line
    (or as JSON) with the documented exit status."""
    import models

    as_json = bool(getattr(args, "json", False))
    try:
        models.open_database(args.db)
        from .cli import resolve_user

        user = resolve_user(args.user)
        return _COMMANDS[args.command](args, user)
    except models.ValidationError as exc:
        errors = exc.cli_errors()
        return _fail(as_json, type(exc).__name__, "; ".join(errors.values()), _status(exc), errors)
    except models.DuplicatesFound as exc:
        return _fail(as_json, "DuplicatesFound", exc.message, _status(exc), None, exc.matches)
    except models.LeadqError as exc:
        return _fail(as_json, type(exc).__name__, exc.message, _status(exc))
    except CommandFailed as exc:
        return _fail(as_json, "CommandFailed", exc.message, exc.status)
    except BrokenPipeError:  # `leadq leads list | head`: the reader has gone
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:  # a file named on the command line
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(as_json, "OSError", f"{where}{exc.strerror or exc}.", EXIT_REFUSED)
    except KeyboardInterrupt:
        return _fail(as_json, "Interrupted", "Interrupted.", 130)


def _status(exc: Exception) -> int:
    return int(getattr(exc, "exit_status", EXIT_REFUSED))


def _fail(
    as_json: bool,
    kind: str,
    message: str,
    status: int,
    fields: dict[str, str] | None = None,
    matches: Any = None,
) -> int:
    message = " ".join(message.split())
    if as_json:
        error: dict[str, Any] = {"type": kind, "message": message, "exit_status": status}
        if fields:
            error["fields"] = fields
        if matches is not None:
            error["matches"] = _matches(matches)
        _print_json({"error": error})
    else:
        print(f"leadq: {message}", file=sys.stderr)
    return status


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def _print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, default=_jsonable, indent=2)
    sys.stdout.write("\n")


def _text(value: Any) -> str:
    from .widgets.literal import printable  # user data may hold escape codes

    return printable("" if value is None else str(value))


# --- import --------------------------------------------------------------------------


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip():
            raise CommandFailed(f"--map {pair!r}: write COLUMN=field (or COLUMN=- to ignore).", 2)
        mapping[column.strip()] = target.strip()
    return mapping


class _Progress:
    """A progress bar on stderr, when stderr is a terminal."""

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty()

    def __call__(self, progress: Any) -> None:
        if not self.shown:
            return
        width = 30
        filled = int(progress.fraction * width)
        bar = "#" * filled + "." * (width - filled)
        sys.stderr.write(
            f"\rImporting [{bar}] {progress.fraction:4.0%} {progress.rows:,} rows "
            f"({progress.created:,} created, {progress.rejected:,} rejected)"
        )
        sys.stderr.flush()

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def _open_input(name: str) -> IO[bytes]:
    if name == "-":
        spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the caller)
        shutil.copyfileobj(sys.stdin.buffer, spool)
        spool.seek(0)
        return spool
    try:
        return open(os.path.expanduser(name), "rb")
    except OSError as exc:
        raise CommandFailed(f"Cannot read {name}: {exc.strerror}.") from None


def _import(args: argparse.Namespace, user: Any) -> int:
    import models

    if args.undo is not None:
        result = models.undo_import(user, args.undo)
        if args.json:
            _print_json(
                {
                    "batch_id": result.batch_id,
                    "removed": result.removed,
                    "restored": result.restored,
                    "kept": [
                        {"lead_id": k.lead_id, "name": k.name, "why": k.why} for k in result.kept
                    ],
                }
            )
        else:
            print("\n".join(_text(line) for line in result.lines()))
        return EXIT_OK
    if args.list:
        return _list_batches(args)
    if not args.file:
        raise CommandFailed("Name the CSV file to import (or --undo BATCH, or --list).", 2)
    mapping = _mapping(args.map)
    source = _open_input(args.file)
    reject_path = Path(args.reject) if args.reject else _default_reject(args.file)
    progress = _Progress() if not args.json else None
    with source, PartFile(reject_path) as reject:
        try:
            summary = models.import_leads(
                user,
                source,
                Path(args.file).name if args.file != "-" else "stdin.csv",
                policy=args.on_duplicate,
                mapping=mapping,
                dry_run=args.dry_run,
                reject=reject.handle,
                progress=progress,
            )
        finally:
            if progress is not None:
                progress.done()
        written = summary.rejected + summary.skipped > 0
        if written:
            reject.publish(replace=True)
    if args.json:
        _print_json(_summary_json(summary, str(reject_path) if written else None))
    else:
        print("\n".join(_text(line) for line in summary.lines()))
        if written:
            print(f"Rejected and skipped rows, with the reason: {reject_path}")
    return EXIT_PARTIAL if summary.rejected or summary.state in ("failed", "stopped") else EXIT_OK


def _default_reject(name: str) -> Path:
    if name == "-":
        return Path.cwd() / "stdin-rejected.csv"
    path = Path(os.path.expanduser(name))
    return path.with_name(f"{path.stem}-rejected.csv")


def _summary_json(summary: Any, reject: str | None) -> dict[str, Any]:
    return {
        "batch_id": summary.batch_id,
        "dry_run": summary.dry_run,
        "state": summary.state,
        "rows": summary.rows,
        "created": summary.created,
        "updated": summary.updated,
        "skipped": summary.skipped,
        "rejected": summary.rejected,
        "encoding": summary.encoding,
        "delimiter": summary.delimiter,
        "unknown_columns": list(summary.unknown_columns),
        "notes": list(summary.notes),
        "message": summary.message,
        "reject_file": reject,
    }


def _list_batches(args: argparse.Namespace) -> int:
    import models

    batches = models.list_batches()
    rows = [
        {
            "batch_id": b.id,
            "created_at": b.created_at,
            "user_id": b.actor_id,
            "file_name": b.file_name,
            "policy": b.policy,
            "state": b.state,
            "rows": b.rows_read,
            "created": b.created_count,
            "updated": b.updated_count,
            "skipped": b.skipped_count,
            "rejected": b.rejected_count,
        }
        for b in batches
    ]
    if args.json:
        _print_json(rows)
        return EXIT_OK
    for row in rows:
        print(
            f"#{row['batch_id']:<5} {row['created_at']:%Y-%m-%d %H:%M} {row['state']:8} "
            f"{row['created']:>8,} created {row['updated']:>6,} updated  "
            f"{_text(row['file_name'])}"
        )
    return EXIT_OK


# --- export and lists ------------------------------------------------------------------


def _ids(text: str) -> list[int] | None:
    if not text.strip():
        return None
    try:
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise CommandFailed(f"--ids {text!r}: write lead numbers separated by commas.", 2) from None


def _export(args: argparse.Namespace, user: Any) -> int:
    import models

    ids = models.export_ids(user, args.view, args.search, _ids(args.ids))
    if not args.output:
        models.export_leads(sys.stdout, ids, args.format)
        return EXIT_OK
    target = Path(os.path.expanduser(args.output))
    with PartFile(target) as part:
        count = models.export_leads(part.handle, ids, args.format)
        part.publish(replace=True)
    print(f"Exported {count:,} lead(s) to {target}.", file=sys.stderr)
    return EXIT_OK


LIST_KEYS = (
    "id",
    "topic",
    "first_name",
    "last_name",
    "company",
    "email",
    "state",
    "status_reason",
    "rating",
    "owner",
    "created_at",
)


def _list_rows(args: argparse.Namespace, user: Any) -> Iterator[dict[str, Any]]:
    """The rows of `leads list`; the view is checked at once, before any output."""
    import models

    if args.view not in models.VIEWS:
        raise models.ValidationError(
            {"view": f"There is no view {args.view!r}: use one of {', '.join(models.VIEWS)}."}
        )
    return _rows_of(args, user)


def _rows_of(args: argparse.Namespace, user: Any) -> Iterator[dict[str, Any]]:
    import models

    lead = models.Lead
    query = models.lead_query(args.view, user, args.search).select(
        lead.id,
        lead.topic,
        lead.first_name,
        lead.last_name,
        lead.company,
        lead.email,
        lead.state,
        lead.status_reason,
        lead.rating,
        lead.owner,
        lead.created_at,
    )
    if args.limit:
        query = query.limit(args.limit)
    names = models.usernames_by_id()
    for row in query.dicts().iterator():
        row["owner"] = names.get(row["owner"])
        yield {key: row[key] for key in LIST_KEYS}


def _leads(args: argparse.Namespace, user: Any) -> int:
    rows = _list_rows(args, user)
    if args.json:
        sys.stdout.write("[")
        for index, row in enumerate(rows):
            sys.stdout.write(",\n" if index else "\n")
            sys.stdout.write(json.dumps(row, ensure_ascii=False, default=_jsonable))
        sys.stdout.write("\n]\n")
        return EXIT_OK
    for row in rows:
        name = " ".join(p for p in (row["first_name"], row["last_name"]) if p)
        print(
            f"{row['id']:>7}  {row['state']:12} {_text(name)[:28]:28} "
            f"{_text(row['company'])[:24]:24} {_text(row['topic'])[:40]}"
        )
    return EXIT_OK


def _lead(args: argparse.Namespace, user: Any) -> int:
    import models

    detail = models.lead_detail(args.id)
    data = lead_json(detail)
    if args.json:
        _print_json(data)
        return EXIT_OK
    print(f"Lead #{detail.id}: {_text(detail.full_name)} ({detail.state}, {detail.status_reason})")
    for name, value in data["fields"].items():
        if value not in ("", None, False):
            print(f"  {models.FIELD_LABELS[name]:26} {_text(_jsonable(value))}")
    for key in ("account", "contact", "opportunity"):
        if data[key]:
            print(f"  {key.capitalize():26} #{data[key]['id']} {_text(data[key]['label'])}")
    print(f"Notes ({len(detail.notes)}):")
    for note in detail.notes:
        print(f"  {note.created_at:%Y-%m-%d %H:%M} {_text(note.author)}: {_text(note.text)[:70]}")
    print(f"History ({len(detail.history)}):")
    for entry in detail.history:
        print(f"  {entry.at:%Y-%m-%d %H:%M} {_text(entry.who)}: {_text(entry.what)}")
    return EXIT_OK


def _ref(ref: Any) -> dict[str, Any] | None:
    return None if ref is None else {"id": ref.id, "label": ref.label}


def lead_json(detail: Any) -> dict[str, Any]:
    """The documented JSON form of a lead (`leadq lead show --json`)."""
    import models

    fields = {name: detail.values[name] for name in models.LEAD_FORM_FIELDS}
    return {
        "id": detail.id,
        "name": detail.full_name,
        "state": detail.state,
        "status_reason": detail.status_reason,
        "stage": detail.stage,
        "owner": detail.owner,
        "created_at": detail.created_at,
        "modified_at": detail.modified_at,
        "closed_by": detail.closed_by,
        "closed_at": detail.closed_at,
        "fields": fields,
        "existing_account": _ref(detail.existing_account),
        "existing_contact": _ref(detail.existing_contact),
        "account": _ref(detail.account),
        "contact": _ref(detail.contact),
        "opportunity": _ref(detail.opportunity),
        "notes": [
            {
                "id": n.id,
                "author": n.author,
                "created_at": n.created_at,
                "text": n.text,
                "attachment_name": n.attachment_name,
                "attachment_size": n.attachment_size,
            }
            for n in detail.notes
        ],
        "history": [{"at": h.at, "who": h.who, "what": h.what} for h in detail.history],
    }


# --- qualify and disqualify ------------------------------------------------------------


def _matches(matches: Any) -> dict[str, Any]:
    def items(records: Any) -> list[dict[str, Any]]:
        return [
            {"id": m.id, "title": m.title, "details": list(m.details), "rules": list(m.rules)}
            for m in records
        ]

    return {
        "accounts": items(matches.accounts),
        "contacts": items(matches.contacts),
        "leads": items(matches.leads),
    }


def _choice(args: argparse.Namespace) -> Any:
    import models

    wanted = {part.strip() for part in args.create.split(",") if part.strip()}
    unknown = wanted - {"account", "contact", "opportunity", "none"}
    if unknown:
        raise CommandFailed(
            f"--create {args.create!r}: name account, contact, opportunity (or none).", 2
        )
    return models.QualifyChoice(
        create_account="account" in wanted,
        create_contact="contact" in wanted,
        create_opportunity="opportunity" in wanted,
        link_account_id=args.link_account,
        link_contact_id=args.link_contact,
        ignore_duplicates=args.ignore_duplicates,
    )


def outcome_json(outcome: Any) -> dict[str, Any]:
    """The documented JSON form of one lead's qualification (`leadq qualify --json`)."""
    result = outcome.result
    data: dict[str, Any] = {
        "lead_id": outcome.lead_id,
        "lead_name": outcome.lead_name,
        "status": outcome.status,
        "message": outcome.message,
        "account_id": None,
        "account_created": False,
        "contact_id": None,
        "contact_created": False,
        "opportunity_id": None,
        "matches": _matches(outcome.matches) if outcome.matches is not None else None,
    }
    if result is not None:
        data["account_id"] = result.account.id if result.account else None
        data["account_created"] = result.account_created
        data["contact_id"] = result.contact.id if result.contact else None
        data["contact_created"] = result.contact_created
        data["opportunity_id"] = result.opportunity.id if result.opportunity else None
    return data


def _qualify(args: argparse.Namespace, user: Any) -> int:
    import models

    if (args.link_account or args.link_contact) and len(args.ids) > 1:
        raise CommandFailed("--link-account and --link-contact are for one lead at a time.", 2)
    outcomes = models.qualify_leads(user, args.ids, _choice(args))
    if args.json:
        _print_json([outcome_json(o) for o in outcomes])
    else:
        for o in outcomes:
            print(f"#{o.lead_id} {_text(o.lead_name)}: {o.status}. {_text(o.message)}")
    done = sum(1 for o in outcomes if o.status == "qualified")
    if done == len(outcomes):
        return EXIT_OK
    return EXIT_PARTIAL if done else EXIT_REFUSED


def _disqualify(args: argparse.Namespace, user: Any) -> int:
    import models

    reason = args.reason.strip().lower().replace(" ", "_")
    lead = models.disqualify_lead(user, args.id, reason)
    if args.json:
        _print_json(lead_json(models.lead_detail(lead.id)))
    else:
        print(f"#{lead.id} {_text(lead.full_name)}: disqualified ({lead.status_reason}).")
    return EXIT_OK


def _takes(pairs: list[str], ids: list[int]) -> dict[str, int]:
    choices: dict[str, int] = {}
    for pair in pairs:
        field, sep, record = pair.partition("=")
        if not sep or not record.strip().lstrip("#").isdigit():
            raise CommandFailed(f"--take {pair!r}: write FIELD=ID, such as city={ids[-1]}.", 2)
        choices[field.strip()] = int(record.strip().lstrip("#"))
    return choices


def _fields_json(fields: list[Any], parents_differ: bool) -> dict[str, Any]:
    return {
        "parents_differ": parents_differ,
        "fields": [
            {
                "name": f.name,
                "label": f.label,
                "differs": f.differs,
                "default": f.default,
                "values": {str(i): _jsonable(v) for i, v in f.values},
                "texts": {str(i): t for (i, _), t in zip(f.values, f.texts, strict=True)},
            }
            for f in fields
        ],
    }


def _taken(fields: list[Any], choices: dict[str, int], master: int) -> list[str]:
    """The fields whose value the master takes from another record."""
    out = []
    for f in fields:
        values = dict(f.values)
        source = choices.get(f.name, f.default)
        if source != master and values.get(source) != values[master]:
            out.append(f.name)
    return out


def _merge(args: argparse.Namespace, user: Any) -> int:
    import models

    kind, ids = args.kind, list(args.ids)
    choices = _takes(args.take, ids)
    fields = models.merge_fields(user, kind, ids)  # refusals before anything changes
    differ = models.parents_differ(kind, fields)
    if args.show:
        if args.json:
            _print_json({"kind": kind, "ids": ids, **_fields_json(fields, differ)})
        else:
            for f in sorted(fields, key=lambda f: not f.differs):
                texts = dict(zip([i for i, _ in f.values], f.texts, strict=True))
                shown = "  ".join(
                    f"{'*' if f.default == i else ' '}#{i} {_text(texts[i]) or '-'}"[:30].ljust(30)
                    for i in ids
                ).rstrip()
                print(f"{'!' if f.differs else ' '} {f.label:26} {shown}")
        return EXIT_OK
    master, others = ids[0], ids[1:]
    if kind == "lead":
        merged: Any = models.merge_leads(user, master, others, choices)
        name = merged.full_name
    elif len(others) != 1:
        raise models.MergeRefused(f"Merge two {kind}s at a time; {len(ids)} were given.")
    elif kind == "account":
        merged = models.merge_accounts(user, master, others[0], choices)
        name = merged.name
    else:
        merged = models.merge_contacts(
            user, master, others[0], choices, parent_check=not args.no_parent_check
        )
        name = merged.full_name
    taken = _taken(fields, choices, master)
    if args.json:
        result = {"kind": kind, "master_id": master, "name": name, "merged_ids": others}
        _print_json({**result, "taken": taken})
    else:
        labels = {f.name: f.label for f in fields}
        said = ", ".join(labels[t] for t in taken) or "none"
        print(
            f"Merged {kind} {', '.join(f'#{i}' for i in others)} into #{master} {_text(name)}; "
            f"fields taken from the others: {said}."
        )
    return EXIT_OK


_COMMANDS = {
    "import": _import,
    "export": _export,
    "leads": _leads,
    "lead": _lead,
    "qualify": _qualify,
    "disqualify": _disqualify,
    "merge": _merge,
}
