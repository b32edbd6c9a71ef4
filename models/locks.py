"""Locks that let a service decide on what it read: the one guard shape every
read-then-write service uses.

On PostgreSQL (READ COMMITTED) a plain read inside a transaction sees the rows
as they were when the statement ran; another session may change them before
this one writes, and a rule checked on the old copy no longer holds (two
reactivations, a note on a lead qualified a moment earlier, an account built
from values an acknowledged edit has since replaced). So the deciding read takes
the row lock first (`SELECT ... FOR UPDATE`): a second session waits for the
first to commit, then reads what it committed.

On SQLite every write transaction starts with `BEGIN IMMEDIATE`, which takes the
file's write lock before the first read, so the same helpers read plainly.

A record about to be linked to (a contact's account, a lead's existing account,
an opportunity's customer) is read with a share lock (`linkable`): a merge or a
delete of it, which takes the row lock, waits for the linking transaction, and a
linker that comes second sees the merge or the delete and refuses.

Lock order, to keep sessions from deadlocking: the lead first, then
opportunities, contacts, accounts (row locks, or share locks for linking; a
merge first locks the rows that point at the records it merges, in that order,
then the records themselves: see `models.merge`), then the duplicate keys
(`lock_keys`, sorted), then anything else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import peewee

from .db import database_proxy, is_postgres
from .entities import KINDS, Lead
from .errors import LeadClosed, NotFound, ValidationError, closed_message
from .prepared import execute

M = TypeVar("M", bound=peewee.Model)


def gone_message(kind: str) -> str:
    """What a service says of a record deleted meanwhile (perhaps in another session)."""
    return f"This {kind} no longer exists; someone may have deleted it."


LEAD_GONE = gone_message("lead")


def for_update(query: peewee.Select) -> peewee.Select:
    """`query` taking row locks on PostgreSQL (SQLite's writer holds the file lock)."""
    return query.for_update() if is_postgres() else query


def for_share(query: peewee.Select) -> peewee.Select:
    """`query` taking share row locks on PostgreSQL: others may read and share, not
    change or delete the rows until this transaction ends."""
    return query.for_update("FOR SHARE") if is_postgres() else query


def linkable(model: type[M], record_id: int, field: str) -> M:
    """The account or contact `record_id`, about to be linked to from `field`, read
    under a share lock (see the module): a ValidationError on `field` if it is
    gone or was merged into another record (naming that one)."""
    db = database_proxy.obj
    if not db.in_transaction():
        raise RuntimeError("linkable() reads for a write: call it inside db.atomic()")
    what = model.__name__.lower()
    query = model.select().where(model._meta.primary_key == record_id)
    found = for_share(query).get_or_none()
    if found is None:
        raise ValidationError({field: f"The {what} you picked no longer exists."})
    master_id = getattr(found, "merged_into_id", None)
    if master_id is not None:
        master = model.get_or_none(model._meta.primary_key == master_id)
        name = f" {master}" if master is not None else ""
        raise ValidationError(
            {field: f"The {what} #{found.id} {found} was merged into #{master_id}{name}; "
                    "pick that one."}
        )  # fmt: skip
    return found


def locked(model: type[M], record_id: int) -> M | None:
    """The record, read under its row lock, or None if it does not exist.

    Call inside the transaction that writes (the lock is released at its end).
    """
    db = database_proxy.obj
    if not db.in_transaction():
        raise RuntimeError("locked() reads for a write: call it inside db.atomic()")
    query = model.select().where(model._meta.primary_key == record_id)
    return for_update(query).get_or_none()


def locked_record(model: type[M], record_id: int) -> M:
    """The record, read under its row lock; NotFound if it is gone."""
    found = locked(model, record_id)
    if found is None:
        raise NotFound(gone_message(KINDS[model]))
    return found


def locked_lead(lead_id: int) -> Lead:
    """The lead, read under its row lock; NotFound if it was deleted."""
    return locked_record(Lead, lead_id)


def locked_open_lead(lead_id: int, verb: str = "change") -> Lead:
    """The lead, read under its row lock; LeadClosed (saying how to `verb` it) if
    it is qualified or disqualified."""
    lead = locked_lead(lead_id)
    if not lead.is_open:
        raise LeadClosed(closed_message(lead, verb))
    return lead


def key_lock_ids(keys: Iterable[str]) -> list[int]:
    """The advisory lock ids of `keys`, sorted (one stable order for every
    session, so two sessions never wait on each other's second key)."""
    import hashlib  # here: importing it sets up OpenSSL (0.5 MiB), needed on PostgreSQL only

    ids = {
        int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
        for key in keys
    }
    return sorted(ids)


_LOCK_IDS_SQL = (
    "SELECT pg_advisory_xact_lock(t.id) FROM unnest(%s::bigint[]) WITH ORDINALITY AS t(id, n) "
    "ORDER BY t.n"
)


def lock_keys(keys: Iterable[str]) -> None:
    """Serialise the transactions that are about to create records with any of these
    keys (such as "account.name_key=contoso"), until this transaction ends.

    Two qualifications that would create the same company's account both found no
    match when they looked at the same moment; with the key locked first, the
    second one looks only after the first has committed, and finds its account.
    No-op on SQLite, whose writers are already serialised.
    """
    if not is_postgres():
        return
    ids = key_lock_ids(keys)
    if ids:
        execute(database_proxy.obj, _LOCK_IDS_SQL, (ids,))
