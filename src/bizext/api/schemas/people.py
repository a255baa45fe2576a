"""Staff, customers and API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, model_validator

from bizext.api.schemas.service import RoleQualification, TrainingOut
from bizext.api.schemas.common import Strict

StaffRoleName = Literal["admin", "customer_manager", "planner", "design_reviewer", "inspector",
                        "metering_technician", "project_manager", "supervisor"]
ClientRoleName = Literal["integration", "escalation_checker"]
Region = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")]
Phone = Annotated[str, Field(min_length=1, max_length=50)]
#: The name of a person, customer or client system. 200 characters: the width of the columns that hold it,
#: including the transition history's actor_name, where a customer's or client's name is copied.
Name = Annotated[str, Field(min_length=1, max_length=200)]


class StaffIn(Strict):
    name: Name
    region: Region
    roles: list[StaffRoleName] = Field(min_length=1, max_length=8)
    email: EmailStr | None = None
    phone: Phone | None = None
    active: bool = True


class StaffPatch(Strict):
    """Only the fields sent change. email and phone may be cleared with null; the others may be omitted
    but not null (their defaults are never validated, so an omitted field stays unset)."""

    name: Name = None  # type: ignore[assignment]
    region: Region = None  # type: ignore[assignment]
    roles: list[StaffRoleName] = Field(None, min_length=1, max_length=8)  # type: ignore[assignment]
    email: EmailStr | None = None
    phone: Phone | None = None
    active: bool = None  # type: ignore[assignment]


class StaffOut(BaseModel):
    id: uuid.UUID
    name: str
    region: str
    roles: list[str]
    qualification: list[RoleQualification] = Field(
        default_factory=list, description="per role: qualified, or suspended since (停岗学习), last assessment")
    trainings: list[TrainingOut] = Field(default_factory=list)
    email: str | None
    phone: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerIn(Strict):
    name: Name
    contact_name: Name | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    external_ref: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None, description="the customer's number in the CRM/CIS; unique")


class CustomerOut(BaseModel):
    id: uuid.UUID
    name: str
    contact_name: str | None
    phone: str | None
    email: str | None
    external_ref: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class ClientIn(Strict):
    name: Name
    roles: list[ClientRoleName] = Field(min_length=1)


class TokenIn(Strict):
    """Exactly one of staff_id, customer_id or client."""

    staff_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    client: ClientIn | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TokenIn:
        if sum(x is not None for x in (self.staff_id, self.customer_id, self.client)) != 1:
            raise ValueError("give exactly one of staff_id, customer_id or client")
        return self


class TokenOut(BaseModel):
    id: uuid.UUID
    token: str = Field(description="shown once; only its hash is stored")
    principal_kind: str
    staff_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    client_name: str | None
    client_roles: list[str] | None
    created_at: datetime
