"""Questions and answers, follow-ups, feedback and staff qualification (停岗学习)."""

from __future__ import annotations

from datetime import timedelta

import pytest

SCHEME = {"sources": [{"voltage_kv": 10, "capacity_kva": 800, "substation": "A", "feeder": "B"}],
          "metering": {"method": "high_supply_low_metering"}}


def ask(world, project, body="When will the survey team come?"):
    return world.ok(world.client.post(f"/v1/projects/{project['id']}/messages",
                                      json={"body": body, "kind": "question"},
                                      headers=world.customers[0].headers), 201)


def sweep(world):
    return world.ok(world.client.post("/v1/escalation-checks", headers=world.checker.headers))["raised"]


def test_an_unanswered_question_warns_the_customer_manager_then_escalates_once_to_the_project_manager(
        world, client, clock):
    project = world.new_project()
    question = ask(world, project)
    clock.advance(days=1)  # Wed 12:00 UTC (20:00 local): past the warning point, before the deadline
    warned = [e for e in sweep(world) if e["clock"] == "question_answer"]
    assert [(e["level"], e["recipients"][0]["id"]) for e in warned] == [(0, world.person("customer_manager").id)]
    clock.advance(days=1)
    breached = [e for e in sweep(world) if e["clock"] == "question_answer"]
    assert [(e["level"], e["recipients"][0]["id"]) for e in breached] == [(1, world.person("project_manager").id)]
    assert [e for e in sweep(world) if e["clock"] == "question_answer"] == []
    world.ok(client.post(f"/v1/projects/{project['id']}/messages",
                         json={"body": "Tomorrow morning.", "kind": "answer", "reply_to": question["id"]},
                         headers=world.person("customer_manager").headers), 201)
    open_ones = world.ok(client.get(f"/v1/escalations?project_id={project['id']}&status=open",
                                    headers=world.admin.headers))["items"]
    assert not [e for e in open_ones if e["clock"] == "question_answer"]


def test_an_answered_question_never_escalates(world, client, clock):
    project = world.new_project()
    question = ask(world, project)
    world.ok(client.post(f"/v1/projects/{project['id']}/messages",
                         json={"body": "Tomorrow.", "kind": "answer", "reply_to": question["id"]},
                         headers=world.person("customer_manager").headers), 201)
    clock.advance(days=5)
    assert [e for e in sweep(world) if e["clock"] == "question_answer"] == []
    listed = world.ok(client.get(f"/v1/projects/{project['id']}/messages", headers=world.customers[0].headers))
    asked = next(m for m in listed if m["id"] == question["id"])
    assert asked["answered_at"] is not None and {m["kind"] for m in listed} == {"question", "answer"}


def test_customers_never_see_internal_notes(world, client, clock):
    project = world.new_project()
    ask(world, project)
    clock.advance(minutes=5)
    world.ok(client.post(f"/v1/projects/{project['id']}/messages",
                         json={"body": "Customer is difficult; escalate politely.", "kind": "internal"},
                         headers=world.person("project_manager").headers), 201)
    theirs = world.ok(client.get(f"/v1/projects/{project['id']}/messages", headers=world.customers[0].headers))
    staff_view = world.ok(client.get(f"/v1/projects/{project['id']}/messages", headers=world.admin.headers))
    assert [m["kind"] for m in theirs] == ["question"]
    assert [m["kind"] for m in staff_view] == ["question", "internal"]
    refused = client.post(f"/v1/projects/{project['id']}/messages", json={"body": "x", "kind": "internal"},
                          headers=world.customers[0].headers)
    assert refused.status_code == 403
    stranger = client.post(f"/v1/projects/{project['id']}/messages", json={"body": "x", "kind": "question"},
                           headers=world.customers[1].headers)
    assert stranger.status_code == 404


def energize(world, project):
    for name, payload in [("accept", {}), ("complete_survey", {"surveyed_on": "2026-11-30", "findings": "ok"}),
                          ("reply_scheme", {"scheme": SCHEME, "reply_document_no": "R"}),
                          ("request_completion_inspection", {}), ("pass_completion", {}),
                          ("sign_contract", {"contract_no": "C", "fees_settled": True}),
                          ("energize", {"meter_ids": ["m"], "energized_at": "2026-12-01T10:00:00Z"})]:
        project = world.fire(project["id"], name, world.owner_of(project), payload)["project"]
    return project


@pytest.mark.parametrize(("satisfaction", "match", "quality"), [(5, True, False), (2, True, True), (4, False, True)])
def test_a_poor_follow_up_raises_a_quality_escalation_to_the_supervisors(world, client, satisfaction, match,
                                                                         quality):
    project = energize(world, world.new_project())
    [opened] = world.ok(client.get(f"/v1/projects/{project['id']}/follow-ups", headers=world.admin.headers))
    assert opened["owner_staff_id"] == world.person("customer_manager").id and opened["closed_at"] is None
    closed = world.ok(client.post(f"/v1/projects/{project['id']}/follow-ups", json={
        "channel": "phone", "contacted_on": "2026-12-01", "satisfaction": satisfaction,
        "times_match_records": match, "issues": ["meter box door sticks"] if quality else []},
        headers=world.person("customer_manager").headers))
    assert closed["satisfaction"] == satisfaction
    raised = world.ok(client.get(f"/v1/escalations?project_id={project['id']}&kind=quality",
                                 headers=world.admin.headers))["items"]
    assert len(raised) == int(quality)
    if quality:
        assert raised[0]["recipients"][0]["id"] == world.person("supervisor").id
    again = client.post(f"/v1/projects/{project['id']}/follow-ups", json={
        "channel": "visit", "contacted_on": "2026-12-01", "satisfaction": 5, "times_match_records": True},
        headers=world.person("customer_manager").headers)
    assert again.status_code == 409


def test_a_customer_rates_its_energized_project_once(world, client):
    project = world.new_project()
    early = client.post(f"/v1/projects/{project['id']}/feedback", json={"satisfaction": 5},
                        headers=world.customers[0].headers)
    assert early.status_code == 409
    project = energize(world, project)
    first = client.post(f"/v1/projects/{project['id']}/feedback", json={"satisfaction": 1, "comment": "slow"},
                        headers=world.customers[0].headers)
    assert first.status_code == 201
    assert client.post(f"/v1/projects/{project['id']}/feedback", json={"satisfaction": 5},
                       headers=world.customers[0].headers).status_code == 409
    raised = world.ok(client.get(f"/v1/escalations?project_id={project['id']}&kind=quality",
                                 headers=world.admin.headers))["items"]
    assert len(raised) == 1 and "1/5" in raised[0]["explanation"]


def test_a_failed_assessment_suspends_assignment_and_escalates_open_stages_once(world, client):
    cm = world.person("customer_manager")
    project = world.new_project()  # owned by cm in application_review
    url = f"/v1/staff/{cm.id}/assessments"
    failed = client.post(url, json={"role": "customer_manager", "score": 41, "passed": False,
                                    "assessed_on": "2026-11-30"}, headers=world.person("supervisor").headers)
    assert failed.status_code == 201, failed.text
    escalated = world.ok(client.get(f"/v1/escalations?project_id={project['id']}&kind=owner_suspended",
                                    headers=world.admin.headers))["items"]
    assert len(escalated) == 1 and escalated[0]["recipients"][0]["id"] == world.person("project_manager").id
    # skipped by auto-assignment: a new pudong project gets the other customer manager, or nobody
    second = world.new_project()
    assert second["owner"]["id"] != cm.id
    # refused by PUT owner
    r = client.put(f"/v1/projects/{second['id']}/owner", json={"staff_id": cm.id, "reason": "x"},
                   headers=world.admin.headers)
    assert r.status_code == 422 and "suspended" in r.json()["errors"][0]["message"]
    page = world.ok(client.get(f"/v1/staff/{cm.id}", headers=world.admin.headers))
    standing = next(q for q in page["qualification"] if q["role"] == "customer_manager")
    assert standing["qualified"] is False and standing["suspended_since"] is not None
    # the same failure recorded twice raises nothing new
    client.post(url, json={"role": "customer_manager", "score": 40, "passed": False, "assessed_on": "2026-11-30"},
                headers=world.person("supervisor").headers)
    assert len(world.ok(client.get(f"/v1/escalations?kind=owner_suspended", headers=world.admin.headers))
               ["items"]) == 1
    # passing again reinstates
    world.ok(client.post(url, json={"role": "customer_manager", "score": 88, "passed": True,
                                    "assessed_on": "2026-12-01"}, headers=world.person("supervisor").headers), 201)
    world.ok(client.put(f"/v1/projects/{second['id']}/owner", json={"staff_id": cm.id, "reason": "retrained"},
                        headers=world.admin.headers))
    history = world.ok(client.get(url, headers=world.admin.headers))
    assert [a["passed"] for a in history] == [False, False, True]


def test_trainings_are_listed_on_each_attendee(world, client):
    a, b = world.person("inspector"), world.person("planner")
    world.ok(client.post("/v1/trainings", json={"topic": "Relay protection settings", "held_on": "2026-11-20",
                                                "attendee_ids": [a.id, b.id]},
                         headers=world.person("supervisor").headers), 201)
    page = world.ok(client.get(f"/v1/staff/{a.id}", headers=world.admin.headers))
    assert [t["topic"] for t in page["trainings"]] == ["Relay protection settings"]
    assert client.post("/v1/trainings", json={"topic": "x", "held_on": "2026-11-20", "attendee_ids": [a.id]},
                       headers=world.person("planner").headers).status_code == 403
