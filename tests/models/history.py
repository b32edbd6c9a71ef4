"""A history checker in the Jepsen manner.

Worker processes run random operations through the services on a shared set of
leads for a bounded time. Each records every operation with its outcome:

- acknowledged: the service returned;
- refused: it raised a LeadqError (a rule, a lost race, a fault said in a sentence)
  and promises nothing was saved, except SaveUncertain ("may or may not");
- unknown: SaveUncertain, the connection lost during COMMIT;
- raw: any other exception (a raw database error reaching the caller: an anomaly).

Afterwards `check()` reads the database and the audit trail and lists anomalies:
every acknowledged effect present and every refused one absent (per worker, lead
and action, the audit events number between the acknowledged and acknowledged +
unknown operations; notes and edits carry unique tokens), each lead's trail a
valid sequence of states (and its final state the lead's), each opportunity's
stage moves a chain, no lead with two opportunities, no company with two
accounts, the records qualifying made built from the lead as it closed.

Every service that changes a lead writes its audit event while holding the
lead's lock, so the order of a lead's events is the order its changes took
effect; each worker acts as its own user, one operation at a time, so the k-th
event of a worker on a lead is that worker's k-th effective operation on it.

The verdict does not depend on timing: a slow machine runs fewer operations.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_module
import random
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Any

COMPANIES = ("Contoso Ltd.", "Fabrikam Inc", "Northwind GmbH")
WEIGHTS = {
    "update": 25,
    "note": 20,
    "qualify": 20,
    "disqualify": 10,
    "reactivate": 15,
    "move_stage": 8,
    "delete": 2,
}
WRITE_ACTIONS = {
    "update": "updated",
    "note": "note_added",
    "qualify": "qualified",
    "disqualify": "disqualified",
    "reactivate": "reactivated",
    "delete": "deleted",
}


@dataclass
class Op:
    worker: int
    seq: int
    op: str
    lead: int
    token: str
    outcome: str  # ok | refused | unknown | raw
    detail: str
    latency: float
    opportunity: int | None = None
    linked_account: bool = False


def setup(url: str, leads: int = 12, workers: int = 4) -> list[int]:
    """Users w0..w{workers-1} (sales managers) and `leads` open leads spread over
    COMPANIES, each person otherwise unique. Returns the lead ids."""
    import models

    models.open_database(url)
    try:
        for index in range(workers):
            models.create_user(f"w{index}", f"Worker {index}", models.Role.SALES_MANAGER)
        owner = models.get_user("w0")
        ids = []
        for i in range(leads):
            lead = models.create_lead(
                owner,
                topic=f"History lead {i}",
                first_name=f"Person{i}",
                last_name=f"Number{i}",
                email=f"person{i}@mail{i}.example",
                business_phone=f"+1 206 555 {1000 + i:04d}",
                company=COMPANIES[i % len(COMPANIES)],
                city="Initial",
            )
            ids.append(lead.id)
        return ids
    finally:
        models.close_database()


def _act(op: str, lead_id: int, token: str, actor: Any, rng: random.Random) -> dict[str, Any]:
    import models

    if op == "update":
        models.update_lead(actor, lead_id, {"city": token})
    elif op == "note":
        models.add_note(actor, models.Lead(id=lead_id), token)
    elif op == "qualify":
        try:
            result = models.qualify_lead(actor, lead_id)
            linked = False
        except models.DuplicatesFound as exc:
            # As a rep would: link the company's account when it is the only match;
            # a matching contact (this person qualified before) is not linked.
            if len(exc.matches.accounts) != 1 or exc.matches.contacts:
                raise
            choice = models.QualifyChoice(link_account_id=exc.matches.accounts[0].id)
            result = models.qualify_lead(actor, lead_id, choice)
            linked = True
        return {
            "opportunity": result.opportunity.id if result.opportunity else None,
            "linked_account": linked,
        }
    elif op == "disqualify":
        reason = rng.choice(list(models.DISQUALIFY_REASONS))
        models.disqualify_lead(actor, lead_id, reason)
    elif op == "reactivate":
        models.reactivate_lead(actor, lead_id)
    elif op == "delete":
        models.delete_lead(actor, lead_id)
    elif op == "move_stage":
        opportunity = (
            models.Opportunity.select(models.Opportunity.id)
            .where(models.Opportunity.originating_lead == lead_id)
            .first()
        )
        if opportunity is None:
            raise LookupError("no opportunity")  # not an operation: skipped
        models.move_opportunity_stage(actor, opportunity.id, rng.choice((1, -1)))
        return {"opportunity": opportunity.id}
    return {}


def worker(
    url: str,
    index: int,
    lead_ids: list[int],
    seed: int,
    seconds: float,
    max_ops: int,
    barrier: Any,
    results: Any,
    prepare: str | None = None,
) -> None:
    """One process: random operations until `seconds` pass or `max_ops` are done.
    `prepare` ("module:function") runs first (a benchmark's variant)."""
    import importlib

    import models
    from models.backends import SaveUncertain

    if prepare:
        module, function = prepare.split(":")
        getattr(importlib.import_module(module), function)()
    rng = random.Random(seed)
    models.open_database(url, run_migrations=False)
    actor = models.get_user(f"w{index}")
    names, weights = zip(*WEIGHTS.items(), strict=True)
    ops: list[Op] = []
    barrier.wait(timeout=120)
    deadline = time.monotonic() + seconds
    seq = 0
    while time.monotonic() < deadline and seq < max_ops:
        op = rng.choices(names, weights)[0]
        lead_id = rng.choice(lead_ids)
        token = f"w{index}-{seq}"
        extra: dict[str, Any] = {}
        start = time.perf_counter()
        try:
            extra = _act(op, lead_id, token, actor, rng)
            outcome, detail = "ok", ""
        except LookupError:
            continue
        except SaveUncertain as exc:
            outcome, detail = "unknown", str(exc)
        except models.LeadqError as exc:
            outcome, detail = "refused", f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a raw error reaching the caller: an anomaly
            outcome, detail = "raw", f"{type(exc).__name__}: {exc}"
        latency = time.perf_counter() - start
        ops.append(Op(index, seq, op, lead_id, token, outcome, detail, latency, **extra))
        seq += 1
    models.close_database()
    results.put([asdict(o) for o in ops])


def _nemesis(url: str, stop: Any, seed: int, pause: float) -> None:
    """Ends a random leadq session now and then (as pg_terminate_backend would)."""
    import psycopg

    rng = random.Random(seed)
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.wait(rng.uniform(pause / 2, pause * 1.5)):
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM ("
                " SELECT pid FROM pg_stat_activity WHERE application_name = 'leadq'"
                " AND datname = current_database() ORDER BY random() LIMIT 1) AS victim"
            )


def run(
    url: str,
    lead_ids: list[int],
    *,
    workers: int = 4,
    seconds: float = 3.0,
    max_ops: int = 400,
    seed: int = 1,
    nemesis: float | None = None,
    prepare: str | None = None,
) -> tuple[list[Op], float]:
    """Run the workers (and, with `nemesis` seconds, the session killer); returns
    every operation and the wall time the workers ran."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(workers + 1)
    results = ctx.Queue()
    stop = ctx.Event()
    procs = [
        ctx.Process(
            target=worker,
            args=(url, i, lead_ids, seed * 1000 + i, seconds, max_ops, barrier, results, prepare),
        )
        for i in range(workers)
    ]
    killer = None
    if nemesis:
        killer = ctx.Process(target=_nemesis, args=(url, stop, seed, nemesis))
    for proc in procs:
        proc.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    if killer is not None:
        killer.start()
    ops: list[Op] = []
    try:
        for _ in procs:
            ops += [Op(**o) for o in results.get(timeout=seconds + 120)]
    except queue_module.Empty:
        raise AssertionError("a worker did not report") from None
    finally:
        elapsed = time.perf_counter() - started
        stop.set()
        for proc in [*procs, *([killer] if killer else [])]:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
    return ops, elapsed


# --- the checks --------------------------------------------------------------------

_CLOSED = {"qualified", "disqualified"}


def check(ops: list[Op], lead_ids: list[int]) -> list[str]:
    """The anomalies in the history against the database now bound to the models."""
    import models
    from models import Account, AuditEvent, Contact, Lead, Note, Opportunity

    anomalies = [
        f"raw error: {o.op} on lead {o.lead}: {o.detail}" for o in ops if o.outcome == "raw"
    ]
    users = {u.id: int(u.username[1:]) for u in models.User.select() if u.username[:1] == "w"}
    events = list(
        AuditEvent.select()
        .where((AuditEvent.entity_type == "lead") & AuditEvent.entity_id.in_(lead_ids))
        .order_by(AuditEvent.id)
    )
    trail: dict[int, list[AuditEvent]] = defaultdict(list)
    for event in events:
        trail[event.entity_id].append(event)

    # 1. Effects: per worker, lead and action, acknowledged <= events <= + unknown.
    counted = Counter(
        (users.get(e.actor_id), e.entity_id, e.action) for e in events if e.action != "created"
    )
    expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for o in ops:
        if o.op in WRITE_ACTIONS and o.outcome in ("ok", "unknown"):
            expected[(o.worker, o.lead, WRITE_ACTIONS[o.op])][o.outcome == "unknown"] += 1
    for key in set(counted) | set(expected):
        acked, unknown = expected.get(key, (0, 0))
        if not acked <= counted.get(key, 0) <= acked + unknown:
            anomalies.append(
                f"worker {key[0]} lead {key[1]} {key[2]}: {counted.get(key, 0)} events for "
                f"{acked} acknowledged and {unknown} unknown operations"
            )

    # 2. Each lead's trail is a valid sequence of states, ending in the lead's state.
    leads = {lead.id: lead for lead in Lead.select().where(Lead.id.in_(lead_ids))}
    opportunities = defaultdict(list)
    for opportunity in Opportunity.select():
        opportunities[opportunity.originating_lead_id].append(opportunity)
    for lead_id in lead_ids:
        anomalies += _check_trail(lead_id, trail[lead_id], leads.get(lead_id), opportunities)

    # 3. Edits and notes: acknowledged ones present, refused ones nowhere.
    anomalies += _check_tokens(ops, trail, users, leads)
    notes = {n.text for n in Note.select(Note.text)}
    for o in ops:
        if o.op != "note" or o.lead not in leads:
            continue
        if o.outcome == "ok" and o.token not in notes:
            anomalies.append(f"acknowledged note {o.token} on lead {o.lead} is missing")
        if o.outcome == "refused" and o.token in notes:
            anomalies.append(f"refused note {o.token} on lead {o.lead} was saved")

    # 4. No company with two accounts; no lead with two opportunities.
    per_company = Counter(a.name_key for a in Account.select(Account.name_key))
    anomalies += [f"{n} accounts for company {k!r}" for k, n in per_company.items() if n > 1]
    anomalies += [
        f"lead {lead} has {len(found)} opportunities"
        for lead, found in opportunities.items()
        if lead is not None and len(found) > 1
    ]
    # Each acknowledged qualification's opportunity exists.
    anomalies += [
        f"acknowledged qualification of lead {o.lead}: opportunity {o.opportunity} missing"
        for o in ops
        if o.op == "qualify" and o.outcome == "ok" and o.opportunity is not None
        and not Opportunity.select().where(Opportunity.id == o.opportunity).exists()
    ]  # fmt: skip
    contacts = Counter(c.person_key for c in Contact.select(Contact.person_key))
    anomalies += [f"{n} contacts for person {k!r}" for k, n in contacts.items() if n > 1]

    # 5. Stage moves of each opportunity form a chain ending in its stage.
    anomalies += _check_stages()
    return anomalies


def _check_trail(
    lead_id: int, trail: list[Any], lead: Any, opportunities: dict[int, list[Any]]
) -> list[str]:
    out: list[str] = []
    state, has_opportunity, deleted = "open", False, False
    for event in trail:
        action = event.action
        if deleted:
            out.append(f"lead {lead_id}: {action} after it was deleted")
            continue
        if action == "created":
            continue
        if action == "qualified":
            if state != "open":
                out.append(f"lead {lead_id}: qualified while {state}")
            state = "qualified"
            has_opportunity = has_opportunity or "Created opportunity" in event.summary
        elif action == "disqualified":
            if state != "open":
                out.append(f"lead {lead_id}: disqualified while {state}")
            if has_opportunity:
                out.append(f"lead {lead_id}: disqualified although an opportunity came from it")
            state = "disqualified"
        elif action == "reactivated":
            if state not in _CLOSED:
                out.append(f"lead {lead_id}: reactivated while {state}")
            state = "open"
        elif action in ("updated", "note_added"):
            if state != "open":
                out.append(f"lead {lead_id}: {action} while {state}")
        elif action == "deleted":
            if has_opportunity:
                out.append(f"lead {lead_id}: deleted although an opportunity came from it")
            deleted = True
    if deleted:
        if lead is not None:
            out.append(f"lead {lead_id}: the trail says deleted, but the lead exists")
    elif lead is None:
        out.append(f"lead {lead_id}: gone without a 'deleted' event")
    elif lead.state != state:
        out.append(f"lead {lead_id}: the trail ends {state}, the lead is {lead.state}")
    made = len(opportunities.get(lead_id, []))
    if not deleted and made != int(has_opportunity):
        out.append(f"lead {lead_id}: {made} opportunities, the trail says {int(has_opportunity)}")
    return out


def _check_tokens(
    ops: list[Op], trail: dict[int, list[Any]], users: dict[int, int], leads: dict[int, Any]
) -> list[str]:
    """Replays each lead's edits in the order they took effect: the lead ends with
    the last edit's city, and what qualifying created has the city the lead had."""
    import models

    out: list[str] = []
    refused = {o.token for o in ops if o.op == "update" and o.outcome == "refused"}
    effective: dict[tuple[int, int], list[Op]] = defaultdict(list)
    uncertain: set[tuple[int, int]] = set()
    for o in ops:
        if o.op == "update" and o.outcome in ("ok", "unknown"):
            effective[(o.worker, o.lead)].append(o)
            if o.outcome == "unknown":
                uncertain.add((o.worker, o.lead))
    cities = {
        *(c.city for c in models.Contact.select(models.Contact.city)),
        *(a.city for a in models.Account.select(models.Account.city)),
        *(lead.city for lead in leads.values()),
    }
    out += [f"refused edit {t} was saved" for t in sorted(refused & cities)]
    for lead_id, events in trail.items():
        if any((w, lead_id) in uncertain for w in range(len(users))):
            continue  # which edit took effect is not known: only the checks above
        taken: dict[int, int] = defaultdict(int)
        city = "Initial"
        for event in events:
            worker = users.get(event.actor_id)
            if event.action == "updated":
                edits = effective.get((worker, lead_id), [])
                k = taken[worker]
                taken[worker] += 1
                if k < len(edits):
                    city = edits[k].token
            elif event.action == "qualified":
                lead = models.Lead.get_or_none(models.Lead.id == lead_id)
                if lead is None or "Created contact" not in event.summary:
                    continue
                made = models.Contact.select().where(models.Contact.last_name == lead.last_name)
                if city not in {c.city for c in made}:
                    out.append(f"lead {lead_id}: qualified as {city!r}, records made otherwise")
        lead = leads.get(lead_id)
        if lead is not None and lead.city != city:
            out.append(f"lead {lead_id}: city {lead.city!r}, its last edit was {city!r}")
    return out


def _check_stages() -> list[str]:
    from models import AuditEvent, Opportunity

    out = []
    for opportunity in Opportunity.select():
        stage = "Develop"
        moves = (
            AuditEvent.select()
            .where(
                (AuditEvent.entity_type == "opportunity")
                & (AuditEvent.entity_id == opportunity.id)
                & (AuditEvent.action == "stage_changed")
            )
            .order_by(AuditEvent.id)
        )
        for move in moves:
            old, new = move.summary.removeprefix("Stage ").split(" -> ")
            if old != stage:
                out.append(f"opportunity {opportunity.id}: moved from {old} while at {stage}")
            stage = new
        if opportunity.stage.capitalize() != stage:
            out.append(f"opportunity {opportunity.id}: at {opportunity.stage}, moves say {stage}")
    return out


def summary(ops: list[Op]) -> dict[str, int]:
    return dict(Counter(o.outcome for o in ops))
