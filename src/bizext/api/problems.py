"""The one table that maps refusals to RFC 9457 problem+json responses (domain errors never know HTTP)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from bizext.api.idempotency import Replay, replay_response
from bizext.api.observability import request_id
from bizext.api.schemas.common import Problem
from bizext.services import errors as svc
from bizext.workflow import errors as dom

log = logging.getLogger("bizext.api")
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "/problems/"


@dataclass(frozen=True)
class Kind:
    status: int
    slug: str
    title: str
    extra: Callable[[Any], dict[str, Any]] = lambda exc: {}
    headers: Callable[[Any], dict[str, str]] = lambda exc: {}


def _field_errors(exc: dom.InvalidInput) -> dict[str, Any]:
    return {"errors": [{"pointer": e.pointer, "message": e.message} for e in exc.errors]}


#: Exception class → problem. Looked up along the exception's MRO, most specific first.
KINDS: dict[type[Exception], Kind] = {
    svc.NotAuthenticated: Kind(401, "not-authenticated", "Authentication required"),
    svc.SignInFailed: Kind(401, "sign-in-failed", "Sign-in failed"),
    svc.SignInLocked: Kind(429, "sign-in-locked", "Too many failed sign-in attempts",
                           lambda e: {"retry_after": e.retry_after}, lambda e: {"Retry-After": str(e.retry_after)}),
    svc.NotASession: Kind(409, "not-a-session", "Not a session"),
    svc.Forbidden: Kind(403, "forbidden", "Not permitted"),
    dom.NotResponsible: Kind(403, "not-responsible", "Not the responsible owner",
                             lambda e: {"transition_name": e.transition, "owner": vars(e.owner)}),
    svc.NotFound: Kind(404, "not-found", "Not found"),
    dom.UnknownWorkflow: Kind(404, "not-found", "Not found"),
    dom.TransitionNotAllowed: Kind(409, "transition-not-allowed", "Transition not allowed from this state",
                                   lambda e: {"transition_name": e.name, "state": e.state, "allowed": e.allowed}),
    dom.TransitionBlocked: Kind(409, "transition-blocked", "Transition blocked by a guard",
                                lambda e: {"transition_name": e.name, "reasons": e.reasons, "guards": e.guards}),
    svc.ConcurrentModification: Kind(409, "concurrent-modification", "Changed by another request"),
    svc.DuplicateExternalRef: Kind(409, "duplicate-external-ref", "Duplicate external reference",
                                   lambda e: {"external_ref": e.external_ref,
                                              "existing_project_id": str(e.existing_id) if e.existing_id
                                              else None}),
    svc.AlreadyExists: Kind(409, "already-exists", "Already exists",
                            lambda e: {"errors": [{"pointer": e.pointer, "message": str(e)}]}),
    svc.StageNotReassignable: Kind(409, "stage-not-reassignable", "Stage cannot be reassigned"),
    svc.NotNow: Kind(409, "not-possible-now", "Not possible in the current state"),
    svc.HoldClosed: Kind(409, "hold-closed", "Hold closed"),
    svc.IdempotencyKeyInProgress: Kind(409, "idempotency-key-in-progress", "Idempotent request in progress"),
    svc.IdempotencyKeyReused: Kind(422, "idempotency-key-reused", "Idempotency-Key reused with another body"),
    svc.VersionMismatch: Kind(412, "version-mismatch", "Precondition failed: stale version",
                              lambda e: {"current_version": e.current}),
    dom.InvalidInput: Kind(422, "invalid-input", "Invalid input", _field_errors),
    dom.OwnerNotEligible: Kind(422, "owner-not-eligible", "Owner not eligible",
                               lambda e: {"errors": [{"pointer": e.pointer, "message": e.why}],
                                          "staff_id": e.staff_id, "role": e.role}),
}

#: Problems raised by the framework itself, by status.
HTTP_KINDS = {
    400: Kind(400, "bad-request", "Bad request"),
    401: Kind(401, "not-authenticated", "Authentication required"),
    404: Kind(404, "not-found", "Not found"),
    405: Kind(405, "method-not-allowed", "Method not allowed"),
    406: Kind(406, "not-acceptable", "Not acceptable"),
    413: Kind(413, "payload-too-large", "Request body too large"),
    415: Kind(415, "unsupported-media-type", "Unsupported media type"),
}
INTERNAL = Kind(500, "internal-error", "Internal error")


def problem_response(kind: Kind, detail: str | None, request: Request, extra: dict[str, Any] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + kind.slug, "title": kind.title, "status": kind.status,
                            "detail": detail, "instance": request.url.path, "request_id": request_id.get()}
    body.update(extra or {})
    return JSONResponse(body, status_code=kind.status, media_type=PROBLEM_JSON, headers=headers)


def _kind_of(exc: Exception) -> Kind | None:
    for cls in type(exc).__mro__:
        if cls in KINDS:
            return KINDS[cls]
    return None


def _pointer(loc: tuple[Any, ...]) -> dict[str, str]:
    where, *path = loc or ("body",)
    if where == "body":
        return {"pointer": "".join(f"/{p}" for p in path)}
    return {"parameter": str(path[0]) if path else str(where), "in": str(where)}


def install(app: FastAPI) -> None:
    @app.exception_handler(svc.ServiceError)
    @app.exception_handler(dom.DomainError)
    async def _known(request: Request, exc: Exception) -> JSONResponse:
        kind = _kind_of(exc)
        if kind is None:  # a refusal nobody mapped: a bug, but still no stack trace to the client
            log.error("unmapped refusal %r", exc)
            return problem_response(INTERNAL, "unexpected refusal", request)
        headers = {"WWW-Authenticate": "Bearer"} if kind.status == 401 else {}
        return problem_response(kind, str(exc), request, kind.extra(exc), {**headers, **kind.headers(exc)})

    @app.exception_handler(Replay)
    async def _replay(request: Request, exc: Replay) -> Response:
        return replay_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            if err.get("type") == "json_invalid":
                errors.append({"pointer": "", "message": "the body is not valid JSON"})
                continue
            errors.append({**_pointer(loc), "message": err.get("msg", "invalid")})
        return problem_response(KINDS[dom.InvalidInput], "the request has invalid fields", request,
                                {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = HTTP_KINDS.get(exc.status_code, Kind(exc.status_code, f"http-{exc.status_code}", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(kind, detail, request, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(INTERNAL, "an internal error occurred; it has been logged", request)


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems a route can answer with."""
    descriptions = {400: "Bad request", 401: "Missing or invalid bearer token", 403: "Not permitted",
                    404: "Not found", 409: "Conflict with the current state", 412: "If-Match is stale",
                    413: "Body too large", 422: "Invalid input", 429: "Too many attempts; see Retry-After"}
    return {s: {"model": Problem, "description": descriptions.get(s, "Problem"),
                "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for s in statuses}
