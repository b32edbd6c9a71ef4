"""Say no before asking, in the footer and on the keys.

A screen that mixes in `SaysWhyNot` keeps the decisions `models.decisions` gave
for its record (read in a worker with the record). An action the rules refuse is
shown dimmed in the footer (`check_action` answers None) and, when its key is
pressed anyway, the screen says why, before any dialog opens. The reason is the
sentence the service itself would raise (`models.permissions`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events

import models

from ..widgets.literal import notify_literal


class SaysWhyNot:
    """Mixin for a `Screen`: `RULES` maps a screen action to the `models.can` action."""

    RULES: ClassVar[dict[str, str]] = {}
    decisions: dict[str, models.Decision]

    def refusal(self, action: str) -> models.Decision | None:
        """The refusal of a screen action, if the rules refuse it."""
        rule = self.RULES.get(action)
        if rule is None:
            return None
        decision = getattr(self, "decisions", {}).get(rule)
        return decision if decision is not None and not decision else None

    def refused_state(self, action: str) -> bool | None:
        """What `check_action` answers: None (shown dimmed) when refused, else True."""
        return None if self.refusal(action) is not None else True

    def say_why_not(self, event: events.Key) -> bool:
        """On a key of a refused action, say why (True when it did)."""
        screen: Any = self
        active = screen.active_bindings.get(event.key)
        if active is None or active.enabled:
            return False
        action = active.binding.action.split("(")[0]
        refused = self.refusal(action)
        if refused is None:
            return False
        event.stop()
        notify_literal(screen, refused.reason, title="Not possible", severity="warning")
        return True
