"""Two clients firing transitions on one project at once: exactly one wins, the other gets 409 or 412, and
the history has exactly one row for the winner.

Real HTTP against real server processes: two `bizext serve --workers 2` servers (four worker processes in
all) on the suite's database, the embedded SQLite file or PostgreSQL, and requests released together by a
barrier.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.servers import REQUEST_SECONDS, Process, live_world, servers  # noqa: F401 - fixtures
from tests.world import World

THREADS = 20


@dataclass(frozen=True)
class Outcome:
    status: int
    type: str | None
    body: Any


def _race(servers: list[Process], requests: list[Callable[[httpx.Client], httpx.Response]]) -> list[Outcome]:
    """Send every request from its own thread and connection, spread over the servers, all at once."""
    barrier = threading.Barrier(len(requests), timeout=REQUEST_SECONDS)
    outcomes: list[Outcome | BaseException | None] = [None] * len(requests)

    def run(i: int) -> None:
        try:
            with httpx.Client(base_url=servers[i % len(servers)].base_url, timeout=REQUEST_SECONDS) as client:
                client.get("/healthz").raise_for_status()  # open the connection before the start line
                barrier.wait()
                response = requests[i](client)
                body = response.json() if response.content else None
                outcomes[i] = Outcome(response.status_code, body.get("type") if isinstance(body, dict) else None,
                                      body)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            barrier.abort()
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 2 * REQUEST_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "requests still running after the deadline"
    failures = [o for o in outcomes if not isinstance(o, Outcome)]
    assert not failures, failures
    return outcomes  # type: ignore[return-value]


def _fire(project_id: str, name: str, token: str, input: dict[str, Any] | None = None,
          if_match: str | None = None) -> Callable[[httpx.Client], httpx.Response]:
    headers = {"Authorization": f"Bearer {token}"}
    if if_match is not None:
        headers["If-Match"] = if_match
    body = {"name": name, "input": input or {}}
    return lambda client: client.post(f"/v1/projects/{project_id}/transitions", json=body, headers=headers)


def _summary(outcomes: list[Outcome]) -> list[tuple[int, str | None, str | None]]:
    """Every outcome, with the detail of anything unexpected (so a rare failure under load can be diagnosed)."""
    return sorted((o.status, o.type, None if o.status in (201, 409, 412) else str(o.body)[:300]) for o in outcomes)


def _assert_one_move(world: World, project_id: str, winner: str, version_before: int) -> None:
    headers = world.admin.headers
    history = world.ok(world.client.get(f"/v1/projects/{project_id}/transitions", headers=headers))
    stages = world.ok(world.client.get(f"/v1/projects/{project_id}/stages", headers=headers))
    project = world.ok(world.client.get(f"/v1/projects/{project_id}", headers=headers))
    assert [t["name"] for t in history] == [winner]
    assert len([s for s in stages if s["left_at"] is None]) == 1, stages
    assert len(stages) == 2, stages  # the stage left and the one entered, nothing more
    assert project["version"] == version_before + 1


def test_twenty_owners_firing_accept_at_once_move_the_project_exactly_once(servers, live_world):
    world = live_world
    project = world.new_project()
    owner = world.owner_of(project)

    outcomes = _race(servers, [_fire(project["id"], "accept", owner.token) for _ in range(THREADS)])

    won = [o for o in outcomes if o.status == 201]
    lost = [o for o in outcomes if o.status != 201]
    assert len(won) == 1, _summary(outcomes)
    assert won[0].body["project"]["state"] == "site_survey"
    assert all(o.status == 409 for o in lost), _summary(outcomes)
    assert {o.type for o in lost} <= {"/problems/concurrent-modification", "/problems/transition-not-allowed"}
    _assert_one_move(world, project["id"], "accept", project["version"])


def test_twenty_owners_with_if_match_at_once_one_wins_the_rest_are_told_their_version_is_stale(servers,
                                                                                             live_world):
    world = live_world
    project = world.new_project()
    owner = world.owner_of(project)
    read = world.client.get(f"/v1/projects/{project['id']}", headers=owner.headers)
    etag = read.headers["ETag"]
    assert etag == f'"{project["version"]}"'

    outcomes = _race(servers, [_fire(project["id"], "accept", owner.token, if_match=etag)
                               for _ in range(THREADS)])

    won = [o for o in outcomes if o.status == 201]
    lost = [o for o in outcomes if o.status != 201]
    assert len(won) == 1, _summary(outcomes)
    assert all(o.status in (409, 412) for o in lost), _summary(outcomes)
    for o in lost:
        if o.status == 412:
            assert o.type == "/problems/version-mismatch"
            assert o.body["current_version"] == project["version"] + 1
        else:
            assert o.type == "/problems/concurrent-modification", o.body
    _assert_one_move(world, project["id"], "accept", project["version"])


def test_different_transitions_fired_at_once_leave_exactly_one_of_them_in_the_history(servers, live_world):
    world = live_world
    project = world.new_project()
    owner = world.owner_of(project)
    moves = [("accept", {}), ("reject", {"reason": "site outside the supply area"}),
             ("request_documents", {"missing_documents": ["load list"]})]

    outcomes = _race(servers, [_fire(project["id"], moves[i % 3][0], owner.token, input=moves[i % 3][1])
                               for i in range(THREADS)])

    won = [o for o in outcomes if o.status == 201]
    assert len(won) == 1, _summary(outcomes)
    assert all(o.status == 409 for o in outcomes if o.status != 201), _summary(outcomes)
    winner = won[0].body["transition"]["name"]
    history = world.ok(world.client.get(f"/v1/projects/{project['id']}/transitions", headers=world.admin.headers))
    assert [t["name"] for t in history] == [winner]
    stages = world.ok(world.client.get(f"/v1/projects/{project['id']}/stages", headers=world.admin.headers))
    open_stages = [s for s in stages if s["left_at"] is None]
    assert len(open_stages) == (0 if winner == "reject" else 1), stages


def test_races_on_many_projects_at_once_each_move_their_own_project_once(servers, live_world):
    # Contention across rows as well as on one row: five projects, four racers each.
    world = live_world
    projects = [world.new_project() for _ in range(5)]
    owner = world.owner_of(projects[0])
    assert all(world.owner_of(p) == owner for p in projects)

    outcomes = _race(servers, [_fire(projects[i % 5]["id"], "accept", owner.token) for i in range(THREADS)])

    per_project: dict[str, list[int]] = {p["id"]: [] for p in projects}
    for i, o in enumerate(outcomes):
        per_project[projects[i % 5]["id"]].append(o.status)
    for project in projects:
        statuses = per_project[project["id"]]
        assert sorted(statuses) == [201, 409, 409, 409], (project["id"], statuses)
        _assert_one_move(world, project["id"], "accept", project["version"])
