"""Clock runs: started, stopped, paused and resumed as a project moves and holds come and go.

The rules are the definition's (workflow/clocks.py); this module applies them to stored runs and keeps
each run's `deadline_at` and `next_escalation_at` right, so the escalation sweep only reads due rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from bizext.db.models import ClockRun, Project, StageOccurrence
from bizext.db.session import UnitOfWork
from bizext.workflow import clocks as rules
from bizext.workflow.calendars import WorkingCalendar
from bizext.workflow.definitions import WorkflowDefinition

#: Hold parties that stop the utility's clocks: a utility cannot stop its own clock.
PAUSING_PARTIES = frozenset({"customer", "external"})


def as_run(row: ClockRun) -> rules.Run:
    return rules.Run(started_at=row.started_at, limit_days=row.limit_days, warning_days=row.warning_days,
                     paused_seconds=row.paused_seconds, paused_since=row.paused_since, stopped_at=row.stopped_at)


def clock_def(definition: WorkflowDefinition, name: str) -> rules.ClockDef | None:
    """A workflow's clock, or one of the service's own (question answer, follow-up)."""
    return definition.clock(name) or rules.SERVICE_CLOCKS.get(name)


def refresh_schedule(row: ClockRun, definition: WorkflowDefinition, cal: WorkingCalendar) -> None:
    """Recompute the stored deadline and when the next escalation level falls due."""
    run = as_run(row)
    row.deadline_at = rules.deadline(cal, run)
    if row.stopped_at is not None or row.paused_since is not None:
        row.next_escalation_at = None
        return
    clock = clock_def(definition, row.clock)
    upcoming = [lv for lv in clock.levels_for(row.limit_days) if lv.level > row.escalated_level] if clock else []
    row.next_escalation_at = rules.level_due_at(cal, run, upcoming[0]) if upcoming else None


def should_pause(definition: WorkflowDefinition, state: str, hold_parties: set[str]) -> bool:
    """All clocks pause in customer-side states and under holds for the customer or an outside party."""
    side = definition.state(state).side
    return side == "customer" or bool(hold_parties & PAUSING_PARTIES)


def _pause(row: ClockRun, at: datetime) -> None:
    if row.paused_since is None:
        row.paused_since = at


def _resume(row: ClockRun, at: datetime, cal: WorkingCalendar) -> None:
    if row.paused_since is not None:
        row.paused_seconds += rules.paused_working_time(cal, as_run(row), row.paused_since, max(at, row.paused_since))
        row.paused_since = None


@dataclass
class Stopped:
    run: ClockRun
    met: bool


@dataclass
class ClockChanges:
    started: list[ClockRun]
    stopped: list[Stopped]
    runs: list[ClockRun]  # every run of the project afterwards, so the answer needs no second read


def _runs_so_far(rows: list[ClockRun]) -> dict[str, int]:
    result: dict[str, int] = {}
    for row in rows:
        result[row.clock] = max(result.get(row.clock, 0), row.run)
    return result


def on_move(uow: UnitOfWork, project: Project, definition: WorkflowDefinition, cal: WorkingCalendar, *,
            from_state: str | None, stage: StageOccurrence | None, at: datetime) -> ClockChanges:
    """Apply a move (project creation when from_state is None) to the project's clock runs."""
    target = definition.state(project.state)
    moves = rules.moves(definition.clocks, from_state=from_state, to_state=project.state, terminal=target.terminal)
    # Only the workflow's own clocks move with the workflow; service clocks (questions, follow-up) run apart.
    workflow_clocks = {c.name for c in definition.clocks}
    # A new project has no runs yet; a moving one's runs are read once, for what runs and how many ran
    # (locked: see ClockRepository._locked).
    rows = uow.clocks.of_project(project.id, to_change=True) if from_state else []
    running = [r for r in rows if r.stopped_at is None and r.clock in workflow_clocks]
    stopped = []
    for row in running:
        if row.clock in moves.stop:
            stopped.append(stop_run(row, definition, cal, at))
    parties = {h.party for h in uow.holds.open_holds(project.id)} if not target.terminal else set()
    pause = should_pause(definition, project.state, parties) if not target.terminal else False
    for row in running:
        if row.stopped_at is None:
            _pause(row, at) if pause else _resume(row, at, cal)
            refresh_schedule(row, definition, cal)
    so_far = _runs_so_far(rows)
    started = []
    for clock in moves.start:
        row = uow.clocks.add(ClockRun(
            id=uuid.uuid4(), project_id=project.id, clock=clock.name, run=so_far.get(clock.name, 0) + 1,
            stage_occurrence_id=stage.id if stage is not None else None,
            region=project.region, limit_days=clock.limit_for(project.supply), warning_days=clock.warning_days,
            started_at=at, paused_seconds=0, paused_since=at if pause else None, escalated_level=-1,
            deadline_at=at))
        refresh_schedule(row, definition, cal)
        started.append(row)
    uow.clocks.flush()
    return ClockChanges(started, stopped, rows + started)


def on_holds_changed(uow: UnitOfWork, project: Project, definition: WorkflowDefinition, cal: WorkingCalendar,
                     at: datetime) -> None:
    """A hold was placed or released: pause or resume every running clock of the project."""
    parties = {h.party for h in uow.holds.open_holds(project.id)}
    pause = should_pause(definition, project.state, parties)
    workflow_clocks = {c.name for c in definition.clocks}
    for row in uow.clocks.running(project.id):
        if row.clock not in workflow_clocks:
            continue
        _pause(row, at) if pause else _resume(row, at, cal)
        refresh_schedule(row, definition, cal)
    uow.clocks.flush()


def recompute_region(uow: UnitOfWork, region: str, cal: WorkingCalendar) -> int:
    """A calendar override changed: running clocks of the region get their deadlines moved."""
    from bizext.services.projects import definition_of

    rows = uow.clocks.running_in_region(region)
    for row in rows:
        project = uow.projects.get(row.project_id)
        refresh_schedule(row, definition_of(project), cal)  # type: ignore[arg-type]
    uow.clocks.flush()
    return len(rows)


@dataclass(frozen=True)
class ClockView:
    row: ClockRun
    standing: rules.Standing
    label: dict[str, str]


def views(definition: WorkflowDefinition, cal: WorkingCalendar, rows: list[ClockRun], now: datetime) -> list[ClockView]:
    result = []
    for row in rows:
        clock = clock_def(definition, row.clock)
        label = dict(clock.label) if clock else {"zh": row.clock, "en": row.clock}
        result.append(ClockView(row, rules.standing(cal, as_run(row), now), label))
    return result


def start_service_clock(uow: UnitOfWork, project: Project, definition: WorkflowDefinition, cal: WorkingCalendar,
                        clock: rules.ClockDef, at: datetime) -> ClockRun:
    """Start a run of a service clock (not paused by states or holds: a promise to the customer)."""
    so_far = _runs_so_far(uow.clocks.of_project(project.id))
    row = uow.clocks.add(ClockRun(
        id=uuid.uuid4(), project_id=project.id, clock=clock.name, run=so_far.get(clock.name, 0) + 1,
        stage_occurrence_id=None, region=project.region, limit_days=clock.limit_for(project.supply),
        warning_days=clock.warning_days, started_at=at, paused_seconds=0, paused_since=None, escalated_level=-1,
        deadline_at=at))
    refresh_schedule(row, definition, cal)
    uow.clocks.flush()
    return row


def stop_run(row: ClockRun, definition: WorkflowDefinition, cal: WorkingCalendar, at: datetime) -> Stopped:
    _resume(row, at, cal)
    row.stopped_at = at
    # Frozen at stop, like the outcome: reports take medians of it in SQL, where no calendar is.
    row.elapsed_seconds = rules.standing(cal, as_run(row), at).elapsed
    met = at <= rules.deadline(cal, as_run(row))
    row.outcome = "met" if met else "missed"
    refresh_schedule(row, definition, cal)
    return Stopped(row, met)


def latest_per_clock(rows: list[ClockRun]) -> list[ClockRun]:
    latest: dict[str, ClockRun] = {}
    for row in rows:
        if row.clock not in latest or row.run > latest[row.clock].run:
            latest[row.clock] = row
    return sorted(latest.values(), key=lambda r: (r.started_at, r.clock))
