"""Webhook endpoints (admins and client systems) and their delivery logs."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from bizext.api.deps import CurrentPrincipal, Cursor, IfMatch, Limit, Now, RefuseNul, UnitOfWorkDep, after
from bizext.api.idempotency import Idempotent
from bizext.api.problems import documented
from bizext.api.schemas.common import Page, encode_cursor
from bizext.api.schemas.webhooks import DeliveryOut, WebhookIn, WebhookOut, WebhookPatch, WebhookSecretOut
from bizext.services import webhooks

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], responses=documented(401, 403, 422),
                   dependencies=[RefuseNul])


def _private_ok(request: Request) -> bool:
    return request.app.state.settings.webhook_allow_private


def _with_secret(hook: object) -> WebhookSecretOut:
    return WebhookSecretOut(**WebhookOut.of(hook).model_dump(), secret=hook.secret)  # type: ignore[attr-defined]


@router.post("", status_code=201, response_model=WebhookSecretOut, responses=documented(400),
             summary="Register an endpoint; the signing secret is shown once")
def create_webhook(body: WebhookIn, request: Request, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                   idem: Idempotent) -> Response:
    hook = webhooks.create(uow, actor, url=body.url, event_types=body.event_types, description=body.description,
                           allow_private=_private_ok(request), now=now)
    return idem.respond(201, _with_secret(hook), {"Location": f"/v1/webhooks/{hook.id}"})


@router.get("", response_model=list[WebhookOut], summary="Your endpoints (an admin sees all)")
def list_webhooks(uow: UnitOfWorkDep, actor: CurrentPrincipal) -> list[WebhookOut]:
    return [WebhookOut.of(h) for h in webhooks.listing(uow, actor)]


@router.get("/{webhook_id}", response_model=WebhookOut, responses=documented(404))
def get_webhook(webhook_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal, response: Response) -> WebhookOut:
    hook = webhooks.get(uow, actor, webhook_id)
    response.headers["ETag"] = f'"{hook.version}"'
    return WebhookOut.of(hook)


@router.patch("/{webhook_id}", response_model=WebhookOut, responses=documented(400, 404, 412),
              summary="Pause, resume, change URL or event types")
def patch_webhook(webhook_id: uuid.UUID, body: WebhookPatch, request: Request, uow: UnitOfWorkDep,
                  actor: CurrentPrincipal, now: Now, idem: Idempotent, if_match: IfMatch = None) -> Response:
    hook = webhooks.update(uow, actor, webhook_id, body.model_dump(exclude_unset=True, exclude_none=True),
                           allow_private=_private_ok(request), if_match=if_match, now=now)
    return idem.respond(200, WebhookOut.of(hook), {"ETag": f'"{hook.version}"'})


@router.delete("/{webhook_id}", status_code=204, responses=documented(404))
def delete_webhook(webhook_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal, idem: Idempotent) -> Response:
    webhooks.delete(uow, actor, webhook_id)
    return idem.respond(204, None)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookSecretOut, responses=documented(404),
             summary="New signing secret; the old one also signs for 24 h")
def rotate_secret(webhook_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                  idem: Idempotent) -> Response:
    return idem.respond(200, _with_secret(webhooks.rotate_secret(uow, actor, webhook_id, now)))


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryOut], responses=documented(404),
            summary="Deliveries, newest first, with every attempt (status, response code, latency)")
def list_deliveries(webhook_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal, cursor: Cursor = None,
                    limit: Limit = 50) -> Page[DeliveryOut]:
    rows = webhooks.deliveries(uow, actor, webhook_id, after=after(cursor), limit=limit)
    nxt = encode_cursor(rows[-1].row.created_at, rows[-1].row.id) if len(rows) == limit else None
    return Page[DeliveryOut](items=[DeliveryOut.of(d) for d in rows], next_cursor=nxt)


@router.post("/{webhook_id}/deliveries/{delivery_id}/retry", response_model=DeliveryOut, responses=documented(404),
             summary="Deliver again now")
def retry_delivery(webhook_id: uuid.UUID, delivery_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal,
                   now: Now, idem: Idempotent) -> Response:
    return idem.respond(200, DeliveryOut.of(webhooks.retry(uow, actor, webhook_id, delivery_id, now)))
