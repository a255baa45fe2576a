"""Every refusal is RFC 9457 problem+json with a stable type; invalid input points at the field."""

from __future__ import annotations

import uuid

import pytest


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"/problems/{slug}" and body["status"] == status and body["title"]
    return body


def test_transition_from_the_wrong_state_is_409_and_lists_the_possible_ones(world, client):
    project = world.new_project()
    r = client.post(f"/v1/projects/{project['id']}/transitions", json={"name": "pass_completion"},
                    headers=world.person("customer_manager").headers)
    body = problem(r, 409, "transition-not-allowed")
    assert body["state"] == "application_review"
    assert set(body["allowed"]) == {"accept", "request_documents", "reject", "withdraw"}


def test_unknown_transition_name_is_409_transition_not_allowed(world, client):
    project = world.new_project()
    r = client.post(f"/v1/projects/{project['id']}/transitions", json={"name": "teleport"},
                    headers=world.person("customer_manager").headers)
    problem(r, 409, "transition-not-allowed")


def test_a_guard_that_does_not_hold_is_409_transition_blocked_and_says_which(world, client):
    project = world.new_project(supply="dual")  # joint review needed: reply_scheme is blocked
    cm = world.person("customer_manager")
    world.fire(project["id"], "accept", cm)
    world.fire(project["id"], "complete_survey", cm, {"surveyed_on": "2026-11-30", "findings": "ok"})
    r = client.post(f"/v1/projects/{project['id']}/transitions",
                    json={"name": "reply_scheme", "input": {"reply_document_no": "R-1", "scheme": {
                        "sources": [{"voltage_kv": 10, "capacity_kva": 800, "substation": "A", "feeder": "B"}],
                        "metering": {"method": "high_supply_low_metering"}}}}, headers=cm.headers)
    body = problem(r, 409, "transition-blocked")
    assert body["guards"] == ["joint_review_needed"]
    assert "joint scheme review is needed" in body["reasons"][0]


def test_someone_other_than_the_owner_is_403_not_responsible_naming_the_owner(world, client):
    project = world.new_project()
    r = client.post(f"/v1/projects/{project['id']}/transitions", json={"name": "accept"},
                    headers=world.person("planner").headers)
    body = problem(r, 403, "not-responsible")
    assert body["owner"]["id"] == world.person("customer_manager").id
    assert body["owner"]["name"] == world.person("customer_manager").name


def test_a_customer_cannot_accept_its_own_application(world, client):
    project = world.new_project(important=True)
    r = client.post(f"/v1/projects/{project['id']}/transitions", json={"name": "accept"},
                    headers=world.customers[0].headers)
    problem(r, 403, "not-responsible")


def test_stale_if_match_is_412_and_nothing_is_written(world, client):
    project = world.new_project()
    cm = world.person("customer_manager")
    r = client.post(f"/v1/projects/{project['id']}/transitions", json={"name": "accept"},
                    headers={**cm.headers, "If-Match": '"7"'})
    body = problem(r, 412, "version-mismatch")
    assert body["current_version"] == 1
    assert world.ok(client.get(f"/v1/projects/{project['id']}", headers=cm.headers))["state"] == "application_review"
    ok = client.post(f"/v1/projects/{project['id']}/transitions", json={"name": "accept"},
                     headers={**cm.headers, "If-Match": '"1"'})
    assert ok.status_code == 201 and ok.headers["etag"] == '"2"'


@pytest.mark.parametrize(("payload", "pointer"), [
    ({"name": "request_documents", "input": {}}, "/input"),
    ({"name": "request_documents", "input": {"missing_documents": []}}, "/input/missing_documents"),
    ({"name": "request_documents", "input": {"missing_documents": ["x"], "colour": "red"}}, "/input"),
    ({"name": "accept", "occurred_at": "2027-01-01T00:00:00Z"}, "/occurred_at"),
    ({"name": "accept", "occurred_at": "2020-01-01T00:00:00Z"}, "/occurred_at"),
    ({"name": "accept", "occurred_at": "2026-11-30T10:00:00"}, "/occurred_at"),
    ({"name": "accept", "input": {"assign_to": str(uuid.UUID(int=7))}}, "/input/assign_to"),
    ({"name": "accept", "surprise": 1}, "/surprise"),
    ({"input": {}}, "/name"),
])
def test_invalid_transition_input_is_422_with_a_pointer_to_the_field(world, client, payload, pointer):
    project = world.new_project(received_at="2026-11-01T00:00:00Z")
    r = client.post(f"/v1/projects/{project['id']}/transitions", json=payload,
                    headers=world.person("customer_manager").headers)
    body = problem(r, 422, "owner-not-eligible" if "assign_to" in str(payload) else "invalid-input")
    assert pointer in [e.get("pointer") for e in body["errors"]], body


def test_assigning_a_stage_to_someone_without_the_role_is_refused(world, client):
    project = world.new_project()
    r = client.post(f"/v1/projects/{project['id']}/transitions",
                    json={"name": "accept", "input": {"assign_to": world.person("planner").id}},
                    headers=world.person("customer_manager").headers)
    body = problem(r, 422, "owner-not-eligible")
    assert "does not hold the role customer_manager" in body["errors"][0]["message"]


def test_project_body_errors_point_at_each_field(world, client):
    r = client.post("/v1/projects", json={"title": "", "voltage_kv": -1, "supply": "triple"},
                    headers=world.admin.headers)
    body = problem(r, 422, "invalid-input")
    pointers = {e["pointer"] for e in body["errors"]}
    assert {"/title", "/voltage_kv", "/supply", "/site_address", "/region"} <= pointers


def test_received_at_in_the_future_is_refused(world, client):
    r = client.post("/v1/projects", json={"title": "t", "site_address": "a", "voltage_kv": 10, "capacity_kva": 1,
                                          "supply": "single", "important": False, "region": "pudong",
                                          "customer_id": world.customers[0].id,
                                          "received_at": "2030-01-01T00:00:00Z"}, headers=world.admin.headers)
    assert problem(r, 422, "invalid-input")["errors"][0]["pointer"] == "/received_at"


def test_malformed_json_is_a_422_problem_not_a_500(world, client):
    r = client.post("/v1/projects", content=b"{not json", headers={**world.admin.headers,
                                                                    "content-type": "application/json"})
    problem(r, 422, "invalid-input")


def test_missing_or_revoked_token_is_401_problem(world, client):
    problem(client.get("/v1/projects"), 401, "not-authenticated")
    problem(client.get("/v1/projects", headers={"Authorization": "Bearer nope"}), 401, "not-authenticated")
    token = world.ok(client.post("/v1/tokens", json={"customer_id": world.customers[1].id},
                                 headers=world.admin.headers), 201)
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert client.get("/v1/projects", headers=headers).status_code == 200
    assert client.delete(f"/v1/tokens/{token['id']}", headers=world.admin.headers).status_code == 204
    problem(client.get("/v1/projects", headers=headers), 401, "not-authenticated")


def test_roles_gate_administration_with_403(world, client):
    problem(client.post("/v1/staff", json={"name": "x", "region": "pudong", "roles": ["planner"]},
                        headers=world.person("supervisor").headers), 403, "forbidden")
    problem(client.post("/v1/tokens", json={"customer_id": world.customers[0].id},
                        headers=world.integration.headers), 403, "forbidden")
    problem(client.get("/v1/projects", headers=world.checker.headers), 403, "forbidden")


def test_unknown_route_and_wrong_method_are_problems(world, client):
    problem(client.get("/v1/nothing-here"), 404, "not-found")
    problem(client.delete("/v1/workflows"), 405, "method-not-allowed")


def test_unknown_project_is_404(world, client):
    problem(client.get(f"/v1/projects/{uuid.uuid4()}", headers=world.admin.headers), 404, "not-found")
    problem(client.post(f"/v1/projects/{uuid.uuid4()}/transitions", json={"name": "accept"},
                        headers=world.admin.headers), 404, "not-found")


def test_duplicate_external_ref_is_409_naming_the_existing_project(world, client):
    first = world.new_project(external_ref="CRM-1")
    body = {"title": "again", "site_address": "a", "voltage_kv": 10, "capacity_kva": 1, "supply": "single",
            "important": False, "region": "pudong", "customer_id": world.customers[0].id, "external_ref": "CRM-1"}
    r = client.post("/v1/projects", json=body, headers=world.admin.headers)
    assert problem(r, 409, "duplicate-external-ref")["existing_project_id"] == first["id"]
    # the same reference for another customer is another project
    assert client.post("/v1/projects", json={**body, "customer_id": world.customers[1].id},
                       headers=world.admin.headers).status_code == 201


def test_bad_cursor_and_limit_are_422(world, client):
    problem(client.get("/v1/projects?cursor=garbage", headers=world.admin.headers), 422, "invalid-input")
    body = problem(client.get("/v1/projects?limit=201", headers=world.admin.headers), 422, "invalid-input")
    assert body["errors"][0]["parameter"] == "limit"


def test_a_body_over_one_mebibyte_is_413_problem(world, client):
    big = b'{"title": "' + b"x" * (1024 * 1024) + b'"}'
    r = client.post("/v1/projects", content=big, headers={**world.admin.headers, "content-type": "application/json"})
    body = problem(r, 413, "payload-too-large")
    assert "1048576" in body["detail"]

    def chunks():
        yield b'{"title": "'
        for _ in range(40):
            yield b"y" * 32768
        yield b'"}'

    streamed = client.post("/v1/projects", content=chunks(), headers={**world.admin.headers,
                                                                      "content-type": "application/json"})
    problem(streamed, 413, "payload-too-large")


def test_an_ordinary_body_is_not_affected_by_the_limit(world):
    assert world.new_project(title="t" * 300)["title"] == "t" * 300
