"""Firing transitions, and the forms (actions) and history that surround them."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bizext.db.models import Assignment, StageOccurrence, TransitionRecord
from bizext.db.repositories import ProjectWithNames, StaleVersion
from bizext.db.session import UnitOfWork
from bizext.services import assignment, clocks, escalations, events, follow_ups
from bizext.services.calendars import calendar_for
from bizext.services.errors import ConcurrentModification
from bizext.services.principals import visible_project
from bizext.services.projects import (
    ProjectDetails,
    definition_of,
    details,
    facts_of,
    owner_of,
    record_owner_event,
    visible_with_names,
)
from bizext.services.preconditions import check_if_match
from bizext.workflow import engine
from bizext.workflow.engine import Actor, ProjectView
from bizext.workflow.errors import DomainError, OwnerRef


@dataclass(frozen=True)
class FireRequest:
    name: str
    input: dict[str, Any]
    comment: str | None = None
    occurred_at: datetime | None = None
    admin_reason: str | None = None


@dataclass(frozen=True)
class Fired:
    record: TransitionRecord
    project: ProjectDetails


def _view(uow: UnitOfWork, found: ProjectWithNames) -> ProjectView:
    project = found.project
    owner = owner_of(uow, project, {project.id: found.owner_name}) or OwnerRef("unassigned")
    return ProjectView(state=project.state, facts=facts_of(project), customer_id=str(project.customer_id),
                       customer_manager_id=str(project.customer_manager_id) if project.customer_manager_id
                       else None, stage_owner=owner)


def fire(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID, request: FireRequest, *,
         if_match: str | None, now: datetime) -> Fired:
    """Fire one transition: decide in the domain, then write the move as one guarded unit of work."""
    found = visible_with_names(uow, actor, project_id)
    project = found.project
    check_if_match(if_match, project.version)
    definition = definition_of(project)
    occurred_at = engine.occurred_at(request.occurred_at, project.last_transition_at, now)
    cal = calendar_for(uow, project.region)
    move = engine.fire(definition, _view(uow, found), request.name, request.input, actor, now=now,
                       admin_reason=request.admin_reason, today=cal.local(now).date())

    target = definition.state(move.to_state)
    choice = assignment.choose_owner(uow, project, target, request.input.get("assign_to"), found.customer_name)
    # One read of the project's stages gives the open one, the visits per state and the next number.
    so_far = uow.projects.stages(project.id)
    previous = next((s for s in so_far if s.left_at is None), None)
    visits = Counter(s.state for s in so_far)
    # Every fired transition closed exactly one stage, so the stages so far number the transitions too;
    # unique (project_id, seq) on both tables is the guard should that ever not hold.
    seq = len(so_far)

    # The guarded update first: if another request moved the project since we read it, nothing is written.
    project.state = target.name
    project.owner_kind = None if target.terminal else choice.kind
    project.owner_staff_id = uuid.UUID(choice.staff_id) if choice.staff_id else None
    if move.flags:
        project.flags = {**(project.flags or {}), **move.flags}
    project.last_transition_at, project.updated_at = occurred_at, now
    try:
        uow.projects.flush()
    except StaleVersion:
        raise ConcurrentModification("project", project_id) from None

    record = uow.projects.add(TransitionRecord(
        id=uuid.uuid4(), project_id=project.id, seq=seq, name=move.transition.name, from_state=move.from_state,
        to_state=move.to_state, actor_kind=actor.kind, actor_id=actor.id, actor_name=actor.name,
        capacity=move.responsibility.capacity, on_behalf_of=move.responsibility.on_behalf_of,
        admin_reason=request.admin_reason if move.responsibility.capacity == "admin" else None,
        input=request.input, comment=request.comment, occurred_at=occurred_at, recorded_at=now))
    if previous is not None:
        previous.left_at = occurred_at
    # Rows are flushed in dependency order: the open stage closes before the next one opens (one open
    # stage per project is a unique index), and a stage exists before its assignment refers to it.
    uow.projects.flush()
    stage = None
    if not target.terminal:
        stage = uow.projects.add(StageOccurrence(
            id=uuid.uuid4(), project_id=project.id, seq=seq + 1, state=target.name,
            visit=visits.get(target.name, 0) + 1, entered_at=occurred_at,
            owner_kind=choice.kind, owner_staff_id=project.owner_staff_id, entered_by_transition_id=record.id))
        uow.projects.flush()
        assignment.record(uow, project, stage, choice, by="engine", reason=f"entered by {move.transition.name}",
                          at=occurred_at)
    changes = clocks.on_move(uow, project, definition, cal, from_state=move.from_state, stage=stage,
                             at=occurred_at)
    events.record(uow, "transition.fired", project=project, actor=actor, occurred_at=occurred_at, now=now, data={
        "transition_id": str(record.id), "seq": seq, "name": move.transition.name, "from": move.from_state,
        "to": move.to_state, "capacity": record.capacity, "on_behalf_of": record.on_behalf_of,
        "input": request.input, "comment": request.comment})
    if stage is not None:
        record_owner_event(uow, project, stage, choice, None, occurred_at, now)
    for s in changes.stopped:
        events.record(uow, "clock.stopped", project=project, actor=None, occurred_at=occurred_at, now=now,
                      data=events.clock_data(s.run))
    for run in changes.started:
        events.record(uow, "clock.started", project=project, actor=None, occurred_at=occurred_at, now=now,
                      data=events.clock_data(run))
    escalations.on_moved(uow, project, changes.stopped, previous, now)
    if stage is not None and choice.kind == "unassigned":
        escalations.raise_unassigned(uow, project, stage, target.owner_role, now)
    runs = changes.runs
    if target.follow_up:
        follow_up = follow_ups.open_follow_up(uow, project, occurred_at, now)
        runs = [*runs, uow.clocks.get(follow_up.clock_run_id)]  # just added: from the session, not the database
    uow.projects.flush()
    uow.commit()
    return Fired(record, details(uow, project, now, runs, choice.name))


@dataclass(frozen=True)
class Action:
    """One transition out of the current state, as a form for this caller."""

    transition: Any  # TransitionDef
    to: list[str]
    owner: OwnerRef
    allowed: bool
    blocked_reason: str | None


def actions(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID, now: datetime) -> tuple[ProjectDetails, list[Action]]:
    found = visible_with_names(uow, actor, project_id)
    project = found.project
    definition = definition_of(project)
    view = _view(uow, found)
    result = []
    for t in definition.transitions_from(project.state):
        owner = engine.transition_owner(definition, t, view)
        if owner.kind == "customer" and owner.name is None:
            owner = OwnerRef("customer", owner.id, found.customer_name)
        reason: str | None = None
        try:
            engine.responsibility(definition, t, view, actor, admin_reason="(checked at firing)")
        except DomainError as exc:
            reason = str(exc)
        guard_reasons = engine.failed_guards(t, view.facts)
        if guard_reasons and reason is None:
            reason = "; ".join(guard_reasons)
        result.append(Action(t, engine.possible_destinations(t, view.facts), owner,
                             allowed=reason is None, blocked_reason=reason))
    return details(uow, project, now, owner_name=found.owner_name), result


def history(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID) -> list[TransitionRecord]:
    project = visible_project(uow, actor, project_id)
    return uow.projects.transitions(project.id)


def stages(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID) -> tuple[list[StageOccurrence], dict[uuid.UUID, str]]:
    """Stage occurrences, oldest first, with the names of their staff owners."""
    project = visible_project(uow, actor, project_id)
    rows = uow.projects.stages(project.id)
    names = {}
    for staff_id in {r.owner_staff_id for r in rows if r.owner_staff_id}:
        staff = uow.staff.get(staff_id)
        names[staff_id] = staff.name if staff else str(staff_id)
    return rows, names


def assignments(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID) -> list[Assignment]:
    project = visible_project(uow, actor, project_id)
    return uow.projects.assignments(project.id)
