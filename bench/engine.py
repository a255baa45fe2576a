"""The pure workflow layer alone: engine.fire vs the bare `transitions` machine firing the same event."""

from __future__ import annotations

import timeit
from datetime import datetime, timezone

from bizext.workflow import engine
from bizext.workflow.definitions import registry
from bizext.workflow.engine import Actor, ProjectView
from bizext.workflow.errors import OwnerRef
from bizext.workflow.guards import ProjectFacts

CUSTOMER_ID = "c0000000-0000-0000-0000-000000000001"
MANAGER = Actor(kind="staff", id="50000000-0000-0000-0000-000000000000", name="customer manager",
                roles=frozenset({"customer_manager"}))
FACTS = ProjectFacts(supply="dual", capacity_kva=4000, voltage_kv=10, important=True, flags={})


class _Bare:
    __slots__ = ("state", "facts")

    def __init__(self) -> None:
        self.state, self.facts = "application_review", FACTS


def _best_us(fn, number: int) -> float:
    """Best of 5 repeats, in microseconds per call (the least disturbed by a noisy machine)."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def measure(number: int = 5000) -> dict:
    definition = registry().get("hv-standard")
    view = ProjectView(state="application_review", facts=FACTS, customer_id=CUSTOMER_ID,
                       customer_manager_id=MANAGER.id, stage_owner=OwnerRef("staff", MANAGER.id, MANAGER.name))
    now = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
    move = engine.fire(definition, view, "accept", {}, MANAGER, now=now)
    assert move.to_state == "site_survey", move
    event = definition.machine.events["accept"]

    def bare() -> None:
        event.trigger(_Bare())

    def fired() -> None:
        engine.fire(definition, view, "accept", {}, MANAGER, now=now)

    bare_us, engine_us = _best_us(bare, number), _best_us(fired, number)
    return {"engine_us": engine_us, "bare_transitions_us": bare_us, "ratio": engine_us / bare_us}
