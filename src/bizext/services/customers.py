"""Customers: the organisations that apply for a connection (a factory, a hospital, a data centre)."""

from __future__ import annotations

import uuid
from datetime import datetime

from bizext.db.models import Customer
from bizext.db.repositories import Conflict
from bizext.db.session import UnitOfWork
from bizext.services.errors import AlreadyExists, NotFound
from bizext.services.principals import require
from bizext.workflow.engine import Actor


def create(uow: UnitOfWork, actor: Actor, *, name: str, contact_name: str | None, phone: str | None,
           email: str | None, external_ref: str | None, now: datetime) -> Customer:
    """Register a customer (an admin, an integration such as the CRM, or a customer manager)."""
    require(actor, "admin", "integration", "customer_manager")
    customer = uow.customers.add(Customer(id=uuid.uuid4(), name=name, contact_name=contact_name, phone=phone,
                                          email=email, external_ref=external_ref, created_at=now,
                                          updated_at=now))
    try:
        uow.customers.flush()
    except Conflict:
        raise AlreadyExists(f"a customer with external_ref {external_ref!r} exists already",
                            "/external_ref") from None
    uow.commit()
    return customer


def get(uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID) -> Customer:
    customer = uow.customers.get(customer_id)
    own = actor.kind == "customer" and actor.customer_id == str(customer_id)
    may_read = own or actor.is_admin or actor.kind == "staff" or "integration" in actor.roles
    if customer is None or not may_read:
        # Customers learn nothing about other customers, not even that they exist.
        raise NotFound("customer", customer_id)
    return customer
