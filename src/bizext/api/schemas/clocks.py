"""Clocks, holds, escalations and calendars."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from bizext.api.schemas.common import Instant, Label, Owner, Strict, Text
from bizext.services.clocks import ClockView
from bizext.services.escalations import EscalationDetails


class ClockOut(BaseModel):
    id: uuid.UUID
    name: str
    label: Label
    run: int = Field(description="1 for the first run; a rework loop starts a new run")
    limit: int = Field(description="working days")
    started_at: datetime
    deadline_at: datetime = Field(description="for a paused clock: where it would be if it resumed now")
    status: Literal["running", "paused", "stopped"]
    due: Literal["on_track", "due_soon", "overdue"]
    remaining: int = Field(description="working seconds left (negative once overdue)")
    elapsed: int = Field(description="working seconds counted")
    paused: int = Field(description="working seconds spent paused")
    stopped_at: datetime | None
    met: bool | None = Field(description="once stopped: whether it stopped by its deadline")

    @staticmethod
    def document(v: ClockView) -> dict[str, Any]:
        """The answer as plain values in the fields' order (see bizext.api.answers)."""
        r, s = v.row, v.standing
        return {"id": r.id, "name": r.clock, "label": {"zh": v.label["zh"], "en": v.label["en"]}, "run": r.run,
                "limit": r.limit_days, "started_at": r.started_at, "deadline_at": s.deadline_at,
                "status": s.status, "due": s.due, "remaining": s.remaining, "elapsed": s.elapsed,
                "paused": r.paused_seconds, "stopped_at": r.stopped_at, "met": s.met}

    @classmethod
    def of(cls, v: ClockView) -> ClockOut:
        return cls.model_validate(cls.document(v))


class HoldIn(Strict):
    reason: Text
    party: Literal["customer", "external", "utility"] = Field(
        description="whose wait this is; customer and external holds pause the clocks, utility holds do not")
    occurred_at: Instant | None = Field(None, description="when the hold began (not in the future)")


class HoldRelease(Strict):
    occurred_at: Instant | None = Field(None, description="when the hold ended (not in the future)")


class HoldOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    party: str
    reason: str
    pauses_clocks: bool
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None

    @classmethod
    def of(cls, h: object) -> HoldOut:
        return cls(id=h.id, project_id=h.project_id, party=h.party, reason=h.reason,  # type: ignore[attr-defined]
                   pauses_clocks=h.party in ("customer", "external"), placed_by=h.placed_by,  # type: ignore[attr-defined]
                   placed_at=h.placed_at, released_by=h.released_by, released_at=h.released_at)  # type: ignore[attr-defined]


class EscalationOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    project_number: str | None
    stage_occurrence_id: uuid.UUID | None
    clock_run_id: uuid.UUID | None
    clock: str | None
    level: int = Field(description="0 warning (预警), 1 project manager (督办), 2 supervisors")
    kind: str = Field(description="warning | breach | unassigned | owner_suspended | quality")
    deadline_at: datetime | None
    raised_at: datetime
    explanation: str
    recipients: list[Owner]
    status: Literal["open", "acknowledged", "resolved"]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    note: str | None
    resolved_at: datetime | None
    resolution: str | None
    version: int

    @staticmethod
    def document(d: EscalationDetails) -> dict[str, Any]:
        """The answer as plain values in the fields' order (see bizext.api.answers)."""
        r = d.row
        return {"id": r.id, "project_id": r.project_id, "project_number": d.project_number,
                "stage_occurrence_id": r.stage_occurrence_id, "clock_run_id": r.clock_run_id, "clock": r.clock,
                "level": r.level, "kind": r.kind, "deadline_at": r.deadline_at, "raised_at": r.raised_at,
                "explanation": r.explanation,
                "recipients": [{"kind": "staff", "id": str(i), "name": n} for i, n in d.recipients],
                "status": r.status, "acknowledged_at": r.acknowledged_at, "acknowledged_by": r.acknowledged_by,
                "note": r.note, "resolved_at": r.resolved_at, "resolution": r.resolution, "version": r.version}

    @classmethod
    def of(cls, d: EscalationDetails) -> EscalationOut:
        return cls.model_validate(cls.document(d))


class AcknowledgeIn(Strict):
    note: Text


class SweepOut(BaseModel):
    checked_at: datetime
    raised: list[EscalationOut]
    resolved: int = Field(0, deprecated=True, description=(
        "always 0: an escalation is resolved by the transition, answer or follow-up that stops its clock, in "
        "the same transaction (the sweep no longer looks for ones left open); kept so that clients still parse"))
    runs_examined: int = Field(description="due clock runs read")


class HistoryEntry(BaseModel):
    at: datetime
    type: str = Field(description="project.received, transition.fired, owner.assigned, owner.reassigned, "
                                  "hold.placed, hold.released, escalation.raised/acknowledged/resolved")
    summary: str
    data: dict[str, Any]


class CalendarDayOut(BaseModel):
    date: date
    working: bool
    name: str | None
    overridden: bool


class CalendarOut(BaseModel):
    region: str
    time_zone: str
    days: list[CalendarDayOut]


class DayOverrideIn(Strict):
    working: bool
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None  # the column is 200 wide


class DayOverrideOut(CalendarDayOut):
    region: str
    clock_runs_recomputed: int
