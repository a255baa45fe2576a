"""Projects: applications for a connection, from receipt to a terminal state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bizext.db.models import ClockRun, Project, StageOccurrence
from bizext.db.repositories import Conflict, ProjectWithNames, StaleVersion
from bizext.db.session import UnitOfWork
from bizext.services import assignment, clocks, escalations, events
from bizext.services.calendars import calendar_for
from bizext.services.errors import (
    ConcurrentModification,
    DuplicateExternalRef,
    Forbidden,
    StageNotReassignable,
)
from bizext.services.principals import (
    actor_label,
    check_can_read_projects,
    check_visible,
    require,
    visible_project,
)
from bizext.services.preconditions import check_if_match
from bizext.workflow.definitions import WorkflowDefinition, registry
from bizext.workflow.engine import Actor
from bizext.workflow.errors import FieldProblem, InvalidInput, OwnerRef, UnknownWorkflow
from bizext.workflow.guards import ProjectFacts

#: 10 kV and above is high voltage: DESIGN §3.
HIGH_VOLTAGE_KV = 10
NUMBER_ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class NewProject:
    title: str
    site_address: str
    voltage_kv: float
    capacity_kva: float
    supply: str
    important: bool
    region: str
    customer_id: uuid.UUID | None = None
    workflow: str | None = None
    external_ref: str | None = None
    received_at: datetime | None = None
    customer_manager_id: uuid.UUID | None = None
    project_manager_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ProjectDetails:
    project: Project
    definition: WorkflowDefinition
    owner: OwnerRef | None  # None once the project is in a terminal state
    clocks: list[clocks.ClockView]  # the latest run of each clock

def definition_of(project: Project) -> WorkflowDefinition:
    return registry().get(project.workflow_key, project.workflow_version)


def facts_of(project: Project) -> ProjectFacts:
    return ProjectFacts(supply=project.supply, capacity_kva=project.capacity_kva, voltage_kv=project.voltage_kv,
                        important=project.important, flags=project.flags or {})


def owner_of(uow: UnitOfWork, project: Project, names: dict[uuid.UUID, str | None] | None = None
             ) -> OwnerRef | None:
    """The current owner; `names`, when the caller read them with the projects, has the owner's name by project."""
    if project.owner_kind is None:
        return None
    if project.owner_kind == "staff" and project.owner_staff_id is not None:
        if names is not None:
            return OwnerRef("staff", str(project.owner_staff_id), names.get(project.id))
        staff = uow.staff.get(project.owner_staff_id)
        return OwnerRef("staff", str(project.owner_staff_id), staff.name if staff else None)
    if project.owner_kind == "customer":
        if names is not None:
            return OwnerRef("customer", str(project.customer_id), names.get(project.id))
        customer = uow.customers.get(project.customer_id)
        return OwnerRef("customer", str(project.customer_id), customer.name if customer else None)
    return OwnerRef("unassigned")


def details(uow: UnitOfWork, project: Project, now: datetime, runs: list[ClockRun] | None = None,
            owner_name: str | None = None) -> ProjectDetails:
    """One project with owner and clocks; `runs` are its clock runs and `owner_name` its owner's name when
    the caller holds them already."""
    return details_many(uow, [project], now, None if runs is None else {project.id: runs},
                        None if owner_name is None else {project.id: owner_name})[0]


def details_many(uow: UnitOfWork, rows: list[Project], now: datetime,
                 runs: dict[uuid.UUID, list[ClockRun]] | None = None,
                 owner_names: dict[uuid.UUID, str | None] | None = None) -> list[ProjectDetails]:
    """Projects with owners and clocks, loading the clock runs of all of them in one query (and the owners'
    names, unless the caller read them with the projects)."""
    if runs is None:
        runs = uow.clocks.of_projects([p.id for p in rows])
    calendars = {region: calendar_for(uow, region) for region in {p.region for p in rows}}
    result = []
    for p in rows:
        definition = definition_of(p)
        latest = clocks.latest_per_clock(runs.get(p.id, []))
        result.append(ProjectDetails(p, definition, owner_of(uow, p, owner_names),
                                     clocks.views(definition, calendars[p.region], latest, now)))
    return result


def _pick_workflow(data: NewProject) -> WorkflowDefinition:
    key = data.workflow or ("hv-standard" if data.voltage_kv >= HIGH_VOLTAGE_KV else "lv-simple")
    try:
        return registry().get(key)
    except UnknownWorkflow:
        raise InvalidInput([FieldProblem("/workflow", f"unknown workflow {key!r}")]) from None


def _customer_for(uow: UnitOfWork, actor: Actor, data: NewProject) -> uuid.UUID:
    if actor.kind == "customer":
        if data.customer_id is not None and str(data.customer_id) != actor.customer_id:
            raise InvalidInput([FieldProblem("/customer_id", "a customer applies only for itself")])
        return uuid.UUID(actor.customer_id)  # type: ignore[arg-type]
    if data.customer_id is None:
        raise InvalidInput([FieldProblem("/customer_id", "customer_id is required")])
    if uow.customers.get(data.customer_id) is None:
        raise InvalidInput([FieldProblem("/customer_id", f"no customer {data.customer_id}")])
    return data.customer_id


def create(uow: UnitOfWork, actor: Actor, data: NewProject, now: datetime) -> ProjectDetails:
    """Receive an application: number it, put it in the workflow's first stage, and give that stage an owner."""
    if actor.kind != "customer":
        require(actor, "admin", "integration", "customer_manager")
    definition = _pick_workflow(data)
    customer_id = _customer_for(uow, actor, data)
    received_at = data.received_at or now
    if received_at > now:
        raise InvalidInput([FieldProblem("/received_at", "may not lie in the future")])
    if data.external_ref is not None:
        existing = uow.projects.by_external_ref(customer_id, data.external_ref)
        if existing is not None:
            raise DuplicateExternalRef(data.external_ref, existing.id)

    year = received_at.astimezone(NUMBER_ZONE).year
    number = f"BX{year}-{uow.counters.next(f'project_number:{year}'):06d}"
    project = uow.projects.add(Project(
        id=uuid.uuid4(), number=number, customer_id=customer_id, workflow_key=definition.key,
        workflow_version=definition.version, state=definition.initial, title=data.title,
        site_address=data.site_address, voltage_kv=data.voltage_kv, capacity_kva=data.capacity_kva,
        supply=data.supply, important=data.important, region=data.region, external_ref=data.external_ref,
        received_at=received_at, flags={}, last_transition_at=received_at, created_at=now, updated_at=now,
        customer_manager_id=assignment.choose_manager(uow, "customer_manager", data.region,
                                                      data.customer_manager_id, "/customer_manager_id"),
        project_manager_id=assignment.choose_manager(uow, "project_manager", data.region,
                                                     data.project_manager_id, "/project_manager_id"),
    ))
    first = definition.state(definition.initial)
    choice = assignment.choose_owner(uow, project, first, None)
    project.owner_kind, project.owner_staff_id = choice.kind, _uuid(choice.staff_id)
    try:
        uow.projects.flush()
    except Conflict:
        # Lost a race with a concurrent creation of the same external_ref.
        uow.session.rollback()
        existing = uow.projects.by_external_ref(customer_id, data.external_ref or "")
        raise DuplicateExternalRef(data.external_ref or "", existing.id if existing else None) from None
    stage = uow.projects.add(StageOccurrence(
        id=uuid.uuid4(), project_id=project.id, seq=1, state=first.name, visit=1, entered_at=received_at,
        owner_kind=choice.kind, owner_staff_id=_uuid(choice.staff_id)))
    uow.projects.flush()
    assignment.record(uow, project, stage, choice, by=actor_label(actor), reason=None, at=received_at)
    changes = clocks.on_move(uow, project, definition, calendar_for(uow, project.region), from_state=None,
                             stage=stage, at=received_at)
    events.record(uow, "project.created", project=project, actor=actor, occurred_at=received_at, now=now, data={
        "number": project.number, "workflow": {"key": definition.key, "version": definition.version},
        "state": project.state, "customer_id": str(customer_id), "title": project.title, "region": project.region,
        "voltage_kv": project.voltage_kv, "capacity_kva": project.capacity_kva, "supply": project.supply,
        "important": project.important, "external_ref": project.external_ref})
    record_owner_event(uow, project, stage, choice, actor, received_at, now)
    for run in changes.started:
        events.record(uow, "clock.started", project=project, actor=None, occurred_at=received_at, now=now,
                      data=events.clock_data(run))
    if choice.kind == "unassigned":
        escalations.raise_unassigned(uow, project, stage, first.owner_role, now)
    uow.projects.flush()
    uow.commit()
    return details(uow, project, now, changes.runs, choice.name)


def visible_with_names(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID) -> ProjectWithNames:
    """`visible_project`, with the names its answer shows read in the same statement."""
    check_can_read_projects(actor)
    found = uow.projects.with_names(project_id)
    check_visible(actor, project_id, found.project if found else None)
    return found  # type: ignore[return-value]  # check_visible raised if it was None


def get(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID, now: datetime) -> ProjectDetails:
    found = visible_with_names(uow, actor, project_id)
    return details(uow, found.project, now, owner_name=found.owner_name)


def listing(uow: UnitOfWork, actor: Actor, *, filters: dict[str, object],
            after: tuple[datetime, uuid.UUID] | None, limit: int, now: datetime) -> list[ProjectDetails]:
    check_can_read_projects(actor)
    known = {s for d in registry().latest() for s in d.states}
    if filters.get("state") is not None and filters["state"] not in known:
        raise InvalidInput([FieldProblem("", f"unknown state {filters['state']!r}")], detail="unknown state filter")
    if filters.get("workflow_key") is not None and filters["workflow_key"] not in {d.key for d in registry().latest()}:
        raise InvalidInput([FieldProblem("", f"unknown workflow {filters['workflow_key']!r}")],
                           detail="unknown workflow filter")
    if actor.kind == "customer":
        # A customer's list is its own projects, whatever filter it asks for.
        requested = filters.get("customer_id")
        if requested is not None and str(requested) != actor.customer_id:
            return []
        filters = {**filters, "customer_id": uuid.UUID(actor.customer_id)}  # type: ignore[arg-type]
    found = uow.projects.list_with_names(filters=filters, after=after, limit=limit)
    return details_many(uow, [f.project for f in found], now,
                        owner_names={f.project.id: f.owner_name for f in found})


def reassign(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID, *, staff_id: uuid.UUID, reason: str,
             if_match: str | None, now: datetime) -> ProjectDetails:
    """Give the current stage to someone else (the project's manager, a supervisor, an admin)."""
    project = visible_project(uow, actor, project_id)
    is_pm = actor.kind == "staff" and actor.id == str(project.project_manager_id)
    if not (is_pm or actor.is_admin or "supervisor" in actor.roles):
        raise Forbidden("only the project's manager, a supervisor or an admin may reassign a stage")
    check_if_match(if_match, project.version)
    state = definition_of(project).state(project.state)
    if state.terminal:
        raise StageNotReassignable(f"the project is {project.state}: there is no stage to reassign")
    if state.owner_role == "customer":
        raise StageNotReassignable(f"the {project.state} stage belongs to the customer")
    name = assignment.require_eligible(uow, staff_id, state.owner_role, "/staff_id")  # type: ignore[arg-type]
    stage = uow.projects.open_stage(project.id)
    assert stage is not None, "a non-terminal project always has an open stage"
    project.owner_kind, project.owner_staff_id, project.updated_at = "staff", staff_id, now
    stage.owner_kind, stage.owner_staff_id = "staff", staff_id
    try:
        uow.projects.flush()
    except StaleVersion:
        raise ConcurrentModification("project", project_id) from None
    choice = assignment.Choice("staff", str(staff_id), "reassigned", name)
    assignment.record(uow, project, stage, choice, by=actor_label(actor), reason=reason, at=now)
    events.record(uow, "owner.reassigned", project=project, actor=actor, occurred_at=now, now=now,
                  data={"state": stage.state, "staff_id": str(staff_id), "reason": reason})
    escalations.resolve(uow, project, uow.escalations.open_for_stage(stage.id, "unassigned"), "assigned", now)
    uow.projects.flush()
    uow.commit()
    return details(uow, project, now, owner_name=name)


def record_owner_event(uow: UnitOfWork, project: Project, stage: StageOccurrence, choice: assignment.Choice,
                       actor: Actor | None, at: datetime, now: datetime) -> None:
    events.record(uow, "owner.assigned", project=project, actor=actor, occurred_at=at, now=now, data={
        "state": stage.state, "owner_kind": choice.kind, "staff_id": choice.staff_id, "basis": choice.basis})


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None
