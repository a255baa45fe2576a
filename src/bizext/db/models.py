"""Tables. Plural snake_case names, `_at` instants in UTC, `_on` dates, a naming convention for
constraints so migrations are deterministic on both databases."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bizext.db.types import JSONDoc, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    region: Mapped[str] = mapped_column(String(100), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Optimistic concurrency: every UPDATE says `WHERE version = :read_version` (If-Match, lost updates).
    __mapper_args__ = {"version_id_col": version}


class StaffRole(Base):
    """One row per role a staff member holds: lets the least-loaded query find role holders by index."""

    __tablename__ = "staff_roles"

    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(50), primary_key=True)
    # 停岗学习: set by a failed assessment for this role, cleared by a passing one.
    suspended_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_staff_roles_role_staff_id", "role", "staff_id"),)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(300))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(320))
    external_ref: Mapped[str | None] = mapped_column(String(100), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """Opaque bearer tokens, stored only as SHA-256 hashes; exactly one principal per token."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    principal_kind: Mapped[str] = mapped_column(String(20))  # staff | customer | client
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"), index=True)
    client_name: Mapped[str | None] = mapped_column(String(200))
    client_roles: Mapped[list[str] | None] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # api: issued by an admin, valid until revoked; session: got by signing in, valid until expires_at.
    purpose: Mapped[str] = mapped_column(String(20), default="api", server_default="api")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(
            "(principal_kind = 'staff' AND staff_id IS NOT NULL AND customer_id IS NULL AND client_name IS NULL)"
            " OR (principal_kind = 'customer' AND customer_id IS NOT NULL AND staff_id IS NULL"
            " AND client_name IS NULL)"
            " OR (principal_kind = 'client' AND client_name IS NOT NULL AND staff_id IS NULL"
            " AND customer_id IS NULL)",
            name="one_principal",
        ),
        CheckConstraint(
            "purpose = 'api' OR (purpose = 'session' AND expires_at IS NOT NULL"
            " AND principal_kind IN ('staff', 'customer'))",
            name="purpose",
        ),
        # The worker deletes expired sessions: a range scan that never reads API tokens.
        Index("ix_api_tokens_expires_at", "expires_at",
              sqlite_where=text("expires_at IS NOT NULL"), postgresql_where=text("expires_at IS NOT NULL")),
    )


class Account(Base):
    """A person's sign-in: a login, unique across staff and customers (stored normalised), and the argon2
    hash of their password. A person has at most one; API tokens for systems need none."""

    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    principal_kind: Mapped[str] = mapped_column(String(20))  # staff | customer
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                                          unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    password_set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(
            "(principal_kind = 'staff' AND staff_id IS NOT NULL AND customer_id IS NULL)"
            " OR (principal_kind = 'customer' AND customer_id IS NOT NULL AND staff_id IS NULL)",
            name="one_person",
        ),
    )


class SignInThrottle(Base):
    """Sign-in attempts on one login in the current one-minute window, and the lock they set. In the
    database, not in memory, so that every server process counts the same attempts; a row per login tried,
    known or not (whether a login exists is never revealed)."""

    __tablename__ = "sign_in_throttles"

    login: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Counter(Base):
    """Named counters (project numbers per year), incremented by a guarded update."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    workflow_key: Mapped[str] = mapped_column(String(50))
    workflow_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300))
    site_address: Mapped[str] = mapped_column(String(500))
    voltage_kv: Mapped[float] = mapped_column(Float)
    capacity_kva: Mapped[float] = mapped_column(Float)
    supply: Mapped[str] = mapped_column(String(10))
    important: Mapped[bool] = mapped_column(Boolean)
    region: Mapped[str] = mapped_column(String(100))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    customer_manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    project_manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    # The current stage's owner, kept on the project so work lists are one index scan.
    owner_kind: Mapped[str | None] = mapped_column(String(20))  # staff | customer | unassigned; NULL when terminal
    owner_staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    flags: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    last_transition_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("customer_id", "external_ref"),
        CheckConstraint("supply IN ('single', 'dual')", name="supply"),
        Index("ix_projects_created_at_id", "created_at", "id"),
        Index("ix_projects_owner_staff_id_created_at", "owner_staff_id", "created_at"),
        Index("ix_projects_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_projects_state_created_at", "state", "created_at"),
        Index("ix_projects_region_created_at", "region", "created_at"),
        # Auto-assignment counts each manager's open projects on every new project: index only the open ones.
        Index("ix_projects_open_customer_manager", "customer_manager_id",
              sqlite_where=text("owner_kind IS NOT NULL"), postgresql_where=text("owner_kind IS NOT NULL")),
        Index("ix_projects_open_project_manager", "project_manager_id",
              sqlite_where=text("owner_kind IS NOT NULL"), postgresql_where=text("owner_kind IS NOT NULL")),
    )
    # The guarded update: every UPDATE says `WHERE id = :id AND version = :read_version`, so of two
    # concurrent writers exactly one wins and the other fails without writing anything.
    __mapper_args__ = {"version_id_col": version}


class StageOccurrence(Base):
    """One visit to a state. Rework loops revisit a state: each visit is its own row (and, later, its own
    clock run)."""

    __tablename__ = "stage_occurrences"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1 for the project's first stage, 2 for the next...
    state: Mapped[str] = mapped_column(String(50))
    visit: Mapped[int] = mapped_column(Integer)  # 1 for the first visit of this state, 2 for the next...
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner_kind: Mapped[str | None] = mapped_column(String(20))
    owner_staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    entered_by_transition_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (
        UniqueConstraint("project_id", "seq"),
        # At most one open occurrence per project: the database, not the code, is the final guard.
        Index("uq_stage_occurrences_open_per_project", "project_id", unique=True,
              sqlite_where=text("left_at IS NULL"), postgresql_where=text("left_at IS NULL")),
        # Open stages per owner: the least-loaded assignment query counts these.
        Index("ix_stage_occurrences_open_owner", "owner_staff_id",
              sqlite_where=text("left_at IS NULL"), postgresql_where=text("left_at IS NULL")),
    )


class TransitionRecord(Base):
    """Append-only history of fired transitions; `seq` numbers them per project."""

    __tablename__ = "transitions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))
    from_state: Mapped[str] = mapped_column(String(50))
    to_state: Mapped[str] = mapped_column(String(50))
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[str] = mapped_column(String(30))  # owner | on_behalf_of_customer | admin
    on_behalf_of: Mapped[str | None] = mapped_column(String(64))
    admin_reason: Mapped[str | None] = mapped_column(Text)
    input: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    comment: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("project_id", "seq"),)


class Assignment(Base):
    """Every owner given to a stage: on entry, or by reassignment."""

    __tablename__ = "assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    stage_occurrence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stage_occurrences.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(50))
    owner_kind: Mapped[str] = mapped_column(String(20))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    basis: Mapped[str] = mapped_column(String(20))  # explicit|named|least_loaded|customer|unassigned|reassigned
    reason: Mapped[str | None] = mapped_column(Text)
    assigned_by: Mapped[str | None] = mapped_column(String(200))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarOverride(Base):
    """An admin's correction of a region's base calendar for one date (e.g. a newly published 调休)."""

    __tablename__ = "calendar_overrides"

    region: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(200))
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClockRun(Base):
    """One run of a clock. `deadline_at` and `next_escalation_at` live in the row so the escalation sweep
    is an index range scan over due runs, whatever the number of projects."""

    __tablename__ = "clock_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    clock: Mapped[str] = mapped_column(String(50))
    run: Mapped[int] = mapped_column(Integer)  # 1 for the clock's first run on this project, 2 for the next...
    stage_occurrence_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stage_occurrences.id", ondelete="CASCADE"))
    region: Mapped[str] = mapped_column(String(100))  # whose calendar counts
    limit_days: Mapped[int] = mapped_column(Integer)
    warning_days: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(10))  # met | missed, once stopped
    # Working seconds counted once stopped (counting start to stopped_at, minus paused): the calendar lives
    # in Python, so reports read this instead of recomputing working time. NULL while running.
    elapsed_seconds: Mapped[int | None] = mapped_column(Integer)
    escalated_level: Mapped[int] = mapped_column(Integer, default=-1)  # highest level raised (or passed over)
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("project_id", "clock", "run"),
        # The sweep: running, not paused, next level due. Partial, so stopped runs cost nothing.
        Index("ix_clock_runs_due", "next_escalation_at",
              sqlite_where=text("stopped_at IS NULL AND paused_since IS NULL"),
              postgresql_where=text("stopped_at IS NULL AND paused_since IS NULL")),
        Index("ix_clock_runs_project_id_clock", "project_id", "clock"),
        Index("ix_clock_runs_region_open", "region",
              sqlite_where=text("stopped_at IS NULL"), postgresql_where=text("stopped_at IS NULL")),
        # Reports: runs stopped in a period are a range scan. Partial, so that the sweep (stopped_at IS NULL)
        # is never tempted away from ix_clock_runs_due.
        Index("ix_clock_runs_stopped_at", "stopped_at",
              sqlite_where=text("stopped_at IS NOT NULL"), postgresql_where=text("stopped_at IS NOT NULL")),
    )


class Hold(Base):
    """A recorded pause (暂停/挂起) of a project's clocks, with its reason and the responsible party."""

    __tablename__ = "holds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    party: Mapped[str] = mapped_column(String(20))  # customer | external | utility
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_by: Mapped[str | None] = mapped_column(String(200))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("party IN ('customer', 'external', 'utility')", name="party"),)


class Escalation(Base):
    """A warning or breach raised to people. `dedupe_key` (one per clock run and level, or per stage for
    an unassigned stage) is unique: the database guarantees exactly once, however many checkers run."""

    __tablename__ = "escalations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    # Indexed: reassigning a stage resolves its unassigned escalation by stage (a seq scan without it).
    stage_occurrence_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stage_occurrences.id", ondelete="CASCADE"), index=True)
    clock_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clock_runs.id", ondelete="CASCADE"),
                                                           index=True)
    clock: Mapped[str | None] = mapped_column(String(50))
    level: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # warning | breach | unassigned
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    explanation: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | acknowledged | resolved
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_escalations_status_raised_at", "status", "raised_at"),)
    __mapper_args__ = {"version_id_col": version}


class EscalationRecipient(Base):
    __tablename__ = "escalation_recipients"

    escalation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"),
                                                     primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"), primary_key=True)

    __table_args__ = (Index("ix_escalation_recipients_staff_id", "staff_id", "escalation_id"),)


class Event(Base):
    """Append-only record of what happened, written in the same transaction as the change.

    `sequence` is the feed's cursor. It is taken from a counter row at commit time, whose lock is held until
    the commit, so sequences become visible in order: a reader following `after=` can never skip an event
    that commits later with a smaller number."""

    __tablename__ = "events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    sequence: Mapped[int] = mapped_column(BigInteger, unique=True)
    type: Mapped[str] = mapped_column(String(50))
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # whose project: customers read only theirs
    project_version: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc)

    __table_args__ = (
        Index("ix_events_project_id_sequence", "project_id", "sequence"),
        Index("ix_events_customer_id_sequence", "customer_id", "sequence"),
        Index("ix_events_type_sequence", "type", "sequence"),
    )


class IdempotencyKey(Base):
    """The first completed answer to a write sent with an Idempotency-Key, stored in the same transaction
    as the change it made; replayed for retries with the same key and body."""

    __tablename__ = "idempotency_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    principal: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, str]] = mapped_column(JSONDoc)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (UniqueConstraint("principal", "method", "path", "key"),)


class Webhook(Base):
    """A subscriber's endpoint. The worker copies matching events past `cursor` into deliveries (the outbox),
    then delivers them signed per the Standard Webhooks specification."""

    __tablename__ = "webhooks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner: Mapped[str] = mapped_column(String(200))  # the principal that registered it
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(JSONDoc)  # empty: every type
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | paused | disabled
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)  # the last event sequence enqueued
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}


class WebhookDelivery(Base):
    """One event to one endpoint: pending until a 2xx answer, retried with backoff, in per-project order."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(BigInteger)
    project_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | delivered
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        Index("ix_webhook_deliveries_pending", "next_attempt_at",
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        Index("ix_webhook_deliveries_order", "webhook_id", "project_id", "sequence"),
        Index("ix_webhook_deliveries_webhook_id_created_at", "webhook_id", "created_at"),
    )


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
                                                   index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))


class Assessment(Base):
    """A staff member's assessment for one role; a failed one suspends them from owning that role's stages."""

    __tablename__ = "assessments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(50))
    score: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    assessed_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_assessments_staff_id_role_assessed_on", "staff_id", "role", "assessed_on"),)


class Training(Base):
    __tablename__ = "trainings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    topic: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrainingAttendee(Base):
    __tablename__ = "training_attendees"

    training_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trainings.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_training_attendees_staff_id", "staff_id"),)


class Message(Base):
    """A customer's question, a staff answer, or an internal note (never shown to customers)."""

    __tablename__ = "messages"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # question | answer | internal
    body: Mapped[str] = mapped_column(Text)
    reply_to: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    author_kind: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[str | None] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # questions: when first answered
    clock_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clock_runs.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_messages_project_id_created_at", "project_id", "created_at"),)


class FollowUp(Base):
    """回访: opened when a project is energized, owned by its customer manager, closed with the outcome."""

    __tablename__ = "follow_ups"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    owner_staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    clock_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clock_runs.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(20))  # phone | visit | online
    contacted_on: Mapped[date | None] = mapped_column(Date)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    times_match_records: Mapped[bool | None] = mapped_column(Boolean)
    issues: Mapped[list[str] | None] = mapped_column(JSONDoc)
    comment: Mapped[str | None] = mapped_column(Text)


class Feedback(Base):
    """A customer's own rating of its energized project (once)."""

    __tablename__ = "feedback"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    satisfaction: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
