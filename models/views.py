"""Queries the record views (lead detail, account, contact, opportunity) show.

They read what a screen displays in one query each: the author or actor is
joined rather than fetched per row, and attachment bytes stay in the database
(only their size is read), so a record with large attachments opens quickly.
"""

from __future__ import annotations

from peewee import JOIN, fn

from .entities import Account, AuditEvent, Contact, Lead, Note, Opportunity, User

NoteTarget = Lead | Account | Contact | Opportunity


def notes_to_show(target: NoteTarget) -> list[Note]:
    """The notes of `target`, newest first, without attachment bytes.

    Each note has `author` loaded and `attachment_bytes` (the size, or None).
    On an opportunity, the notes of the lead it came from are included
    (`Note.shown_on`).
    """
    query = (
        Note.select(
            Note.id,
            Note.text,
            Note.attachment_name,
            Note.author,
            Note.created_at,
            Note.lead,
            Note.account,
            Note.contact,
            Note.opportunity,
            fn.LENGTH(Note.attachment_data).alias("attachment_bytes"),
            User,
        )
        .join(User, JOIN.LEFT_OUTER, on=(Note.author == User.id))
        .where(Note.shown_on(target))
        .order_by(Note.created_at.desc(), Note.id.desc())
    )
    return list(query)


def history_to_show(entity_type: str, entity_id: int) -> list[AuditEvent]:
    """The audit events of one record, newest first, with `actor` loaded."""
    return AuditEvent.for_record(entity_type, entity_id)
