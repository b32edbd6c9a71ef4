"""One argument order for every service: the acting user first, then the record,
then what to do: `update_lead(actor, lead_id, values)`, like `create_lead(actor,
...)`, `add_note(actor, record, ...)` and `change_setting(actor, key, value)`.

Until 0.2 the services named in `actor_first` took the record first
(`update_lead(lead_id, actor, values)`). Calls in that order still work, with a
`DeprecationWarning` naming the new one, so code written against the old order
(a script, a branch not yet rebased) keeps running while it is moved over.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def actor_first(func: F) -> F:
    """Mark a service that takes the actor first; accept the old (record, actor)
    order with a DeprecationWarning."""
    from .entities import User

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
