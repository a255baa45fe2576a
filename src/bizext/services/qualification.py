"""Staff qualification (停岗学习): a failed assessment suspends a person from owning stages of that role until
a later assessment passes; their open stages of that role escalate so the project manager reassigns them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from bizext.db.models import Assessment, StaffRole, Training, TrainingAttendee
from bizext.db.session import UnitOfWork
from bizext.services import escalations
from bizext.services.calendars import calendar_for
from bizext.services.errors import NotFound
from bizext.services.principals import actor_label, require
from bizext.workflow.engine import Actor
from bizext.workflow.errors import FieldProblem, InvalidInput

ASSESSORS = ("admin", "supervisor")


@dataclass(frozen=True)
class RoleStanding:
    role: str
    qualified: bool
    suspended_since: datetime | None
    last_assessment: Assessment | None


def record_assessment(uow: UnitOfWork, actor: Actor, staff_id: uuid.UUID, *, role: str, score: float,
                      passed: bool, assessed_on: date, now: datetime) -> Assessment:
    require(actor, *ASSESSORS)
    staff = uow.staff.get(staff_id)
    if staff is None:
        raise NotFound("staff member", staff_id)
    held = uow.session.get(StaffRole, (staff_id, role))
    if held is None:
        raise InvalidInput([FieldProblem("/role", f"{staff.name} does not hold the role {role}")])
    if assessed_on > calendar_for(uow, staff.region).local(now).date():
        raise InvalidInput([FieldProblem("/assessed_on", "may not lie in the future")])
    row = uow.staff.add(Assessment(id=uuid.uuid4(), staff_id=staff_id, role=role, score=score, passed=passed,
                                   assessed_on=assessed_on, recorded_by=actor_label(actor), recorded_at=now))
    latest = uow.qualification.latest(staff_id, role)
    if latest is None or assessed_on >= latest.assessed_on:  # an older assessment recorded late changes nothing
        if passed:
            held.suspended_since = None
        elif held.suspended_since is None:
            held.suspended_since = now
            _escalate_open_stages(uow, staff_id, staff.name, role, now)
    uow.staff.flush()
    uow.commit()
    return row


def _escalate_open_stages(uow: UnitOfWork, staff_id: uuid.UUID, name: str, role: str, now: datetime) -> None:
    """Each open stage of that role owned by the suspended person escalates once, to its project manager."""
    from bizext.services.projects import definition_of

    for stage, project in uow.qualification.open_stages_of(staff_id):
        if definition_of(project).state(stage.state).owner_role != role:
            continue
        escalations.raise_for(
            uow, project, dedupe_key=f"owner_suspended:{stage.id}:{staff_id}", kind="owner_suspended", level=1,
            recipients_role="project_manager", now=now, stage_id=stage.id,
            explanation=f"{project.number} {project.title}: {name}, owner of the {stage.state} stage, is "
                        f"suspended from the {role} role after a failed assessment (停岗学习); reassign it.")


def assessments(uow: UnitOfWork, actor: Actor, staff_id: uuid.UUID) -> list[Assessment]:
    from bizext.services.staff import get as get_staff

    get_staff(uow, actor, staff_id)  # existence and who may read
    return uow.qualification.assessments(staff_id)


def standings(uow: UnitOfWork, staff_id: uuid.UUID) -> list[RoleStanding]:
    result = []
    for held in uow.qualification.roles(staff_id):
        result.append(RoleStanding(held.role, held.suspended_since is None, held.suspended_since,
                                   uow.qualification.latest(staff_id, held.role)))
    return result


def record_training(uow: UnitOfWork, actor: Actor, *, topic: str, held_on: date, attendee_ids: list[uuid.UUID],
                    now: datetime) -> tuple[Training, list[uuid.UUID]]:
    require(actor, *ASSESSORS)
    for i, sid in enumerate(attendee_ids):
        if uow.staff.get(sid) is None:
            raise InvalidInput([FieldProblem(f"/attendee_ids/{i}", f"no staff member {sid}")])
    training = uow.staff.add(Training(id=uuid.uuid4(), topic=topic, held_on=held_on,
                                      recorded_by=actor_label(actor), recorded_at=now))
    uow.staff.flush()
    for sid in dict.fromkeys(attendee_ids):
        uow.staff.add(TrainingAttendee(training_id=training.id, staff_id=sid))
    uow.staff.flush()
    uow.commit()
    return training, list(dict.fromkeys(attendee_ids))


def trainings_of(uow: UnitOfWork, staff_id: uuid.UUID) -> list[Training]:
    return uow.qualification.trainings_of(staff_id)
