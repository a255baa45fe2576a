"""Repositories: the queries the use cases need, named for what they answer."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from bizext.db.models import (
    ApiToken,
    Assignment,
    Counter,
    Customer,
    Project,
    Staff,
    StaffRole,
    StageOccurrence,
    TransitionRecord,
)


class Conflict(Exception):
    """A uniqueness constraint refused a write; the caller decides what it means."""


class StaleVersion(Exception):
    """Another transaction changed the row since it was read (the version guard matched no row)."""


def _keyset(query: Any, model: Any, after: tuple[datetime, uuid.UUID] | None, descending: bool) -> Any:
    """Keyset pagination on (created_at, id): stable when rows are inserted between pages."""
    if after is not None:
        at, last_id = after
        if descending:
            query = query.where(or_(model.created_at < at, and_(model.created_at == at, model.id < last_id)))
        else:
            query = query.where(or_(model.created_at > at, and_(model.created_at == at, model.id > last_id)))
    order = (model.created_at.desc(), model.id.desc()) if descending else (model.created_at, model.id)
    return query.order_by(*order)


class _Repository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, row: Any) -> Any:
        self.session.add(row)
        return row

    def touch(self, row: Any) -> None:
        """Mark a row changed even if no column differs, so its version moves on (e.g. roles changed)."""
        flag_modified(row, "updated_at")

    def flush(self) -> None:
        """Flush pending changes; a unique-constraint violation becomes `Conflict`, a lost version
        guard `StaleVersion`."""
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc
        except StaleDataError as exc:
            raise StaleVersion(str(exc)) from exc


def _pinned(session: Session, row: Any) -> Any:
    """Keep a row referenced for the rest of the unit of work. The session's identity map holds rows
    weakly, so a staff member read for authentication would otherwise be read again, a few lines later,
    as the stage's owner."""
    if row is not None:
        session.info.setdefault("pinned", []).append(row)
    return row


@dataclass(frozen=True)
class Standing:
    """A staff member's standing in one role."""

    name: str
    active: bool
    holds_role: bool
    suspended_since: datetime | None


class StaffRepository(_Repository):
    def get(self, staff_id: uuid.UUID) -> Staff | None:
        return _pinned(self.session, self.session.get(Staff, staff_id))

    def roles_of(self, staff_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        result: dict[uuid.UUID, list[str]] = {i: [] for i in staff_ids}
        if staff_ids:
            rows = self.session.execute(
                select(StaffRole.staff_id, StaffRole.role).where(StaffRole.staff_id.in_(staff_ids))
                .order_by(StaffRole.role))
            for staff_id, role in rows:
                result[staff_id].append(role)
        return result

    def set_roles(self, staff_id: uuid.UUID, roles: Sequence[str]) -> None:
        """Replace the roles held; a role kept keeps its suspension (a role change is no way around 停岗学习)."""
        held = {r.role: r for r in self.session.scalars(select(StaffRole).where(StaffRole.staff_id == staff_id))}
        for role, row in held.items():
            if role not in roles:
                self.session.delete(row)
        for role in sorted(set(roles) - set(held)):
            self.session.add(StaffRole(staff_id=staff_id, role=role))

    def standing(self, staff_id: uuid.UUID, role: str) -> Standing | None:
        """What deciding whether a staff member may own a `role` stage needs, in one statement of plain
        values (every transition into a named person's stage asks)."""
        row = self.session.execute(
            select(Staff.name, Staff.active, StaffRole.role, StaffRole.suspended_since)
            .outerjoin(StaffRole, and_(StaffRole.staff_id == Staff.id, StaffRole.role == role))
            .where(Staff.id == staff_id)).first()
        if row is None:
            return None
        return Standing(row.name, row.active, row.role is not None, row.suspended_since)

    def list(self, *, role: str | None, region: str | None, active: bool | None,
             after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Staff]:
        q = select(Staff)
        if role:
            q = q.where(Staff.id.in_(select(StaffRole.staff_id).where(StaffRole.role == role)))
        if region:
            q = q.where(Staff.region == region)
        if active is not None:
            q = q.where(Staff.active == active)
        return list(self.session.scalars(_keyset(q, Staff, after, descending=False).limit(limit)))

    def least_loaded(self, role: str, region: str) -> list[tuple[uuid.UUID, int, str]]:
        """Active holders of `role` in `region` with their number of open stages and their names, fewest first."""
        open_stages = (select(func.count()).select_from(StageOccurrence)
                       .where(StageOccurrence.owner_staff_id == Staff.id, StageOccurrence.left_at.is_(None)))
        return self._fewest_first(role, region, open_stages.scalar_subquery())

    def least_loaded_managers(self, role: str, region: str) -> list[tuple[uuid.UUID, int, str]]:
        """Active holders of a project-level role (customer or project manager) in `region`, with the
        number of open projects they hold, fewest first."""
        column = Project.customer_manager_id if role == "customer_manager" else Project.project_manager_id
        open_projects = (select(func.count()).select_from(Project)
                         .where(column == Staff.id, Project.owner_kind.is_not(None)))
        return self._fewest_first(role, region, open_projects.scalar_subquery())

    def _fewest_first(self, role: str, region: str, load: Any) -> list[tuple[uuid.UUID, int, str]]:
        q = (select(Staff.id, load.label("load"), Staff.name)
             .join(StaffRole, and_(StaffRole.staff_id == Staff.id, StaffRole.role == role,
                                   StaffRole.suspended_since.is_(None)))
             .where(Staff.region == region, Staff.active.is_(True))
             .order_by(load, Staff.id).limit(5))
        return [(row[0], row[1], row[2]) for row in self.session.execute(q)]


class CustomerRepository(_Repository):
    def get(self, customer_id: uuid.UUID) -> Customer | None:
        return _pinned(self.session, self.session.get(Customer, customer_id))

    def by_external_ref(self, ref: str) -> Customer | None:
        return self.session.scalar(select(Customer).where(Customer.external_ref == ref))

    def list(self, *, after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Customer]:
        return list(self.session.scalars(_keyset(select(Customer), Customer, after, False).limit(limit)))


@dataclass(frozen=True)
class Bearer:
    """A bearer token and the principal behind it: what authenticating a request needs, and nothing more."""

    id: uuid.UUID
    principal_kind: str  # staff | customer | client
    revoked_at: datetime | None
    expires_at: datetime | None
    client_name: str | None
    client_roles: list[str] | None
    staff_id: uuid.UUID | None
    staff_found: bool
    staff_name: str | None
    staff_active: bool | None
    roles: tuple[str, ...]  # the staff member's, in name order
    customer_id: uuid.UUID | None
    customer_found: bool
    customer_name: str | None


class TokenRepository(_Repository):
    def bearer(self, token_hash: str) -> Bearer | None:
        """The token with its staff member and their roles, or its customer, in one statement of plain rows
        (one row per role): every request authenticates, so this is the busiest query there is."""
        rows = self.session.execute(
            select(ApiToken.id, ApiToken.principal_kind, ApiToken.revoked_at, ApiToken.expires_at,
                   ApiToken.client_name, ApiToken.client_roles, ApiToken.staff_id, Staff.id.label("staff_found"),
                   Staff.name.label("staff_name"), Staff.active.label("staff_active"), StaffRole.role,
                   ApiToken.customer_id, Customer.id.label("customer_found"), Customer.name.label("customer_name"))
            .outerjoin(Staff, Staff.id == ApiToken.staff_id)
            .outerjoin(StaffRole, StaffRole.staff_id == Staff.id)
            .outerjoin(Customer, Customer.id == ApiToken.customer_id)
            .where(ApiToken.token_hash == token_hash).order_by(StaffRole.role)).all()
        if not rows:
            return None
        r = rows[0]
        return Bearer(r.id, r.principal_kind, r.revoked_at, r.expires_at, r.client_name, r.client_roles,
                      r.staff_id, r.staff_found is not None, r.staff_name, r.staff_active,
                      tuple(row.role for row in rows if row.role is not None), r.customer_id,
                      r.customer_found is not None, r.customer_name)

    def by_hash(self, token_hash: str) -> ApiToken | None:
        """The token, with the staff member behind it read in the same round trip (every request
        authenticates, so this is the busiest query there is)."""
        found = self.session.execute(select(ApiToken, Staff).outerjoin(Staff, Staff.id == ApiToken.staff_id)
                                     .where(ApiToken.token_hash == token_hash)).first()
        if found is None:
            return None
        _pinned(self.session, found.Staff)
        return found.ApiToken

    def get(self, token_id: uuid.UUID) -> ApiToken | None:
        return self.session.get(ApiToken, token_id)


class CounterRepository(_Repository):
    def next(self, name: str, n: int = 1) -> int:
        """Add `n` to a named counter and return its new value. The row lock serialises concurrent
        callers until their commit (which is what makes event sequences commit in order)."""
        bump = (update(Counter).where(Counter.name == name).values(value=Counter.value + n)
                .returning(Counter.value))
        value = self.session.execute(bump).scalar_one_or_none()
        if value is None:  # first use of this counter
            dialect = self.session.get_bind().dialect.name
            create = (_pg_insert_ignore(name) if dialect == "postgresql"
                      else insert(Counter).values(name=name, value=0).prefix_with("OR IGNORE"))
            self.session.execute(create)
            value = self.session.execute(bump).scalar_one()
        return value




@dataclass(frozen=True)
class ProjectWithNames:
    """A project with the names its answers and moves show: its staff stage owner's and its customer's."""

    project: Project
    staff_owner_name: str | None  # when a staff member owns the current stage
    customer_name: str | None

    @property
    def owner_name(self) -> str | None:
        """The current owner's name: the staff member's for a staff stage, the customer's for a customer stage."""
        if self.project.owner_kind == "customer":
            return self.customer_name
        return self.staff_owner_name if self.project.owner_kind == "staff" else None


def _projects_with_names() -> Any:
    """Built once: building the joins anew for every read cost more than running them."""
    owner_staff = aliased(Staff)
    return (select(Project, owner_staff.name.label("staff_owner_name"), Customer.name.label("customer_name"))
            .outerjoin(owner_staff, and_(Project.owner_kind == "staff", owner_staff.id == Project.owner_staff_id))
            .outerjoin(Customer, Customer.id == Project.customer_id))


_WITH_NAMES = _projects_with_names()


def _pg_insert_ignore(name: str) -> Any:
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return pg_insert(Counter).values(name=name, value=0).on_conflict_do_nothing(index_elements=["name"])


class ProjectRepository(_Repository):
    def get(self, project_id: uuid.UUID) -> Project | None:
        return self.session.get(Project, project_id)

    def with_names(self, project_id: uuid.UUID) -> ProjectWithNames | None:
        """The project with its owner's and its customer's names, in one statement."""
        found = self.session.execute(_WITH_NAMES.where(Project.id == project_id)).first()
        return ProjectWithNames(*found) if found is not None else None

    def list_with_names(self, *, filters: dict[str, Any], after: tuple[datetime, uuid.UUID] | None,
                        limit: int) -> list[ProjectWithNames]:
        """A page of `list`, each project with its owner's and its customer's names, in one statement."""
        q = _WITH_NAMES
        for column, value in filters.items():
            if value is not None:
                q = q.where(getattr(Project, column) == value)
        return [ProjectWithNames(*row) for row in self.session.execute(_keyset(q, Project, after, descending=True)
                                                                       .limit(limit))]

    def numbers(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Project numbers by id (plain rows: a page of escalations shows a number, not a project)."""
        if not ids:
            return {}
        return {i: n for i, n in self.session.execute(select(Project.id, Project.number)
                                                      .where(Project.id.in_(set(ids))))}

    def by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Project]:
        if not ids:
            return {}
        return {p.id: p for p in self.session.scalars(select(Project).where(Project.id.in_(set(ids))))}

    def open_stages(self, project_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, StageOccurrence]:
        if not project_ids:
            return {}
        rows = self.session.scalars(select(StageOccurrence).where(
            StageOccurrence.project_id.in_(set(project_ids)), StageOccurrence.left_at.is_(None)))
        return {s.project_id: s for s in rows}

    def by_external_ref(self, customer_id: uuid.UUID, ref: str) -> Project | None:
        return self.session.scalar(
            select(Project).where(Project.customer_id == customer_id, Project.external_ref == ref))

    def list(self, *, filters: dict[str, Any], after: tuple[datetime, uuid.UUID] | None,
             limit: int) -> list[Project]:
        q = select(Project)
        for column, value in filters.items():
            if value is not None:
                q = q.where(getattr(Project, column) == value)
        return list(self.session.scalars(_keyset(q, Project, after, descending=True).limit(limit)))


    def refresh(self, project: Project) -> None:
        self.session.refresh(project)

    # -- stages -----------------------------------------------------------------------------------
    def open_stage(self, project_id: uuid.UUID) -> StageOccurrence | None:
        return self.session.scalar(select(StageOccurrence).where(
            StageOccurrence.project_id == project_id, StageOccurrence.left_at.is_(None)))


    def stages(self, project_id: uuid.UUID) -> list[StageOccurrence]:
        return list(self.session.scalars(select(StageOccurrence).where(StageOccurrence.project_id == project_id)
                                         .order_by(StageOccurrence.seq)))


    # -- history ----------------------------------------------------------------------------------
    def transitions(self, project_id: uuid.UUID) -> list[TransitionRecord]:
        return list(self.session.scalars(select(TransitionRecord).where(TransitionRecord.project_id == project_id)
                                         .order_by(TransitionRecord.seq)))

    def assignments(self, project_id: uuid.UUID) -> list[Assignment]:
        # Oldest first; equal instants (backdated work) fall back to the stage's order, entry before reassignment.
        reassigned_last = case((Assignment.basis == "reassigned", 1), else_=0)
        return list(self.session.scalars(
            select(Assignment).join(StageOccurrence, StageOccurrence.id == Assignment.stage_occurrence_id)
            .where(Assignment.project_id == project_id)
            .order_by(Assignment.assigned_at, StageOccurrence.seq, reassigned_last)))
