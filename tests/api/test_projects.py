"""Reading projects: lists, filters, pagination, ETags, actions (the API-driven form), reassignment."""

from __future__ import annotations

from datetime import timedelta


def test_project_list_pages_with_a_cursor_and_stays_stable_when_projects_are_added(world, client, clock):
    ids = []
    for _ in range(5):
        ids.append(world.new_project()["id"])
        clock.advance(seconds=1)
    page1 = world.ok(client.get("/v1/projects?limit=2", headers=world.admin.headers))
    assert [p["id"] for p in page1["items"]] == ids[::-1][:2]
    world.new_project()  # a newer project must not shift the next pages
    page2 = world.ok(client.get(f"/v1/projects?limit=2&cursor={page1['next_cursor']}", headers=world.admin.headers))
    page3 = world.ok(client.get(f"/v1/projects?limit=2&cursor={page2['next_cursor']}", headers=world.admin.headers))
    assert [p["id"] for p in page2["items"] + page3["items"]] == ids[::-1][2:]
    assert page3["next_cursor"] is None or world.ok(client.get(
        f"/v1/projects?limit=2&cursor={page3['next_cursor']}", headers=world.admin.headers))["items"] == []


def test_project_list_filters_by_state_owner_customer_region_and_workflow(world, client):
    a = world.new_project()
    b = world.new_project(customer=1, region="minhang")
    c = world.new_project(voltage_kv=0.4)
    world.fire(a["id"], "accept", world.person("customer_manager"))

    def ids(query):
        return {p["id"] for p in world.ok(client.get(f"/v1/projects?{query}", headers=world.admin.headers))["items"]}

    assert ids("state=site_survey") == {a["id"]}
    assert ids(f"owner_id={world.person('customer_manager', 'minhang').id}") == {b["id"]}
    assert ids(f"customer_id={world.customers[1].id}") == {b["id"]}
    assert ids("region=minhang") == {b["id"]}
    assert ids("workflow=lv-simple") == {c["id"]}


def test_project_representation_has_the_documented_fields_and_a_strong_etag(world, client):
    project = world.new_project(external_ref="CRM-77", received_at="2026-11-30T01:00:00Z")
    r = client.get(f"/v1/projects/{project['id']}", headers=world.admin.headers)
    assert r.headers["etag"] == '"1"'
    body = r.json()
    assert body["state_label"] == {"zh": "业务受理", "en": "Application review"}
    assert body["owner"] == {"kind": "staff", "id": world.person("customer_manager").id,
                             "name": world.person("customer_manager").name}
    assert body["customer_manager_id"] == world.person("customer_manager").id
    assert body["project_manager_id"] == world.person("project_manager").id
    assert body["received_at"].startswith("2026-11-30T01:00:00")
    assert body["external_ref"] == "CRM-77"


def test_actions_describe_each_transition_as_a_form_for_the_caller(world, client):
    project = world.new_project(supply="dual")
    cm = world.person("customer_manager")
    world.fire(project["id"], "accept", cm)
    world.fire(project["id"], "complete_survey", cm, {"surveyed_on": "2026-11-30", "findings": "ok"})
    actions = world.ok(client.get(f"/v1/projects/{project['id']}/actions", headers=cm.headers))
    by_name = {a["name"]: a for a in actions["actions"]}
    assert set(by_name) == {"submit_for_review", "reply_scheme", "withdraw"}
    assert by_name["submit_for_review"]["allowed"] is True
    assert by_name["submit_for_review"]["to"] == ["scheme_review"]
    assert by_name["submit_for_review"]["input_schema"]["required"] == ["scheme"]
    assert by_name["submit_for_review"]["input_schema"]["additionalProperties"] is False
    assert by_name["reply_scheme"]["allowed"] is False
    assert "joint scheme review is needed" in by_name["reply_scheme"]["blocked_reason"]
    assert by_name["withdraw"]["owner"]["kind"] == "customer"
    assert by_name["withdraw"]["allowed"] is True  # the customer manager, on the customer's behalf

    planner_view = world.ok(client.get(f"/v1/projects/{project['id']}/actions",
                                       headers=world.person("planner").headers))
    submit = next(a for a in planner_view["actions"] if a["name"] == "submit_for_review")
    assert submit["allowed"] is False and cm.name in submit["blocked_reason"]


def test_project_manager_reassigns_the_current_stage_and_it_is_recorded(world, client, clock):
    project = world.new_project()
    other = world.person("customer_manager", "minhang")
    pm = world.person("project_manager")
    r = client.put(f"/v1/projects/{project['id']}/owner", json={"staff_id": other.id, "reason": "leave"},
                   headers={**pm.headers, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["owner"]["id"] == other.id and r.headers["etag"] == '"2"'
    # the old owner may no longer fire; the new one may
    world.fire(project["id"], "accept", world.person("customer_manager"), status=403)
    world.fire(project["id"], "accept", other)
    assignments = world.ok(client.get(f"/v1/projects/{project['id']}/assignments", headers=pm.headers))
    assert [(a["basis"], a["reason"]) for a in assignments][:2] == [("named", None), ("reassigned", "leave")]


def test_reassignment_needs_the_right_person_role_and_an_active_assignee(world, client):
    project = world.new_project()
    url = f"/v1/projects/{project['id']}/owner"
    other = world.person("customer_manager", "minhang")
    assert client.put(url, json={"staff_id": other.id, "reason": "x"},
                      headers=world.person("planner").headers).status_code == 403
    r = client.put(url, json={"staff_id": world.person("planner").id, "reason": "x"},
                   headers=world.person("supervisor").headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/staff_id"
    world.ok(client.patch(f"/v1/staff/{other.id}", json={"active": False}, headers=world.admin.headers))
    r = client.put(url, json={"staff_id": other.id, "reason": "x"}, headers=world.person("supervisor").headers)
    assert r.status_code == 422 and "inactive" in r.json()["errors"][0]["message"]


def test_customer_owned_stage_cannot_be_reassigned_to_staff(world, client):
    project = world.new_project()
    world.fire(project["id"], "request_documents", world.person("customer_manager"), {"missing_documents": ["x"]})
    r = client.put(f"/v1/projects/{project['id']}/owner",
                   json={"staff_id": world.person("customer_manager").id, "reason": "x"}, headers=world.admin.headers)
    assert r.status_code == 409 and r.json()["type"] == "/problems/stage-not-reassignable"


def test_least_loaded_colleague_gets_a_stage_when_the_project_names_nobody(world, client):
    # a second inspector in pudong who already owns nothing; the first one gets a stage first
    second = world.ok(client.post("/v1/staff", json={"name": "Inspector Two", "region": "pudong",
                                                     "roles": ["inspector"]}, headers=world.admin.headers), 201)
    owners = []
    for _ in range(2):
        project = world.new_project()
        for name, payload in [("accept", {}), ("complete_survey", {"surveyed_on": "2026-11-30", "findings": "ok"}),
                              ("reply_scheme", {"reply_document_no": "R", "scheme": {
                                  "sources": [{"voltage_kv": 10, "capacity_kva": 800, "substation": "A",
                                               "feeder": "B"}], "metering": {"method": "high_supply_low_metering"}}}),
                              ("request_completion_inspection", {})]:
            project = world.fire(project["id"], name, world.owner_of(project) if project.get("owner") else None,
                                 payload)["project"]
        owners.append(project["owner"]["id"])
    assert set(owners) == {world.person("inspector").id, second["id"]}


def test_a_stage_with_no_eligible_staff_is_unassigned(world, client):
    for role in ("customer_manager",):
        person = world.person(role, "minhang")
        world.ok(client.patch(f"/v1/staff/{person.id}", json={"active": False}, headers=world.admin.headers))
    project = world.new_project(region="minhang")
    assert project["owner"] == {"kind": "unassigned", "id": None, "name": None}
    assert project["customer_manager_id"] is None


def test_staff_directory_lists_and_patches_with_if_match(world, client):
    listed = world.ok(client.get("/v1/staff?role=inspector&region=pudong", headers=world.admin.headers))["items"]
    assert [s["id"] for s in listed] == [world.person("inspector").id]
    target = f"/v1/staff/{world.person('inspector').id}"
    assert client.patch(target, json={"roles": ["inspector", "planner"]},
                        headers={**world.admin.headers, "If-Match": '"9"'}).status_code == 412
    body = world.ok(client.patch(target, json={"roles": ["inspector", "planner"]},
                                 headers={**world.admin.headers, "If-Match": '"1"'}))
    assert body["roles"] == ["inspector", "planner"] and body["version"] == 2


def test_workflows_describe_states_transitions_and_a_generated_diagram(client):
    listed = client.get("/v1/workflows").json()
    assert {w["key"] for w in listed} == {"hv-standard", "lv-simple"}
    hv = client.get("/v1/workflows/hv-standard").json()
    assert len(hv["states"]) == 16 and len(hv["transitions"]) == 22
    diagram = client.get("/v1/workflows/hv-standard/diagram")
    assert diagram.headers["content-type"].startswith("text/vnd.mermaid")
    assert diagram.text.startswith("stateDiagram-v2")
    assert "design_review --> customer_construction: approve_design" in diagram.text
    assert client.get("/v1/workflows/nope").status_code == 404
    assert client.get("/v1/workflows/hv-standard?version=9").status_code == 404


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok", "detail": None}
    assert client.get("/readyz").status_code == 200


def test_interactive_docs_work_offline_with_assets_served_by_bizext(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text and "https://" not in page.text
    asset = next(part.split('"')[1] for part in page.text.split("src=")[1:] if part.startswith('"/'))
    assert client.get(asset).status_code == 200
