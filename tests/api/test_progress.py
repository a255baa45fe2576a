"""GET /v1/projects/{id}/progress: a customer follows its project from application to energized.

Dates are counted by hand on the 2026 mainland calendar (November and December 2026 have no holidays)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

SCHEME = {"sources": [{"voltage_kv": 10, "capacity_kva": 800, "substation": "A", "feeder": "B"}],
          "metering": {"method": "high_supply_low_metering"}}
DEFECT = [{"item": "cable trench depth", "severity": "major"}]
DESIGN_STEPS = {"scheme_review", "customer_design", "design_review", "intermediate_inspection"}


def local(m: int, d: int, h: int = 0) -> datetime:
    """A 2026 Shanghai wall-clock time as a UTC instant."""
    return datetime(2026, m, d, h, tzinfo=UTC) - timedelta(hours=8)


def progress(world, project, as_=None, status=200, **headers):
    response = world.client.get(f"/v1/projects/{project['id']}/progress",
                                headers={**(as_ or world.customers[0]).headers, **headers})
    return world.ok(response, status)


def states(body, status=None):
    return [s["state"] for s in body["steps"] if status is None or s["status"] == status]


def move(world, clock_at, project, name, payload=None, at=None):
    if at is not None:
        clock_at(at)
    return world.fire(project["id"], name, world.owner_of(project), payload)["project"]


def energize_history(world, clock_at, start, construction_days, contract_days, customer=1):
    """An earlier project of another customer, energized with its customer steps taking these days."""
    clock_at(start)
    p = world.new_project(customer=customer)
    p = move(world, clock_at, p, "accept")
    p = move(world, clock_at, p, "complete_survey", {"surveyed_on": start.date().isoformat(), "findings": "ok"})
    p = move(world, clock_at, p, "reply_scheme", {"scheme": SCHEME, "reply_document_no": "R"})
    p = move(world, clock_at, p, "request_completion_inspection", at=start + timedelta(days=construction_days))
    p = move(world, clock_at, p, "pass_completion")
    signed = start + timedelta(days=construction_days + contract_days)
    p = move(world, clock_at, p, "sign_contract", {"contract_no": "C", "fees_settled": True}, at=signed)
    return move(world, clock_at, p, "energize", {"meter_ids": ["m"], "energized_at": signed.isoformat()})


def test_a_customer_follows_its_project_to_energized_and_sees_the_forecast_move(world, clock_at):
    # History: construction took 4, 6 and 20 days on earlier projects (median 6), contract signing 1, 2, 5 (2).
    for i, (construction, contract) in enumerate([(4, 1), (6, 2), (20, 5)]):
        energize_history(world, clock_at, local(9, 1 + 7 * i, 10), construction, contract)

    clock_at(local(11, 2, 9))  # Mon
    project = world.new_project()
    seen = progress(world, project)
    assert states(seen) == ["application_review", "site_survey", "scheme_drafting", "customer_construction",
                            "completion_inspection", "contract_signing", "energization", "energized"]
    current = seen["steps"][0]
    assert current["status"] == "current" and current["owner"]["name"] == "Customer Manager of Pudong"
    assert current["deadline_at"] == "2026-11-03T16:00:00Z" and current["on_track"] is True  # 24:00 Tue 3
    # acceptance by Tue 3; scheme reply 15 working days (Wed 4 … Tue 24); construction 6 days (Mon 30);
    # completion inspection 5 (Tue 1 … Mon 7 Dec); contract 2 days (Wed 9); energization 5 (Thu 10 … Wed 16)
    assert [(b["state"], b["ends_on"]) for b in seen["forecast"]["basis"]] == [
        ("application_review", "2026-11-03"), ("site_survey", "2026-11-24"), ("scheme_drafting", "2026-11-24"),
        ("customer_construction", "2026-11-30"), ("completion_inspection", "2026-12-07"),
        ("contract_signing", "2026-12-09"), ("energization", "2026-12-16")]
    assert seen["forecast"] | {"basis": None} == {"energized_on": "2026-12-16", "depends_on_customer": False,
                                                  "basis": None}
    construction = seen["forecast"]["basis"][3]
    assert (construction["days"], construction["day_kind"], construction["samples"]) == (6, "calendar", 3)
    forecasts = [seen["forecast"]["energized_on"]]

    # Accepted the same day: the scheme reply limit counts from Tue 3, so everything moves a day earlier.
    project = move(world, clock_at, project, "accept", at=local(11, 2, 15))
    forecasts.append(progress(world, project)["forecast"]["energized_on"])
    assert forecasts[-1] == "2026-12-11"

    project = move(world, clock_at, project, "complete_survey", {"surveyed_on": "2026-11-04", "findings": "ok"},
                   at=local(11, 4, 10))
    project = move(world, clock_at, project, "reply_scheme", {"scheme": SCHEME, "reply_document_no": "R-9"},
                   at=local(11, 6, 10))
    seen = progress(world, project)
    assert states(seen, "done") == ["application_review", "site_survey", "scheme_drafting"]
    assert all(s["completed_at"] for s in seen["steps"] if s["status"] == "done")
    current = next(s for s in seen["steps"] if s["status"] == "current")
    assert (current["state"], current["owner"]["name"], current["since"]) == (
        "customer_construction", "Huahong Data Centre", "2026-11-06T02:00:00Z")
    assert current["deadline_at"] is None and current["on_track"] is None  # the customer's own time
    # construction until Thu 12 (6 days); inspection Fri 13 … Thu 19; contract Sat 21; energization Mon 23 … Fri 27
    forecasts.append(seen["forecast"]["energized_on"])
    assert forecasts[-1] == "2026-11-27"

    # The customer takes longer than usual: the forecast slips with every day past the median.
    clock_at(local(11, 20, 10))
    forecasts.append(progress(world, project)["forecast"]["energized_on"])
    assert forecasts[-1] == "2026-12-04"

    project = move(world, clock_at, project, "request_completion_inspection")
    project = move(world, clock_at, project, "fail_completion", {"defects": DEFECT}, at=local(11, 23, 10))
    seen = progress(world, project)
    rectification = seen["forecast"]["basis"][0]
    assert (rectification["state"], rectification["kind"]) == ("rectification", "no_history")
    assert seen["forecast"]["energized_on"] is None and seen["forecast"]["depends_on_customer"] is True
    forecasts.append(None)

    project = move(world, clock_at, project, "request_reinspection", at=local(11, 24, 10))
    seen = progress(world, project)
    assert [(s["state"], s["visit"], s["status"]) for s in seen["steps"]][3:7] == [
        ("customer_construction", 1, "done"), ("completion_inspection", 1, "done"), ("rectification", 1, "done"),
        ("completion_inspection", 2, "current")]
    # re-inspection Wed 25 … Tue 1 Dec; contract Thu 3; energization Fri 4 … Thu 10
    forecasts.append(seen["forecast"]["energized_on"])
    assert forecasts[-1] == "2026-12-10"

    project = move(world, clock_at, project, "pass_completion", at=local(11, 25, 10))
    project = move(world, clock_at, project, "sign_contract", {"contract_no": "C-1", "fees_settled": True},
                   at=local(11, 26, 10))
    seen = progress(world, project)
    assert seen["steps"][-2]["owner"]["name"] == "Metering Technician of Pudong"
    forecasts.append(seen["forecast"]["energized_on"])
    assert forecasts[-1] == "2026-12-03"  # the energization deadline: Fri 27 … Thu 3

    project = move(world, clock_at, project, "energize", {"meter_ids": ["m-1"],
                                                          "energized_at": "2026-11-27T09:00:00+08:00"},
                   at=local(11, 27, 10))
    seen = progress(world, project)
    assert seen["terminal"] is True and [s["status"] for s in seen["steps"]] == ["done"] * len(seen["steps"])
    assert seen["steps"][-1]["state"] == "energized" and seen["steps"][-1]["completed_at"] == "2026-11-27T02:00:00Z"
    assert seen["forecast"] == {"energized_on": "2026-11-27", "depends_on_customer": False, "basis": []}
    forecasts.append("2026-11-27")
    assert forecasts == ["2026-12-16", "2026-12-11", "2026-11-27", "2026-12-04", None, "2026-12-10",
                         "2026-12-03", "2026-11-27"]


def test_skipped_steps_are_absent_for_a_plain_project_and_present_for_an_important_dual_one(world):
    plain = progress(world, world.new_project(supply="single", important=False, capacity_kva=800))
    assert not DESIGN_STEPS & set(states(plain))
    assert not {"awaiting_documents", "rectification", "rejected", "withdrawn"} & set(states(plain))

    important = progress(world, world.new_project(supply="dual", important=True, capacity_kva=8000))
    assert states(important) == [
        "application_review", "site_survey", "scheme_drafting", "scheme_review", "customer_design",
        "design_review", "customer_construction", "intermediate_inspection", "customer_construction",
        "completion_inspection", "contract_signing", "energization", "energized"]
    assert [s["visit"] for s in important["steps"] if s["state"] == "customer_construction"] == [1, 2]
    # dual supply: 30 working days for the scheme reply
    assert next(b for b in important["forecast"]["basis"] if b["state"] == "site_survey")["days"] == 30


def test_documents_requested_appear_once_visited(world):
    project = world.new_project()
    assert "awaiting_documents" not in states(progress(world, project))
    project = world.fire(project["id"], "request_documents", world.person("customer_manager"),
                         {"missing_documents": ["load list"]})["project"]
    seen = progress(world, project)
    assert [(s["state"], s["status"]) for s in seen["steps"][:3]] == [
        ("application_review", "done"), ("awaiting_documents", "current"), ("application_review", "upcoming")]


@pytest.mark.parametrize(("accept_language", "language"), [
    ("zh-CN", "zh"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("en-US,en;q=0.9,zh;q=0.8", "en"),
    ("fr-FR, zh;q=0.5", "zh"), ("fr", "en"), ("*", "en"), ("zh;q=0, en;q=0.1", "en"), (None, "en"),
])
def test_labels_follow_the_preferred_language(world, accept_language, language):
    project = world.new_project()
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = world.client.get(f"/v1/projects/{project['id']}/progress",
                                headers={**world.customers[0].headers, **headers})
    body = world.ok(response)
    assert body["language"] == language and response.headers["content-language"] == language
    expected = {"zh": ("业务受理", "高压业扩报装", "受理时限"), "en": ("Application review", "High-voltage connection",
                                                            "Acceptance")}[language]
    assert (body["steps"][0]["label"], body["workflow"]["title"]) == expected[:2]
    assert expected[2] in body["forecast"]["basis"][0]["explanation"]


def test_the_customer_sees_its_customer_manager_and_its_unanswered_questions_but_never_an_internal_note(
        world, client, clock):
    manager = world.ok(client.post("/v1/staff", json={
        "name": "Li Na", "region": "pudong", "roles": ["customer_manager"], "phone": "+86 21 5555 0101",
        "email": "li.na@example.com"}, headers=world.admin.headers), 201)
    project = world.new_project(customer_manager_id=manager["id"])
    url = f"/v1/projects/{project['id']}/messages"
    asked = world.ok(client.post(url, json={"body": "When will the survey team come?", "kind": "question"},
                                 headers=world.customers[0].headers), 201)
    clock.advance(minutes=5)
    answered = world.ok(client.post(url, json={"body": "Is the meter room ready?", "kind": "question"},
                                    headers=world.customers[0].headers), 201)
    world.ok(client.post(url, json={"body": "Customer is difficult; be careful.", "kind": "internal"},
                         headers=world.admin.headers), 201)
    world.ok(client.post(url, json={"body": "Yes, it is.", "kind": "answer", "reply_to": answered["id"]},
                         headers=world.admin.headers), 201)

    for reader in (world.customers[0], world.admin):
        response = world.client.get(f"/v1/projects/{project['id']}/progress", headers=reader.headers)
        seen = world.ok(response)
        assert seen["customer_manager"] == {"name": "Li Na", "phone": "+86 21 5555 0101",
                                            "email": "li.na@example.com"}
        assert [(q["id"], q["body"]) for q in seen["open_questions"]] == [(asked["id"], asked["body"])]
        assert seen["open_questions"][0]["answer_due_at"] == "2026-12-02T16:00:00Z"  # 24:00 Wed 2 Dec
        assert "difficult" not in response.text and "Yes, it is" not in response.text


def test_an_overdue_stage_is_off_track_and_the_forecast_runs_from_now(world, clock):
    project = world.new_project()
    clock.advance(days=3)  # Fri 4 Dec, 20:00: the acceptance limit (24:00 Wed 2) has passed
    seen = progress(world, project)
    assert seen["steps"][0]["on_track"] is False
    assert seen["forecast"]["basis"][0]["kind"] == "overdue"
    assert seen["forecast"]["basis"][0]["ends_on"] == "2026-12-04"


def test_the_lv_forecast_is_the_deadline_of_the_whole_process_limit(world):
    project = world.new_project(voltage_kv=0.4, capacity_kva=160)  # Tue 1 Dec, 20:00
    seen = progress(world, project)
    assert states(seen) == ["application_review", "scheme_and_contract", "installation", "energized"]
    total = next(c for c in project["clocks"] if c["name"] == "utility_total")
    assert seen["forecast"]["energized_on"] == "2026-12-09" and total["deadline_at"] == "2026-12-09T16:00:00Z"


def test_the_median_is_computed_over_other_projects_completed_steps_only(world, clock_at):
    # contract signing took 1, 2, 4 and 10 days: the median of an even count is the mean of the middle two
    for i, days in enumerate([10, 1, 4, 2]):
        energize_history(world, clock_at, local(9, 1 + 7 * i, 10), 3, days)
    # a withdrawal during construction says nothing about how long construction takes
    clock_at(local(10, 10, 10))
    dropped = world.new_project(customer=1)
    dropped = move(world, clock_at, dropped, "accept")
    dropped = move(world, clock_at, dropped, "complete_survey", {"surveyed_on": "2026-10-10", "findings": "ok"})
    dropped = move(world, clock_at, dropped, "reply_scheme", {"scheme": SCHEME, "reply_document_no": "R"})
    clock_at(local(11, 2, 9))
    world.fire(dropped["id"], "withdraw", world.customers[1], {"reason": "plans changed"})

    basis = {b["state"]: b for b in progress(world, world.new_project())["forecast"]["basis"]}
    assert (basis["contract_signing"]["days"], basis["contract_signing"]["samples"]) == (3, 4)
    assert (basis["customer_construction"]["days"], basis["customer_construction"]["samples"]) == (3, 4)


def test_a_withdrawn_project_ends_at_withdrawn_without_a_forecast(world):
    project = world.new_project()
    project = world.fire(project["id"], "withdraw", world.customers[0], {"reason": "moving"})["project"]
    seen = progress(world, project)
    assert states(seen) == ["application_review", "withdrawn"] and "energized" not in states(seen)
    assert seen["forecast"] == {"energized_on": None, "depends_on_customer": False, "basis": []}


def test_staff_and_integration_read_any_project_and_other_customers_get_404(world, client):
    project = world.new_project()
    for reader in (world.person("inspector", "minhang"), world.integration, world.admin):
        assert progress(world, project, as_=reader)["project_id"] == project["id"]
    stranger = progress(world, project, as_=world.customers[1], status=404)
    assert stranger["type"] == "/problems/not-found"
    assert progress(world, project, as_=world.checker, status=403)["type"] == "/problems/forbidden"
    assert client.get(f"/v1/projects/{project['id']}/progress").status_code == 401
    invalid = world.ok(client.get("/v1/projects/not-a-uuid/progress", headers=world.admin.headers), 422)
    assert invalid["errors"][0]["parameter"] == "project_id"
