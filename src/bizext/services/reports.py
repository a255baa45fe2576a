"""Performance reports for managers: which clocks, owners, regions and workflows miss their limits, how long
a connection takes and whose time it is, and what follow-ups find; and the overview a dashboard draws (open
and overdue work now, time limits met month by month, the spread of connection times). The database computes every figure
(db/reports.py); this module decides who may read them, what the period means and what the definitions
say, and turns seconds into days."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bizext.db.reports import ReportQueries, Scope, WorkflowFacts
from bizext.db.session import UnitOfWork
from bizext.services.principals import require
from bizext.workflow.calendars import DAY, DEFAULT_ZONE
from bizext.workflow.clocks import SERVICE_CLOCKS, ClockDef
from bizext.workflow.definitions import WorkflowDefinition, registry
from bizext.workflow.engine import Actor
from bizext.workflow.errors import FieldProblem, InvalidInput

READERS = ("project_manager", "supervisor")  # and admins (require lets them pass everywhere)
#: Periods are local dates (a working day runs 00:00–24:00 in the calendars' zone).
ZONE = ZoneInfo(DEFAULT_ZONE)
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)
HOLD_PARTIES = ("customer", "external", "utility")


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date  # inclusive
    start: datetime  # 00:00 local of the first day, in UTC
    end: datetime  # 24:00 local of the last day, in UTC (exclusive)


@dataclass(frozen=True)
class ClockFigures:
    workflow: str
    clock: str
    label: dict[str, str] | None
    stopped: int
    met: int
    met_percent: float | None
    median_days: float | None
    p90_days: float | None
    open_overdue: int


@dataclass(frozen=True)
class OwnerFigures:
    staff_id: uuid.UUID
    name: str
    open_stages: int
    overdue_stages: int
    escalations_received: int
    stages_measured: int
    median_stage_days: float | None


@dataclass(frozen=True)
class ConnectionFigures:
    workflow: str
    voltage_kv: float
    supply: str
    count: int
    median_days: float
    mean_days: float
    mean_utility_days: float
    mean_customer_days: float
    mean_hold_days: dict[str, float]


@dataclass(frozen=True)
class FollowUpFigures:
    closed: int
    mean_satisfaction: float | None
    with_issues: int
    issues_percent: float | None
    times_mismatch: int
    times_mismatch_percent: float | None


@dataclass(frozen=True)
class FeedbackFigures:
    count: int
    mean_satisfaction: float | None


@dataclass(frozen=True)
class PerformanceReport:
    period: Period
    time_zone: str
    region: str | None
    workflow: str | None
    generated_at: datetime
    clocks: list[ClockFigures]
    owners: list[OwnerFigures]
    connection_time: list[ConnectionFigures]
    follow_ups: FollowUpFigures
    feedback: FeedbackFigures


def period_of(first_day: date | None, last_day: date | None, now: datetime) -> Period:
    """The local days asked for; by default the current month up to today."""
    today = now.astimezone(ZONE).date()
    last_day = last_day or today
    first_day = first_day or last_day.replace(day=1)
    problems = [FieldProblem("", f"`{name}` must lie between {EARLIEST} and {LATEST}")
                for name, day in (("from", first_day), ("to", last_day)) if not EARLIEST <= day <= LATEST]
    if problems:
        raise InvalidInput(problems, detail="period out of range")
    if last_day < first_day:
        raise InvalidInput([FieldProblem("", "`to` must not be before `from`")], detail="empty period")

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=ZONE).astimezone(UTC)

    return Period(first_day, last_day, midnight(first_day), midnight(last_day + timedelta(days=1)))


def _stage_clocks(definition: WorkflowDefinition) -> tuple[str, ...]:
    """Clocks that time exactly one stage: they start on entering some states and stop on leaving the same
    states (acceptance, design_review…), not a span of stages (scheme_reply) or the whole project."""
    return tuple(c.name for c in definition.clocks if c.times_one_stage)


def _facts(definition: WorkflowDefinition) -> WorkflowFacts:
    states = definition.states.values()
    return WorkflowFacts(
        key=definition.key, version=definition.version,
        utility_states=tuple(s.name for s in states if s.side == "utility"),
        customer_states=tuple(s.name for s in states if s.side == "customer"),
        # The terminal state that opens a follow-up is the energized one (follow_ups.rate says the same).
        energized_states=tuple(s.name for s in states if s.terminal and s.follow_up),
        stage_clocks=_stage_clocks(definition))


def _definitions(workflow: str | None) -> list[WorkflowDefinition]:
    reg = registry()
    keys = [d.key for d in reg.latest()]
    if workflow is not None and workflow not in keys:
        raise InvalidInput([FieldProblem("", f"unknown workflow {workflow!r} (known: {', '.join(keys)})")],
                           detail="unknown workflow filter")
    return [reg.get(key, v) for key in keys if workflow in (None, key) for v in reg.versions(key)]


def _days(seconds: float | Decimal | int) -> float:
    return round(float(seconds) / DAY, 4)


def _days_or_none(seconds: float | Decimal | int | None) -> float | None:
    return None if seconds is None else _days(seconds)


def _mean(value: float | Decimal | None) -> float | None:
    """Two decimals; PostgreSQL averages integers as numeric (Decimal), SQLite as float."""
    return None if value is None else round(float(value), 2)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _label(definitions: list[WorkflowDefinition], workflow: str, name: str) -> dict[str, str] | None:
    clock: ClockDef | None = SERVICE_CLOCKS.get(name)
    for d in definitions:
        if d.key == workflow and d.clock(name) is not None:
            clock = d.clock(name)
    return dict(clock.label) if clock else None


def performance_clocks(queries: ReportQueries, scope: Scope,
                       definitions: list[WorkflowDefinition]) -> list[ClockFigures]:
    return [ClockFigures(
        workflow=r["workflow"], clock=r["clock"], label=_label(definitions, r["workflow"], r["clock"]),
        stopped=r["stopped"], met=r["met"], met_percent=_percent(r["met"], r["stopped"]),
        median_days=_days_or_none(r["median_seconds"]), p90_days=_days_or_none(r["p90_seconds"]),
        open_overdue=r["open_overdue"])
        for r in queries.clocks(scope)]


def performance_owners(queries: ReportQueries, scope: Scope) -> list[OwnerFigures]:
    return [OwnerFigures(
        staff_id=r["staff_id"], name=r["name"], open_stages=r["open_stages"], overdue_stages=r["overdue_stages"],
        escalations_received=r["escalations_received"], stages_measured=r["stages_measured"],
        median_stage_days=_days_or_none(r["median_stage_seconds"])) for r in queries.owners(scope)]


def performance(uow: UnitOfWork, actor: Actor, *, first_day: date | None, last_day: date | None,
                region: str | None, workflow: str | None, now: datetime) -> PerformanceReport:
    require(actor, *READERS)
    period = period_of(first_day, last_day, now)
    definitions = _definitions(workflow)
    scope = Scope(start=period.start, end=period.end, now=now, region=region, workflow=workflow,
                  workflows=tuple(_facts(d) for d in definitions))
    queries = ReportQueries(uow.session)

    clocks = performance_clocks(queries, scope, definitions)
    owners = performance_owners(queries, scope)
    connection = [ConnectionFigures(
        workflow=r["workflow"], voltage_kv=float(r["voltage_kv"]), supply=r["supply"], count=r["count"],
        median_days=_days(r["median_seconds"]), mean_days=_days(r["mean_seconds"]),
        mean_utility_days=_days(r["mean_utility_seconds"]), mean_customer_days=_days(r["mean_customer_seconds"]),
        mean_hold_days={p: _days(r[f"mean_hold_{p}_seconds"]) for p in HOLD_PARTIES})
        for r in queries.connection_time(scope)]
    f = queries.follow_ups(scope)
    follow_ups = FollowUpFigures(
        closed=f["closed"], mean_satisfaction=_mean(f["mean_satisfaction"]), with_issues=f["with_issues"],
        issues_percent=_percent(f["with_issues"], f["closed"]), times_mismatch=f["times_mismatch"],
        times_mismatch_percent=_percent(f["times_mismatch"], f["closed"]))
    fb = queries.feedback(scope)
    return PerformanceReport(
        period=period, time_zone=str(ZONE), region=region, workflow=workflow, generated_at=now, clocks=clocks,
        owners=owners, connection_time=connection, follow_ups=follow_ups,
        feedback=FeedbackFigures(count=fb["count"], mean_satisfaction=_mean(fb["mean_satisfaction"])))


# -- the managers' overview (what the console's dashboard draws) ---------------------------------------
MAX_MONTHS = 24
#: Calendar days from application to energization, bucketed: [0, 15), [15, 30) … [270, ∞).
CONNECTION_EDGES_DAYS = (0, 15, 30, 45, 60, 90, 120, 180, 270)


@dataclass(frozen=True)
class StateCount:
    workflow: str
    state: str
    label: dict[str, str]
    side: str | None
    open: int
    overdue: int


@dataclass(frozen=True)
class RegionCount:
    region: str
    open: int
    overdue: int


@dataclass(frozen=True)
class MonthFigures:
    month: date  # its first day
    clocks: list[ClockFigures]  # runs stopped in that month (up to today for the current one)


@dataclass(frozen=True)
class ConnectionBuckets:
    workflow: str
    count: int
    counts: list[int]  # one per bucket of CONNECTION_EDGES_DAYS


@dataclass(frozen=True)
class Overview:
    generated_at: datetime
    time_zone: str
    region: str | None
    workflow: str | None
    period: Period  # the months covered, up to today
    open_by_state: list[StateCount]
    open_by_region: list[RegionCount]
    owners: list[OwnerFigures]  # people who own open stages now
    months: list[MonthFigures]
    connection_edges_days: tuple[int, ...]
    connection: list[ConnectionBuckets]


def _month_starts(today: date, months: int) -> list[date]:
    starts = [today.replace(day=1)]
    while len(starts) < months:
        first = starts[0]
        starts.insert(0, (first - timedelta(days=1)).replace(day=1))
    return starts


def overview(uow: UnitOfWork, actor: Actor, *, region: str | None, workflow: str | None, months: int,
             now: datetime) -> Overview:
    """Open projects by state and region, overdue stages by owner (now); time limits met in each of the last
    `months` months; connection times of the projects energized in those months, bucketed."""
    require(actor, *READERS)
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput([FieldProblem("", f"`months` must lie between 1 and {MAX_MONTHS}")],
                           detail="months out of range")
    definitions = _definitions(workflow)
    facts = tuple(_facts(d) for d in definitions)
    today = now.astimezone(ZONE).date()
    starts = _month_starts(today, months)

    def scope(period: Period) -> Scope:
        return Scope(start=period.start, end=period.end, now=now, region=region, workflow=workflow, workflows=facts)

    whole = period_of(starts[0], today, now)
    queries = ReportQueries(uow.session)
    reg = registry()

    def state_of(r: dict[str, Any]) -> StateCount:
        state = reg.get(r["workflow"], r["version"]).state(r["state"])
        return StateCount(workflow=r["workflow"], state=state.name, label=state.label.as_dict(), side=state.side,
                          open=r["open"], overdue=r["overdue"])

    by_state: dict[tuple[str, str], StateCount] = {}
    for row in map(state_of, queries.open_by_state(scope(whole))):
        key = (row.workflow, row.state)  # versions of one workflow added up
        had = by_state.get(key)
        by_state[key] = row if had is None else StateCount(
            row.workflow, row.state, row.label, row.side, had.open + row.open, had.overdue + row.overdue)
    month_figures = []
    for i, first in enumerate(starts):
        last = starts[i + 1] - timedelta(days=1) if i + 1 < len(starts) else today
        report = performance_clocks(queries, scope(period_of(first, last, now)), definitions)
        month_figures.append(MonthFigures(first, [c for c in report if c.stopped]))
    owners = [o for o in performance_owners(queries, scope(whole)) if o.open_stages]
    return Overview(
        generated_at=now, time_zone=str(ZONE), region=region, workflow=workflow, period=whole,
        open_by_state=list(by_state.values()),
        open_by_region=[RegionCount(str(r["region"]), int(r["open"]), int(r["overdue"]))
                        for r in queries.open_by_region(scope(whole))],
        owners=owners, months=month_figures, connection_edges_days=CONNECTION_EDGES_DAYS,
        connection=[ConnectionBuckets(str(r["workflow"]), int(r["count"]),
                                      [int(r[f"bucket_{i}"]) for i in range(len(CONNECTION_EDGES_DAYS))])
                    for r in queries.connection_histogram(scope(whole), CONNECTION_EDGES_DAYS)])
