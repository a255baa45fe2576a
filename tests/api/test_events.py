"""The events feed: every change is an event, in order, and customers see only their own."""

from __future__ import annotations

from datetime import timedelta


def feed(world, who, query=""):
    return world.ok(world.client.get(f"/v1/events?limit=200{query}", headers=who.headers))


def test_creating_and_moving_a_project_records_its_events_in_order(world, client):
    project = world.new_project()
    world.fire(project["id"], "accept", world.person("customer_manager"))
    page = feed(world, world.admin, f"&project_id={project['id']}")
    types = [e["type"] for e in page["items"]]
    assert types[:3] == ["project.created", "owner.assigned", "clock.started"]
    # acceptance and utility_total start with the project; accept stops acceptance and starts scheme_reply
    assert "transition.fired" in types and types.count("clock.started") == 3
    stopped = [e["data"]["clock"] for e in page["items"] if e["type"] == "clock.stopped"]
    assert stopped == ["acceptance"]
    sequences = [e["sequence"] for e in page["items"]]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    fired = next(e for e in page["items"] if e["type"] == "transition.fired")
    assert fired["data"]["name"] == "accept" and fired["project_version"] == 2
    assert fired["actor"]["id"] == world.person("customer_manager").id
    assert page["next_after"] == sequences[-1]
    assert feed(world, world.admin, f"&after={page['next_after']}")["items"] == []


def test_following_after_pages_through_every_event_once(world, client):
    for _ in range(3):
        world.new_project()
    seen, after = [], 0
    while True:
        page = world.ok(client.get(f"/v1/events?after={after}&limit=2", headers=world.integration.headers))
        if not page["items"]:
            break
        seen += [e["sequence"] for e in page["items"]]
        after = page["next_after"]
    assert seen == list(range(seen[0], seen[0] + len(seen))) and len(seen) >= 9


def test_customers_see_only_their_own_projects_events_and_no_escalations(world, client, clock):
    mine = world.new_project(customer=0, received_at=(clock.now - timedelta(days=5)).isoformat())
    theirs = world.new_project(customer=1)
    client.post("/v1/escalation-checks", headers=world.checker.headers)
    items = feed(world, world.customers[0])["items"]
    assert items and {e["project_id"] for e in items} == {mine["id"]}
    assert not [e for e in items if e["type"].startswith("escalation.")]
    staff_view = feed(world, world.admin, f"&project_id={mine['id']}")["items"]
    assert [e for e in staff_view if e["type"] == "escalation.raised"]
    assert client.get(f"/v1/projects/{theirs['id']}/events", headers=world.customers[0].headers).status_code == 404


def test_filters_by_type_and_holds_and_misses_are_events(world, client, clock):
    project = world.new_project(received_at=(clock.now - timedelta(days=5)).isoformat())
    cm = world.person("customer_manager")
    hold = world.ok(client.post(f"/v1/projects/{project['id']}/holds", json={"reason": "r", "party": "customer"},
                                headers=cm.headers), 201)
    world.ok(client.post(f"/v1/projects/{project['id']}/holds/{hold['id']}/release", headers=cm.headers))
    client.post("/v1/escalation-checks", headers=world.checker.headers)
    types = [e["type"] for e in feed(world, world.admin, "&type=hold.placed&type=hold.released&type=clock.missed")
             ["items"]]
    assert types[:2] == ["hold.placed", "hold.released"] and "clock.missed" in types
    assert set(types) == {"hold.placed", "hold.released", "clock.missed"}


def test_escalation_checkers_may_not_read_the_feed(world, client):
    assert client.get("/v1/events", headers=world.checker.headers).status_code == 403
