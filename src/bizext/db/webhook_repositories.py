"""Queries for webhooks, their delivery outbox and attempts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from bizext.db.models import Event, Webhook, WebhookAttempt, WebhookDelivery
from bizext.db.repositories import _Repository


class WebhookRepository(_Repository):
    def get(self, webhook_id: uuid.UUID) -> Webhook | None:
        return self.session.get(Webhook, webhook_id)

    def listing(self, owner: str | None) -> list[Webhook]:
        q = select(Webhook).order_by(Webhook.created_at, Webhook.id)
        return list(self.session.scalars(q.where(Webhook.owner == owner) if owner else q))

    def active_for_enqueue(self) -> list[Webhook]:
        """Active webhooks; on PostgreSQL locked, skipping those another worker is enqueueing for."""
        q = select(Webhook).where(Webhook.status == "active").order_by(Webhook.id)
        if self.session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        return list(self.session.scalars(q))

    def events_after(self, sequence: int, types: Sequence[str], limit: int) -> list[Event]:
        q = select(Event).where(Event.sequence > sequence)
        if types:
            q = q.where(Event.type.in_(types))
        return list(self.session.scalars(q.order_by(Event.sequence).limit(limit)))

    def enqueue(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        stmt = pg_insert(WebhookDelivery) if dialect == "postgresql" else sqlite_insert(WebhookDelivery)
        self.session.execute(stmt.on_conflict_do_nothing(index_elements=["webhook_id", "event_id"]), rows)

    def claimable(self, now: datetime, limit: int) -> list[WebhookDelivery]:
        """Pending deliveries that are due, not leased, of active webhooks, and first in line for their
        project (a project's next event waits for its previous one)."""
        earlier = aliased(WebhookDelivery)
        blocked = exists().where(
            earlier.webhook_id == WebhookDelivery.webhook_id, earlier.project_id == WebhookDelivery.project_id,
            earlier.sequence < WebhookDelivery.sequence, earlier.status == "pending")
        q = (select(WebhookDelivery)
             .join(Webhook, and_(Webhook.id == WebhookDelivery.webhook_id, Webhook.status == "active"))
             .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
                    or_(WebhookDelivery.leased_until.is_(None), WebhookDelivery.leased_until < now), ~blocked)
             .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.sequence).limit(limit))
        if self.session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(of=WebhookDelivery, skip_locked=True)
        return list(self.session.scalars(q))

    def delivery(self, delivery_id: uuid.UUID) -> WebhookDelivery | None:
        return self.session.get(WebhookDelivery, delivery_id)

    def event(self, event_id: uuid.UUID) -> Event | None:
        return self.session.get(Event, event_id)

    def deliveries(self, webhook_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None,
                   limit: int) -> list[WebhookDelivery]:
        q = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
        if after is not None:
            at, last = after
            q = q.where(or_(WebhookDelivery.created_at < at,
                            and_(WebhookDelivery.created_at == at, WebhookDelivery.id < last)))
        q = q.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit)
        return list(self.session.scalars(q))

    def attempts(self, delivery_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[WebhookAttempt]]:
        result: dict[uuid.UUID, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
        if delivery_ids:
            for a in self.session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids))
                                          .order_by(WebhookAttempt.attempted_at)):
                result[a.delivery_id].append(a)
        return result

    def record_attempt(self, values: dict[str, Any]) -> None:
        self.session.execute(insert(WebhookAttempt).values(**values))
