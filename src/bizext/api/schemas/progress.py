"""A project's progress as its customer reads it, labelled in one language (zh or en)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from bizext.services.progress import Progress
from bizext.workflow.definitions import Label
from bizext.workflow.errors import OwnerRef
from bizext.workflow.progress import CURRENT, DONE, Estimate, Step

Language = Literal["zh", "en"]


def _text(label: Label, language: str) -> str:
    return label.zh if language == "zh" else label.en


class StepOwner(BaseModel):
    kind: str = Field(description="staff | customer | unassigned")
    name: str | None = None


class StepOut(BaseModel):
    state: str
    label: str
    side: Literal["utility", "customer"] | None = Field(description="whose time the step takes; null: terminal")
    visit: int = Field(description="1 for the first visit of this state, 2 for the next (rework loops)…")
    status: Literal["done", "current", "upcoming"]
    completed_at: datetime | None = Field(None, description="done: when it was completed (or reached)")
    since: datetime | None = Field(None, description="current: when it began")
    owner: StepOwner | None = Field(None, description="current: who has it now")
    deadline_at: datetime | None = Field(None, description="current: the deadline of its time limit, if it has one")
    on_track: bool | None = Field(None, description="current: false once its deadline has passed; null without "
                                                    "a time limit")


class ProgressWorkflow(BaseModel):
    key: str
    version: int
    title: str


class ManagerContact(BaseModel):
    name: str
    phone: str | None
    email: str | None


class OpenQuestionOut(BaseModel):
    id: uuid.UUID
    body: str
    asked_at: datetime
    answer_due_at: datetime | None = Field(description="answered within one working day")


class ForecastStep(BaseModel):
    state: str
    label: str
    kind: Literal["deadline", "overdue", "time_limit", "within_time_limit", "no_time_limit", "customer_median",
                  "no_history"]
    explanation: str
    clock: str | None = Field(description="the time limit counting the step")
    days: float | None = Field(description="the days the step is expected to take")
    day_kind: Literal["working", "calendar"] | None = Field(
        description="utility steps: the utility's working days; the customer's own steps: calendar days")
    samples: int | None = Field(description="customer_median: how many completed steps of other projects")
    ends_on: date | None = Field(description="when the step should end; null once an earlier step cannot be dated")


class ForecastOut(BaseModel):
    energized_on: date | None = Field(
        description="the forecast (or, once energized, actual) energization day; null when it depends on a "
                    "step of the customer's with no history, or the project ended otherwise")
    depends_on_customer: bool = Field(description="a remaining step of the customer's has no history to go by")
    basis: list[ForecastStep] = Field(description="the remaining steps, each with what it adds and why")


class ProgressOut(BaseModel):
    project_id: uuid.UUID
    number: str
    title: str
    language: Language
    workflow: ProgressWorkflow
    state: str
    terminal: bool
    steps: list[StepOut] = Field(description="done (history order, loops included), current, then upcoming on "
                                             "the path this project's facts take; skipped steps are absent")
    customer_manager: ManagerContact | None
    open_questions: list[OpenQuestionOut] = Field(description="the customer's questions not yet answered")
    forecast: ForecastOut

    @classmethod
    def of(cls, p: Progress, language: str) -> ProgressOut:
        definition = p.definition
        manager = p.customer_manager
        return cls(
            project_id=p.project.id, number=p.project.number, title=p.project.title, language=language,
            workflow=ProgressWorkflow(key=definition.key, version=definition.version,
                                 title=_text(definition.title, language)),
            state=p.project.state, terminal=definition.state(p.project.state).terminal,
            steps=[_step(p, s, language) for s in p.steps],
            customer_manager=ManagerContact(name=manager.name, phone=manager.phone, email=manager.email)
            if manager else None,
            open_questions=[OpenQuestionOut(id=q.message.id, body=q.message.body, asked_at=q.message.created_at,
                                            answer_due_at=q.answer_due_at) for q in p.open_questions],
            forecast=ForecastOut(energized_on=p.forecast.energized_on,
                                 depends_on_customer=p.forecast.depends_on_customer,
                                 basis=[_basis(p, e, language) for e in p.forecast.basis]),
        )


def _owner(owner: OwnerRef | None) -> StepOwner | None:
    return StepOwner(kind=owner.kind, name=owner.name) if owner else None


def _step(p: Progress, s: Step, language: str) -> StepOut:
    state = p.definition.state(s.state)
    out = StepOut(state=s.state, label=_text(state.label, language), side=state.side,  # type: ignore[arg-type]
                  visit=s.visit, status=s.status)  # type: ignore[arg-type]
    if s.status == DONE:
        out.completed_at = s.completed_at
    elif s.status == CURRENT:
        out.since, out.owner = s.since, _owner(p.owner)
        if p.current is not None:
            out.deadline_at, out.on_track = p.current.deadline_at, p.current.on_track
    return out


def _basis(p: Progress, e: Estimate, language: str) -> ForecastStep:
    return ForecastStep(state=e.state, label=_text(p.definition.state(e.state).label, language),
                    kind=e.kind, explanation=_text(e.explanation, language), clock=e.clock,  # type: ignore[arg-type]
                    days=e.days, day_kind=e.day_kind, samples=e.samples, ends_on=e.ends_on)  # type: ignore[arg-type]
