"""Questions and answers (客户咨询): a customer's question is answered within 1 working day, a clock of its
own that escalates like any other; staff may also keep internal notes that customers never see."""

from __future__ import annotations

import uuid
from datetime import datetime

from bizext.db.models import Message, Project
from bizext.db.session import UnitOfWork
from bizext.services import clocks, escalations, events
from bizext.services.calendars import calendar_for
from bizext.services.errors import Forbidden
from bizext.services.principals import visible_project
from bizext.services.projects import definition_of
from bizext.workflow.clocks import QUESTION_ANSWER
from bizext.workflow.engine import Actor
from bizext.workflow.errors import FieldProblem, InvalidInput


def on_project(actor: Actor, project: Project) -> bool:
    """Staff who may speak for the utility on this project: its people, supervisors, admins."""
    if actor.is_admin or "supervisor" in actor.roles:
        return True
    return actor.kind == "staff" and actor.id in {
        str(project.customer_manager_id), str(project.project_manager_id), str(project.owner_staff_id)}


def post(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID, *, body: str, kind: str,
         reply_to: uuid.UUID | None, now: datetime) -> Message:
    project = visible_project(uow, actor, project_id)
    if kind == "question":
        if actor.kind != "customer":
            raise Forbidden("questions are asked by the project's customer")
        if reply_to is not None:
            raise InvalidInput([FieldProblem("/reply_to", "a question replies to nothing")])
    elif not on_project(actor, project):
        raise Forbidden("answers and internal notes come from the project's customer manager, project manager, "
                        "current owner, a supervisor or an admin")
    question = None
    if kind == "answer":
        question = uow.messages.get(reply_to) if reply_to else None
        if question is None or question.project_id != project.id or question.kind != "question":
            raise InvalidInput([FieldProblem("/reply_to", "an answer replies to a question of this project")])
    elif kind == "internal" and reply_to is not None:
        target = uow.messages.get(reply_to)
        if target is None or target.project_id != project.id:
            raise InvalidInput([FieldProblem("/reply_to", "no such message on this project")])

    message = uow.messages.add(Message(
        id=uuid.uuid4(), project_id=project.id, kind=kind, body=body, reply_to=reply_to, author_kind=actor.kind,
        author_id=actor.id, author_name=actor.name, created_at=now))
    uow.messages.flush()
    definition, cal = definition_of(project), calendar_for(uow, project.region)
    if kind == "question":
        run = clocks.start_service_clock(uow, project, definition, cal, QUESTION_ANSWER, now)
        message.clock_run_id = run.id
        events.record(uow, "question.asked", project=project, actor=actor, occurred_at=now, now=now,
                      data={"message_id": str(message.id), "deadline_at": run.deadline_at.isoformat()})
    elif question is not None and question.answered_at is None:
        question.answered_at = now
        run = uow.clocks.to_stop(question.clock_run_id) if question.clock_run_id else None
        if run is not None and run.stopped_at is None:
            stopped = clocks.stop_run(run, definition, cal, now)
            escalations.on_clocks_stopped(uow, project, [stopped], now)
        events.record(uow, "question.answered", project=project, actor=actor, occurred_at=now, now=now,
                      data={"message_id": str(message.id), "question_id": str(question.id)})
    uow.messages.flush()
    uow.commit()
    return message


def listing(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID) -> list[Message]:
    project = visible_project(uow, actor, project_id)
    return uow.messages.of_project(project.id, include_internal=actor.kind != "customer")
