"""Questions and answers, follow-ups and customer feedback on a project."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from bizext.api.deps import CurrentPrincipal, Now, RefuseNul, UnitOfWorkDep
from bizext.api.idempotency import Idempotent
from bizext.api.problems import documented
from bizext.api.schemas.service import FeedbackIn, FeedbackOut, FollowUpIn, FollowUpOut, MessageIn, MessageOut
from bizext.services import follow_ups, messages

router = APIRouter(prefix="/v1/projects", tags=["customer service"], responses=documented(401, 403, 404, 422),
                   dependencies=[RefuseNul])


@router.post("/{project_id}/messages", status_code=201, response_model=MessageOut, responses=documented(400),
             summary="Ask (customer), answer or add an internal note (staff on the project)")
def post_message(project_id: uuid.UUID, body: MessageIn, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                 idem: Idempotent) -> Response:
    row = messages.post(uow, actor, project_id, body=body.body, kind=body.kind, reply_to=body.reply_to, now=now)
    return idem.respond(201, MessageOut.of(row))


@router.get("/{project_id}/messages", response_model=list[MessageOut],
            summary="Questions and answers, oldest first (staff also see internal notes)")
def list_messages(project_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal) -> list[MessageOut]:
    return [MessageOut.of(m) for m in messages.listing(uow, actor, project_id)]


@router.post("/{project_id}/follow-ups", response_model=FollowUpOut, responses=documented(400, 409),
             summary="Close the follow-up (回访) with its outcome")
def close_follow_up(project_id: uuid.UUID, body: FollowUpIn, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                    idem: Idempotent) -> Response:
    row = follow_ups.close(uow, actor, project_id, channel=body.channel, contacted_on=body.contacted_on,
                           satisfaction=body.satisfaction, times_match_records=body.times_match_records,
                           issues=body.issues, comment=body.comment, now=now)
    return idem.respond(200, FollowUpOut.of(row))


@router.get("/{project_id}/follow-ups", response_model=list[FollowUpOut],
            summary="The project's follow-up: none before energization, then one")
def list_follow_ups(project_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal) -> list[FollowUpOut]:
    return [FollowUpOut.of(f) for f in follow_ups.of_project(uow, actor, project_id)]


@router.post("/{project_id}/feedback", status_code=201, response_model=FeedbackOut, responses=documented(400, 409),
             summary="The customer rates its energized project (once)")
def post_feedback(project_id: uuid.UUID, body: FeedbackIn, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                  idem: Idempotent) -> Response:
    row = follow_ups.rate(uow, actor, project_id, satisfaction=body.satisfaction, comment=body.comment, now=now)
    return idem.respond(201, FeedbackOut.of(row))
