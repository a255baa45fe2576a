"""Webhook endpoints and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from bizext.api.schemas.common import Strict

Url = Annotated[str, Field(min_length=8, max_length=2000, description="http(s) URL that receives POSTs")]
EventTypes = Annotated[list[Annotated[str, Field(max_length=50)]], Field(
    max_length=50, description="event types to deliver; empty for all")]


class WebhookIn(Strict):
    url: Url
    event_types: EventTypes = Field(default_factory=list)
    description: Annotated[str, Field(max_length=500)] | None = None


class WebhookPatch(Strict):
    url: Url | None = None
    event_types: EventTypes | None = None
    description: Annotated[str, Field(max_length=500)] | None = None
    status: Literal["active", "paused"] | None = Field(None, description="pause, or resume (also re-enables)")


class WebhookOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    status: Literal["active", "paused", "disabled"]
    disabled_reason: str | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, w: object) -> WebhookOut:
        return cls(id=w.id, url=w.url, description=w.description, event_types=w.event_types,  # type: ignore[attr-defined]
                   status=w.status, disabled_reason=w.disabled_reason, failing_since=w.failing_since,  # type: ignore[attr-defined]
                   previous_secret_expires_at=w.previous_secret_until, version=w.version,  # type: ignore[attr-defined]
                   created_at=w.created_at, updated_at=w.updated_at)  # type: ignore[attr-defined]


class WebhookSecretOut(WebhookOut):
    secret: str = Field(description="the signing secret (whsec_…), shown only now")


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str | None
    sequence: int
    project_id: uuid.UUID | None
    status: Literal["pending", "delivered"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_latency_ms: int | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[AttemptOut]

    @classmethod
    def of(cls, d: object) -> DeliveryOut:
        r = d.row  # type: ignore[attr-defined]
        return cls(id=r.id, event_id=r.event_id, event_type=d.event_type, sequence=r.sequence,  # type: ignore[attr-defined]
                   project_id=r.project_id, status=r.status, attempts=r.attempts,
                   next_attempt_at=r.next_attempt_at if r.status == "pending" else None,
                   last_status_code=r.last_status_code, last_error=r.last_error,
                   last_latency_ms=r.last_latency_ms, delivered_at=r.delivered_at, created_at=r.created_at,
                   attempt_log=[AttemptOut(attempted_at=a.attempted_at, status_code=a.status_code,
                                           latency_ms=a.latency_ms, error=a.error) for a in d.attempts])  # type: ignore[attr-defined]
