"""The events feed: follow `after=` to never miss a change."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from bizext.api.deps import CurrentPrincipal, Limit, RefuseNul, UnitOfWorkDep
from bizext.api.problems import documented
from bizext.api.schemas.events import EventOut, EventPage
from bizext.services import events

router = APIRouter(prefix="/v1", tags=["events"], responses=documented(401, 403, 422), dependencies=[RefuseNul])
After = Annotated[int, Query(ge=0, le=2**63 - 1, description="the last sequence you processed; 0 to start at the beginning")]
Types = Annotated[list[str] | None, Query(alias="type", description="repeatable: only these event types")]


def _page(rows: list, after: int) -> EventPage:
    return EventPage(items=[EventOut.of(e) for e in rows], next_after=rows[-1].sequence if rows else after)


@router.get("/events", response_model=EventPage, responses=documented(404), summary="Events after a sequence number, oldest first")
def list_events(uow: UnitOfWorkDep, actor: CurrentPrincipal, after: After = 0, limit: Limit = 100,
                project_id: uuid.UUID | None = None, types: Types = None) -> EventPage:
    rows = events.feed(uow, actor, after=after, limit=limit, project_id=project_id, types=types)
    return _page(rows, after)


@router.get("/projects/{project_id}/events", response_model=EventPage, responses=documented(404),
            summary="One project's events after a sequence number, oldest first")
def project_events(project_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal, after: After = 0,
                   limit: Limit = 100, types: Types = None) -> EventPage:
    rows = events.feed(uow, actor, after=after, limit=limit, project_id=project_id, types=types)
    return _page(rows, after)
