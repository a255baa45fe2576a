"""Report queries: grouped, windowed and aggregated by the database, the same SQL on SQLite and PostgreSQL.

Medians and 90th percentiles are ranks over partitions (ROW_NUMBER and COUNT as window functions), not
PERCENTILE_CONT, which SQLite lacks: the median is the mean of the middle one or two values, the p90 the
nearest rank ⌈0.9·n⌉. What the workflow definitions know (which states are utility-side or customer-side,
which are "energized", which clocks time exactly one stage) comes in as parameters: the database has no
definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    and_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.expression import FunctionElement, Subquery

from bizext.db.models import (
    ClockRun,
    Escalation,
    EscalationRecipient,
    Feedback,
    FollowUp,
    Hold,
    Project,
    Staff,
    StageOccurrence,
    TransitionRecord,
)
from bizext.db.types import UTCDateTime


# -- portable SQL functions --------------------------------------------------------------------------
class seconds_between(FunctionElement[float]):  # noqa: N801 (an SQL function)
    """Seconds from one instant to another, as a float."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    # julianday is a day count in a double: rounding to the millisecond removes its binary noise.
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


class json_array_length(FunctionElement[int]):  # noqa: N801 (an SQL function)
    """Items in a JSON array column; 0 for anything that is not an array."""

    type = Integer()
    inherit_cache = True
    name = "json_array_length"


@compiles(json_array_length, "sqlite")
def _json_array_length_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    (doc,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"COALESCE(json_array_length({doc}), 0)"


@compiles(json_array_length, "postgresql")
def _json_array_length_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    (doc,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CASE WHEN jsonb_typeof({doc}) = 'array' THEN jsonb_array_length({doc}) ELSE 0 END)"


# -- what the caller tells us ------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkflowFacts:
    """What one workflow definition version says that the queries need."""

    key: str
    version: int
    utility_states: tuple[str, ...]
    customer_states: tuple[str, ...]
    energized_states: tuple[str, ...]
    stage_clocks: tuple[str, ...]  # clocks that start on entering a stage and stop on leaving it


@dataclass(frozen=True)
class Scope:
    start: datetime  # the period is [start, end)
    end: datetime
    now: datetime
    region: str | None
    workflow: str | None
    workflows: tuple[WorkflowFacts, ...]


def _listed(scope: Scope, key: Any, version: Any, name: Any, attr: str) -> ColumnElement[bool]:
    """`name` is one of the names `attr` lists for the row's workflow version (a parameter per version)."""
    terms = [and_(key == w.key, version == w.version, name.in_(getattr(w, attr)))
             for w in scope.workflows if getattr(w, attr)]
    return or_(*terms) if terms else false()


def _projects_in_scope(scope: Scope) -> list[ColumnElement[bool]]:
    where = []
    if scope.region is not None:
        where.append(Project.region == scope.region)
    if scope.workflow is not None:
        where.append(Project.workflow_key == scope.workflow)
    return where


def _in_period(column: Any, scope: Scope) -> ColumnElement[bool]:
    return and_(column >= scope.start, column < scope.end)


def _overdue_now(scope: Scope) -> ColumnElement[bool]:
    """A running run past its deadline; a paused one that was past it when it paused (workflow/clocks.py
    `standing`: paused time does not count, and a paused run's stored deadline leaves the pause out)."""
    now = bindparam("report_now", scope.now, type_=UTCDateTime)
    return and_(ClockRun.stopped_at.is_(None), func.coalesce(ClockRun.paused_since, now) > ClockRun.deadline_at)


def _percentiles(values: Subquery, keys: list[str], value: str) -> Subquery:
    """Per group of `keys`: n, the median and the nearest-rank p90 of `value` (NULLs left out by the caller)."""
    part = [values.c[k] for k in keys]
    ranked = select(*part, values.c[value].label("v"),
                    func.row_number().over(partition_by=part, order_by=values.c[value]).label("rn"),
                    func.count().over(partition_by=part).label("n")).subquery()
    rn, n = ranked.c.rn, ranked.c.n
    middle = or_(rn == (n + 1) // 2, rn == (n + 2) // 2)  # the middle one (n odd) or two (n even)
    return (select(*[ranked.c[k] for k in keys], func.max(n).label("n"),
                   func.avg(case((middle, ranked.c.v))).label("median"),
                   func.max(case((rn == (9 * n + 9) // 10, ranked.c.v))).label("p90"))  # ⌈0.9·n⌉
            .group_by(*[ranked.c[k] for k in keys]).subquery())


def _energized(scope: Scope) -> Any:
    """Projects energized in the period, with their facts and the instant of energization."""
    return (select(Project.id.label("project_id"), Project.workflow_key.label("workflow"),
                   Project.workflow_version.label("version"), Project.voltage_kv.label("voltage_kv"),
                   Project.supply.label("supply"), Project.received_at.label("received_at"),
                   TransitionRecord.occurred_at.label("energized_at"))
            .join(TransitionRecord, TransitionRecord.project_id == Project.id)
            .where(*_projects_in_scope(scope), _in_period(TransitionRecord.occurred_at, scope),
                   _listed(scope, Project.workflow_key, Project.workflow_version, TransitionRecord.to_state,
                           "energized_states"))
            .cte("energized"))


def _rows(session: Session, query: Select[Any]) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in session.execute(query)]


class ReportQueries:
    def __init__(self, session: Session):
        self.session = session

    def clocks(self, scope: Scope) -> list[dict[str, Any]]:
        """Per workflow and clock: runs stopped in the period, how many met their deadline, the median and
        p90 of their counted working seconds; and the runs overdue now (whenever they started)."""
        stopped = _in_period(ClockRun.stopped_at, scope)
        overdue = _overdue_now(scope)
        counts = (select(Project.workflow_key.label("workflow"), ClockRun.clock.label("clock"),
                         func.count(case((stopped, 1))).label("stopped"),
                         func.count(case((and_(stopped, ClockRun.outcome == "met"), 1))).label("met"),
                         func.count(case((overdue, 1))).label("open_overdue"))
                  .join(Project, Project.id == ClockRun.project_id)
                  .where(*_projects_in_scope(scope), or_(stopped, overdue))
                  .group_by(Project.workflow_key, ClockRun.clock).subquery())
        elapsed = (select(Project.workflow_key.label("workflow"), ClockRun.clock.label("clock"),
                          ClockRun.elapsed_seconds.label("seconds"))
                   .join(Project, Project.id == ClockRun.project_id)
                   .where(*_projects_in_scope(scope), stopped, ClockRun.elapsed_seconds.is_not(None)).subquery())
        pct = _percentiles(elapsed, ["workflow", "clock"], "seconds")
        return _rows(self.session, select(counts, pct.c.median.label("median_seconds"), pct.c.p90.label("p90_seconds"))
                     .outerjoin(pct, and_(pct.c.workflow == counts.c.workflow, pct.c.clock == counts.c.clock))
                     .order_by(counts.c.workflow, counts.c.clock))

    def owners(self, scope: Scope) -> list[dict[str, Any]]:
        """Per staff owner: open stages and how many of them have an overdue stage clock (now); escalations
        received in the period; the median counted working seconds of their stages left in the period
        (those with a stage clock)."""
        stage_clock = _listed(scope, Project.workflow_key, Project.workflow_version, ClockRun.clock, "stage_clocks")
        overdue_clock = (select(ClockRun.id).where(ClockRun.stage_occurrence_id == StageOccurrence.id, stage_clock,
                                                   _overdue_now(scope)).exists())
        open_stages = (select(StageOccurrence.owner_staff_id.label("staff_id"),
                              func.count().label("open_stages"),
                              func.count(case((overdue_clock, 1))).label("overdue_stages"))
                       .join(Project, Project.id == StageOccurrence.project_id)
                       .where(*_projects_in_scope(scope), StageOccurrence.left_at.is_(None),
                              StageOccurrence.owner_staff_id.is_not(None))
                       .group_by(StageOccurrence.owner_staff_id).subquery())
        received = (select(EscalationRecipient.staff_id.label("staff_id"),
                           func.count().label("escalations_received"))
                    .join(Escalation, Escalation.id == EscalationRecipient.escalation_id)
                    .join(Project, Project.id == Escalation.project_id)
                    .where(*_projects_in_scope(scope), _in_period(Escalation.raised_at, scope))
                    .group_by(EscalationRecipient.staff_id).subquery())
        measured = (select(StageOccurrence.owner_staff_id.label("staff_id"),
                           ClockRun.elapsed_seconds.label("seconds"))
                    .join(Project, Project.id == StageOccurrence.project_id)
                    .join(ClockRun, ClockRun.stage_occurrence_id == StageOccurrence.id)
                    .where(*_projects_in_scope(scope), StageOccurrence.owner_staff_id.is_not(None), stage_clock,
                           _in_period(ClockRun.stopped_at, scope), ClockRun.elapsed_seconds.is_not(None))
                    .subquery())
        pct = _percentiles(measured, ["staff_id"], "seconds")
        ids = union(select(open_stages.c.staff_id), select(received.c.staff_id), select(pct.c.staff_id)).subquery()
        query = (select(Staff.id.label("staff_id"), Staff.name.label("name"),
                        func.coalesce(open_stages.c.open_stages, 0).label("open_stages"),
                        func.coalesce(open_stages.c.overdue_stages, 0).label("overdue_stages"),
                        func.coalesce(received.c.escalations_received, 0).label("escalations_received"),
                        func.coalesce(pct.c.n, 0).label("stages_measured"),
                        pct.c.median.label("median_stage_seconds"))
                 .select_from(ids).join(Staff, Staff.id == ids.c.staff_id)
                 .outerjoin(open_stages, open_stages.c.staff_id == Staff.id)
                 .outerjoin(received, received.c.staff_id == Staff.id)
                 .outerjoin(pct, pct.c.staff_id == Staff.id)
                 .order_by(Staff.name, Staff.id))
        return _rows(self.session, query)

    def connection_time(self, scope: Scope) -> list[dict[str, Any]]:
        """Projects energized in the period, per workflow, voltage and supply: calendar seconds from
        application to energization (count, median, mean), the mean split into time in utility-side and
        customer-side stages, and the mean time under holds of each party."""
        energized = _energized(scope)
        e = energized.c
        so = StageOccurrence
        stage_time = seconds_between(so.entered_at, func.coalesce(so.left_at, e.energized_at))
        utility_side = _listed(scope, e.workflow, e.version, so.state, "utility_states")
        customer_side = _listed(scope, e.workflow, e.version, so.state, "customer_states")
        stages = (select(so.project_id.label("project_id"),
                         func.sum(case((utility_side, stage_time), else_=0.0)).label("utility"),
                         func.sum(case((customer_side, stage_time), else_=0.0)).label("customer"))
                  .join(energized, e.project_id == so.project_id)
                  .group_by(so.project_id).subquery())
        # A hold still open at energization (or released after it) counts up to energization.
        hold_end = case((or_(Hold.released_at.is_(None), Hold.released_at > e.energized_at), e.energized_at),
                        else_=Hold.released_at)
        hold_time = seconds_between(Hold.placed_at, hold_end)
        holds = (select(Hold.project_id.label("project_id"),
                        *[func.sum(case((Hold.party == party, hold_time), else_=0.0)).label(f"hold_{party}")
                          for party in ("customer", "external", "utility")])
                 .join(energized, e.project_id == Hold.project_id)
                 .group_by(Hold.project_id).subquery())
        per_project = (select(e.workflow, e.voltage_kv, e.supply,
                              seconds_between(e.received_at, e.energized_at).label("total"),
                              func.coalesce(stages.c.utility, 0.0).label("utility"),
                              func.coalesce(stages.c.customer, 0.0).label("customer"),
                              *[func.coalesce(holds.c[f"hold_{p}"], 0.0).label(f"hold_{p}")
                                for p in ("customer", "external", "utility")])
                       .select_from(energized)
                       .outerjoin(stages, stages.c.project_id == e.project_id)
                       .outerjoin(holds, holds.c.project_id == e.project_id)
                       .cte("per_project"))
        p = per_project.c
        keys = ["workflow", "voltage_kv", "supply"]
        means = (select(p.workflow, p.voltage_kv, p.supply, func.count().label("count"),
                        func.avg(p.total).label("mean_seconds"),
                        func.avg(p.utility).label("mean_utility_seconds"),
                        func.avg(p.customer).label("mean_customer_seconds"),
                        *[func.avg(p[f"hold_{x}"]).label(f"mean_hold_{x}_seconds")
                          for x in ("customer", "external", "utility")])
                 .group_by(p.workflow, p.voltage_kv, p.supply).subquery())
        pct = _percentiles(per_project.select().subquery(), keys, "total")
        query = (select(means, pct.c.median.label("median_seconds"))
                 .join(pct, and_(*[pct.c[k] == means.c[k] for k in keys]))
                 .order_by(means.c.workflow, means.c.voltage_kv, means.c.supply))
        return _rows(self.session, query)

    # -- the managers' overview (dashboard) ------------------------------------------------------------
    def open_by_state(self, scope: Scope) -> list[dict[str, Any]]:
        """Open projects (not in a terminal state: they have a stage owner) per workflow and state, and how
        many of them have a clock past its deadline now."""
        overdue = select(ClockRun.id).where(ClockRun.project_id == Project.id, _overdue_now(scope)).exists()
        query = (select(Project.workflow_key.label("workflow"), Project.workflow_version.label("version"),
                        Project.state.label("state"), func.count().label("open"),
                        func.count(case((overdue, 1))).label("overdue"))
                 .where(*_projects_in_scope(scope), Project.owner_kind.is_not(None))
                 .group_by(Project.workflow_key, Project.workflow_version, Project.state)
                 .order_by(Project.workflow_key, Project.workflow_version, Project.state))
        return _rows(self.session, query)

    def open_by_region(self, scope: Scope) -> list[dict[str, Any]]:
        """Open projects per region, and how many of them have a clock past its deadline now."""
        overdue = select(ClockRun.id).where(ClockRun.project_id == Project.id, _overdue_now(scope)).exists()
        query = (select(Project.region.label("region"), func.count().label("open"),
                        func.count(case((overdue, 1))).label("overdue"))
                 .where(*_projects_in_scope(scope), Project.owner_kind.is_not(None))
                 .group_by(Project.region).order_by(Project.region))
        return _rows(self.session, query)

    def connection_histogram(self, scope: Scope, edges_days: tuple[int, ...]) -> list[dict[str, Any]]:
        """Projects energized in the period per workflow, counted into calendar-day buckets of the time from
        application to energization: bucket i holds edges[i] <= days < edges[i+1], the last one is open."""
        energized = _energized(scope)
        e = energized.c
        total = seconds_between(e.received_at, e.energized_at)
        bounds = [*(d * 86400.0 for d in edges_days), None]
        buckets = [func.count(case((and_(total >= low, *([total < high] if high is not None else [])), 1)))
                   .label(f"bucket_{i}") for i, (low, high) in enumerate(zip(bounds[:-1], bounds[1:]))]
        query = (select(e.workflow.label("workflow"), func.count().label("count"), *buckets)
                 .select_from(energized).group_by(e.workflow).order_by(e.workflow))
        return _rows(self.session, query)

    def follow_ups(self, scope: Scope) -> dict[str, Any]:
        """Follow-ups closed in the period: how many, mean satisfaction, how many found issues or times that
        do not match the records."""
        query = (select(func.count().label("closed"), func.avg(FollowUp.satisfaction).label("mean_satisfaction"),
                        func.count(case((json_array_length(FollowUp.issues) > 0, 1))).label("with_issues"),
                        func.count(case((FollowUp.times_match_records.is_(False), 1))).label("times_mismatch"))
                 .join(Project, Project.id == FollowUp.project_id)
                 .where(*_projects_in_scope(scope), FollowUp.closed_at.is_not(None),
                        _in_period(FollowUp.closed_at, scope)))
        return _rows(self.session, query)[0]

    def feedback(self, scope: Scope) -> dict[str, Any]:
        """Customers' own ratings given in the period."""
        query = (select(func.count().label("count"), func.avg(Feedback.satisfaction).label("mean_satisfaction"))
                 .join(Project, Project.id == Feedback.project_id)
                 .where(*_projects_in_scope(scope), _in_period(Feedback.created_at, scope)))
        return _rows(self.session, query)[0]


__all__ = ["ReportQueries", "Scope", "WorkflowFacts"]
