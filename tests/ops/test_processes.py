"""Several processes at once (DESIGN §9: N stateless API processes plus M workers, all safe together): three
`bizext serve` processes and two `bizext worker`s on one fresh PostgreSQL database, under load.

- walkers: clients each moving their own projects through the whole hv-standard lifecycle (rework loops,
  withdrawals and rejections included), every write with an Idempotency-Key, half of them with If-Match;
- racers: groups of clients firing every step of one project at once through different servers (the same
  transition, a rework loop, a withdrawal): exactly one wins, the others are told 409 or 412;
- escalation checks all the while from `POST /v1/escalation-checks`, `bizext escalations check` and the two
  workers' loops, while the fleet's clock jumps a day every two seconds (so running clocks fall due in bunches)
  and overdue idle projects wait to be escalated.

The load runs once for the module; then, with every process stopped and one last sweep done, each test holds
the database to some of the invariants (tests/ops/invariants.py).

Size: BIZEXT_OPS_WALKERS, _PROJECTS, _RACE_GROUPS, _RACERS, _RACE_PROJECTS, _IDLE, _SEED (tests/ops/load.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, delete, insert, update

from bizext.db.models import ClockRun, Escalation, Event, StageOccurrence, TransitionRecord
from bizext.db.session import Database
from tests.ops import invariants, scenario
from tests.ops.invariants import Snapshot
from tests.ops.load import LoadSize
from tests.servers import POSTGRES_ONLY

pytestmark = POSTGRES_ONLY


@pytest.fixture(scope="module")
def loaded(fleet, shared_clock) -> scenario.Run:  # type: ignore[no-untyped-def]
    size = LoadSize.from_env()
    run = scenario.run(fleet, shared_clock, size)
    print(f"\nseed {size.seed}: {scenario.summary(run)}")
    return run


def _no_violations(found: list[str], run: scenario.Run) -> None:
    assert not found, f"seed {run.size.seed}: {len(found)} violations:\n" + "\n".join(found[:20])


def test_no_client_or_process_saw_a_failure_and_every_race_had_exactly_one_winner(loaded):
    log, stats, size = loaded.log, loaded.stats, loaded.size
    _no_violations(log.violations, loaded)
    # no 5xx, no connection lost, no key found in progress: nothing needed a retry
    assert set(stats.counts) == {"answered"}, (dict(stats.counts), stats.server_errors)
    assert log.rounds >= size.race_groups * size.race_projects * 5
    assert sum(log.losers.values()) == log.rounds * (size.racers - 1)  # exactly one winner per round
    assert not scenario.logged_errors(loaded.fleet), "\n".join(scenario.logged_errors(loaded.fleet)[:10])


def test_every_acknowledged_transition_is_in_the_history_exactly_once_and_nothing_else(loaded):
    _no_violations(invariants.acknowledged(loaded.snapshot, loaded.log), loaded)
    snap, log, size = loaded.snapshot, loaded.log, loaded.size
    assert len(log.walked) == size.walkers * size.projects
    assert len(log.raced) == size.race_groups * size.race_projects
    unfinished = [snap.projects[uuid.UUID(p)].state for p in [*log.walked, *log.raced]
                  if not snap.definition(uuid.UUID(p)).state(snap.projects[uuid.UUID(p)].state).terminal]
    assert not unfinished, unfinished
    assert snap.transition_count == len(log.acks) > 0


def test_every_history_is_consistent_with_its_projects_state(loaded):
    _no_violations(invariants.histories(loaded.snapshot) + invariants.clock_runs(loaded.snapshot), loaded)


def test_exactly_one_escalation_per_clock_run_and_level_with_checks_from_everywhere(loaded):
    _no_violations(invariants.escalations(loaded.snapshot, loaded.swept_at), loaded)
    log = loaded.log
    assert log.checks["http"] >= 3 and log.checks["cli"] >= scenario.MIN_CLI_CHECKS, dict(log.checks)
    assert len(log.jumps) >= scenario.MIN_JUMPS
    assert len(loaded.snapshot.escalations) >= 2 * loaded.size.idle  # acceptance levels 1 and 2, at least


def test_the_feed_records_every_project_transition_and_escalation_once(loaded):
    _no_violations(invariants.events(loaded.snapshot), loaded)


# -- the checks can fail --------------------------------------------------------------------------------------

Mutation = Callable[[Connection, scenario.Run], Any]


def _longest_walk(run: scenario.Run) -> uuid.UUID:
    return max((uuid.UUID(p) for p in run.log.walked), key=lambda p: len(run.snapshot.transitions[p]))


def _lose_the_last_transition(conn: Connection, run: scenario.Run) -> None:
    last = run.snapshot.transitions[_longest_walk(run)][-1]
    conn.execute(delete(TransitionRecord.__table__).where(TransitionRecord.id == last.id))


def _apply_a_transition_twice(conn: Connection, run: scenario.Run) -> None:
    last = run.snapshot.transitions[_longest_walk(run)][-1]
    conn.execute(insert(TransitionRecord.__table__).values({**last._asdict(), "id": uuid.uuid4(), "seq": last.seq + 1}))


def _reopen_a_stage(conn: Connection, run: scenario.Run) -> None:
    last = run.snapshot.stages[_longest_walk(run)][-1]  # the project is terminal: no stage is open
    conn.execute(update(StageOccurrence.__table__).where(StageOccurrence.id == last.id).values(left_at=None))


def _raise_a_level_twice(conn: Connection, run: scenario.Run) -> None:
    e = run.snapshot.escalations[0]
    conn.execute(insert(Escalation.__table__).values({**e._asdict(), "id": uuid.uuid4(), "dedupe_key": "copy"}))


def _running(run: scenario.Run) -> dict[uuid.UUID, Any]:
    return {r.id: r for r in run.snapshot.runs if r.stopped_at is None and r.paused_since is None}


def _leave_a_due_level_unraised(conn: Connection, run: scenario.Run) -> None:
    e = next(e for e in run.snapshot.escalations if e.level == 2 and e.clock_run_id in _running(run))
    conn.execute(delete(Escalation.__table__).where(Escalation.id == e.id))
    conn.execute(update(ClockRun.__table__).where(ClockRun.id == e.clock_run_id).values(escalated_level=1))


def _forget_an_event(conn: Connection, run: scenario.Run) -> None:
    fired = next(e for e in run.snapshot.events if e.type == "transition.fired")
    conn.execute(delete(Event.__table__).where(Event.id == fired.id))


def _leave_a_run_due(conn: Connection, run: scenario.Run) -> None:
    r = next(r for r in _running(run).values() if r.next_escalation_at is not None)
    conn.execute(update(ClockRun.__table__).where(ClockRun.id == r.id)
                 .values(next_escalation_at=run.swept_at - timedelta(hours=1)))


MUTATIONS: dict[str, tuple[Mutation, tuple[str, ...]]] = {
    "a lost transition": (_lose_the_last_transition, ("histories", "clients' logs")),
    "a transition applied twice": (_apply_a_transition_twice, ("histories", "clients' logs")),
    "a second open stage": (_reopen_a_stage, ("histories",)),
    "an escalation raised twice": (_raise_a_level_twice, ("escalations",)),
    "a due level never raised": (_leave_a_due_level_unraised, ("escalations",)),
    "an event lost": (_forget_an_event, ("events",)),
    "a due run left by the sweep": (_leave_a_run_due, ("escalations",)),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_the_checks_catch_a_database_that_broke_an_invariant(loaded, mutation):
    """Each corruption, made in a transaction that is rolled back, is reported by the checks meant for it: the
    invariants above are not vacuous."""
    mutate, expected = MUTATIONS[mutation]
    database = Database(loaded.fleet.database_url, pool_size=1)
    try:
        with database.engine.connect() as conn:
            with conn.begin() as tx:
                mutate(conn, loaded)
                found = invariants.all_of(Snapshot.read_from(conn), loaded.log, loaded.swept_at)
                tx.rollback()
    finally:
        database.dispose()
    assert set(expected) <= set(found), (mutation, invariants.report(found))
