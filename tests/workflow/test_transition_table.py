"""Every state × every transition of both workflows, at the engine: where each move leads, who may fire it,
which facts block it, and which input it takes.

The expected tables below are written by hand from DESIGN §3 and §4, NOT read from the YAML definitions,
so that a wrong definition fails here. (DESIGN §4 names lv-simple's states but not its transitions; its
names follow hv-standard's for the same steps: accept, sign_contract, energize.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bizext.workflow import engine
from bizext.workflow.definitions import registry
from bizext.workflow.engine import Actor, ProjectView
from bizext.workflow.errors import (
    InvalidInput,
    NotResponsible,
    OwnerRef,
    TransitionBlocked,
    TransitionNotAllowed,
)
from bizext.workflow.guards import ProjectFacts
from tests.instants import TUE_01_DEC_2026_NOON_UTC

NOW = TUE_01_DEC_2026_NOON_UTC

# -- DESIGN §3 / §4 by hand -----------------------------------------------------------------------------------

Destination = str | Callable[[ProjectFacts], str]


def scheme_reply(f: ProjectFacts) -> str:
    """reply_scheme / approve_scheme: to customer_design (important) or customer_construction (not)."""
    return "customer_design" if f.important else "customer_construction"


HV_OWNERS = {
    "application_review": "customer_manager",
    "awaiting_documents": "customer",
    "site_survey": "customer_manager",
    "scheme_drafting": "customer_manager",
    "scheme_review": "planner",
    "customer_design": "customer",
    "design_review": "design_reviewer",
    "customer_construction": "customer",
    "intermediate_inspection": "inspector",
    "completion_inspection": "inspector",
    "rectification": "customer",
    "contract_signing": "customer_manager",
    "energization": "metering_technician",
}
HV_MOVES: dict[str, dict[str, Destination]] = {
    "application_review": {"accept": "site_survey", "request_documents": "awaiting_documents",
                           "reject": "rejected"},
    "awaiting_documents": {"submit_documents": "application_review"},
    "site_survey": {"complete_survey": "scheme_drafting"},
    "scheme_drafting": {"submit_for_review": "scheme_review", "reply_scheme": scheme_reply},
    "scheme_review": {"approve_scheme": scheme_reply, "return_scheme": "scheme_drafting"},
    "customer_design": {"submit_design": "design_review"},
    "design_review": {"approve_design": "customer_construction", "return_design": "customer_design"},
    "customer_construction": {"request_intermediate_inspection": "intermediate_inspection",
                              "request_completion_inspection": "completion_inspection"},
    "intermediate_inspection": {"pass_intermediate": "customer_construction",
                                "fail_intermediate": "customer_construction"},
    "completion_inspection": {"pass_completion": "contract_signing", "fail_completion": "rectification"},
    "rectification": {"request_reinspection": "completion_inspection"},
    "contract_signing": {"sign_contract": "energization"},
    "energization": {"energize": "energized"},
}
LV_OWNERS = {
    "application_review": "customer_manager",
    "awaiting_documents": "customer",
    "scheme_and_contract": "customer_manager",
    "installation": "metering_technician",
}
LV_MOVES: dict[str, dict[str, Destination]] = {
    "application_review": {"accept": "scheme_and_contract", "request_documents": "awaiting_documents",
                           "reject": "rejected"},
    "awaiting_documents": {"submit_documents": "application_review"},
    "scheme_and_contract": {"sign_contract": "installation"},
    "installation": {"energize": "energized"},
}
TERMINAL = ("energized", "rejected", "withdrawn")


def _with_withdraw(moves: dict[str, dict[str, Destination]]) -> dict[str, dict[str, Destination]]:
    """withdraw leaves every non-terminal state for withdrawn; nothing leaves a terminal state."""
    table = {state: {**out, "withdraw": "withdrawn"} for state, out in moves.items()}
    return {**table, **{state: {} for state in TERMINAL}}


TABLES = {"hv-standard": (HV_OWNERS, _with_withdraw(HV_MOVES)), "lv-simple": (LV_OWNERS, _with_withdraw(LV_MOVES))}


def names_of(key: str) -> list[str]:
    return sorted({name for out in TABLES[key][1].values() for name in out})


# -- facts that make each transition's guard hold (DESIGN §3), and valid input -----------------------------

def facts(supply: str = "dual", capacity_kva: float = 4000, important: bool = True, **flags: bool) -> ProjectFacts:
    return ProjectFacts(supply=supply, capacity_kva=capacity_kva, voltage_kv=10, important=important, flags=flags)


IMPORTANT_DUAL = facts()
PLAIN = facts(supply="single", capacity_kva=800, important=False)  # no joint review, not important
FACTS_FOR = {
    "submit_for_review": IMPORTANT_DUAL,
    "reply_scheme": PLAIN,
    "request_intermediate_inspection": IMPORTANT_DUAL,
    "request_completion_inspection": PLAIN,
}

SCHEME = {"sources": [{"voltage_kv": 10, "capacity_kva": 4000, "substation": "110 kV Zhangjiang", "feeder": "Z12"}],
          "metering": {"method": "high_supply_high_metering"}}
DEFECTS = [{"item": "cable trench depth", "severity": "major", "note": "0.5 m instead of 0.7 m"}]
VALID_INPUT: dict[str, dict[str, Any]] = {
    "accept": {},
    "request_documents": {"missing_documents": ["load list"]},
    "submit_documents": {"documents": ["load list"]},
    "reject": {"reason": "outside the supply area"},
    "complete_survey": {"surveyed_on": "2026-11-30", "findings": "cable route along the east road"},
    "submit_for_review": {"scheme": SCHEME},
    "reply_scheme": {"scheme": SCHEME, "reply_document_no": "PD-2026-031"},
    "approve_scheme": {"reply_document_no": "PD-2026-044"},
    "return_scheme": {"comments": "second source from another substation"},
    "submit_design": {"design_document_no": "SJ-2026-118"},
    "approve_design": {},
    "return_design": {"issues": ["earthing grid drawing missing"]},
    "request_intermediate_inspection": {},
    "pass_intermediate": {},
    "fail_intermediate": {"defects": DEFECTS},
    "request_completion_inspection": {},
    "pass_completion": {},
    "fail_completion": {"defects": DEFECTS},
    "request_reinspection": {},
    "sign_contract": {"contract_no": "GYD-2026-0088", "fees_settled": True},
    "energize": {"meter_ids": ["3100012345"], "energized_at": "2026-12-01T10:00:00+08:00"},
    "withdraw": {"reason": "the factory moved elsewhere"},
}

# -- the people -------------------------------------------------------------------------------------------------

CUSTOMER_ID = "c0000000-0000-0000-0000-000000000001"
CUSTOMER = Actor(kind="customer", id=CUSTOMER_ID, name="Renji Hospital", customer_id=CUSTOMER_ID)
OTHER_CUSTOMER = Actor(kind="customer", id="c0000000-0000-0000-0000-000000000002", name="Huahong Data Centre",
                       customer_id="c0000000-0000-0000-0000-000000000002")
STAFF_ROLES = ("customer_manager", "planner", "design_reviewer", "inspector", "metering_technician")
#: The project's own staff: the customer manager named on it, and the person holding each other role.
STAFF = {role: Actor(kind="staff", id=f"5{i:07d}-0000-0000-0000-000000000000", name=f"{role} of Pudong",
                     roles=frozenset({role})) for i, role in enumerate(STAFF_ROLES)}
OTHER_CUSTOMER_MANAGER = Actor(kind="staff", id="5fffffff-0000-0000-0000-000000000000",
                               name="customer manager of Minhang", roles=frozenset({"customer_manager"}))
ADMIN = Actor(kind="admin", id=None, name="bootstrap admin", roles=frozenset({"admin"}))
STAFF_ADMIN = Actor(kind="staff", id="5aaaaaaa-0000-0000-0000-000000000000", name="admin of Pudong",
                    roles=frozenset({"admin"}))


def stage_owner_of(owners: dict[str, str], state: str) -> OwnerRef:
    role = owners.get(state)
    if role is None:
        return OwnerRef("unassigned")  # terminal: nobody (never consulted: nothing leaves it)
    if role == "customer":
        return OwnerRef("customer", CUSTOMER_ID)
    return OwnerRef("staff", STAFF[role].id, STAFF[role].name)


def view(key: str, state: str, f: ProjectFacts = IMPORTANT_DUAL, stage_owner: OwnerRef | None = None) -> ProjectView:
    owners = TABLES[key][0]
    return ProjectView(state=state, facts=f, customer_id=CUSTOMER_ID, customer_manager_id=STAFF["customer_manager"].id,
                       stage_owner=stage_owner or stage_owner_of(owners, state))


def owner_role(key: str, state: str, name: str) -> str:
    """Who fires `name` from `state`: the customer withdraws; otherwise the stage's owner."""
    return "customer" if name == "withdraw" else TABLES[key][0][state]


def actor_for(role: str) -> Actor:
    return CUSTOMER if role == "customer" else STAFF[role]


def fire(key: str, state: str, name: str, actor: Actor, f: ProjectFacts | None = None,
         payload: dict[str, Any] | None = None, admin_reason: str | None = None,
         stage_owner: OwnerRef | None = None) -> engine.Move:
    f = f if f is not None else FACTS_FOR.get(name, IMPORTANT_DUAL)
    return engine.fire(registry().get(key), view(key, state, f, stage_owner), name,
                       VALID_INPUT[name] if payload is None else payload, actor, now=NOW,
                       admin_reason=admin_reason)


def destination(key: str, state: str, name: str, f: ProjectFacts) -> str:
    dest = TABLES[key][1][state][name]
    return dest(f) if callable(dest) else dest


# -- the definitions hold exactly the design's transitions -----------------------------------------------------

@pytest.mark.parametrize("key", sorted(TABLES))
def test_definition_has_exactly_the_states_and_transition_names_of_the_design(key):
    definition = registry().get(key)
    assert set(definition.states) == set(TABLES[key][1])
    assert sorted(t.name for t in definition.transitions) == names_of(key)


# -- the full grid: every state × every transition name ---------------------------------------------------------

GRID = [(key, state, name) for key in sorted(TABLES) for state in TABLES[key][1] for name in names_of(key)]


@pytest.mark.parametrize(("key", "state", "name"), GRID, ids=[f"{k}:{s}:{n}" for k, s, n in GRID])
def test_every_transition_from_every_state_leads_where_the_design_says_or_is_not_allowed(key, state, name):
    allowed = TABLES[key][1][state]
    if name in allowed:
        f = FACTS_FOR.get(name, IMPORTANT_DUAL)
        move = fire(key, state, name, actor_for(owner_role(key, state, name)), f)
        assert (move.from_state, move.to_state) == (state, destination(key, state, name, f))
        assert move.responsibility.capacity == "owner"
        assert move.transition.name == name
        left, entered = move.events
        assert left == engine.StageLeft(state)
        assert entered.state == move.to_state
        assert entered.terminal is (move.to_state in TERMINAL)
    else:
        # Whoever asks, and whatever the facts: the move does not leave this state.
        for actor in (actor_for(TABLES[key][0].get(state, "customer")), ADMIN):
            with pytest.raises(TransitionNotAllowed) as caught:
                fire(key, state, name, actor, IMPORTANT_DUAL, admin_reason="testing")
            assert caught.value.state == state
            assert sorted(caught.value.allowed) == sorted(allowed)


@pytest.mark.parametrize("key", sorted(TABLES))
def test_an_unknown_transition_name_is_not_allowed_from_any_state(key):
    for state in TABLES[key][1]:
        with pytest.raises(TransitionNotAllowed) as caught:
            engine.fire(registry().get(key), view(key, state), "fly_to_the_moon", {}, ADMIN, now=NOW,
                        admin_reason="testing")
        assert sorted(caught.value.allowed) == sorted(TABLES[key][1][state])


# -- conditional destinations and guards -------------------------------------------------------------------------

@pytest.mark.parametrize(("f", "expected"), [
    (facts(supply="dual", capacity_kva=4000, important=True), "customer_design"),
    (facts(supply="single", capacity_kva=800, important=True), "customer_design"),
    (facts(supply="dual", capacity_kva=800, important=False), "customer_construction"),
    (facts(supply="single", capacity_kva=2000, important=False), "customer_construction"),
], ids=["important-dual", "important-single", "dual", "large"])
def test_approved_scheme_leads_important_customers_to_design_and_others_to_construction(f, expected):
    move = fire("hv-standard", "scheme_review", "approve_scheme", STAFF["planner"], f)
    assert move.to_state == expected


def test_replied_scheme_leads_a_customer_without_joint_review_to_construction():
    move = fire("hv-standard", "scheme_drafting", "reply_scheme", STAFF["customer_manager"], PLAIN)
    assert move.to_state == "customer_construction"


JOINT_REVIEW_CASES = [
    # (supply, capacity, important, joint review needed)
    ("single", 800, False, False),
    ("single", 1259.9, False, False),
    ("single", 1260, False, True),
    ("single", 5000, False, True),
    ("dual", 200, False, True),
    ("single", 200, True, True),
    ("dual", 5000, True, True),
]


@pytest.mark.parametrize(("supply", "capacity_kva", "important", "needed"), JOINT_REVIEW_CASES,
                         ids=[f"{s}-{c}kVA-{'important' if i else 'ordinary'}" for s, c, i, _ in JOINT_REVIEW_CASES])
def test_joint_review_decides_between_submitting_for_review_and_replying_directly(
        supply, capacity_kva, important, needed):
    f = facts(supply=supply, capacity_kva=capacity_kva, important=important)
    cm = STAFF["customer_manager"]
    allowed, blocked = ("submit_for_review", "reply_scheme") if needed else ("reply_scheme", "submit_for_review")
    move = fire("hv-standard", "scheme_drafting", allowed, cm, f)
    assert move.to_state == ("scheme_review" if needed else "customer_construction")
    with pytest.raises(TransitionBlocked) as caught:
        fire("hv-standard", "scheme_drafting", blocked, cm, f)
    assert caught.value.name == blocked
    assert caught.value.guards == ["joint_review_needed"]
    assert "joint scheme review is needed" in str(caught.value)


INSPECTION_CASES = [
    # (important, flags, intermediate inspection may be requested, completion inspection may be requested)
    (False, {}, False, True),
    (False, {"intermediate_inspection_passed": True}, False, True),
    (True, {}, True, False),
    (True, {"intermediate_inspection_passed": False}, True, False),
    (True, {"intermediate_inspection_passed": True}, False, True),
]


@pytest.mark.parametrize(("important", "flags", "intermediate", "completion"), INSPECTION_CASES,
                         ids=["ordinary", "ordinary-passed", "important", "important-not-passed",
                              "important-passed"])
def test_inspections_requested_from_construction_depend_on_importance_and_the_intermediate_result(
        important, flags, intermediate, completion):
    f = facts(important=important, **flags)
    for name, expected, to in (("request_intermediate_inspection", intermediate, "intermediate_inspection"),
                               ("request_completion_inspection", completion, "completion_inspection")):
        if expected:
            assert fire("hv-standard", "customer_construction", name, CUSTOMER, f).to_state == to
        else:
            with pytest.raises(TransitionBlocked) as caught:
                fire("hv-standard", "customer_construction", name, CUSTOMER, f)
            assert caught.value.name == name


def test_passing_the_intermediate_inspection_records_that_it_passed_and_failing_it_does_not():
    inspector = STAFF["inspector"]
    passed = fire("hv-standard", "intermediate_inspection", "pass_intermediate", inspector)
    failed = fire("hv-standard", "intermediate_inspection", "fail_intermediate", inspector)
    assert dict(passed.flags) == {"intermediate_inspection_passed": True}
    assert dict(failed.flags) == {}
    assert passed.to_state == failed.to_state == "customer_construction"


# -- withdraw --------------------------------------------------------------------------------------------------

LIVE = [(key, state) for key in sorted(TABLES) for state in TABLES[key][0]]
LIVE_IDS = [f"{k}:{s}" for k, s in LIVE]


@pytest.mark.parametrize(("key", "state"), LIVE, ids=LIVE_IDS)
def test_the_customer_withdraws_from_any_live_state(key, state):
    move = fire(key, state, "withdraw", CUSTOMER)
    assert move.to_state == "withdrawn"
    assert move.responsibility == engine.Responsibility("owner")


@pytest.mark.parametrize(("key", "state"), LIVE, ids=LIVE_IDS)
def test_the_customer_manager_withdraws_on_behalf_of_the_customer_from_any_live_state(key, state):
    move = fire(key, state, "withdraw", STAFF["customer_manager"])
    assert move.to_state == "withdrawn"
    assert move.responsibility == engine.Responsibility("on_behalf_of_customer", on_behalf_of=CUSTOMER_ID)


@pytest.mark.parametrize(("key", "state"), LIVE, ids=LIVE_IDS)
def test_nobody_else_withdraws_not_even_the_stage_owner(key, state):
    others = [OTHER_CUSTOMER, OTHER_CUSTOMER_MANAGER] + [STAFF[r] for r in STAFF_ROLES if r != "customer_manager"]
    for actor in others:
        with pytest.raises(NotResponsible) as caught:
            fire(key, state, "withdraw", actor)
        assert caught.value.owner == OwnerRef("customer", CUSTOMER_ID), actor.name


# -- who may fire ------------------------------------------------------------------------------------------------

ALLOWED = [(key, state, name) for key in sorted(TABLES) for state, out in TABLES[key][1].items()
           for name in out if name != "withdraw"]
ALLOWED_IDS = [f"{k}:{s}:{n}" for k, s, n in ALLOWED]


def _principals() -> dict[str, Actor]:
    return {"customer": CUSTOMER, **{role: STAFF[role] for role in STAFF_ROLES},
            "other customer": OTHER_CUSTOMER, "other customer manager": OTHER_CUSTOMER_MANAGER}


@pytest.mark.parametrize(("key", "state", "name"), ALLOWED, ids=ALLOWED_IDS)
def test_only_the_stage_owner_or_the_customer_manager_for_the_customer_may_fire(key, state, name):
    owner = TABLES[key][0][state]
    for who, actor in _principals().items():
        if who == owner:
            assert fire(key, state, name, actor).responsibility == engine.Responsibility("owner"), who
        elif owner == "customer" and who == "customer_manager":
            assert fire(key, state, name, actor).responsibility == engine.Responsibility(
                "on_behalf_of_customer", on_behalf_of=CUSTOMER_ID)
        else:
            with pytest.raises(NotResponsible) as caught:
                fire(key, state, name, actor)
            assert caught.value.owner == stage_owner_of(TABLES[key][0], state), who
            assert caught.value.transition == name


@pytest.mark.parametrize(("key", "state", "name"), ALLOWED, ids=ALLOWED_IDS)
def test_an_admin_fires_for_the_owner_only_with_a_reason(key, state, name):
    for admin in (ADMIN, STAFF_ADMIN):
        for reason in (None, "", "   "):
            with pytest.raises(InvalidInput) as caught:
                fire(key, state, name, admin, admin_reason=reason)
            assert [p.pointer for p in caught.value.errors] == ["/admin_reason"]
        move = fire(key, state, name, admin, admin_reason="owner on sick leave")
        assert move.responsibility == engine.Responsibility("admin")
        assert move.to_state == destination(key, state, name, FACTS_FOR.get(name, IMPORTANT_DUAL))


def test_a_planner_cannot_approve_a_design():
    with pytest.raises(NotResponsible, match="design_reviewer of Pudong"):
        fire("hv-standard", "design_review", "approve_design", STAFF["planner"])


def test_a_customer_cannot_pass_an_inspection():
    for state, name in (("intermediate_inspection", "pass_intermediate"),
                        ("completion_inspection", "pass_completion")):
        with pytest.raises(NotResponsible):
            fire("hv-standard", state, name, CUSTOMER)


def test_the_customer_manager_cannot_fire_a_customer_manager_stage_assigned_to_a_colleague():
    colleague = OwnerRef("staff", OTHER_CUSTOMER_MANAGER.id, OTHER_CUSTOMER_MANAGER.name)
    with pytest.raises(NotResponsible):
        fire("hv-standard", "site_survey", "complete_survey", STAFF["customer_manager"], stage_owner=colleague)
    move = fire("hv-standard", "site_survey", "complete_survey", OTHER_CUSTOMER_MANAGER, stage_owner=colleague)
    assert move.responsibility == engine.Responsibility("owner")


def test_an_unassigned_stage_is_fired_only_by_an_admin_with_a_reason():
    nobody = OwnerRef("unassigned")
    for actor in (STAFF["customer_manager"], STAFF["planner"], CUSTOMER):
        with pytest.raises(NotResponsible, match="unassigned"):
            fire("hv-standard", "scheme_review", "return_scheme", actor, stage_owner=nobody)
    move = fire("hv-standard", "scheme_review", "return_scheme", ADMIN, admin_reason="no planner yet",
                stage_owner=nobody)
    assert move.responsibility.capacity == "admin"


def test_responsibility_is_decided_before_guards_and_guards_before_input():
    # A stranger learns that it may not fire before it learns that the guard blocks;
    with pytest.raises(NotResponsible):
        fire("hv-standard", "scheme_drafting", "reply_scheme", STAFF["planner"], IMPORTANT_DUAL, payload={})
    # the owner learns that the guard blocks before being told the input is incomplete.
    with pytest.raises(TransitionBlocked):
        fire("hv-standard", "scheme_drafting", "reply_scheme", STAFF["customer_manager"], IMPORTANT_DUAL,
             payload={})


# -- input validation ------------------------------------------------------------------------------------------

LATER = (NOW + timedelta(seconds=1)).isoformat()
INVALID_INPUT = [
    # (id, key, state, transition, input, pointers, words in the messages)
    ("missing required field", "hv-standard", "site_survey", "complete_survey", {"findings": "ok"},
     ["/input"], "'surveyed_on' is a required property"),
    ("missing required input entirely", "hv-standard", "application_review", "reject", {},
     ["/input"], "'reason' is a required property"),
    ("extra field", "hv-standard", "application_review", "accept", {"colour": "red"},
     ["/input"], "'colour'"),
    ("extra field beside valid ones", "lv-simple", "application_review", "reject",
     {"reason": "outside the area", "colour": "red"}, ["/input"], "'colour'"),
    ("extra field in a defect", "hv-standard", "completion_inspection", "fail_completion",
     {"defects": [{**DEFECTS[0], "photo": "x.jpg"}]}, ["/input/defects/0"], "'photo'"),
    ("fees not settled", "hv-standard", "contract_signing", "sign_contract",
     {"contract_no": "GYD-1", "fees_settled": False}, ["/input/fees_settled"], "True was expected"),
    ("fees settled as a string", "hv-standard", "contract_signing", "sign_contract",
     {"contract_no": "GYD-1", "fees_settled": "true"}, ["/input/fees_settled"], ""),
    ("fees settled missing", "hv-standard", "contract_signing", "sign_contract",
     {"contract_no": "GYD-1"}, ["/input"], "'fees_settled' is a required property"),
    ("energized in the future", "hv-standard", "energization", "energize",
     {"meter_ids": ["1"], "energized_at": LATER}, ["/input/energized_at"], "may not lie in the future"),
    ("energized in the future, local offset", "lv-simple", "installation", "energize",
     {"meter_ids": ["1"], "energized_at": "2026-12-01T20:00:01+08:00"}, ["/input/energized_at"],
     "may not lie in the future"),
    ("energized_at without offset", "hv-standard", "energization", "energize",
     {"meter_ids": ["1"], "energized_at": "2026-12-01T10:00:00"}, ["/input/energized_at"], "date-time"),
    ("energized_at not an instant", "hv-standard", "energization", "energize",
     {"meter_ids": ["1"], "energized_at": "yesterday"}, ["/input/energized_at"], "date-time"),
    ("no meters", "hv-standard", "energization", "energize",
     {"meter_ids": [], "energized_at": "2026-12-01T10:00:00Z"}, ["/input/meter_ids"], ""),
    ("surveyed in the future", "hv-standard", "site_survey", "complete_survey",
     {"surveyed_on": "2026-12-02", "findings": "ok"}, ["/input/surveyed_on"], "may not lie in the future"),
    ("defect severity outside the enum", "hv-standard", "completion_inspection", "fail_completion",
     {"defects": [{"item": "relay settings", "severity": "catastrophic"}]}, ["/input/defects/0/severity"],
     "'catastrophic' is not one of ['minor', 'major', 'critical']"),
    ("intermediate defect severity outside the enum", "hv-standard", "intermediate_inspection",
     "fail_intermediate", {"defects": [DEFECTS[0], {"item": "earthing", "severity": "Major"}]},
     ["/input/defects/1/severity"], "is not one of"),
    ("defect without item", "hv-standard", "intermediate_inspection", "fail_intermediate",
     {"defects": [{"severity": "minor"}]}, ["/input/defects/0"], "'item' is a required property"),
    ("no defects", "hv-standard", "completion_inspection", "fail_completion", {"defects": []},
     ["/input/defects"], ""),
    ("empty document list", "lv-simple", "application_review", "request_documents",
     {"missing_documents": []}, ["/input/missing_documents"], ""),
    ("scheme without metering", "hv-standard", "scheme_drafting", "submit_for_review",
     {"scheme": {"sources": SCHEME["sources"]}}, ["/input/scheme"], "'metering' is a required property"),
    ("two problems, both reported", "hv-standard", "completion_inspection", "fail_completion",
     {"defects": [{"item": "", "severity": "huge"}]}, ["/input/defects/0/item", "/input/defects/0/severity"], ""),
    ("assign_to not a staff id", "hv-standard", "application_review", "accept", {"assign_to": "Zhang Wei"},
     ["/input/assign_to"], "uuid"),
    ("assign_to into a customer stage", "hv-standard", "application_review", "request_documents",
     {"missing_documents": ["load list"], "assign_to": STAFF["customer_manager"].id}, ["/input"], "'assign_to'"),
    ("withdraw without a reason", "lv-simple", "installation", "withdraw", {}, ["/input"],
     "'reason' is a required property"),
]


@pytest.mark.parametrize(("key", "state", "name", "payload", "pointers", "words"),
                         [case[1:] for case in INVALID_INPUT], ids=[case[0] for case in INVALID_INPUT])
def test_invalid_input_is_refused_with_pointers_under_input(key, state, name, payload, pointers, words):
    with pytest.raises(InvalidInput) as caught:
        fire(key, state, name, actor_for(owner_role(key, state, name)), payload=payload)
    problems = caught.value.errors
    assert problems and {p.pointer for p in problems} == set(pointers)
    assert words in " | ".join(p.message for p in problems)
    assert name in caught.value.detail


VALID_EDGE_INPUT = [
    ("energized just now", "hv-standard", "energization", "energize",
     {"meter_ids": ["1"], "energized_at": NOW.isoformat()}),
    ("energized just now, local offset", "lv-simple", "installation", "energize",
     {"meter_ids": ["1"], "energized_at": "2026-12-01T20:00:00+08:00"}),
    ("surveyed today", "hv-standard", "site_survey", "complete_survey", {"surveyed_on": "2026-12-01", "findings": "ok"}),
    ("a defect without a note", "hv-standard", "completion_inspection", "fail_completion",
     {"defects": [{"item": "relay settings", "severity": "critical"}]}),
    ("assign_to a staff id", "hv-standard", "application_review", "accept",
     {"assign_to": OTHER_CUSTOMER_MANAGER.id}),
]


@pytest.mark.parametrize(("key", "state", "name", "payload"), [c[1:] for c in VALID_EDGE_INPUT],
                         ids=[c[0] for c in VALID_EDGE_INPUT])
def test_input_at_the_edge_of_the_rules_is_accepted(key, state, name, payload):
    move = fire(key, state, name, actor_for(owner_role(key, state, name)), payload=payload)
    assert move.to_state == destination(key, state, name, FACTS_FOR.get(name, IMPORTANT_DUAL))


@pytest.mark.parametrize(("key", "state", "name"), ALLOWED + [(k, s, "withdraw") for k, s in LIVE],
                         ids=ALLOWED_IDS + [f"{k}:{s}:withdraw" for k, s in LIVE])
def test_a_comment_is_not_part_of_a_transitions_input(key, state, name):
    # DESIGN §3's "optional comment" travels beside the input (FireRequest.comment), never inside it.
    with pytest.raises(InvalidInput) as caught:
        fire(key, state, name, actor_for(owner_role(key, state, name)),
             payload={**VALID_INPUT[name], "comment": "done"})
    assert [p.pointer for p in caught.value.errors] == ["/input"]
