"""Webhooks: signed per the Standard Webhooks spec (verified with the `standardwebhooks` package), delivered at
least once with retries, in order per project; a 410 disables the endpoint."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from bizext.services import webhooks


class Receiver:
    """A local endpoint on 127.0.0.1 that answers with the given statuses in turn (then 200)."""

    def __init__(self, statuses: list[int]):
        self.statuses, self.received = list(statuses), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/bizext"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    made = []

    def make(statuses=()):
        made.append(Receiver(list(statuses)))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def real_time(clock):
    """Receivers check webhook-timestamp against their own clock, so these tests run at the real time."""
    clock.now = datetime.now(UTC).replace(microsecond=0)
    return clock


def register(world, url, types=()):
    return world.ok(world.client.post("/v1/webhooks", json={"url": url, "event_types": list(types),
                                                             "description": "CRM connector"},
                                      headers=world.integration.headers), 201)


def run_worker(db, clock, rounds=1, step=timedelta(seconds=0)):
    for _ in range(rounds):
        webhooks.enqueue(db, clock.now)
        webhooks.deliver_due(db, clock.now, allow_private=True)
        clock.now += step


def test_an_event_arrives_signed_after_three_failures_and_the_log_shows_four_attempts(
        world, client, db, real_time, receiver_factory):
    receiver = receiver_factory([500, 503, 502])
    hook = register(world, receiver.url, ["project.created"])
    assert hook["secret"].startswith("whsec_")
    project = world.new_project()
    for _ in range(4):
        run_worker(db, real_time)
        real_time.now += timedelta(seconds=45)  # past the longest backoff of the first retries
    assert len(receiver.received) == 4
    headers, body = receiver.received[-1]
    verified = Verifier(hook["secret"]).verify(body, {k.lower(): v for k, v in headers.items()})
    assert verified["type"] == "project.created" and verified["data"]["project_id"] == project["id"]
    # every attempt carried the same webhook-id, so a receiver deduplicates retries
    assert len({h["webhook-id"] for h, _ in receiver.received}) == 1
    log = world.ok(client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=world.integration.headers))
    delivery = log["items"][0]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 4
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 503, 502, 200]
    assert all(a["latency_ms"] >= 0 for a in delivery["attempt_log"])


def test_a_410_answer_disables_the_endpoint_and_raises_an_event(world, client, db, real_time, receiver_factory):
    receiver = receiver_factory([410])
    hook = register(world, receiver.url)
    world.new_project()
    run_worker(db, real_time, rounds=3, step=timedelta(minutes=5))
    assert len(receiver.received) == 1
    state = world.ok(client.get(f"/v1/webhooks/{hook['id']}", headers=world.integration.headers))
    assert state["status"] == "disabled" and "410" in state["disabled_reason"]
    disabled = world.ok(client.get("/v1/events?type=webhook.disabled", headers=world.admin.headers))["items"]
    assert [e["data"]["webhook_id"] for e in disabled] == [hook["id"]]


def test_an_endpoint_failing_for_a_day_is_disabled(world, client, db, real_time, receiver_factory):
    receiver = receiver_factory([500] * 100)
    hook = register(world, receiver.url)
    world.new_project()
    start = real_time.now
    while real_time.now - start < timedelta(hours=27):  # the last retry before 24 h may wait up to 1.5 h
        run_worker(db, real_time)
        real_time.now += timedelta(hours=1)
    state = world.ok(client.get(f"/v1/webhooks/{hook['id']}", headers=world.integration.headers))
    assert state["status"] == "disabled" and "failing since" in state["disabled_reason"]


def test_a_projects_events_arrive_in_order_even_when_one_needs_retries(world, db, real_time, receiver_factory):
    receiver = receiver_factory([500])  # the first event fails once; the next must wait for it
    register(world, receiver.url)
    project = world.new_project()
    world.fire(project["id"], "accept", world.person("customer_manager"))
    for _ in range(5):
        run_worker(db, real_time)
        real_time.now += timedelta(seconds=20)
    delivered = [json.loads(body)["data"]["sequence"] for _, body in receiver.received]
    first_success = delivered[1:]  # after the failed first attempt, everything in sequence order
    assert delivered[0] == delivered[1] and first_success == sorted(first_success)
    assert len(set(delivered)) >= 6


def test_pause_resume_rotate_and_retry(world, client, db, real_time, receiver_factory):
    receiver = receiver_factory()
    hook = register(world, receiver.url, ["project.created"])
    url = f"/v1/webhooks/{hook['id']}"
    world.ok(client.patch(url, json={"status": "paused"}, headers=world.integration.headers))
    world.new_project()
    run_worker(db, real_time)
    assert receiver.received == []
    world.ok(client.patch(url, json={"status": "active"}, headers=world.integration.headers))
    rotated = world.ok(client.post(f"{url}/rotate-secret", headers=world.integration.headers))
    run_worker(db, real_time)
    headers, body = receiver.received[-1]
    lowered = {k.lower(): v for k, v in headers.items()}
    # both the old and the new secret verify during the overlap
    Verifier(hook["secret"]).verify(body, lowered)
    Verifier(rotated["secret"]).verify(body, lowered)
    delivery = world.ok(client.get(f"{url}/deliveries", headers=world.integration.headers))["items"][0]
    world.ok(client.post(f"{url}/deliveries/{delivery['id']}/retry", headers=world.integration.headers))
    run_worker(db, real_time)
    assert len(receiver.received) == 2 and receiver.received[0][0]["webhook-id"] == receiver.received[1][0]["webhook-id"]


def test_webhooks_belong_to_their_owner_and_refuse_bad_urls_and_types(world, client):
    r = client.post("/v1/webhooks", json={"url": "ftp://example.com/x"}, headers=world.integration.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/url"
    r = client.post("/v1/webhooks", json={"url": "https://example.com/x", "event_types": ["nope"]},
                    headers=world.integration.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/event_types"
    hook = register(world, "http://127.0.0.1:9/x")
    assert client.get(f"/v1/webhooks/{hook['id']}", headers=world.admin.headers).status_code == 200
    assert client.get("/v1/webhooks", headers=world.customers[0].headers).status_code == 403
    assert client.post("/v1/webhooks", json={"url": "https://example.com/x"},
                       headers=world.person("planner").headers).status_code == 403


def test_private_addresses_are_refused_unless_allowed():
    with pytest.raises(Exception) as refused:
        webhooks.check_url("http://127.0.0.1:8080/hook", allow_private=False)
    assert "loopback" in str(refused.value.errors[0].message)
    with pytest.raises(Exception):
        webhooks.check_url("http://169.254.169.254/latest/meta-data", allow_private=False)
    with pytest.raises(Exception):
        webhooks.check_url("http://10.1.2.3/hook", allow_private=False)
    webhooks.check_url("http://127.0.0.1:8080/hook", allow_private=True)
