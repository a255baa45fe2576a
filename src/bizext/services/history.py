"""A project's history: transitions, assignments, holds and escalations on one timeline, oldest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bizext.db.session import UnitOfWork
from bizext.services.principals import visible_project
from bizext.workflow.engine import Actor


@dataclass(frozen=True)
class Entry:
    at: datetime
    type: str
    summary: str
    data: dict[str, Any] = field(default_factory=dict)


def timeline(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID) -> list[Entry]:
    project = visible_project(uow, actor, project_id)
    entries = [Entry(project.received_at, "project.received", f"application {project.number} received",
                     {"workflow": project.workflow_key})]
    for t in uow.projects.transitions(project.id):
        entries.append(Entry(t.occurred_at, "transition.fired", f"{t.name}: {t.from_state} → {t.to_state} by "
                             f"{t.actor_name}" + (" for the customer" if t.on_behalf_of else ""),
                             {"seq": t.seq, "name": t.name, "from": t.from_state, "to": t.to_state}))
    for a in uow.projects.assignments(project.id):
        entries.append(Entry(a.assigned_at, f"owner.{'reassigned' if a.basis == 'reassigned' else 'assigned'}",
                             f"{a.state} → {a.owner_kind}" + (f" {a.staff_id}" if a.staff_id else "")
                             + f" ({a.basis})", {"state": a.state, "staff_id": str(a.staff_id) if a.staff_id
                                                 else None, "basis": a.basis, "reason": a.reason}))
    for h in uow.holds.of_project(project.id):
        entries.append(Entry(h.placed_at, "hold.placed", f"{h.party} hold: {h.reason}",
                             {"hold_id": str(h.id), "party": h.party, "by": h.placed_by}))
        if h.released_at is not None:
            entries.append(Entry(h.released_at, "hold.released", f"{h.party} hold released",
                                 {"hold_id": str(h.id), "by": h.released_by}))
    if actor.kind != "customer":  # escalations are the utility's internal business
        for e, _ in uow.escalations.listing(filters={"project_id": project.id}, recipient_id=None, after=None,
                                            limit=10_000):
            data = {"escalation_id": str(e.id), "level": e.level, "kind": e.kind, "clock": e.clock}
            entries.append(Entry(e.raised_at, "escalation.raised", e.explanation, data))
            if e.acknowledged_at:
                entries.append(Entry(e.acknowledged_at, "escalation.acknowledged", e.note or "", data))
            if e.resolved_at:
                entries.append(Entry(e.resolved_at, "escalation.resolved", e.resolution or "", data))
    order = {"project.received": 0, "transition.fired": 1, "owner.assigned": 2}
    return sorted(entries, key=lambda x: (x.at, order.get(x.type, 3)))
