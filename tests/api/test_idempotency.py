"""Idempotency-Key: retries never duplicate; the same key with another body is refused."""

from __future__ import annotations

from datetime import timedelta

BODY = {"title": "Cold store", "site_address": "1 Harbour Road", "voltage_kv": 10, "capacity_kva": 630,
        "supply": "single", "important": False, "region": "pudong"}


def post_project(world, who, key, **extra):
    body = {**BODY, "customer_id": world.customers[0].id, **extra}
    return world.client.post("/v1/projects", json=body, headers={**who.headers, "Idempotency-Key": key})


def count_projects(world):
    return len(world.ok(world.client.get("/v1/projects?limit=200", headers=world.admin.headers))["items"])


def test_ten_replays_of_one_create_make_one_project_and_ten_identical_answers(world):
    answers = [post_project(world, world.integration, "crm-req-0001") for _ in range(10)]
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert len({(a.headers["location"], a.headers["etag"]) for a in answers}) == 1
    assert "idempotent-replayed" not in answers[0].headers
    assert all(a.headers["idempotent-replayed"] == "true" for a in answers[1:])
    assert count_projects(world) == 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing(world):
    assert post_project(world, world.integration, "k-1").status_code == 201
    reused = post_project(world, world.integration, "k-1", title="Something else")
    assert reused.status_code == 422 and reused.json()["type"] == "/problems/idempotency-key-reused"
    assert count_projects(world) == 1


def test_another_principals_same_key_is_independent(world):
    assert post_project(world, world.integration, "shared-key").status_code == 201
    other = post_project(world, world.admin, "shared-key")
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers
    assert count_projects(world) == 2


def test_a_refused_request_stores_no_key_so_the_retry_runs_afresh(world):
    bad = post_project(world, world.integration, "k-2", voltage_kv=-1)
    assert bad.status_code == 422
    good = post_project(world, world.integration, "k-2")
    assert good.status_code == 201 and "idempotent-replayed" not in good.headers


def test_a_key_expires_after_its_ttl(world, clock):
    assert post_project(world, world.integration, "k-3", external_ref="A-1").status_code == 201
    clock.advance(hours=25)
    again = post_project(world, world.integration, "k-3", external_ref="A-1")
    # the key is gone, so the request runs again: and external_ref says it is a duplicate
    assert again.status_code == 409 and again.json()["type"] == "/problems/duplicate-external-ref"


def test_a_retried_transition_fires_once(world, client):
    project = world.new_project()
    cm = world.person("customer_manager")
    headers = {**cm.headers, "Idempotency-Key": "fire-accept-1", "If-Match": '"1"'}
    first = client.post(f"/v1/projects/{project['id']}/transitions", json={"name": "accept"}, headers=headers)
    second = client.post(f"/v1/projects/{project['id']}/transitions", json={"name": "accept"}, headers=headers)
    assert first.status_code == second.status_code == 201 and first.content == second.content
    history = world.ok(client.get(f"/v1/projects/{project['id']}/transitions", headers=cm.headers))
    assert [h["name"] for h in history] == ["accept"]


def test_keys_must_be_1_to_255_printable_characters(world):
    assert post_project(world, world.integration, "x" * 256).status_code == 422
    assert post_project(world, world.integration, "tab\there").status_code == 422


def test_a_deleting_write_replays_its_204(world, client):
    token = world.ok(client.post("/v1/tokens", json={"customer_id": world.customers[1].id},
                                 headers=world.admin.headers), 201)
    headers = {**world.admin.headers, "Idempotency-Key": "revoke-1"}
    assert client.delete(f"/v1/tokens/{token['id']}", headers=headers).status_code == 204
    replay = client.delete(f"/v1/tokens/{token['id']}", headers=headers)
    assert replay.status_code == 204 and replay.headers["idempotent-replayed"] == "true"


def test_the_worker_purges_expired_keys(world, db, clock):
    from bizext.worker import purge_expired_keys

    post_project(world, world.integration, "k-old")
    assert purge_expired_keys(db, clock.now) == 0
    assert purge_expired_keys(db, clock.now + timedelta(hours=25)) == 1
