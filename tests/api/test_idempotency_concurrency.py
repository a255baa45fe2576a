"""Twenty parallel requests with one Idempotency-Key make one project; other principals' keys are their own.

Real HTTP against real server processes: two `bizext serve --workers 2` servers (four worker processes in
all) on the suite's database, the embedded SQLite file or PostgreSQL, and requests released together by a
barrier (the approach and helpers of test_concurrency.py). On PostgreSQL a request that finds the key taken
by one still running is told 409 `idempotency-key-in-progress`; SQLite serialises writers, so there every
request waits its turn and the later ones replay the first answer.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import is_postgres
from tests.servers import REQUEST_SECONDS, Process, live_world, servers  # noqa: F401 - fixtures
from tests.world import Person, World

THREADS = 20
IN_PROGRESS = "/problems/idempotency-key-in-progress"
BODY = {"title": "Cold store", "site_address": "1 Harbour Road", "voltage_kv": 10, "capacity_kva": 630,
        "supply": "single", "important": False, "region": "pudong"}


@dataclass(frozen=True)
class Answer:
    who: str
    status: int
    content: bytes
    headers: httpx.Headers

    @property
    def replayed(self) -> bool:
        return self.headers.get("idempotent-replayed") == "true"

    @property
    def type(self) -> str | None:
        return self.json().get("type") if self.status != 201 else None

    def json(self) -> Any:
        return json.loads(self.content)


def _post(client: httpx.Client, who: Person, key: str, body: dict[str, Any]) -> Answer:
    response = client.post("/v1/projects", json=body, headers={**who.headers, "Idempotency-Key": key})
    return Answer(who.id, response.status_code, response.content, response.headers)


def _race(servers: list[Process], senders: list[Person], key: str, body: dict[str, Any]) -> list[Answer]:
    """POST the same body with the same key as each sender, from its own thread and connection, spread over
    the servers, all released at once."""
    barrier = threading.Barrier(len(senders), timeout=REQUEST_SECONDS)
    answers: list[Answer | BaseException | None] = [None] * len(senders)

    def run(i: int) -> None:
        try:
            with httpx.Client(base_url=servers[i % len(servers)].base_url, timeout=REQUEST_SECONDS) as client:
                client.get("/healthz").raise_for_status()  # open the connection before the start line
                barrier.wait()
                answers[i] = _post(client, senders[i], key, body)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            barrier.abort()
            answers[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(senders))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 2 * REQUEST_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "requests still running after the deadline"
    failures = [a for a in answers if not isinstance(a, Answer)]
    assert not failures, failures
    return answers  # type: ignore[return-value]


def _summary(answers: list[Answer]) -> list[tuple[int, bool, str | None]]:
    return sorted((a.status, a.replayed, a.type) for a in answers)


def _assert_one_answer(answers: list[Answer], postgres: bool) -> Answer:
    """Each answer is the first one, its replay, or 'in progress'; returns the first one."""
    created = [a for a in answers if a.status == 201]
    others = [a for a in answers if a.status != 201]
    assert all(a.status == 409 and a.type == IN_PROGRESS for a in others), _summary(answers)
    originals = [a for a in created if not a.replayed]
    assert len(originals) == 1, _summary(answers)
    first = originals[0]
    assert {a.content for a in created} == {first.content}, "replays differ from the first answer"
    assert {(a.headers["location"], a.headers["etag"]) for a in created} == {
        (first.headers["location"], first.headers["etag"])}
    if not postgres:  # SQLite queues writers: nobody finds the key in progress, everybody gets the answer
        assert not others, _summary(answers)
    return first


def _projects(world: World) -> list[dict[str, Any]]:
    return world.ok(world.client.get("/v1/projects?limit=200", headers=world.admin.headers))["items"]


def test_twenty_parallel_requests_with_one_key_make_one_project(servers, live_world, database_url):
    world = live_world
    crm = world.integration
    body = {**BODY, "customer_id": world.customers[0].id}

    answers = _race(servers, [crm] * THREADS, "crm-req-parallel-1", body)

    first = _assert_one_answer(answers, is_postgres(database_url))
    project = first.json()
    assert [p["id"] for p in _projects(world)] == [project["id"]]
    created = world.ok(world.client.get("/v1/events?type=project.created", headers=world.admin.headers))["items"]
    assert [e["project_id"] for e in created] == [project["id"]]
    # Once everything has finished, a retry is simply the replay.
    with httpx.Client(base_url=servers[1].base_url, timeout=REQUEST_SECONDS) as client:
        retry = _post(client, crm, "crm-req-parallel-1", body)
    assert retry.status == 201 and retry.replayed and retry.content == first.content, (retry.status, retry.content)
    assert len(_projects(world)) == 1
    print(f"\none key, {THREADS} at once: {_summary(answers)}")


def test_the_same_key_sent_at_once_by_three_principals_makes_one_project_each(servers, live_world, database_url):
    world = live_world
    principals = [world.integration, world.admin, world.person("customer_manager")]
    body = {**BODY, "customer_id": world.customers[1].id}
    senders = [principals[i % len(principals)] for i in range(THREADS)]

    answers = _race(servers, senders, "shared-key-parallel", body)

    firsts = {}
    for who in principals:
        mine = [a for a in answers if a.who == who.id]
        firsts[who.id] = _assert_one_answer(mine, is_postgres(database_url))
    ids = {who: first.json()["id"] for who, first in firsts.items()}
    assert len(set(ids.values())) == len(principals), ids
    assert sorted(p["id"] for p in _projects(world)) == sorted(ids.values())
    # Each principal's retry replays its own answer, not another's.
    with httpx.Client(base_url=servers[0].base_url, timeout=REQUEST_SECONDS) as client:
        for who in principals:
            retry = _post(client, who, "shared-key-parallel", body)
            assert retry.status == 201 and retry.replayed and retry.content == firsts[who.id].content
    assert len(_projects(world)) == len(principals)
    print(f"\none key, three principals, {THREADS} at once: {_summary(answers)}")
