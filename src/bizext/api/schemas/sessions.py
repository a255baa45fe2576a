"""Signing in (sessions) and people's passwords."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from bizext.api.schemas.common import Strict
from bizext.services.accounts import LOGIN_MAX_LENGTH
from bizext.services.passwords import MAX_LENGTH, MIN_LENGTH

Login = Annotated[str, Field(min_length=1, max_length=LOGIN_MAX_LENGTH,
                             description="compared without regard to case", examples=["zhang.wei"])]


class SignInIn(Strict):
    login: Login
    # No minimum here: a sign-in is no place to tell what the password rules are.
    password: Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]


class PrincipalOut(BaseModel):
    kind: Literal["staff", "customer", "client", "admin"] = Field(
        description="staff, customer, client (a system's API token) or admin (BIZEXT_ADMIN_TOKEN)")
    id: str | None = Field(description="the staff member's or customer's id (a client: its token's id; "
                                       "the bootstrap admin: null)")
    name: str
    roles: list[str] = Field(description="staff and client roles; empty for customers")


class SessionOut(BaseModel):
    expires_at: datetime | None = Field(description="when the token stops working; null for API tokens, "
                                                    "which work until revoked")
    principal: PrincipalOut


class SignedInOut(BaseModel):
    token: str = Field(description="the bearer token: `Authorization: Bearer <token>`; shown once")
    expires_at: datetime
    principal: PrincipalOut


class PasswordIn(Strict):
    password: Annotated[str, Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]
    login: Login | None = Field(
        None, description="the login to sign in with; by default, when the person gets their first password, "
                          "a staff member's e-mail address or a customer's external_ref. Giving one renames it.")


class AccountOut(BaseModel):
    login: str = Field(description="as stored: normalised (NFKC) and case-folded")
    kind: Literal["staff", "customer"]
    id: uuid.UUID
    name: str
    password_set_at: datetime
