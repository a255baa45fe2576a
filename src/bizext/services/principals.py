"""Who is calling (bearer tokens) and what their kind of principal may see."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime

from bizext.db.models import ApiToken, Project
from bizext.db.session import UnitOfWork
from bizext.services.errors import Forbidden, NotAuthenticated, NotFound
from bizext.workflow.engine import Actor

STAFF_ROLES = frozenset({
    "admin", "customer_manager", "planner", "design_reviewer", "inspector", "metering_technician",
    "project_manager", "supervisor",
})
CLIENT_ROLES = frozenset({"integration", "escalation_checker"})
TOKEN_PREFIX = "bxt_"
#: The principal behind BIZEXT_ADMIN_TOKEN (bootstrap and automation).
BOOTSTRAP_ADMIN = Actor(kind="admin", id=None, name="bootstrap admin", roles=frozenset({"admin"}))


def new_token() -> tuple[str, str]:
    """A fresh opaque token and the hash that is all we keep of it."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(uow: UnitOfWork, token: str | None, admin_token: str | None, *, now: datetime) -> Actor:
    if not token:
        raise NotAuthenticated()
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return BOOTSTRAP_ADMIN
    row = uow.tokens.bearer(hash_token(token))
    if row is None or row.revoked_at is not None:
        raise NotAuthenticated("the bearer token is unknown or revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise NotAuthenticated("the session has expired; sign in again")
    if row.principal_kind == "client":
        return Actor(kind="client", id=str(row.id), name=row.client_name or "client",
                     roles=frozenset(row.client_roles or ()))
    # `person`, from what the token's one statement read with it
    if row.staff_id is not None:
        if not row.staff_found or not row.staff_active:
            raise NotAuthenticated("the staff member behind this token is inactive")
        return Actor(kind="staff", id=str(row.staff_id), name=row.staff_name, roles=frozenset(row.roles))
    if not row.customer_found:
        raise NotAuthenticated("the customer behind this token no longer exists")
    return Actor(kind="customer", id=str(row.customer_id), name=row.customer_name,
                 customer_id=str(row.customer_id))


def person(uow: UnitOfWork, *, staff_id: uuid.UUID | None, customer_id: uuid.UUID | None) -> Actor:
    """The staff member or customer as an actor; NotAuthenticated if they may no longer act."""
    if staff_id is not None:
        staff = uow.staff.get(staff_id)
        if staff is None or not staff.active:
            raise NotAuthenticated("the staff member behind this token is inactive")
        roles = uow.staff.roles_of([staff.id])[staff.id]
        return Actor(kind="staff", id=str(staff.id), name=staff.name, roles=frozenset(roles))
    customer = uow.customers.get(customer_id)  # type: ignore[arg-type]
    if customer is None:
        raise NotAuthenticated("the customer behind this token no longer exists")
    return Actor(kind="customer", id=str(customer.id), name=customer.name, customer_id=str(customer.id))


def require(actor: Actor, *roles: str) -> None:
    """Admins pass everywhere; anyone else needs one of `roles`."""
    if actor.is_admin or actor.roles.intersection(roles):
        return
    raise Forbidden(f"this action needs one of the roles: {', '.join(roles)}")


def reads_all_projects(actor: Actor) -> bool:
    """Staff, admins and integration clients read every project; customers only their own."""
    return actor.is_admin or actor.kind == "staff" or "integration" in actor.roles


def check_can_read_projects(actor: Actor) -> None:
    if actor.kind != "customer" and not reads_all_projects(actor):
        raise Forbidden("this principal may not read projects")


def visible_project(uow: UnitOfWork, actor: Actor, project_id: uuid.UUID) -> Project:
    """The project, if the caller may see it. A customer never learns another customer's project exists."""
    check_can_read_projects(actor)
    return check_visible(actor, project_id, uow.projects.get(project_id))


def check_visible(actor: Actor, project_id: uuid.UUID, project: Project | None) -> Project:
    """The project read for `project_id`, if the caller may see it (see `visible_project`)."""
    if project is None or (actor.kind == "customer" and str(project.customer_id) != actor.customer_id):
        raise NotFound("project", project_id)
    return project


def actor_label(actor: Actor) -> str:
    return f"{actor.kind}:{actor.id or actor.name}"


def revoke(row: ApiToken, now: datetime) -> None:
    if row.revoked_at is None:
        row.revoked_at = now
