"""Named guards: yes/no questions about a project's facts, referenced by name from the definitions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

#: Joint scheme review (方案会审) is needed from this capacity upwards.
JOINT_REVIEW_CAPACITY_KVA = 1260


@dataclass(frozen=True)
class ProjectFacts:
    """What guards may look at: the application's facts plus flags that transitions record."""

    supply: str  # "single" | "dual"
    capacity_kva: float
    voltage_kv: float
    important: bool
    flags: Mapping[str, bool] = field(default_factory=dict)


def joint_review_needed(f: ProjectFacts) -> bool:
    return f.supply == "dual" or f.capacity_kva >= JOINT_REVIEW_CAPACITY_KVA or f.important


def important_customer(f: ProjectFacts) -> bool:
    return f.important


def intermediate_inspection_passed(f: ProjectFacts) -> bool:
    return bool(f.flags.get("intermediate_inspection_passed"))


def intermediate_inspection_cleared(f: ProjectFacts) -> bool:
    """Completion inspection may be requested: not important, or its intermediate inspection passed."""
    return not f.important or intermediate_inspection_passed(f)


@dataclass(frozen=True)
class Guard:
    name: str
    test: Callable[[ProjectFacts], bool]
    #: Says, in both languages, what is true when the guard holds (used in blocked reasons and docs).
    meaning: Mapping[str, str]


GUARDS: Mapping[str, Guard] = {
    g.name: g
    for g in (
        Guard("joint_review_needed", joint_review_needed,
              {"en": "joint scheme review is needed (dual supply, capacity of at least "
                     f"{JOINT_REVIEW_CAPACITY_KVA} kVA, or an important customer)",
               "zh": "需要供电方案会审（双电源、容量不小于1260 kVA或重要电力用户）"}),
        Guard("important_customer", important_customer,
              {"en": "the customer is an important power user", "zh": "客户为重要电力用户"}),
        Guard("intermediate_inspection_passed", intermediate_inspection_passed,
              {"en": "the intermediate inspection has passed", "zh": "中间检查已合格"}),
        Guard("intermediate_inspection_cleared", intermediate_inspection_cleared,
              {"en": "the customer is not important, or its intermediate inspection has passed",
               "zh": "非重要电力用户，或中间检查已合格"}),
    )
}
