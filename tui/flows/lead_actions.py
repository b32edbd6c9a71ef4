"""Lead actions as flows of dialogs and model services.

Each `start_*` function starts one async worker on the app that runs the whole
flow: it awaits dialogs with `app.push_screen_wait` and runs every model service
in its own Textual thread worker (`run_service`, as every screen does), so the
event loop never blocks and input never freezes. The rules live in models/; here
we only ask, call, and show what happened. After any change the flow calls
`app.data_changed()` so the screens refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import peewee

import models
from tui.loading import run_service as _service
from tui.screens.confirm import ConfirmScreen, MessageScreen
from tui.widgets.literal import notify_literal, printable

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from tui.app import LeadqApp

FLOW_GROUP = "lead-actions"
NAMES_SHOWN = 8
"""How many lead names a confirmation lists before saying "and N more"."""

ERROR_TITLES: tuple[tuple[type[Exception], str], ...] = (
    (models.LeadClosed, "Lead already closed"),
    (models.ExitCriteriaNotMet, "Required activities are open"),
    (models.QualifyRefused, "Cannot qualify"),
    (models.DisqualifyRefused, "Cannot disqualify"),
    (models.DeleteRefused, "Cannot delete"),
    (models.OpportunityClosed, "Opportunity closed"),
    (models.PermissionDenied, "Not allowed"),
    (models.NotFound, "Not found"),
    (models.ValidationError, "Not possible"),
)


def error_title(error: Exception, default: str = "Something went wrong") -> str:
    for kind, title in ERROR_TITLES:
        if isinstance(error, kind):
            return title
    return default


def _run_flow(app: LeadqApp, flow: Coroutine[Any, Any, None], name: str) -> None:
    app.run_worker(flow, name=name, group=FLOW_GROUP)


async def _show_error(app: LeadqApp, error: Exception, title: str | None = None) -> None:
    if isinstance(error, peewee.PeeweeException) and not isinstance(error, models.LeadqError):
        message = f"The database reported an error: {error}"
    else:
        message = str(error)
    await app.push_screen_wait(MessageScreen(title or error_title(error), message, error=True))


def _name(lead: models.Lead) -> str:
    """The lead's name on one line, control characters visible (dialogs and
    messages quote it inside sentences)."""
    return printable(lead.full_name) or f"lead #{lead.id}"


def _lead_names(lead_ids: list[int]) -> dict[int, str]:
    """{lead id: full name} for the leads that still exist (runs in a worker)."""
    names: dict[int, str] = {}
    for lead_id in lead_ids:
        try:
            names[lead_id] = _name(models.get_lead(lead_id))
        except models.NotFound:
            continue
    return names


def _names_for_dialog(names: list[str]) -> list[str]:
    if len(names) <= NAMES_SHOWN:
        return names
    return [*names[:NAMES_SHOWN], f"and {len(names) - NAMES_SHOWN} more"]


def _each(
    lead_ids: list[int], names: dict[int, str], action: Callable[[int], object]
) -> list[tuple[int, str, str | None]]:
    """Apply `action` to each lead (runs in a worker); one failure does not stop the rest.

    Returns (lead id, name, error message or None) per lead.
    """
    results: list[tuple[int, str, str | None]] = []
    for lead_id in lead_ids:
        name = names.get(lead_id, f"lead #{lead_id}")
        try:
            action(lead_id)
        except models.LeadqError as exc:
            results.append((lead_id, name, exc.message))
        except peewee.PeeweeException as exc:
            results.append((lead_id, name, f"Database error: {exc}"))
        else:
            results.append((lead_id, name, None))
    return results


# Qualify ------------------------------------------------------------------


def _open_lead_name(lead_id: int, user: models.User | None = None) -> str:
    """The lead's name; refuses, before any question, what the service would refuse
    (`models.can`: a closed lead, open required activities), with its message."""
    lead = models.get_lead(lead_id)
    if user is None:
        if not lead.is_open:
            raise models.LeadClosed(models.closed_message(lead, "qualify"))
    else:
        models.can(user, "qualify", lead).enforce()
    return _name(lead)


def _existing_links(lead_id: int) -> dict[str, str]:
    """{"account"/"contact": label} of the existing records the lead names (qualifying
    links them instead of creating new ones, so the picker says so)."""
    detail = models.lead_detail(lead_id)
    found = {"account": detail.existing_account, "contact": detail.existing_contact}
    return {kind: ref.label for kind, ref in found.items() if ref is not None}


def _refusal(lead_id: int, user: models.User, action: str) -> str | None:
    """Why `user` may not `action` the lead (None if they may), for saying no first."""
    decision = models.can(user, action, models.get_lead(lead_id))
    return None if decision else decision.reason


async def _said_no(app: LeadqApp, lead_ids: list[int], action: str, title: str) -> bool:
    """For one lead, say why the rules refuse `action` before any dialog (True when
    refused). Several leads go ahead: each is reported on its own."""
    if len(lead_ids) != 1:
        return False
    try:
        reason = await _service(app, _refusal, lead_ids[0], app.user, action)
    except (models.LeadqError, peewee.PeeweeException) as error:
        await _show_error(app, error)
        return True
    if reason is None:
        return False
    await app.push_screen_wait(MessageScreen(title, reason, error=True))
    return True


async def _reuse_previous(app: LeadqApp, lead_id: int) -> models.QualifyChoice | None:
    """Re-qualifying a reactivated lead: offer the account, contact and opportunity
    it produced before (linked again, the opportunity reopened) instead of new ones."""
    previous = await _service(app, models.previous_records, lead_id)
    if not previous:
        return None
    named = [
        f"{kind.capitalize()}: {printable(record.title)}"
        for kind, record in (
            ("account", previous.account),
            ("contact", previous.contact),
            ("opportunity", previous.opportunity),
        )
        if record is not None
    ]
    again = await app.push_screen_wait(
        ConfirmScreen(
            "Qualified before",
            "This lead was qualified before. Link the records it produced then (the "
            "opportunity reopened)? No qualifies it afresh: matches are offered as duplicates.",
            confirm_label="Link them",
            details=named,
        )
    )
    if not again:
        return None
    return models.QualifyChoice(
        link_account_id=previous.account.id if previous.account else None,
        link_contact_id=previous.contact.id if previous.contact else None,
        reuse_opportunity_id=previous.opportunity.id if previous.opportunity else None,
    )


def start_qualify(app: LeadqApp, lead_ids: list[int]) -> None:
    """Qualify one lead (with the result dialog) or several (with progress and summary)."""
    ids = list(dict.fromkeys(lead_ids))
    if not ids:
        app.notify("Select a lead to qualify.", severity="warning")
        return
    if len(ids) == 1:
        _run_flow(app, qualify_one_flow(app, ids[0]), "qualify")
    else:
        _run_flow(app, qualify_many_flow(app, ids), "qualify-many")


async def qualify_one_flow(app: LeadqApp, lead_id: int) -> None:
    from tui.screens.duplicate_picker import DuplicatePicker
    from tui.screens.qualify_dialog import QualifyDialog
    from tui.screens.qualify_result import QualifiedRecords, QualifyResultScreen

    try:
        settings = await _service(app, models.load_settings)
        name = await _service(app, _open_lead_name, lead_id, app.user)
        reused = await _reuse_previous(app, lead_id)
        choice = reused or models.QualifyChoice()
        if not settings.auto_create_on_qualify and reused is None:
            asked = await app.push_screen_wait(QualifyDialog(name))
            if asked is None:
                return
            choice = asked
        try:
            result = await _service(app, models.qualify_lead, app.user, lead_id, choice)
        except models.DuplicatesFound as found:
            linked = await _service(app, _existing_links, lead_id)
            picked = await app.push_screen_wait(
                DuplicatePicker(
                    name,
                    found.matches,
                    improved=settings.improved_duplicate_experience,
                    linked=linked,
                )
            )
            if not picked.proceeds:
                return
            choice = picked.choice(choice)
            result = await _service(app, models.qualify_lead, app.user, lead_id, choice)
    except (models.LeadqError, peewee.PeeweeException) as error:
        await _show_error(app, error)
        return
    app.data_changed()
    records = QualifiedRecords.from_result(name, result)
    kind = await app.push_screen_wait(QualifyResultScreen(records))
    if kind is not None:
        record_id = records.record_id(kind)
        if record_id is not None:
            getattr(app, f"open_{kind}")(record_id)


async def qualify_many_flow(app: LeadqApp, lead_ids: list[int]) -> None:
    from tui.screens.bulk_qualify import BulkQualifyScreen, LeadSummary
    from tui.screens.duplicate_picker import DuplicatePicker
    from tui.screens.qualify_dialog import QualifyDialog

    try:
        settings = await _service(app, models.load_settings)
    except (models.LeadqError, peewee.PeeweeException) as error:
        await _show_error(app, error)
        return
    choice = models.QualifyChoice()
    if not settings.auto_create_on_qualify:
        asked = await app.push_screen_wait(QualifyDialog(f"{len(lead_ids)} leads"))
        if asked is None:
            return
        choice = asked

    screen = BulkQualifyScreen(len(lead_ids))
    await app.push_screen(screen)

    def progress(done: int, total: int) -> None:
        app.call_from_thread(screen.set_progress, done, total)

    try:
        outcomes = await _service(app, models.qualify_leads, app.user, lead_ids, choice, progress)
    except (models.LeadqError, peewee.PeeweeException) as error:
        screen.dismiss(None)
        await _show_error(app, error, "Qualify multiple failed")
        return
    app.data_changed()

    summary: dict[int, LeadSummary] = {}
    waiting = []
    for outcome in outcomes:
        if outcome.status == "duplicates":
            waiting.append(outcome)
        else:
            summary[outcome.lead_id] = LeadSummary(
                outcome.lead_id, printable(outcome.lead_name), outcome.status, outcome.message
            )

    skip_all = False
    for position, outcome in enumerate(waiting, start=1):
        lead_id, name = outcome.lead_id, printable(outcome.lead_name)
        if skip_all:
            summary[lead_id] = LeadSummary(
                lead_id, name, "skipped", "Possible duplicates; skipped (skip all)."
            )
            continue
        screen.set_status(f"Possible duplicates: lead {position} of {len(waiting)}")
        assert outcome.matches is not None
        picked = await app.push_screen_wait(
            DuplicatePicker(
                name,
                outcome.matches,
                improved=settings.improved_duplicate_experience,
                position=(position, len(waiting)),
            )
        )
        if not picked.proceeds:
            skip_all = picked.action == "skip_all"
            summary[lead_id] = LeadSummary(
                lead_id, name, "skipped", "Possible duplicates; skipped, not qualified."
            )
            continue
        try:
            result = await _service(
                app, models.qualify_lead, app.user, lead_id, picked.choice(choice)
            )
        except (models.LeadqError, peewee.PeeweeException) as error:
            summary[lead_id] = LeadSummary(lead_id, name, "failed", str(error))
            continue
        app.data_changed()
        linked = picked.account_id is not None or picked.contact_id is not None
        message = "; ".join(result.lines())
        if not linked:
            message += " (possible duplicates ignored)"
        summary[lead_id] = LeadSummary(lead_id, name, "linked" if linked else "qualified", message)

    await screen.show_summary([summary[o.lead_id] for o in outcomes])


# Disqualify ----------------------------------------------------------------


def start_disqualify(app: LeadqApp, lead_ids: list[int]) -> None:
    """Ask for one reason, then disqualify the lead(s) and say what happened."""
    ids = list(dict.fromkeys(lead_ids))
    if not ids:
        app.notify("Select a lead to disqualify.", severity="warning")
        return
    _run_flow(app, disqualify_flow(app, ids), "disqualify")


async def disqualify_flow(app: LeadqApp, lead_ids: list[int]) -> None:
    from tui.screens.disqualify_dialog import DisqualifyDialog

    if await _said_no(app, lead_ids, "disqualify", "Cannot disqualify"):
        return
    try:
        names = await _service(app, _lead_names, lead_ids)
    except peewee.PeeweeException as error:
        await _show_error(app, error)
        return
    subject = names.get(lead_ids[0], "") if len(lead_ids) == 1 else f"{len(lead_ids)} leads"
    reason = await app.push_screen_wait(DisqualifyDialog(subject or f"lead #{lead_ids[0]}"))
    if reason is None:
        return
    label = models.StatusReason(reason).label

    def disqualify(lead_id: int) -> object:
        return models.disqualify_lead(app.user, lead_id, reason)

    results = await _service(app, _each, lead_ids, names, disqualify)
    await _report(app, results, f"Disqualified ({label})", "Disqualify")


async def _report(
    app: LeadqApp, results: list[tuple[int, str, str | None]], done: str, verb: str
) -> None:
    """Notify a clean success; show a dialog when any lead failed."""
    succeeded = [r for r in results if r[2] is None]
    if succeeded:
        app.data_changed()
    if len(results) == 1:
        _, name, error = results[0]
        if error is None:
            notify_literal(app, f"{name}: {done}.", title=verb)
        else:
            await app.push_screen_wait(MessageScreen(f"Cannot {verb.lower()}", error, error=True))
        return
    if len(succeeded) == len(results):
        notify_literal(app, f"{done}: {len(results)} leads.", title=verb)
        return
    lines = [f"{name}: {error or done}" for _, name, error in results]
    await app.push_screen_wait(
        MessageScreen(
            f"{verb}: {len(succeeded)} of {len(results)} leads",
            f"{len(results) - len(succeeded)} lead(s) could not be changed:",
            lines=lines,
            error=True,
        )
    )


# Reactivate ----------------------------------------------------------------


def start_reactivate(app: LeadqApp, lead_id: int) -> None:
    """Confirm, then reopen a closed lead."""
    _run_flow(app, reactivate_flow(app, lead_id), "reactivate")


async def reactivate_flow(app: LeadqApp, lead_id: int) -> None:
    try:
        lead = await _service(app, models.get_lead, lead_id)
    except (models.LeadqError, peewee.PeeweeException) as error:
        await _show_error(app, error)
        return
    name = _name(lead)
    confirmed = await app.push_screen_wait(
        ConfirmScreen(
            "Reactivate lead",
            f"Reactivate {name}? It goes back to open with status New and stage "
            "Qualify; its notes and attachments stay.",
            confirm_label="Reactivate",
        )
    )
    if not confirmed:
        return
    results = await _service(
        app, _each, [lead_id], {lead_id: name}, lambda i: models.reactivate_lead(app.user, i)
    )
    await _report(app, results, "Reactivated", "Reactivate")


# Delete --------------------------------------------------------------------


def start_delete(app: LeadqApp, lead_ids: list[int]) -> None:
    """Confirm (naming the leads), then delete them with their notes and attachments."""
    ids = list(dict.fromkeys(lead_ids))
    if not ids:
        app.notify("Select a lead to delete.", severity="warning")
        return
    _run_flow(app, delete_flow(app, ids), "delete")


async def delete_flow(app: LeadqApp, lead_ids: list[int]) -> None:
    if await _said_no(app, lead_ids, "delete", "Cannot delete"):
        return
    try:
        names = await _service(app, _lead_names, lead_ids)
    except peewee.PeeweeException as error:
        await _show_error(app, error)
        return
    if not names:
        await app.push_screen_wait(
            MessageScreen("Not found", "These leads no longer exist.", error=True)
        )
        return
    ids = [i for i in lead_ids if i in names]
    if len(ids) == 1:
        title = "Delete lead"
        message = (
            f"Delete {names[ids[0]]}? Its notes and attachments are deleted too. "
            "This cannot be undone."
        )
        details: list[str] = []
    else:
        title = f"Delete {len(ids)} leads"
        message = (
            f"Delete these {len(ids)} leads? Their notes and attachments are deleted "
            "too. This cannot be undone."
        )
        details = _names_for_dialog([names[i] for i in ids])
    confirmed = await app.push_screen_wait(
        ConfirmScreen(title, message, confirm_label="Delete", danger=True, details=details)
    )
    if not confirmed:
        return
    results = await _service(app, _each, ids, names, lambda i: models.delete_lead(app.user, i))
    await _report(app, results, "Deleted", "Delete")
