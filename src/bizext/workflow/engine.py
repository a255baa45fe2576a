"""The engine: who may fire which transition, whether its guards hold, whether its input is valid, and
where it leads. It decides and returns what happened; the service layer persists it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bizext.workflow.definitions import TransitionDef, WorkflowDefinition
from bizext.workflow.errors import (
    FieldProblem,
    InvalidInput,
    NotResponsible,
    OwnerRef,
    TransitionBlocked,
    TransitionNotAllowed,
)
from bizext.workflow.guards import GUARDS, ProjectFacts


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the domain needs to know it (authentication happens at the edge)."""

    kind: str  # "staff" | "customer" | "client" | "admin"
    id: str | None
    name: str
    roles: frozenset[str] = frozenset()
    customer_id: str | None = None  # for customer principals

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin" or "admin" in self.roles


@dataclass(frozen=True)
class Responsibility:
    """Why the actor may fire: as the owner, on behalf of the customer, or as an admin (with a reason)."""

    capacity: str  # "owner" | "on_behalf_of_customer" | "admin"
    on_behalf_of: str | None = None  # the customer id when acting for the customer


@dataclass(frozen=True)
class ProjectView:
    """The slice of a project the engine reasons about."""

    state: str
    facts: ProjectFacts
    customer_id: str
    customer_manager_id: str | None
    stage_owner: OwnerRef


@dataclass(frozen=True)
class StageLeft:
    state: str


@dataclass(frozen=True)
class StageEntered:
    state: str
    side: str | None
    owner_role: str | None
    terminal: bool


@dataclass(frozen=True)
class Move:
    """The outcome of firing: the new state, flags to record, and the domain events, in order."""

    transition: TransitionDef
    from_state: str
    to_state: str
    responsibility: Responsibility
    flags: Mapping[str, Any]
    events: tuple[Any, ...] = field(default_factory=tuple)


class _Token:
    """What the prebuilt `transitions.Machine` moves: a state and the facts its guards read."""

    __slots__ = ("state", "facts")

    def __init__(self, state: str, facts: ProjectFacts):
        self.state, self.facts = state, facts


def transition_owner(definition: WorkflowDefinition, t: TransitionDef, view: ProjectView) -> OwnerRef:
    """The one principal responsible for `t` from the project's current state."""
    role = t.owner_role(definition.state(view.state))
    if role == "customer":
        return OwnerRef("customer", view.customer_id)
    return view.stage_owner


def responsibility(definition: WorkflowDefinition, t: TransitionDef, view: ProjectView, actor: Actor,
                   admin_reason: str | None) -> Responsibility:
    """May `actor` fire `t`? Raises NotResponsible, or InvalidInput when an admin gives no reason."""
    owner = transition_owner(definition, t, view)
    if owner.kind == "customer":
        if actor.kind == "customer" and actor.customer_id == owner.id:
            return Responsibility("owner")
        if actor.kind == "staff" and actor.id is not None and actor.id == view.customer_manager_id:
            # 一口对外: the customer manager acts for the customer on customer-owned stages.
            return Responsibility("on_behalf_of_customer", on_behalf_of=owner.id)
    elif owner.kind == "staff" and actor.kind == "staff" and actor.id == owner.id:
        return Responsibility("owner")
    if actor.is_admin:
        if not (admin_reason and admin_reason.strip()):
            raise InvalidInput([FieldProblem("/admin_reason", "an admin acting for the owner must give a reason")],
                               detail="an admin may fire a transition it does not own only with a reason")
        return Responsibility("admin")
    raise NotResponsible(t.name, owner)


def failed_guards(t: TransitionDef, facts: ProjectFacts) -> list[str]:
    """Guards that stop `t` now (transition-level), described; empty when it may proceed."""
    reasons = []
    for g in t.guards:
        if not GUARDS[g].test(facts):
            reasons.append(f"requires that {GUARDS[g].meaning['en']}")
    for g in t.unless:
        if GUARDS[g].test(facts):
            reasons.append(f"not possible when {GUARDS[g].meaning['en']}")
    return reasons


def possible(definition: WorkflowDefinition, state: str) -> list[str]:
    return [t.name for t in definition.transitions_from(state)]


def find(definition: WorkflowDefinition, state: str, name: str) -> TransitionDef:
    t = definition.transition(name)
    if t is None or state not in t.sources:
        raise TransitionNotAllowed(name, state, possible(definition, state))
    return t


def validate_input(t: TransitionDef, payload: Any, now: datetime, today: date | None = None) -> dict[str, Any]:
    """Validate against the transition's JSON Schema, then the rules a schema cannot say (not in future).
    `today` is the local date in the project's region (dates like surveyed_on are local); UTC's by default."""
    problems = [
        FieldProblem("/input" + "".join(f"/{p}" for p in err.absolute_path), err.message)
        for err in sorted(t.validator.iter_errors(payload), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if not problems:
        for name in t.not_in_future:
            value = payload.get(name)
            if value is not None and _after(value, now, today or now.date()):
                problems.append(FieldProblem(f"/input/{name}", f"{name} may not lie in the future"))
    if problems:
        raise InvalidInput(problems, detail=f"the input of {t.name!r} is invalid")
    return payload


def _after(value: str, now: datetime, today: date) -> bool:
    if "T" in value or "t" in value:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) > now
    return date.fromisoformat(value) > today


def occurred_at(given: datetime | None, previous_at: datetime, now: datetime) -> datetime:
    """When a step happened: the instant the caller gave (checked below), or else now — but never before the
    previous step. That step may carry a later instant than this request's `now` without anything being wrong:
    another request recorded it after this one read the clock, or another API host whose clock runs a little
    ahead recorded it. Refusing a field the caller never sent would turn a lost race into a 422 (instead of its
    409) and a skew between hosts into failures."""
    if given is None:
        return max(now, previous_at)
    check_occurred_at(given, previous_at, now)
    return given


def check_occurred_at(occurred_at: datetime, previous_at: datetime, now: datetime) -> None:
    """Field work is recorded after the fact, but never in the future nor before the previous step."""
    if occurred_at.tzinfo is None:
        raise InvalidInput([FieldProblem("/occurred_at", "must carry a UTC offset (RFC 3339)")])
    if occurred_at > now:
        raise InvalidInput([FieldProblem("/occurred_at", "may not lie in the future")])
    if occurred_at < previous_at:
        raise InvalidInput([FieldProblem(
            "/occurred_at", f"may not lie before the previous step ({previous_at.isoformat()})")])


def fire(definition: WorkflowDefinition, view: ProjectView, name: str, payload: Any, actor: Actor, *,
         now: datetime, admin_reason: str | None = None, today: date | None = None) -> Move:
    """Decide the outcome of firing `name`, in the order an integrator can act on: does it leave this
    state (409), may this actor fire it (403), do its guards hold (409), is its input valid (422)."""
    t = find(definition, view.state, name)
    who = responsibility(definition, t, view, actor, admin_reason)
    reasons = failed_guards(t, view.facts)
    if reasons:
        raise TransitionBlocked(name, reasons, list(t.guards + t.unless))
    validate_input(t, payload, now, today)

    token = _Token(view.state, view.facts)
    if not definition.machine.events[name].trigger(token):
        # Every destination's own guard failed: the definition lacks an unconditional fallback.
        raise TransitionBlocked(name, ["no destination's guards hold for this project"], [])
    target = definition.state(token.state)
    return Move(
        transition=t, from_state=view.state, to_state=target.name, responsibility=who, flags=dict(t.sets),
        events=(StageLeft(view.state),
                StageEntered(target.name, target.side, target.owner_role, target.terminal)),
    )


def possible_destinations(t: TransitionDef, facts: ProjectFacts) -> list[str]:
    """Where `t` would lead for these facts (the first destination whose guards hold), or every
    candidate destination when none can be decided yet."""
    for d in t.destinations:
        if all(GUARDS[g].test(facts) for g in d.guards) and not any(GUARDS[g].test(facts) for g in d.unless):
            return [d.state]
    return list(t.targets)
