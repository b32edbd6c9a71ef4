"""The project's own error types. Each carries a message a user can read.

No raw database error leaves a service: one that the backends did not already
turn into a sentence (`backends.DatabaseFault`) leaves as a `RecordConflict` (an
integrity error: a record changed or removed meanwhile, a constraint) or a
`DatabaseRefused` (anything else), each a `LeadqError` with a sentence and still
the Peewee error class code may catch (`no_raw_errors`); the driver's text
(PostgreSQL's `CONTEXT: PL/pgSQL ...` lines) goes to the log, not to the user.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import peewee

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("models")
NOTHING_SAVED = "nothing was saved"


class LeadqError(Exception):
    """Base class: `str(error)` is a sentence fit to show a user.

    `exit_status` is what a command (`leadq`, `seed.py`) exits with when this error
    ends it; the codes are listed in docs/errors.md.
    """

    exit_status = 1  # leadq refused what it was asked (a rule, a bad value, not found)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(LeadqError):
    """One or more fields are invalid; nothing was saved.

    `errors` maps a field name to its message, so a form can show each error
    beside its field. `hints` maps some of them to how the command line mends it
    (`--map "Lead Owner=-"`): a screen has its own way, so the messages leave the
    command line's spelling out and `leadq` adds it (`cli_errors`).
    """

    def __init__(self, errors: dict[str, str], *, hints: dict[str, str] | None = None) -> None:
        self.errors = dict(errors)
        self.hints = dict(hints or {})
        super().__init__("; ".join(self.errors.values()))

    def cli_errors(self) -> dict[str, str]:
        """`errors`, each with its command-line hint (if any) before its full stop."""
        return {name: _with_hint(text, self.hints.get(name)) for name, text in self.errors.items()}


def _with_hint(message: str, hint: str | None) -> str:
    if not hint:
        return message
    stem, stop = (message[:-1], ".") if message.endswith(".") else (message, "")
    return f"{stem} ({hint}){stop}"


class PermissionDenied(LeadqError):
    """The acting user's role does not allow this."""


class UserInactive(PermissionDenied):
    """The user is deactivated: they cannot sign in, and nothing is saved on their behalf."""


class NotFound(LeadqError):
    """The record no longer exists (deleted, perhaps by someone else)."""


class LeadClosed(LeadqError):
    """The lead is qualified or disqualified, so it cannot change until reactivated."""


def closed_message(lead: Any, verb: str = "change") -> str:
    """Why a closed lead cannot be changed, naming who closed it: the one sentence
    for the services, the read models (`LeadDetail.closed_message`) and the screens.

    `lead` is a `Lead` or a `LeadDetail`: its `state`, `closed_by_id`, `closed_by`
    and `closed_at`."""
    who = f" by {lead.closed_by}" if lead.closed_by_id else ""
    when = f" at {lead.closed_at:%Y-%m-%d %H:%M} UTC" if lead.closed_at else ""
    return f"This lead was {lead.state}{who}{when}; reactivate it to {verb} it."


class QualifyRefused(LeadqError):
    """Qualifying cannot go ahead as asked (missing company name, no choice made, ...)."""


class DisqualifyRefused(LeadqError):
    """Disqualifying is not allowed (an opportunity came from the lead)."""


class DeleteRefused(LeadqError):
    """The record cannot be deleted while others depend on it (not a matter of role)."""


class MergeRefused(LeadqError):
    """The records cannot be merged (a rule forbids it); nothing changed."""


class RecordMerged(LeadqError):
    """The account or contact was merged into another: it is read-only, like a
    deactivated record in Dynamics 365, and nothing new links to it."""


class OpportunityClosed(LeadqError):
    """The opportunity is won or lost, so it is read-only until reopened."""


class ExitCriteriaNotMet(QualifyRefused):
    """Required activities of the lead's qualifying process are still open."""

    def __init__(self, message: str, open_activities: list[str]) -> None:
        super().__init__(message)
        self.open_activities = list(open_activities)


class DatabaseUrlInvalid(LeadqError, ValueError):
    """The database URL is malformed or names something leadq cannot use."""

    exit_status = 2


class DatabaseUnavailable(LeadqError):
    """The database cannot be opened: a missing directory, a file that is not a
    database, a server that cannot be reached. Nothing was created or changed."""

    exit_status = 3


class DatabaseReadOnly(DatabaseUnavailable):
    """The database file (or its directory) cannot be written; leadq refuses to
    start rather than fail at the first save."""


class DatabaseDamaged(DatabaseUnavailable):
    """The file is a SQLite database, but truncated or with damaged pages."""


class DatabaseTooNew(LeadqError):
    """The database was upgraded by a newer leadq: its schema records migrations this
    leadq does not know, so it is neither used nor migrated downward."""

    exit_status = 4


class RecordConflict(LeadqError, peewee.IntegrityError):
    """The database refused a write that breaks a constraint (a record changed or
    removed in another session, a value a rule of the database forbids)."""


class DatabaseRefused(LeadqError, peewee.DatabaseError):
    """The database refused the statement for another reason."""


def as_sentence(exc: peewee.PeeweeException, what: str) -> LeadqError:
    """A raw database error as a `LeadqError` with a sentence; the raw text is logged."""
    if isinstance(exc, LeadqError):
        return exc
    logger.warning("%s: database error %s: %s", what, type(exc).__name__, exc)
    if isinstance(exc, peewee.IntegrityError):
        return RecordConflict(
            f"The database refused to {what}: it conflicts with a record changed or removed "
            f"in another session, or with a rule of the database; {NOTHING_SAVED}. "
            "Look at the records again and retry."
        )
    return DatabaseRefused(
        f"The database could not {what}; {NOTHING_SAVED}. Try again; if it happens again, "
        "an administrator will find the details in the log."
    )


def no_raw_errors(func: F) -> F:
    """Turn a raw database error leaving the service `func` into a sentence."""
    what = func.__name__.replace("_", " ")

    @functools.wraps(func)
    def service(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except peewee.PeeweeException as exc:
            if isinstance(exc, LeadqError):
                raise
            raise as_sentence(exc, what) from exc

    service.no_raw_errors = True  # type: ignore[attr-defined]  # what a test checks
    return service  # type: ignore[return-value]
