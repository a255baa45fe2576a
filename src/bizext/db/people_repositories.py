"""Queries for staff qualification, messages and follow-ups."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from bizext.db.models import (
    Assessment,
    Feedback,
    FollowUp,
    Message,
    Project,
    StaffRole,
    StageOccurrence,
    Training,
    TrainingAttendee,
)
from bizext.db.repositories import _Repository


class QualificationRepository(_Repository):
    def roles(self, staff_id: uuid.UUID) -> list[StaffRole]:
        return list(self.session.scalars(select(StaffRole).where(StaffRole.staff_id == staff_id)
                                         .order_by(StaffRole.role)))

    def latest(self, staff_id: uuid.UUID, role: str) -> Assessment | None:
        return self.session.scalar(select(Assessment).where(Assessment.staff_id == staff_id, Assessment.role == role)
                                   .order_by(Assessment.assessed_on.desc(), Assessment.recorded_at.desc()).limit(1))

    def assessments(self, staff_id: uuid.UUID) -> list[Assessment]:
        return list(self.session.scalars(select(Assessment).where(Assessment.staff_id == staff_id)
                                         .order_by(Assessment.assessed_on, Assessment.recorded_at)))

    def open_stages_of(self, staff_id: uuid.UUID) -> list[tuple[StageOccurrence, Project]]:
        rows = self.session.execute(
            select(StageOccurrence, Project).join(Project, Project.id == StageOccurrence.project_id)
            .where(StageOccurrence.owner_staff_id == staff_id, StageOccurrence.left_at.is_(None)))
        return [(s, p) for s, p in rows]

    def trainings_of(self, staff_id: uuid.UUID) -> list[Training]:
        return list(self.session.scalars(
            select(Training).join(TrainingAttendee, TrainingAttendee.training_id == Training.id)
            .where(TrainingAttendee.staff_id == staff_id).order_by(Training.held_on)))


class MessageRepository(_Repository):
    def of_project(self, project_id: uuid.UUID, include_internal: bool) -> list[Message]:
        q = select(Message).where(Message.project_id == project_id)
        if not include_internal:
            q = q.where(Message.kind != "internal")
        return list(self.session.scalars(q.order_by(Message.created_at, Message.id)))

    def get(self, message_id: uuid.UUID) -> Message | None:
        return self.session.get(Message, message_id)

    def open_questions(self, project_id: uuid.UUID) -> list[Message]:
        return list(self.session.scalars(select(Message).where(
            Message.project_id == project_id, Message.kind == "question", Message.answered_at.is_(None))
            .order_by(Message.created_at)))


class FollowUpRepository(_Repository):
    def of_project(self, project_id: uuid.UUID) -> FollowUp | None:
        return self.session.scalar(select(FollowUp).where(FollowUp.project_id == project_id))

    def feedback_of(self, project_id: uuid.UUID) -> Feedback | None:
        return self.session.scalar(select(Feedback).where(Feedback.project_id == project_id))
