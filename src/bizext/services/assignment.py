"""Picking and changing stage owners (DESIGN §7), with every assignment recorded."""

from __future__ import annotations

import uuid
from datetime import datetime

from bizext.db.models import Assignment, Project, StageOccurrence
from bizext.db.repositories import Standing
from bizext.db.session import UnitOfWork
from bizext.workflow.assignment import NAMED_ROLES, Candidate, Choice, least_loaded
from bizext.workflow.definitions import StateDef
from bizext.workflow.errors import OwnerNotEligible


def standing_problem(standing: Standing | None, role: str) -> str | None:
    """Why this staff member cannot own a `role` stage, or None when they can."""
    if standing is None:
        return "no such staff member"
    if not standing.active:
        return "the staff member is inactive"
    if not standing.holds_role:
        return f"the staff member does not hold the role {role}"
    if standing.suspended_since is not None:
        return (f"the staff member is suspended from the role {role} since "
                f"{standing.suspended_since.isoformat()} (停岗学习)")
    return None


def require_eligible(uow: UnitOfWork, staff_id: uuid.UUID, role: str, pointer: str) -> str:
    """The staff member's name, if they may own a `role` stage; OwnerNotEligible (at `pointer`) if not."""
    standing = uow.staff.standing(staff_id, role)
    why = standing_problem(standing, role)
    if why:
        raise OwnerNotEligible(str(staff_id), role, why, pointer)
    return standing.name  # type: ignore[union-attr]  # no problem means there is a standing


def choose_owner(uow: UnitOfWork, project: Project, state: StateDef, assign_to: str | None,
                 customer_name: str | None = None) -> Choice:
    """The owner of a stage being entered, in DESIGN §7's order (`customer_name` names a customer stage's owner)."""
    role = state.owner_role
    if role is None:
        return Choice("none", None, "terminal")
    if role == "customer":
        return Choice("customer", None, "customer", customer_name)
    if assign_to:
        name = require_eligible(uow, uuid.UUID(assign_to), role, "/input/assign_to")
        return Choice("staff", assign_to, "explicit", name)
    named_attr = NAMED_ROLES.get(role)
    named = getattr(project, named_attr) if named_attr else None
    if named is not None:
        standing = uow.staff.standing(named, role)
        if standing_problem(standing, role) is None:
            return Choice("staff", str(named), "named", standing.name)  # type: ignore[union-attr]
    pick = least_loaded([Candidate(str(i), n, name) for i, n, name in uow.staff.least_loaded(role, project.region)])
    if pick is None:
        return Choice("unassigned", None, "unassigned")
    return Choice("staff", pick.staff_id, "least_loaded", pick.name)


def choose_manager(uow: UnitOfWork, role: str, region: str, given: uuid.UUID | None, pointer: str) -> uuid.UUID | None:
    """A project's customer manager or project manager: the one given, else the least busy in the region."""
    if given is not None:
        require_eligible(uow, given, role, pointer)
        return given
    pick = least_loaded([Candidate(str(i), n) for i, n, _ in uow.staff.least_loaded_managers(role, region)])
    return uuid.UUID(pick.staff_id) if pick else None


def record(uow: UnitOfWork, project: Project, stage: StageOccurrence, choice: Choice, *, by: str,
           reason: str | None, at: datetime) -> Assignment:
    return uow.projects.add(Assignment(
        id=uuid.uuid4(), project_id=project.id, stage_occurrence_id=stage.id, state=stage.state,
        owner_kind=choice.kind, staff_id=uuid.UUID(choice.staff_id) if choice.staff_id else None,
        basis=choice.basis, reason=reason, assigned_by=by, assigned_at=at))
