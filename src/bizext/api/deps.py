"""Request-scoped dependencies: the unit of work, the authenticated principal, and `now`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from bizext.api.schemas.common import decode_cursor
from bizext.db.session import Database, UnitOfWork
from bizext.services.principals import authenticate
from bizext.workflow.engine import Actor

_bearer = HTTPBearer(auto_error=False, description="a session token (POST /v1/sessions), an API token (`bxt_…`) "
                                                   "or BIZEXT_ADMIN_TOKEN")
_READS = {"GET", "HEAD", "OPTIONS"}
T = TypeVar("T")


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


# `async` although they do no I/O: FastAPI runs every sync dependency in the thread pool, a hop of its own.
async def _token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str | None:
    return credentials.credentials if credentials else None


async def _now(request: Request) -> datetime:
    return request.app.state.clock()


def _actor(request: Request, uow: Annotated[UnitOfWork, Depends(_uow)],
           token: Annotated[str | None, Depends(_token)], now: Annotated[datetime, Depends(_now)]) -> Actor:
    return authenticate(uow, token, request.app.state.settings.admin_token, now=now)


class Reader:
    """A read request's unit of work and principal, for the busiest reads (a project, a work list, open
    escalations): the caller is authenticated in one worker-thread call while the dependencies are solved (so a
    bad token is still a 401 before any parameter is looked at), then `await reader(work)` runs the read and
    shapes the answer in one more, and ends the unit of work there. With `UnitOfWorkDep` and `CurrentPrincipal`
    a request takes six trips to the thread pool (each sync dependency one, the unit of work two, the endpoint
    one, the response's validation one), and for these reads the trips cost more CPU than the read itself."""

    def __init__(self, uow: UnitOfWork, actor: Actor, now: datetime):
        self.uow, self.actor, self.now = uow, actor, now
        self._open = True

    async def __call__(self, work: Callable[[UnitOfWork, Actor, datetime], T]) -> T:
        return await run_in_threadpool(self._run, work)

    def _run(self, work: Callable[[UnitOfWork, Actor, datetime], T]) -> T:
        self._open = False
        try:
            result = work(self.uow, self.actor, self.now)
        except BaseException as exc:
            self.uow.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self.uow.__exit__(None, None, None)  # ends the unit of work: a read commits nothing
        return result

    def close(self) -> None:
        if self._open:
            self._open = False
            self.uow.__exit__(None, None, None)


def _open_and_authenticate(request: Request, token: str | None, now: datetime) -> Reader:
    uow = request.app.state.database.uow(read_only=True).__enter__()
    try:
        return Reader(uow, authenticate(uow, token, request.app.state.settings.admin_token, now=now), now)
    except BaseException as exc:
        uow.__exit__(type(exc), exc, exc.__traceback__)
        raise


async def _reader(request: Request, token: Annotated[str | None, Depends(_token)],
                  now: Annotated[datetime, Depends(_now)]) -> AsyncIterator[Reader]:
    reader = await run_in_threadpool(_open_and_authenticate, request, token, now)
    try:
        yield reader
    finally:
        if reader._open:  # the request failed before its read (a parameter refused): end the unit of work here
            await run_in_threadpool(reader.close)


UnitOfWorkDep = Annotated[UnitOfWork, Depends(_uow)]
#: For the routers that reach the database: `APIRouter(dependencies=[RefuseNul])`.
RefuseNul = Depends(refuse_nul_characters)
CurrentPrincipal = Annotated[Actor, Depends(_actor)]
#: For a hot read: the unit of work and principal in one, used from an `async def` endpoint (see `Reader`).
ReadDep = Annotated[Reader, Depends(_reader)]
#: The bearer token presented (sign-out revokes it; who-am-I reads its expiry).
BearerToken = Annotated[str | None, Depends(_token)]
Now = Annotated[datetime, Depends(_now)]
IfMatch = Annotated[str | None, Header(alias="If-Match", description='strong ETag, e.g. "3"')]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor from the previous page")]
Limit = Annotated[int, Query(ge=1, le=200, description="page size (at most 200)")]


def after(cursor: str | None) -> tuple[datetime, object] | None:
    return decode_cursor(cursor)
