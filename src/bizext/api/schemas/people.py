"""Staff, customers and API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, model_validator

from bizext.api.schemas.common import ShortText, Strict

StaffRoleName = Literal["admin", "customer_manager", "planner", "design_reviewer", "inspector",
                        "metering_technician", "project_manager", "supervisor"]
ClientRoleName = Literal["integration", "escalation_checker"]
Region = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")]
Phone = Annotated[str, Field(min_length=1, max_length=50)]


class StaffIn(Strict):
    name: ShortText
    region: Region
    roles: list[StaffRoleName] = Field(min_length=1, max_length=8)
    email: EmailStr | None = None
    phone: Phone | None = None
    active: bool = True


class StaffPatch(Strict):
    name: ShortText | None = None
    region: Region | None = None
    roles: list[StaffRoleName] | None = Field(None, min_length=1, max_length=8)
    email: EmailStr | None = None
    phone: Phone | None = None
    active: bool | None = None


class StaffOut(BaseModel):
    id: uuid.UUID
    name: str
    region: str
    roles: list[str]
    email: str | None
    phone: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerIn(Strict):
    name: ShortText
    contact_name: ShortText | None = None
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
    name: ShortText
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
