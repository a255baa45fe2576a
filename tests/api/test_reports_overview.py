"""The managers' overview (GET /v1/reports/overview), what the console's dashboard draws: open and overdue
projects by state and region and overdue stages by owner (now), time limits met per month, and the spread
of connection times. A fixed data set built through the API; the report is read on Tue 1 Dec 2026, 20:00
Shanghai time (the suite's clock)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_reports import local, lv

OVERVIEW = "/v1/reports/overview"


def overview(world: Any, as_: Any = None, **params: Any) -> dict[str, Any]:
    return world.ok(world.client.get(OVERVIEW, params=params, headers=(as_ or world.admin).headers))


@pytest.fixture
def data(world: Any, clock: Any) -> dict[str, dict[str, Any]]:
    """A: low voltage, pudong, received Mon 2 Nov 10:00, accepted Tue 3, contract Thu 5, energized Mon 9 Nov
    12:00 (7.1 calendar days). B: pudong, received Mon 23 Nov, still in application review (its 1-day
    acceptance limit long past). C: minhang, received today, in application review and on track."""
    a = lv(world, local(2, 10), [("accept", local(3, 12)), ("sign_contract", local(5, 18)),
                                 ("energize", local(9, 12))])
    b = lv(world, local(23, 10), [])
    c = lv(world, local(1, 19, month=12), [], region="minhang")
    return {"a": a, "b": b, "c": c}


def test_open_and_overdue_projects_are_counted_by_state_region_and_owner(world: Any, data: Any) -> None:
    o = overview(world, months=2)
    assert o["open_by_state"] == [{"workflow": "lv-simple", "state": "application_review",
                                   "label": {"zh": "业务受理", "en": "Application review"}, "side": "utility",
                                   "open": 2, "overdue": 1}]
    assert o["open_by_region"] == [{"region": "minhang", "open": 1, "overdue": 0},
                                   {"region": "pudong", "open": 1, "overdue": 1}]
    loads = {w["staff_id"]: (w["open_stages"], w["overdue_stages"]) for w in o["owners"]}
    assert loads == {world.person("customer_manager", "pudong").id: (1, 1),
                     world.person("customer_manager", "minhang").id: (1, 0)}


def test_time_limits_met_are_counted_per_local_month(world: Any, data: Any) -> None:
    o = overview(world, months=2)
    assert [m["month"] for m in o["months"]] == ["2026-11", "2026-12"]
    november = {c["clock"]: (c["stopped"], c["met"], c["met_percent"]) for c in o["months"][0]["clocks"]}
    assert november == {"acceptance": (1, 1, 100.0), "scheme_and_contract": (1, 1, 100.0),
                        "installation": (1, 1, 100.0), "utility_total": (1, 1, 100.0)}
    assert o["months"][1]["clocks"] == []  # nothing stopped in December yet
    assert o["period"] == {"from": "2026-11-01", "to": "2026-12-01", "start_at": "2026-10-31T16:00:00Z",
                           "end_at": "2026-12-01T16:00:00Z", "time_zone": "Asia/Shanghai"}


def test_connection_times_fall_into_calendar_day_buckets(world: Any, data: Any) -> None:
    o = overview(world, months=2)
    edges = o["connection_edges_days"]
    assert edges[0] == 0 and edges == sorted(edges)
    assert o["connection"] == [{"workflow": "lv-simple", "count": 1,
                                "counts": [1] + [0] * (len(edges) - 1)}]  # 7.1 days: the first bucket
    assert overview(world, months=1)["connection"] == []  # energized in November, not in December


def test_filters_narrow_it_to_a_region_or_a_workflow(world: Any, data: Any) -> None:
    o = overview(world, months=2, region="minhang")
    assert [(s["state"], s["open"], s["overdue"]) for s in o["open_by_state"]] == [("application_review", 1, 0)]
    assert o["connection"] == [] and o["region"] == "minhang"
    assert overview(world, months=2, workflow="hv-standard")["open_by_state"] == []


def test_only_managers_read_it_and_months_are_bounded(world: Any) -> None:
    for role in ("project_manager", "supervisor"):
        overview(world, as_=world.person(role))
    refused = world.client.get(OVERVIEW, headers=world.person("customer_manager").headers)
    assert refused.status_code == 403
    assert world.client.get(OVERVIEW, headers=world.customers[0].headers).status_code == 403
    for months in (0, 25):
        bad = world.client.get(OVERVIEW, params={"months": months}, headers=world.admin.headers)
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    unknown = world.client.get(OVERVIEW, params={"workflow": "nope"}, headers=world.admin.headers)
    assert unknown.status_code == 422
