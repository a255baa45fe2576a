"""Engines and the unit of work: the only thing that commits."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bizext.db.account_repositories import AccountRepository, SessionRepository, SignInThrottleRepository
from bizext.db.clock_repositories import (
    CalendarRepository,
    ClockRepository,
    EscalationRepository,
    HoldRepository,
)
from bizext.db.event_repositories import EventRepository, IdempotencyRepository
from bizext.db.people_repositories import FollowUpRepository, MessageRepository, QualificationRepository
from bizext.db.progress_repositories import StageHistoryRepository
from bizext.db.webhook_repositories import WebhookRepository
from bizext.db.repositories import (
    CounterRepository,
    CustomerRepository,
    ProjectRepository,
    StaffRepository,
    TokenRepository,
)

_WRITE = "bizext_write"


def make_engine(url: str, pool_size: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that writers can BEGIN IMMEDIATE (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A SQLite reader that later writes cannot wait for another writer (it fails at once with
        # "database is locked"); writers take the write lock up front and queue behind each other instead.
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class UnitOfWork:
    """One database transaction. Use cases call `commit()` explicitly; leaving without it rolls back.

    Events recorded during the unit of work are numbered and written at commit, in the same transaction.
    With `hold_commit()` (idempotent requests), `commit()` only flushes: the caller then stores its answer
    and calls `commit_now()`, so the change, its events and the stored answer commit together."""

    def __init__(self, factory: sessionmaker[Session], *, write: bool = False, read_only: bool = False):
        self._factory, self._write, self._read_only = factory, write, read_only
        self._events: list[dict[str, Any]] = []
        self._held = False

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        if self._write:
            self.session.connection(execution_options={_WRITE: True})
        elif self._read_only and self.session.get_bind().dialect.name == "postgresql":
            # Statements of a read-only unit of work run without BEGIN and ROLLBACK, two round trips of
            # four or five. Under READ COMMITTED every statement takes its own snapshot inside a transaction
            # too, so what they read is no less consistent. (SQLite keeps its transaction: there, it is one
            # snapshot for the whole read.)
            self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        self.projects = ProjectRepository(self.session)
        self.staff = StaffRepository(self.session)
        self.customers = CustomerRepository(self.session)
        self.tokens = TokenRepository(self.session)
        self.counters = CounterRepository(self.session)
        self.calendars = CalendarRepository(self.session)
        self.clocks = ClockRepository(self.session)
        self.holds = HoldRepository(self.session)
        self.escalations = EscalationRepository(self.session)
        self.events = EventRepository(self.session)
        self.idempotency = IdempotencyRepository(self.session)
        self.webhooks = WebhookRepository(self.session)
        self.qualification = QualificationRepository(self.session)
        self.messages = MessageRepository(self.session)
        self.follow_ups = FollowUpRepository(self.session)
        self.stage_history = StageHistoryRepository(self.session)
        self.accounts = AccountRepository(self.session)
        self.sign_in_throttles = SignInThrottleRepository(self.session)
        self.sessions = SessionRepository(self.session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if exc_type is not None and self.session.in_transaction():
                self.session.rollback()
        finally:
            # Closing ends any transaction left open (a read, or a write nobody committed: rolled back)
            # without expiring loaded rows, so results stay readable after the unit of work.
            self.session.close()

    def record_event(self, **event: Any) -> None:
        """Queue an event; `project` (a Project row), when given, supplies project_version at commit."""
        self._events.append(event)

    def hold_commit(self) -> None:
        self._held = True

    def commit(self) -> None:
        self._write_events()
        if self._held:
            self.session.flush()
            return
        self.session.commit()

    def set_aside(self) -> None:
        """End the transaction begun so far without committing (its locks released), keeping the unit of work
        usable: for a use case that commits in units of work of its own meanwhile (the escalation sweep)."""
        self.session.rollback()
        self.calendars.forget()

    def commit_now(self) -> None:
        self._write_events()
        self.session.commit()

    def _write_events(self) -> None:
        if not self._events:
            return
        self.session.flush()  # project versions are final once flushed
        pending, self._events = self._events, []
        rows = []
        for e in pending:
            project = e.pop("project", None)
            if project is not None:
                e.setdefault("project_id", project.id)
                e.setdefault("customer_id", project.customer_id)
                e.setdefault("project_version", project.version)
            rows.append(e)
        self.events.append(rows)

    def flush(self) -> None:
        self.session.flush()


class Database:
    """An engine and its session factory; one per process (app, CLI, worker)."""

    def __init__(self, url: str, pool_size: int = 10):
        self.url = url
        self.engine = make_engine(url, pool_size)
        self.factory = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def uow(self, *, write: bool = False, read_only: bool = False) -> UnitOfWork:
        """A unit of work; `read_only` promises it writes nothing (see UnitOfWork.__enter__)."""
        return UnitOfWork(self.factory, write=write, read_only=read_only)

    def dispose(self) -> None:
        self.engine.dispose()
