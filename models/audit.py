"""Recording who did what, when, and refusing it when the actor is deactivated."""

from __future__ import annotations

from . import prepared
from .db import is_postgres
from .entities import AuditEvent, BaseModel, User
from .errors import UserInactive


def _build_active_check():  # type: ignore[no-untyped-def]
    query = User.select(User.active, User.username).where(User.id == prepared.Slot("id"))
    # FOR SHARE: a deactivation (an UPDATE of this row) waits for writes already
    # past this check, and a write after it sees the user inactive.
    return query.for_update("FOR SHARE") if is_postgres() else query


_active_check = prepared.Prepared(_build_active_check)


def require_active(actor: User) -> None:
    """Raise UserInactive unless `actor` is, in the database now, an active user.

    This is the one place where services check their actor: every write service
    records an audit event inside its transaction, so the refusal rolls the whole
    write back, and it is read inside that transaction, so a deactivation that
    committed just before is seen. A transaction that writes without an audit
    event of its own (a chunk of a CSV import) calls it first.
    """
    row = _active_check.run({"id": actor.id}).fetchone()
    if row is None or not row[0]:
        name = row[1] if row is not None else actor.username
        raise UserInactive(
            f"The leadq user {name!r} is deactivated, so nothing was saved; "
            "an administrator can reactivate it."
        )


def record(actor: User | None, action: str, entity: BaseModel | None, summary: str) -> AuditEvent:
    """Write one audit event about `entity` (None for org-wide events such as settings).

    `actor` None is the operator at the command line (`leadq user ...`); any other
    actor must be active (`require_active`).
    """
    if actor is not None:
        require_active(actor)
    return prepared.create(  # one statement shape, compiled once: every service calls this
        AuditEvent,
        actor=actor.id if actor is not None else None,
        action=action,
        entity_type=type(entity).__name__.lower() if entity is not None else "org",
        entity_id=entity.get_id() if entity is not None else None,
        summary=summary,
    )


def change_token() -> int:
    """A number that grows whenever any session changes data through a service.

    Every service writes an audit event, so the newest event id is a cheap,
    indexed way for other sessions to notice that something changed.
    """
    from peewee import fn

    return AuditEvent.select(fn.MAX(AuditEvent.id)).scalar() or 0
