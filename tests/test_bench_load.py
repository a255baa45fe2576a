"""The benchmark's load walks hv-standard's whole lifecycle: its steps, inputs and principals, checked against
the workflow definition through the pure engine (no server, no database)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from bench import load
from bench.__main__ import stage_roles
from bizext.workflow import engine
from bizext.workflow.definitions import registry
from bizext.workflow.engine import Actor, ProjectView
from bizext.workflow.errors import OwnerRef
from bizext.workflow.guards import ProjectFacts

T = TypeVar("T")
CUSTOMER = "c0000000-0000-0000-0000-000000000001"
MANAGER = "50000000-0000-0000-0000-000000000001"


def test_the_load_walks_every_non_rework_stage_of_hv_standard_to_energized_as_each_stage_owner():
    definition = registry().get("hv-standard")
    p = load.HV_PROJECT
    facts = ProjectFacts(supply=p["supply"], capacity_kva=p["capacity_kva"], voltage_kv=p["voltage_kv"],
                         important=p["important"], flags={})
    now = datetime.now(UTC)
    inputs = load.step_inputs(now)
    state, flags, visited, fired = definition.initial, {}, [definition.initial], []
    while not definition.state(state).terminal:
        name = load.next_step({"state": state, "flags": flags})
        role = definition.state(state).owner_role
        if role == "customer":
            owner, actor = OwnerRef("customer", CUSTOMER), Actor("customer", CUSTOMER, "c", customer_id=CUSTOMER)
        else:
            staff = f"{role}-1"
            owner, actor = OwnerRef("staff", staff), Actor("staff", staff, role, roles=frozenset({role}))
        view = ProjectView(state=state, facts=ProjectFacts(**{**facts.__dict__, "flags": flags}),
                           customer_id=CUSTOMER, customer_manager_id=MANAGER, stage_owner=owner)
        move = engine.fire(definition, view, name, inputs.get(name, {}), actor, now=now, today=now.date())
        assert move.responsibility.capacity == "owner"
        flags = {**flags, **move.flags}
        state = move.to_state
        visited.append(state)
        fired.append(name)
    assert state == "energized"
    assert len(fired) == load.LIFECYCLE
    rework = {"awaiting_documents", "rectification", "rejected", "withdrawn"}
    assert set(visited) == set(definition.states) - rework
    assert set(load.step_bodies()) == set(fired)


def test_the_bench_sets_up_staff_for_every_role_that_owns_an_hv_standard_stage():
    assert stage_roles() == ["customer_manager", "design_reviewer", "inspector", "metering_technician", "planner"]


def in_a_loop_of_its_own(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run an async scenario in a thread with its own event loop: the browser tests (Playwright's sync API)
    leave one running in the test thread, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(scenario())).result(timeout=60)


def test_the_paced_schedule_starts_when_every_walker_holds_its_first_project():
    """Slots count from the moment the last walker is ready, not from before the walkers created their projects
    (which made the first slots overdue: a start-up lag reported as latency)."""
    async def scenario() -> tuple[float, float, list[float]]:
        pacer = load.Pacer(rate=100, walkers=2)
        first = asyncio.create_task(pacer.ready())
        await asyncio.sleep(0.2)  # the second walker is still creating its project
        assert pacer.start is None and not first.done()
        ready_at = time.perf_counter()
        await asyncio.gather(first, pacer.ready())
        return ready_at, pacer.start, [await pacer.slot() for _ in range(3)]  # type: ignore[return-value]

    ready_at, start, dues = in_a_loop_of_its_own(scenario)
    assert start >= ready_at
    assert dues == [start, start + 0.01, start + 0.02]


def test_the_paced_schedule_does_not_wait_forever_for_a_walker_that_never_gets_a_project():
    async def scenario() -> float | None:
        pacer = load.Pacer(rate=10, walkers=3, patience=0.05)
        await pacer.ready()  # the other two never are
        return pacer.start

    assert in_a_loop_of_its_own(scenario) is not None
