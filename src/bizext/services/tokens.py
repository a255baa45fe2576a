"""API tokens: issued to a staff member, a customer, or a client system; shown once, stored hashed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bizext.db.models import ApiToken
from bizext.db.session import UnitOfWork
from bizext.services.errors import NotFound
from bizext.services.principals import CLIENT_ROLES, new_token, require, revoke
from bizext.workflow.engine import Actor
from bizext.workflow.errors import FieldProblem, InvalidInput


@dataclass(frozen=True)
class IssuedToken:
    row: ApiToken
    token: str  # the only time the plain token exists outside the caller's hands


def issue(uow: UnitOfWork, actor: Actor, *, staff_id: uuid.UUID | None, customer_id: uuid.UUID | None,
          client_name: str | None, client_roles: Sequence[str] | None, now: datetime) -> IssuedToken:
    require(actor, "admin")
    given = [x for x in (staff_id, customer_id, client_name) if x is not None]
    if len(given) != 1:
        raise InvalidInput([FieldProblem("", "give exactly one of staff_id, customer_id or client")])
    if client_name is not None:
        # The CLI reaches here without the API's schema, so the service checks what the columns need.
        if not 0 < len(client_name) <= 200 or "\x00" in client_name:
            raise InvalidInput([FieldProblem("/client/name", "1 to 200 characters")])
        unknown = sorted(set(client_roles or ()) - CLIENT_ROLES)
        if unknown or not client_roles:
            raise InvalidInput([FieldProblem("/client/roles", f"give one or more of {sorted(CLIENT_ROLES)}"
                                             + (f"; unknown: {unknown}" if unknown else ""))])
    if staff_id is not None and uow.staff.get(staff_id) is None:
        raise InvalidInput([FieldProblem("/staff_id", f"no staff member {staff_id}")])
    if customer_id is not None and uow.customers.get(customer_id) is None:
        raise InvalidInput([FieldProblem("/customer_id", f"no customer {customer_id}")])
    token, digest = new_token()
    kind = "staff" if staff_id else "customer" if customer_id else "client"
    row = uow.tokens.add(ApiToken(
        id=uuid.uuid4(), token_hash=digest, principal_kind=kind, staff_id=staff_id, customer_id=customer_id,
        client_name=client_name, client_roles=sorted(set(client_roles or [])) if client_name else None,
        created_at=now))
    uow.tokens.flush()
    uow.commit()
    return IssuedToken(row, token)


def revoke_token(uow: UnitOfWork, actor: Actor, token_id: uuid.UUID, now: datetime) -> None:
    require(actor, "admin")
    row = uow.tokens.get(token_id)
    if row is None:
        raise NotFound("token", token_id)
    revoke(row, now)
    uow.tokens.flush()
    uow.commit()
