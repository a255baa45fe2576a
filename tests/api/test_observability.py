"""Operability: request ids on responses and problems, Prometheus metrics."""

from __future__ import annotations

import json
import logging
from datetime import timedelta


def test_every_response_carries_a_request_id_and_problems_repeat_it(world, client):
    ok = client.get("/v1/workflows")
    assert len(ok.headers["x-request-id"]) >= 16
    mine = client.get("/v1/projects/not-a-uuid", headers={**world.admin.headers, "X-Request-ID": "crm-77.a"})
    assert mine.headers["x-request-id"] == "crm-77.a" and mine.json()["request_id"] == "crm-77.a"
    forged = client.get("/v1/workflows", headers={"X-Request-ID": "bad id with spaces\n"})
    assert forged.headers["x-request-id"] != "bad id with spaces\n"


def test_metrics_count_transitions_requests_sweeps_and_read_backlogs_from_the_database(world, client, clock):
    project = world.new_project(received_at=(clock.now - timedelta(days=6)).isoformat())
    world.fire(world.new_project()["id"], "accept", world.person("customer_manager"))
    client.post("/v1/escalation-checks", headers=world.checker.headers)
    text = client.get("/metrics").text
    assert 'bizext_transitions_fired_total{name="accept",workflow="hv-standard"}' in text
    assert 'route="/v1/projects/{project_id}/transitions"' in text
    assert "bizext_escalation_sweep_seconds_count" in text
    assert 'bizext_escalations_raised_total{level="1"}' in text
    open_line = next(line for line in text.splitlines() if line.startswith("bizext_open_escalations "))
    assert float(open_line.split()[1]) >= 2  # the backdated project's level 1 and level 2
    assert project["id"]


def test_json_logs_carry_the_request_id(capsys):
    from bizext.api.observability import configure_json_logging, request_id

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_json_logging()
        token = request_id.set("req-123")
        logging.getLogger("bizext.test").info("fired %s", "accept")
        request_id.reset(token)
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert line["message"] == "fired accept" and line["request_id"] == "req-123" and line["level"] == "INFO"
    finally:
        root.handlers[:], root.level = saved
