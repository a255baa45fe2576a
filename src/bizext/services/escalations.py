"""Escalations (督办): raised exactly once per clock run and level by an idempotent sweep, plus the
stage-level ones (a stage nobody could be given). Acknowledged by their recipients; resolved by the
work getting done."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from bizext.db.clock_repositories import supervisors_of
from bizext.db.models import ClockRun, Escalation, Project, StageOccurrence
from bizext.db.repositories import StaleVersion
from bizext.db.session import Database, UnitOfWork
from bizext.services import clocks, events
from bizext.services.errors import ConcurrentModification, Forbidden, NotFound
from bizext.services.principals import actor_label, require, visible_project
from bizext.services.preconditions import check_if_match
from bizext.workflow import clocks as rules
from bizext.workflow.calendars import WorkingCalendar
from bizext.workflow.engine import Actor

SWEEP_BATCH = 500


@dataclass(frozen=True)
class EscalationDetails:
    row: Escalation
    recipients: list[tuple[uuid.UUID, str]]
    project_number: str | None = None


class _Recipients:
    """Who an escalation goes to, with the region lookups of one sweep batch cached."""

    def __init__(self, uow: UnitOfWork):
        self.uow = uow
        self._supervisors: dict[str, list[uuid.UUID]] = {}

    def __call__(self, project: Project, who: str) -> list[uuid.UUID]:
        """stage_owner → the current owner (the customer manager for customer stages, the project manager
        if unassigned); project_manager → the project's, else the supervisors; supervisors → the region's."""
        if who == "stage_owner":
            if project.owner_kind == "staff" and project.owner_staff_id:
                return [project.owner_staff_id]
            who = "customer_manager"
        if who == "customer_manager":
            if project.customer_manager_id:
                return [project.customer_manager_id]
            who = "project_manager"
        if who == "project_manager" and project.project_manager_id:
            return [project.project_manager_id]
        if project.region not in self._supervisors:
            self._supervisors[project.region] = supervisors_of(self.uow.session, project.region)
        return self._supervisors[project.region]


def recipients_for(uow: UnitOfWork, project: Project, who: str) -> list[uuid.UUID]:
    return _Recipients(uow)(project, who)


def raise_for(uow: UnitOfWork, project: Project, *, dedupe_key: str, kind: str, level: int, recipients_role: str,
              explanation: str, now: datetime, stage_id: uuid.UUID | None = None) -> uuid.UUID | None:
    """Raise a non-clock escalation (quality, owner suspended, unassigned) once per dedupe_key."""
    recipients = _Recipients(uow)(project, recipients_role)
    new_id = uow.escalations.raise_once({
        "id": uuid.uuid4(), "dedupe_key": dedupe_key, "project_id": project.id, "stage_occurrence_id": stage_id,
        "clock_run_id": None, "clock": None, "level": level, "kind": kind, "deadline_at": None, "raised_at": now,
        "status": "open", "version": 1, "explanation": explanation}, recipients)
    if new_id is not None:
        events.record(uow, "escalation.raised", project=project, actor=None, occurred_at=now, now=now,
                      data={"escalation_id": str(new_id), "level": level, "kind": kind,
                            "recipients": [str(r) for r in recipients]})
    return new_id


def _local(cal: WorkingCalendar, instant: datetime) -> str:
    return instant.astimezone(cal.zone).strftime("%Y-%m-%d %H:%M %Z")


def _explain(project: Project, row: ClockRun, label: str, level: rules.EscalationLevel, cal: WorkingCalendar,
             now: datetime) -> str:
    standing = rules.standing(cal, clocks.as_run(row), now)
    limit = f"{row.limit_days} working day{'s' if row.limit_days != 1 else ''}"
    head = (f"{project.number} {project.title}: the {label} clock ({limit}, started "
            f"{_local(cal, row.started_at)}) ")
    if level.kind == "warning":
        return head + (f"is due soon: deadline {_local(cal, standing.deadline_at)}, "
                       f"{max(0, standing.remaining) / 3600:.1f} working hours left; stage {project.state}.")
    late = -standing.remaining / 86400
    return head + (f"missed its deadline {_local(cal, standing.deadline_at)}; overdue by {late:.1f} working days "
                   f"(level {level.level}); stage {project.state}.")


@dataclass
class SweepResult:
    checked_at: datetime
    raised: list[uuid.UUID] = field(default_factory=list)
    runs_examined: int = 0


def sweep(database: Database, now: datetime, batch: int = SWEEP_BATCH) -> SweepResult:
    """Raise every escalation level that is due, exactly once, reading only due clock runs.

    Safe to run from many processes at once: each batch is one transaction; rows are locked and skipped
    by concurrent sweeps on PostgreSQL; the unique dedupe_key guarantees no level is raised twice.
    A batch is a handful of statements whatever its size: read the due runs and what they need, insert
    every escalation due in one statement and their recipients in another, write back the schedules."""
    result = SweepResult(checked_at=now)
    calendars: dict[str, WorkingCalendar] = {}
    while True:
        with database.uow(write=True) as uow:
            rows = uow.clocks.due(now, batch)
            batch_ctx = _Batch(uow, rows, calendars)
            due = [level for row in rows for level in _due_levels(batch_ctx, row, now)]
            inserted = uow.escalations.raise_many([d.values for d in due],
                                                  {d.dedupe_key: d.recipients for d in due})
            for d in due:  # in the order they were found, so each run's events read in order
                if d.dedupe_key in inserted:
                    result.raised.append(inserted[d.dedupe_key])
                    _record_raised(uow, d, inserted[d.dedupe_key], now)
            result.runs_examined += len(rows)
            uow.commit()
        if len(rows) < batch:
            break
    return result


class _Batch:
    """What one batch of due runs needs, loaded with one query per kind instead of one per run."""

    def __init__(self, uow: UnitOfWork, rows: list[ClockRun], calendars: dict[str, WorkingCalendar]):
        from bizext.services.calendars import calendar_for

        self.uow = uow
        ids = [r.project_id for r in rows]
        self.projects = uow.projects.by_ids(ids)
        self.stages = uow.projects.open_stages(ids)
        self.recipients = _Recipients(uow)
        for region in {r.region for r in rows} - set(calendars):
            calendars[region] = calendar_for(uow, region)
        self.calendars = calendars


@dataclass(frozen=True)
class _DueLevel:
    """One escalation level of one clock run that has fallen due: the row to insert and what to say of it."""

    project: Project
    run: ClockRun
    level: rules.EscalationLevel
    first_breach: bool  # the run's lowest breach level: raising it also records clock.missed
    values: dict[str, object]
    recipients: list[uuid.UUID]

    @property
    def dedupe_key(self) -> str:
        return str(self.values["dedupe_key"])


def _due_levels(batch: _Batch, row: ClockRun, now: datetime) -> list[_DueLevel]:
    """The levels of this run due at `now` and not yet raised; moves the run's schedule past them."""
    from bizext.services.projects import definition_of

    project = batch.projects[row.project_id]
    definition = definition_of(project)
    cal = batch.calendars[row.region]
    clock = clocks.clock_def(definition, row.clock)
    levels = clock.levels_for(row.limit_days) if clock else ()
    run = clocks.as_run(row)
    deadline_at = rules.deadline(cal, run)
    stage = batch.stages.get(project.id)
    due = []
    for level in levels:
        if level.level <= row.escalated_level or rules.level_due_at(cal, run, level) > now:
            continue
        row.escalated_level = level.level
        if level.kind == "warning" and deadline_at <= now:
            continue  # the deadline has passed already: the breach says it, a warning would be noise
        label = clock.label.get("en", row.clock) if clock else row.clock
        due.append(_DueLevel(
            project, row, level,
            first_breach=level.kind == "breach" and not any(lv.kind == "breach" and lv.level < level.level
                                                             for lv in levels),
            values={"id": uuid.uuid4(), "dedupe_key": f"clock:{row.id}:{level.level}", "project_id": project.id,
                    "stage_occurrence_id": stage.id if stage else row.stage_occurrence_id, "clock_run_id": row.id,
                    "clock": row.clock, "level": level.level, "kind": level.kind, "deadline_at": deadline_at,
                    "raised_at": now, "explanation": _explain(project, row, label, level, cal, now),
                    "status": "open", "version": 1},
            recipients=batch.recipients(project, level.recipients)))
    clocks.refresh_schedule(row, definition, cal)
    return due


def _record_raised(uow: UnitOfWork, due: _DueLevel, new_id: uuid.UUID, now: datetime) -> None:
    deadline_at = due.values["deadline_at"]
    assert isinstance(deadline_at, datetime)
    if due.first_breach:
        events.record(uow, "clock.missed", project=due.project, actor=None, occurred_at=deadline_at, now=now,
                      data=events.clock_data(due.run))
    events.record(uow, "escalation.raised", project=due.project, actor=None, occurred_at=now, now=now,
                  data={"escalation_id": str(new_id), "level": due.level.level, "kind": due.level.kind,
                        "clock": due.run.clock, "deadline_at": deadline_at.isoformat(),
                        "recipients": [str(r) for r in due.recipients]})


def check(uow: UnitOfWork, actor: Actor, database: Database, now: datetime
          ) -> tuple[SweepResult, list[EscalationDetails]]:
    """One sweep on request (an external scheduler, or an admin). The sweep commits batch by batch in units of
    work of its own (it is idempotent by itself); the request's transaction is set aside meanwhile so that it
    holds no lock the sweep needs, then reads what was raised."""
    require(actor, "escalation_checker")
    uow.set_aside()
    result = sweep(database, now)
    return result, get_many(uow, result.raised)


def raise_unassigned(uow: UnitOfWork, project: Project, stage: StageOccurrence, role: str | None,
                     now: datetime) -> uuid.UUID | None:
    """A stage entered with no eligible owner escalates to the project manager at once."""
    return raise_for(uow, project, dedupe_key=f"unassigned:{stage.id}", kind="unassigned", level=1,
                     recipients_role="project_manager", now=now, stage_id=stage.id,
                     explanation=f"{project.number} {project.title}: the {stage.state} stage has no eligible owner "
                                 f"(no active, qualified {role} in region {project.region}); assign one.")


def resolve(uow: UnitOfWork, project: Project, rows: list[Escalation], resolution: str, now: datetime) -> None:
    for row in rows:
        if row.status != "resolved":
            row.status, row.resolved_at, row.resolution = "resolved", now, resolution
            events.record(uow, "escalation.resolved", project=project, actor=None, occurred_at=now, now=now,
                          data={"escalation_id": str(row.id), "level": row.level, "kind": row.kind,
                                "clock": row.clock, "resolution": resolution})


def on_clocks_stopped(uow: UnitOfWork, project: Project, stopped: list[clocks.Stopped], now: datetime) -> None:
    on_moved(uow, project, stopped, None, now)


def on_moved(uow: UnitOfWork, project: Project, stopped: list[clocks.Stopped], left: StageOccurrence | None,
             now: datetime) -> None:
    """A move stopped clocks and left a stage: the escalations of those clocks, and the stage's unassigned
    escalation, are resolved. One read of the project's open escalations (a handful) serves them all, and
    most moves need none: a clock escalation exists only for a run the sweep has escalated (escalated_level ≥ 0),
    an unassigned escalation only while its stage is unassigned (assigning an owner resolves it). The stopped
    runs were read locked, so a sweep raising a level of one of them has committed before they were read, and
    their escalated_level says so (ClockRepository._locked)."""
    if not any(s.run.escalated_level >= 0 for s in stopped) and (left is None or left.owner_kind != "unassigned"):
        return
    still_open = uow.escalations.open_for_project(project.id)
    for s in stopped:
        resolve(uow, project, [e for e in still_open if e.clock_run_id == s.run.id],
                "completed_late" if not s.met else "completed", now)
    if left is not None:
        resolve(uow, project, [e for e in still_open if e.stage_occurrence_id == left.id and e.kind == "unassigned"],
                "stage_left", now)


# -- reading and acknowledging ------------------------------------------------------------------------
def _readable(actor: Actor) -> None:
    if actor.kind == "customer" or (actor.kind == "client" and "integration" not in actor.roles):
        raise Forbidden("escalations are for staff and integration clients")


def _details(uow: UnitOfWork, rows: list[Escalation], numbers: dict[uuid.UUID, str] | None = None
             ) -> list[EscalationDetails]:
    """The escalations with their recipients and project numbers (`numbers` when the caller read them)."""
    recipients = uow.escalations.recipients([r.id for r in rows])
    if numbers is None:
        numbers = uow.projects.numbers(list({r.project_id for r in rows}))  # one read for them all
    return [EscalationDetails(r, recipients[r.id], numbers.get(r.project_id)) for r in rows]


def _page(uow: UnitOfWork, found: list[tuple[Escalation, str]]) -> list[EscalationDetails]:
    return _details(uow, [e for e, _ in found], {e.project_id: number for e, number in found})


def listing(uow: UnitOfWork, actor: Actor, *, filters: dict[str, object], recipient: str | None,
            after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[EscalationDetails]:
    _readable(actor)
    recipient_id = None
    if recipient == "me":
        if actor.kind != "staff" or actor.id is None:
            return []
        recipient_id = uuid.UUID(actor.id)
    elif recipient is not None:
        recipient_id = uuid.UUID(recipient)
    return _page(uow, uow.escalations.listing(filters=filters, recipient_id=recipient_id, after=after, limit=limit))


def get(uow: UnitOfWork, actor: Actor, escalation_id: uuid.UUID) -> EscalationDetails:
    _readable(actor)
    row = uow.escalations.get(escalation_id)
    if row is None:
        raise NotFound("escalation", escalation_id)
    return _details(uow, [row])[0]


def acknowledge(uow: UnitOfWork, actor: Actor, escalation_id: uuid.UUID, note: str, *, if_match: str | None,
                now: datetime) -> EscalationDetails:
    """A recipient (or an admin) says they have seen it and what they are doing about it."""
    _readable(actor)
    row = uow.escalations.get(escalation_id)
    if row is None:
        raise NotFound("escalation", escalation_id)
    is_recipient = actor.kind == "staff" and actor.id is not None and uow.escalations.is_recipient(
        row.id, uuid.UUID(actor.id))
    if not (is_recipient or actor.is_admin):
        raise Forbidden("only a recipient of the escalation, or an admin, may acknowledge it")
    check_if_match(if_match, row.version)
    if row.status == "open":
        row.status = "acknowledged"
    row.acknowledged_at, row.acknowledged_by, row.note = now, actor_label(actor), note
    events.record(uow, "escalation.acknowledged", project=uow.projects.get(row.project_id), actor=actor,
                  occurred_at=now, now=now, data={"escalation_id": str(row.id), "level": row.level,
                                                  "kind": row.kind, "note": note})
    try:
        uow.escalations.flush()
    except StaleVersion:
        raise ConcurrentModification("escalation", escalation_id) from None
    uow.commit()
    return _details(uow, [row])[0]


def get_many(uow: UnitOfWork, ids: list[uuid.UUID]) -> list[EscalationDetails]:
    rows = {r.id: r for r in uow.escalations.by_ids(ids)}
    return _details(uow, [rows[i] for i in ids if i in rows])


def of_project(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID) -> list[EscalationDetails]:
    _readable(actor)
    project = visible_project(uow, actor, project_id)
    return _page(uow, uow.escalations.listing(filters={"project_id": project.id}, recipient_id=None, after=None,
                                              limit=1000))
