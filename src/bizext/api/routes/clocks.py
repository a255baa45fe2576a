"""Clocks and holds of a project."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from bizext.api.deps import CurrentPrincipal, Now, RefuseNul, UnitOfWorkDep
from bizext.api.idempotency import Idempotent
from bizext.api.problems import documented
from bizext.api.schemas.clocks import ClockOut, EscalationOut, HistoryEntry, HoldIn, HoldOut, HoldRelease
from bizext.services import clocks, escalations, history, holds
from bizext.services.calendars import calendar_for
from bizext.services.principals import visible_project
from bizext.services.projects import definition_of

router = APIRouter(prefix="/v1/projects", tags=["clocks and holds"], responses=documented(401, 403, 404, 422),
                   dependencies=[RefuseNul])


@router.get("/{project_id}/clocks", response_model=list[ClockOut],
            summary="Every clock run of the project, current and past, oldest first")
def list_clocks(project_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now) -> list[ClockOut]:
    project = visible_project(uow, actor, project_id)
    views = clocks.views(definition_of(project), calendar_for(uow, project.region),
                         uow.clocks.of_project(project.id), now)
    return [ClockOut.of(v) for v in views]


@router.post("/{project_id}/holds", status_code=status.HTTP_201_CREATED, response_model=HoldOut,
             responses=documented(400, 409), summary="Place a hold: pauses the clocks (customer or external party)")
def place_hold(project_id: uuid.UUID, body: HoldIn, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
               idem: Idempotent) -> Response:
    hold = holds.place(uow, actor, project_id, reason=body.reason, party=body.party, at=body.occurred_at, now=now)
    return idem.respond(201, HoldOut.of(hold), {"Location": f"/v1/projects/{project_id}/holds/{hold.id}"})


@router.post("/{project_id}/holds/{hold_id}/release", response_model=HoldOut, responses=documented(400, 409),
             summary="Release a hold: the clocks resume")
def release_hold(project_id: uuid.UUID, hold_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal,
                 now: Now, idem: Idempotent, body: HoldRelease | None = None) -> Response:
    at = body.occurred_at if body else None
    return idem.respond(200, HoldOut.of(holds.release(uow, actor, project_id, hold_id, at=at, now=now)))


@router.get("/{project_id}/holds", response_model=list[HoldOut], summary="Every hold, oldest first")
def list_holds(project_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal) -> list[HoldOut]:
    return [HoldOut.of(h) for h in holds.of_project(uow, actor, project_id)]


@router.get("/{project_id}/escalations", response_model=list[EscalationOut],
            summary="Escalations raised on this project, newest first")
def project_escalations(project_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal) -> list[EscalationOut]:
    return [EscalationOut.of(d) for d in escalations.of_project(uow, actor, project_id)]


@router.get("/{project_id}/history", response_model=list[HistoryEntry],
            summary="Transitions, assignments, holds and escalations on one timeline, oldest first")
def project_history(project_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal) -> list[HistoryEntry]:
    return [HistoryEntry(at=e.at, type=e.type, summary=e.summary, data=e.data)
            for e in history.timeline(uow, actor, project_id)]
