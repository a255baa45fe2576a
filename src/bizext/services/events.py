"""Events: what happened, recorded in the same transaction as the change; the feed other systems follow."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from bizext.db.models import ClockRun, Event, Project
from bizext.db.session import UnitOfWork
from bizext.services.errors import Forbidden
from bizext.services.principals import visible_project
from bizext.workflow.engine import Actor

TYPES = (
    "project.created", "transition.fired", "owner.assigned", "owner.reassigned", "hold.placed", "hold.released",
    "clock.started", "clock.stopped", "clock.missed", "escalation.raised", "escalation.acknowledged",
    "escalation.resolved", "webhook.disabled", "question.asked", "question.answered", "follow_up.opened",
    "follow_up.closed", "feedback.received",
)
#: What customers never see in their feed: the utility's internal escalations.
INTERNAL_PREFIXES = ("escalation.", "webhook.", "follow_up.")
SYSTEM = {"kind": "system", "id": None, "name": "bizext"}


def actor_doc(actor: Actor | None) -> dict[str, Any]:
    if actor is None:
        return dict(SYSTEM)
    return {"kind": actor.kind, "id": actor.id, "name": actor.name}


def record(uow: UnitOfWork, type_: str, *, project: Project | None, actor: Actor | None, occurred_at: datetime,
           now: datetime, data: dict[str, Any]) -> None:
    assert type_ in TYPES, type_
    uow.record_event(type=type_, project=project, occurred_at=occurred_at, recorded_at=now,
                     actor=actor_doc(actor), data=data)


def clock_data(row: ClockRun) -> dict[str, Any]:
    return {"clock_run_id": str(row.id), "clock": row.clock, "run": row.run, "limit_days": row.limit_days,
            "started_at": row.started_at.isoformat(), "deadline_at": row.deadline_at.isoformat(),
            "stopped_at": row.stopped_at.isoformat() if row.stopped_at else None, "outcome": row.outcome}


def feed(uow: UnitOfWork, actor: Actor, *, after: int, limit: int, project_id: uuid.UUID | None,
         types: list[str] | None) -> list[Event]:
    """Events after a sequence number, oldest first. Customers get only their own projects' events."""
    if actor.kind == "client" and "integration" not in actor.roles and not actor.is_admin:
        raise Forbidden("this principal may not read events")
    if project_id is not None:
        visible_project(uow, actor, project_id)
    if actor.kind == "customer":
        return uow.events.after(after, limit=limit, project_id=project_id,
                                customer_id=uuid.UUID(actor.customer_id),  # type: ignore[arg-type]
                                types=types, exclude_prefixes=INTERNAL_PREFIXES)
    return uow.events.after(after, limit=limit, project_id=project_id, types=types)
