"""Record actions as flows of dialogs and model services, the way lead actions are
(`tui.flows.lead_actions`): reassign owners (one record or a selection), bulk edit
leads, delete an account, contact or opportunity, close an opportunity as won or
lost, reopen it.

Say no before asking: each flow first asks `models.can` (in a worker) and, when
the rules refuse, says why without opening any dialog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import peewee

import models
from tui.loading import run_service as _service
from tui.screens.confirm import ConfirmScreen, MessageScreen
from tui.widgets.literal import notify_literal, printable

from .lead_actions import _run_flow, _show_error, error_title

if TYPE_CHECKING:
    from tui.app import LeadqApp

NOUN = {"lead": "lead", "account": "account", "contact": "contact", "opportunity": "opportunity"}
PLURAL = {"lead": "leads", "account": "accounts", "contact": "contacts",
          "opportunity": "opportunities"}  # fmt: skip


def refusal(user: models.User, action: str, kind: str, record_id: int) -> str | None:
    """Why `user` cannot `action` the record (None if they can); runs in a worker."""
    record = models.get_record(kind, record_id)
    decision = models.can(user, action, record)
    return None if decision else decision.reason


def refusals(user: models.User, action: str, kind: str, ids: list[int]) -> dict[int, str]:
    """{id: why not} for the records `user` cannot `action` (gone ones included)."""
    out: dict[int, str] = {}
    for record_id in ids:
        try:
            reason = refusal(user, action, kind, record_id)
        except models.NotFound as gone:
            reason = gone.message
        if reason is not None:
            out[record_id] = reason
    return out


async def say_no_first(app: LeadqApp, action: str, kind: str, ids: list[int]) -> list[int]:
    """The ids the rules allow `action` on; when none, say why (before any dialog)."""
    try:
        refused = await _service(app, refusals, app.user, action, kind, ids)
    except peewee.PeeweeException as error:
        await _show_error(app, error)
        return []
    allowed = [i for i in ids if i not in refused]
    if not allowed:
        reasons = list(dict.fromkeys(refused.values()))
        await app.push_screen_wait(
            MessageScreen("Not possible", reasons[0], lines=reasons[1:5], error=True)
        )
    return allowed


def _report_outcomes(app: LeadqApp, title: str, outcomes: list[models.RecordOutcome]) -> Any:
    done = [o for o in outcomes if o.done]
    if done:
        app.data_changed()
    if all(o.done for o in outcomes):
        message = done[0].message if len(done) == 1 else f"{len(done)} records"
        notify_literal(app, f"{title}: {message}.", title=title)
        return None
    lines = [f"{printable(o.name)}: {o.message}" for o in outcomes]
    return MessageScreen(
        f"{title}: {len(done)} of {len(outcomes)}", "Some could not be changed:", lines=lines,
        error=True,
    )  # fmt: skip


# Owners -------------------------------------------------------------------------


def start_assign_owner(app: LeadqApp, kind: str, ids: list[int]) -> None:
    _run_flow(app, assign_owner_flow(app, kind, list(dict.fromkeys(ids))), "assign")


async def assign_owner_flow(app: LeadqApp, kind: str, ids: list[int]) -> None:
    from tui.screens.pickers import OwnerPicker

    allowed = await say_no_first(app, "assign", kind, ids)
    if not allowed:
        return
    users = await _service(app, models.active_users)
    what = f"this {NOUN[kind]}" if len(ids) == 1 else f"these {len(ids)} {PLURAL[kind]}"
    owner = await app.push_screen_wait(OwnerPicker(what, users, app.user.id))
    if owner is None:
        return
    try:
        outcomes = await _service(app, models.assign_owner, app.user, kind, ids, owner)
    except (models.LeadqError, peewee.PeeweeException) as error:
        await _show_error(app, error)
        return
    dialog = _report_outcomes(app, "Assign", outcomes)
    if dialog is not None:
        await app.push_screen_wait(dialog)


# Bulk edit ------------------------------------------------------------------------


def start_bulk_edit(app: LeadqApp, lead_ids: list[int]) -> None:
    _run_flow(app, bulk_edit_flow(app, list(dict.fromkeys(lead_ids))), "bulk-edit")


async def bulk_edit_flow(app: LeadqApp, lead_ids: list[int]) -> None:
    from tui.screens.pickers import BulkEditLeads

    allowed = await say_no_first(app, "edit", "lead", lead_ids)
    if not allowed:
        return
    values = await app.push_screen_wait(BulkEditLeads(len(lead_ids)))
    if not values:
        return
    try:
        outcomes = await _service(app, models.bulk_update_leads, app.user, lead_ids, values)
    except (models.LeadqError, peewee.PeeweeException) as error:
        await _show_error(app, error)
        return
    dialog = _report_outcomes(app, "Bulk edit", outcomes)
    if dialog is not None:
        await app.push_screen_wait(dialog)


# Delete ----------------------------------------------------------------------------


def _delete_facts(kind: str, record_id: int) -> tuple[str, str]:
    record = models.get_record(kind, record_id)
    return str(record), models.delete_impact(kind, record_id).sentence()


DELETERS = {
    "account": models.delete_account,
    "contact": models.delete_contact,
    "opportunity": models.delete_opportunity,
}


def start_delete_record(app: LeadqApp, kind: str, record_id: int, then: Any = None) -> None:
    _run_flow(app, delete_record_flow(app, kind, record_id, then), "delete-record")


async def delete_record_flow(app: LeadqApp, kind: str, record_id: int, then: Any) -> None:
    if not await say_no_first(app, "delete", kind, [record_id]):
        return
    try:
        name, impact = await _service(app, _delete_facts, kind, record_id)
    except (models.LeadqError, peewee.PeeweeException) as error:
        await _show_error(app, error)
        return
    confirmed = await app.push_screen_wait(
        ConfirmScreen(
            f"Delete {NOUN[kind]}",
            f"Delete {printable(name)}? {impact} This cannot be undone.".replace("  ", " "),
            confirm_label="Delete",
            danger=True,
        )
    )
    if not confirmed:
        return
    try:
        await _service(app, DELETERS[kind], app.user, record_id)
    except (models.LeadqError, peewee.PeeweeException) as error:
        await _show_error(app, error, error_title(error, "Cannot delete"))
        return
    app.data_changed()
    notify_literal(app, f"Deleted {name}.", title="Delete")
    if then is not None:
        then()


# Close and reopen -------------------------------------------------------------------


def start_close(app: LeadqApp, opportunity_id: int, won: bool) -> None:
    _run_flow(app, close_flow(app, opportunity_id, won), "close")


async def close_flow(app: LeadqApp, opportunity_id: int, won: bool) -> None:
    from tui.screens.close_opportunity import CloseLostDialog, CloseWonDialog

    action = "close_won" if won else "close_lost"
    if not await say_no_first(app, action, "opportunity", [opportunity_id]):
        return
    record = await _service(app, models.get_record, "opportunity", opportunity_id)
    defaults = {"actual_revenue": f"{record.estimated_value:f}"} if (
        won and record.estimated_value is not None) else {}  # fmt: skip
    dialog = CloseWonDialog if won else CloseLostDialog
    values = await app.push_screen_wait(dialog(printable(record.topic), defaults))
    if values is None:
        return
    try:
        if won:
            await _service(app, models.close_opportunity_won, app.user, opportunity_id,
                           values["actual_revenue"], values["close_date"],
                           values["description"])  # fmt: skip
        else:
            await _service(app, models.close_opportunity_lost, app.user, opportunity_id,
                           values["reason"], values["close_date"], values["competitor"],
                           values["description"])  # fmt: skip
    except (models.LeadqError, peewee.PeeweeException) as error:
        await _show_error(app, error, error_title(error, "Cannot close"))
        return
    app.data_changed()
    notify_literal(app, f"Closed as {'won' if won else 'lost'}.", title="Opportunity")


def start_reopen(app: LeadqApp, opportunity_id: int) -> None:
    _run_flow(app, reopen_flow(app, opportunity_id), "reopen")


async def reopen_flow(app: LeadqApp, opportunity_id: int) -> None:
    if not await say_no_first(app, "reopen", "opportunity", [opportunity_id]):
        return
    confirmed = await app.push_screen_wait(
        ConfirmScreen(
            "Reopen opportunity",
            "Reopen it? It becomes In progress and editable again; the actual revenue "
            "and close date are cleared (the history keeps them).",
            confirm_label="Reopen",
        )
    )
    if not confirmed:
        return
    try:
        await _service(app, models.reopen_opportunity, app.user, opportunity_id)
    except (models.LeadqError, peewee.PeeweeException) as error:
        await _show_error(app, error)
        return
    app.data_changed()
    notify_literal(app, "Reopened.", title="Opportunity")
