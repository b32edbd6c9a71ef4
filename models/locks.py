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

Lock order, to keep sessions from deadlocking: the lead first, then the
duplicate keys (`lock_keys`, sorted), then anything else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TypeVar

import peewee

from .db import database_proxy, is_postgres
from .entities import Lead
from .errors import LeadClosed, NotFound

M = TypeVar("M", bound=peewee.Model)

LEAD_GONE = "This lead no longer exists; someone may have deleted it."


def for_update(query: peewee.Select) -> peewee.Select:
    """`query` taking row locks on PostgreSQL (SQLite's writer holds the file lock)."""
    return query.for_update() if is_postgres() else query


def locked(model: type[M], record_id: int) -> M | None:
    """The record, read under its row lock, or None if it does not exist.

    Call inside the transaction that writes (the lock is released at its end).
    """
    db = database_proxy.obj
    if not db.in_transaction():
        raise RuntimeError("locked() reads for a write: call it inside db.atomic()")
    query = model.select().where(model._meta.primary_key == record_id)
    return for_update(query).get_or_none()


def locked_lead(lead_id: int) -> Lead:
    """The lead, read under its row lock; NotFound if it was deleted."""
    lead = locked(Lead, lead_id)
    if lead is None:
        raise NotFound(LEAD_GONE)
    return lead


def locked_open_lead(lead_id: int, verb: str = "change") -> Lead:
    """The lead, read under its row lock; LeadClosed (saying how to `verb` it) if
    it is qualified or disqualified."""
    from .qualify import closed_message

    lead = locked_lead(lead_id)
    if not lead.is_open:
        raise LeadClosed(closed_message(lead, verb))
    return lead


def key_lock_ids(keys: Iterable[str]) -> list[int]:
    """The advisory lock ids of `keys`, sorted (one stable order for every
    session, so two sessions never wait on each other's second key)."""
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
        from .prepared import execute

        execute(database_proxy.obj, _LOCK_IDS_SQL, (ids,))
