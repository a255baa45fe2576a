"""A utility's bizext database at a given number of projects, generated row by row for bulk loading.

What a project gets (DESIGN §3-§6): a workflow (hv-standard 40 %, lv-simple 60 %) and facts; a fate
(energized 50 %, withdrawn 5 %, rejected 5 %, still open 40 %) and the path of states it took through its
workflow (with document, rectification and intermediate-inspection loops), over the last three years;
the clock runs the workflow's clock rules (workflow/clocks.py `moves`) start and stop along that path,
paused in customer-side states; escalations for every level a clock reached (resolved once the clock
stopped, open or acknowledged while it runs) with their recipients.

What is stored of it: every open project has its current stage occurrence (with its owner), its running
clock runs and their escalations. A share `history` of all projects (10 % by default, and the due block)
has its whole history: one stage occurrence and one assignment per visit, one transition record per move,
every clock run and escalation, and events (project.created, transition.fired, escalation.raised). The
other finished projects are their row alone. So the history tables and their indexes have the size of a
few years of a real utility's, scaled down to keep a million projects loadable in minutes.

Open projects spent a random part of a plausible dwell in their current state, so most running clocks
are on track, some are due soon and a few overdue. Every running clock is stored as the services would
store it at `now` (deadline, highest level already raised, next level's instant, all computed with the
domain's own calendar functions): none is due at `now` except the **due block** — `due` projects (the same
ids, rows and instants at every scale) whose current stage clock has exactly one escalation level due at
`now`, a third each at level 0 (warning), 1 and 2. One sweep at `now` therefore examines `due` clock runs
and raises `due` escalations, whatever the number of projects.

Staff are fixed (20 regions × 100 people, one role each, one API token each) so that the due block's
owners, managers and supervisors are the same at every scale. Ids are 128-bit scrambles of (kind, index):
unique, deterministic, and uncorrelated with insertion order, like uuid4.

Rows come out as tuples of plain values (hex ids, epoch-second instants, JSON text…) through a `Sink`;
`bench.bulk` turns them into COPY text (PostgreSQL) or SQLAlchemy inserts (SQLite, in tests).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from bizext.workflow import clocks as rules
from bizext.workflow.calendars import DAY, WorkingCalendar
from bizext.workflow.definitions import WorkflowDefinition, registry

# -- ids -----------------------------------------------------------------------------------------------
_MUL = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd: i ↦ i × _MUL mod 2^128 is a bijection
_MASK = (1 << 128) - 1
(STAFF, CUSTOMER, TOKEN, PROJECT, DUE_PROJECT, STAGE, TRANSITION, ASSIGNMENT, RUN, ESCALATION,
 EVENT) = range(1, 12)


def uid(kind: int, i: int) -> str:
    """32 hex digits (PostgreSQL's uuid input and SQLAlchemy's SQLite storage both take them)."""
    return f"{((kind << 100) + i + 1) * _MUL & _MASK:032x}"


def as_uuid(hex_id: str) -> uuid.UUID:
    return uuid.UUID(hex=hex_id)


# -- people --------------------------------------------------------------------------------------------
REGIONS = tuple(f"R{r:02d}" for r in range(1, 21))
ROLES_PER_REGION = (("customer_manager", 30), ("metering_technician", 15), ("planner", 10),
                    ("design_reviewer", 10), ("inspector", 15), ("project_manager", 15), ("supervisor", 4),
                    ("admin", 1))
STAFF_PER_REGION = sum(n for _, n in ROLES_PER_REGION)
STAFF_COUNT = STAFF_PER_REGION * len(REGIONS)


def staff_role(s: int) -> str:
    k = s % STAFF_PER_REGION
    for role, n in ROLES_PER_REGION:
        if k < n:
            return role
        k -= n
    raise AssertionError(s)


def staff_region(s: int) -> int:
    return s // STAFF_PER_REGION


@lru_cache(maxsize=None)
def holders(region: int, role: str) -> tuple[int, ...]:
    base = region * STAFF_PER_REGION
    return tuple(s for s in range(base, base + STAFF_PER_REGION) if staff_role(s) == role)


#: Staff ids, once: every project row names three of them.
STAFF_IDS = tuple(uid(STAFF, s) for s in range(STAFF_COUNT))


def token_of(secret: str, s: int) -> str:
    """The bearer token of staff member `s` (its hash is what the database keeps)."""
    return f"bxt_bench{secret}_{s}"


# -- the generated database ------------------------------------------------------------------------------
#: Columns written per table, in order; every NOT NULL column of the model is here.
COLUMNS: dict[str, tuple[str, ...]] = {
    "staff": ("id", "name", "email", "phone", "region", "active", "version", "created_at", "updated_at"),
    "staff_roles": ("staff_id", "role", "suspended_since"),
    "api_tokens": ("id", "token_hash", "principal_kind", "staff_id", "customer_id", "client_name", "client_roles",
                   "created_at", "revoked_at"),
    "customers": ("id", "name", "contact_name", "phone", "email", "external_ref", "version", "created_at",
                  "updated_at"),
    "projects": ("id", "number", "customer_id", "workflow_key", "workflow_version", "state", "title",
                 "site_address", "voltage_kv", "capacity_kva", "supply", "important", "region", "external_ref",
                 "received_at", "customer_manager_id", "project_manager_id", "owner_kind", "owner_staff_id",
                 "flags", "last_transition_at", "version", "created_at", "updated_at"),
    "stage_occurrences": ("id", "project_id", "seq", "state", "visit", "entered_at", "left_at", "owner_kind",
                          "owner_staff_id", "entered_by_transition_id"),
    "transitions": ("id", "project_id", "seq", "name", "from_state", "to_state", "actor_kind", "actor_id",
                    "actor_name", "capacity", "on_behalf_of", "admin_reason", "input", "comment", "occurred_at",
                    "recorded_at"),
    "assignments": ("id", "project_id", "stage_occurrence_id", "state", "owner_kind", "staff_id", "basis",
                    "reason", "assigned_by", "assigned_at"),
    "clock_runs": ("id", "project_id", "clock", "run", "stage_occurrence_id", "region", "limit_days",
                   "warning_days", "started_at", "deadline_at", "paused_seconds", "paused_since", "stopped_at",
                   "outcome", "elapsed_seconds", "escalated_level", "next_escalation_at"),
    "escalations": ("id", "dedupe_key", "project_id", "stage_occurrence_id", "clock_run_id", "clock", "level",
                    "kind", "deadline_at", "raised_at", "explanation", "status", "acknowledged_at",
                    "acknowledged_by", "note", "resolved_at", "resolution", "version"),
    "escalation_recipients": ("escalation_id", "staff_id"),
    "events": ("id", "sequence", "type", "project_id", "customer_id", "project_version", "occurred_at",
               "recorded_at", "actor", "data"),
    "counters": ("name", "value"),
}
#: In foreign-key order: a table's rows only refer to rows of tables before it.
TABLES = tuple(COLUMNS)


class Sink(Protocol):
    def __call__(self, table: str, row: tuple[Any, ...]) -> None: ...


@dataclass(frozen=True)
class Shape:
    projects: int
    now: datetime  # the instant the database describes; sweep at it
    due: int = 1_000
    history: float = 0.10  # the share of projects whose whole history is stored
    seed: int = 6
    secret: str = "x"  # part of every staff token

    @property
    def customers(self) -> int:
        return max(100, self.projects // 4)


@dataclass
class Sample:
    """What the read-path load asks for: ids that exist, spread over the whole database."""

    project_ids: list[str] = field(default_factory=list)
    owners: dict[int, int] = field(default_factory=dict)  # staff index → open stages owned
    recipients: dict[int, int] = field(default_factory=dict)  # staff index → open escalations received
    due_runs: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    last_sequence: int = 0

    def merge(self, other: Sample) -> None:
        self.project_ids += other.project_ids
        self.due_runs += other.due_runs
        for mine, theirs in ((self.owners, other.owners), (self.recipients, other.recipients),
                             (self.rows, other.rows)):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        self.last_sequence = max(self.last_sequence, other.last_sequence)


# -- instants ------------------------------------------------------------------------------------------
LOCAL_OFFSET = 8 * 3600  # Asia/Shanghai has had no DST since 1991


def local_day(t: int) -> int:
    return (t + LOCAL_OFFSET) // 86400


class Schedules:
    """The domain's working-time arithmetic (clocks.level_due_at over WorkingCalendar) on epoch seconds,
    from a prefix sum of working days so that a million runs cost no calendar walks. Working days are whole
    local days, so "N working seconds after a local midnight" is a search in that sum; every 200th new
    question is also put to the domain's own functions and must get the same answer."""

    def __init__(self, now: int, past_days: int = 1600, future_days: int = 600):
        self.cal = WorkingCalendar("bench")
        self.base = local_day(now) - past_days
        self.cum = [0]
        for d in range(self.base, self.base + past_days + future_days):
            self.cum.append(self.cum[-1] + self.cal.is_working(EPOCH_DAY + timedelta(days=d)))
        self._cache: dict[tuple[int, int, float, int], int] = {}

    def level_due(self, start_day: int, limit: int, offset: float, paused: int) -> int:
        """When a level (`offset` working days from the deadline) of a run started on local day `start_day`
        falls due: `rules.level_due_at`."""
        key = (start_day, limit, offset, paused)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._compute(*key)
            if len(self._cache) % 200 == 1:
                start = datetime.fromtimestamp(_midnight(start_day) + 43200, UTC)
                run = rules.Run(started_at=start, limit_days=limit, warning_days=0, paused_seconds=paused)
                level = rules.EscalationLevel(-1, "breach", "project_manager", offset)
                expected = rules.level_due_at(self.cal, run, level).timestamp()
                assert hit == int(expected), (key, hit, expected)
        return hit

    def _compute(self, start_day: int, limit: int, offset: float, paused: int) -> int:
        begin = start_day + 1  # 期间开始之日不计入: counting starts at the next local midnight
        seconds = max(0.0, limit + offset) * DAY + paused
        if seconds <= 0:
            return _midnight(begin)
        whole, frac = divmod(seconds, DAY)
        k = int(whole) if frac == 0 else int(whole) + 1  # the k-th working day from `begin` holds the instant
        i = bisect_left(self.cum, self.cum[begin - self.base] + k)
        if i >= len(self.cum):
            raise ValueError("instant beyond the precomputed calendar")
        day = self.base + i - 1
        return _midnight(day + 1) if frac == 0 else int(_midnight(day) + frac)

    def deadline(self, start: int, limit: int, paused: int) -> int:
        return self.level_due(local_day(start), limit, 0.0, paused)


EPOCH_DAY = date(1970, 1, 1)


def _midnight(day: int) -> int:
    return day * 86400 - LOCAL_OFFSET


# -- paths -----------------------------------------------------------------------------------------------
class Flow:
    """A workflow definition read for generation: transition names by move, the clock timing each stage."""

    def __init__(self, definition: WorkflowDefinition):
        self.d = definition
        self.names: dict[tuple[str, str], str] = {}
        for t in definition.transitions:
            for src in t.sources:
                for dest in t.targets:
                    self.names.setdefault((src, dest), t.name)
        self.stage_clock = {s: c for c in definition.clocks if c.times_one_stage for s in c.starts.enter}
        self.customer_side = {n for n, s in definition.states.items() if s.side == "customer"}

    def path(self, rng: random.Random, supply: str, capacity: float, important: bool) -> list[str]:
        """The states of a project that goes all the way to energized."""
        p = ["application_review"]
        if rng.random() < 0.1:
            p += ["awaiting_documents", "application_review"]
        if self.d.key == "lv-simple":
            return p + ["scheme_and_contract", "installation", "energized"]
        p += ["site_survey", "scheme_drafting"]
        if supply == "dual" or capacity >= 1260 or important:
            p += ["scheme_review"]
        if important:
            p += ["customer_design", "design_review", "customer_construction", "intermediate_inspection"]
        p += ["customer_construction", "completion_inspection"]
        if rng.random() < 0.15:
            p += ["rectification", "completion_inspection"]
        return p + ["contract_signing", "energization", "energized"]

    def dwell(self, rng: random.Random, state: str, supply: str) -> float:
        """Seconds a project stays in a state: customers take weeks; the utility mostly meets its limits."""
        if state in self.customer_side:
            return rng.uniform(2, 25) * DAY
        clock = self.stage_clock.get(state)
        if clock is None:
            return rng.uniform(0.5, 4) * DAY
        limit = clock.limit_for(supply)
        late = rng.random() < 0.08
        return (limit * rng.uniform(1.1, 2.0) + 1 if late else limit * rng.uniform(0.1, 0.9)) * DAY


@lru_cache(maxsize=1)
def flows() -> dict[str, Flow]:
    return {key: Flow(registry().get(key)) for key in ("hv-standard", "lv-simple")}


#: The due block: a state with a stage clock, per workflow.
DUE_STATES = {"lv-simple": ("application_review", "scheme_and_contract", "installation"),
              "hv-standard": ("application_review", "design_review", "intermediate_inspection",
                              "completion_inspection", "energization")}


# -- the generator -----------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _moves(key: str, from_state: str | None, to_state: str) -> rules.ClockMoves:
    d = flows()[key].d
    return rules.moves(d.clocks, from_state=from_state, to_state=to_state, terminal=d.state(to_state).terminal)


_LEVELS: dict[tuple[int, int], tuple[rules.EscalationLevel, ...]] = {}


def _levels(clock: rules.ClockDef, limit: int) -> tuple[rules.EscalationLevel, ...]:
    key = (id(clock), limit)  # clock definitions live as long as the registry
    if key not in _LEVELS:
        _LEVELS[key] = clock.levels_for(limit)
    return _LEVELS[key]


@dataclass
class _Run:
    id: str
    clock: rules.ClockDef
    run: int
    stage: int  # index in the path of the stage it started in
    limit: int
    started: int
    paused_seconds: int = 0
    paused_since: int | None = None
    stopped: int | None = None
    forced_level: int | None = None  # due block: this level is due at `now`


@dataclass
class _Project:
    id: str
    customer: str
    region: int
    cm: int
    pm: int
    owners: list[int | None]
    flow: Flow
    supply: str
    full: bool  # its whole history is stored, not only its current stage and clocks
    stages: list[str | None] = field(default_factory=list)  # per path position: the stored stage's id


class Generator:
    """Writes every row of a Shape to a sink; returns a Sample of what the load generator should ask for."""

    def __init__(self, shape: Shape, sink: Sink, part: int = 0):
        """`part`: which slice of projects this generator writes (its ids and event numbers are its own)."""
        self.shape, self.emit, self.part = shape, sink, part
        self.now = int(shape.now.timestamp())
        self.sched = schedules(self.now)
        self.sample = Sample()
        self.counts: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.sequence = (part + 1) * 10_000_000  # events: each slice numbers its own
        self.id_base = (part + 1) << 40
        self.next_id = dict.fromkeys((STAGE, TRANSITION, ASSIGNMENT, RUN, ESCALATION, EVENT), self.id_base)
        self._due_starts: dict[tuple[int, int], list[int]] = {}

    def row(self, table: str, *values: Any) -> None:
        self.counts[table] += 1
        self.emit(table, values)

    def new_id(self, kind: int) -> str:
        self.next_id[kind] += 1
        return uid(kind, self.next_id[kind])

    # -- people ------------------------------------------------------------------------------------
    def people(self) -> None:
        created = self.now - 800 * 86400
        for s in range(STAFF_COUNT):
            region = REGIONS[staff_region(s)]
            self.row("staff", uid(STAFF, s), f"{staff_role(s).replace('_', ' ').title()} {s:04d}",
                     f"staff{s}@bench.example", None, region, True, 1, created, created)
            self.row("staff_roles", uid(STAFF, s), staff_role(s), None)
            digest = hashlib.sha256(token_of(self.shape.secret, s).encode()).hexdigest()
            self.row("api_tokens", uid(TOKEN, s), digest, "staff", uid(STAFF, s), None, None, None, created, None)
        for c in range(self.shape.customers):
            self.row("customers", uid(CUSTOMER, c), f"Customer {c:07d} Co., Ltd.", "Contact", None, None,
                     f"CRM-{c:07d}", 1, created, created)

    # -- projects --------------------------------------------------------------------------------------
    def projects(self, part: int) -> None:
        """Slice `part` of the projects: fillers in order, with the due block spread evenly over the whole
        database (not clustered at the heap's start). Each slice has its own random stream, so a dataset
        depends on its shape only, not on how many processes wrote it."""
        n, due = self.shape.projects, self.shape.due
        rng = random.Random(f"{self.shape.seed}:{part}")
        every = max(1, n // due) if due else n + 1
        for i in range(part * SLICE, min(n, (part + 1) * SLICE)):
            if due and i % every == every - 1 and i // every < due:
                j = i // every
                self.project(random.Random(self.shape.seed * 1_000_003 + j), uid(DUE_PROJECT, j),
                             f"BX-D{j:06d}", customer=j % 100, due_level=j % 3)
            else:
                self.project(rng, uid(PROJECT, i), f"BX-{i:08d}", customer=rng.randrange(self.shape.customers))

    def project(self, rng: random.Random, pid: str, number: str, *, customer: int,
                due_level: int | None = None) -> None:
        hv = rng.random() < 0.4
        flow = flows()["hv-standard" if hv else "lv-simple"]
        supply = "dual" if hv and rng.random() < 0.2 else "single"
        important = hv and rng.random() < 0.25
        capacity = float(rng.choice((315, 630, 800, 1250, 1600, 2500, 4000)) if hv else rng.choice((50, 100, 160)))
        region = rng.randrange(len(REGIONS))
        full = flow.path(rng, supply, capacity, important)
        if due_level is not None:
            state = rng.choice([s for s in DUE_STATES[flow.d.key] if s in full])
            path, fate = full[:full.index(state) + 1], "open"
        else:
            x = rng.random()
            fate = "energized" if x < 0.5 else "withdrawn" if x < 0.55 else "rejected" if x < 0.6 else "open"
            if fate == "energized":
                path = full
            elif fate == "rejected":
                path = full[:3 if full[1] == "awaiting_documents" else 1] + ["rejected"]
            elif fate == "withdrawn":
                path = full[:rng.randrange(1, len(full) - 1)] + ["withdrawn"]
            else:
                path = full[:rng.randrange(1, len(full))]
        # When each state was entered: dwell times back from now (open) or from an end in the past.
        dwells = [flow.dwell(rng, s, supply) for s in path]
        if fate == "open":
            if due_level is not None:
                clock = flow.stage_clock[path[-1]]
                dwells[-1] = self.now - self.due_start(rng, clock.limit_for(supply), due_level, clock)
            else:
                dwells[-1] *= rng.random()
            end = self.now
        else:
            dwells[-1] = 0
            end = self.now - int(rng.uniform(0.5, 1000) * DAY)
        at = [0] * len(path)
        t = end
        for k in range(len(path) - 1, -1, -1):
            t -= int(dwells[k])
            at[k] = t
        cm = rng.choice(holders(region, "customer_manager"))
        pm = rng.choice(holders(region, "project_manager"))
        terminal = fate != "open"
        history = due_level is not None or rng.random() < self.shape.history
        # A finished project without stored history is its row alone; an open one has its current stage,
        # running clocks and their escalations.
        owners = [self.owner_for(rng, flow, s, region, cm) for s in path] if history or not terminal else []
        owner_kind, owner = (None, None) if terminal else (
            ("customer", None) if path[-1] in flow.customer_side else ("staff", owners[-1]))
        self.row("projects", pid, number, uid(CUSTOMER, customer), flow.d.key, flow.d.version, path[-1],
                 f"Connection {number}", f"{rng.randrange(1, 999)} Bench Road", 10.0 if hv else 0.4, capacity,
                 supply, important, REGIONS[region], None, at[0], STAFF_IDS[cm], STAFF_IDS[pm], owner_kind,
                 STAFF_IDS[owner] if owner is not None else None, "{}", at[-1], len(path), at[0], at[-1])
        if history or not terminal:
            p = _Project(pid, uid(CUSTOMER, customer), region, cm, pm, owners, flow, supply, history)
            self.stages(p, path, at)
            self.clocks(p, path, at, due_level)
        if not terminal:
            self.sample.project_ids.append(pid)
            if owner is not None:
                self.sample.owners[owner] = self.sample.owners.get(owner, 0) + 1
        elif rng.random() < 0.1:
            self.sample.project_ids.append(pid)

    def owner_for(self, rng: random.Random, flow: Flow, state: str, region: int, cm: int) -> int | None:
        role = flow.d.state(state).owner_role
        if role is None or role == "customer":
            return None
        if role == "customer_manager":
            return cm
        return rng.choice(holders(region, role))

    def stages(self, p: _Project, path: list[str], at: list[int]) -> None:
        """Stage occurrences with their assignments, transitions and their events: every one for a project
        with full history, else only the current (or last) stage."""
        p.stages = [None] * len(path)
        last = len(path) - 1 if not p.flow.d.state(path[-1]).terminal else len(path) - 2
        if p.full:
            self.event(p, "project.created", at[0], 1, f'{{"state": "{path[0]}"}}')
        visits: dict[str, int] = {}
        transition = None
        for k, state in enumerate(path):
            visits[state] = visits.get(state, 0) + 1
            if k <= last and (p.full or k == last):
                sid = p.stages[k] = self.new_id(STAGE)
                customer = state in p.flow.customer_side
                kind = "customer" if customer else "staff"
                staff = STAFF_IDS[p.owners[k]] if p.owners[k] is not None else None
                left = at[k + 1] if k + 1 < len(path) else None
                self.row("stage_occurrences", sid, p.id, k + 1, state, visits[state], at[k], left, kind, staff,
                         transition)
                if p.full:
                    self.row("assignments", self.new_id(ASSIGNMENT), p.id, sid, state, kind, staff,
                             "customer" if customer else "named" if p.owners[k] == p.cm else "least_loaded", None,
                             "system", at[k])
            if p.full and k + 1 < len(path):
                nxt = path[k + 1]
                name = "withdraw" if nxt == "withdrawn" else p.flow.names[(state, nxt)]
                transition = self.new_id(TRANSITION)
                actor = p.owners[k] if p.owners[k] is not None else p.cm
                self.row("transitions", transition, p.id, k + 1, name, state, nxt, "staff", STAFF_IDS[actor],
                         f"Staff {actor:04d}", "owner" if p.owners[k] is not None else "on_behalf_of_customer",
                         None if p.owners[k] is not None else p.customer, None, "{}", None, at[k + 1], at[k + 1])
                self.event(p, "transition.fired", at[k + 1], k + 2,
                           f'{{"name": "{name}", "from": "{state}", "to": "{nxt}"}}')

    def event(self, p: _Project, type_: str, at: int, version: int, data: str) -> None:
        self.sequence += 1
        self.row("events", self.new_id(EVENT), self.sequence, type_, p.id, p.customer, version, at, at,
                 '{"kind": "system", "id": null, "name": "bizext"}', data)

    # -- clocks -----------------------------------------------------------------------------------------
    def clocks(self, p: _Project, path: list[str], at: list[int], due_level: int | None) -> None:
        """Replay the workflow's clock rules along the path; store the runs as the services would at now:
        every run with full history, else the running ones (and a finished project's total clock)."""
        runs: list[_Run] = []
        counts: dict[str, int] = {}
        running: list[_Run] = []
        customer_side = p.flow.customer_side
        for k, state in enumerate(path):
            moves = _moves(p.flow.d.key, path[k - 1] if k else None, state)
            t = at[k]
            if moves.stop:
                for r in running:
                    if r.clock.name in moves.stop:
                        self.resume(r, t)
                        r.stopped = t
                running = [r for r in running if r.stopped is None]
            pause = state in customer_side
            for r in running:
                self.pause(r, t) if pause else self.resume(r, t)
            for clock in moves.start:
                counts[clock.name] = counts.get(clock.name, 0) + 1
                r = _Run("", clock, counts[clock.name], k, clock.limit_for(p.supply), t,
                         paused_since=t if pause else None)
                runs.append(r)
                running.append(r)
        if due_level is not None:
            [stage_run] = [r for r in running if r.clock.times_one_stage]
            stage_run.forced_level = due_level
        for r in runs:
            if p.full or r.stopped is None or r.clock.spans_project:
                r.id = self.new_id(RUN)
                if r.forced_level is not None:
                    self.sample.due_runs.append(r.id)
                self.store(p, r)

    def pause(self, r: _Run, t: int) -> None:
        if r.paused_since is None:
            r.paused_since = t

    def resume(self, r: _Run, t: int) -> None:
        """Working time paused, approximated as 5/7 of the calendar time in whole days (stored runs only need
        to be self-consistent: every instant below is computed from what is stored)."""
        if r.paused_since is not None:
            r.paused_seconds += round((t - max(r.paused_since, r.started)) * 5 / 7 / DAY) * DAY
            r.paused_since = None

    def store(self, p: _Project, r: _Run) -> None:
        levels = _levels(r.clock, r.limit)
        day = local_day(r.started)
        due_at = [self.sched.level_due(day, r.limit, lv.offset_days, r.paused_seconds) for lv in levels]
        deadline = self.sched.level_due(day, r.limit, 0.0, r.paused_seconds)
        outcome = elapsed = nxt = None
        if r.stopped is not None:
            outcome = "met" if r.stopped <= deadline else "missed"
            elapsed = max(0, round((r.stopped - r.started) * 5 / 7) - r.paused_seconds)
            reached = [lv for lv, when in zip(levels, due_at) if when <= r.stopped]
        elif r.paused_since is not None:
            reached = [lv for lv, when in zip(levels, due_at) if when <= r.paused_since]
        elif r.forced_level is not None:
            assert due_at[r.forced_level] <= self.now and all(w > self.now for w in due_at[r.forced_level + 1:])
            reached = list(levels[:r.forced_level])
            nxt = due_at[r.forced_level]
        else:
            reached = [lv for lv, when in zip(levels, due_at) if when <= self.now]
            later = [when for when in due_at if when > self.now]
            nxt = later[0] if later else None
        level = reached[-1].level if reached else -1
        stage = p.stages[r.stage]
        self.row("clock_runs", r.id, p.id, r.clock.name, r.run, stage, REGIONS[p.region], r.limit,
                 r.clock.warning_days, r.started, deadline, r.paused_seconds, r.paused_since, r.stopped, outcome,
                 elapsed, level, nxt)
        for lv, when in zip(levels, due_at):
            if lv in reached and not (lv.kind == "warning" and deadline <= when):
                self.escalation(p, r, stage, lv, when, deadline)

    def escalation(self, p: _Project, r: _Run, stage: str | None, lv: rules.EscalationLevel, raised: int,
                   deadline: int) -> None:
        eid = self.new_id(ESCALATION)
        if lv.recipients == "stage_owner":
            owner = p.owners[r.stage]
            to = [owner if owner is not None else p.cm]
        elif lv.recipients == "project_manager":
            to = [p.pm]
        else:
            to = list(holders(p.region, "supervisor"))
        if r.stopped is not None:
            status, resolved = "resolved", r.stopped
            resolution = "completed" if r.stopped <= deadline else "completed_late"
        else:
            # 30 % acknowledged, by a stable rule (the due block must be the same in every database)
            status, resolved, resolution = ("acknowledged" if int(eid[:4], 16) % 10 < 3 else "open"), None, None
            if status == "open":
                for s in to:
                    self.sample.recipients[s] = self.sample.recipients.get(s, 0) + 1
        acknowledged = raised + 3600 if status == "acknowledged" else None
        self.row("escalations", eid, f"clock:{r.id}:{lv.level}", p.id, stage, r.id, r.clock.name, lv.level,
                 lv.kind, deadline, raised, f"the {r.clock.name} clock reached level {lv.level}", status,
                 acknowledged, "staff:bench" if acknowledged else None, "on it" if acknowledged else None,
                 resolved, resolution, 2 if acknowledged else 1)
        for s in to:
            self.row("escalation_recipients", eid, STAFF_IDS[s])
        if p.full:
            self.event(p, "escalation.raised", raised, 1, f'{{"escalation_id": "{eid}", "level": {lv.level}}}')

    def due_start(self, rng: random.Random, limit: int, level: int, clock: rules.ClockDef) -> int:
        """A start instant at which exactly `level` of the clock's levels is due at now (and, for a warning,
        the deadline is still ahead)."""
        key = (limit, level)
        if key not in self._due_starts:
            levels = _levels(clock, limit)
            today = local_day(self.now)
            days = []
            for back in range(0, 120):
                day = today - back
                due = [self.sched.level_due(day, limit, lv.offset_days, 0) for lv in levels]
                if due[level] <= self.now and all(w > self.now for w in due[level + 1:]):
                    days.append(day)
            if not days:
                raise RuntimeError(f"no start day puts level {level} of a {limit}-day clock due now")
            self._due_starts[key] = days
        day = rng.choice(self._due_starts[key])
        start = _midnight(day) + rng.randrange(8 * 3600, 18 * 3600)
        return min(start, self.now - 60)

    def finish(self) -> Sample:
        self.sample.rows = dict(self.counts)
        self.sample.last_sequence = self.sequence
        return self.sample


#: Projects per slice: the unit of parallel generation.
SLICE = 10_000


def slices(shape: Shape) -> range:
    return range(-(-shape.projects // SLICE))


@lru_cache(maxsize=4)
def schedules(now: int) -> Schedules:
    return Schedules(now)


def generate_part(shape: Shape, sink: Sink, part: int | None) -> Sample:
    """People (part None) or one slice of projects."""
    g = Generator(shape, sink, -1 if part is None else part)
    g.people() if part is None else g.projects(part)
    return g.finish()


def counters(sample: Sample) -> tuple[str, tuple[Any, ...]]:
    return "counters", ("events", sample.last_sequence)


def generate(shape: Shape, sink: Sink) -> Sample:
    """Every row, in one process (the bulk loader spreads the slices over processes instead)."""
    sample = generate_part(shape, sink, None)
    for part in slices(shape):
        sample.merge(generate_part(shape, sink, part))
    sink(*counters(sample))
    return sample


# -- what the read paths ask for ----------------------------------------------------------------------------
def read_targets(sample: Sample, secret: str, kind: str, n: int, seed: int = 6) -> list[list[str]]:
    """`n` [path, bearer token] pairs drawn from all over the database, for one read path:
    "project" — any project (open ones and some finished), read by any staff member;
    "worklist" — an owner's own work list; "escalations" — a recipient's own open escalations."""
    rng = random.Random(seed)
    people = sorted(sample.owners if kind == "worklist" else sample.recipients)
    out = []
    for _ in range(n):
        if kind == "project":
            pid = as_uuid(rng.choice(sample.project_ids))
            out.append([f"/v1/projects/{pid}", token_of(secret, rng.randrange(STAFF_COUNT))])
            continue
        s = rng.choice(people)
        staff = as_uuid(uid(STAFF, s))
        path = (f"/v1/projects?owner_id={staff}" if kind == "worklist"
                else f"/v1/escalations?status=open&recipient_id={staff}")
        out.append([path, token_of(secret, s)])
    return out
