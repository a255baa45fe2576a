"""Who owns a stage on entry (DESIGN §7): explicit choice, the project's named person, the least-loaded
eligible colleague in the region, or nobody (unassigned, which escalates)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Roles for which a project names one fixed person (一口对外: one customer manager per project).
NAMED_ROLES = {"customer_manager": "customer_manager_id", "project_manager": "project_manager_id"}


@dataclass(frozen=True)
class Candidate:
    staff_id: str
    open_stages: int
    name: str | None = None


@dataclass(frozen=True)
class Choice:
    """The owner picked for a stage, and why (recorded in the assignment history)."""

    kind: str  # "staff" | "customer" | "unassigned"
    staff_id: str | None
    basis: str  # "explicit" | "named" | "least_loaded" | "customer" | "unassigned"
    #: The owner's name when it was read while choosing (the answer shows it without reading it again).
    name: str | None = None


def least_loaded(candidates: Sequence[Candidate]) -> Candidate | None:
    """Fewest open stages wins; ties go to the lowest id so the choice is reproducible."""
    return min(candidates, key=lambda c: (c.open_stages, c.staff_id), default=None)
