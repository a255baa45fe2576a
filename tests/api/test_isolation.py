"""A customer never sees, lists or learns the existence of another customer's project."""

from __future__ import annotations

import pytest


@pytest.fixture
def theirs(world):
    """A project of customer 1, moved once so it has history."""
    project = world.new_project(customer=1)
    world.fire(project["id"], "accept", world.person("customer_manager"))
    return project


@pytest.mark.parametrize("path", ["", "/actions", "/transitions", "/stages", "/assignments"])
def test_another_customers_project_is_404_on_every_read(world, client, theirs, path):
    r = client.get(f"/v1/projects/{theirs['id']}{path}", headers=world.customers[0].headers)
    assert r.status_code == 404 and r.json()["type"] == "/problems/not-found"
    assert client.get(f"/v1/projects/{theirs['id']}{path}", headers=world.customers[1].headers).status_code == 200


def test_another_customers_project_is_404_on_every_write(world, client, theirs):
    me = world.customers[0].headers
    assert client.post(f"/v1/projects/{theirs['id']}/transitions", json={"name": "withdraw",
                       "input": {"reason": "x"}}, headers=me).status_code == 404
    assert client.put(f"/v1/projects/{theirs['id']}/owner", json={"staff_id": theirs["owner"]["id"],
                      "reason": "x"}, headers=me).status_code == 404


def test_a_customers_list_holds_only_its_own_projects_whatever_it_filters(world, client, theirs):
    mine = world.new_project(customer=0, as_=world.customers[0])
    me = world.customers[0].headers
    listed = world.ok(client.get("/v1/projects", headers=me))["items"]
    assert [p["id"] for p in listed] == [mine["id"]]
    asked = world.ok(client.get(f"/v1/projects?customer_id={world.customers[1].id}", headers=me))["items"]
    assert asked == []


def test_a_customer_cannot_read_another_customer_record(world, client):
    assert client.get(f"/v1/customers/{world.customers[1].id}", headers=world.customers[0].headers).status_code == 404
    assert client.get(f"/v1/customers/{world.customers[0].id}", headers=world.customers[0].headers).status_code == 200


def test_a_customer_applies_only_for_itself(world, client):
    body = {"title": "t", "site_address": "a", "voltage_kv": 10, "capacity_kva": 100, "supply": "single",
            "important": False, "region": "pudong"}
    own = client.post("/v1/projects", json=body, headers=world.customers[0].headers)
    assert own.status_code == 201 and own.json()["customer_id"] == world.customers[0].id
    other = client.post("/v1/projects", json={**body, "customer_id": world.customers[1].id},
                        headers=world.customers[0].headers)
    assert other.status_code == 422 and other.json()["errors"][0]["pointer"] == "/customer_id"


def test_integration_client_reads_every_project_and_its_history(world, client, theirs):
    crm = world.integration.headers
    assert client.get(f"/v1/projects/{theirs['id']}/transitions", headers=crm).status_code == 200
    created = world.new_project(customer=0, as_=world.integration)
    assert created["customer_id"] == world.customers[0].id
