"""Whole projects through the HTTP API, each step fired by its real owner."""

from __future__ import annotations

from datetime import timedelta

SCHEME = {"sources": [{"voltage_kv": 10, "capacity_kva": 4000, "substation": "110 kV Zhangjiang", "feeder": "Z12"},
                      {"voltage_kv": 10, "capacity_kva": 4000, "substation": "110 kV Jinqiao", "feeder": "J7"}],
          "metering": {"method": "high_supply_high_metering"}}
DEFECT = [{"item": "cable trench depth", "severity": "major", "note": "0.5 m"}]

# The important dual-supply path through every rework loop DESIGN §3 has.
HV_REWORK_PATH = [
    ("request_documents", {"missing_documents": ["load list"]}, "awaiting_documents"),
    ("submit_documents", {"documents": ["load list"]}, "application_review"),
    ("accept", {}, "site_survey"),
    ("complete_survey", {"surveyed_on": "2026-11-20", "findings": "cable route along the east road"},
     "scheme_drafting"),
    ("submit_for_review", {"scheme": SCHEME}, "scheme_review"),
    ("return_scheme", {"comments": "second source from another substation"}, "scheme_drafting"),
    ("submit_for_review", {"scheme": SCHEME}, "scheme_review"),
    ("approve_scheme", {"reply_document_no": "PD-2026-44"}, "customer_design"),
    ("submit_design", {"design_document_no": "SJ-118"}, "design_review"),
    ("return_design", {"issues": ["earthing drawing missing"]}, "customer_design"),
    ("submit_design", {"design_document_no": "SJ-118b"}, "design_review"),
    ("approve_design", {}, "customer_construction"),
    ("request_intermediate_inspection", {}, "intermediate_inspection"),
    ("fail_intermediate", {"defects": DEFECT}, "customer_construction"),
    ("request_intermediate_inspection", {}, "intermediate_inspection"),
    ("pass_intermediate", {}, "customer_construction"),
    ("request_completion_inspection", {}, "completion_inspection"),
    ("fail_completion", {"defects": DEFECT}, "rectification"),
    ("request_reinspection", {}, "completion_inspection"),
    ("pass_completion", {}, "contract_signing"),
    ("sign_contract", {"contract_no": "GYD-2026-0088", "fees_settled": True}, "energization"),
    ("energize", {"meter_ids": ["3100012345"], "energized_at": "2026-12-01T10:00:00+08:00"}, "energized"),
]


def test_important_dual_supply_project_goes_through_every_rework_loop_to_energized(world, client, clock):
    project = world.new_project(supply="dual", important=True, capacity_kva=8000,
                                received_at=(clock.now - timedelta(days=30)).isoformat())
    at = clock.now - timedelta(days=29)
    for name, payload, expected in HV_REWORK_PATH:
        owner = world.owner_of(project)
        fired = world.fire(project["id"], name, owner, payload, occurred_at=at.isoformat())
        project = fired["project"]
        assert project["state"] == expected, name
        assert fired["transition"]["actor"]["id"] == owner.id
        at += timedelta(hours=20)

    assert project["owner"] is None and project["terminal"] is True
    history = world.ok(client.get(f"/v1/projects/{project['id']}/transitions", headers=world.admin.headers))
    assert [h["name"] for h in history] == [step[0] for step in HV_REWORK_PATH]
    assert [h["seq"] for h in history] == list(range(1, len(HV_REWORK_PATH) + 1))
    stages = world.ok(client.get(f"/v1/projects/{project['id']}/stages", headers=world.admin.headers))
    # one occurrence per visit; the terminal state is not a stage
    assert len(stages) == len(HV_REWORK_PATH)
    assert all(s["left_at"] is not None for s in stages)
    assert [s["visit"] for s in stages if s["state"] == "design_review"] == [1, 2]
    assert project["flags"] == {"intermediate_inspection_passed": True}
    assert project["version"] == 1 + len(HV_REWORK_PATH)


def test_stage_owners_follow_the_roles_of_the_definition(world):
    project = world.new_project(supply="dual", important=True)
    expected_roles = {"application_review": "customer_manager", "site_survey": "customer_manager",
                      "scheme_review": "planner", "design_review": "design_reviewer"}
    seen = {}
    for name, payload, state in HV_REWORK_PATH[2:9]:
        project = world.fire(project["id"], name, world.owner_of(project), payload)["project"]
        if state in expected_roles:
            seen[state] = project["owner"]["id"]
    for state, role in expected_roles.items():
        if state in seen:
            assert seen[state] == world.person(role).id, state


def test_not_important_single_supply_project_skips_joint_review_design_and_intermediate_inspection(world):
    project = world.new_project(supply="single", important=False, capacity_kva=800)
    path = [("accept", {}, "site_survey"),
            ("complete_survey", {"surveyed_on": "2026-11-30", "findings": "ok"}, "scheme_drafting"),
            ("reply_scheme", {"scheme": SCHEME, "reply_document_no": "R-1"}, "customer_construction"),
            ("request_completion_inspection", {}, "completion_inspection"),
            ("pass_completion", {}, "contract_signing"),
            ("sign_contract", {"contract_no": "C-1", "fees_settled": True}, "energization"),
            ("energize", {"meter_ids": ["m-1"], "energized_at": "2026-12-01T11:00:00Z"}, "energized")]
    for name, payload, expected in path:
        project = world.fire(project["id"], name, world.owner_of(project), payload)["project"]
        assert project["state"] == expected


def test_lv_simple_project_goes_from_application_to_energized_in_three_steps(world):
    project = world.new_project(voltage_kv=0.4, capacity_kva=160)
    assert project["workflow"]["key"] == "lv-simple"
    path = [("request_documents", {"missing_documents": ["id card"]}, "awaiting_documents"),
            ("submit_documents", {"documents": ["id card"]}, "application_review"),
            ("accept", {}, "scheme_and_contract"),
            ("sign_contract", {"contract_no": "LV-9"}, "installation"),
            ("energize", {"meter_ids": ["m-9"], "energized_at": "2026-12-01T09:00:00Z"}, "energized")]
    for name, payload, expected in path:
        owner = world.owner_of(project)
        project = world.fire(project["id"], name, owner, payload)["project"]
        assert project["state"] == expected
    assert world.ok(world.client.get(f"/v1/projects/{project['id']}/stages",
                                     headers=world.admin.headers))[-1]["state"] == "installation"


def test_customer_manager_acts_on_behalf_of_the_customer_and_it_is_recorded(world):
    project = world.new_project()
    project = world.fire(project["id"], "request_documents", world.person("customer_manager"),
                         {"missing_documents": ["load list"]})["project"]
    fired = world.fire(project["id"], "submit_documents", world.person("customer_manager"),
                       {"documents": ["load list"]})
    assert fired["transition"]["capacity"] == "on_behalf_of_customer"
    assert fired["transition"]["on_behalf_of"] == world.customers[0].id


def test_admin_may_fire_for_the_owner_only_with_a_reason(world):
    project = world.new_project()
    refused = world.fire(project["id"], "accept", world.admin, status=422)
    assert refused["errors"][0]["pointer"] == "/admin_reason"
    fired = world.fire(project["id"], "accept", world.admin, admin_reason="owner on leave; agreed by phone")
    assert fired["transition"]["capacity"] == "admin"
    assert fired["transition"]["admin_reason"] == "owner on leave; agreed by phone"


def test_customer_withdraws_its_own_project_from_any_open_state(world):
    project = world.new_project()
    project = world.fire(project["id"], "accept", world.person("customer_manager"))["project"]
    fired = world.fire(project["id"], "withdraw", world.customers[0], {"reason": "moving the plant"})
    assert fired["project"]["state"] == "withdrawn"
    assert fired["project"]["owner"] is None


def test_explicit_assign_to_picks_the_next_owner(world):
    other = world.person("customer_manager", "minhang")
    project = world.new_project()
    fired = world.fire(project["id"], "accept", world.person("customer_manager"), {"assign_to": other.id})
    assert fired["project"]["owner"]["id"] == other.id
    assignments = world.ok(world.client.get(f"/v1/projects/{project['id']}/assignments",
                                            headers=world.admin.headers))
    assert [a["basis"] for a in assignments] == ["named", "explicit"]


def test_a_survey_dated_today_in_shanghai_is_accepted_after_midnight_local_time(world, clock):
    from datetime import UTC, datetime

    clock.now = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # 01:00 on 2 December in Shanghai
    project = world.new_project(received_at="2026-12-01T02:00:00Z")
    cm = world.person("customer_manager")
    world.fire(project["id"], "accept", cm)
    fired = world.fire(project["id"], "complete_survey", cm, {"surveyed_on": "2026-12-02", "findings": "ok"})
    assert fired["project"]["state"] == "scheme_drafting"
    world.fire(project["id"], "return_scheme", cm, status=409)  # (not from scheme_drafting: state unchanged)
