"""API servers on different hosts never have exactly the same clock. Two `bizext serve` processes here, one
whose clock runs SKEW ahead of the other's (each reads its own shifted clock), stand for two hosts a load
balancer spreads requests over.

A client that does not say when something happened (no `occurred_at`) means "now", and must not be refused
because the server it reached reads an instant a little before the previous transition, which another host
recorded by its own clock: the request is fine, only the clocks differ. Likewise a client that lost a race
must be told it lost (409), not that a field it never sent is invalid.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN
from tests.ops.shifted_clock import CLOCK_FILE, SharedClock
from tests.servers import REQUEST_SECONDS, Fleet, Process
from tests.world import Person, World

SKEW = timedelta(seconds=2)  # far more than NTP allows, far less than a person's pause between two steps


@pytest.fixture(scope="module")
def skewed(fleet: Fleet, ops_dir: Path) -> tuple[Process, Process]:
    """Two servers: the first reads a clock SKEW ahead of the second's (the fleet's shared clock)."""
    ahead = SharedClock(ops_dir / "clock-ahead")
    ahead.advance(SKEW)
    started = (fleet.server(env={CLOCK_FILE: str(ahead.path)}, wait=False), fleet.server(wait=False))
    for server in started:
        server.wait_ready()
    return started  # stopped with the fleet


Clients = tuple[World, httpx.Client, httpx.Client]


@pytest.fixture
def clients(skewed: tuple[Process, Process], db: Any) -> Iterator[Clients]:
    """A world built through the server ahead, and a client of each server; `db` empties the tables first."""
    ahead, behind = skewed
    with httpx.Client(base_url=ahead.base_url or "", timeout=REQUEST_SECONDS) as a, \
            httpx.Client(base_url=behind.base_url or "", timeout=REQUEST_SECONDS) as b:
        yield World.build(a, ADMIN_TOKEN), a, b  # type: ignore[arg-type]  # httpx.Client has TestClient's API


def _fire(client: httpx.Client, project: dict[str, Any], name: str, who: Person,
          input: dict[str, Any] | None = None) -> httpx.Response:
    return client.post(f"/v1/projects/{project['id']}/transitions", json={"name": name, "input": input or {}},
                       headers=who.headers)


def test_the_next_step_through_a_server_whose_clock_is_behind_is_accepted(clients):
    world, ahead, behind = clients
    project = world.new_project()
    accepted = _fire(ahead, project, "accept", world.owner_of(project))
    assert accepted.status_code == 201, accepted.text
    project = accepted.json()["project"]

    surveyed = _fire(behind, project, "complete_survey", world.owner_of(project),
                     {"surveyed_on": "2026-11-30", "findings": "cable route along the east road"})

    assert surveyed.status_code == 201, surveyed.text
    first, second = accepted.json()["transition"], surveyed.json()["transition"]
    # the history still never goes back in time
    assert datetime.fromisoformat(second["occurred_at"]) >= datetime.fromisoformat(first["occurred_at"])


def test_a_late_loser_on_a_server_whose_clock_is_behind_is_told_it_lost(clients):
    world, ahead, behind = clients
    project = world.new_project()
    owner = world.owner_of(project)
    assert _fire(ahead, project, "accept", owner).status_code == 201

    late = _fire(behind, project, "accept", owner)

    assert (late.status_code, late.json()["type"]) == (409, "/problems/transition-not-allowed"), late.text


def test_a_hold_placed_and_released_through_a_server_whose_clock_is_behind_is_accepted(clients):
    world, ahead, behind = clients
    project = world.new_project()
    manager = world.person("customer_manager")
    assert _fire(ahead, project, "accept", world.owner_of(project)).status_code == 201

    placed = behind.post(f"/v1/projects/{project['id']}/holds", json={"reason": "site flooded", "party": "external"},
                         headers=manager.headers)
    assert placed.status_code == 201, placed.text
    placed_again = ahead.post(f"/v1/projects/{project['id']}/holds",
                              json={"reason": "road closed", "party": "external"}, headers=manager.headers)
    assert placed_again.status_code == 201, placed_again.text
    released = behind.post(f"/v1/projects/{project['id']}/holds/{placed_again.json()['id']}/release", json={},
                           headers=manager.headers)
    assert released.status_code == 200, released.text
