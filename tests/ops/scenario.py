"""One run of the load on a fleet: start 3 API servers and 2 workers on a fresh database, build the world, run
walkers, racers, escalation checks and the moving clock together (with whatever a test does meanwhile), stop
everything, sweep once more and read the database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from bizext.db.session import Database
from bizext.services.escalations import sweep
from tests.conftest import ADMIN_TOKEN
from tests.ops.invariants import Snapshot
from tests.ops.load import (
    IMPORTANT,
    PLAIN,
    PLANS,
    Api,
    LoadSize,
    Log,
    People,
    RaceGroup,
    Stats,
    Walker,
    check_from_the_cli,
    check_over_http,
    move_clock,
)
from tests.ops.shifted_clock import SharedClock
from tests.servers import REPO, Fleet, Process
from tests.world import World

API_SERVERS = 3
WORKERS = 2
LOAD_SECONDS = 300  # a bound, not a target: a client still busy by then fails the test
CLOCK_EVERY = 2.0  # seconds between the fleet clock's jumps…
CLOCK_STEP = timedelta(days=1)  # …of this much
CLOCK_TOTAL = timedelta(days=16)
HTTP_CHECK_PAUSE = 0.3
CLI_CHECK_PAUSE = 1.0
MIN_CLI_CHECKS = 2
MIN_JUMPS = 3
#: Overdue on arrival: received this many days before the fleet's clock (nobody moves them afterwards).
IDLE_RECEIVED_DAYS_AGO = (25, 45)


@dataclass
class Run:
    fleet: Fleet
    clock: SharedClock
    size: LoadSize
    world: World | None = None
    log: Log | None = None
    stats: Stats | None = None
    started: float = 0.0
    load_seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds each part took
    swept_at: datetime | None = None
    snapshot: Snapshot | None = None

    @property
    def api_servers(self) -> list[Process]:
        return self.fleet.servers

    @property
    def workers(self) -> list[Process]:
        return [p for p in self.fleet.processes if p.base_url is None]

    def expected_transitions(self) -> int:
        """Roughly how many transitions the walkers will fire (for tests that act part-way through)."""
        return self.size.walkers * self.size.projects * 10


def start_fleet(fleet: Fleet) -> None:
    servers = [fleet.server(worker_loop=False, wait=False) for _ in range(API_SERVERS)]
    for _ in range(WORKERS):
        fleet.worker()
    for server in servers:
        server.wait_ready()


def _idle_projects(api: Api, world: World, clock: SharedClock, log: Log, count: int) -> None:
    low, high = IDLE_RECEIVED_DAYS_AGO
    for i in range(count):
        days = low + (high - low) * i / max(1, count - 1)
        received_at = (clock.now() - timedelta(days=days)).isoformat()
        facts = IMPORTANT if i % 3 == 0 else PLAIN
        body = {**facts, "title": f"Idle {i}", "customer_id": world.customers[i % 2].id, "received_at": received_at}
        key = f"idle-{i}"
        answer = api.send("POST", "/v1/projects", world.integration, body, key)
        assert answer.status == 201, answer.brief()
        log.created[answer.body["id"]] = key


def run(fleet: Fleet, clock: SharedClock, size: LoadSize, *, impatient_every: int = 0,
        meanwhile: Callable[[Run], Any] | None = None) -> Run:
    """Everything at once; `meanwhile(run)` runs in a thread of its own alongside the load."""
    r = Run(fleet, clock, size, log=Log(), stats=Stats())
    log, stats = r.log, r.stats
    assert log is not None and stats is not None
    tick = time.monotonic()

    def phase(name: str) -> None:
        nonlocal tick
        r.phases[name] = round(time.monotonic() - tick, 1)
        tick = time.monotonic()

    start_fleet(fleet)
    phase("start")
    urls = [s.base_url or "" for s in fleet.servers]
    with httpx.Client(base_url=urls[0], timeout=60) as http:
        r.world = world = World.build(http, ADMIN_TOKEN)  # type: ignore[arg-type]  # httpx has TestClient's API
    people = People(world)
    deadline = time.monotonic() + LOAD_SECONDS
    apis: list[Api] = []

    def api(first: int, impatient: int = 0) -> Api:
        apis.append(a := Api(urls, first, stats, deadline, impatient))
        return a

    _idle_projects(api(0), world, clock, log, size.idle)
    phase("world")

    errors: list[BaseException] = []
    stop = threading.Event()

    def guarded(target: Callable[..., Any], *args: Any) -> threading.Thread:
        def body() -> None:
            try:
                target(*args)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)

        thread = threading.Thread(target=body, daemon=True)
        thread.start()
        return thread

    background = [
        guarded(check_over_http, api(1), world.checker, log, stop, HTTP_CHECK_PAUSE),
        guarded(check_from_the_cli, fleet.launcher, fleet.env, str(REPO), log, stop, CLI_CHECK_PAUSE),
        guarded(move_clock, clock.advance, log, stop, CLOCK_EVERY, CLOCK_STEP, CLOCK_TOTAL),
    ]
    r.started = time.monotonic()
    clients = []
    for i in range(size.walkers):
        walker = Walker(f"walker-{i}", api(i, impatient_every), people, log, customer=i % 2)
        plans = [PLANS[(i * size.projects + n) % len(PLANS)] for n in range(size.projects)]
        clients.append(guarded(walker.run, plans))
    for g in range(size.race_groups):
        group = RaceGroup(f"race-{g}", [api(g + k, impatient_every) for k in range(size.racers)], people, log,
                          customer=g % 2, withdraw_at=6 if g % 2 == 1 else None)
        clients.append(guarded(group.run, size.race_projects))
    if meanwhile is not None:
        clients.append(guarded(meanwhile, r))
    try:
        for thread in clients:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        r.load_seconds = time.monotonic() - r.started
        phase("load")
        assert not any(t.is_alive() for t in clients), f"clients still busy after {LOAD_SECONDS}s"
        # A CLI check takes seconds (a new process), the clock jumps every few: however quick the load was,
        # let a few of each happen while the other checkers run.
        while (log.checks["cli"] < MIN_CLI_CHECKS or len(log.jumps) < MIN_JUMPS) \
                and all(t.is_alive() for t in background) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in background:
            thread.join(timeout=180)
        for a in apis:
            a.close()
        fleet.stop_all()
        phase("stop")
    if errors:
        raise AssertionError(f"{len(errors)} client(s) failed; the first: {errors[0]!r}\n{fleet.output(2000)}") \
            from errors[0]
    # The processes are gone; one last sweep (the same code the workers run) at the fleet's time, so that
    # whatever fell due is raised and the escalation invariants can be held to a known instant.
    database = Database(fleet.database_url, pool_size=2)
    try:
        r.swept_at = clock.now()
        sweep(database, r.swept_at)
        r.snapshot = Snapshot.read(database)
    finally:
        database.dispose()
    phase("sweep and read")
    return r


def logged_errors(fleet: Fleet) -> list[str]:
    """What the processes logged as errors (the worker logs a failed round and carries on, so a test must look)."""
    found = []
    for p in fleet.processes:
        text = p.log.read_text(encoding="utf-8", errors="replace") if p.log.exists() else ""
        found += [f"{p.name}: {line[:600]}" for line in text.splitlines()
                  if '"level": "ERROR"' in line or '"level": "CRITICAL"' in line or line.startswith("Traceback")]
    return found


def summary(r: Run) -> str:
    assert r.log is not None and r.stats is not None and r.snapshot is not None
    snap, log = r.snapshot, r.log
    retried = sum(1 for a in log.acks if a.attempts > 1)
    return (f"{len(snap.projects)} projects, {snap.transition_count} transitions ({len(log.acks)} acknowledged, "
            f"{retried} after a retry), {log.rounds} race rounds (losers: {dict(log.losers)}), "
            f"{len(snap.escalations)} escalations, {len(snap.events)} events; checks {dict(log.checks)} raised "
            f"{log.raised_by_checks}; clock moved {sum(log.jumps, timedelta(0)).days} days; "
            f"clients: {dict(r.stats.counts)}; seconds: {r.phases}")
