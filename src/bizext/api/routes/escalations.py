"""Escalations and the escalation check (the sweep external schedulers call)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, Request, Response

from bizext.api.answers import json_answer
from bizext.api.deps import CurrentPrincipal, Cursor, IfMatch, Limit, Now, ReadDep, RefuseNul, UnitOfWorkDep, after
from bizext.api.idempotency import Idempotent
from bizext.api.observability import ESCALATIONS, SWEEP_SECONDS
from bizext.api.problems import documented
from bizext.api.schemas.clocks import AcknowledgeIn, EscalationOut, SweepOut
from bizext.api.schemas.common import Page, encode_cursor
from bizext.db.session import UnitOfWork
from bizext.services import escalations
from bizext.workflow.engine import Actor

router = APIRouter(prefix="/v1", tags=["escalations"], responses=documented(401, 403, 422), dependencies=[RefuseNul])


@router.get("/escalations", response_model=Page[EscalationOut], summary="Escalations, newest first")
async def list_escalations(
    read: ReadDep,
    status: Literal["open", "acknowledged", "resolved"] | None = None,
    level: int | None = Query(None, ge=0, le=9),
    kind: Literal["warning", "breach", "unassigned", "owner_suspended", "quality"] | None = None,
    project_id: uuid.UUID | None = None,
    recipient_id: str | None = Query(None, pattern=r"^(me|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$",
                                     description="a staff id, or `me`"),
    cursor: Cursor = None, limit: Limit = 50,
) -> Response:
    filters = {"status": status, "level": level, "kind": kind, "project_id": project_id}
    start = after(cursor)

    def page(uow: UnitOfWork, actor: Actor, now: datetime) -> Response:
        rows = escalations.listing(uow, actor, filters=filters, recipient=recipient_id, after=start, limit=limit)
        nxt = encode_cursor(rows[-1].row.raised_at, rows[-1].row.id) if len(rows) == limit else None
        return json_answer({"items": [EscalationOut.document(d) for d in rows], "next_cursor": nxt})

    return await read(page)


@router.get("/escalations/{escalation_id}", response_model=EscalationOut, responses=documented(404))
def get_escalation(escalation_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal,
                   response: Response) -> EscalationOut:
    d = escalations.get(uow, actor, escalation_id)
    response.headers["ETag"] = f'"{d.row.version}"'
    return EscalationOut.of(d)


@router.post("/escalations/{escalation_id}/acknowledge", response_model=EscalationOut,
             responses=documented(400, 404, 409, 412), summary="Acknowledge with a note (a recipient, or an admin)")
def acknowledge(escalation_id: uuid.UUID, body: AcknowledgeIn, uow: UnitOfWorkDep, actor: CurrentPrincipal,
                now: Now, idem: Idempotent, if_match: IfMatch = None) -> Response:
    d = escalations.acknowledge(uow, actor, escalation_id, body.note, if_match=if_match, now=now)
    return idem.respond(200, EscalationOut.of(d), {"ETag": f'"{d.row.version}"'})


@router.post("/escalation-checks", response_model=SweepOut,
             summary="Run one escalation sweep now (idempotent; for external schedulers)")
def escalation_check(request: Request, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                     idem: Idempotent) -> Response:
    with SWEEP_SECONDS.time():
        result, raised = escalations.check(uow, actor, request.app.state.database, now)
    for d in raised:
        ESCALATIONS.labels(str(d.row.level)).inc()
    return idem.respond(200, SweepOut(checked_at=result.checked_at, raised=[EscalationOut.of(d) for d in raised],
                                      runs_examined=result.runs_examined))
