"""Staff: the utility's people, their roles and regions (who may own which stage)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bizext.db.models import Staff
from bizext.db.repositories import Conflict, StaleVersion
from bizext.db.session import UnitOfWork
from bizext.services.errors import AlreadyExists, ConcurrentModification, Forbidden, NotFound
from bizext.services.preconditions import check_if_match
from bizext.services.principals import require
from bizext.workflow.engine import Actor


@dataclass(frozen=True)
class StaffDetails:
    staff: Staff
    roles: list[str]


def _readable_by(actor: Actor) -> None:
    if actor.kind == "customer" or (actor.kind == "client" and "integration" not in actor.roles):
        raise Forbidden("only staff and integration clients may read the staff directory")


def create(uow: UnitOfWork, actor: Actor, *, name: str, region: str, roles: Sequence[str], email: str | None,
           phone: str | None, active: bool, now: datetime) -> StaffDetails:
    require(actor, "admin")
    staff = uow.staff.add(Staff(id=uuid.uuid4(), name=name, region=region, email=email, phone=phone,
                                active=active, created_at=now, updated_at=now))
    try:
        uow.staff.flush()
    except Conflict:
        raise AlreadyExists(f"a staff member with e-mail {email!r} exists already", "/email") from None
    uow.staff.set_roles(staff.id, roles)
    uow.staff.flush()
    uow.commit()
    return StaffDetails(staff, sorted(set(roles)))


def get(uow: UnitOfWork, actor: Actor, staff_id: uuid.UUID) -> StaffDetails:
    _readable_by(actor)
    staff = uow.staff.get(staff_id)
    if staff is None:
        raise NotFound("staff member", staff_id)
    return StaffDetails(staff, uow.staff.roles_of([staff.id])[staff.id])


def listing(uow: UnitOfWork, actor: Actor, *, role: str | None, region: str | None, active: bool | None,
            after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[StaffDetails]:
    _readable_by(actor)
    rows = uow.staff.list(role=role, region=region, active=active, after=after, limit=limit)
    roles = uow.staff.roles_of([s.id for s in rows])
    return [StaffDetails(s, roles[s.id]) for s in rows]


def update(uow: UnitOfWork, actor: Actor, staff_id: uuid.UUID, *, changes: dict[str, object],
           if_match: str | None, now: datetime) -> StaffDetails:
    """Change roles, region, active, name or contact details (admin)."""
    require(actor, "admin")
    staff = uow.staff.get(staff_id)
    if staff is None:
        raise NotFound("staff member", staff_id)
    check_if_match(if_match, staff.version)
    for field in ("name", "region", "active", "email", "phone"):
        if field in changes:
            setattr(staff, field, changes[field])
    staff.updated_at = now
    uow.staff.touch(staff)
    try:
        uow.staff.flush()
    except StaleVersion:
        raise ConcurrentModification("staff member", staff_id) from None
    except Conflict:
        raise AlreadyExists(f"a staff member with e-mail {changes.get('email')!r} exists already",
                            "/email") from None
    if "roles" in changes:
        uow.staff.set_roles(staff.id, changes["roles"])  # type: ignore[arg-type]
        uow.staff.flush()
    uow.commit()
    return StaffDetails(staff, uow.staff.roles_of([staff.id])[staff.id])
