"""The project's own error types. Each carries a message a user can read."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .duplicates import DuplicateMatches


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
    beside its field.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(self.errors.values()))


class PermissionDenied(LeadqError):
    """The acting user's role does not allow this."""


class UserInactive(PermissionDenied):
    """The user is deactivated: they cannot sign in, and nothing is saved on their behalf."""


class NotFound(LeadqError):
    """The record no longer exists (deleted, perhaps by someone else)."""


class LeadClosed(LeadqError):
    """The lead is qualified or disqualified, so it cannot change until reactivated."""


class QualifyRefused(LeadqError):
    """Qualifying cannot go ahead as asked (missing company name, no choice made, ...)."""


class DisqualifyRefused(LeadqError):
    """Disqualifying is not allowed (an opportunity came from the lead)."""


class DeleteRefused(LeadqError):
    """The record cannot be deleted while others depend on it (not a matter of role)."""


class OpportunityClosed(LeadqError):
    """The opportunity is won or lost, so it is read-only until reopened."""


class ExitCriteriaNotMet(QualifyRefused):
    """Required activities of the lead's qualifying process are still open."""

    def __init__(self, message: str, open_activities: list[str]) -> None:
        super().__init__(message)
        self.open_activities = list(open_activities)


class DuplicatesFound(LeadqError):
    """Qualifying would create an account or contact that may already exist.

    The caller resolves it by linking a matched record or choosing to create
    new ones anyway (see `QualifyChoice`), then qualifies again.
    """

    def __init__(self, matches: DuplicateMatches) -> None:
        self.matches = matches
        parts = []
        if matches.accounts:
            parts.append(f"{len(matches.accounts)} matching account(s)")
        if matches.contacts:
            parts.append(f"{len(matches.contacts)} matching contact(s)")
        super().__init__(
            "Possible duplicates: " + " and ".join(parts) + ". Link one or create new records."
        )


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
