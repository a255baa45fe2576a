"""Signing in and out (sessions), and the passwords people sign in with."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Request, Response, status

from bizext.api.deps import BearerToken, CurrentPrincipal, Now, RefuseNul, UnitOfWorkDep
from bizext.api.idempotency import IdempotentSecret
from bizext.api.problems import documented
from bizext.api.schemas.sessions import AccountOut, PasswordIn, PrincipalOut, SessionOut, SignedInOut, SignInIn
from bizext.services import accounts, sessions
from bizext.workflow.engine import Actor

router = APIRouter(prefix="/v1", dependencies=[RefuseNul])
#: Tokens must not be kept by caches on the way (as RFC 6749 asks of token responses).
NO_STORE = {"Cache-Control": "no-store"}


def _principal(actor: Actor) -> PrincipalOut:
    return PrincipalOut(kind=actor.kind, id=actor.id, name=actor.name,  # type: ignore[arg-type]
                        roles=sorted(actor.roles))


@router.post("/sessions", status_code=status.HTTP_201_CREATED, response_model=SignedInOut, tags=["sessions"],
             responses=documented(400, 401, 422, 429), summary="Sign in: a login and password for a bearer token")
def sign_in(body: SignInIn, request: Request, now: Now, response: Response) -> SignedInOut:
    """No bearer token needed. The token works like an API token of the person until `expires_at`
    (BIZEXT_SESSION_TTL, 8 h by default) or sign-out. A wrong login and a wrong password get the same 401.
    Five failed attempts on a login within a minute lock it for a minute: 429 with `Retry-After`.
    An Idempotency-Key is not honoured here: a retry signs in again (nothing would be kept of a token but
    its hash, so it could not be replayed)."""
    ttl = timedelta(seconds=request.app.state.settings.session_ttl)
    session = sessions.sign_in(request.app.state.database, body.login, body.password, now=now, ttl=ttl)
    response.headers.update({**NO_STORE, "Location": "/v1/sessions/current"})
    return SignedInOut(token=session.token, expires_at=session.expires_at,  # type: ignore[arg-type]
                       principal=_principal(session.actor))


@router.get("/sessions/current", response_model=SessionOut, tags=["sessions"], responses=documented(401),
            summary="Who am I: the principal behind the bearer token (any kind of token)")
def who_am_i(uow: UnitOfWorkDep, actor: CurrentPrincipal, token: BearerToken, response: Response) -> SessionOut:
    session = sessions.current(uow, actor, token)
    response.headers.update(NO_STORE)
    return SessionOut(expires_at=session.expires_at, principal=_principal(session.actor))


@router.delete("/sessions/current", status_code=status.HTTP_204_NO_CONTENT, tags=["sessions"],
               responses=documented(401, 409), summary="Sign out: revoke the session token presented")
def sign_out(uow: UnitOfWorkDep, actor: CurrentPrincipal, token: BearerToken, now: Now) -> Response:
    """Only session tokens; an API token presented here gets 409 (revoke it with DELETE /v1/tokens/{id})."""
    sessions.sign_out(uow, actor, token, now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _account_out(d: accounts.AccountDetails) -> AccountOut:
    a = d.account
    return AccountOut(login=a.login, kind=a.principal_kind,  # type: ignore[arg-type]
                      id=a.staff_id or a.customer_id,  # type: ignore[arg-type]
                      name=d.name, password_set_at=a.password_set_at)


@router.put("/staff/{staff_id}/password", response_model=AccountOut, tags=["staff"],
            responses=documented(400, 401, 403, 404, 409, 422),
            summary="Set a staff member's password (admin); ends their sessions")
def set_staff_password(staff_id: uuid.UUID, body: PasswordIn, uow: UnitOfWorkDep, actor: CurrentPrincipal,
                       now: Now, idem: IdempotentSecret) -> Response:
    d = accounts.set_staff_password(uow, actor, staff_id, password=body.password, login=body.login, now=now)
    return idem.respond(200, _account_out(d))


@router.put("/customers/{customer_id}/password", response_model=AccountOut, tags=["customers"],
            responses=documented(400, 401, 403, 404, 409, 422),
            summary="Set a customer's password (admin); ends their sessions")
def set_customer_password(customer_id: uuid.UUID, body: PasswordIn, uow: UnitOfWorkDep, actor: CurrentPrincipal,
                          now: Now, idem: IdempotentSecret) -> Response:
    d = accounts.set_customer_password(uow, actor, customer_id, password=body.password, login=body.login, now=now)
    return idem.respond(200, _account_out(d))
