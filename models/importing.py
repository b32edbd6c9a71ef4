"""Importing leads from CSV, with a duplicate policy, a reject file and undo.

The file is read as a stream (`csvfile`) and handled in chunks. Each row goes
through the lead validation every other path uses (`clean_lead_fields`) and gets
the same normalised keys (`lead_keys`). Duplicates are found set-based, a few
indexed `key IN (...)` lookups per chunk, by the rules qualify uses: the row
duplicates a lead with the same email (the lead rule), an account or a contact
its keys match under the account and contact rules switched on (the rules of the
possible-duplicates view), or an earlier row of the file with the same email.

Policies: `skip` leaves duplicates out; `create` creates every valid row;
`update` fills the blank fields of the open lead with that email (the oldest),
and leaves out rows that match only closed leads, accounts or contacts (there is
no lead to fill).

Each import is one `ImportBatch`. Every chunk is its own transaction (others keep
working while a long import runs); the batch row is locked at the start of each,
so an undo started meanwhile stops the import at the next chunk. Created leads
carry the batch id; fields filled on existing leads are kept as `ImportUpdate`
rows. `undo_import` removes the leads the batch created and puts back the fields
it filled, except on leads that are no longer open (qualified, disqualified,
merged) or that an opportunity came from: those are kept and listed.
"""

from __future__ import annotations

import csv
import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, Any, BinaryIO

import peewee

from . import prepared
from .audit import record, require_active
from .csvfile import (
    ColumnMap,
    CsvFile,
    cells_to_values,
    map_columns,
    neutralise_formula,
    open_csv,
)
from .db import database_proxy, is_postgres
from .duplicates import ACCOUNT_RULES, CONTACT_RULES
from .entities import (
    LEAD_FORM_FIELDS,
    LEAD_KEY_FIELDS,
    ImportBatch,
    ImportUpdate,
    Lead,
    Note,
    Opportunity,
    User,
    lead_keys,
    utcnow,
)
from .enums import LeadState, Role, Stage, StatusReason
from .errors import (
    LeadqError,
    NotFound,
    PermissionDenied,
    UserInactive,
    ValidationError,
    no_raw_errors,
)
from .locks import lock_keys
from .settings import OrgSettings, load_settings
from .validation import FIELD_LABELS, clean_lead_fields

POLICIES = ("skip", "create", "update")
REASON_COLUMN = "leadq_reason"
"""The column the reject file adds to each row it holds."""
PREVIEW_ROWS = 10


class BatchState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"  # the caller asked to stop; what was imported stays (and can be undone)
    FAILED = "failed"  # the file turned out unreadable part-way; likewise
    UNDONE = "undone"


@dataclass(frozen=True)
class ImportProgress:
    rows: int
    created: int
    updated: int
    skipped: int
    rejected: int
    bytes_done: int
    bytes_total: int

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes_total if self.bytes_total else 1.0


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (or, with `dry_run`, would do)."""

    batch_id: int | None
    dry_run: bool
    state: str
    rows: int
    created: int
    updated: int
    skipped: int
    rejected: int
    encoding: str
    delimiter: str
    notes: tuple[str, ...] = ()
    unknown_columns: tuple[str, ...] = ()
    message: str = ""

    def lines(self) -> list[str]:
        verb = "Would create" if self.dry_run else "Created"
        out = [
            f"{verb} {self.created:,}, updated {self.updated:,}, skipped {self.skipped:,} "
            f"(duplicates), rejected {self.rejected:,} of {self.rows:,} row(s)."
        ]
        if self.batch_id is not None:
            out.append(f"Import batch #{self.batch_id} ({self.state}); undo it with its number.")
        if self.unknown_columns:
            out.append("Ignored columns: " + ", ".join(self.unknown_columns) + ".")
        out += list(self.notes)
        if self.message:
            out.append(self.message)
        return out


@dataclass(frozen=True)
class PreviewRow:
    """One row as it would be stored: cleaned values, or the raw ones with errors."""

    line: int
    values: dict[str, Any]
    errors: dict[str, str]
    duplicate: str  # why the row is a duplicate, or ""


@dataclass(frozen=True)
class ImportPreview:
    encoding: str
    delimiter: str
    notes: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # (header, field label or "ignored")
    unknown_columns: tuple[str, ...]
    missing_required: tuple[str, ...]
    rows: tuple[PreviewRow, ...]
    column_fields: tuple[str, ...] = ()  # the lead field each column feeds, or "", in order


@dataclass(frozen=True)
class KeptLead:
    lead_id: int
    name: str
    why: str


@dataclass(frozen=True)
class UndoResult:
    batch_id: int
    removed: int
    restored: int
    kept: tuple[KeptLead, ...]

    def lines(self) -> list[str]:
        out = [
            f"Import #{self.batch_id} undone: removed {self.removed:,} lead(s), "
            f"restored fields on {self.restored:,}."
        ]
        if self.kept:
            out.append(f"Kept {len(self.kept):,} lead(s) that changed since:")
            out += [f"  #{k.lead_id} {k.name}: {k.why}" for k in self.kept[:50]]
            if len(self.kept) > 50:
                out.append(f"  ... and {len(self.kept) - 50:,} more")
        return out


def _check_policy(policy: str) -> None:
    if policy not in POLICIES:
        raise ValidationError({"policy": f"The duplicate policy is one of: {', '.join(POLICIES)}."})


# --- one row -------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    record: list[str]
    values: dict[str, Any]
    keys: dict[str, str | None]


def _read_row(line: int, record: list[str], columns: ColumnMap, region: str) -> _Row | str:
    """The cleaned row, or the reason it is rejected."""
    values = cells_to_values(record, columns)
    if len(record) > len(columns.headers) and any(
        c.strip() for c in record[len(columns.headers) :]
    ):
        return f"The row has {len(record)} fields; the header has {len(columns.headers)}."
    values.setdefault("topic", "")
    values.setdefault("last_name", "")
    try:
        clean = clean_lead_fields(values, region)
    except ValidationError as exc:
        return exc.message
    return _Row(line, record, clean, lead_keys(clean, region))


# --- duplicate lookups -----------------------------------------------------------------

_RULE_LABELS = {
    "account": {model_key: label for _, _, model_key, label in ACCOUNT_RULES},
    "contact": {model_key: label for _, _, model_key, label in CONTACT_RULES},
}


@dataclass
class _Matches:
    """What one chunk's keys match in the database."""

    lead_by_email: dict[str, tuple[int, str, int | None]]  # email key -> (id, state, batch)
    open_lead_by_email: dict[str, int]  # the oldest open lead with that email
    others: list[tuple[str, str, dict[str, tuple[int, str]]]]  # (lead key, label, key -> record)


def _in_chunks(values: list[Any], size: int = 5000) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _in_sql(columns: str, table: str, key: str, count: int) -> str:
    marks = ", ".join([database_proxy.obj.param] * count)
    return f'SELECT {columns} FROM "{table}" WHERE "{key}" IN ({marks}) ORDER BY "id"'


def _rows_with(columns: str, table: str, key: str, values: list[str]) -> Iterator[tuple]:
    """Rows whose `key` is one of `values`, by id: plain SQL text, since Peewee spends
    about 15 us building each value of a long IN list."""
    db = database_proxy.obj
    for chunk in _in_chunks(values):
        yield from prepared.execute(db, _in_sql(columns, table, key, len(chunk)), chunk)


def _lookup(rows: list[_Row], settings: OrgSettings) -> _Matches:
    lead_by_email: dict[str, tuple[int, str, int | None]] = {}
    open_by_email: dict[str, int] = {}
    if settings.dup_lead_email:
        emails = list({r.keys["email_key"] for r in rows} - {None})
        found = _rows_with(
            '"email_key", "id", "state", "import_batch_id"', "lead", "email_key", emails
        )
        for key, lead_id, state, batch in found:
            lead_by_email.setdefault(key, (lead_id, state, batch))
            if state == LeadState.OPEN:
                open_by_email.setdefault(key, lead_id)
    others = []
    tables = (("account", ACCOUNT_RULES, "name"), ("contact", CONTACT_RULES, "last_name"))
    for table, rules, title in tables:
        for setting, lead_key, model_key, label in rules:
            if not getattr(settings, setting):
                continue
            values = list({r.keys[lead_key] for r in rows} - {None})
            if not values:
                continue
            hits: dict[str, tuple[int, str]] = {}
            columns = f'"{model_key}", "id", "{title}"'
            for key, record_id, name in _rows_with(columns, table, model_key, values):
                hits.setdefault(key, (record_id, f"{table} #{record_id} {name}"))
            others.append((lead_key, label, hits))
    return _Matches(lead_by_email, open_by_email, others)


def _other_match(row: _Row, matches: _Matches) -> str:
    for lead_key, label, found in matches.others:
        hit = found.get(row.keys[lead_key])
        if hit is not None:
            return f"{label} as {hit[1]}"
    return ""


# --- writing -------------------------------------------------------------------------

_STORED_FIELDS = (*LEAD_FORM_FIELDS, *LEAD_KEY_FIELDS)
_INSERT_NAMES = (
    *_STORED_FIELDS,
    "owner",
    "created_at",
    "modified_at",
    "state",
    "status_reason",
    "stage",
    "import_batch",
)


def _insert_statement() -> peewee.Query:
    fields = Lead._meta.fields
    query = Lead.insert({fields[name]: prepared.Slot(name) for name in _INSERT_NAMES})
    return query.returning()  # nothing back: many rows go through one executemany


_INSERT = prepared.Prepared(_insert_statement)


def _defaults() -> dict[str, Any]:
    out = {}
    for name in _STORED_FIELDS:
        default = Lead._meta.fields[name].default
        out[name] = default() if callable(default) else default
    return out


_LEAD_DEFAULTS = _defaults()
_BUDGET = Lead._meta.fields["estimated_budget"]


def _insert_rows(rows: list[_Row], actor: User, batch_id: int) -> None:
    """Every row in one prepared statement run with DB-API `executemany` (Peewee's
    `insert_many` spends most of its time building SQL text for every value)."""
    if not rows:
        return
    db, compiled = _INSERT.compiled()
    now = Lead._meta.fields["created_at"].db_value(utcnow())
    if not is_postgres():  # as sqlite3's adapter would write it, once instead of per row
        now = now.isoformat(" ")
    fixed = {
        "owner": actor.id,
        "created_at": now,
        "modified_at": now,
        "state": LeadState.OPEN.value,
        "status_reason": StatusReason.NEW.value,
        "stage": Stage.QUALIFY.value,
        "import_batch": batch_id,
    }
    take = compiled.params
    params = []
    for row in rows:
        values = _LEAD_DEFAULTS | row.values
        values |= row.keys
        values |= fixed
        budget = values["estimated_budget"]
        if budget is not None:
            values["estimated_budget"] = _BUDGET.db_value(budget)
        params.append(take(values))
    with peewee.__exception_wrapper__:
        db.cursor().executemany(compiled.sql, params)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value is False


def _fill_blanks(current: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The fields of `values` that fill a blank of `current` (rating never is blank)."""
    return {
        name: value
        for name, value in values.items()
        if name != "rating" and not _blank(value) and _blank(current.get(name))
    }


def _stored(value: Any) -> Any:
    return str(value) if value is not None and not isinstance(value, str | bool) else value


def _update_leads(
    fills: dict[int, dict[str, Any]], befores: dict[int, dict[str, Any]], actor: User,
    batch_id: int, region: str,
) -> int:  # fmt: skip
    """Write the filled fields of each lead (only while it is open); returns how many."""
    done = 0
    for lead_id, changes in fills.items():
        before = befores[lead_id]
        merged = {name: before.get(name) for name in LEAD_FORM_FIELDS} | changes
        keys = lead_keys(merged, region)
        won = (
            Lead.update({**changes, **keys, "modified_at": utcnow()})
            .where((Lead.id == lead_id) & (Lead.state == LeadState.OPEN))
            .execute()
        )
        if not won:
            continue
        done += 1
        stored = {name: [_stored(before.get(name)), _stored(v)] for name, v in changes.items()}
        ImportUpdate.create(batch=batch_id, lead=lead_id, changes=json.dumps(stored))
        labels = ", ".join(FIELD_LABELS[name] for name in changes)
        lead = Lead(id=lead_id)
        record(actor, "import_updated", lead, f"Import #{batch_id} filled blank fields: {labels}")
    return done


def _lock_emails(emails: set[str]) -> None:
    """Serialise with other sessions creating leads with these emails (advisory locks
    on PostgreSQL, named as every service names them; SQLite's writer already holds
    the file lock)."""
    lock_keys(f"lead.email_key={email}" for email in emails)


# --- the run ---------------------------------------------------------------------------


class _Run:
    """The state of one import across its chunks."""

    def __init__(
        self,
        actor: User,
        file: CsvFile,
        columns: ColumnMap,
        policy: str,
        dry_run: bool,
        reject: IO[str] | None,
    ) -> None:
        self.actor = actor
        self.file = file
        self.columns = columns
        self.policy = policy
        self.dry_run = dry_run
        self.batch_id: int | None = None
        self.actor_deactivated = False  # set when a chunk found the actor deactivated
        self.rows = self.created = self.updated = self.skipped = self.rejected = 0
        self.position = 0
        self.seen_emails: set[str] = set()  # dry runs only: nothing is written to look up
        self.reject_writer = None
        self.rejects: list[tuple[int, list[str]]] = []
        if reject is not None:
            self.reject_writer = csv.writer(reject, delimiter=file.delimiter)
            self.reject_writer.writerow([*file.headers, REASON_COLUMN])

    def write_reject(self, record: list[str], reason: str, line: int = 0) -> None:
        if self.reject_writer is not None:
            self.rejects.append((line, [*record, reason]))

    def flush_rejects(self) -> None:
        """Write the chunk's rejected and skipped rows, in the file's order, with
        formula-looking cells neutralised (the reject file is opened in spreadsheets)."""
        if self.reject_writer is not None:
            self.rejects.sort(key=lambda item: item[0])
            self.reject_writer.writerows(
                [neutralise_formula(cell) for cell in cells] for _, cells in self.rejects
            )
        self.rejects.clear()

    def chunk(self, chunk: _Chunk, region: str) -> bool:
        """Handle one chunk; False when the batch was undone meanwhile (stop)."""
        rows = chunk.rows
        records = chunk.records
        for line, cells, reason in chunk.rejected:
            self.rejected += 1
            self.write_reject(cells, f"rejected (line {line}): {reason}", line)
        self.rows += records
        self.position = chunk.position
        if self.dry_run:
            self._decide(rows, load_settings(), region, write=False)
            return True
        with database_proxy.obj.atomic():
            require_active(self.actor)  # a chunk writes no audit event of its own
            batch = _locked_batch(self.batch_id)
            if batch.state != BatchState.RUNNING:
                self.rows -= records
                return False
            settings = load_settings()
            self._decide(rows, settings, region, write=True)
            ImportBatch.update(
                rows_read=self.rows,
                created_count=self.created,
                updated_count=self.updated,
                skipped_count=self.skipped,
                rejected_count=self.rejected,
            ).where(ImportBatch.id == self.batch_id).execute()
        return True

    def _decide(self, rows: list[_Row], settings: OrgSettings, region: str, write: bool) -> None:
        if self.policy == "create":
            if write:
                _insert_rows(rows, self.actor, self.batch_id)
            self.created += len(rows)
            return
        if write and settings.dup_lead_email:
            _lock_emails({r.keys["email_key"] for r in rows} - {None})
        matches = _lookup(rows, settings)
        pending: dict[str, _Row] = {}  # email key -> the row of this chunk creating it
        to_insert: list[_Row] = []
        fills: dict[int, dict[str, Any]] = {}
        befores = self._current(matches) if self.policy == "update" else {}
        for row in rows:
            email = row.keys["email_key"] if settings.dup_lead_email else None
            reason, target = self._match(row, email, matches, pending)
            if self.policy == "update" and target is not None:
                self._fill(row, target, fills, befores)
                continue
            if reason:
                self.skipped += 1
                self.write_reject(row.record, f"skipped (line {row.line}): {reason}", row.line)
                continue
            to_insert.append(row)
            if email is not None:
                pending[email] = row
                if not write:
                    self.seen_emails.add(email)
        for row in to_insert:
            if self.policy == "update":
                row.keys = lead_keys(row.values, region)  # blanks may have been filled
        if write:
            _insert_rows(to_insert, self.actor, self.batch_id)
            self.updated += _update_leads(fills, befores, self.actor, self.batch_id, region)
        else:
            self.updated += len(fills)
        self.created += len(to_insert)

    def _match(
        self, row: _Row, email: str | None, matches: _Matches, pending: dict[str, _Row]
    ) -> tuple[str, _Row | int | None]:
        """(why the row is a duplicate or "", the lead or pending row `update` fills)."""
        if email is not None:
            earlier = pending.get(email)
            if earlier is not None:
                return f"same email as line {earlier.line} of this file", earlier
            if email in self.seen_emails:
                return "same email as an earlier row of this file", None
            lead = matches.lead_by_email.get(email)
            if lead is not None:
                lead_id, state, batch = lead
                open_id = matches.open_lead_by_email.get(email)
                if batch is not None and batch == self.batch_id:
                    where = f"lead #{lead_id}, made from an earlier row of this file"
                else:
                    where = f"lead #{lead_id} ({state})"
                return f"same email as {where}", open_id
        return _other_match(row, matches), None

    def _current(self, matches: _Matches) -> dict[int, dict[str, Any]]:
        ids = list(set(matches.open_lead_by_email.values()))
        out: dict[int, dict[str, Any]] = {}
        fields = [Lead.id, *(getattr(Lead, n) for n in LEAD_FORM_FIELDS)]
        for chunk in _in_chunks(ids):
            query = Lead.select(*fields).where(Lead.id.in_(chunk))
            if is_postgres() and not self.dry_run:
                query = query.for_update()
            for lead in query.dicts():
                out[lead["id"]] = lead
        return out

    def _fill(
        self,
        row: _Row,
        target: _Row | int,
        fills: dict[int, dict[str, Any]],
        befores: dict[int, dict[str, Any]],
    ) -> None:
        if isinstance(target, _Row):  # an earlier row of this chunk, not stored yet
            target.values.update(_fill_blanks(target.values, row.values))
            self.skipped += 1
            why = f"skipped (line {row.line}): merged into line {target.line}"
            self.write_reject(row.record, why, row.line)
            return
        current = befores[target] | fills.get(target, {})
        changes = _fill_blanks(current, row.values)
        if changes:
            fills.setdefault(target, {}).update(changes)
        elif target not in fills:
            self.skipped += 1
            why = f"skipped (line {row.line}): lead #{target} has no blank field to fill"
            self.write_reject(row.record, why, row.line)

    def progress(self) -> ImportProgress:
        return ImportProgress(
            self.rows,
            self.created,
            self.updated,
            self.skipped,
            self.rejected,
            self.position,
            self.file.size,
        )


def _locked_batch(batch_id: int | None) -> ImportBatch:
    query = ImportBatch.select().where(ImportBatch.id == batch_id)
    batch = (query.for_update() if is_postgres() else query).get_or_none()
    if batch is None:
        raise NotFound(f"Import batch #{batch_id} no longer exists.")
    return batch


def chunk_size() -> int:
    """Rows per transaction: large on SQLite (one writer at a time anyway), smaller on
    PostgreSQL (the advisory locks of a chunk stay few)."""
    return 500 if is_postgres() else 5000


@no_raw_errors
def import_leads(
    actor: User,
    stream: BinaryIO,
    name: str,
    *,
    policy: str = "skip",
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    reject: IO[str] | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    rows_per_chunk: int | None = None,
) -> ImportSummary:
    """Import the CSV in `stream` (a seekable byte stream named `name`) as leads owned
    by `actor`.

    `mapping` maps file columns to lead fields (or to "-" to ignore them) on top of
    the recognised headers. Rejected and skipped rows are written to `reject` (the
    original row plus `leadq_reason`). `progress` is called after each chunk;
    `should_stop` is asked between chunks. Raises `ValidationError` (nothing
    imported) when the file cannot be read or the mapping is wrong.
    """
    _check_policy(policy)
    file = open_csv(stream, name)
    columns = map_columns(file.headers, mapping)
    missing = columns.missing_required()
    if missing:
        raise ValidationError(
            {
                "mapping": f"No column maps to {' and '.join(missing)}, which every lead needs: "
                "map a column to it (columns: " + ", ".join(file.headers) + ")."
            },
            hints={"mapping": '--map "COLUMN=field"'},
        )
    run = _Run(actor, file, columns, policy, dry_run, reject)
    if not dry_run:
        run.batch_id = _start_batch(actor, file, policy)
    size = rows_per_chunk or chunk_size()
    state, message = BatchState.DONE, ""
    region = load_settings().phone_region
    reader = _Reader(file, columns, region, size)
    try:
        for chunk in reader.chunks():
            if should_stop is not None and should_stop():
                state, message = BatchState.STOPPED, "Stopped before the end of the file."
                break
            if not run.chunk(chunk, region):
                state, message = BatchState.UNDONE, "The import was undone while it ran."
                break
            run.flush_rejects()
            if progress is not None:
                progress(run.progress())
    except ValidationError as exc:  # the file became unreadable part-way
        state, message = BatchState.FAILED, exc.message
        if run.batch_id is None:
            raise
    except UserInactive as exc:  # deactivated while the import ran: stop at this chunk
        state, message = BatchState.FAILED, exc.message
        run.actor_deactivated = True
    finally:
        reader.close()
        run.flush_rejects()
        if run.batch_id is not None:
            _finish_batch(run, state, message)
    return ImportSummary(
        batch_id=run.batch_id,
        dry_run=dry_run,
        state=state.value if not dry_run else "dry run",
        rows=run.rows,
        created=run.created,
        updated=run.updated,
        skipped=run.skipped,
        rejected=run.rejected,
        encoding=file.encoding,
        delimiter=file.delimiter,
        notes=tuple(file.notes),
        unknown_columns=tuple(columns.unknown),
        message=message,
    )


@dataclass
class _Chunk:
    records: int  # rows read from the file
    rows: list[_Row]  # the valid ones
    rejected: list[tuple[int, list[str], str]]  # (line, cells, reason)
    position: int  # bytes of the file read by then


class _Reader:
    """Reads and validates the chunks in a thread of its own, one or two ahead of the
    writer: the writer's statements release the GIL while SQLite works, so reading
    the file and validating overlap the inserts. The thread touches no database;
    a bounded queue keeps memory flat."""

    def __init__(self, file: CsvFile, columns: ColumnMap, region: str, size: int) -> None:
        self._queue: queue.Queue[_Chunk | BaseException | None] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._read, args=(file, columns, region, size), name="import-reader", daemon=True
        )
        self._thread.start()

    def _read(self, file: CsvFile, columns: ColumnMap, region: str, size: int) -> None:
        try:
            records = file.rows()
            while not self._stop.is_set():
                taken = _take(records, size)
                if not taken:
                    break
                rows: list[_Row] = []
                rejected: list[tuple[int, list[str], str]] = []
                for line, cells in taken:
                    row = _read_row(line, cells, columns, region)
                    if isinstance(row, str):
                        rejected.append((line, cells, row))
                    else:
                        rows.append(row)
                self._put(_Chunk(len(taken), rows, rejected, file.position()))
        except BaseException as exc:  # handed to the writer, which raises it
            self._put(exc)
        finally:
            self._put(None)

    def _put(self, item: _Chunk | BaseException | None) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def chunks(self) -> Iterator[_Chunk]:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _take(records: Iterator[tuple[int, list[str]]], size: int) -> list[tuple[int, list[str]]]:
    chunk = []
    for item in records:
        chunk.append(item)
        if len(chunk) >= size:
            break
    return chunk


def _start_batch(actor: User, file: CsvFile, policy: str) -> int:
    with database_proxy.obj.atomic():
        require_active(actor)
        batch = ImportBatch.create(
            actor=actor,
            file_name=(file.name or "upload.csv")[-255:],
            policy=policy,
            state=BatchState.RUNNING,
            encoding=file.encoding,
            delimiter=file.delimiter,
        )
    return batch.id


def _finish_batch(run: _Run, state: BatchState, message: str) -> None:
    with database_proxy.obj.atomic():
        batch = _locked_batch(run.batch_id)
        if batch.state == BatchState.UNDONE:
            return
        ImportBatch.update(
            state=state,
            message=message,
            finished_at=utcnow(),
            rows_read=run.rows,
            created_count=run.created,
            updated_count=run.updated,
            skipped_count=run.skipped,
            rejected_count=run.rejected,
        ).where(ImportBatch.id == run.batch_id).execute()
        record(
            None if run.actor_deactivated else run.actor,  # the batch's own actor is kept
            "imported",
            batch,
            f"Imported {run.file.name}: created {run.created}, updated {run.updated}, "
            f"skipped {run.skipped}, rejected {run.rejected} ({run.policy}; {state})",
        )


def preview_import(
    stream: BinaryIO,
    name: str,
    *,
    policy: str = "skip",
    mapping: dict[str, str] | None = None,
    limit: int = PREVIEW_ROWS,
) -> ImportPreview:
    """The first rows as they would be stored, with each row's errors and duplicate
    match; nothing is written. Raises `ValidationError` like `import_leads`."""
    _check_policy(policy)
    file = open_csv(stream, name)
    columns = map_columns(file.headers, mapping)
    settings = load_settings()
    region = settings.phone_region
    read: list[tuple[int, dict[str, Any], _Row | str]] = []
    for line, cells in file.rows():
        read.append(
            (line, cells_to_values(cells, columns), _read_row(line, cells, columns, region))
        )
        if len(read) >= limit:
            break
    good = [row for _, _, row in read if isinstance(row, _Row)]
    matches = _lookup(good, settings) if policy != "create" else _Matches({}, {}, [])
    seen: dict[str, int] = {}
    out = []
    for line, raw, row in read:
        if isinstance(row, str):
            errors = _field_errors(raw, region) or {"row": row}
            out.append(PreviewRow(line, raw, errors, ""))
            continue
        duplicate = ""
        if policy != "create":
            email = row.keys["email_key"] if settings.dup_lead_email else None
            if email is not None and email in seen:
                duplicate = f"same email as line {seen[email]} of this file"
            elif email is not None and email in matches.lead_by_email:
                lead_id, state, _ = matches.lead_by_email[email]
                duplicate = f"same email as lead #{lead_id} ({state})"
            else:
                duplicate = _other_match(row, matches)
            if email is not None:
                seen.setdefault(email, line)
        stored = {name: row.values.get(name, _LEAD_DEFAULTS[name]) for name in LEAD_FORM_FIELDS}
        out.append(PreviewRow(line, stored, {}, duplicate))
    file.close()
    return ImportPreview(
        encoding=file.encoding,
        delimiter=file.delimiter,
        notes=tuple(file.notes),
        columns=tuple(columns.describe()),
        unknown_columns=tuple(columns.unknown),
        missing_required=tuple(columns.missing_required()),
        rows=tuple(out),
        column_fields=tuple(columns.fields.get(i, "") for i in range(len(columns.headers))),
    )


def _field_errors(values: dict[str, Any], region: str) -> dict[str, str]:
    values = {"topic": "", "last_name": "", **values}
    try:
        clean_lead_fields(values, region)
    except ValidationError as exc:
        return exc.errors
    return {}


# --- batches and undo ------------------------------------------------------------------


def list_batches(limit: int = 50) -> list[ImportBatch]:
    """The latest imports, newest first."""
    return list(ImportBatch.select().order_by(ImportBatch.id.desc()).limit(limit))


def get_batch(batch_id: int) -> ImportBatch:
    batch = ImportBatch.get_or_none(ImportBatch.id == batch_id)
    if batch is None:
        raise NotFound(f"There is no import batch #{batch_id}.")
    return batch


def _may_undo(actor: User, batch: ImportBatch) -> None:
    if actor.role == Role.SALESPERSON and batch.actor_id not in (None, actor.id):
        raise PermissionDenied(
            f"Only the user who ran import #{batch.id}, a sales manager or an administrator "
            "can undo it."
        )


@no_raw_errors
def undo_import(actor: User, batch_id: int) -> UndoResult:
    """Remove the leads the batch created and put back the fields it filled, in one
    transaction. Leads no longer open, or that an opportunity came from, are kept
    and listed; a field changed again since the import keeps its new value."""
    with database_proxy.obj.atomic():
        batch = _locked_batch(batch_id)
        _may_undo(actor, batch)
        if batch.state == BatchState.UNDONE:
            raise LeadqError(
                f"Import #{batch_id} was already undone at {batch.undone_at:%Y-%m-%d %H:%M} UTC."
            )
        ours = Lead.import_batch == batch_id
        originated = Opportunity.select(Opportunity.originating_lead).where(
            Opportunity.originating_lead.is_null(False)
        )
        merged_into = Lead.alias("merged_lead")
        masters = merged_into.select(merged_into.merged_into).where(
            merged_into.merged_into.is_null(False)
        )
        kept: list[KeptLead] = []
        changed = (Lead.state != LeadState.OPEN) | Lead.id.in_(originated) | Lead.id.in_(masters)
        closed = Lead.select(Lead.id, Lead.first_name, Lead.last_name, Lead.state).where(
            ours & changed
        )
        kept += [KeptLead(lead.id, lead.full_name, _why_kept(lead)) for lead in closed]
        removable = Lead.select(Lead.id).where(ours & ~changed)
        if is_postgres():
            removable = removable.for_update()
        Note.delete().where(Note.lead.in_(removable)).execute()
        removed = Lead.delete().where(Lead.id.in_(removable)).execute()
        restored, kept_updated = _restore(batch_id)
        kept += kept_updated
        now = utcnow()
        ImportBatch.update(state=BatchState.UNDONE, undone_at=now, undone_by=actor).where(
            ImportBatch.id == batch_id
        ).execute()
        record(
            actor,
            "import_undone",
            batch,
            f"Undid import #{batch_id}: removed {removed} lead(s), restored {restored}, "
            f"kept {len(kept)}",
        )
    return UndoResult(batch_id, removed, restored, tuple(kept))


def _why_kept(lead: Lead) -> str:
    if lead.state != LeadState.OPEN:
        return f"since {lead.state}"
    if Opportunity.select().where(Opportunity.originating_lead == lead.id).exists():
        return "an opportunity came from it"
    return "other leads were merged into it"


def _restore(batch_id: int) -> tuple[int, list[KeptLead]]:
    restored = 0
    kept: list[KeptLead] = []
    updates = ImportUpdate.select().where(ImportUpdate.batch == batch_id).order_by(ImportUpdate.id)
    for update in updates:
        query = Lead.select().where(Lead.id == update.lead_id)
        lead = (query.for_update() if is_postgres() else query).get_or_none()
        if lead is None:
            continue
        if not lead.is_open:
            kept.append(
                KeptLead(lead.id, lead.full_name, f"since {lead.state}: fields not restored")
            )
            continue
        changes = json.loads(update.changes)
        back = {}
        for name, (before, after) in changes.items():
            if _stored(getattr(lead, name)) == after:  # untouched since the import
                back[name] = _from_stored(name, before)
        if back:
            for name, value in back.items():
                setattr(lead, name, value)
            lead.save(
                only=[*(Lead._meta.fields[n] for n in back), *_key_fields(), Lead.modified_at]
            )
            restored += 1
    return restored, kept


def _key_fields() -> list[peewee.Field]:
    return [Lead._meta.fields[n] for n in LEAD_KEY_FIELDS]


def _from_stored(name: str, value: Any) -> Any:
    if name == "estimated_budget" and value is not None:
        from decimal import Decimal

        return Decimal(value)
    return value
