"""Idempotency-Key on writes: the first completed answer is stored in the same transaction as the change and
replayed byte for byte to a retry with the same key and body (scoped to principal, method and path)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from pydantic import BaseModel

from bizext.api.deps import CurrentPrincipal, Now, UnitOfWorkDep
from bizext.db.models import IdempotencyKey
from bizext.db.repositories import Conflict
from bizext.db.session import UnitOfWork
from bizext.services import passwords
from bizext.services.errors import IdempotencyKeyInProgress, IdempotencyKeyReused
from bizext.services.principals import actor_label
from bizext.workflow.errors import FieldProblem, InvalidInput

#: Response headers worth replaying; the rest (dates, lengths) are the server's to set again.
KEPT_HEADERS = ("location", "etag", "content-type")
REPLAYED = "Idempotent-Replayed"


class Replay(Exception):
    """Raised by the dependency when a stored answer exists: the handler sends it instead of running.
    It carries a copy of the answer: the unit of work is rolled back (and its rows expired) on the way out."""

    def __init__(self, row: IdempotencyKey):
        self.status_code, self.headers, self.body = row.status_code, dict(row.headers), bytes(row.body)


def replay_response(replay: Replay) -> Response:
    return Response(content=replay.body, status_code=replay.status_code, headers={**replay.headers, REPLAYED: "true"})


class Idempotency:
    """What a write route uses to answer: `respond()` renders, stores (if keyed) and commits."""

    def __init__(self, uow: UnitOfWork, record: dict[str, Any] | None):
        self.uow, self.record = uow, record

    def respond(self, status_code: int, body: BaseModel | None, headers: dict[str, str] | None = None) -> Response:
        content = body.model_dump_json().encode() if body is not None else b""
        headers = dict(headers or {})
        if body is not None:
            headers["content-type"] = "application/json"
        if self.record is not None:
            kept = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
            self.uow.idempotency.add(IdempotencyKey(status_code=status_code, headers=kept, body=content,
                                                    **self.record))
            try:
                self.uow.idempotency.flush()
            except Conflict:
                raise IdempotencyKeyInProgress() from None
        self.uow.commit_now()
        return Response(content=content, status_code=status_code, headers=headers)


async def _request_hash(request: Request) -> str:
    body = await request.body()
    return hashlib.sha256(request.method.encode() + b" " + request.url.path.encode() + b"\n" + body).hexdigest()


async def _secret_request_hash(request: Request) -> str:
    """For bodies that carry a password: a slow, salted fingerprint (argon2), so that the stored request hash
    is no cheaper to attack than the password's own hash. Only computed when a key is sent."""
    key = request.headers.get("Idempotency-Key")
    if not key:
        return ""
    body = await request.body()
    salt = hashlib.sha256(f"{request.url.path}\n{key}".encode()).digest()
    data = request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
    return await run_in_threadpool(passwords.fingerprint, data, salt)  # argon2 must not block the event loop


KeyHeader = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255,
                                         description="retry-safe key, 1–255 printable characters")]


def _idempotency(request: Request, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                 request_hash: Annotated[str, Depends(_request_hash)], key: KeyHeader = None) -> Idempotency:
    if key is None:
        return Idempotency(uow, None)
    if not key.isprintable():
        raise InvalidInput([FieldProblem("", "Idempotency-Key must be printable characters")],
                           detail="invalid Idempotency-Key")
    principal, method, path = actor_label(actor), request.method, request.url.path
    lock_id = int.from_bytes(hashlib.sha256(f"{principal}\n{method}\n{path}\n{key}".encode()).digest()[:8],
                             "big", signed=True)
    if not uow.idempotency.lock(lock_id):
        raise IdempotencyKeyInProgress()
    stored = uow.idempotency.find(principal, method, path, key)
    if stored is not None and stored.expires_at > now:
        if stored.request_hash != request_hash:
            raise IdempotencyKeyReused()
        raise Replay(stored)
    if stored is not None:  # expired and not yet purged: this is a new request
        uow.session.delete(stored)
        uow.idempotency.flush()
    uow.hold_commit()
    ttl = timedelta(seconds=request.app.state.settings.idempotency_ttl)
    return Idempotency(uow, {"id": uuid.uuid4(), "principal": principal, "method": method, "path": path,
                             "key": key, "request_hash": request_hash, "created_at": now,
                             "expires_at": now + ttl})


def _idempotency_of_secret(request: Request, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                           request_hash: Annotated[str, Depends(_secret_request_hash)],
                           key: KeyHeader = None) -> Idempotency:
    return _idempotency(request, uow, actor, now, request_hash, key)


Idempotent = Annotated[Idempotency, Depends(_idempotency)]
#: For writes whose body carries a password (see _secret_request_hash).
IdempotentSecret = Annotated[Idempotency, Depends(_idempotency_of_secret)]


def purge_expired(uow: UnitOfWork, now: datetime) -> int:
    n = uow.idempotency.purge(now)
    uow.commit()
    return n
