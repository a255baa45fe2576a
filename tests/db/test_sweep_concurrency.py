"""Exactly once, however many checkers (DESIGN §6): concurrent sweeps over 2,000 overdue clock runs.

The data is one real project, created through the API with a backdated `received_at`, and 1,999 copies of
its rows (project, open stage, acceptance clock run) bulk-inserted with SQLAlchemy Core. Then several
sweeps start at once — threads, each with its own engine, and separate processes — and the escalations
they raised together are counted. On PostgreSQL the sweeps share the rows (FOR UPDATE SKIP LOCKED); on
SQLite they queue for the write lock. Either way the unique dedupe_key makes every level exactly once.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from bizext.db.models import ClockRun, Escalation, EscalationRecipient, Project, StageOccurrence
from bizext.db.session import Database
from bizext.services.escalations import SweepResult, sweep
from bizext.workflow import clocks as rules
from bizext.workflow.calendars import WorkingCalendar

RUNS = 2_000
REPLAYED = 200
#: Every wait in this module is bounded: a hung sweep fails the test instead of hanging the suite.
TIME_LIMIT = 120.0

projects_t, stages_t, runs_t = Project.__table__, StageOccurrence.__table__, ClockRun.__table__
escalations_t, recipients_t = Escalation.__table__, EscalationRecipient.__table__


# -- building many overdue clock runs ---------------------------------------------------------------------
@dataclass(frozen=True)
class Template:
    """The rows of one real project, as the services wrote them."""

    project: dict[str, Any]
    stage: dict[str, Any]
    run: dict[str, Any]  # its acceptance clock run


def template_of(database: Database, project_id: str, clock: str = "acceptance") -> Template:
    pid = uuid.UUID(project_id)
    with database.engine.connect() as conn:
        project = conn.execute(select(projects_t).where(projects_t.c.id == pid)).mappings().one()
        stage = conn.execute(select(stages_t).where(stages_t.c.project_id == pid,
                                                    stages_t.c.left_at.is_(None))).mappings().one()
        run = conn.execute(select(runs_t).where(runs_t.c.project_id == pid, runs_t.c.clock == clock)).mappings().one()
    return Template(dict(project), dict(stage), dict(run))


def clone(database: Database, template: Template, run_changes: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    """One new project per entry, each with the template's open stage and clock run (changed as given):
    three executemany inserts in one transaction. Returns the new clock runs' ids."""
    projects, stages, runs = [], [], []
    for i, changes in enumerate(run_changes):
        project_id, stage_id, run_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        projects.append({**template.project, "id": project_id, "number": f"BULK-{i:07d}"})
        stages.append({**template.stage, "id": stage_id, "project_id": project_id})
        runs.append({**template.run, "id": run_id, "project_id": project_id, "stage_occurrence_id": stage_id,
                     **changes})
    with database.engine.begin() as conn:
        for table, rows in ((projects_t, projects), (stages_t, stages), (runs_t, runs)):
            if rows:
                conn.execute(insert(table), rows)
    return [r["id"] for r in runs]


def overdue_template(world: Any, database: Database, now: datetime) -> Template:
    """A real project received 10 days before `now`: its 1-day acceptance clock is overdue, nothing raised yet."""
    project = world.new_project(received_at=(now - timedelta(days=10)).isoformat())
    template = template_of(database, project["id"])
    run = template.run
    assert (run["clock"], run["limit_days"], run["escalated_level"]) == ("acceptance", 1, -1)
    assert run["stopped_at"] is None and run["paused_since"] is None
    assert run["deadline_at"] < now and run["next_escalation_at"] < now
    with database.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(escalations_t)) == 0
    return template


def breach_levels_due(template: Template, now: datetime) -> list[int]:
    """The levels a sweep at `now` must raise for a run like the template's, by the domain's own rules."""
    run = rules.Run(started_at=template.run["started_at"], limit_days=template.run["limit_days"],
                    warning_days=template.run["warning_days"])
    cal = WorkingCalendar(template.run["region"])
    # past its deadline, a due warning is passed over: the breach says it
    return [lv.level for lv in rules.default_levels(run.limit_days, run.warning_days)
            if lv.kind == "breach" and rules.level_due_at(cal, run, lv) <= now]


# -- running sweeps at once ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    raised: list[str]
    runs_examined: int


def _sweep_once(url: str, now: datetime, barrier: Any) -> Outcome:
    database = Database(url, pool_size=2)
    try:
        with database.engine.connect():  # connect before the start line, so the sweeps really overlap
            pass
        barrier.wait(timeout=TIME_LIMIT)
        result: SweepResult = sweep(database, now)
        return Outcome([str(i) for i in result.raised], result.runs_examined)
    finally:
        database.dispose()


def _process_main(url: str, now: datetime, barrier: Any, results: Any) -> None:
    """A sweeping process (spawned: it builds everything from the URL)."""
    try:
        results.put(("ok", _sweep_once(url, now, barrier)))
    except BaseException:  # report it to the parent rather than dying silently
        results.put(("error", traceback.format_exc()))


def sweep_in_threads(url: str, now: datetime, n: int) -> list[Outcome]:
    barrier = threading.Barrier(n)
    outcomes: list[Outcome] = []
    errors: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            outcome = _sweep_once(url, now, barrier)
            with lock:
                outcomes.append(outcome)
        except BaseException:
            with lock:
                errors.append(traceback.format_exc())

    threads = [threading.Thread(target=work, name=f"sweep-{i}", daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    until = time.monotonic() + TIME_LIMIT
    for t in threads:
        t.join(timeout=max(0.0, until - time.monotonic()))
    assert not [t.name for t in threads if t.is_alive()], f"sweeps still running after {TIME_LIMIT} s"
    assert not errors, "\n".join(errors)
    return outcomes


def sweep_in_processes(url: str, now: datetime, n: int) -> list[Outcome]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n)
    results = ctx.Queue()
    processes = [ctx.Process(target=_process_main, args=(url, now, barrier, results), name=f"sweep-{i}",
                             daemon=True) for i in range(n)]
    for p in processes:
        p.start()
    until = time.monotonic() + TIME_LIMIT
    reports = []
    try:
        for _ in processes:  # drain the queue before joining, or a child blocks on a full pipe
            try:
                reports.append(results.get(timeout=max(0.1, until - time.monotonic())))
            except queue.Empty:
                pytest.fail(f"only {len(reports)} of {n} sweeping processes reported within {TIME_LIMIT} s")
        for p in processes:
            p.join(timeout=max(0.1, until - time.monotonic()))
    finally:
        for p in processes:
            if p.is_alive():
                p.terminate()
                p.join(timeout=10)
        results.close()
    errors = [body for status, body in reports if status == "error"]
    assert not errors, "\n".join(errors)
    assert [p.exitcode for p in processes] == [0] * n
    return [body for _, body in reports]


SWEEPERS: dict[str, Callable[[str, datetime, int], list[Outcome]]] = {
    "threads": sweep_in_threads, "processes": sweep_in_processes}


# -- the test ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("how, n", [("threads", 8), ("processes", 4)], ids=["8-threads", "4-processes"])
def test_concurrent_sweeps_raise_every_due_level_of_2000_overdue_runs_exactly_once(world, db, clock, how, n):
    now = clock.now
    template = overdue_template(world, db, now)
    levels = breach_levels_due(template, now)
    assert levels == [1, 2], "`now` is chosen so that level 2 has fallen due too"
    run_ids = {template.run["id"], *clone(db, template, [{}] * (RUNS - 1))}
    with db.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(runs_t).where(
            runs_t.c.clock == "acceptance", runs_t.c.stopped_at.is_(None),
            runs_t.c.next_escalation_at <= now)) == RUNS

    started = time.monotonic()
    outcomes = SWEEPERS[how](db.url, now, n)
    elapsed = time.monotonic() - started
    assert len(outcomes) == n

    raised = [i for o in outcomes for i in o.raised]
    with db.engine.connect() as conn:
        by_level = {(level, kind): (count, runs) for level, kind, count, runs in conn.execute(
            select(escalations_t.c.level, escalations_t.c.kind, func.count(),
                   func.count(escalations_t.c.clock_run_id.distinct()))
            .group_by(escalations_t.c.level, escalations_t.c.kind))}
        escalation_ids = {str(i) for i in conn.scalars(select(escalations_t.c.id))}
        keys = conn.execute(select(func.count(), func.count(escalations_t.c.dedupe_key.distinct()))).one()
        escalated_runs = set(conn.scalars(select(escalations_t.c.clock_run_id).distinct()))
        run_states = conn.execute(
            select(runs_t.c.escalated_level, runs_t.c.next_escalation_at.is_(None), func.count())
            .where(runs_t.c.id.in_(select(escalations_t.c.clock_run_id)) | (runs_t.c.clock == "acceptance"))
            .group_by(runs_t.c.escalated_level, runs_t.c.next_escalation_at.is_(None))).all()
        recipients: dict[int, set[str]] = {}
        for level, staff_id in conn.execute(
                select(escalations_t.c.level, recipients_t.c.staff_id).distinct()
                .join(recipients_t, recipients_t.c.escalation_id == escalations_t.c.id)):
            recipients.setdefault(level, set()).add(str(staff_id))
        recipient_rows = conn.scalar(select(func.count()).select_from(recipients_t))
        wrong_deadlines = conn.scalar(select(func.count()).select_from(
            escalations_t.join(runs_t, runs_t.c.id == escalations_t.c.clock_run_id))
            .where(escalations_t.c.deadline_at != runs_t.c.deadline_at))

    # one escalation per (run, level) that fell due, none twice, nothing else
    assert by_level == {(level, "breach"): (RUNS, RUNS) for level in levels}
    assert keys == (RUNS * len(levels), RUNS * len(levels))
    assert escalated_runs == run_ids
    assert wrong_deadlines == 0
    # what the sweeps reported raising is exactly what is stored: no sweep claims another's escalation
    assert len(raised) == len(set(raised)) == RUNS * len(levels)
    assert set(raised) == escalation_ids
    # each run was examined by exactly one sweep, and now waits for nothing more
    assert sum(o.runs_examined for o in outcomes) == RUNS
    assert run_states == [(max(levels), True, RUNS)]
    # level 1 to the project manager, level 2 to the region's supervisor: one recipient row each
    assert recipients == {1: {world.person("project_manager").id}, 2: {world.person("supervisor").id}}
    assert recipient_rows == RUNS * len(levels)

    # a 9th sweep afterwards finds nothing due and raises nothing
    again = sweep(db, now)
    assert (again.raised, again.runs_examined) == ([], 0)
    assert elapsed < TIME_LIMIT

    # The unique dedupe_key is the final guard: runs whose progress was lost (as if a sweep's update never
    # landed) are swept again, all at once, and raise nothing a second time. (Threads here in both variants:
    # what is tested is the key, and starting processes again would only cost time.)
    replayed = sorted(run_ids)[:REPLAYED]
    with db.engine.begin() as conn:
        conn.execute(update(runs_t).where(runs_t.c.id.in_(replayed))
                     .values(escalated_level=-1, next_escalation_at=template.run["next_escalation_at"]))
    replay = sweep_in_threads(db.url, now, n)
    assert [i for o in replay for i in o.raised] == []
    assert sum(o.runs_examined for o in replay) == REPLAYED
    with db.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(escalations_t)) == RUNS * len(levels)
        assert conn.scalar(select(func.count()).select_from(recipients_t)) == RUNS * len(levels)
        assert conn.execute(select(runs_t.c.escalated_level, runs_t.c.next_escalation_at)
                            .where(runs_t.c.id.in_(replayed)).distinct()).all() == [(max(levels), None)]
