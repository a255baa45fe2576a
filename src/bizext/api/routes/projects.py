"""Projects: applications, their actions (forms), transitions, stages and owners."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from bizext.api.answers import json_answer
from bizext.api.deps import (
    CurrentPrincipal,
    Cursor,
    IfMatch,
    Limit,
    Now,
    ReadDep,
    RefuseNul,
    UnitOfWorkDep,
    after,
)
from bizext.api.idempotency import Idempotent
from bizext.api.observability import TRANSITIONS
from bizext.api.problems import documented
from bizext.api.schemas.common import Label, Owner, Page, encode_cursor
from bizext.api.schemas.projects import (
    ActionOut,
    ActionsOut,
    AssignmentOut,
    FiredOut,
    OwnerIn,
    ProjectIn,
    ProjectOut,
    StageOut,
    TransitionIn,
    TransitionOut,
    owner_out,
)
from bizext.db.session import UnitOfWork
from bizext.services import projects, transitions
from bizext.workflow.engine import Actor
from bizext.workflow.errors import OwnerRef

router = APIRouter(prefix="/v1/projects", tags=["projects"], responses=documented(401, 403), dependencies=[RefuseNul])
ProjectId = Annotated[uuid.UUID, "project id"]


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProjectOut,
             responses=documented(400, 409, 422),
             summary="Receive an application for a connection")
def create_project(body: ProjectIn, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                   idem: Idempotent) -> Response:
    d = projects.create(uow, actor, projects.NewProject(**body.model_dump()), now)
    return idem.respond(201, ProjectOut.of(d), {"Location": f"/v1/projects/{d.project.id}",
                                                "ETag": f'"{d.project.version}"'})


@router.get("", response_model=Page[ProjectOut], responses=documented(422),
            summary="List projects (newest first), filtered; customers see only their own")
async def list_projects(read: ReadDep,
                        state: str | None = Query(None, max_length=50),
                        owner_id: uuid.UUID | None = Query(None, description="current stage owner (staff id)"),
                        customer_id: uuid.UUID | None = None,
                        region: str | None = Query(None, max_length=100),
                        workflow: str | None = Query(None, max_length=50),
                        cursor: Cursor = None, limit: Limit = 50) -> Response:
    filters = {"state": state, "owner_staff_id": owner_id, "customer_id": customer_id, "region": region,
               "workflow_key": workflow}
    start = after(cursor)

    def page(uow: UnitOfWork, actor: Actor, now: datetime) -> Response:
        rows = projects.listing(uow, actor, filters=filters, after=start, limit=limit, now=now)
        nxt = encode_cursor(rows[-1].project.created_at, rows[-1].project.id) if len(rows) == limit else None
        return json_answer({"items": [ProjectOut.document(d) for d in rows], "next_cursor": nxt})

    return await read(page)


@router.get("/{project_id}", response_model=ProjectOut, responses=documented(404, 422))
async def get_project(project_id: uuid.UUID, read: ReadDep) -> Response:
    def one(uow: UnitOfWork, actor: Actor, now: datetime) -> Response:
        d = projects.get(uow, actor, project_id, now)
        return json_answer(ProjectOut.document(d), {"ETag": f'"{d.project.version}"'})

    return await read(one)


@router.get("/{project_id}/actions", response_model=ActionsOut, responses=documented(404, 422),
            summary="The transitions out of the current state, as forms for the caller")
def get_actions(project_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                response: Response) -> ActionsOut:
    d, actions = transitions.actions(uow, actor, project_id, now)
    _etag(response, d.project.version)
    return ActionsOut(project_id=d.project.id, state=d.project.state, version=d.project.version, actions=[
        ActionOut(name=a.transition.name, label=Label(**a.transition.label.as_dict()), to=a.to,
                  owner=owner_out(a.owner), allowed=a.allowed, blocked_reason=a.blocked_reason,  # type: ignore[arg-type]
                  input_schema=dict(a.transition.input_schema))
        for a in actions])


@router.post("/{project_id}/transitions", status_code=status.HTTP_201_CREATED, response_model=FiredOut,
             responses=documented(400, 404, 409, 412, 422), summary="Fire a transition (the stage owner)")
def fire_transition(project_id: uuid.UUID, body: TransitionIn, uow: UnitOfWorkDep, actor: CurrentPrincipal,
                    now: Now, idem: Idempotent, if_match: IfMatch = None) -> Response:
    request = transitions.FireRequest(name=body.name, input=body.input, comment=body.comment,
                                      occurred_at=body.occurred_at, admin_reason=body.admin_reason)
    fired = transitions.fire(uow, actor, project_id, request, if_match=if_match, now=now)
    TRANSITIONS.labels(fired.project.project.workflow_key, fired.record.name).inc()
    body = FiredOut(transition=TransitionOut.of(fired.record), project=ProjectOut.of(fired.project))
    return idem.respond(201, body, {"Location": f"/v1/projects/{project_id}/transitions/{fired.record.seq}",
                                    "ETag": f'"{fired.project.project.version}"'})


@router.get("/{project_id}/transitions", response_model=list[TransitionOut], responses=documented(404, 422),
            summary="Transition history, oldest first")
def list_transitions(project_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal) -> list[TransitionOut]:
    return [TransitionOut.of(r) for r in transitions.history(uow, actor, project_id)]


@router.get("/{project_id}/stages", response_model=list[StageOut], responses=documented(404, 422),
            summary="Stage occurrences (one per visit to a state), oldest first")
def list_stages(project_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal) -> list[StageOut]:
    rows, names = transitions.stages(uow, actor, project_id)
    return [StageOut(id=r.id, state=r.state, visit=r.visit, entered_at=r.entered_at, left_at=r.left_at,
                     owner=_stage_owner(r, names)) for r in rows]


def _stage_owner(r: object, names: dict[uuid.UUID, str]) -> Owner | None:
    kind = getattr(r, "owner_kind", None)
    staff_id = getattr(r, "owner_staff_id", None)
    if kind is None:
        return None
    return owner_out(OwnerRef(kind, str(staff_id) if staff_id else None, names.get(staff_id) if staff_id else None))


@router.get("/{project_id}/assignments", response_model=list[AssignmentOut], responses=documented(404, 422),
            summary="Every owner given to a stage, oldest first")
def list_assignments(project_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal) -> list[AssignmentOut]:
    return [AssignmentOut(id=a.id, stage_occurrence_id=a.stage_occurrence_id, state=a.state,
                          owner=Owner(kind=a.owner_kind, id=str(a.staff_id) if a.staff_id else None),
                          basis=a.basis, reason=a.reason, assigned_by=a.assigned_by, assigned_at=a.assigned_at)
            for a in transitions.assignments(uow, actor, project_id)]


@router.put("/{project_id}/owner", response_model=ProjectOut, responses=documented(400, 404, 409, 412, 422),
            summary="Reassign the current stage (project manager, supervisor, admin)")
def reassign_owner(project_id: uuid.UUID, body: OwnerIn, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                   idem: Idempotent, if_match: IfMatch = None) -> Response:
    d = projects.reassign(uow, actor, project_id, staff_id=body.staff_id, reason=body.reason,
                          if_match=if_match, now=now)
    return idem.respond(200, ProjectOut.of(d), {"ETag": f'"{d.project.version}"'})
