"""Faults under load: the load of test_processes.py (three API processes, two workers, walkers, racers,
escalation checks, a moving clock), and part-way through it the fleet's clock jumps a day (a bunch of clock runs
falls due), then one worker and one API server are killed with SIGKILL and started again a moment later.

The clients behave as they should behind a load balancer: a request that gets no answer (connection refused
or reset, timeout, 5xx) or finds its key still in progress is sent again to the next server with the same
Idempotency-Key and body until it gets one. Some clients are impatient as well: every few requests they stop
waiting for the first answer after 2 ms, so retries of requests that did complete are certain, not left to
the timing of the kill.

Afterwards the invariants of test_processes.py hold, no acknowledged transition is missing, and every retried
request was applied once: its answer is the stored first answer, and the history holds it once.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from tests.ops import invariants, scenario
from tests.ops.load import LoadSize
from tests.servers import POSTGRES_ONLY

pytestmark = POSTGRES_ONLY

IMPATIENT_EVERY = 5  # every fifth keyed request of a client gives up on its first answer
DOWN_SECONDS = 1.5  # how long the killed processes stay dead
KILL_WAIT_SECONDS = 120


@dataclass
class Faults:
    acks_at_kill: int = -1
    killed: list[str] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)


def kill_and_restart(faults: Faults, run: scenario.Run) -> None:
    """Once a quarter of the walk is done: jump the clock, let the workers start sweeping what fell due, then
    SIGKILL a worker and an API server, and start both again."""
    assert run.log is not None
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    while len(run.log.acks) < max(10, run.expected_transitions() // 4):
        assert time.monotonic() < deadline, "the load made no progress before the kill"
        time.sleep(0.05)
    run.clock.advance(timedelta(days=1))
    time.sleep(0.3)
    worker, server = run.workers[0], run.api_servers[1]
    faults.acks_at_kill = len(run.log.acks)
    for victim in (worker, server):
        victim.kill()
        faults.killed.append(victim.name)
    time.sleep(DOWN_SECONDS)
    for victim in (worker, server):
        run.fleet.restart(victim)
        faults.restarted.append(victim.name)


@pytest.fixture(scope="module")
def faults() -> Faults:
    return Faults()


@pytest.fixture(scope="module")
def loaded(fleet, shared_clock, faults) -> scenario.Run:  # type: ignore[no-untyped-def]
    size = LoadSize.from_env()
    run = scenario.run(fleet, shared_clock, size, impatient_every=IMPATIENT_EVERY,
                       meanwhile=lambda r: kill_and_restart(faults, r))
    print(f"\nseed {size.seed}: killed {faults.killed} after {faults.acks_at_kill} acknowledged transitions; "
          f"{scenario.summary(run)}")
    return run


def test_a_worker_and_an_api_server_were_killed_mid_load_and_came_back(loaded, faults):
    assert faults.killed == faults.restarted == ["worker-0", "server-1"]
    assert 0 < faults.acks_at_kill < len(loaded.log.acks)
    assert all(p.starts == 2 for p in loaded.fleet.processes if p.name in faults.killed)
    # the clients noticed: requests to the dead server were refused or cut off, and sent again elsewhere
    transport = {k: n for k, n in loaded.stats.counts.items() if k.startswith("retried after") and n}
    assert transport, dict(loaded.stats.counts)
    # and the restarted worker swept again
    worker = next(p for p in loaded.fleet.processes if p.name == "worker-0")
    assert worker.log.read_text().split("--- restart 1 ---")[-1].count("worker started") == 1


def test_no_acknowledged_transition_is_missing_and_races_still_had_one_winner(loaded):
    _no_violations(loaded.log.violations + invariants.acknowledged(loaded.snapshot, loaded.log), loaded)
    size, log = loaded.size, loaded.log
    assert len(log.walked) == size.walkers * size.projects
    assert sum(log.losers.values()) == log.rounds * (size.racers - 1)


def test_retried_requests_were_applied_once(loaded):
    log, snap = loaded.log, loaded.snapshot
    retried = [a for a in log.acks if a.attempts > 1]
    replayed = [a for a in retried if a.replayed]
    assert replayed, f"no retry was answered from the stored first answer ({dict(loaded.stats.counts)})"
    history = Counter(str(t.id) for ts in snap.transitions.values() for t in ts)
    assert all(history[a.transition["id"]] == 1 for a in retried)
    for a in retried:  # each retried step is in its project's history once, where the client saw it
        ids = [str(t.id) for t in snap.transitions[uuid.UUID(a.project_id)]]
        assert ids[a.transition["seq"] - 1] == a.transition["id"]
    print(f"\n{len(retried)} acknowledged after a retry, {len(replayed)} of them replayed")


def test_every_invariant_holds_after_the_faults(loaded):
    found = invariants.all_of(loaded.snapshot, loaded.log, loaded.swept_at)
    assert not found, f"seed {loaded.size.seed}:\n{invariants.report(found)}"
    errors = scenario.logged_errors(loaded.fleet)
    assert not errors, "\n".join(errors[:10])


def _no_violations(found: list[str], run: scenario.Run) -> None:
    assert not found, f"seed {run.size.seed}: {len(found)} violations:\n" + "\n".join(found[:20])
