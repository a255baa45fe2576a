"""Questions and answers, follow-ups, feedback, staff qualification and training."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from bizext.api.schemas.common import Strict, Text

Satisfaction = Annotated[int, Field(ge=1, le=5, description="1 (very dissatisfied) … 5 (very satisfied)")]


class MessageIn(Strict):
    body: Text
    kind: Literal["question", "answer", "internal"] = Field(
        description="question: the customer asks; answer: staff reply (with reply_to); internal: staff notes "
                    "customers never see")
    reply_to: uuid.UUID | None = None


class MessageOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    kind: str
    body: str
    reply_to: uuid.UUID | None
    author_kind: str
    author_name: str
    created_at: datetime
    answered_at: datetime | None = Field(description="questions: when first answered")

    @classmethod
    def of(cls, m: object) -> MessageOut:
        return cls.model_validate(m, from_attributes=True)


class FollowUpIn(Strict):
    channel: Literal["phone", "visit", "online"]
    contacted_on: date
    satisfaction: Satisfaction
    times_match_records: bool = Field(description="do the customer's dates agree with our records?")
    issues: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(default_factory=list, max_length=50)
    comment: Text | None = None


class FollowUpOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    owner_staff_id: uuid.UUID | None
    opened_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    channel: str | None
    contacted_on: date | None
    satisfaction: int | None
    times_match_records: bool | None
    issues: list[str] | None
    comment: str | None

    @classmethod
    def of(cls, f: object) -> FollowUpOut:
        return cls.model_validate(f, from_attributes=True)


class FeedbackIn(Strict):
    satisfaction: Satisfaction
    comment: Text | None = None


class FeedbackOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    satisfaction: int
    comment: str | None
    created_at: datetime

    @classmethod
    def of(cls, f: object) -> FeedbackOut:
        return cls.model_validate(f, from_attributes=True)


class AssessmentIn(Strict):
    role: Literal["admin", "customer_manager", "planner", "design_reviewer", "inspector", "metering_technician",
                  "project_manager", "supervisor"]
    score: float = Field(ge=0, le=100)
    passed: bool
    assessed_on: date


class AssessmentOut(BaseModel):
    id: uuid.UUID
    staff_id: uuid.UUID
    role: str
    score: float
    passed: bool
    assessed_on: date
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, a: object) -> AssessmentOut:
        return cls.model_validate(a, from_attributes=True)


class TrainingIn(Strict):
    topic: Annotated[str, Field(min_length=1, max_length=300)]
    held_on: date
    attendee_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class TrainingOut(BaseModel):
    id: uuid.UUID
    topic: str
    held_on: date
    attendee_ids: list[uuid.UUID] | None = None
    recorded_by: str
    recorded_at: datetime


class RoleQualification(BaseModel):
    role: str
    qualified: bool
    suspended_since: datetime | None
    last_assessment: AssessmentOut | None
