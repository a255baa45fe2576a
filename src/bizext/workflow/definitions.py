"""Workflow definitions: loaded from YAML, validated at load, one prebuilt state machine per version.

A definition is the single source of truth of a workflow. Everything that needs to know what moves where
(the engine, the API's forms, the diagram, the tests) reads the `WorkflowDefinition` built here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from transitions import Machine

from bizext.workflow.clocks import ClockDef, EscalationLevel, Trigger
from bizext.workflow.errors import DefinitionError, UnknownWorkflow
from bizext.workflow.guards import GUARDS, ProjectFacts

DEFINITIONS_DIR = Path(__file__).parent / "definitions"

#: Who may own a stage. "customer" is the project's customer; every other role is a staff role.
OWNER_ROLES = frozenset(
    {"customer", "customer_manager", "planner", "design_reviewer", "inspector", "metering_technician"}
)
SIDES = frozenset({"utility", "customer"})
ANY_STATE = "*"
#: Added to every transition that enters a staff-owned state: DESIGN §7, explicit assignment first.
ASSIGN_TO_PROPERTY = {
    "type": "string",
    "format": "uuid",
    "title": "Assign the next stage to (staff id)",
    "x-label": {"zh": "下一环节责任人", "en": "Assign the next stage to"},
    "description": "Optional. Must hold the stage's role and be active; otherwise the engine picks.",
}
_TOP_LEVEL = {"key", "version", "title", "initial", "states", "transitions"}
_OPTIONAL = {"clocks"}
RECIPIENTS = frozenset({"stage_owner", "customer_manager", "project_manager", "supervisors"})
SUPPLIES = ("single", "dual")
_FORMATS = FormatChecker()


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class StateDef:
    name: str
    label: Label
    side: str | None  # "utility" | "customer"; None for terminal states
    owner_role: str | None  # None for terminal states
    terminal: bool
    follow_up: bool = False  # entering it opens a follow-up (回访) of the customer


@dataclass(frozen=True)
class Destination:
    state: str
    guards: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransitionDef:
    name: str
    label: Label
    sources: tuple[str, ...]
    destinations: tuple[Destination, ...]  # the first whose guards hold is taken
    guards: tuple[str, ...]
    unless: tuple[str, ...]
    explicit_owner_role: str | None
    sets: Mapping[str, Any]
    input_schema: Mapping[str, Any]
    not_in_future: tuple[str, ...]  # input fields (dates, instants) that may not lie after `now`
    validator: Draft202012Validator = field(compare=False, repr=False)

    def owner_role(self, source: StateDef) -> str:
        return self.explicit_owner_role or source.owner_role  # type: ignore[return-value]

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(d.state for d in self.destinations)


@dataclass(frozen=True)
class WorkflowDefinition:
    key: str
    version: int
    title: Label
    initial: str
    states: Mapping[str, StateDef]
    transitions: tuple[TransitionDef, ...]
    source: str
    machine: Machine = field(compare=False, repr=False)
    clocks: tuple[ClockDef, ...] = ()
    _by_name: dict[str, TransitionDef] = field(init=False, compare=False, repr=False)
    _by_source: dict[str, tuple[TransitionDef, ...]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Lookup tables built once at load, so the hot path never scans the transition list.
        object.__setattr__(self, "_by_name", {t.name: t for t in self.transitions})
        object.__setattr__(self, "_by_source", {
            s: tuple(t for t in self.transitions if s in t.sources) for s in self.states})

    def state(self, name: str) -> StateDef:
        return self.states[name]

    def transition(self, name: str) -> TransitionDef | None:
        return self._by_name.get(name)

    def transitions_from(self, state: str) -> tuple[TransitionDef, ...]:
        return self._by_source.get(state, ())

    def clock(self, name: str) -> ClockDef | None:
        return next((c for c in self.clocks if c.name == name), None)


class _Problem:
    """Collects the location of a definition error: file and entry."""

    def __init__(self, source: str):
        self.source = source

    def __call__(self, where: str, message: str) -> DefinitionError:
        return DefinitionError(f"{self.source}: {where}: {message}")


def _label(raw: Any, fail: _Problem, where: str) -> Label:
    if not isinstance(raw, dict) or not isinstance(raw.get("zh"), str) or not isinstance(raw.get("en"), str):
        raise fail(where, "label must be a mapping with 'zh' and 'en' strings")
    return Label(zh=raw["zh"], en=raw["en"])


def _names(raw: Any, fail: _Problem, where: str, what: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        raise fail(where, f"{what} must be a name or a list of names")
    for name in items:
        if what == "guard" and name not in GUARDS:
            raise fail(where, f"unknown guard {name!r} (known: {', '.join(sorted(GUARDS))})")
    return tuple(items)


def _states(raw: Any, fail: _Problem) -> dict[str, StateDef]:
    if not isinstance(raw, dict) or not raw:
        raise fail("states", "must be a non-empty mapping of state name to its description")
    states = {}
    for name, spec in raw.items():
        where = f"states.{name}"
        if not isinstance(spec, dict):
            raise fail(where, "must be a mapping")
        unknown = set(spec) - {"side", "owner", "label", "terminal", "follow_up"}
        if unknown:
            raise fail(where, f"unknown keys {sorted(unknown)}")
        terminal = bool(spec.get("terminal", False))
        side, owner = spec.get("side"), spec.get("owner")
        if terminal:
            if owner is not None or side is not None:
                raise fail(where, "a terminal state has no side and no owner")
        else:
            if owner is None:
                raise fail(where, "state has no owner role (every stage has exactly one responsible owner)")
            if isinstance(owner, list):
                raise fail(where, f"state has more than one owner role {owner}")
            if owner not in OWNER_ROLES:
                raise fail(where, f"unknown owner role {owner!r} (known: {', '.join(sorted(OWNER_ROLES))})")
            if side not in SIDES:
                raise fail(where, f"side must be one of {sorted(SIDES)}, not {side!r}")
        states[name] = StateDef(name, _label(spec.get("label"), fail, where), side, owner, terminal,
                                bool(spec.get("follow_up", False)))
    return states


def _input_schema(raw: Any, fail: _Problem, where: str, assignable: bool) -> dict[str, Any]:
    raw = raw or {}
    if not isinstance(raw, dict) or set(raw) - {"properties", "required"}:
        raise fail(where, "input must be a mapping with 'properties' and optionally 'required'")
    properties = dict(raw.get("properties") or {})
    required = list(raw.get("required") or [])
    missing = [r for r in required if r not in properties]
    if missing:
        raise fail(where, f"required input fields {missing} are not declared in properties")
    if assignable:
        properties.setdefault("assign_to", ASSIGN_TO_PROPERTY)
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = required
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise fail(where, f"input is not a valid JSON Schema: {exc.message}") from None
    return schema


def _transitions(raw: Any, states: dict[str, StateDef], fail: _Problem) -> list[TransitionDef]:
    if not isinstance(raw, list) or not raw:
        raise fail("transitions", "must be a non-empty list")
    live = [s for s in states.values() if not s.terminal]
    result: list[TransitionDef] = []
    seen: set[str] = set()
    for index, spec in enumerate(raw):
        name = spec.get("name") if isinstance(spec, dict) else None
        where = f"transitions[{index}] {name!r}"
        if not isinstance(name, str) or not name:
            raise fail(where, "every transition needs a name")
        if name in seen:
            raise fail(where, "duplicate transition name")
        seen.add(name)
        unknown = set(spec) - {"name", "label", "from", "to", "guards", "unless", "owner", "sets", "input"}
        if unknown:
            raise fail(where, f"unknown keys {sorted(unknown)}")

        raw_from = spec.get("from")
        sources = tuple(s.name for s in live) if raw_from == ANY_STATE else _names(raw_from, fail, where, "from")
        if not sources:
            raise fail(where, "'from' names no state")
        for s in sources:
            if s not in states:
                raise fail(where, f"unknown state {s!r} in 'from'")
            if states[s].terminal:
                raise fail(where, f"'from' names terminal state {s!r}")

        raw_to = spec.get("to")
        dest_specs = [{"state": raw_to}] if isinstance(raw_to, str) else raw_to
        if not isinstance(dest_specs, list) or not dest_specs:
            raise fail(where, "'to' must be a state or a list of {state, guards, unless}")
        destinations = []
        for d in dest_specs:
            if not isinstance(d, dict) or d.get("state") not in states:
                raise fail(where, f"unknown state {d.get('state') if isinstance(d, dict) else d!r} in 'to'")
            destinations.append(Destination(d["state"], _names(d.get("guards"), fail, where, "guard"),
                                            _names(d.get("unless"), fail, where, "guard")))

        owner = spec.get("owner")
        if isinstance(owner, list):
            raise fail(where, f"a transition has exactly one owner, not {owner}")
        if owner is not None and owner not in OWNER_ROLES:
            raise fail(where, f"unknown owner role {owner!r}")
        if owner is None:
            roles = sorted({states[s].owner_role for s in sources})  # type: ignore[type-var]
            if len(roles) > 1:
                raise fail(where, f"transition has two owners: its source states are owned by {roles}; "
                                  "declare one 'owner' or split the transition")

        assignable = any(states[d.state].owner_role not in (None, "customer") for d in destinations)
        schema = _input_schema(spec.get("input"), fail, where, assignable)
        not_in_future = tuple(k for k, p in schema["properties"].items()
                              if isinstance(p, dict) and p.get("x-not-in-future"))
        sets = spec.get("sets") or {}
        if not isinstance(sets, dict):
            raise fail(where, "'sets' must map flag names to values")
        result.append(TransitionDef(
            name=name, label=_label(spec.get("label"), fail, where), sources=sources,
            destinations=tuple(destinations), guards=_names(spec.get("guards"), fail, where, "guard"),
            unless=_names(spec.get("unless"), fail, where, "guard"), explicit_owner_role=owner,
            sets=sets, input_schema=schema, not_in_future=not_in_future,
            validator=Draft202012Validator(schema, format_checker=_FORMATS),
        ))
    return result


def _check_reachable(initial: str, states: dict[str, StateDef], transitions: list[TransitionDef],
                     fail: _Problem) -> None:
    reached, frontier = {initial}, [initial]
    while frontier:
        here = frontier.pop()
        for t in transitions:
            if here in t.sources:
                for target in t.targets:
                    if target not in reached:
                        reached.add(target)
                        frontier.append(target)
    for name in states:
        if name not in reached:
            raise fail(f"states.{name}", f"unreachable state (no path from {initial!r})")
    for s in states.values():
        if not s.terminal and not any(s.name in t.sources and t.explicit_owner_role is None for t in transitions):
            raise fail(f"states.{s.name}", "dead end: no transition of its owner leaves this state")


def _trigger(raw: Any, states: dict[str, StateDef], fail: _Problem, where: str) -> Trigger:
    if not isinstance(raw, dict) or set(raw) - {"enter", "leave", "from", "created", "terminal"}:
        raise fail(where, "a trigger is a mapping of enter/leave/from (state lists), created or terminal")
    lists = {k: _names(raw.get(k), fail, where, "state") for k in ("enter", "leave", "from")}
    for k, names in lists.items():
        for name in names:
            if name not in states:
                raise fail(where, f"unknown state {name!r} in '{k}'")
    if not (lists["enter"] or lists["leave"] or raw.get("created") or raw.get("terminal")):
        raise fail(where, "the trigger names no event")
    return Trigger(enter=lists["enter"], leave=lists["leave"], from_states=lists["from"],
                   created=bool(raw.get("created")))


def _clocks(raw: Any, states: dict[str, StateDef], fail: _Problem) -> tuple[ClockDef, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise fail("clocks", "must be a mapping of clock name to its description")
    result = []
    for name, spec in raw.items():
        where = f"clocks.{name}"
        if not isinstance(spec, dict) or set(spec) - {"label", "starts", "stops", "limit", "warning_days",
                                                      "escalation"}:
            raise fail(where, "keys are label, starts, stops, limit, warning_days, escalation")
        limit = spec.get("limit")
        limits = {"any": limit} if isinstance(limit, int) else limit
        if not isinstance(limits, dict) or not limits or any(
                k not in (*SUPPLIES, "any") or not isinstance(v, int) or v < 1 for k, v in limits.items()):
            raise fail(where, "limit must be a positive number of working days, or one per supply "
                              "{single: N, dual: M}")
        warning = spec.get("warning_days", 1)
        if not isinstance(warning, int | float) or warning < 0:
            raise fail(where, "warning_days must be a non-negative number")
        levels = _levels(spec["escalation"], fail, where) if spec.get("escalation") is not None else None
        result.append(ClockDef(
            name=name, label=_label(spec.get("label"), fail, where).as_dict(),
            starts=_trigger(spec.get("starts"), states, fail, f"{where}.starts"),
            stops=_trigger(spec.get("stops"), states, fail, f"{where}.stops"),
            limits=limits, warning_days=float(warning), custom_levels=levels))
    return tuple(result)


def _levels(raw: Any, fail: _Problem, where: str) -> tuple[EscalationLevel, ...]:
    if not isinstance(raw, list) or not raw:
        raise fail(where, "escalation must be a list of {level, kind, to, at}")
    levels = []
    for i, item in enumerate(raw):
        ok = (isinstance(item, dict) and isinstance(item.get("level"), int)
              and item.get("kind") in ("warning", "breach") and item.get("to") in RECIPIENTS
              and isinstance(item.get("at", 0), int | float))
        if not ok:
            raise fail(f"{where}.escalation[{i}]", "needs level (int), kind (warning|breach), "
                                                   f"to ({'|'.join(sorted(RECIPIENTS))}), at (days from deadline)")
        levels.append(EscalationLevel(item["level"], item["kind"], item["to"], float(item.get("at", 0))))
    if [lv.level for lv in levels] != sorted({lv.level for lv in levels}):
        raise fail(where, "escalation levels must be distinct and in increasing order")
    return tuple(levels)


def _guard_callable(name: str, negate: bool = False):
    test = GUARDS[name].test
    if negate:
        return lambda event: not test(event.model.facts)
    return lambda event: test(event.model.facts)


def _build_machine(key: str, states: dict[str, StateDef], initial: str,
                   transitions: list[TransitionDef]) -> Machine:
    machine = Machine(model=None, states=list(states), initial=initial, auto_transitions=False,
                      send_event=True, name=key)
    for t in transitions:
        for d in t.destinations:
            machine.add_transition(
                t.name, list(t.sources), d.state,
                conditions=[_guard_callable(g) for g in t.guards + d.guards],
                unless=[_guard_callable(g) for g in t.unless + d.unless],
            )
    return machine


def parse(text: str, source: str) -> WorkflowDefinition:
    """Parse and validate one definition; raises DefinitionError naming the file and the entry."""
    fail = _Problem(source)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise fail("yaml", str(exc)) from None
    if not isinstance(raw, dict):
        raise fail("document", "must be a mapping")
    unknown = {k for k in raw if not str(k).startswith("x-")} - _TOP_LEVEL - _OPTIONAL
    if unknown:
        raise fail("document", f"unknown keys {sorted(unknown)}")
    missing = _TOP_LEVEL - set(raw)
    if missing:
        raise fail("document", f"missing keys {sorted(missing)}")
    if not isinstance(raw["key"], str) or not isinstance(raw["version"], int) or raw["version"] < 1:
        raise fail("document", "'key' must be a string and 'version' a positive integer")
    states = _states(raw["states"], fail)
    initial = raw["initial"]
    if initial not in states or states[initial].terminal:
        raise fail("initial", f"{initial!r} is not a non-terminal state")
    transitions = _transitions(raw["transitions"], states, fail)
    _check_reachable(initial, states, transitions, fail)
    definition = WorkflowDefinition(
        key=raw["key"], version=raw["version"], title=_label(raw["title"], fail, "title"), initial=initial,
        states=states, transitions=tuple(transitions), source=source,
        machine=_build_machine(raw["key"], states, initial, transitions),
        clocks=_clocks(raw.get("clocks"), states, fail),
    )
    return definition


class Registry:
    """Every definition version, by key; a project keeps the version it started with."""

    def __init__(self, definitions: list[WorkflowDefinition]):
        self._by_key: dict[str, dict[int, WorkflowDefinition]] = {}
        for d in definitions:
            versions = self._by_key.setdefault(d.key, {})
            if d.version in versions:
                raise DefinitionError(f"{d.source}: duplicate {d.key} version {d.version} "
                                      f"(also in {versions[d.version].source})")
            versions[d.version] = d

    def get(self, key: str, version: int | None = None) -> WorkflowDefinition:
        versions = self._by_key.get(key)
        if not versions or (version is not None and version not in versions):
            raise UnknownWorkflow(key, version)
        return versions[version if version is not None else max(versions)]

    def latest(self) -> list[WorkflowDefinition]:
        return [versions[max(versions)] for _, versions in sorted(self._by_key.items())]

    def versions(self, key: str) -> list[int]:
        return sorted(self._by_key.get(key, {}))


def load_directory(directory: Path) -> Registry:
    return Registry([parse(p.read_text(encoding="utf-8"), p.name) for p in sorted(directory.glob("*.yaml"))])


@cache
def registry() -> Registry:
    """The built-in definitions, loaded and validated once per process."""
    return load_directory(DEFINITIONS_DIR)


__all__ = ["ProjectFacts", "Registry", "WorkflowDefinition", "TransitionDef", "StateDef", "registry", "parse"]
