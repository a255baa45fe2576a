"""What can go wrong in the domain, in the domain's words (never an HTTP status)."""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    """Base of every refusal the domain can give."""


class DefinitionError(DomainError):
    """A workflow definition file is invalid; the message names the file and the entry."""


class UnknownWorkflow(DomainError):
    def __init__(self, key: str, version: int | None = None):
        self.key, self.version = key, version
        which = key if version is None else f"{key} v{version}"
        super().__init__(f"no workflow definition {which!r}")


@dataclass
class OwnerRef:
    """Who owns a stage: a staff member, the customer, or nobody yet."""

    kind: str  # "staff" | "customer" | "unassigned"
    id: str | None = None
    name: str | None = None


class TransitionNotAllowed(DomainError):
    """The transition does not leave the project's current state (or does not exist at all)."""

    def __init__(self, name: str, state: str, allowed: list[str]):
        self.name, self.state, self.allowed = name, state, allowed
        super().__init__(
            f"transition {name!r} is not possible from state {state!r}; "
            f"possible: {', '.join(allowed) or 'none (terminal state)'}"
        )


class TransitionBlocked(DomainError):
    """The transition leaves this state, but a guard on the project's facts is not met."""

    def __init__(self, name: str, reasons: list[str], guards: list[str]):
        self.name, self.reasons, self.guards = name, reasons, guards
        super().__init__(f"transition {name!r} is blocked: {'; '.join(reasons)}")


class NotResponsible(DomainError):
    """Only the stage's owner (and the two documented exceptions) may fire its transitions."""

    def __init__(self, transition: str, owner: OwnerRef):
        self.transition, self.owner = transition, owner
        who = {"staff": f"staff member {owner.name or owner.id}", "customer": "the customer",
               "unassigned": "nobody yet (the stage is unassigned)"}[owner.kind]
        super().__init__(f"only the responsible owner may fire {transition!r}; the owner is {who}")


@dataclass
class FieldProblem:
    pointer: str  # JSON Pointer into the request body
    message: str


@dataclass
class InvalidInput(DomainError):
    """Input that fails validation; each problem points at the offending field."""

    errors: list[FieldProblem] = field(default_factory=list)
    detail: str = "the request has invalid fields"

    def __post_init__(self) -> None:
        super().__init__(self.detail)


class OwnerNotEligible(DomainError):
    """A person proposed as owner does not hold the role, is inactive, or does not exist."""

    def __init__(self, staff_id: str, role: str, why: str, pointer: str = "/staff_id"):
        self.staff_id, self.role, self.why, self.pointer = staff_id, role, why, pointer
        super().__init__(f"staff member {staff_id} cannot own a {role} stage: {why}")
