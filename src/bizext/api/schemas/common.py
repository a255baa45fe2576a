"""Shapes shared by every resource: problems, pages, labels, owners."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bizext.workflow.errors import FieldProblem, InvalidInput

T = TypeVar("T")

# Bounded free text: limits keep one request from filling the database.
ShortText = Annotated[str, Field(min_length=1, max_length=300)]
Text = Annotated[str, Field(min_length=1, max_length=5000)]
Instant = AwareDatetime  # RFC 3339 with an offset; naive times are refused


class Strict(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    pointer: str | None = Field(None, description="JSON Pointer into the request body")
    parameter: str | None = Field(None, description="query, path or header parameter name")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="stable URI reference identifying the kind of problem")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class Label(BaseModel):
    zh: str
    en: str


class Owner(BaseModel):
    kind: str = Field(description="staff | customer | unassigned")
    id: str | None = None
    name: str | None = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="pass as `cursor` to get the next page; null at the end")


def encode_cursor(created_at: datetime, ident: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(ident)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, uuid.UUID(ident)
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput([FieldProblem("", "cursor is not one this service issued")],
                           detail="invalid cursor") from None
