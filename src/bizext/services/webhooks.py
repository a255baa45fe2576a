"""Webhooks: endpoints other systems register, and at-least-once, signed, per-project-ordered delivery of
events to them from an outbox (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature)."""

from __future__ import annotations

import base64
import ipaddress
import json
import random
import secrets
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from standardwebhooks.webhooks import Webhook as Signer

from bizext.db.models import Event, Webhook, WebhookDelivery
from bizext.db.session import Database, UnitOfWork
from bizext.services import events
from bizext.services.errors import Forbidden, NotFound
from bizext.services.principals import actor_label
from bizext.services.preconditions import check_if_match
from bizext.workflow.engine import Actor
from bizext.workflow.errors import FieldProblem, InvalidInput

TIMEOUT_SECONDS = 10
CLAIM_BATCH = 10
#: Longer than a whole claimed batch can take to send; a dead worker's claims come back after it.
LEASE = timedelta(seconds=CLAIM_BATCH * TIMEOUT_SECONDS + 30)
FIRST_RETRY_SECONDS = 5
MAX_RETRY_SECONDS = 3600
GIVE_UP_AFTER = timedelta(hours=24)  # an endpoint failing for this long is disabled
SECRET_OVERLAP = timedelta(hours=24)  # after a rotation, the old secret signs too for this long


# -- endpoints ---------------------------------------------------------------------------------------
def check_url(url: str, allow_private: bool, pointer: str = "/url") -> None:
    """Refuse URLs that are not http(s), or that resolve to loopback, link-local or private addresses
    (a webhook must not be a way into the utility's own network) unless explicitly allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput([FieldProblem(pointer, "must be an absolute http or https URL")])
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        raise InvalidInput([FieldProblem(pointer, f"host {parts.hostname!r} does not resolve")]) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise InvalidInput([FieldProblem(pointer, f"{parts.hostname} resolves to {address}, a loopback, "
                                                      "link-local or private address")])


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _may_manage(actor: Actor) -> None:
    if not (actor.is_admin or (actor.kind == "client" and "integration" in actor.roles)):
        raise Forbidden("webhooks are registered by admins and client systems")


def _owned(uow: UnitOfWork, actor: Actor, webhook_id: uuid.UUID) -> Webhook:
    _may_manage(actor)
    hook = uow.webhooks.get(webhook_id)
    if hook is None or (not actor.is_admin and hook.owner != actor_label(actor)):
        raise NotFound("webhook", webhook_id)
    return hook


def _check_types(types: list[str]) -> list[str]:
    unknown = sorted(set(types) - set(events.TYPES))
    if unknown:
        raise InvalidInput([FieldProblem("/event_types", f"unknown event types {unknown}; known: "
                                                         f"{', '.join(events.TYPES)}")])
    return sorted(set(types))


def create(uow: UnitOfWork, actor: Actor, *, url: str, event_types: list[str], description: str | None,
           allow_private: bool, now: datetime) -> Webhook:
    """Register an endpoint. Delivery starts with the events recorded from now on."""
    _may_manage(actor)
    check_url(url, allow_private)
    hook = uow.webhooks.add(Webhook(
        id=uuid.uuid4(), owner=actor_label(actor), url=url, description=description,
        event_types=_check_types(event_types), status="active", secret=_new_secret(),
        cursor=uow.events.last_sequence(), created_at=now, updated_at=now))
    uow.webhooks.flush()
    uow.commit()
    return hook


def listing(uow: UnitOfWork, actor: Actor) -> list[Webhook]:
    _may_manage(actor)
    return uow.webhooks.listing(None if actor.is_admin else actor_label(actor))


def get(uow: UnitOfWork, actor: Actor, webhook_id: uuid.UUID) -> Webhook:
    return _owned(uow, actor, webhook_id)


def update(uow: UnitOfWork, actor: Actor, webhook_id: uuid.UUID, changes: dict[str, Any], *, allow_private: bool,
           if_match: str | None, now: datetime) -> Webhook:
    """Pause, resume (also re-enables a disabled endpoint), change URL, event types or description."""
    hook = _owned(uow, actor, webhook_id)
    check_if_match(if_match, hook.version)
    if "url" in changes:
        check_url(changes["url"], allow_private)
        hook.url = changes["url"]
    if "event_types" in changes:
        hook.event_types = _check_types(changes["event_types"])
    if "description" in changes:
        hook.description = changes["description"]
    if "status" in changes and changes["status"] != hook.status:
        hook.status = changes["status"]
        hook.disabled_reason, hook.failing_since = None, None
    hook.updated_at = now
    uow.webhooks.touch(hook)
    uow.webhooks.flush()
    uow.commit()
    return hook


def delete(uow: UnitOfWork, actor: Actor, webhook_id: uuid.UUID) -> None:
    hook = _owned(uow, actor, webhook_id)
    uow.session.delete(hook)
    uow.webhooks.flush()
    uow.commit()


def rotate_secret(uow: UnitOfWork, actor: Actor, webhook_id: uuid.UUID, now: datetime) -> Webhook:
    """A new signing secret; the old one keeps signing alongside it for 24 h so receivers can switch."""
    hook = _owned(uow, actor, webhook_id)
    hook.previous_secret, hook.previous_secret_until = hook.secret, now + SECRET_OVERLAP
    hook.secret, hook.updated_at = _new_secret(), now
    uow.webhooks.flush()
    uow.commit()
    return hook


@dataclass(frozen=True)
class DeliveryDetails:
    row: WebhookDelivery
    event_type: str | None
    attempts: list[Any]


def deliveries(uow: UnitOfWork, actor: Actor, webhook_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None,
               limit: int) -> list[DeliveryDetails]:
    hook = _owned(uow, actor, webhook_id)
    rows = uow.webhooks.deliveries(hook.id, after=after, limit=limit)
    attempts = uow.webhooks.attempts([r.id for r in rows])
    types = {r.id: (e.type if (e := uow.webhooks.event(r.event_id)) else None) for r in rows}
    return [DeliveryDetails(r, types[r.id], attempts[r.id]) for r in rows]


def retry(uow: UnitOfWork, actor: Actor, webhook_id: uuid.UUID, delivery_id: uuid.UUID,
          now: datetime) -> DeliveryDetails:
    """Deliver again as soon as possible (also a delivered one: receivers deduplicate by webhook-id)."""
    hook = _owned(uow, actor, webhook_id)
    row = uow.webhooks.delivery(delivery_id)
    if row is None or row.webhook_id != hook.id:
        raise NotFound("delivery", delivery_id)
    row.status, row.next_attempt_at, row.leased_until = "pending", now, None
    uow.webhooks.flush()
    uow.commit()
    event = uow.webhooks.event(row.event_id)
    return DeliveryDetails(row, event.type if event else None, uow.webhooks.attempts([row.id])[row.id])


# -- the outbox --------------------------------------------------------------------------------------
def enqueue(database: Database, now: datetime, batch: int = 500) -> int:
    """Copy events past each active webhook's cursor into its deliveries (in the webhook's row lock)."""
    queued = 0
    with database.uow(write=True) as uow:
        for hook in uow.webhooks.active_for_enqueue():
            new = uow.webhooks.events_after(hook.cursor, hook.event_types, batch)
            if not new:
                continue
            uow.webhooks.enqueue([{
                "id": uuid.uuid4(), "webhook_id": hook.id, "event_id": e.id, "sequence": e.sequence,
                "project_id": e.project_id, "status": "pending", "attempts": 0, "next_attempt_at": now,
                "created_at": now} for e in new])
            hook.cursor = new[-1].sequence
            queued += len(new)
        uow.commit()
    return queued


def payload(event: Event) -> str:
    """The body: the Standard Webhooks envelope {type, timestamp, data} around the event as the feed has it."""
    return json.dumps({"type": event.type, "timestamp": _rfc3339(event.recorded_at), "data": {
        "id": str(event.id), "sequence": event.sequence, "type": event.type,
        "project_id": str(event.project_id) if event.project_id else None,
        "project_version": event.project_version, "occurred_at": _rfc3339(event.occurred_at),
        "recorded_at": _rfc3339(event.recorded_at), "actor": event.actor, "data": event.data}},
        separators=(",", ":"), ensure_ascii=False)


def _rfc3339(instant: datetime) -> str:
    """As the feed writes instants (UTC, `Z`)."""
    return instant.isoformat().replace("+00:00", "Z")


def sign(hook_secrets: list[str], msg_id: str, at: datetime, body: str) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": " ".join(Signer(s).sign(msg_id, at, body) for s in hook_secrets),
            "content-type": "application/json", "user-agent": "bizext-webhooks/1"}


@dataclass(frozen=True)
class _Claim:
    delivery_id: uuid.UUID
    webhook_id: uuid.UUID
    url: str
    secrets: list[str]
    msg_id: str
    body: str


def deliver_due(database: Database, now: datetime, *, allow_private: bool, http: httpx.Client | None = None,
                limit: int = CLAIM_BATCH, max_rounds: int = 100) -> int:
    """Deliver what is due. Each round claims the first waiting event of every project, so a burst of one
    project's events goes out in order, round after round, until nothing more succeeds.

    `now` is when the call began; the time moves on with it (a call can run for minutes), so that each lease
    runs LEASE from its claim, and each request is signed, and its attempt recorded, at the time it is sent."""
    client = http or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    started = time.monotonic()

    def at() -> datetime:
        return now + timedelta(seconds=time.monotonic() - started)

    delivered = 0
    try:
        for _ in range(max_rounds):
            claims = _claim(database, at(), limit)
            done = sum(_deliver(database, client, c, at(), allow_private) for c in claims)
            delivered += done
            if not done:
                break
    finally:
        if http is None:
            client.close()
    return delivered


def _claim(database: Database, now: datetime, limit: int) -> list[_Claim]:
    """Lease due deliveries (a crashed worker's leases expire, and its claims are delivered again)."""
    with database.uow(write=True) as uow:
        claims = []
        for d in uow.webhooks.claimable(now, limit):
            hook, event = uow.webhooks.get(d.webhook_id), uow.webhooks.event(d.event_id)
            d.leased_until = now + LEASE
            keys = [hook.secret] + ([hook.previous_secret] if hook.previous_secret and hook.previous_secret_until
                                    and hook.previous_secret_until > now else [])
            claims.append(_Claim(d.id, hook.id, hook.url, keys, str(event.id), payload(event)))
        uow.commit()
    return claims


def _deliver(database: Database, client: httpx.Client, claim: _Claim, now: datetime, allow_private: bool) -> int:
    started = time.monotonic()
    status, error = None, None
    try:
        check_url(claim.url, allow_private)
        response = client.post(claim.url, content=claim.body.encode(),
                               headers=sign(claim.secrets, claim.msg_id, now, claim.body))
        status = response.status_code
    except InvalidInput as exc:
        error = f"refused: {exc.errors[0].message}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    latency = int((time.monotonic() - started) * 1000)
    with database.uow(write=True) as uow:
        d = uow.webhooks.delivery(claim.delivery_id)
        hook = uow.webhooks.get(claim.webhook_id)
        if d is None or hook is None:  # deleted meanwhile
            return 0
        uow.webhooks.record_attempt({"id": uuid.uuid4(), "delivery_id": d.id, "attempted_at": now,
                                     "status_code": status, "latency_ms": latency, "error": error})
        d.attempts += 1
        d.last_status_code, d.last_error, d.last_latency_ms, d.leased_until = status, error, latency, None
        ok = status is not None and 200 <= status < 300
        if ok:
            d.status, d.delivered_at = "delivered", now
            hook.failing_since = None
        else:
            d.next_attempt_at = now + _backoff(d.attempts)
            hook.failing_since = hook.failing_since or now
            if status == 410:
                _disable(uow, hook, "the endpoint answered 410 Gone", now)
            elif now - hook.failing_since >= GIVE_UP_AFTER:
                _disable(uow, hook, f"failing since {hook.failing_since.isoformat()}", now)
        uow.commit()
    return int(ok)


def _backoff(attempts: int) -> timedelta:
    """Exponential, capped at an hour, with jitter so that many failing deliveries do not retry in step."""
    base = min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
    return timedelta(seconds=base * random.uniform(0.5, 1.5))


def _disable(uow: UnitOfWork, hook: Webhook, reason: str, now: datetime) -> None:
    hook.status, hook.disabled_reason, hook.updated_at = "disabled", reason, now
    events.record(uow, "webhook.disabled", project=None, actor=None, occurred_at=now, now=now,
                  data={"webhook_id": str(hook.id), "url": hook.url, "reason": reason})
