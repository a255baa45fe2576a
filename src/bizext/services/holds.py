"""Holds (暂停/挂起): a recorded pause of a project's clocks, with its reason and responsible party."""

from __future__ import annotations

import uuid
from datetime import datetime

from bizext.db.models import Hold, Project
from bizext.db.session import UnitOfWork
from bizext.services import clocks, events
from bizext.services.calendars import calendar_for
from bizext.services.errors import Forbidden, HoldClosed, NotFound
from bizext.services.principals import actor_label, visible_project
from bizext.services.projects import definition_of
from bizext.workflow.engine import Actor, occurred_at

PARTIES = ("customer", "external", "utility")


def _may_manage(actor: Actor, project: Project, party: str) -> None:
    if actor.is_admin or "supervisor" in actor.roles:
        return
    if actor.kind == "staff" and actor.id in (str(project.customer_manager_id), str(project.project_manager_id)):
        return
    if actor.kind == "customer" and party == "customer":
        return  # visible_project already made sure it is the customer's own project
    raise Forbidden("holds are placed and released by the project's customer manager or project manager, a "
                    "supervisor or an admin; a customer may place a customer hold on its own project")


def place(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID, *, reason: str, party: str,
          at: datetime | None, now: datetime) -> Hold:
    """Pause every running clock (a `utility` hold is recorded but pauses nothing)."""
    project = visible_project(uow, actor, project_id)
    _may_manage(actor, project, party)
    definition = definition_of(project)
    if definition.state(project.state).terminal:
        raise HoldClosed(f"the project is {project.state}: there is nothing to hold")
    at = occurred_at(at, project.last_transition_at, now)
    hold = uow.holds.add(Hold(id=uuid.uuid4(), project_id=project.id, party=party, reason=reason,
                              placed_by=actor_label(actor), placed_at=at))
    uow.holds.flush()
    clocks.on_holds_changed(uow, project, definition, calendar_for(uow, project.region), at)
    events.record(uow, "hold.placed", project=project, actor=actor, occurred_at=at, now=now,
                  data={"hold_id": str(hold.id), "party": party, "reason": reason})
    uow.commit()
    return hold


def release(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID, hold_id: uuid.UUID, *, at: datetime | None,
            now: datetime) -> Hold:
    project = visible_project(uow, actor, project_id)
    hold = uow.holds.get(hold_id)
    if hold is None or hold.project_id != project.id:
        raise NotFound("hold", hold_id)
    _may_manage(actor, project, hold.party)
    if hold.released_at is not None:
        raise HoldClosed(f"the hold was released already at {hold.released_at.isoformat()}")
    at = occurred_at(at, hold.placed_at, now)
    hold.released_at, hold.released_by = at, actor_label(actor)
    uow.holds.flush()
    clocks.on_holds_changed(uow, project, definition_of(project), calendar_for(uow, project.region), at)
    events.record(uow, "hold.released", project=project, actor=actor, occurred_at=at, now=now,
                  data={"hold_id": str(hold.id), "party": hold.party})
    uow.commit()
    return hold


def of_project(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID) -> list[Hold]:
    return uow.holds.of_project(visible_project(uow, actor, project_id).id)

