"""Schemathesis against the app's own OpenAPI: generated requests (valid and invalid) never get a 5xx, and
every answer is documented (status code, content type) and matches its documented schema.

The caller is the admin. A small world is in the database (staff, customers, a project moved a few stages
with a hold on it, a backdated project whose missed deadline raised escalations), and generated path
parameters are often swapped for the ids of those rows, so operations by id hit real rows as well as
missing ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bizext.api.app import create_app
from bizext.config import Settings
from bizext.db.session import Database
from tests.conftest import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

#: Ids of the current test's real rows, by path parameter name; read when a case is drawn.
KNOWN: dict[str, list[str]] = {}

# The schema comes from an app on an empty in-memory database: only its OpenAPI document is read. Cases are
# sent to the test's own app (`app=`) on the suite's database. (Loading from a fixture with
# `schemathesis.pytest.from_fixture` fails on pytest 9: it writes the removed `Node._nodeid`.)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(database_url="sqlite://"), database=Database("sqlite://")))
READS = [result.ok() for result in schema.get_all_operations() if result.ok().method.upper() == "GET"]


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Keep the generated value, or take the id of a real row of the same kind."""
    return st.fixed_dictionaries({name: st.sampled_from([value, *KNOWN.get(name, [])])
                                  for name, value in (path_parameters or {}).items()})


def _populate(world: Any, client: Any, clock: Any) -> dict[str, list[str]]:
    """Rows of every kind that has a read by id, and their ids."""
    admin = world.admin.headers
    moved = world.new_project()
    moved = world.fire(moved["id"], "accept", world.owner_of(moved))["project"]
    moved = world.fire(moved["id"], "complete_survey", world.owner_of(moved),
                       {"surveyed_on": "2026-12-01", "findings": "Cable route along the east road."})["project"]
    hold = world.ok(client.post(f"/v1/projects/{moved['id']}/holds",
                                json={"reason": "waiting for the landlord's consent", "party": "external"},
                                headers=admin), 201)
    late = world.new_project(customer=1, received_at=(clock.now - timedelta(days=6)).isoformat())
    sweep = world.ok(client.post("/v1/escalation-checks", headers=admin))
    assert sweep["raised"], "the backdated project's missed acceptance deadline escalates"
    spare = world.ok(client.post("/v1/tokens", json={"client": {"name": "spare", "roles": ["integration"]}},
                                 headers=admin), 201)
    hook = world.ok(client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=admin), 201)
    return {
        "project_id": [moved["id"], late["id"]],
        "hold_id": [hold["id"]],
        "escalation_id": [e["id"] for e in sweep["raised"]][:2],
        "staff_id": [p.id for p in list(world.staff.values())[:3]],
        "customer_id": [c.id for c in world.customers],
        "token_id": [spare["id"]],
        "webhook_id": [hook["id"]],
        "key": ["hv-standard", "lv-simple"],
        "region": ["pudong"],
    }


@pytest.fixture
def live_app(app: Any, world: Any, client: Any, clock: Any) -> Iterator[Any]:
    """The test's app, with a populated database and KNOWN filled with its ids."""
    KNOWN.update(_populate(world, client, clock))
    yield app
    KNOWN.clear()


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_every_generated_request_as_documented(case: Any, live_app: Any) -> None:
    case.call_and_validate(app=live_app, headers=AUTH, checks=CHECKS)


@pytest.mark.parametrize("operation", READS, ids=[f"GET {op.path}" for op in READS])
def test_every_read_of_real_rows_answers_200_as_documented(operation: Any, live_app: Any) -> None:
    names = [p.name for p in operation.path_parameters]
    assert all(name in KNOWN for name in names), f"no real row known for {names}"
    for i in range(max([len(KNOWN[name]) for name in names], default=1)):
        path_parameters = {name: KNOWN[name][i % len(KNOWN[name])] for name in names}
        case = operation.Case(path_parameters=path_parameters)
        response = case.call_and_validate(app=live_app, headers=AUTH, checks=CHECKS)
        assert response.status_code == 200, (path_parameters, response.text)


def test_signing_in_with_a_real_account_and_out_again_answers_as_documented(live_app: Any, world: Any,
                                                                             client: Any) -> None:
    """Generated sign-ins never name a real account: this one does, so the 201, 200 and 204 answers of the
    sessions routes are checked against their documented schemas too."""
    person = world.person("customer_manager")
    body = {"login": "fuzz.pudong", "password": "correct horse battery"}
    world.ok(client.put(f"/v1/staff/{person.id}/password", json=body, headers=AUTH))
    signed_in = schema["/v1/sessions"]["POST"].Case(body=body, media_type="application/json")
    response = signed_in.call_and_validate(app=live_app, checks=CHECKS)
    assert response.status_code == 201, response.text
    session = {"Authorization": f"Bearer {response.json()['token']}"}
    for method, status in (("GET", 200), ("DELETE", 204)):
        case = schema["/v1/sessions/current"][method].Case()
        answer = case.call_and_validate(app=live_app, headers=session, checks=CHECKS)
        assert answer.status_code == status, answer.text
