"""The command palette (ctrl+p): leadq's actions, and jump to a lead by name.

Textual's own provider stays (themes, quit, keys); this one adds what the
current screen can do (on the lead list: the lead actions, views and sorts; on
any other screen: its key bindings) and, as you type, leads whose name,
company, email or topic match, searched in a thread so typing never waits.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

import models

from .widgets.literal import notify_literal, printable

LEAD_RESULTS = 20
Command = tuple[str, str, Callable[[], Any]]


def find_leads(user: models.User, text: str, limit: int = LEAD_RESULTS) -> list[dict[str, Any]]:
    """Leads of any state matching `text`, by name (run in a worker thread)."""
    with models.thread_connection():
        sort = models.search_order(text, "name")  # by name unless too many match to sort
        query = models.lead_query("all", user, text, sort, descending=sort != "name")
        return models.lead_rows(query, 0, limit, sort=sort, descending=sort != "name", search=text)


class LeadqCommands(Provider):
    """leadq's actions for the current screen, and its leads by name."""

    def commands(self) -> list[Command]:
        from .screens.lead_list import LeadListScreen

        app: Any = self.app
        screen = self.screen
        found: list[Command] = []
        if isinstance(screen, LeadListScreen):
            found += [
                (
                    "Qualify",
                    "Qualify the selected leads, or the one under the cursor (q)",
                    screen.action_qualify,
                ),
                (
                    "Disqualify",
                    "Disqualify the selected leads, or the one under the cursor (d)",
                    screen.action_disqualify,
                ),
                (
                    "Reactivate",
                    "Reopen the closed lead under the cursor (r)",
                    screen.action_reactivate,
                ),
                (
                    "Delete",
                    "Delete the selected leads, or the one under the cursor (Delete)",
                    screen.action_delete,
                ),
                (
                    "Select all",
                    "Select the leads of this view, or clear the selection (a)",
                    screen.action_select_all,
                ),
                ("New lead", "Create a lead (n)", screen.action_new_lead),
                (
                    "Assign owner",
                    "Give the selected leads, or the one under the cursor, to another user (o)",
                    screen.action_assign,
                ),
                (
                    "Bulk edit",
                    "Set rating, lead source or status reason on the selected leads (b)",
                    screen.action_bulk_edit,
                ),
                ("Search leads", "Type to filter this view (/)", screen.action_focus_search),
                (
                    "Export leads",
                    "Export this view and search, or the selection: CSV, JSON, JSONL (x)",
                    screen.action_export,
                ),
                (
                    "Merge leads",
                    "Merge the 2-5 selected leads side by side (m)",
                    screen.action_merge,
                ),
                ("Reverse sort", "Flip the sort order (S)", screen.action_reverse_sort),
            ]
            for view, label in models.VIEWS.items():
                found.append(
                    (
                        f"View: {label}",
                        f"Show {label.lower()}",
                        partial(screen.action_show_view, view),
                    )
                )
            for sort, (label, _) in models.SORTS.items():
                found.append(
                    (f"Sort by {label.lower()}", "Sort the list", partial(screen.set_sort, sort))
                )
        else:
            found += screen_commands(app, screen)
        found += [
            ("Import leads", "Import leads from a CSV file, or undo an import", app.open_import),
            ("Settings", "Qualification settings and duplicate rules (F2)", app.action_settings),
            ("Help", "Every key of every screen (F1)", app.action_help),
        ]
        return found

    async def discover(self) -> Hits:
        for name, help_text, callback in self.commands():
            yield DiscoveryHit(_shown(name, help_text), callback, text=name, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self.commands():
            score = matcher.match(name)
            if score > 0:
                prompt = matcher.highlight(name)
                if help_text.startswith(REFUSED):
                    prompt = prompt.stylize("dim")
                yield Hit(score, prompt, callback, text=name, help=help_text)
        if len(query.strip()) < 2:
            return
        app: Any = self.app
        rows = await asyncio.to_thread(find_leads, app.user, query)
        for rank, row in enumerate(rows):
            parts = (row["first_name"], row["last_name"])
            name = printable(" ".join(p for p in parts if p))
            prompt = Content.assemble(
                "Open lead ",
                (name, "bold"),
                "  ",
                (printable(row["company"]), "italic"),
                " · ",
                printable(row["topic"]),
            )
            yield Hit(
                0.5 - rank / 100,
                prompt,
                partial(app.open_lead, row["id"]),
                text=f"Open lead {name}",
            )


REFUSED = "Not possible: "


def _shown(name: str, help_text: str) -> str | Content:
    """A command's name, dimmed when the rules refuse it."""
    return Content.styled(name, "dim") if help_text.startswith(REFUSED) else name


def _title(screen: object) -> str:
    """What the palette calls a screen: its TITLE, else its class name in words
    (`LeadDetailScreen` -> `Lead detail`), never the raw class name."""
    title = getattr(screen, "PALETTE_TITLE", None) or getattr(screen, "TITLE", None)
    if title:
        return str(title)
    name = type(screen).__name__.removesuffix("Screen")
    words = re.findall(r"[A-Z][a-z]*", name) or [name]
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def leadq_binding(node: object, binding: Any) -> bool:
    """Whether leadq declares `binding` on `node`, rather than Textual (a base such
    as `Screen` binds tab, shift+tab and ctrl+c; a widget its cursor keys)."""

    def declares(cls: type) -> bool:
        declared = Binding.make_bindings(cls.__dict__.get("BINDINGS", []))
        return any(b.key == binding.key and b.action == binding.action for b in declared)

    classes = type(node).__mro__
    ours = any(declares(c) for c in classes if c.__module__.startswith("tui."))
    textuals = any(declares(c) for c in classes if c.__module__.startswith("textual."))
    return ours and not textuals


def screen_commands(app: Any, screen: Any) -> list[Command]:
    """The screen's own actions (and its leadq widgets'), each once, from its key
    bindings; Textual's widget bindings (scrolling, copy) are left out. An action
    the rules refuse (`SaysWhyNot`) is listed dimmed and says why when chosen."""
    from .screens.refusals import SaysWhyNot

    found: list[Command] = []
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding, node = active.binding, active.node
        if node is app or not binding.description or binding.description in seen:
            continue
        if not leadq_binding(node, binding):
            continue  # Textual's own: scroll, copy, focus moves, cursor moves
        action = binding.action.split("(")[0]
        refused = screen.refusal(action) if isinstance(screen, SaysWhyNot) else None
        if not active.enabled and refused is None:
            continue
        seen.add(binding.description)
        key = app.get_key_display(binding)
        if refused is not None:
            say = partial(notify_literal, screen, refused.reason, title="Not possible",
                          severity="warning")  # fmt: skip
            found.append((binding.description, REFUSED + refused.reason, say))
            continue
        found.append(
            (binding.description, f"{_title(screen)} ({key})",
             partial(app.run_action, binding.action, node))
        )  # fmt: skip
    return found
