"""The named guards, as DESIGN §3 words them."""

from __future__ import annotations

import pytest

from bizext.workflow.guards import (
    GUARDS,
    JOINT_REVIEW_CAPACITY_KVA,
    ProjectFacts,
    important_customer,
    intermediate_inspection_cleared,
    intermediate_inspection_passed,
    joint_review_needed,
)


def facts(supply: str = "single", capacity_kva: float = 800, important: bool = False,
          **flags: bool) -> ProjectFacts:
    return ProjectFacts(supply=supply, capacity_kva=capacity_kva, voltage_kv=10, important=important, flags=flags)


def test_joint_review_threshold_is_1260_kva():
    assert JOINT_REVIEW_CAPACITY_KVA == 1260


@pytest.mark.parametrize(("supply", "capacity_kva", "important", "needed"), [
    ("single", 800, False, False),
    ("single", 1259, False, False),
    ("single", 1259.99, False, False),
    ("single", 1260, False, True),  # "at least 1260 kVA": the boundary itself needs joint review
    ("single", 1260.01, False, True),
    ("single", 8000, False, True),
    ("dual", 100, False, True),
    ("dual", 8000, False, True),
    ("single", 100, True, True),
    ("dual", 1260, True, True),
])
def test_joint_review_is_needed_for_dual_supply_1260_kva_and_more_or_an_important_customer(
        supply, capacity_kva, important, needed):
    assert joint_review_needed(facts(supply, capacity_kva, important)) is needed


def test_important_customer_reads_the_important_fact():
    assert important_customer(facts(important=True)) is True
    assert important_customer(facts(important=False)) is False


def test_intermediate_inspection_passed_reads_the_recorded_flag():
    assert intermediate_inspection_passed(facts(important=True)) is False
    assert intermediate_inspection_passed(facts(important=True, intermediate_inspection_passed=False)) is False
    assert intermediate_inspection_passed(facts(important=True, intermediate_inspection_passed=True)) is True


@pytest.mark.parametrize(("important", "flags", "cleared"), [
    (False, {}, True),
    (False, {"intermediate_inspection_passed": True}, True),
    (True, {}, False),
    (True, {"intermediate_inspection_passed": False}, False),
    (True, {"intermediate_inspection_passed": True}, True),
])
def test_completion_inspection_is_cleared_when_not_important_or_intermediate_passed(important, flags, cleared):
    assert intermediate_inspection_cleared(facts(important=important, **flags)) is cleared


def test_every_guard_is_registered_under_its_own_name_with_a_meaning_in_both_languages():
    assert set(GUARDS) == {"joint_review_needed", "important_customer", "intermediate_inspection_passed",
                           "intermediate_inspection_cleared"}
    for name, guard in GUARDS.items():
        assert guard.name == name
        assert guard.meaning["en"] and guard.meaning["zh"]
    assert GUARDS["joint_review_needed"].test is joint_review_needed
    assert GUARDS["important_customer"].test is important_customer
    assert GUARDS["intermediate_inspection_passed"].test is intermediate_inspection_passed
    assert GUARDS["intermediate_inspection_cleared"].test is intermediate_inspection_cleared
