"""People's sign-in accounts: what a login is, and setting passwords (an admin through the API or the CLI,
and the demo).

A **login** names one person, staff member or customer: logins are unique across both. It is fixed when the
person first gets a password: the login the admin gives (an employee number, a short name), or by default
the identifier the utility already hands out, a staff member's e-mail address or a customer's CRM/CIS number
(`external_ref`). Logins are compared NFKC-normalised and case-folded, and stored that way. Setting a
password ends the person's open sessions (API tokens stay)."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

from bizext.db.models import Account
from bizext.db.repositories import Conflict
from bizext.db.session import UnitOfWork
from bizext.services import passwords
from bizext.services.errors import AlreadyExists, NotFound
from bizext.services.principals import require
from bizext.workflow.engine import Actor
from bizext.workflow.errors import FieldProblem, InvalidInput

LOGIN_MAX_LENGTH = 100


@dataclass(frozen=True)
class AccountDetails:
    account: Account
    name: str  # the person's


def normalise_login(login: str) -> str:
    return unicodedata.normalize("NFKC", login).strip().casefold()


def set_staff_password(uow: UnitOfWork, actor: Actor, staff_id: uuid.UUID, *, password: str, login: str | None,
                       now: datetime) -> AccountDetails:
    require(actor, "admin")
    staff = uow.staff.get(staff_id)
    if staff is None:
        raise NotFound("staff member", staff_id)
    return _set(uow, uow.accounts.of_staff(staff_id), password, login, default=(staff.email, "e-mail address"),
                staff_id=staff_id, name=staff.name, now=now)


def set_customer_password(uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID, *, password: str,
                          login: str | None, now: datetime) -> AccountDetails:
    require(actor, "admin")
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    return _set(uow, uow.accounts.of_customer(customer_id), password, login,
                default=(customer.external_ref, "external_ref (CRM/CIS number)"),
                customer_id=customer_id, name=customer.name, now=now)


def set_password_by_login(uow: UnitOfWork, actor: Actor, login: str, *, password: str,
                          now: datetime) -> AccountDetails:
    """The person signing in as `login`, or (before their first password) whose default login it is."""
    require(actor, "admin")
    key = normalise_login(login)
    account = uow.accounts.by_login(key)
    staff_id = account.staff_id if account else getattr(uow.accounts.staff_by_email(key), "id", None)
    if staff_id is not None:
        return set_staff_password(uow, actor, staff_id, password=password, login=None, now=now)
    customer_id = account.customer_id if account else getattr(uow.accounts.customer_by_external_ref(key), "id", None)
    if customer_id is not None:
        return set_customer_password(uow, actor, customer_id, password=password, login=None, now=now)
    raise NotFound("account, staff e-mail or customer external_ref", login)


def _set(uow: UnitOfWork, account: Account | None, password: str, login: str | None, *,
         default: tuple[str | None, str], staff_id: uuid.UUID | None = None,
         customer_id: uuid.UUID | None = None, name: str, now: datetime) -> AccountDetails:
    problems = passwords.problems(password)
    if login is not None:
        problems += _login_problems(normalise_login(login))
    if account is None and login is None:
        value, what = default
        if value is None:
            problems.append(FieldProblem("/login", f"this person has no {what} to sign in with: give a login"))
        else:
            login = value
            problems += _login_problems(normalise_login(login))
    if problems:
        raise InvalidInput(problems)
    if account is None:
        account = uow.accounts.add(Account(id=uuid.uuid4(), principal_kind="staff" if staff_id else "customer",
                                           staff_id=staff_id, customer_id=customer_id, created_at=now))
    else:
        uow.sessions.revoke_all_of(staff_id=account.staff_id, customer_id=account.customer_id, now=now)
    if login is not None:
        account.login = normalise_login(login)
    account.password_hash = passwords.hash_password(password)
    account.password_set_at = now
    try:
        uow.accounts.flush()
    except Conflict:
        raise AlreadyExists(f"the login {account.login!r} belongs to someone else", "/login") from None
    uow.commit()
    return AccountDetails(account, name)


def _login_problems(key: str) -> list[FieldProblem]:
    if 0 < len(key) <= LOGIN_MAX_LENGTH and not any(c.isspace() or not c.isprintable() for c in key):
        return []
    return [FieldProblem("/login", f"a login has 1 to {LOGIN_MAX_LENGTH} printable characters, without spaces")]
