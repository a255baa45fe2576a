"""Queries for sign-in: accounts by login, the per-login attempt counters, and session tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bizext.db.models import Account, ApiToken, Customer, SignInThrottle, Staff
from bizext.db.repositories import _Repository


class AccountRepository(_Repository):
    def by_login(self, login: str) -> Account | None:
        return self.session.scalar(select(Account).where(Account.login == login))

    def of_staff(self, staff_id: uuid.UUID) -> Account | None:
        return self.session.scalar(select(Account).where(Account.staff_id == staff_id))

    def of_customer(self, customer_id: uuid.UUID) -> Account | None:
        return self.session.scalar(select(Account).where(Account.customer_id == customer_id))

    # A person without an account yet is found by their default login, compared case-insensitively as
    # logins are (both unique columns; a rare, admin-only lookup, so no index on lower()).
    def staff_by_email(self, email: str) -> Staff | None:
        return self.session.scalar(select(Staff).where(func.lower(Staff.email) == email.lower()))

    def customer_by_external_ref(self, ref: str) -> Customer | None:
        return self.session.scalar(select(Customer).where(func.lower(Customer.external_ref) == ref.lower()))


class SignInThrottleRepository(_Repository):
    def locked(self, login: str, now: datetime) -> SignInThrottle:
        """The login's row, created if new, and locked until the transaction ends (PostgreSQL: FOR UPDATE;
        SQLite's writers are serialised already): concurrent attempts on one login count one after another."""
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        self.session.execute(insert(SignInThrottle).values(login=login, window_started_at=now, attempts=0)
                             .on_conflict_do_nothing(index_elements=["login"]))
        query = select(SignInThrottle).where(SignInThrottle.login == login).execution_options(populate_existing=True)
        if dialect == "postgresql":
            query = query.with_for_update()
        return self.session.scalars(query).one()

    def forget(self, login: str) -> None:
        self.session.execute(delete(SignInThrottle).where(SignInThrottle.login == login))

    def purge(self, window_started_before: datetime, now: datetime) -> int:
        """Rows whose window is over and whose lock (if any) has ended: they no longer count for anything."""
        result = self.session.execute(delete(SignInThrottle).where(
            SignInThrottle.window_started_at < window_started_before,
            or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until <= now)))
        return result.rowcount or 0


class SessionRepository(_Repository):
    """Session tokens (api_tokens rows whose purpose is 'session')."""

    def revoke_all_of(self, *, staff_id: uuid.UUID | None, customer_id: uuid.UUID | None, now: datetime) -> int:
        person = ApiToken.staff_id == staff_id if staff_id is not None else ApiToken.customer_id == customer_id
        result = self.session.execute(
            update(ApiToken).where(person, ApiToken.purpose == "session", ApiToken.revoked_at.is_(None))
            .values(revoked_at=now))
        return result.rowcount or 0

    def purge_expired(self, now: datetime) -> int:
        result = self.session.execute(delete(ApiToken).where(
            and_(ApiToken.expires_at.is_not(None), ApiToken.expires_at < now, ApiToken.purpose == "session")))
        return result.rowcount or 0
