"""Working-day clocks, holds and exactly-once escalations, through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from bizext.workflow.calendars import DAY, WorkingCalendar
from tests.instants import TUE_29_SEP_2026_10AM_SHANGHAI

SCHEME = {"sources": [{"voltage_kv": 10, "capacity_kva": 800, "substation": "A", "feeder": "B"}],
          "metering": {"method": "high_supply_low_metering"}}
TO_ENERGIZATION = [("accept", {}), ("complete_survey", {"surveyed_on": "2026-09-21", "findings": "ok"}),
                   ("reply_scheme", {"scheme": SCHEME, "reply_document_no": "R-1"}),
                   ("request_completion_inspection", {}), ("pass_completion", {}),
                   ("sign_contract", {"contract_no": "C-1", "fees_settled": True})]


def clock_of(project: dict, name: str) -> dict:
    return next(c for c in project["clocks"] if c["name"] == name)


def sweep(world, client) -> dict:
    r = client.post("/v1/escalation-checks", headers=world.checker.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_stage_entered_before_national_day_has_its_deadline_after_the_holiday_week(world, clock_at):
    clock_at(datetime(2026, 10, 1, tzinfo=UTC))
    project = world.new_project(received_at="2026-09-20T01:00:00Z")
    at = datetime(2026, 9, 21, 1, 0, tzinfo=UTC)
    for name, payload in TO_ENERGIZATION[:-1]:
        project = world.fire(project["id"], name, world.owner_of(project), payload,
                             occurred_at=at.isoformat())["project"]
        at += timedelta(hours=1)
    project = world.fire(project["id"], "sign_contract", world.owner_of(project), TO_ENERGIZATION[-1][1],
                         occurred_at=TUE_29_SEP_2026_10AM_SHANGHAI.isoformat())["project"]
    energization = clock_of(project, "energization")
    assert energization["limit"] == 5
    assert energization["deadline_at"] == "2026-10-12T16:00:00Z"
    assert energization["status"] == "running" and energization["due"] == "on_track"


def test_acceptance_deadline_is_the_end_of_the_next_working_day(world):
    project = world.new_project(received_at=TUE_29_SEP_2026_10AM_SHANGHAI.isoformat())
    acceptance = clock_of(project, "acceptance")
    assert acceptance["deadline_at"] == "2026-09-30T16:00:00Z"
    assert acceptance["due"] == "overdue" and acceptance["remaining"] < 0  # the test clock is in December


def test_backdated_project_raises_exactly_one_level_1_escalation_to_its_project_manager(world, client, clock):
    received = clock.now - timedelta(days=6)
    project = world.new_project(received_at=received.isoformat())
    first = sweep(world, client)
    breaches = [e for e in first["raised"] if e["clock"] == "acceptance"]
    assert [(e["level"], e["kind"]) for e in breaches] == [(1, "breach"), (2, "breach")]
    level1 = breaches[0]
    assert [r["id"] for r in level1["recipients"]] == [world.person("project_manager").id]
    assert "missed its deadline" in level1["explanation"] and project["number"] in level1["explanation"]
    # a warning whose deadline has passed already is not raised: the breach says it
    assert not [e for e in first["raised"] if e["clock"] == "acceptance" and e["level"] == 0]
    for _ in range(3):
        assert sweep(world, client)["raised"] == []
    listed = world.ok(client.get(f"/v1/escalations?project_id={project['id']}&level=1&kind=breach",
                                 headers=world.admin.headers))["items"]
    assert [e["clock"] for e in listed] == ["acceptance"]


def test_level_2_appears_only_after_its_delay_and_the_warning_before_the_deadline(world, client, clock):
    # utility_total (single: 22 days) is far away; acceptance (1 day) is the one that moves.
    clock.now = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    world.new_project(received_at=clock.now.isoformat())
    assert sweep(world, client)["raised"] == []
    clock.now = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # Tue 00:30: counting began, 23.5 h left
    warned = sweep(world, client)["raised"]
    assert [(e["clock"], e["level"]) for e in warned] == [("acceptance", 0)]
    assert warned[0]["recipients"][0]["id"] == world.person("customer_manager").id
    clock.now = datetime(2026, 12, 1, 16, 1, tzinfo=UTC)  # Wed 00:01: deadline (Tue 24:00) passed
    assert [(e["clock"], e["level"]) for e in sweep(world, client)["raised"]] == [("acceptance", 1)]
    clock.now = datetime(2026, 12, 2, 15, 59, tzinfo=UTC)  # Wed 23:59: level 2 is one working day later
    assert sweep(world, client)["raised"] == []
    clock.now = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    level2 = sweep(world, client)["raised"]
    assert [(e["clock"], e["level"]) for e in level2] == [("acceptance", 2)]
    assert {r["id"] for r in level2[0]["recipients"]} == {world.person("supervisor").id}


def test_completing_the_stage_resolves_its_escalations_as_completed_late(world, client, clock):
    project = world.new_project(received_at=(clock.now - timedelta(days=6)).isoformat())
    sweep(world, client)
    world.fire(project["id"], "accept", world.person("customer_manager"))
    escalations = world.ok(client.get(f"/v1/projects/{project['id']}/escalations", headers=world.admin.headers))
    acceptance = [e for e in escalations if e["clock"] == "acceptance"]
    assert acceptance and all(e["status"] == "resolved" and e["resolution"] == "completed_late"
                              for e in acceptance)
    runs = world.ok(client.get(f"/v1/projects/{project['id']}/clocks", headers=world.admin.headers))
    stopped = next(c for c in runs if c["name"] == "acceptance")
    assert stopped["status"] == "stopped" and stopped["met"] is False


def test_a_hold_of_exactly_two_working_days_moves_the_deadline_by_two_working_days(world, client, clock):
    clock.now = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Mon 10:00 Shanghai
    project = world.new_project(received_at=clock.now.isoformat())
    before = clock_of(project, "utility_total")["deadline_at"]
    clock.now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # recorded on Tuesday morning, held since 00:00
    hold = world.ok(client.post(f"/v1/projects/{project['id']}/holds",
                                json={"reason": "waiting for the land-use permit", "party": "external",
                                      "occurred_at": "2026-11-30T16:00:00Z"},  # Tue 00:00
                                headers=world.person("customer_manager").headers), 201)
    clock.now = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # Thu 00:00: exactly Tue + Wed held
    paused = world.ok(client.get(f"/v1/projects/{project['id']}", headers=world.admin.headers))
    assert clock_of(paused, "utility_total")["status"] == "paused"
    world.ok(client.post(f"/v1/projects/{project['id']}/holds/{hold['id']}/release", json={},
                         headers=world.person("customer_manager").headers))
    after = clock_of(world.ok(client.get(f"/v1/projects/{project['id']}", headers=world.admin.headers)),
                  "utility_total")
    assert after["status"] == "running" and after["paused"] == 2 * 86400
    expected = WorkingCalendar("pudong").add_working_seconds(datetime.fromisoformat(before), 2 * DAY)
    assert datetime.fromisoformat(after["deadline_at"]) == expected
    assert expected - datetime.fromisoformat(before) >= timedelta(days=2)


def test_a_utility_hold_is_recorded_but_pauses_nothing(world, client):
    project = world.new_project()
    hold = world.ok(client.post(f"/v1/projects/{project['id']}/holds", json={"reason": "crew busy",
                                "party": "utility"}, headers=world.person("project_manager").headers), 201)
    assert hold["pauses_clocks"] is False
    project = world.ok(client.get(f"/v1/projects/{project['id']}", headers=world.admin.headers))
    assert {c["status"] for c in project["clocks"]} == {"running"}


def test_customer_side_states_pause_utility_total_and_a_rework_loop_starts_a_new_run(world, client, clock):
    project = world.new_project(received_at=(clock.now - timedelta(hours=2)).isoformat())
    cm = world.person("customer_manager")
    project = world.fire(project["id"], "request_documents", cm, {"missing_documents": ["x"]},
                         occurred_at=(clock.now - timedelta(hours=1)).isoformat())["project"]
    assert clock_of(project, "utility_total")["status"] == "paused"
    project = world.fire(project["id"], "submit_documents", world.customers[0], {"documents": ["x"]})["project"]
    assert clock_of(project, "utility_total")["status"] == "running"
    acceptance = clock_of(project, "acceptance")
    assert acceptance["run"] == 2 and acceptance["status"] == "running"
    runs = world.ok(client.get(f"/v1/projects/{project['id']}/clocks", headers=world.admin.headers))
    assert [(c["name"], c["run"], c["status"]) for c in runs if c["name"] == "acceptance"] == [
        ("acceptance", 1, "stopped"), ("acceptance", 2, "running")]


def test_a_calendar_override_that_makes_a_day_a_holiday_moves_running_deadlines(world, client, clock):
    clock.now = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Mon
    project = world.new_project(received_at=clock.now.isoformat())
    assert clock_of(project, "acceptance")["deadline_at"] == "2026-12-01T16:00:00Z"  # Tue 24:00
    r = client.put("/v1/calendars/pudong/days/2026-12-01", json={"working": False, "name": "typhoon day"},
                   headers=world.admin.headers)
    assert r.status_code == 200 and r.json()["clock_runs_recomputed"] >= 2
    moved = world.ok(client.get(f"/v1/projects/{project['id']}", headers=world.admin.headers))
    assert clock_of(moved, "acceptance")["deadline_at"] == "2026-12-02T16:00:00Z"  # Wed 24:00
    cal = world.ok(client.get("/v1/calendars/pudong?from=2026-12-01&to=2026-12-01", headers=world.admin.headers))
    assert cal["days"] == [{"date": "2026-12-01", "working": False, "name": "typhoon day", "overridden": True}]
    assert client.delete("/v1/calendars/pudong/days/2026-12-01", headers=world.admin.headers).status_code == 204
    back = world.ok(client.get(f"/v1/projects/{project['id']}", headers=world.admin.headers))
    assert clock_of(back, "acceptance")["deadline_at"] == "2026-12-01T16:00:00Z"


def test_calendar_lists_the_national_day_week_and_its_adjusted_working_days(world, client):
    cal = world.ok(client.get("/v1/calendars/pudong?from=2026-09-19&to=2026-10-11", headers=world.admin.headers))
    working = {d["date"]: d["working"] for d in cal["days"]}
    assert working["2026-09-20"] is True and working["2026-10-10"] is True  # adjusted working weekend days
    assert not any(working[f"2026-10-0{i}"] for i in range(1, 8))
    assert working["2026-10-11"] is False and working["2026-10-08"] is True
    assert cal["time_zone"] == "Asia/Shanghai"


def test_a_stage_with_no_eligible_owner_escalates_to_the_project_manager_until_assigned(world, client):
    cm = world.person("customer_manager", "minhang")
    world.ok(client.patch(f"/v1/staff/{cm.id}", json={"active": False}, headers=world.admin.headers))
    project = world.new_project(region="minhang")
    raised = world.ok(client.get(f"/v1/escalations?project_id={project['id']}&kind=unassigned",
                                 headers=world.admin.headers))["items"]
    assert len(raised) == 1 and raised[0]["recipients"][0]["id"] == world.person("project_manager", "minhang").id
    world.ok(client.patch(f"/v1/staff/{cm.id}", json={"active": True}, headers=world.admin.headers))
    world.ok(client.put(f"/v1/projects/{project['id']}/owner", json={"staff_id": cm.id, "reason": "back"},
                        headers=world.person("project_manager", "minhang").headers))
    again = world.ok(client.get(f"/v1/escalations/{raised[0]['id']}", headers=world.admin.headers))
    assert again["status"] == "resolved" and again["resolution"] == "assigned"


def test_leaving_an_unassigned_stage_resolves_its_escalation_as_stage_left(world, client):
    cm = world.person("customer_manager", "minhang")
    world.ok(client.patch(f"/v1/staff/{cm.id}", json={"active": False}, headers=world.admin.headers))
    project = world.new_project(region="minhang")
    raised = world.ok(client.get(f"/v1/escalations?project_id={project['id']}&kind=unassigned",
                                 headers=world.admin.headers))["items"]
    assert len(raised) == 1 and raised[0]["status"] == "open"
    world.fire(project["id"], "accept", world.admin, admin_reason="nobody else may: the stage is unassigned")
    left = world.ok(client.get(f"/v1/escalations/{raised[0]['id']}", headers=world.admin.headers))
    assert left["status"] == "resolved" and left["resolution"] == "stage_left"


def test_recipients_acknowledge_with_a_note_and_others_may_not(world, client, clock):
    world.new_project(received_at=(clock.now - timedelta(days=6)).isoformat())
    sweep(world, client)
    pm = world.person("project_manager")
    mine = world.ok(client.get("/v1/escalations?recipient_id=me&status=open", headers=pm.headers))["items"]
    assert mine and all(pm.id in [r["id"] for r in e["recipients"]] for e in mine)
    target = mine[0]["id"]
    refused = client.post(f"/v1/escalations/{target}/acknowledge", json={"note": "on it"},
                          headers=world.person("planner").headers)
    assert refused.status_code == 403
    done = world.ok(client.post(f"/v1/escalations/{target}/acknowledge", json={"note": "called the team"},
                                headers=pm.headers))
    assert done["status"] == "acknowledged" and done["note"] == "called the team"


def test_only_checkers_and_admins_run_escalation_checks(world, client):
    assert client.post("/v1/escalation-checks", headers=world.person("supervisor").headers).status_code == 403
    assert client.post("/v1/escalation-checks", headers=world.admin.headers).status_code == 200


def test_every_hold_appears_in_the_project_history(world, client):
    project = world.new_project()
    cm = world.person("customer_manager")
    hold = world.ok(client.post(f"/v1/projects/{project['id']}/holds", json={"reason": "site flooded",
                                "party": "external"}, headers=cm.headers), 201)
    world.ok(client.post(f"/v1/projects/{project['id']}/holds/{hold['id']}/release", headers=cm.headers))
    world.fire(project["id"], "accept", cm)
    types = [e["type"] for e in world.ok(client.get(f"/v1/projects/{project['id']}/history", headers=cm.headers))]
    assert {"hold.placed", "hold.released", "transition.fired", "project.received"} <= set(types)
    assert types.index("hold.placed") < types.index("hold.released")
    listed = world.ok(client.get(f"/v1/projects/{project['id']}/holds", headers=world.customers[0].headers))
    assert [h["party"] for h in listed] == ["external"] and listed[0]["released_at"] is not None


def test_holds_are_placed_by_the_projects_people_and_customers_only_for_themselves(world, client):
    project = world.new_project()
    url = f"/v1/projects/{project['id']}/holds"
    assert client.post(url, json={"reason": "x", "party": "external"},
                       headers=world.person("planner").headers).status_code == 403
    assert client.post(url, json={"reason": "x", "party": "external"},
                       headers=world.customers[0].headers).status_code == 403
    assert client.post(url, json={"reason": "waiting for our board", "party": "customer"},
                       headers=world.customers[0].headers).status_code == 201
    assert client.post(url, json={"reason": "x", "party": "customer"},
                       headers=world.customers[1].headers).status_code == 404
    released = client.post(f"{url}/{uuid.uuid4()}/release", headers=world.admin.headers)
    assert released.status_code == 404
