"""Queries for clocks, holds, escalations and calendar overrides."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bizext.db.models import (
    CalendarOverride,
    ClockRun,
    Escalation,
    EscalationRecipient,
    Hold,
    Project,
    Staff,
    StaffRole,
)
from bizext.db.repositories import _Repository


class CalendarRepository(_Repository):
    """Overrides are read once per unit of work and region: one transition consults the calendar several
    times (the move, its clocks, the answer). Rows are live ORM objects, so edits show through; adding or
    removing one forgets the region."""

    def __init__(self, session: Any):
        super().__init__(session)
        self._overrides: dict[str, list[CalendarOverride]] = {}

    def overrides(self, region: str) -> list[CalendarOverride]:
        if region not in self._overrides:
            self._overrides[region] = list(self.session.scalars(
                select(CalendarOverride).where(CalendarOverride.region == region)))
        return self._overrides[region]

    def get(self, region: str, day: date) -> CalendarOverride | None:
        return self.session.get(CalendarOverride, (region, day))

    def add(self, row: Any) -> Any:
        self._overrides.pop(row.region, None)
        return super().add(row)

    def remove(self, row: CalendarOverride) -> None:
        self._overrides.pop(row.region, None)
        self.session.delete(row)

    def forget(self) -> None:
        """Drop what was read (the transaction it was read in has ended)."""
        self._overrides.clear()


class ClockRepository(_Repository):
    def running(self, project_id: uuid.UUID) -> list[ClockRun]:
        return list(self.session.scalars(select(ClockRun).where(
            ClockRun.project_id == project_id, ClockRun.stopped_at.is_(None)).order_by(ClockRun.started_at)))

    def of_project(self, project_id: uuid.UUID, *, to_change: bool = False) -> list[ClockRun]:
        """The project's clock runs, oldest first; `to_change`: locked, for a move that stops some (`_locked`)."""
        q = (select(ClockRun).where(ClockRun.project_id == project_id)
             .order_by(ClockRun.started_at, ClockRun.clock, ClockRun.run))
        return list(self.session.scalars(self._locked(q) if to_change else q))

    def of_projects(self, project_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[ClockRun]]:
        result: dict[uuid.UUID, list[ClockRun]] = {}
        if project_ids:
            for row in self.session.scalars(select(ClockRun).where(ClockRun.project_id.in_(project_ids))):
                result.setdefault(row.project_id, []).append(row)
        return result

    def get(self, run_id: uuid.UUID) -> ClockRun | None:
        return self.session.get(ClockRun, run_id)

    # Runs read to be stopped are read locked (FOR NO KEY UPDATE on PostgreSQL). A sweep that holds one of
    # them is waited for, and the row then read is the one it committed, with the level it raised, so the
    # move sees that there is an escalation to resolve; a sweep that comes second skips the locked run (`due`
    # skips locked rows) and finds it stopped next time. Read unlocked, a move could stop a run while a sweep
    # raised a level of it, decide from the older row that nothing was escalated, and leave that escalation
    # open. SQLite runs one writing transaction at a time, so the two cannot overlap there.
    def _locked(self, q: Any) -> Any:
        if self.session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(key_share=True)
        return q.execution_options(populate_existing=True)

    def to_stop(self, run_id: uuid.UUID) -> ClockRun | None:
        """One run, locked, to be stopped (a question answered, a follow-up closed)."""
        return self.session.scalar(self._locked(select(ClockRun).where(ClockRun.id == run_id)))

    def running_in_region(self, region: str) -> list[ClockRun]:
        return list(self.session.scalars(select(ClockRun).where(
            ClockRun.region == region, ClockRun.stopped_at.is_(None))))

    def due(self, now: datetime, limit: int) -> list[ClockRun]:
        """Running, unpaused runs whose next escalation level is due: a range scan of ix_clock_runs_due.
        On PostgreSQL the rows are locked and rows other checkers hold are skipped, so concurrent sweeps
        share the work instead of queueing on it (the unique dedupe_key is what makes it exactly once)."""
        q = (select(ClockRun)
             .where(ClockRun.stopped_at.is_(None), ClockRun.paused_since.is_(None),
                    ClockRun.next_escalation_at <= now)
             .order_by(ClockRun.next_escalation_at).limit(limit))
        if self.session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        return list(self.session.scalars(q))


class HoldRepository(_Repository):
    def open_holds(self, project_id: uuid.UUID) -> list[Hold]:
        return list(self.session.scalars(select(Hold).where(Hold.project_id == project_id,
                                                            Hold.released_at.is_(None))))

    def of_project(self, project_id: uuid.UUID) -> list[Hold]:
        return list(self.session.scalars(select(Hold).where(Hold.project_id == project_id)
                                         .order_by(Hold.placed_at)))

    def get(self, hold_id: uuid.UUID) -> Hold | None:
        return self.session.get(Hold, hold_id)


class EscalationRepository(_Repository):
    def raise_once(self, values: dict[str, Any], recipients: Sequence[uuid.UUID]) -> uuid.UUID | None:
        """Insert unless an escalation with this dedupe_key exists; None when it did (nothing written)."""
        return self.raise_many([values], {values["dedupe_key"]: recipients}).get(values["dedupe_key"])

    def raise_many(self, rows: Sequence[dict[str, Any]], recipients: dict[str, Sequence[uuid.UUID]]
                   ) -> dict[str, uuid.UUID]:
        """Insert each escalation unless one with its dedupe_key exists; dedupe_key → id of those inserted.

        Two statements however many rows (one sweep batch raises hundreds): a multi-row `INSERT … ON CONFLICT
        (dedupe_key) DO NOTHING RETURNING`, then the recipients of the new ones in one executemany. Core on
        the table, not the ORM: the ORM's bulk path cost ~15 ms per escalation in the sweep's profile."""
        if not rows:
            return {}
        table = Escalation.__table__
        dialect = self.session.get_bind().dialect.name
        stmt = (pg_insert(table) if dialect == "postgresql" else sqlite_insert(table))
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.dedupe_key, table.c.id)
        # A list of parameter sets: SQLAlchemy's "insertmanyvalues" sends it as multi-row VALUES, batched under
        # the drivers' parameter limits, from one compiled statement (a literal multi-row .values() would be
        # compiled afresh for every batch size).
        inserted = {key: new_id for key, new_id in self.session.execute(stmt, list(rows))}
        members = [{"escalation_id": new_id, "staff_id": staff_id} for key, new_id in inserted.items()
                   for staff_id in dict.fromkeys(recipients.get(key, ()))]
        if members:
            self.session.execute(insert(EscalationRecipient.__table__), members)
        return inserted

    def get(self, escalation_id: uuid.UUID) -> Escalation | None:
        return self.session.get(Escalation, escalation_id)

    def by_ids(self, ids: Sequence[uuid.UUID]) -> list[Escalation]:
        return list(self.session.scalars(select(Escalation).where(Escalation.id.in_(ids)))) if ids else []

    def recipients(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
        result: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {i: [] for i in ids}
        if ids:
            rows = self.session.execute(
                select(EscalationRecipient.escalation_id, Staff.id, Staff.name)
                .join(Staff, Staff.id == EscalationRecipient.staff_id)
                .where(EscalationRecipient.escalation_id.in_(ids)).order_by(Staff.name))
            for esc_id, staff_id, name in rows:
                result[esc_id].append((staff_id, name))
        return result

    def open_for_project(self, project_id: uuid.UUID) -> list[Escalation]:
        return list(self.session.scalars(select(Escalation).where(
            Escalation.project_id == project_id, Escalation.status != "resolved")))

    def open_for_stage(self, stage_id: uuid.UUID, kind: str) -> list[Escalation]:
        return list(self.session.scalars(select(Escalation).where(
            Escalation.stage_occurrence_id == stage_id, Escalation.kind == kind,
            Escalation.status != "resolved")))

    def listing(self, *, filters: dict[str, Any], recipient_id: uuid.UUID | None,
                after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[tuple[Escalation, str]]:
        """A page of escalations, newest first, each with its project's number (joined: a page shows numbers,
        and reading them apart was one more statement per page)."""
        q = select(Escalation, Project.number).join(Project, Project.id == Escalation.project_id)
        for column, value in filters.items():
            if value is not None:
                q = q.where(getattr(Escalation, column) == value)
        if recipient_id is not None:
            q = q.where(Escalation.id.in_(select(EscalationRecipient.escalation_id)
                                          .where(EscalationRecipient.staff_id == recipient_id)))
        if after is not None:
            at, last = after
            q = q.where(or_(Escalation.raised_at < at, and_(Escalation.raised_at == at, Escalation.id < last)))
        return [(e, number) for e, number in self.session.execute(
            q.order_by(Escalation.raised_at.desc(), Escalation.id.desc()).limit(limit))]

    def operational_figures(self, now: datetime) -> dict[str, float]:
        """What operators watch: open escalations, the due-clock backlog, the oldest pending webhook delivery."""
        from sqlalchemy import func

        from bizext.db.models import WebhookDelivery

        open_escalations = self.session.scalar(select(func.count()).select_from(Escalation)
                                               .where(Escalation.status.in_(("open", "acknowledged")))) or 0
        due = self.session.scalar(select(func.count()).select_from(ClockRun).where(
            ClockRun.stopped_at.is_(None), ClockRun.paused_since.is_(None), ClockRun.next_escalation_at <= now)) or 0
        oldest = self.session.scalar(select(func.min(WebhookDelivery.created_at))
                                     .where(WebhookDelivery.status == "pending"))
        lag = 0.0
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
            lag = max(0.0, (now - oldest).total_seconds())
        return {"open_escalations": open_escalations, "due_clock_runs": due, "webhook_lag": lag}

    def is_recipient(self, escalation_id: uuid.UUID, staff_id: uuid.UUID) -> bool:
        return self.session.get(EscalationRecipient, (escalation_id, staff_id)) is not None


def supervisors_of(session: Any, region: str) -> list[uuid.UUID]:
    """The region's active supervisors; if it has none, the active admins, so that nothing escalates to
    nobody."""
    def holders(role: str, region: str | None) -> list[uuid.UUID]:
        q = (select(Staff.id).join(StaffRole, and_(StaffRole.staff_id == Staff.id, StaffRole.role == role))
             .where(Staff.active.is_(True)).order_by(Staff.id))
        return list(session.scalars(q.where(Staff.region == region) if region else q))

    return holders("supervisor", region) or holders("admin", None)


__all__ = ["CalendarRepository", "ClockRepository", "HoldRepository", "EscalationRepository", "supervisors_of"]
