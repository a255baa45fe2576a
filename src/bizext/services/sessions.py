"""Signing in and out: a login and password exchanged for a short-lived bearer token (a session) that acts
exactly as the person would; and the lockout that keeps guessing slow.

Lockout: attempts on a login are counted in the database (every server process sees the same count) from
the first attempt of a one-minute window. An attempt is counted *before* its password is checked, so however
many arrive at once, at most five passwords are checked per window; the fifth failure locks the login for a
minute from then. A successful sign-in clears the count. Unknown logins are counted and locked the same way,
and their answer takes the same argon2 time, so nothing tells whether a login exists."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from bizext.db.models import ApiToken
from bizext.db.session import Database, UnitOfWork
from bizext.services import passwords
from bizext.services.accounts import LOGIN_MAX_LENGTH, normalise_login
from bizext.services.errors import NotASession, NotAuthenticated, SignInFailed, SignInLocked
from bizext.services.principals import hash_token, new_token, person, revoke
from bizext.workflow.engine import Actor

MAX_FAILURES = 5
WINDOW = timedelta(minutes=1)
LOCK = timedelta(minutes=1)


@dataclass(frozen=True)
class Session:
    actor: Actor
    expires_at: datetime | None  # None: an API token, valid until revoked
    token: str | None = None  # only when just signed in


@dataclass(frozen=True)
class _Candidate:
    """What the first transaction read of the account, for checking the password outside any transaction."""

    password_hash: str | None
    staff_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None


def sign_in(database: Database, login: str, password: str, *, now: datetime, ttl: timedelta) -> Session:
    """A new session for the person whose login and password these are; SignInFailed or SignInLocked if not.

    Three short transactions, so that no lock is held while argon2 works: count the attempt, check the
    password (no transaction), then issue the session or record the failure."""
    key = normalise_login(login)
    counted = key[:LOGIN_MAX_LENGTH]  # normalising may lengthen a login; no account has one that long
    with database.uow(write=True) as uow:
        _count_attempt(uow, counted, now)
        account = uow.accounts.by_login(key)
        candidate = (_Candidate(account.password_hash, account.staff_id, account.customer_id) if account
                     else _Candidate(None))
        uow.commit()
    matched = passwords.verify(candidate.password_hash, password)
    with database.uow(write=True) as uow:
        actor = _person_if_active(uow, candidate) if matched else None
        if actor is None:
            _record_failure(uow, counted, now)
            uow.commit()
            raise SignInFailed()
        uow.sign_in_throttles.forget(counted)
        if passwords.needs_rehash(candidate.password_hash):  # type: ignore[arg-type]
            account = uow.accounts.by_login(key)
            if account is not None:
                account.password_hash = passwords.hash_password(password)
        token, digest = new_token()
        uow.tokens.add(ApiToken(id=uuid.uuid4(), token_hash=digest, principal_kind=actor.kind, purpose="session",
                                staff_id=candidate.staff_id, customer_id=candidate.customer_id, created_at=now,
                                expires_at=now + ttl))
        uow.tokens.flush()
        uow.commit()
    return Session(actor, now + ttl, token)


def _count_attempt(uow: UnitOfWork, key: str, now: datetime) -> None:
    row = uow.sign_in_throttles.locked(key, now)
    if row.locked_until is not None and now < row.locked_until:
        raise SignInLocked(_seconds(row.locked_until - now))
    if row.locked_until is not None or now >= row.window_started_at + WINDOW:
        row.window_started_at, row.attempts, row.locked_until = now, 0, None
    if row.attempts >= MAX_FAILURES:  # five attempts of this window are still being checked
        raise SignInLocked(_seconds(row.window_started_at + WINDOW - now))
    row.attempts += 1


def _record_failure(uow: UnitOfWork, key: str, now: datetime) -> None:
    row = uow.sign_in_throttles.locked(key, now)
    if row.attempts >= MAX_FAILURES and row.locked_until is None:
        row.locked_until = now + LOCK


def _person_if_active(uow: UnitOfWork, candidate: _Candidate) -> Actor | None:
    try:
        return person(uow, staff_id=candidate.staff_id, customer_id=candidate.customer_id)
    except NotAuthenticated:  # an inactive staff member: refused like a wrong password
        return None


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def current(uow: UnitOfWork, actor: Actor, token: str | None) -> Session:
    """Who the presented token acts for, and until when (any kind of token)."""
    row = uow.tokens.by_hash(hash_token(token)) if token else None
    return Session(actor, row.expires_at if row is not None else None)


def sign_out(uow: UnitOfWork, actor: Actor, token: str | None, now: datetime) -> None:
    """Revoke the session whose token is presented. API tokens are revoked with DELETE /v1/tokens/{id}: a
    system's stray sign-out should not cut it off."""
    row = uow.tokens.by_hash(hash_token(token)) if token else None
    if row is None or row.purpose != "session":
        raise NotASession("this token is not a session; API tokens are revoked with DELETE /v1/tokens/{id}")
    revoke(row, now)
    uow.tokens.flush()
    uow.commit()


def purge(database: Database, now: datetime) -> tuple[int, int]:
    """Delete expired sessions and attempt counters that no longer count (the worker calls this)."""
    with database.uow(write=True) as uow:
        sessions = uow.sessions.purge_expired(now)
        counters = uow.sign_in_throttles.purge(now - WINDOW, now)
        uow.commit()
    return sessions, counters
