"""Projects, transitions, stages, actions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from bizext.api.schemas.clocks import ClockOut
from bizext.api.schemas.common import Instant, Label, Owner, ShortText, Strict, Text
from bizext.api.schemas.people import Region
from bizext.services.projects import ProjectDetails
from bizext.workflow.errors import OwnerRef

Supply = Literal["single", "dual"]


class ProjectIn(Strict):
    title: ShortText
    site_address: Annotated[str, Field(min_length=1, max_length=500)]
    voltage_kv: float = Field(gt=0, le=1000, description="supply voltage; 10 kV and above is high voltage")
    capacity_kva: float = Field(gt=0, le=10_000_000)
    supply: Supply
    important: bool = Field(description="important power user (重要电力用户)")
    region: Region
    customer_id: uuid.UUID | None = Field(None, description="implied for a customer principal")
    workflow: Annotated[str, Field(min_length=1, max_length=50)] | None = Field(
        None, description="hv-standard or lv-simple; by default chosen from voltage_kv")
    external_ref: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None, description="the calling system's reference; unique per customer")
    received_at: Instant | None = Field(None, description="when the application was received; not in the future")
    customer_manager_id: uuid.UUID | None = None
    project_manager_id: uuid.UUID | None = None


class WorkflowRef(BaseModel):
    key: str
    version: int


class ProjectOut(BaseModel):
    id: uuid.UUID
    number: str = Field(description="human project number, e.g. BX2026-000001")
    workflow: WorkflowRef
    state: str
    state_label: Label
    terminal: bool
    owner: Owner | None = Field(description="the current stage's owner; null once terminal")
    customer_id: uuid.UUID
    customer_manager_id: uuid.UUID | None
    project_manager_id: uuid.UUID | None
    title: str
    site_address: str
    voltage_kv: float
    capacity_kva: float
    supply: Supply
    important: bool
    region: str
    external_ref: str | None
    received_at: datetime
    flags: dict[str, Any]
    clocks: list[ClockOut] = Field(description="the latest run of each clock that has started")
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def document(d: ProjectDetails) -> dict[str, Any]:
        """The answer as plain values in the fields' order (see bizext.api.answers)."""
        p, state = d.project, d.definition.state(d.project.state)
        o = d.owner
        return {
            "id": p.id, "number": p.number, "workflow": {"key": p.workflow_key, "version": p.workflow_version},
            "state": p.state, "state_label": {"zh": state.label.zh, "en": state.label.en},
            "terminal": state.terminal,
            "owner": None if o is None else {"kind": o.kind, "id": o.id, "name": o.name},
            "customer_id": p.customer_id, "customer_manager_id": p.customer_manager_id,
            "project_manager_id": p.project_manager_id, "title": p.title, "site_address": p.site_address,
            "voltage_kv": p.voltage_kv, "capacity_kva": p.capacity_kva, "supply": p.supply,
            "important": p.important, "region": p.region, "external_ref": p.external_ref,
            "received_at": p.received_at, "flags": p.flags or {},
            "clocks": [ClockOut.document(c) for c in d.clocks], "version": p.version,
            "created_at": p.created_at, "updated_at": p.updated_at}

    @classmethod
    def of(cls, d: ProjectDetails) -> ProjectOut:
        return cls.model_validate(cls.document(d))


def owner_out(owner: OwnerRef | None) -> Owner | None:
    return None if owner is None else Owner.model_construct(kind=owner.kind, id=owner.id, name=owner.name)


class TransitionIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=50)]
    input: dict[str, Any] = Field(default_factory=dict, description="validated against the action's input_schema")
    comment: Text | None = None
    occurred_at: Instant | None = Field(
        None, description="when it happened (field work recorded later); not in the future, not before the "
                          "previous transition")
    admin_reason: Text | None = Field(None, description="required when an admin fires a transition it does not own")


class TransitionOut(BaseModel):
    id: uuid.UUID
    seq: int
    name: str
    from_state: str
    to_state: str
    actor: Owner
    capacity: str = Field(description="owner | on_behalf_of_customer | admin")
    on_behalf_of: str | None
    admin_reason: str | None
    input: dict[str, Any]
    comment: str | None
    occurred_at: datetime
    recorded_at: datetime

    @classmethod
    def of(cls, r: Any) -> TransitionOut:
        return cls(id=r.id, seq=r.seq, name=r.name, from_state=r.from_state, to_state=r.to_state,
                   actor=Owner(kind=r.actor_kind, id=r.actor_id, name=r.actor_name), capacity=r.capacity,
                   on_behalf_of=r.on_behalf_of, admin_reason=r.admin_reason, input=r.input or {},
                   comment=r.comment, occurred_at=r.occurred_at, recorded_at=r.recorded_at)


class FiredOut(BaseModel):
    transition: TransitionOut
    project: ProjectOut


class StageOut(BaseModel):
    id: uuid.UUID
    state: str
    visit: int
    entered_at: datetime
    left_at: datetime | None
    owner: Owner | None


class AssignmentOut(BaseModel):
    id: uuid.UUID
    stage_occurrence_id: uuid.UUID
    state: str
    owner: Owner
    basis: str = Field(description="explicit | named | least_loaded | customer | unassigned | reassigned")
    reason: str | None
    assigned_by: str | None
    assigned_at: datetime


class ActionOut(BaseModel):
    name: str
    label: Label
    to: list[str] = Field(description="possible destination states")
    owner: Owner
    allowed: bool = Field(description="whether the caller may fire it now")
    blocked_reason: str | None
    input_schema: dict[str, Any]


class ActionsOut(BaseModel):
    project_id: uuid.UUID
    state: str
    version: int
    actions: list[ActionOut]


class OwnerIn(Strict):
    staff_id: uuid.UUID
    reason: Text
