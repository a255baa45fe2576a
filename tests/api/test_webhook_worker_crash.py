"""Killing the worker in the middle of deliveries loses no event: after a restart, every event arrives at
least once, signed, and each project's events still arrive in order.

A real `python -m bizext worker` process delivers to a slow local receiver (127.0.0.1) on the suite's
database (the SQLite file or PostgreSQL). The receiver holds one request open part-way through, and the
worker's whole process group is killed with SIGKILL while that request is in flight: the worker dies with
deliveries leased (the in-flight one included) and nothing recorded for them. A second worker, started
after the leases have expired, must deliver everything that is left.

Delivery is at least once: the in-flight event reached the receiver before the crash and is sent again
after it. The duplicates are counted and reported (`pytest -s` shows them), not forbidden.

The worker runs on the real clock (its signatures carry the real time, which `standardwebhooks` checks
against the real clock), while the API under test runs on the suite's FakeClock; only the events'
recorded times come from the FakeClock, which changes nothing here.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from standardwebhooks.webhooks import Webhook as Verifier

from bizext.db.models import WebhookDelivery
from bizext.db.session import Database
from bizext.services import webhooks
from tests.servers import Fleet
from tests.world import World

PROJECTS = 10
LATE_PROJECTS = 1  # created while no worker runs, between the crash and the restart
RESPONSE_SECONDS = 0.2  # the receiver's think time per request: deliveries take a while, so a kill lands mid-way
HOLD_AT = 25  # the receiver holds this request (1-based) open until the worker has been killed: mid-round,
#              so the dead worker also leaves claims it had not yet attempted (a round claims one per project)
SIGNED_WITHIN = 2.0  # seconds between a request's webhook-timestamp (whole seconds) and its arrival
TYPES = ["project.created", "owner.assigned", "clock.started", "clock.stopped", "transition.fired"]
START_SECONDS = 60  # for the first worker to deliver HOLD_AT requests
DRAIN_SECONDS = 60  # for the restarted worker to deliver the rest


@dataclass
class Arrival:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    arrived: float  # time.time()

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.body)["data"]


@dataclass
class SlowReceiver:
    """A threaded endpoint on 127.0.0.1 that records every request on arrival, answers 200 after a pause,
    and holds request number `hold_at` open until `release` is set (so a test can kill its sender then)."""

    hold_at: int
    arrivals: list[Arrival] = field(default_factory=list)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["content-length"]))
                arrived = time.time()
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    receiver.arrivals.append(Arrival(headers.get("webhook-id", ""), headers, body, arrived))
                    number = len(receiver.arrivals)
                if number == receiver.hold_at:
                    receiver.held.set()
                    receiver.release.wait(timeout=START_SECONDS)
                time.sleep(RESPONSE_SECONDS)
                try:
                    self.send_response(200)
                    self.end_headers()
                except OSError:  # the sender was killed while we were thinking
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/bizext"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self) -> list[Arrival]:
        with self.lock:
            return list(self.arrivals)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[SlowReceiver]:
    r = SlowReceiver(hold_at=HOLD_AT)
    yield r
    r.close()


#: `bizext worker` delivering every 0.2 s to private addresses (the receiver is on 127.0.0.1), never sweeping.
WORKER_ENV = {"BIZEXT_WEBHOOK_ALLOW_PRIVATE": "true", "BIZEXT_DELIVERY_INTERVAL": "0.2",
              "BIZEXT_SWEEP_INTERVAL": "3600"}


@pytest.fixture
def workers(db: Database, database_url: str, tmp_path: Path) -> Iterator[Fleet]:
    """`bizext worker` processes on the suite's database, each in its own process group; all stopped at the end."""
    fleet = Fleet(database_url, tmp_path, env=WORKER_ENV)
    try:
        yield fleet
    finally:
        fleet.stop_all()


def _wait(condition, seconds: float, what: str, workers: Fleet) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"{what} not within {seconds:.0f} s\n{workers.output()}")


def _make_projects(world: World, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        project = world.new_project()
        world.fire(project["id"], "accept", world.owner_of(project))  # several events per project
        ids.append(project["id"])
    return ids


def _events(world: World) -> list[dict[str, Any]]:
    """Every event of the webhook's types, from the feed."""
    query = "".join(f"&type={t}" for t in TYPES)
    items, after = [], 0
    while True:
        page = world.ok(world.client.get(f"/v1/events?after={after}&limit=200{query}", headers=world.admin.headers))
        if not page["items"]:
            return items
        items += page["items"]
        after = page["next_after"]


def _deliveries(world: World, hook_id: str) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        url = f"/v1/webhooks/{hook_id}/deliveries?limit=200" + (f"&cursor={cursor}" if cursor else "")
        page = world.ok(world.client.get(url, headers=world.integration.headers))
        items += page["items"]
        if not (cursor := page["next_cursor"]):
            return items


def _same_event(delivered: dict[str, Any], fed: dict[str, Any]) -> bool:
    def instants(e: dict[str, Any]) -> dict[str, Any]:
        return {**e, **{k: datetime.fromisoformat(e[k].replace("Z", "+00:00")) for k in ("occurred_at", "recorded_at")}}

    return instants(delivered) == instants(fed)


def _pending(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(WebhookDelivery)
                           .where(WebhookDelivery.status == "pending")) or 0


def test_killing_the_worker_mid_delivery_loses_no_event(world, db, receiver, workers):
    started = time.monotonic()
    hook = world.ok(world.client.post("/v1/webhooks", json={
        "url": receiver.url, "event_types": TYPES, "description": "crash test"},
        headers=world.integration.headers), 201)
    projects = _make_projects(world, PROJECTS)
    before_crash = _events(world)
    assert len(before_crash) >= 6 * PROJECTS  # enough to be mid-way when the worker dies

    # 1. A worker delivers until the receiver is holding request HOLD_AT open; then SIGKILL, mid-request.
    first = workers.worker()
    _wait(lambda: receiver.held.is_set() or first.poll() is not None, START_SECONDS,
          f"the worker delivering {HOLD_AT} requests", workers)
    assert first.poll() is None, f"the worker exited on its own\n{workers.output()}"
    first.kill()
    in_flight = receiver.snapshot()[HOLD_AT - 1]
    receiver.release.set()
    at_crash = len(receiver.snapshot())
    assert at_crash < len(before_crash), "everything was delivered before the kill; nothing was tested"

    # The dead worker left its claims leased: the in-flight delivery, and the rest of its round, are pending
    # and leased, so no other worker may take them until the lease (webhooks.LEASE, 60 s) runs out.
    now = datetime.now(UTC)
    with db.uow() as uow:
        leased = list(uow.session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.status == "pending", WebhookDelivery.leased_until.is_not(None))))
    assert len(leased) > 1 and all(d.leased_until > now for d in leased), [d.leased_until for d in leased]
    assert all(d.leased_until <= now + webhooks.LEASE for d in leased)
    assert in_flight.webhook_id in {str(d.event_id) for d in leased}

    # Events recorded while no worker runs wait in the log for the next one.
    projects += _make_projects(world, LATE_PROJECTS)

    # 2. Let the leases run out. Waiting LEASE (60 s) would be honest but slow; moving the leases' end into
    #    the past is exactly what the passing of that time does to them (the worker compares leased_until
    #    with its clock), and it touches nothing else: status, attempts and order stay as the crash left them.
    with db.engine.begin() as conn:
        expired = conn.execute(update(WebhookDelivery).where(WebhookDelivery.leased_until.is_not(None))
                               .values(leased_until=now - timedelta(seconds=1))).rowcount
    assert expired == len(leased)

    # 3. A new worker delivers everything that is left.
    workers.worker()
    expected = _events(world)
    expected_ids = {e["id"] for e in expected}
    _wait(lambda: expected_ids <= {a.webhook_id for a in receiver.snapshot()} and _pending(db) == 0,
          DRAIN_SECONDS, "every event delivered after the restart", workers)
    workers.stop_all()
    arrivals = receiver.snapshot()

    # Every event of the webhook's types arrived at least once, under its own id, signed so that the
    # standardwebhooks package verifies it unchanged.
    assert {a.webhook_id for a in arrivals} == expected_ids
    for arrival in arrivals:
        verified = Verifier(hook["secret"]).verify(arrival.body, arrival.headers)
        assert verified["data"]["id"] == arrival.webhook_id and verified["type"] in TYPES
    # Signed when sent, not when the worker's delivery pass began: receivers reject timestamps outside a
    # tolerance (standardwebhooks: 5 min), so working through a backlog must not age the later requests.
    stale = [round(a.arrived - int(a.headers["webhook-timestamp"]), 1) for a in arrivals
             if not 0 <= a.arrived - int(a.headers["webhook-timestamp"]) <= SIGNED_WITHIN]
    assert not stale, f"{len(stale)} of {len(arrivals)} requests signed this many seconds before sending: {stale}"
    by_id = {e["id"]: e for e in expected}
    # The body carries the event as the feed serves it (times as the same instants: the feed writes UTC as
    # "Z", the webhook body as "+00:00").
    assert all(_same_event(a.data, by_id[a.webhook_id]) for a in arrivals)

    # The request the worker died in the middle of was sent again after the restart.
    assert [a for a in arrivals[at_crash:] if a.webhook_id == in_flight.webhook_id]

    # Per project, the first arrival of each event is in sequence order: the order survived the crash.
    first_seen: dict[str, list[int]] = {p: [] for p in projects}
    seen: set[str] = set()
    for arrival in arrivals:
        if arrival.webhook_id not in seen:
            seen.add(arrival.webhook_id)
            first_seen[arrival.data["project_id"]].append(arrival.data["sequence"])
    for project_id, sequences in first_seen.items():
        assert sequences == sorted(sequences) and sequences, (project_id, sequences)
        assert sequences == sorted(e["sequence"] for e in expected if e["project_id"] == project_id)

    # The delivery log: one delivery per event, all delivered. The attempt the worker died in was never
    # recorded (it had no answer to record), so the receiver saw exactly one request more than the log shows.
    log = _deliveries(world, hook["id"])
    assert sorted(d["event_id"] for d in log) == sorted(expected_ids)
    assert {d["status"] for d in log} == {"delivered"}
    assert all(d["attempts"] == len(d["attempt_log"]) >= 1 for d in log)
    assert all(a["status_code"] == 200 for d in log for a in d["attempt_log"])
    assert len(arrivals) == sum(d["attempts"] for d in log) + 1

    duplicates = len(arrivals) - len(expected_ids)
    print(f"\nworker crash: {len(expected_ids)} events, {at_crash} requests before the kill, "
          f"{len(leased)} leases expired, {len(arrivals)} requests in all, {duplicates} duplicate(s), "
          f"{time.monotonic() - started:.1f} s")
    assert duplicates >= 1  # at least the in-flight one: at least once, not exactly once
