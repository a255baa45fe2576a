"""The sweep reads only due clock runs, through the partial index ix_clock_runs_due (DESIGN §6: its cost grows
with the number of due clocks, not with the number of projects).

5,000 acceptance clock runs, of which 50 are due; the rest stopped, paused, or due later. The SQL the
repository really emits (captured from the cursor, parameters and all) is explained by the database itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bizext.db.models import ClockRun, Escalation
from bizext.db.session import Database
from bizext.services.escalations import SWEEP_BATCH, sweep
from tests.db.test_sweep_concurrency import Template, breach_levels_due, clone, overdue_template

RUNS, DUE = 5_000, 50
STOPPED, PAUSED = 2_500, 1_000
LATER = RUNS - DUE - STOPPED - PAUSED
INDEX = "ix_clock_runs_due"


def build(world: Any, db: Database, now: datetime) -> tuple[Template, set[Any]]:
    """The template's run is due; 49 copies of it are too; the other copies are not. Returns the template
    and the due runs."""
    template = overdue_template(world, db, now)
    changes: list[dict[str, Any]] = [{}] * (DUE - 1)
    changes += [{"stopped_at": now - timedelta(days=i % 7 + 1), "outcome": "missed", "next_escalation_at": None}
                for i in range(STOPPED)]
    changes += [{"paused_since": now - timedelta(hours=i % 48 + 1), "next_escalation_at": None}
                for i in range(PAUSED)]
    changes += [{"next_escalation_at": now + timedelta(minutes=i + 1)} for i in range(LATER)]
    ids = clone(db, template, changes)
    return template, {template.run["id"], *ids[:DUE - 1]}


def captured_due_query(db: Database, now: datetime) -> tuple[str, Any, list[ClockRun]]:
    """Run ClockRepository.due as the sweep does and capture the statement and parameters it sent."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if "FROM clock_runs" in statement and "next_escalation_at <=" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.uow(write=True) as uow:  # left without commit: rolled back, locks released
            rows = uow.clocks.due(now, SWEEP_BATCH)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert len(seen) == 1, seen
    return seen[0][0], seen[0][1], rows


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def postgres_plan(db: Database, statement: str, parameters: Any, *, analyze: bool) -> list[dict[str, Any]]:
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    with db.engine.connect() as conn:  # EXPLAIN ANALYZE runs it (and takes its row locks): rolled back on close
        document = conn.exec_driver_sql(f"EXPLAIN ({options}) {statement}", parameters).scalar_one()
    document = json.loads(document) if isinstance(document, str) else document
    return list(plan_nodes(document[0]["Plan"]))


def test_the_sweep_reads_only_due_clock_runs_through_the_partial_index(world, db, clock):
    now = clock.now
    template, due = build(world, db, now)
    levels = breach_levels_due(template, now)
    assert levels == [1, 2]
    with db.engine.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(ClockRun))
        really_due = set(conn.scalars(select(ClockRun.id).where(
            ClockRun.stopped_at.is_(None), ClockRun.paused_since.is_(None), ClockRun.next_escalation_at <= now)))
    assert total >= RUNS and really_due == due and len(due) == DUE

    statement, parameters, rows = captured_due_query(db, now)
    assert {r.id for r in rows} == due

    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE clock_runs")
        nodes = postgres_plan(db, statement, parameters, analyze=False)
        scans = [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in nodes]
        assert any(index == INDEX for _, _, index in scans), scans
        assert not [s for s in scans if s[0] == "Seq Scan" and s[1] == "clock_runs"], scans
        # and, executed, the index hands over the due rows and nothing else
        executed = postgres_plan(db, statement, parameters, analyze=True)
        on_index = [n for n in executed if n.get("Index Name") == INDEX]
        assert len(on_index) == 1, executed
        assert on_index[0]["Actual Rows"] * on_index[0]["Actual Loops"] == DUE
        assert on_index[0].get("Rows Removed by Filter", 0) == 0
        assert on_index[0].get("Rows Removed by Index Recheck", 0) == 0
    else:
        with db.engine.connect() as conn:
            details = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        assert any(f"USING INDEX {INDEX}" in d for d in details), details
        assert not any(d.startswith("SCAN clock_runs") for d in details), details
        assert not any("TEMP B-TREE" in d for d in details), details  # the index gives the order too

    result = sweep(db, now)
    assert result.runs_examined == DUE
    assert len(result.raised) == DUE * len(levels)  # each due run's levels; nothing for the others
    with db.engine.connect() as conn:
        escalated = set(conn.scalars(select(Escalation.clock_run_id).distinct()))
        untouched = conn.scalar(select(func.count()).select_from(ClockRun).where(
            ClockRun.id.not_in(due), ClockRun.escalated_level != -1))
    assert escalated == due and untouched == 0
    assert sweep(db, now).runs_examined == 0


@pytest.mark.parametrize("later", [timedelta(seconds=1), timedelta(days=1)])
def test_a_run_due_later_is_not_read_before_its_time(world, db, clock, later):
    """The boundary of the range scan: `next_escalation_at <= now` reads a run due at `now`, not one due later."""
    now = clock.now
    template = overdue_template(world, db, now)
    at_now, after = clone(db, template, [{"next_escalation_at": now}, {"next_escalation_at": now + later}])
    with db.uow(write=True) as uow:
        read = {r.id for r in uow.clocks.due(now, SWEEP_BATCH)}
    assert read == {template.run["id"], at_now}
    assert after not in read


def test_a_sweep_sends_as_many_statements_for_two_hundred_due_runs_as_for_eleven(world, db, clock):
    """Escalations are inserted a batch at a time (one INSERT … ON CONFLICT DO NOTHING RETURNING for the
    batch, one for its recipients), not one round trip per escalation: the statement count of a sweep does not
    grow with the number of due runs in a batch."""
    now = clock.now
    template = overdue_template(world, db, now)
    levels = breach_levels_due(template, now)
    later = now + timedelta(hours=1)
    clone(db, template, [{}] * 10 + [{"next_escalation_at": later}] * 200)

    def counted_sweep(at: datetime) -> tuple[int, int]:
        statements = 0

        def count(*_: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            result = sweep(db, at)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return statements, len(result.raised)

    few, raised_few = counted_sweep(now)
    many, raised_many = counted_sweep(later)
    assert (raised_few, raised_many) == (11 * len(levels), 200 * len(levels))
    assert many == few, (few, many)
    with db.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Escalation)) == 211 * len(levels)
