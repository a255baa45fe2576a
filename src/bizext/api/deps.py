"""Request-scoped dependencies: the unit of work, the authenticated principal, and `now`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bizext.api.schemas.common import decode_cursor
from bizext.db.session import Database, UnitOfWork
from bizext.services.principals import authenticate
from bizext.workflow.engine import Actor

_bearer = HTTPBearer(auto_error=False, description="a session token (POST /v1/sessions), an API token (`bxt_…`) "
                                                   "or BIZEXT_ADMIN_TOKEN")
_READS = {"GET", "HEAD", "OPTIONS"}


def _nul_paths(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Where, in a JSON document, a string (a value or a key) contains NUL."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield (*path, key)
            else:
                yield from _nul_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, (*path, index))


async def refuse_nul_characters(request: Request) -> None:
    """Refuse NUL characters (U+0000) anywhere in a request's parameters or JSON body: PostgreSQL cannot
    store or compare them, so without this check they would fail as a 500 there and pass on SQLite."""
    params = [("path", *item) for item in request.path_params.items()]
    params += [("query", *item) for item in request.query_params.multi_items()]
    problems: list[tuple[str | int, ...]] = [(where, name) for where, name, value in params
                                             if "\x00" in f"{name}{value}"]
    if request.method not in _READS:
        try:
            body = await request.json()  # parsed (and cached) by FastAPI already for JSON bodies
        except ValueError:  # not JSON: the route's own body validation answers
            body = None
        problems += [("body", *path) for path in _nul_paths(body)]
    if problems:
        raise RequestValidationError([{"type": "value_error", "loc": loc, "input": None,
                                       "msg": "must not contain NUL characters (U+0000)"} for loc in problems])


def _uow(request: Request) -> Iterator[UnitOfWork]:
    database: Database = request.app.state.database
    # Writers announce themselves up front (SQLite then queues them instead of failing); the use case
    # commits explicitly, so leaving here without a commit rolls back.
    with database.uow(write=request.method not in _READS) as uow:
        yield uow


def _token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str | None:
    return credentials.credentials if credentials else None


def _now(request: Request) -> datetime:
    return request.app.state.clock()


def _actor(request: Request, uow: Annotated[UnitOfWork, Depends(_uow)],
           token: Annotated[str | None, Depends(_token)], now: Annotated[datetime, Depends(_now)]) -> Actor:
    return authenticate(uow, token, request.app.state.settings.admin_token, now=now)


UnitOfWorkDep = Annotated[UnitOfWork, Depends(_uow)]
#: For the routers that reach the database: `APIRouter(dependencies=[RefuseNul])`.
RefuseNul = Depends(refuse_nul_characters)
CurrentPrincipal = Annotated[Actor, Depends(_actor)]
#: The bearer token presented (sign-out revokes it; who-am-I reads its expiry).
BearerToken = Annotated[str | None, Depends(_token)]
Now = Annotated[datetime, Depends(_now)]
IfMatch = Annotated[str | None, Header(alias="If-Match", description='strong ETag, e.g. "3"')]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor from the previous page")]
Limit = Annotated[int, Query(ge=1, le=200, description="page size (at most 200)")]


def after(cursor: str | None) -> tuple[datetime, object] | None:
    return decode_cursor(cursor)
