"""Random projects, random transitions fired by random principals through the use cases: whatever happens,
what the database holds afterwards keeps the workflow's invariants."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bizext.db.models import Base
from bizext.db.session import Database
from bizext.services import customers, projects, staff, transitions
from bizext.services.errors import ServiceError
from bizext.services.principals import BOOTSTRAP_ADMIN
from bizext.workflow import engine
from bizext.workflow.definitions import registry
from bizext.workflow.engine import Actor
from bizext.workflow.errors import DomainError
from tests.instants import TUE_01_DEC_2026_NOON_UTC

NOW = TUE_01_DEC_2026_NOON_UTC
RECEIVED_AT = NOW - timedelta(days=60)

# Pudong has every role, two customer managers and two inspectors (so least-loaded assignment has a choice);
# Minhang has only a customer manager, so its projects meet unassigned stages that only an admin can move.
STAFF = [
    ("pudong", "customer_manager"), ("pudong", "customer_manager"), ("pudong", "planner"),
    ("pudong", "design_reviewer"), ("pudong", "inspector"), ("pudong", "inspector"),
    ("pudong", "metering_technician"), ("pudong", "project_manager"), ("pudong", "admin"),
    ("minhang", "customer_manager"),
]
SCHEME = {"sources": [{"voltage_kv": 10, "capacity_kva": 2000, "substation": "110 kV Zhangjiang", "feeder": "Z12"}],
          "metering": {"method": "high_supply_high_metering"}}
DEFECTS = [{"item": "cable trench depth", "severity": "major"}]
VALID_INPUT: dict[str, dict[str, Any]] = {
    "request_documents": {"missing_documents": ["load list"]},
    "submit_documents": {"documents": ["load list"]},
    "reject": {"reason": "outside the supply area"},
    "complete_survey": {"surveyed_on": "2026-11-02", "findings": "cable route along the east road"},
    "submit_for_review": {"scheme": SCHEME},
    "reply_scheme": {"scheme": SCHEME, "reply_document_no": "PD-2026-031"},
    "approve_scheme": {"reply_document_no": "PD-2026-044"},
    "return_scheme": {"comments": "second source from another substation"},
    "submit_design": {"design_document_no": "SJ-2026-118"},
    "return_design": {"issues": ["earthing grid drawing missing"]},
    "fail_intermediate": {"defects": DEFECTS},
    "fail_completion": {"defects": DEFECTS},
    "sign_contract": {"contract_no": "GYD-2026-0088", "fees_settled": True},
    "energize": {"meter_ids": ["3100012345"], "energized_at": "2026-11-30T08:00:00Z"},
    "withdraw": {"reason": "the factory moved elsewhere"},
}
#: Moves that send a project back a stage.
REWORK = {"request_documents", "return_scheme", "return_design", "fail_intermediate", "fail_completion"}
PRINCIPALS = ("owner", "customer", "other customer", "customer manager", "other staff", "admin with reason",
              "admin without reason", "staff admin with reason", "staff admin without reason")
INPUTS = ("valid", "valid", "valid", "empty", "assign to someone")


@dataclass(frozen=True)
class People:
    staff: list[Actor]
    admins: frozenset[str]
    customers: list[Actor]

    @classmethod
    def create(cls, database: Database) -> People:
        """Once per test: the examples share the people and start each from no projects."""
        members, admins, clients = [], set(), []
        for n, (region, role) in enumerate(STAFF):
            with database.uow(write=True) as uow:
                d = staff.create(uow, BOOTSTRAP_ADMIN, name=f"{role} {n} of {region}", region=region, roles=[role],
                                 email=None, phone=None, active=True, now=RECEIVED_AT)
                actor = Actor(kind="staff", id=str(d.staff.id), name=d.staff.name, roles=frozenset(d.roles))
            members.append(actor)
            if role == "admin":
                admins.add(actor.id)
        for name in ("Renji Hospital", "Huahong Data Centre"):
            with database.uow(write=True) as uow:
                c = customers.create(uow, BOOTSTRAP_ADMIN, name=name, contact_name=None, phone=None, email=None,
                                     external_ref=None, now=RECEIVED_AT)
                clients.append(Actor(kind="customer", id=str(c.id), name=c.name, customer_id=str(c.id)))
        return cls(members, frozenset(admins), clients)


#: A new project's facts: 1260 kVA is the joint review boundary; Minhang has nobody for most stages.
PROJECT_FACTS = dict(
    workflow=st.sampled_from(["hv-standard", "hv-standard", "lv-simple"]), supply=st.sampled_from(["single", "dual"]),
    capacity_kva=st.sampled_from([100, 800, 1259, 1260, 4000]), important=st.booleans(),
    region=st.sampled_from(["pudong", "pudong", "minhang"]), customer=st.integers(0, 1))
#: What an example starts without: everything but the people.
PEOPLE_TABLES = {"staff", "staff_roles", "customers"}


class Workflow(RuleBasedStateMachine):
    """One example: projects (up to six, at most two under way at a time) and random fires at them."""

    def __init__(self, database: Database, people: People):
        super().__init__()
        self.database = database
        with database.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name not in PEOPLE_TABLES:
                    conn.execute(table.delete())
        self.staff, self.admins, self.customers = people.staff, people.admins, people.customers
        self.roles = {a.id: a.roles for a in self.staff}
        self.projects: list[uuid.UUID] = []
        self.fired: dict[uuid.UUID, int] = {}  # transitions the use case accepted, per project
        self.at = RECEIVED_AT
        self.touched: set[uuid.UUID] = set()
        self.live = 0  # projects not yet in a terminal state, as of the last check

    # -- rules -------------------------------------------------------------------------------------------

    @initialize(**PROJECT_FACTS)
    def first_project(self, **facts):
        self._create(**facts)

    # A new project while fewer than two are under way (finished ones only ever meet TransitionNotAllowed).
    @precondition(lambda self: len(self.projects) < 6 and self.live < 2)
    @rule(**PROJECT_FACTS)
    def another_project(self, **facts):
        self._create(**facts)

    def _create(self, workflow, supply, capacity_kva, important, region, customer):
        with self.database.uow(write=True) as uow:
            d = projects.create(uow, BOOTSTRAP_ADMIN, projects.NewProject(
                title="Data centre phase II", site_address="88 Zhangjiang Road",
                voltage_kv=10 if workflow == "hv-standard" else 0.4, capacity_kva=capacity_kva, supply=supply,
                important=important, region=region, customer_id=uuid.UUID(self.customers[customer].id),
                workflow=workflow, received_at=RECEIVED_AT), NOW)
            assert (d.project.state, d.definition.key) == ("application_review", workflow)
            project_id = d.project.id
        self.projects.append(project_id)
        self.fired[project_id] = 0
        self.touched.add(project_id)

    # Choices are small integers taken modulo the candidates at hand (the live projects, the transitions worth
    # trying from the current state), so they stay meaningful whatever state the projects have reached.
    @rule(project=st.integers(0, 5), transition=st.integers(0, 40), principal=st.sampled_from(PRINCIPALS),
          how=st.sampled_from(INPUTS), who=st.integers(0, 20), stray_reason=st.booleans(),
          minutes=st.integers(0, 180))
    def fire_anything(self, project, transition, principal, how, who, stray_reason, minutes):
        """Any transition of the definition, by any of the principals, with valid or invalid input."""
        self._fire(project, transition, principal, how, who, stray_reason, minutes, progress=False)

    @rule(project=st.integers(0, 5), transition=st.integers(0, 10), steps=st.integers(1, 4),
          principal=st.sampled_from(["owner", "owner", "customer manager"]), stray_reason=st.booleans(),
          minutes=st.integers(0, 180))
    def move_forward(self, project, transition, steps, principal, stray_reason, minutes):
        """Transitions out of the current state (not ending the project), their guards met, by the owner or
        the customer manager, with valid input: without these, random fires rarely get a project far (an
        important customer's intermediate inspection is eight moves in). Invariants are checked after each."""
        for _ in range(steps):
            self._fire(project, transition, principal, "valid", 0, stray_reason, minutes, progress=True)
            self.the_database_holds_a_consistent_history()

    def _fire(self, project: int, transition: int, principal: str, how: str, who: int, stray_reason: bool,
              minutes: int, progress: bool) -> None:
        with self.database.uow() as uow:
            live = [p.id for p in map(uow.projects.get, self.projects) if p.owner_kind is not None]
        # Mostly projects still under way: firing at finished ones only ever meets TransitionNotAllowed.
        candidates = live if progress else live + self.projects
        if not candidates:
            return
        project_id = candidates[project % len(candidates)]
        self.touched.add(project_id)
        with self.database.uow() as uow:
            before = uow.projects.get(project_id)
            assert before is not None
            state, version, customer_id = before.state, before.version, str(before.customer_id)
            cm_id = str(before.customer_manager_id) if before.customer_manager_id else None
            owner_kind, owner_id = before.owner_kind, before.owner_staff_id
            definition = registry().get(before.workflow_key, before.workflow_version)
            facts = projects.facts_of(before)
        forward = [t.name for t in definition.transitions_from(state) if t.name not in ("withdraw", "reject")]
        if progress:
            names = [n for n in forward if not engine.failed_guards(definition.transition(n), facts)]
            onward = [n for n in names if n not in REWORK]
            if onward and transition % 4:
                names = onward  # mostly onward; a rework loop one time in four
        else:
            # Weighted towards moves that leave the current state; the rest mostly meet TransitionNotAllowed.
            names = forward * 6 + [t.name for t in definition.transitions] + ["withdraw", "reject"]
        if not names:
            return
        name = names[transition % len(names)]
        actor, admin_reason = self._principal(principal, who, customer_id, cm_id, owner_kind, owner_id)
        if stray_reason and not actor.is_admin:
            admin_reason = "not an admin: ignored"  # and never recorded
        payload = dict(VALID_INPUT.get(name, {}))
        if how == "empty":
            payload = {}
        elif how == "assign to someone":
            payload["assign_to"] = self.staff[who % len(self.staff)].id
        self.at = min(self.at + timedelta(minutes=minutes), NOW)
        request = transitions.FireRequest(name, payload, occurred_at=self.at, admin_reason=admin_reason)
        step = (f"project {self.projects.index(project_id) + 1} ({definition.key}, {state}): {name} by {principal} "
                f"({actor.name}), {how} input, admin_reason={admin_reason!r}")
        try:
            with self.database.uow(write=True) as uow:
                record = transitions.fire(uow, actor, project_id, request, if_match=None, now=NOW).record
                fired = (record.name, record.from_state, record.to_state, record.capacity)
        except (DomainError, ServiceError) as refusal:
            note(f"{step} -> refused: {type(refusal).__name__}")
            with self.database.uow() as uow:
                after = uow.projects.get(project_id)
                # A refusal writes nothing.
                assert (after.state, after.version) == (state, version)
            return
        note(f"{step} -> {fired[2]} as {fired[3]}")
        self.fired[project_id] += 1
        fired_name, from_state, to_state, capacity = fired
        assert (fired_name, from_state) == (name, state)
        assert to_state in definition.transition(name).targets
        if actor.kind == "admin" or actor.id in self.admins:
            assert capacity == "admin" and admin_reason, principal

    def _principal(self, principal: str, who: int, customer_id: str, cm_id: str | None, owner_kind: str | None,
                   owner_id: uuid.UUID | None) -> tuple[Actor, str | None]:
        by_id = {a.id: a for a in self.staff}
        if principal == "owner":
            if owner_kind == "customer":
                return next(c for c in self.customers if c.id == customer_id), None
            if owner_kind == "staff":
                return by_id[str(owner_id)], None
            principal = "admin with reason"  # unassigned or terminal: nobody owns it
        if principal == "customer":
            return next(c for c in self.customers if c.id == customer_id), None
        if principal == "other customer":
            return next(c for c in self.customers if c.id != customer_id), None
        if principal == "customer manager" and cm_id is not None:
            return by_id[cm_id], None
        if principal in ("other staff", "customer manager"):
            others = [a for a in self.staff if a.id not in (cm_id, str(owner_id)) and a.id not in self.admins]
            return others[who % len(others)], None
        reason = "owner on sick leave" if principal.endswith("with reason") else None
        if principal.startswith("staff admin"):
            return by_id[next(iter(self.admins))], reason
        return BOOTSTRAP_ADMIN, reason

    # -- invariants --------------------------------------------------------------------------------------

    @invariant()
    def the_database_holds_a_consistent_history(self):
        # Only the project a step touched can have changed; each is checked again after each of its steps.
        with self.database.uow() as uow:
            for project_id in self.touched:
                self._check(uow, project_id)
            self.live = sum(uow.projects.get(p).owner_kind is not None for p in self.projects)
        self.touched.clear()

    def _check(self, uow, project_id: uuid.UUID) -> None:
        project = uow.projects.get(project_id)
        definition = registry().get(project.workflow_key, project.workflow_version)
        assert project.state in definition.states
        terminal = definition.state(project.state).terminal

        # history: a chain from the initial state to the current one, numbered 1..n
        history = uow.projects.transitions(project_id)
        assert len(history) == self.fired[project_id]
        assert [r.seq for r in history] == list(range(1, len(history) + 1))
        chain = [definition.initial] + [r.to_state for r in history]
        assert [r.from_state for r in history] == chain[:-1]
        assert chain[-1] == project.state
        assert project.version == 1 + len(history)
        assert not any(definition.state(r.from_state).terminal for r in history)
        assert [r.occurred_at for r in history] == sorted(r.occurred_at for r in history)

        # stages: one per visit, entered by the previous transition, left by the next one; one open unless
        # the project is finished
        stages = {s.entered_by_transition_id: s for s in uow.projects.stages(project_id)}
        assert len(stages) == len(history) + (0 if terminal else 1)
        entered_by = [None] + [r.id for r in history if not definition.state(r.to_state).terminal]
        assert set(stages) == set(entered_by)
        open_stages = [s for s in stages.values() if s.left_at is None]
        if terminal:
            assert open_stages == []
            assert (project.owner_kind, project.owner_staff_id) == (None, None)
        else:
            assert [s.state for s in open_stages] == [project.state]
            assert (open_stages[0].owner_kind, open_stages[0].owner_staff_id) == (
                project.owner_kind, project.owner_staff_id)
        visits: dict[str, int] = {}
        for k, transition_id in enumerate(entered_by):
            stage = stages[transition_id]
            assert stage.state == chain[k]
            visits[stage.state] = visits.get(stage.state, 0) + 1
            assert stage.visit == visits[stage.state]
            if k < len(history):
                assert stage.left_at == history[k].occurred_at
            self._check_stage_owner(definition, stage)

        # responsibility: every move was made by the one responsible for it, or for them, on the record
        for k, record in enumerate(history):
            left = stages[entered_by[k]]
            assert left.state == record.from_state
            role = definition.transition(record.name).owner_role(definition.state(record.from_state))
            if record.capacity == "owner":
                if role == "customer":
                    assert (record.actor_kind, record.actor_id) == ("customer", str(project.customer_id))
                else:
                    assert left.owner_kind == "staff"
                    assert (record.actor_kind, record.actor_id) == ("staff", str(left.owner_staff_id))
                assert (record.on_behalf_of, record.admin_reason) == (None, None)
            elif record.capacity == "on_behalf_of_customer":
                assert role == "customer"
                assert (record.actor_kind, record.actor_id) == ("staff", str(project.customer_manager_id))
                assert record.on_behalf_of == str(project.customer_id)
                assert record.admin_reason is None
            else:
                assert record.capacity == "admin", record.capacity
                assert record.actor_kind == "admin" or record.actor_id in self.admins
                assert record.admin_reason and record.admin_reason.strip()

        # flags: recorded by the transition that sets them
        passed = any(r.name == "pass_intermediate" for r in history)
        assert bool((project.flags or {}).get("intermediate_inspection_passed")) is passed

    def _check_stage_owner(self, definition, stage) -> None:
        role = definition.state(stage.state).owner_role
        if role == "customer":
            assert (stage.owner_kind, stage.owner_staff_id) == ("customer", None)
        elif stage.owner_kind == "staff":
            assert role in self.roles[str(stage.owner_staff_id)], (stage.state, role)
        else:
            assert (stage.owner_kind, stage.owner_staff_id) == ("unassigned", None)


def test_random_transitions_by_random_principals_keep_the_workflow_invariants(db):
    people = People.create(db)
    run_state_machine_as_test(
        lambda: Workflow(db, people),
        # No shrinking: every step goes through the database, so shrinking a failure takes minutes. A failure
        # is reported at once with its steps (at most 30) and a note of what each fire meant; add Phase.shrink
        # to `phases` when a minimal example is worth the wait.
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow]),
    )
