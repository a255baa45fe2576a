"""Follow-up (回访) after energization, and the customer's own rating. A poor result is a quality problem
that reaches the region's supervisors as fast as a missed deadline does."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from bizext.db.models import Feedback, FollowUp, Project
from bizext.db.repositories import Conflict
from bizext.db.session import UnitOfWork
from bizext.services import clocks, escalations, events
from bizext.services.calendars import calendar_for
from bizext.services.errors import AlreadyExists, Forbidden, NotFound, NotNow
from bizext.services.principals import actor_label, visible_project
from bizext.services.projects import definition_of
from bizext.workflow.clocks import FOLLOW_UP
from bizext.workflow.engine import Actor
from bizext.workflow.errors import FieldProblem, InvalidInput

#: Satisfaction at or below this is a quality escalation.
POOR = 2


def open_follow_up(uow: UnitOfWork, project: Project, at: datetime, now: datetime) -> FollowUp:
    """Called when a project enters a follow-up state (energized): owned by its customer manager."""
    definition, cal = definition_of(project), calendar_for(uow, project.region)
    run = clocks.start_service_clock(uow, project, definition, cal, FOLLOW_UP, at)
    row = uow.follow_ups.add(FollowUp(id=uuid.uuid4(), project_id=project.id,
                                      owner_staff_id=project.customer_manager_id, opened_at=at, clock_run_id=run.id))
    uow.follow_ups.flush()
    events.record(uow, "follow_up.opened", project=project, actor=None, occurred_at=at, now=now,
                  data={"follow_up_id": str(row.id), "owner_staff_id": str(project.customer_manager_id),
                        "deadline_at": run.deadline_at.isoformat()})
    return row


def close(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID, *, channel: str, contacted_on: date,
          satisfaction: int, times_match_records: bool, issues: list[str], comment: str | None,
          now: datetime) -> FollowUp:
    project = visible_project(uow, actor, project_id)
    row = uow.follow_ups.of_project(project.id)
    if row is None:
        raise NotFound("follow-up of project", project_id)
    allowed = actor.is_admin or "supervisor" in actor.roles or (
        actor.kind == "staff" and actor.id in {str(row.owner_staff_id), str(project.project_manager_id)})
    if not allowed:
        raise Forbidden("the follow-up is closed by its owner (the customer manager), the project manager, a "
                        "supervisor or an admin")
    if row.closed_at is not None:
        raise NotNow(f"the follow-up was closed already at {row.closed_at.isoformat()}")
    cal = calendar_for(uow, project.region)
    if contacted_on > cal.local(now).date() or contacted_on < cal.local(row.opened_at).date():
        raise InvalidInput([FieldProblem("/contacted_on", "must lie between energization and today")])
    row.closed_at, row.closed_by, row.channel, row.contacted_on = now, actor_label(actor), channel, contacted_on
    row.satisfaction, row.times_match_records, row.issues, row.comment = (satisfaction, times_match_records,
                                                                          issues, comment)
    definition = definition_of(project)
    run = uow.clocks.to_stop(row.clock_run_id) if row.clock_run_id else None
    if run is not None and run.stopped_at is None:
        escalations.on_clocks_stopped(uow, project, [clocks.stop_run(run, definition, cal, now)], now)
    events.record(uow, "follow_up.closed", project=project, actor=actor, occurred_at=now, now=now, data={
        "follow_up_id": str(row.id), "channel": channel, "satisfaction": satisfaction,
        "times_match_records": times_match_records, "issues": issues})
    problems = []
    if satisfaction <= POOR:
        problems.append(f"satisfaction {satisfaction}/5")
    if not times_match_records:
        problems.append("the customer says the times do not match our records")
    if problems:
        escalations.raise_for(
            uow, project, dedupe_key=f"quality:follow_up:{row.id}", kind="quality", level=2,
            recipients_role="supervisors", now=now,
            explanation=f"{project.number} {project.title}: follow-up by {channel} found "
                        f"{'; '.join(problems)}" + (f"; issues: {', '.join(issues)}" if issues else "") + ".")
    uow.follow_ups.flush()
    uow.commit()
    return row


def of_project(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID) -> list[FollowUp]:
    if actor.kind == "customer":
        raise Forbidden("follow-ups are the utility's records")
    row = uow.follow_ups.of_project(visible_project(uow, actor, project_id).id)
    return [row] if row else []


def rate(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID, *, satisfaction: int, comment: str | None,
         now: datetime) -> Feedback:
    """The customer rates its own energized project, once."""
    project = visible_project(uow, actor, project_id)
    if actor.kind != "customer":
        raise Forbidden("feedback is the customer's own rating")
    if not definition_of(project).state(project.state).follow_up:
        raise NotNow("a project can be rated once it is energized")
    if uow.follow_ups.feedback_of(project.id) is not None:
        raise AlreadyExists("this project has been rated already", "")
    row = uow.follow_ups.add(Feedback(id=uuid.uuid4(), project_id=project.id, satisfaction=satisfaction,
                                      comment=comment, created_at=now))
    try:
        uow.follow_ups.flush()
    except Conflict:
        raise AlreadyExists("this project has been rated already", "") from None
    events.record(uow, "feedback.received", project=project, actor=actor, occurred_at=now, now=now,
                  data={"feedback_id": str(row.id), "satisfaction": satisfaction})
    if satisfaction <= POOR:
        escalations.raise_for(
            uow, project, dedupe_key=f"quality:feedback:{row.id}", kind="quality", level=2,
            recipients_role="supervisors", now=now,
            explanation=f"{project.number} {project.title}: the customer rated the connection {satisfaction}/5"
                        + (f": {comment}" if comment else "") + ".")
    uow.commit()
    return row
