"""Request-scoped dependencies: the unit of work, the authenticated principal, and `now`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bizext.api.schemas.common import decode_cursor
from bizext.db.session import Database, UnitOfWork
from bizext.services.principals import authenticate
from bizext.workflow.engine import Actor

_bearer = HTTPBearer(auto_error=False, description="an API token (`bxt_…`) or BIZEXT_ADMIN_TOKEN")
_READS = {"GET", "HEAD", "OPTIONS"}


def _uow(request: Request) -> Iterator[UnitOfWork]:
    database: Database = request.app.state.database
    # Writers announce themselves up front (SQLite then queues them instead of failing); the use case
    # commits explicitly, so leaving here without a commit rolls back.
    with database.uow(write=request.method not in _READS) as uow:
        yield uow


def _actor(request: Request, uow: Annotated[UnitOfWork, Depends(_uow)],
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
    token = credentials.credentials if credentials else None
    return authenticate(uow, token, request.app.state.settings.admin_token)


def _now(request: Request) -> datetime:
    return request.app.state.clock()


UnitOfWorkDep = Annotated[UnitOfWork, Depends(_uow)]
CurrentPrincipal = Annotated[Actor, Depends(_actor)]
Now = Annotated[datetime, Depends(_now)]
IfMatch = Annotated[str | None, Header(alias="If-Match", description='strong ETag, e.g. "3"')]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor from the previous page")]
Limit = Annotated[int, Query(ge=1, le=200, description="page size (at most 200)")]


def after(cursor: str | None) -> tuple[datetime, object] | None:
    return decode_cursor(cursor)
