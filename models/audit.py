"""Recording who did what, when."""

from __future__ import annotations

from . import prepared
from .entities import AuditEvent, BaseModel, User


def record(actor: User | None, action: str, entity: BaseModel | None, summary: str) -> AuditEvent:
    """Write one audit event about `entity` (None for org-wide events such as settings)."""
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
