"""Customer progress (进度查询): the steps of a project, who has it now and until when, whom to call, the
questions still waiting for an answer, and when it should be energized."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from bizext.db.models import Message, Project, Staff
from bizext.db.session import UnitOfWork
from bizext.services import clocks
from bizext.services.calendars import calendar_for
from bizext.services.principals import visible_project
from bizext.services.projects import definition_of, details, facts_of
from bizext.workflow import progress as rules
from bizext.workflow.definitions import WorkflowDefinition
from bizext.workflow.engine import Actor
from bizext.workflow.errors import OwnerRef


@dataclass(frozen=True)
class OpenQuestion:
    message: Message
    answer_due_at: datetime | None


@dataclass(frozen=True)
class Progress:
    project: Project
    definition: WorkflowDefinition
    steps: tuple[rules.Step, ...]
    current: rules.CurrentStage | None  # None once the project is in a terminal state
    owner: OwnerRef | None
    customer_manager: Staff | None
    open_questions: list[OpenQuestion]
    forecast: rules.Forecast


def _running_stage_clocks(definition: WorkflowDefinition, views: list[clocks.ClockView]) -> list[clocks.ClockView]:
    """Running runs of the workflow's clocks over stages (not its whole-process limit, not service clocks)."""
    return [v for v in views if v.row.stopped_at is None
            and (c := definition.clock(v.row.clock)) is not None and rules.is_stage_clock(c)]


def _medians(uow: UnitOfWork, project: Project, definition: WorkflowDefinition,
             path: tuple[str, ...]) -> dict[str, rules.Median]:
    customer_steps = sorted({s for s in path if definition.state(s).side == "customer"})
    unsuccessful = [s.name for s in definition.states.values()
                    if s.terminal and s.name not in rules.success_states(definition)]
    found = uow.stage_history.median_days(
        project.workflow_key, customer_steps, exclude_project=project.id, unsuccessful=unsuccessful)
    return {state: rules.Median(days, n) for state, (days, n) in found.items()}


def of_project(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID, now: datetime) -> Progress:
    """The project's progress for its customer, or for staff and systems that may see it."""
    project = visible_project(uow, actor, project_id)
    d = details(uow, project, now)
    definition, facts = d.definition, facts_of(project)
    cal = calendar_for(uow, project.region)
    visits = [rules.Visit(s.state, s.visit, s.entered_at, s.left_at) for s in uow.projects.stages(project.id)]
    state = definition.state(project.state)

    if state.terminal:
        reached_at = max((v.left_at for v in visits if v.left_at), default=project.last_transition_at)
        steps = rules.steps(definition, facts, project.state, visits, reached_at)
        current, forecast = None, rules.reached(definition, cal, project.state, reached_at)
    else:
        steps = rules.steps(definition, facts, project.state, visits)
        running = _running_stage_clocks(definition, d.clocks)
        # The stage clock counting the current stage; with several at once, the one due first.
        clock = min(running, key=lambda v: v.standing.deadline_at, default=None)
        since = next((v.entered_at for v in visits if v.left_at is None), project.last_transition_at)
        current = rules.CurrentStage(
            project.state, since, clock=clock.row.clock if clock else None,
            deadline_at=clock.standing.deadline_at if clock else None,
            on_track=clock.standing.due != "overdue" if clock else None)
        path = rules.happy_path(definition, facts, project.state)
        forecast = rules.forecast(definition, project.supply, cal, path, current, {v.row.clock for v in running},
                                  _medians(uow, project, definition, path), now)

    manager = uow.staff.get(project.customer_manager_id) if project.customer_manager_id else None
    questions = []
    for message in uow.messages.open_questions(project.id):
        run = uow.clocks.get(message.clock_run_id) if message.clock_run_id else None
        questions.append(OpenQuestion(message, run.deadline_at if run is not None else None))
    return Progress(project, definition, steps, current, d.owner, manager, questions, forecast)
