"""Events (the feed and the webhooks' outbox) and stored idempotent answers."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, bindparam, delete, select, text
from sqlalchemy.dialects import postgresql

from bizext.db.models import Counter, Event, IdempotencyKey
from bizext.db.repositories import CounterRepository, _Repository

EVENTS_COUNTER = "events"
_EVENTS = Event.__table__
_EVENT_COLUMNS = frozenset(_EVENTS.c.keys())


class EventRepository(_Repository):
    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        """Number and insert events. The counter row stays locked until this transaction commits, so no
        event with a smaller sequence can become visible after one with a larger sequence.

        Every concurrent writer of events queues for that lock, so as little as possible happens while it is
        held: the rows are built before it is taken, and inserted with Core on the table rather than through
        the ORM's bulk path (profiled under the transition load: a quarter of a transition's time in the
        service was spent waiting for this counter). On PostgreSQL a move's few events are numbered and
        inserted in one statement with the bump, so the lock is held for two round trips (it and COMMIT), not
        three; a bulk operation's many (a sweep's) take the bump and one bulk insert, as on SQLite."""
        values = []
        for row in rows:
            if unknown := set(row) - _EVENT_COLUMNS:
                raise ValueError(f"not columns of events: {sorted(unknown)}")
            values.append({column: row.get(column) for column in _EVENT_COLUMNS} | {"id": uuid.uuid4()})
        if len(values) <= _ONE_STATEMENT_ROWS and self.session.get_bind().dialect.name == "postgresql":
            insert, params = _numbered_insert(len(values)), _numbered_params(values)
            if self.session.execute(insert, params).rowcount == 0:  # first use of the counter
                CounterRepository(self.session).next(EVENTS_COUNTER, 0)
                self.session.execute(insert, params)
            return
        last = CounterRepository(self.session).next(EVENTS_COUNTER, len(values))
        for i, value in enumerate(values):
            value["sequence"] = last - len(values) + 1 + i
        self.session.execute(_EVENTS.insert(), values)

    def after(self, sequence: int, *, limit: int, project_id: uuid.UUID | None = None,
              customer_id: uuid.UUID | None = None, types: Sequence[str] | None = None,
              exclude_prefixes: Sequence[str] = ()) -> list[Event]:
        q = select(Event).where(Event.sequence > sequence)
        if project_id is not None:
            q = q.where(Event.project_id == project_id)
        if customer_id is not None:
            q = q.where(Event.customer_id == customer_id)
        if types:
            q = q.where(Event.type.in_(types))
        for prefix in exclude_prefixes:
            q = q.where(Event.type.not_like(f"{prefix}%"))
        return list(self.session.scalars(q.order_by(Event.sequence).limit(limit)))

    def last_sequence(self) -> int:
        return self.session.scalar(select(Counter.value).where(Counter.name == EVENTS_COUNTER)) or 0


_ROW_COLUMNS = [c for c in _EVENTS.c if c.name != "sequence"]
#: At most this many events go in one numbered insert: a move writes two to six. Only this many statements are
#: ever built, and none nears PostgreSQL's limit on parameters; more rows take the bump and a bulk insert.
_ONE_STATEMENT_ROWS = 16


@functools.cache
def _numbered_insert(n: int) -> TextClause:
    """WITH bump AS (UPDATE counters … RETURNING value) INSERT INTO events … SELECT the n rows given as
    parameters `<column>_<position>`, numbered value - n + position. PostgreSQL only (a data-modifying WITH);
    inserts nothing when the counter does not exist yet. Text, built once per n: SQLAlchemy compiles a VALUES
    construct anew on every execution (it is not cacheable), which cost more than the round trip saved."""
    pg = postgresql.dialect()
    names = ", ".join(c.name for c in _ROW_COLUMNS)
    rows = ", ".join("(" + ", ".join(f"CAST(:{c.name}_{i} AS {c.type.compile(dialect=pg)})" for c in _ROW_COLUMNS)
                     + f", {i})" for i in range(1, n + 1))
    return text(f"WITH bump AS (UPDATE {Counter.__tablename__} SET value = value + {n} WHERE name = :counter "
                f"RETURNING value) INSERT INTO {_EVENTS.name} ({names}, sequence) "
                f"SELECT {names}, bump.value - {n} + position FROM bump, (VALUES {rows}) AS given ({names}, position)"
                ).bindparams(*(bindparam(f"{c.name}_{i}", type_=c.type) for i in range(1, n + 1) for c in _ROW_COLUMNS),
                             bindparam("counter", EVENTS_COUNTER))


def _numbered_params(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {f"{c.name}_{i}": row[c.name] for i, row in enumerate(rows, 1) for c in _ROW_COLUMNS}


class IdempotencyRepository(_Repository):
    def find(self, principal: str, method: str, path: str, key: str) -> IdempotencyKey | None:
        return self.session.scalar(select(IdempotencyKey).where(
            IdempotencyKey.principal == principal, IdempotencyKey.method == method, IdempotencyKey.path == path,
            IdempotencyKey.key == key))

    def lock(self, lock_id: int) -> bool:
        """PostgreSQL: try a transaction-scoped advisory lock on the key (False: another request holds it).
        SQLite serialises writers already, so there is nothing to try."""
        if self.session.get_bind().dialect.name != "postgresql":
            return True
        from sqlalchemy import func

        return bool(self.session.scalar(select(func.pg_try_advisory_xact_lock(lock_id))))

    def purge(self, now: datetime) -> int:
        result = self.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))
        return result.rowcount or 0
