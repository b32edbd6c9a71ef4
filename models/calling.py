"""How services are called: one argument order, and no raw database error out.

One argument order for every service: the acting user first, then the record,
then what to do: `update_lead(actor, lead_id, values)`, like `create_lead(actor,
...)`, `add_note(actor, record, ...)` and `change_setting(actor, key, value)`.

Until 0.2 the services named in `actor_first` took the record first
(`update_lead(lead_id, actor, values)`). Calls in that order still work, with a
`DeprecationWarning` naming the new one, so code written against the old order
(a script, a branch not yet rebased) keeps running while it is moved over.

A database error that the backends did not already turn into a sentence
(`backends.DatabaseFault`) leaves a service as a `RecordConflict` (an integrity
error: a record changed or removed meanwhile, a constraint) or a
`DatabaseRefused` (anything else), each a `LeadqError` with a sentence and still
the Peewee error class code may catch; the driver's text (PostgreSQL's
`CONTEXT: PL/pgSQL ...` lines) goes to the log, not to the user.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import peewee

from .errors import LeadqError

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("models")
NOTHING_SAVED = "nothing was saved"


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
    """Turn a raw database error leaving `func` into a sentence (see the module)."""
    what = func.__name__.replace("_", " ")

    @functools.wraps(func)
    def service(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except peewee.PeeweeException as exc:
            if isinstance(exc, LeadqError):
                raise
            raise as_sentence(exc, what) from exc

    return service  # type: ignore[return-value]


def actor_first(func: F) -> F:
    """Mark a service that takes the actor first; accept the old (record, actor)
    order with a DeprecationWarning. Raw database errors become sentences."""
    from .entities import User

    func = no_raw_errors(func)

    @functools.wraps(func)
    def service(*args: Any, **kwargs: Any) -> Any:
        if len(args) >= 2 and isinstance(args[1], User) and not isinstance(args[0], User):
            warnings.warn(
                f"{func.__name__}(record, actor, ...) is the old argument order: "
                f"call {func.__name__}(actor, record, ...)",
                DeprecationWarning,
                stacklevel=2,
            )
            args = (args[1], args[0], *args[2:])
        return func(*args, **kwargs)

    return service  # type: ignore[return-value]
