"""The `Decision` every permission check answers, and the checks that need no
record: what only a system administrator may do (`admin_only`).

Apart from `permissions` (the rules on records, which read qualifying processes)
so that what needs only these, such as the users' services on the way to the
first screen, does not import the processes' models and reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from .entities import User
from .errors import LeadqError, PermissionDenied


@dataclass(frozen=True)
class Decision:
    """Whether an action is allowed; if not, the error a service raises for it."""

    allowed: bool
    error: LeadqError | None = None

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def reason(self) -> str:
        """The sentence a user reads (empty when allowed)."""
        return "" if self.error is None else self.error.message

    def enforce(self) -> None:
        if self.error is not None:
            raise self.error


ALLOWED = Decision(True)


def refuse(error: LeadqError) -> Decision:
    return Decision(False, error)


CHANGE_SETTINGS = "change settings"
DEFINE_PROCESSES = "define qualifying processes"


def admin_only(user: User, what: str, *, you: bool = False) -> Decision:
    """The admin check, for every service and screen that only a system
    administrator may use (`what`: "change settings", "add users", ...). The
    refusal names the user (`you`: says "you", for the user's own screen)."""
    if user.is_admin:
        return ALLOWED
    who = "you are" if you else f"{user} is"
    return refuse(
        PermissionDenied(f"Only a system administrator can {what}; {who} a {user.role_label}.")
    )


def can_define_processes(user: User) -> bool:
    """Whether `user` may define qualifying processes (an administrator)."""
    return bool(admin_only(user, DEFINE_PROCESSES))
