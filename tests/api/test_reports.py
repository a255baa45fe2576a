"""Performance reports: a fixed data set, built through the API at fixed instants, whose figures are
computed by hand below; CSV; who may read; filters.

November 2026 in mainland China has no holiday and no adjusted working day: Monday to Friday count, and
a clock counts from 00:00 of the day after it starts. Times below are local (Asia/Shanghai)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPORT = "/v1/reports/performance"
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
SCHEME = {"sources": [{"voltage_kv": 10, "capacity_kva": 800, "substation": "A", "feeder": "B"}],
          "metering": {"method": "high_supply_low_metering"}}


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def lv(world: Any, received: datetime, steps: list[tuple[str, datetime]], **facts: Any) -> dict[str, Any]:
    """A low-voltage project (lv-simple) received at `received`, moved by its owners at the given instants."""
    project = world.new_project(received_at=received.isoformat(), voltage_kv=0.4, capacity_kva=100, **facts)
    return move(world, project, steps)


def move(world: Any, project: dict[str, Any], steps: list[tuple[str, datetime]]) -> dict[str, Any]:
    for name, at in steps:
        payload = {"request_documents": {"missing_documents": ["property deed"]},
                   "submit_documents": {"documents": ["property deed"]},
                   "sign_contract": {"contract_no": "C-1", "fees_settled": True},
                   "energize": {"meter_ids": ["M-1"], "energized_at": at.isoformat()}}.get(name, {})
        project = world.fire(project["id"], name, world.owner_of(project), payload,
                             occurred_at=at.isoformat())["project"]
    return project


def hold(world: Any, project: dict[str, Any], party: str, placed: datetime, released: datetime) -> None:
    admin = world.admin.headers
    h = world.ok(world.client.post(f"/v1/projects/{project['id']}/holds",
                                   json={"reason": "waiting", "party": party, "occurred_at": placed.isoformat()},
                                   headers=admin), 201)
    world.ok(world.client.post(f"/v1/projects/{project['id']}/holds/{h['id']}/release",
                               json={"occurred_at": released.isoformat()}, headers=admin))


def follow_up(world: Any, project: dict[str, Any], satisfaction: int, issues: list[str], times_match: bool) -> None:
    world.ok(world.client.post(f"/v1/projects/{project['id']}/follow-ups", json={
        "channel": "phone", "contacted_on": "2026-11-19", "satisfaction": satisfaction, "issues": issues,
        "times_match_records": times_match}, headers=world.person("customer_manager").headers))


def rate(world: Any, project: dict[str, Any], satisfaction: int) -> None:
    world.ok(world.client.post(f"/v1/projects/{project['id']}/feedback", json={"satisfaction": satisfaction},
                               headers=world.customers[0].headers), 201)


def report(world: Any, as_: Any = None, **params: str) -> dict[str, Any]:
    return world.ok(world.client.get(REPORT, params=params, headers=(as_ or world.admin).headers))


@pytest.fixture
def november(world: Any, clock: Any) -> dict[str, dict[str, Any]]:
    """Three low-voltage projects in pudong energized in November, one still waiting for acceptance.

    A: received Mon 2 10:00; accepted Tue 3 12:00; contract Thu 5 18:00; energized Mon 9 12:00.
    B: received Mon 2 09:00; documents requested Mon 2 15:00, submitted Wed 4 15:00 (customer time);
       accepted Fri 6 12:00; customer hold Mon 9 12:00 – Tue 10 12:00; contract Wed 11 12:00;
       energized Mon 16 18:00.
    C: received Mon 9 10:00; accepted Tue 10 06:00; contract Fri 13 12:00; energized Tue 17 12:00.
    Follow-ups closed Thu 19 10:00 (A: 5, no issue; B: 2 with an issue; C: 4 with an issue and times that do
    not match), customers rate A 4 and B 5; D received Mon 23 10:00 stays in application review; an
    escalation check runs Fri 27 10:00; the report is read on Tue 1 Dec 20:00.
    """
    clock.now = local(19, 10)
    a = lv(world, local(2, 10), [("accept", local(3, 12)), ("sign_contract", local(5, 18)),
                                 ("energize", local(9, 12))])
    b = lv(world, local(2, 9), [("request_documents", local(2, 15)), ("submit_documents", local(4, 15)),
                                ("accept", local(6, 12))])
    hold(world, b, "customer", local(9, 12), local(10, 12))
    b = move(world, b, [("sign_contract", local(11, 12)), ("energize", local(16, 18))])
    c = lv(world, local(9, 10), [("accept", local(10, 6)), ("sign_contract", local(13, 12)),
                                 ("energize", local(17, 12))])
    follow_up(world, a, 5, [], True)
    follow_up(world, b, 2, ["meter box door broken"], True)
    follow_up(world, c, 4, ["late call-back"], False)
    rate(world, a, 4)
    rate(world, b, 5)
    clock.now = local(27, 10)
    d = world.new_project(received_at=local(23, 10).isoformat(), voltage_kv=0.4, capacity_kva=100)
    raised = world.ok(world.client.post("/v1/escalation-checks", headers=world.checker.headers))["raised"]
    assert sorted((e["clock"], e["level"]) for e in raised) == [("acceptance", 1), ("acceptance", 2)]
    clock.now = local(1, 20, month=12)
    return {"a": a, "b": b, "c": c, "d": d}


def test_a_fixed_data_set_gives_the_hand_computed_figures(world, november):
    r = report(world, **NOVEMBER)
    assert r["period"] == {"from": "2026-11-01", "to": "2026-11-30", "start_at": "2026-10-31T16:00:00Z",
                           "end_at": "2026-11-30T16:00:00Z", "time_zone": "Asia/Shanghai"}
    clocks = {c["clock"]: (c["stopped"], c["met"], c["met_percent"], c["median_days"], c["p90_days"],
                           c["open_overdue"]) for c in r["clocks"]}
    assert {c["workflow"] for c in r["clocks"]} == {"lv-simple"}
    assert clocks == {
        # A: counts from Tue 3 00:00, stopped Tue 3 12:00 → 0.5 (met). B run 1: stopped Mon 2 15:00, before
        # counting began → 0 (met); run 2: started Wed 4 15:00, counts from Thu 5, stopped Fri 6 12:00 → 1.5
        # (missed, limit 1). C: Tue 10 00:00 → 06:00 → 0.25 (met). D: deadline Tue 24 24:00, open → overdue.
        # Sorted 0, 0.25, 0.5, 1.5: median (0.25 + 0.5) / 2 = 0.375; p90 rank ⌈0.9·4⌉ = 4 → 1.5; met 3/4 = 75 %.
        "acceptance": (4, 3, 75.0, 0.375, 1.5, 1),
        # A: from Wed 4, stopped Thu 5 18:00 → 1 + 0.75 = 1.75 (met, limit 2). B: from Sat 7 (Mon 9 first
        # working day) to Wed 11 12:00 → 2.5, minus the hold Mon 9 12:00 – Tue 10 12:00 (1) → 1.5 (met).
        # C: from Wed 11, stopped Fri 13 12:00 → 2.5 (missed). Sorted 1.5, 1.75, 2.5: median 1.75; p90 rank
        # ⌈2.7⌉ = 3 → 2.5; met 2/3 = 66.7 %.
        "scheme_and_contract": (3, 2, 66.7, 1.75, 2.5, 0),
        # A: from Fri 6, stopped Mon 9 12:00 → 1 + 0.5 = 1.5. B: from Thu 12 to Mon 16 18:00 → 2.75.
        # C: from Sat 14 to Tue 17 12:00 → 1.5. All within 3. Median 1.5, p90 2.75.
        "installation": (3, 3, 100.0, 1.5, 2.75, 0),
        # A: Tue 3 00:00 → Mon 9 12:00 = 4.5 (met, limit 6). B: Tue 3 00:00 → Mon 16 18:00 = 9.75 working
        # days, minus paused 2.625 (awaiting documents Tue 3 00:00 → Wed 4 15:00 = 1.625, the hold 1) =
        # 7.125 (missed). C: Tue 10 00:00 → Tue 17 12:00 = 5.5 (met). Median 5.5; p90 7.125; met 2/3.
        "utility_total": (3, 2, 66.7, 5.5, 7.125, 0),
        # Opened at energization, closed Thu 19 10:00 (10/24 = 0.41667 of a day). A: from Tue 10 → 7 days
        # + 10 h = 7.4167 (missed, limit 5). B: from Tue 17 → 2.4167. C: from Wed 18 → 1.4167.
        "follow_up": (3, 2, 66.7, 2.4167, 7.4167, 0),
    }
    assert next(c for c in r["clocks"] if c["clock"] == "acceptance")["label"] == {"zh": "受理时限",
                                                                                   "en": "Acceptance"}

    owners = {o["name"]: (o["open_stages"], o["overdue_stages"], o["escalations_received"], o["stages_measured"],
                          o["median_stage_days"]) for o in r["owners"]}
    assert owners == {
        # Stage clocks of the stages left in November (acceptance and scheme_and_contract): A 0.5, 1.75;
        # B 0, 1.5, 1.5; C 0.25, 2.5 → sorted 0, 0.25, 0.5, 1.5, 1.5, 1.75, 2.5: median (4th) 1.5.
        # D's application review is open, and its acceptance clock is overdue.
        "Customer Manager of Pudong": (1, 1, 0, 7, 1.5),
        # installation: 1.5, 2.75, 1.5 → median 1.5
        "Metering Technician of Pudong": (0, 0, 0, 3, 1.5),
        # D's acceptance breach (level 1) on Fri 27
        "Project Manager of Pudong": (0, 0, 1, 0, None),
        # D's level 2, and two quality escalations from the follow-ups of B (satisfaction 2) and C (times)
        "Supervisor of Pudong": (0, 0, 3, 0, None),
    }

    assert r["connection_time"] == [{
        "workflow": "lv-simple", "voltage_kv": 0.4, "supply": "single", "count": 3,
        # A: Mon 2 10:00 → Mon 9 12:00 = 7 d 2 h = 7.0833; B: Mon 2 09:00 → Mon 16 18:00 = 14 d 9 h = 14.375;
        # C: Mon 9 10:00 → Tue 17 12:00 = 8 d 2 h = 8.0833. Median 8.0833; mean (29 + 13/24) / 3 = 9.8472.
        "median_days": 8.0833, "mean_days": 9.8472,
        # Customer time: B's awaiting_documents, Mon 2 15:00 → Wed 4 15:00 = 2 → mean 2/3 = 0.6667; utility
        # time is the rest: (7.0833 + 12.375 + 8.0833) / 3 = 9.1806. B's customer hold: 1 day → mean 1/3.
        "mean_utility_days": 9.1806, "mean_customer_days": 0.6667,
        "mean_hold_days": {"customer": 0.3333, "external": 0.0, "utility": 0.0},
    }]
    # (5 + 2 + 4) / 3 = 3.67; issues in B and C: 2/3; times not matching in C: 1/3
    assert r["follow_ups"] == {"closed": 3, "mean_satisfaction": 3.67, "with_issues": 2, "issues_percent": 66.7,
                               "times_mismatch": 1, "times_mismatch_percent": 33.3}
    assert r["feedback"] == {"count": 2, "mean_satisfaction": 4.5}  # (4 + 5) / 2


def test_the_report_as_csv_has_one_section_per_table_with_the_json_figures(world, client, november):
    response = client.get(REPORT, params=NOVEMBER, headers={**world.admin.headers, "Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["vary"] == "Accept"
    sections: dict[str, list[dict[str, str]]] = {}
    header: list[str] | None = None
    for row in csv.reader(io.StringIO(response.text)):
        if not row:
            header = None
        elif header is None:
            header = row
            assert header[0] == "table"
        else:
            sections.setdefault(row[0], []).append(dict(zip(header, row, strict=True)))
    assert list(sections) == ["report", "clocks", "owners", "connection_time", "follow_ups", "feedback"]
    assert sections["report"][0]["from"] == "2026-11-01" and sections["report"][0]["region"] == ""
    acceptance = next(r for r in sections["clocks"] if r["clock"] == "acceptance")
    assert (acceptance["stopped"], acceptance["met_percent"], acceptance["median_days"], acceptance["label_en"]) == (
        "4", "75.0", "0.375", "Acceptance")
    connection = sections["connection_time"][0]
    assert (connection["count"], connection["median_days"], connection["mean_hold_days_customer"]) == (
        "3", "8.0833", "0.3333")
    assert sections["follow_ups"][0]["mean_satisfaction"] == "3.67"
    pm = next(r for r in sections["owners"] if r["name"] == "Project Manager of Pudong")
    assert pm["median_stage_days"] == "" and pm["escalations_received"] == "1"
    # JSON remains the default, and what a client asks for when it prefers it
    for accept in (None, "*/*", "application/json", "text/csv;q=0.5, application/json"):
        headers = {**world.admin.headers, **({"Accept": accept} if accept else {})}
        r = client.get(REPORT, params=NOVEMBER, headers=headers)
        assert r.headers["content-type"] == "application/json", accept


def test_an_empty_report_still_names_its_columns_in_csv(world, client):
    response = client.get(REPORT, headers={**world.admin.headers, "Accept": "text/csv"})
    rows = list(csv.reader(io.StringIO(response.text)))
    headers = [r for i, r in enumerate(rows) if r and (i == 0 or not rows[i - 1])]
    assert [h[:2] for h in headers] == [["table", "from"], ["table", "workflow"], ["table", "staff_id"],
                                        ["table", "workflow"], ["table", "closed"], ["table", "count"]]
    assert "mean_hold_days_external" in headers[3]


@pytest.mark.parametrize("role", ["project_manager", "supervisor", "admin"])
def test_managers_and_admins_read_the_report(world, role):
    assert report(world, world.person(role))["clocks"] == []


def test_customers_planners_and_client_systems_may_not_read_the_report(world, client):
    for who in (world.customers[0], world.person("planner"), world.person("customer_manager"), world.integration):
        response = client.get(REPORT, headers=who.headers)
        assert response.status_code == 403, who.name
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/forbidden"
    assert client.get(REPORT).status_code == 401


@pytest.mark.parametrize("params", [{"from": "2026-11-30", "to": "2026-11-01"}, {"workflow": "mv-express"},
                                    {"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "2026-13-01"}])
def test_an_impossible_period_or_unknown_workflow_is_invalid_input(world, client, params):
    response = client.get(REPORT, params=params, headers=world.admin.headers)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "/problems/invalid-input"


def test_the_period_defaults_to_this_month_up_to_today(world, clock):
    clock.now = local(1, 20, month=12)  # Tue 1 Dec 2026 20:00 in Shanghai (12:00 UTC)
    assert report(world)["period"]["from"] == "2026-12-01" and report(world)["period"]["to"] == "2026-12-01"
    assert report(world, to="2026-11-18")["period"]["from"] == "2026-11-01"


def test_region_workflow_and_period_narrow_the_report(world, clock):
    clock.now = local(30, 10)
    # Low voltage in pudong, energized in October (7 d) and in November (3 d); low voltage in minhang,
    # energized in November (5 d); high voltage in pudong, energized in November.
    lv(world, local(5, 10, month=10), [("accept", local(8, 10, month=10)), ("sign_contract", local(9, 10, month=10)),
                                       ("energize", local(12, 10, month=10))])
    lv(world, local(2, 10), [("accept", local(3, 10)), ("sign_contract", local(4, 10)), ("energize", local(5, 10))])
    lv(world, local(2, 10), [("accept", local(3, 10)), ("sign_contract", local(4, 10)), ("energize", local(7, 10))],
       region="minhang")
    hv = world.new_project(received_at=local(2, 10).isoformat())
    at = local(3, 10)
    for name, payload in [("accept", {}), ("complete_survey", {"surveyed_on": "2026-11-03", "findings": "ok"}),
                          ("reply_scheme", {"scheme": SCHEME, "reply_document_no": "R-1"}),
                          ("request_completion_inspection", {}), ("pass_completion", {}),
                          ("sign_contract", {"contract_no": "C-9", "fees_settled": True}),
                          ("energize", {"meter_ids": ["M-9"], "energized_at": local(12, 10).isoformat()})]:
        at = local(12, 10) if name == "energize" else at
        hv = world.fire(hv["id"], name, world.owner_of(hv), payload, occurred_at=at.isoformat())["project"]
        at = at.replace(hour=at.hour + 1)

    def connection(**params: str) -> list[tuple[str, str, int, float]]:
        return [(c["workflow"], c["supply"], c["count"], c["median_days"])
                for c in report(world, **params)["connection_time"]]

    # November, everywhere: lv 3 d (pudong) and 5 d (minhang): median 4; hv 10 d
    assert connection(**NOVEMBER) == [("hv-standard", "single", 1, 10.0), ("lv-simple", "single", 2, 4.0)]
    assert connection(**NOVEMBER, region="minhang") == [("lv-simple", "single", 1, 5.0)]
    assert connection(**NOVEMBER, region="pudong", workflow="lv-simple") == [("lv-simple", "single", 1, 3.0)]
    assert connection(**NOVEMBER, workflow="hv-standard") == [("hv-standard", "single", 1, 10.0)]
    assert connection(**{"from": "2026-10-01", "to": "2026-10-31"}) == [("lv-simple", "single", 1, 7.0)]
    assert connection(**{"from": "2026-12-01", "to": "2026-12-31"}) == []

    minhang = report(world, **NOVEMBER, region="minhang")
    assert {o["name"] for o in minhang["owners"]} == {"Customer Manager of Minhang", "Metering Technician of Minhang"}
    assert {(c["workflow"], c["clock"], c["stopped"]) for c in minhang["clocks"]} == {
        ("lv-simple", "acceptance", 1), ("lv-simple", "scheme_and_contract", 1), ("lv-simple", "installation", 1),
        ("lv-simple", "utility_total", 1), ("lv-simple", "follow_up", 0)}  # open, overdue since Nov 16
    hv_clocks = {c["clock"] for c in report(world, **NOVEMBER, workflow="hv-standard")["clocks"]}
    assert hv_clocks == {"acceptance", "scheme_reply", "completion_inspection", "energization", "utility_total",
                         "follow_up"}
    hv_owners = {o["name"] for o in report(world, **NOVEMBER, workflow="hv-standard")["owners"]}
    assert "Inspector of Pudong" in hv_owners and "Customer Manager of Minhang" not in hv_owners
