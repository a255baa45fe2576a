"""What must hold in the database after any load, however many processes ran it and whichever of them died.

Read straight from the tables (not through the API), after every process has stopped. Each check returns the
violations it found as sentences, so that a failing test lists all of them, not just the first.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from bizext.db.models import ClockRun, Escalation, Event, IdempotencyKey, Project, StageOccurrence, TransitionRecord
from bizext.db.session import Database
from bizext.services.clocks import as_run, clock_def
from bizext.workflow import clocks as rules
from bizext.workflow.calendars import WorkingCalendar
from bizext.workflow.definitions import WorkflowDefinition, registry
from tests.ops.load import Log

#: Escalations still waiting for somebody; an escalation of a stopped clock run must not be one of them.
UNRESOLVED = ("open", "acknowledged")


@dataclass
class Snapshot:
    projects: dict[uuid.UUID, Row[Any]]
    transitions: dict[uuid.UUID, list[Row[Any]]]  # by project, in seq order
    stages: dict[uuid.UUID, list[Row[Any]]]  # by project, in seq order
    runs: list[Row[Any]]
    escalations: list[Row[Any]]
    events: list[Row[Any]]
    idempotency: list[Row[Any]]

    @classmethod
    def read(cls, database: Database) -> Snapshot:
        """Everything, in one repeatable-read transaction (nothing should be writing anyway)."""
        with database.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            return cls.read_from(conn)

    @classmethod
    def read_from(cls, conn: Connection) -> Snapshot:
        def rows(table: Any, *order: Any) -> list[Row[Any]]:
            return list(conn.execute(select(table).order_by(*order)))

        projects = {p.id: p for p in rows(Project.__table__, Project.created_at)}
        transitions, stages = defaultdict(list), defaultdict(list)
        for t in rows(TransitionRecord.__table__, TransitionRecord.project_id, TransitionRecord.seq):
            transitions[t.project_id].append(t)
        for s in rows(StageOccurrence.__table__, StageOccurrence.project_id, StageOccurrence.seq):
            stages[s.project_id].append(s)
        return cls(projects, dict(transitions), dict(stages),
                   rows(ClockRun.__table__, ClockRun.project_id, ClockRun.clock, ClockRun.run),
                   rows(Escalation.__table__, Escalation.raised_at), rows(Event.__table__, Event.sequence),
                   rows(IdempotencyKey.__table__, IdempotencyKey.created_at))

    def definition(self, project_id: uuid.UUID) -> WorkflowDefinition:
        p = self.projects[project_id]
        return registry().get(p.workflow_key, p.workflow_version)

    @property
    def transition_count(self) -> int:
        return sum(len(ts) for ts in self.transitions.values())


def histories(snap: Snapshot) -> list[str]:
    """Every project's history is consistent with its state: the transitions chain from the initial state to the
    current one with contiguous seq, each a move the definition allows; one stage per visit, closed by the
    transition that left it and opened by the one that entered it; exactly one open stage unless terminal."""
    problems: list[str] = []
    for pid, p in snap.projects.items():
        d = snap.definition(pid)
        ts, stages = snap.transitions.get(pid, []), snap.stages.get(pid, [])
        where = f"project {p.number} ({pid}, {p.state})"
        if [t.seq for t in ts] != list(range(1, len(ts) + 1)):
            problems.append(f"{where}: transition seq {[t.seq for t in ts]} is not 1..{len(ts)}")
        state = d.initial
        for t in ts:
            allowed = d.transition(t.name)
            if t.from_state != state:
                problems.append(f"{where}: transition {t.seq} {t.name} from {t.from_state}, but the previous one "
                                f"ended in {state}")
            if allowed is None or t.from_state not in allowed.sources or t.to_state not in allowed.targets:
                problems.append(f"{where}: transition {t.seq} {t.name} {t.from_state}→{t.to_state} is not in {d.key}")
            state = t.to_state
        if state != p.state:
            problems.append(f"{where}: the history ends in {state}")
        if any(b.occurred_at < a.occurred_at for a, b in zip(ts, ts[1:])):
            problems.append(f"{where}: occurred_at goes back in time: {[str(t.occurred_at) for t in ts]}")
        if p.version != len(ts) + 1:
            problems.append(f"{where}: version {p.version} after {len(ts)} transitions")
        terminal = d.state(p.state).terminal
        if (p.owner_kind is None) != terminal:
            problems.append(f"{where}: owner_kind {p.owner_kind} (terminal: {terminal})")
        problems += _stages(where, d, p, ts, stages, terminal)
    return problems


def _stages(where: str, d: WorkflowDefinition, p: Row[Any], ts: list[Row[Any]], stages: list[Row[Any]],
            terminal: bool) -> list[str]:
    problems = []
    if [s.seq for s in stages] != list(range(1, len(stages) + 1)):
        problems.append(f"{where}: stage seq {[s.seq for s in stages]} is not contiguous")
    expected = len(ts) + (0 if terminal else 1)
    if len(stages) != expected:
        return problems + [f"{where}: {len(stages)} stages after {len(ts)} transitions (expected {expected})"]
    entered_by = [None, *ts]
    visits: Counter[str] = Counter()
    for s, by in zip(stages, entered_by):
        visits[s.state] += 1
        state = by.to_state if by is not None else d.initial
        if (s.state, s.entered_by_transition_id, s.visit) != (state, by.id if by else None, visits[s.state]):
            problems.append(f"{where}: stage {s.seq} is {s.state} visit {s.visit} entered by "
                            f"{s.entered_by_transition_id}; expected {state} visit {visits[s.state]} entered by "
                            f"{by.id if by else None}")
        if by is not None and s.entered_at != by.occurred_at:
            problems.append(f"{where}: stage {s.seq} entered at {s.entered_at}, its transition at {by.occurred_at}")
    for s, left_by in zip(stages, ts):
        if s.left_at != left_by.occurred_at:
            problems.append(f"{where}: stage {s.seq} ({s.state}) left at {s.left_at}, but transition {left_by.seq} "
                            f"left it at {left_by.occurred_at}")
    open_stages = [s for s in stages if s.left_at is None]
    if terminal and open_stages:
        problems.append(f"{where}: terminal with open stages {[s.state for s in open_stages]}")
    if not terminal:
        if [s.seq for s in open_stages] != [len(stages)] or stages[-1].state != p.state:
            problems.append(f"{where}: open stages {[(s.seq, s.state) for s in open_stages]}, expected exactly the "
                            f"last one, in {p.state}")
        elif (stages[-1].owner_kind, stages[-1].owner_staff_id) != (p.owner_kind, p.owner_staff_id):
            problems.append(f"{where}: the open stage's owner {stages[-1].owner_staff_id} is not the project's "
                            f"{p.owner_staff_id}")
    return problems


def clock_runs(snap: Snapshot) -> list[str]:
    """Each stage entry started its clocks' runs exactly once, numbered 1..k; at most one run of a clock is
    running, none once the project is terminal; a running run is paused exactly while the project waits on the
    customer (the load places no holds)."""
    problems = []
    runs: dict[tuple[uuid.UUID, str], list[Row[Any]]] = defaultdict(list)
    for r in snap.runs:
        runs[(r.project_id, r.clock)].append(r)
    for pid, p in snap.projects.items():
        d = snap.definition(pid)
        stages = snap.stages.get(pid, [])
        terminal = d.state(p.state).terminal
        for clock in d.clocks:
            rows = runs.get((pid, clock.name), [])
            where = f"project {p.number} ({p.state}) clock {clock.name}"
            starts = int(clock.starts.created) + sum(
                1 for prev, s in zip([None, *stages], stages)
                if prev is not None and clock.starts.fires(from_state=prev.state, to_state=s.state)
                or prev is None and s.state in clock.starts.enter)
            if [r.run for r in rows] != list(range(1, starts + 1)):
                problems.append(f"{where}: runs {[r.run for r in rows]}, but its start fired {starts} times")
            running = [r for r in rows if r.stopped_at is None]
            if len(running) > 1 or (terminal and running):
                problems.append(f"{where}: {len(running)} runs still running (terminal: {terminal})")
            customer_side = not terminal and d.state(p.state).side == "customer"
            for r in running:
                if (r.paused_since is not None) != customer_side:
                    problems.append(f"{where}: run {r.run} paused since {r.paused_since} in a "
                                    f"{'customer' if customer_side else 'utility'}-side state")
            for r in rows:
                if r.stopped_at is not None and (r.outcome not in ("met", "missed") or r.next_escalation_at):
                    problems.append(f"{where}: run {r.run} stopped with outcome {r.outcome}, next escalation "
                                    f"{r.next_escalation_at}")
    return problems


def escalations(snap: Snapshot, swept_at: datetime) -> list[str]:
    """Exactly one escalation per clock run and level: never two; every breach level the run has passed
    (escalated_level) raised; after a last sweep at `swept_at`, every level then due raised and nothing due left
    over; an escalation of a stopped run resolved."""
    problems = []
    by_run: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for e in snap.escalations:
        if e.clock_run_id is None:
            problems.append(f"escalation {e.id} ({e.kind}) is not a clock's: the load should raise none such")
            continue
        by_run[e.clock_run_id].append(e)
        if e.dedupe_key != f"clock:{e.clock_run_id}:{e.level}":
            problems.append(f"escalation {e.id}: dedupe key {e.dedupe_key} for level {e.level}")
    calendars: dict[str, WorkingCalendar] = {}
    for r in snap.runs:
        p = snap.projects[r.project_id]
        clock = clock_def(snap.definition(r.project_id), r.clock)  # the workflow's, or a service clock
        raised = by_run.pop(r.id, [])
        where = f"project {p.number} ({p.state}) clock {r.clock} run {r.run}"
        counts = Counter(e.level for e in raised)
        if any(n > 1 for n in counts.values()):
            problems.append(f"{where}: levels raised more than once: {dict(counts)}")
        if clock is None:
            continue
        levels = clock.levels_for(r.limit_days)
        if any(e.project_id != r.project_id or e.level > r.escalated_level for e in raised):
            problems.append(f"{where}: escalated_level {r.escalated_level}, raised {sorted(counts)}")
        cal = calendars.setdefault(r.region, WorkingCalendar(r.region))
        run = as_run(r)  # type: ignore[arg-type]  # a Row has the attributes as_run reads
        for lv in levels:
            due = r.stopped_at is None and r.paused_since is None and rules.level_due_at(cal, run, lv) <= swept_at
            if lv.kind == "breach" and (lv.level <= r.escalated_level or due) and counts[lv.level] != 1:
                problems.append(f"{where}: breach level {lv.level} raised {counts[lv.level]} times (escalated_level "
                                f"{r.escalated_level}, due by the last sweep: {due})")
        if r.stopped_at is None and r.paused_since is None and r.next_escalation_at is not None \
                and r.next_escalation_at <= swept_at:
            problems.append(f"{where}: next escalation at {r.next_escalation_at} left over by the sweep at {swept_at}")
        unresolved = [e.level for e in raised if e.status in UNRESOLVED]
        if r.stopped_at is not None and unresolved:
            problems.append(f"{where}: stopped at {r.stopped_at}, escalations of levels {unresolved} still open")
    problems += [f"escalation {e.id} of a clock run that does not exist" for es in by_run.values() for e in es]
    return problems


def events(snap: Snapshot) -> list[str]:
    """The feed is gap-free (1..N) and records every project, transition and escalation exactly once."""
    problems = []
    if [e.sequence for e in snap.events] != list(range(1, len(snap.events) + 1)):
        problems.append(f"event sequences are not 1..{len(snap.events)}")
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    for e in snap.events:
        data = e.data or {}
        subject = {"project.created": str(e.project_id), "transition.fired": data.get("transition_id"),
                   "escalation.raised": data.get("escalation_id")}.get(e.type)
        if subject is not None:
            by_type[e.type][subject] += 1
    expected = {"project.created": {str(p) for p in snap.projects},
                "transition.fired": {str(t.id) for ts in snap.transitions.values() for t in ts},
                "escalation.raised": {str(e.id) for e in snap.escalations}}
    for type_, ids in expected.items():
        seen = by_type[type_]
        twice = [s for s, n in seen.items() if n > 1]
        if twice or set(seen) != ids:
            problems.append(f"{type_}: {len(twice)} recorded twice, {len(ids - set(seen))} never recorded, "
                            f"{len(set(seen) - ids)} recorded for nothing")
    return problems


def acknowledged(snap: Snapshot, log: Log) -> list[str]:
    """The clients' logs and the database agree: every project created once, under the key that created it;
    every acknowledged transition in the history exactly once, as it was answered, and nothing else there; each
    client's projects' histories in the order it was answered; every keyed answer stored as it was sent."""
    problems = []
    if set(map(str, snap.projects)) != set(log.created):
        problems.append(f"projects: {len(snap.projects)} in the database, {len(log.created)} acknowledged "
                        f"({len(set(map(str, snap.projects)) - set(log.created))} never acknowledged)")
    stored = {t.id: t for ts in snap.transitions.values() for t in ts}
    ack_ids = Counter(a.transition["id"] for a in log.acks)
    problems += [f"transition {tid} acknowledged {n} times" for tid, n in ack_ids.items() if n > 1]
    for a in log.acks:
        t = stored.get(uuid.UUID(a.transition["id"]))
        seen = (a.project_id, a.transition["seq"], a.transition["name"], a.transition["from_state"],
                a.transition["to_state"])
        if t is None:
            problems.append(f"{a.client}: acknowledged transition {seen} (key {a.key}, {a.attempts} attempts, "
                            f"replayed: {a.replayed}) is missing from the history")
        elif (str(t.project_id), t.seq, t.name, t.from_state, t.to_state) != seen:
            problems.append(f"{a.client}: acknowledged {seen}, stored {t.project_id, t.seq, t.name, t.from_state}")
    unacknowledged = set(stored) - {uuid.UUID(i) for i in ack_ids}
    problems += [f"transition {stored[i].name} (seq {stored[i].seq}) of project {stored[i].project_id} is in the "
                 f"history, but no client was told of it" for i in unacknowledged]
    for pid, ids in [*log.walked.items(), *log.raced.items()]:
        history = [str(t.id) for t in snap.transitions.get(uuid.UUID(pid), [])]
        if history != ids:
            problems.append(f"project {pid}: history {len(history)} transitions, the client's log {len(ids)}, "
                            f"not the same in the same order")
    answers = {(k.path, k.key): k for k in snap.idempotency}
    for a in log.acks:
        k = answers.get((f"/v1/projects/{a.project_id}/transitions", a.key))
        if k is None or k.status_code != 201 or json.loads(k.body)["transition"]["id"] != a.transition["id"]:
            problems.append(f"{a.client}: the stored answer for key {a.key} is not the acknowledged transition")
    return problems


def all_of(snap: Snapshot, log: Log, swept_at: datetime) -> dict[str, list[str]]:
    checks = {"histories": histories(snap), "clock runs": clock_runs(snap),
              "escalations": escalations(snap, swept_at), "events": events(snap),
              "clients' logs": acknowledged(snap, log)}
    return {name: found for name, found in checks.items() if found}


def report(found: dict[str, list[str]], limit: int = 15) -> str:
    def lines(items: Iterable[str]) -> str:
        items = list(items)
        return "\n".join(f"    {x}" for x in items[:limit]) + (f"\n    … and {len(items) - limit} more"
                                                               if len(items) > limit else "")

    return "\n".join(f"  {name} ({len(items)}):\n{lines(items)}" for name, items in found.items())
