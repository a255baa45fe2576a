"""Workflow definitions as served to clients."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bizext.api.schemas.common import Label
from bizext.workflow.definitions import WorkflowDefinition
from bizext.workflow.guards import GUARDS


class StateOut(BaseModel):
    name: str
    label: Label
    side: str | None
    owner_role: str | None
    terminal: bool


class DestinationOut(BaseModel):
    state: str
    guards: list[str]
    unless: list[str]


class WorkflowTransitionOut(BaseModel):
    name: str
    label: Label
    from_states: list[str]
    to: list[DestinationOut]
    owner_role: str | None
    guards: list[str]
    unless: list[str]
    input_schema: dict[str, Any]


class GuardOut(BaseModel):
    name: str
    meaning: Label


class WorkflowSummary(BaseModel):
    key: str
    version: int
    versions: list[int]
    title: Label


class WorkflowOut(WorkflowSummary):
    initial: str
    states: list[StateOut]
    transitions: list[WorkflowTransitionOut]
    guards: list[GuardOut]

    @classmethod
    def of(cls, d: WorkflowDefinition, versions: list[int]) -> WorkflowOut:
        used = sorted({g for t in d.transitions for g in t.guards + t.unless
                       + tuple(x for dest in t.destinations for x in dest.guards + dest.unless)})
        return cls(
            key=d.key, version=d.version, versions=versions, title=Label(**d.title.as_dict()), initial=d.initial,
            states=[StateOut(name=s.name, label=Label(**s.label.as_dict()), side=s.side, owner_role=s.owner_role,
                             terminal=s.terminal) for s in d.states.values()],
            transitions=[WorkflowTransitionOut(
                name=t.name, label=Label(**t.label.as_dict()), from_states=list(t.sources),
                to=[DestinationOut(state=x.state, guards=list(x.guards), unless=list(x.unless))
                    for x in t.destinations],
                owner_role=t.explicit_owner_role or (d.state(t.sources[0]).owner_role
                                                     if len({d.state(s).owner_role for s in t.sources}) == 1
                                                     else None),
                guards=list(t.guards), unless=list(t.unless), input_schema=dict(t.input_schema))
                for t in d.transitions],
            guards=[GuardOut(name=g, meaning=Label(**GUARDS[g].meaning)) for g in used],
        )
