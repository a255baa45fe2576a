"""Progress, in the domain: the happy path read from the definitions, the steps of a project, and the forecast
chained on the working calendar (dates below are counted by hand on the 2026 mainland calendar)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bizext.workflow.calendars import WorkingCalendar
from bizext.workflow.definitions import parse, registry
from bizext.workflow.guards import ProjectFacts
from bizext.workflow.progress import (
    CURRENT,
    DONE,
    UPCOMING,
    CurrentStage,
    Median,
    Visit,
    destination,
    end_day,
    forecast,
    happy_path,
    reached,
    steps,
)
from tests.instants import MON_02_NOV_2026_9AM_SHANGHAI

HV = registry().get("hv-standard")
LV = registry().get("lv-simple")
CAL = WorkingCalendar("pudong")
REWORK_AND_FAILURE = {"awaiting_documents", "rectification", "rejected", "withdrawn"}


def facts(supply: str = "single", capacity_kva: float = 800, important: bool = False, **flags: bool) -> ProjectFacts:
    return ProjectFacts(supply=supply, capacity_kva=capacity_kva, voltage_kv=10, important=important, flags=flags)


def local(y: int, m: int, d: int, h: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as a UTC instant (24:00 of day d is local(y, m, d + 1))."""
    return datetime(y, m, d, h, minute, tzinfo=UTC) - timedelta(hours=8)


# -- the happy path ----------------------------------------------------------------------------------------

NOT_IMPORTANT_SINGLE = ("application_review", "site_survey", "scheme_drafting", "customer_construction",
                        "completion_inspection", "contract_signing", "energization", "energized")
IMPORTANT = ("application_review", "site_survey", "scheme_drafting", "scheme_review", "customer_design",
             "design_review", "customer_construction", "intermediate_inspection", "customer_construction",
             "completion_inspection", "contract_signing", "energization", "energized")


@pytest.mark.parametrize(("project", "expected"), [
    (facts("single", 800, False), NOT_IMPORTANT_SINGLE),
    # joint review for 1260 kVA and more, but no design review nor intermediate inspection
    (facts("single", 1260, False), NOT_IMPORTANT_SINGLE[:3] + ("scheme_review",) + NOT_IMPORTANT_SINGLE[3:]),
    (facts("dual", 800, False), NOT_IMPORTANT_SINGLE[:3] + ("scheme_review",) + NOT_IMPORTANT_SINGLE[3:]),
    # important: everything, construction resuming after the intermediate inspection
    (facts("single", 800, True), IMPORTANT),
    (facts("dual", 8000, True), IMPORTANT),
])
def test_the_hv_happy_path_takes_only_the_steps_the_facts_call_for(project, expected):
    assert happy_path(HV, project) == expected


def test_the_lv_happy_path_is_three_stages_to_energized():
    assert happy_path(LV, facts()) == ("application_review", "scheme_and_contract", "installation", "energized")


@pytest.mark.parametrize(("definition", "supply", "capacity", "important"),
                         list(itertools.product([HV, LV], ["single", "dual"], [100, 1260, 8000], [False, True])))
def test_no_happy_path_goes_through_a_rework_or_failure_state_and_every_one_ends_energized(
        definition, supply, capacity, important):
    path = happy_path(definition, facts(supply, capacity, important))
    assert path[0] == definition.initial and path[-1] == "energized"
    assert not REWORK_AND_FAILURE & set(path)


@given(supply=st.sampled_from(["single", "dual"]), capacity=st.floats(1, 100_000), important=st.booleans(),
       passed=st.booleans(), start=st.sampled_from(sorted(s for s in HV.states if not HV.state(s).terminal)))
def test_each_move_on_the_happy_path_is_one_the_engine_would_make_for_the_facts(
        supply, capacity, important, passed, start):
    here = facts(supply, capacity, important, intermediate_inspection_passed=passed)
    path = happy_path(HV, here, start)
    assert path[0] == start and path[-1] == "energized"
    for source, target in itertools.pairwise(path):
        fired = next((t for t in HV.transitions_from(source) if destination(t, here) == target), None)
        assert fired is not None, (source, target)
        here = ProjectFacts(here.supply, here.capacity_kva, here.voltage_kv, here.important,
                            {**here.flags, **fired.sets})


def test_from_a_rework_state_the_happy_path_rejoins_the_forward_path():
    assert happy_path(HV, facts(), "rectification") == (
        "rectification", "completion_inspection", "contract_signing", "energization", "energized")
    assert happy_path(HV, facts(), "awaiting_documents")[:3] == (
        "awaiting_documents", "application_review", "site_survey")


def test_a_passed_intermediate_inspection_takes_construction_straight_to_completion_inspection():
    assert happy_path(HV, facts(important=True), "customer_construction")[1] == "intermediate_inspection"
    assert happy_path(HV, facts(important=True, intermediate_inspection_passed=True),
                      "customer_construction")[1] == "completion_inspection"


def test_a_terminal_state_is_its_own_happy_path():
    assert happy_path(HV, facts(), "withdrawn") == ("withdrawn",)
    assert happy_path(HV, facts(), "energized") == ("energized",)


MINI = """
key: mini
version: 1
title: {zh: 小, en: Mini}
initial: a
states:
  a: {side: utility, owner: customer_manager, label: {zh: 甲, en: A}}
  b: {side: utility, owner: customer_manager, label: {zh: 乙, en: B}}
  c: {side: utility, owner: customer_manager, label: {zh: 丙, en: C}}
  done: {terminal: true, follow_up: true, label: {zh: 完, en: Done}}
  dropped: {terminal: true, label: {zh: 弃, en: Dropped}}
transitions:
  - {name: drop, label: {zh: 弃, en: Drop}, from: a, to: dropped}
  - {name: long_way, label: {zh: 长, en: Long}, from: a, to: b}
  - {name: via_c, label: {zh: 丙, en: Via C}, from: a, to: c}
  - {name: shortcut, label: {zh: 捷, en: Short}, from: a, to: done, guards: [important_customer]}
  - {name: b_to_c, label: {zh: 乙丙, en: B to C}, from: b, to: c}
  - {name: finish, label: {zh: 完, en: Finish}, from: c, to: done}
  - {name: finish_b, label: {zh: 完, en: Finish}, from: b, to: done}
"""


def test_the_happy_path_is_read_from_the_definition_shortest_first_then_in_definition_order():
    mini = parse(MINI, "mini.yaml")
    # never the failure terminal, though it is one move away; a guarded shortcut when the facts allow it;
    # among equally short paths, the transition listed first
    assert happy_path(mini, facts(important=False)) == ("a", "b", "done")
    assert happy_path(mini, facts(important=True)) == ("a", "done")


# -- the steps ---------------------------------------------------------------------------------------------

def visits(*spec: tuple[str, int, int | None]) -> list[Visit]:
    """(state, entered on day n of November, left on day m or None)."""
    return [Visit(s, sum(1 for x in spec[:i] if x[0] == s) + 1, local(2026, 11, a, 10),
                  local(2026, 11, b, 10) if b else None) for i, (s, a, b) in enumerate(spec)]


def test_steps_show_history_in_order_then_the_current_stage_then_the_path_ahead():
    history = visits(("application_review", 2, 3), ("awaiting_documents", 3, 5), ("application_review", 5, 6),
                     ("site_survey", 6, None))
    result = steps(HV, facts(), "site_survey", history)
    assert [(s.state, s.visit, s.status) for s in result] == [
        ("application_review", 1, DONE), ("awaiting_documents", 1, DONE), ("application_review", 2, DONE),
        ("site_survey", 1, CURRENT), ("scheme_drafting", 1, UPCOMING), ("customer_construction", 1, UPCOMING),
        ("completion_inspection", 1, UPCOMING), ("contract_signing", 1, UPCOMING), ("energization", 1, UPCOMING),
        ("energized", 1, UPCOMING)]
    assert result[1].completed_at == local(2026, 11, 5, 10) and result[3].since == local(2026, 11, 6, 10)


def test_rework_already_done_stays_in_the_steps_and_the_path_ahead_counts_visits_on():
    history = visits(("customer_construction", 2, 3), ("completion_inspection", 3, 4), ("rectification", 4, 5),
                     ("completion_inspection", 5, None))
    result = steps(HV, facts(), "completion_inspection", history)
    assert [(s.state, s.visit, s.status) for s in result][2:5] == [
        ("rectification", 1, DONE), ("completion_inspection", 2, CURRENT), ("contract_signing", 1, UPCOMING)]
    important = steps(HV, facts(important=True), "application_review", visits(("application_review", 2, None)))
    assert [(s.state, s.visit) for s in important if s.state == "customer_construction"] == [
        ("customer_construction", 1), ("customer_construction", 2)]


def test_a_withdrawn_project_ends_with_withdrawn_and_never_shows_energized():
    history = visits(("application_review", 2, 3), ("site_survey", 3, 4))
    result = steps(HV, facts(), "withdrawn", history, reached_at=local(2026, 11, 4, 10))
    assert [(s.state, s.status) for s in result] == [
        ("application_review", DONE), ("site_survey", DONE), ("withdrawn", DONE)]
    assert result[-1].completed_at == local(2026, 11, 4, 10)


# -- the forecast ------------------------------------------------------------------------------------------

MEDIANS = {"customer_construction": Median(10, 5), "contract_signing": Median(2.5, 3)}


def test_end_day_of_a_deadline_at_midnight_is_the_day_it_closes():
    assert end_day(CAL, local(2026, 11, 4)) == date(2026, 11, 3)
    assert end_day(CAL, local(2026, 11, 4, 0, 1)) == date(2026, 11, 4)


def test_a_new_lv_project_is_forecast_for_the_deadline_of_its_whole_process_limit():
    created = local(2026, 12, 1, 20)  # Tue
    acceptance = CurrentStage("application_review", created, "acceptance", local(2026, 12, 3), True)
    result = forecast(LV, "single", CAL, happy_path(LV, facts()), acceptance, {"acceptance"}, {}, created)
    # acceptance by 24:00 Wed 2 Dec; 2 working days (Thu 3, Fri 4); 3 more (Mon 7, Tue 8, Wed 9)
    assert [e.ends_on for e in result.basis] == [date(2026, 12, 2), date(2026, 12, 4), date(2026, 12, 9)]
    assert result.energized_on == date(2026, 12, 9) and result.depends_on_customer is False
    # ...which is the utility_total limit of 6 working days counted from the day after creation
    assert end_day(CAL, CAL.deadline(created, LV.clock("utility_total").limit_for("single"))) == date(2026, 12, 9)


def test_the_hv_forecast_chains_utility_time_limits_and_the_customers_median_days():
    now = MON_02_NOV_2026_9AM_SHANGHAI
    current = CurrentStage("application_review", now, "acceptance", local(2026, 11, 4), True)
    result = forecast(HV, "single", CAL, happy_path(HV, facts()), current, {"acceptance"}, MEDIANS, now)
    assert [(e.state, e.kind, e.days, e.day_kind, e.ends_on) for e in result.basis] == [
        ("application_review", "deadline", None, None, date(2026, 11, 3)),
        ("site_survey", "time_limit", 15, "working", date(2026, 11, 24)),  # Wed 4 … Tue 24
        ("scheme_drafting", "within_time_limit", None, None, date(2026, 11, 24)),  # the scheme reply limit
        ("customer_construction", "customer_median", 10, "calendar", date(2026, 12, 4)),
        ("completion_inspection", "time_limit", 5, "working", date(2026, 12, 11)),  # Mon 7 … Fri 11
        ("contract_signing", "customer_median", 2.5, "calendar", date(2026, 12, 14)),  # Mon 14, noon
        ("energization", "time_limit", 5, "working", date(2026, 12, 21)),  # Tue 15 … Mon 21
    ]
    assert result.energized_on == date(2026, 12, 21) and not result.depends_on_customer
    assert result.basis[2].clock == "scheme_reply" and result.basis[3].samples == 5


def test_dual_supply_takes_the_longer_scheme_reply_limit():
    now = MON_02_NOV_2026_9AM_SHANGHAI
    current = CurrentStage("application_review", now, "acceptance", local(2026, 11, 4), True)
    result = forecast(HV, "dual", CAL, happy_path(HV, facts("dual")), current, {"acceptance"}, MEDIANS, now)
    assert [(e.state, e.days) for e in result.basis[1:4]] == [
        ("site_survey", 30), ("scheme_drafting", None), ("scheme_review", None)]


def test_a_customer_step_without_history_leaves_the_date_to_the_customer():
    now = MON_02_NOV_2026_9AM_SHANGHAI
    current = CurrentStage("application_review", now, "acceptance", local(2026, 11, 4), True)
    result = forecast(HV, "single", CAL, happy_path(HV, facts()), current, {"acceptance"},
                      {"contract_signing": Median(2, 3)}, now)
    assert result.energized_on is None and result.depends_on_customer is True
    construction = next(e for e in result.basis if e.state == "customer_construction")
    assert construction.kind == "no_history" and "depends on you" in construction.explanation.en
    assert "取决于您" in construction.explanation.zh
    # the steps after it can no longer be dated, though their limits are still stated
    assert [(e.ends_on, e.days) for e in result.basis[4:]] == [(None, 5), (None, 2), (None, 5)]


def test_an_overdue_stage_is_expected_to_finish_now_and_the_chain_starts_from_now():
    now = local(2026, 11, 10, 9)  # Tue, the acceptance limit long gone
    current = CurrentStage("application_review", local(2026, 11, 2, 9), "acceptance", local(2026, 11, 4), False)
    result = forecast(HV, "single", CAL, happy_path(HV, facts()), current, {"acceptance"}, MEDIANS, now)
    assert (result.basis[0].kind, result.basis[0].ends_at) == ("overdue", now)
    assert result.basis[1].ends_on == date(2026, 12, 1)  # Wed 11 … Tue 1 Dec: 15 working days


def test_the_current_customer_step_counts_its_median_from_when_it_began():
    began = local(2026, 11, 2, 9)
    current = CurrentStage("customer_construction", began)
    path = happy_path(HV, facts(), "customer_construction")
    early = forecast(HV, "single", CAL, path, current, set(), MEDIANS, local(2026, 11, 5, 9))
    assert early.basis[0].ends_at == began + timedelta(days=10)
    late = forecast(HV, "single", CAL, path, current, set(), MEDIANS, local(2026, 11, 20, 9))
    assert late.basis[0].ends_at == local(2026, 11, 20, 9)  # past the median: expected any moment now
    assert late.energized_on > early.energized_on


def test_a_project_in_a_terminal_state_has_its_real_date_or_none():
    assert reached(HV, CAL, "energized", local(2026, 11, 27, 10)).energized_on == date(2026, 11, 27)
    assert reached(HV, CAL, "withdrawn", local(2026, 11, 27, 10)).energized_on is None
