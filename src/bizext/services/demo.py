"""A small, realistic data set for a newcomer: two districts' staff, three customers, and projects spread
over the workflow, each moved there by its real owners through the same use cases the API calls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bizext.db.session import UnitOfWork
from bizext.services import accounts, customers, projects, staff, tokens, transitions
from bizext.services.principals import BOOTSTRAP_ADMIN
from bizext.workflow.engine import Actor

REGIONS = ("pudong", "minhang")
ROLES = ("customer_manager", "customer_manager", "planner", "design_reviewer", "inspector",
         "metering_technician", "project_manager", "supervisor")
SURNAMES = ("Zhang", "Wang", "Li", "Zhao", "Chen", "Liu", "Yang", "Huang", "Zhou", "Wu", "Xu", "Sun",
            "Ma", "Zhu", "Hu", "Guo")
GIVEN = ("Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Jun", "Tao")
MARKER_EMAIL = "admin@demo.bizext.local"
#: Every demo account's password: the demo is for trying things out, so one to remember.
DEMO_PASSWORD = "bizext-demo-pass"
#: Demo staff sign in as their names (zhang.wei), the admin as "admin", customers by short names.
CUSTOMER_LOGINS = {"CRM-310000-0001": "huahong", "CRM-310000-0002": "renji", "CRM-310000-0003": "precision"}

SCHEME = {"sources": [{"voltage_kv": 10, "capacity_kva": 2000, "substation": "110 kV Zhangjiang",
                       "feeder": "Zhang 12"}],
          "metering": {"method": "high_supply_high_metering", "accuracy_class": "0.2S"}}
DUAL_SCHEME = {"sources": [*SCHEME["sources"], {"voltage_kv": 10, "capacity_kva": 2000,
                                                 "substation": "110 kV Jinqiao", "feeder": "Jin 7"}],
               "metering": SCHEME["metering"]}
INPUTS: dict[str, dict[str, Any]] = {
    "request_documents": {"missing_documents": ["property certificate", "load list"]},
    "submit_documents": {"documents": ["property certificate", "load list"]},
    "complete_survey": {"surveyed_on": "{date}", "findings": "Site accessible; cable route along the east road."},
    "submit_for_review": {"scheme": DUAL_SCHEME},
    "reply_scheme": {"scheme": SCHEME, "reply_document_no": "PD-GD-2026-031"},
    "approve_scheme": {"reply_document_no": "PD-GD-2026-044"},
    "return_scheme": {"comments": "Second source must come from a different substation."},
    "submit_design": {"design_document_no": "SJ-2026-118"},
    "return_design": {"issues": ["Earthing grid drawing missing"]},
    "fail_intermediate": {"defects": [{"item": "cable trench depth", "severity": "major",
                                       "note": "0.5 m instead of 0.7 m"}]},
    "fail_completion": {"defects": [{"item": "relay protection settings", "severity": "critical"}]},
    "sign_contract": {"contract_no": "GYD-2026-0088", "fees_settled": True},
    "energize": {"meter_ids": ["3100012345"], "energized_at": "{instant}"},
}

HV_PATH = ["accept", "complete_survey", "submit_for_review", "approve_scheme", "submit_design",
           "approve_design", "request_intermediate_inspection", "pass_intermediate",
           "request_completion_inspection", "pass_completion", "sign_contract", "energize"]
PROJECTS: list[dict[str, Any]] = [
    # customer index, facts, transitions to fire
    {"customer": 0, "title": "Data centre phase II, 10 kV dual supply", "voltage_kv": 10, "capacity_kva": 8000,
     "supply": "dual", "important": True, "region": "pudong", "path": HV_PATH[:7]},
    {"customer": 0, "title": "Data centre cooling plant", "voltage_kv": 10, "capacity_kva": 2000,
     "supply": "single", "important": False, "region": "pudong", "path": ["accept", "complete_survey"]},
    {"customer": 1, "title": "Hospital inpatient building", "voltage_kv": 10, "capacity_kva": 3150,
     "supply": "dual", "important": True, "region": "pudong",
     "path": ["request_documents", "submit_documents", "accept", "complete_survey", "submit_for_review",
              "return_scheme", "submit_for_review", "approve_scheme", "submit_design", "return_design",
              "submit_design"]},
    {"customer": 1, "title": "Hospital energy centre", "voltage_kv": 10, "capacity_kva": 1600, "supply": "dual",
     "important": True, "region": "pudong", "path": HV_PATH},
    {"customer": 2, "title": "Precision machining workshop", "voltage_kv": 10, "capacity_kva": 800,
     "supply": "single", "important": False, "region": "minhang",
     "path": ["accept", "complete_survey", "reply_scheme", "request_completion_inspection", "fail_completion",
              "request_reinspection", "pass_completion"]},
    {"customer": 2, "title": "Workshop extension", "voltage_kv": 10, "capacity_kva": 630, "supply": "single",
     "important": False, "region": "minhang", "path": ["request_documents"]},
    {"customer": 2, "title": "Staff canteen (low voltage)", "voltage_kv": 0.4, "capacity_kva": 160,
     "supply": "single", "important": False, "region": "minhang", "path": ["accept", "sign_contract"]},
    {"customer": 0, "title": "Office annex (low voltage)", "voltage_kv": 0.4, "capacity_kva": 100,
     "supply": "single", "important": False, "region": "pudong", "path": []},
]
CUSTOMERS = [
    {"name": "Huahong Cloud Data Centre Co., Ltd.", "contact_name": "Gao Ming", "phone": "021-5080-1234",
     "external_ref": "CRM-310000-0001"},
    {"name": "Pudong Renji Hospital", "contact_name": "Shen Li", "phone": "021-5875-2200",
     "external_ref": "CRM-310000-0002"},
    {"name": "Minhang Precision Machinery Works", "contact_name": "Tang Qiang", "phone": "021-6430-7788",
     "external_ref": "CRM-310000-0003"},
]


@dataclass(frozen=True)
class DemoAccount:
    login: str
    who: str  # name, and roles and region or "customer"
    region: str | None  # None: the admin and customers


@dataclass
class DemoResult:
    loaded: bool
    tokens: dict[str, str] = field(default_factory=dict)
    projects: int = 0
    accounts: list[DemoAccount] = field(default_factory=list)

    def summary(self, base_url: str = "http://127.0.0.1:8000") -> str:
        lines = ["demo data loaded" if self.loaded else "demo data was already there; new tokens issued", "",
                 f"staff console:   {base_url}/console/", f"customer portal: {base_url}/portal/",
                 f"sign in with one of these logins; every demo account's password is  {DEMO_PASSWORD}"]
        shown = [a for a in self.accounts if a.region in (None, REGIONS[0])]
        width = max((len(a.login) for a in shown), default=0) + 2
        lines += [f"  {a.login:<{width}}{a.who}" for a in shown]
        others = [a.login for a in self.accounts if a not in shown]
        if others:
            lines.append(f"  (and in {', '.join(REGIONS[1:])}: {', '.join(others)})")
        lines += ["", "API tokens (shown once; use as `Authorization: Bearer <token>`):"]
        lines += [f"  {who}\n      {token}" for who, token in self.tokens.items()]
        return "\n".join(lines)


def _staff_actor(uow: UnitOfWork, staff_id: str) -> Actor:
    d = staff.get(uow, BOOTSTRAP_ADMIN, uuid.UUID(staff_id))
    return Actor(kind="staff", id=staff_id, name=d.staff.name, roles=frozenset(d.roles))


def _owner_actor(uow: UnitOfWork, project_id: uuid.UUID, now: datetime) -> Actor:
    d = projects.get(uow, BOOTSTRAP_ADMIN, project_id, now)
    assert d.owner is not None and d.owner.kind != "unassigned", "demo staff cover every role"
    if d.owner.kind == "customer":
        return Actor(kind="customer", id=d.owner.id, name=d.owner.name or "", customer_id=d.owner.id)
    return _staff_actor(uow, d.owner.id)  # type: ignore[arg-type]


def _input(name: str, at: datetime) -> dict[str, Any]:
    raw = INPUTS.get(name, {})
    return {k: (v.format(date=at.date().isoformat(), instant=at.isoformat()) if isinstance(v, str) else v)
            for k, v in raw.items()}


def load(uow: UnitOfWork, now: datetime) -> DemoResult:
    admin = BOOTSTRAP_ADMIN
    existing = staff.listing(uow, admin, role="admin", region=None, active=True, after=None, limit=200)
    marker = next((d for d in existing if d.staff.email == MARKER_EMAIL), None)
    result = DemoResult(loaded=marker is None)
    if marker is None:
        marker = staff.create(uow, admin, name="Demo Admin", region=REGIONS[0], roles=["admin"],
                              email=MARKER_EMAIL, phone=None, active=True, now=now)
        n = 0
        for region in REGIONS:
            for role in ROLES:
                name = f"{SURNAMES[n % len(SURNAMES)]} {GIVEN[n % len(GIVEN)]}"
                staff.create(uow, admin, name=name, region=region, roles=[role],
                                 email=f"{name.lower().replace(' ', '.')}.{n}@{region}.demo.bizext.local",
                                 phone=f"021-6000-{1000 + n}", active=True, now=now)
                n += 1
        made = [customers.create(uow, admin, now=now, email=None, **c) for c in CUSTOMERS]
        for i, spec in enumerate(PROJECTS):
            # Spread the projects so that some current stages are on track and some overdue.
            start = now - timedelta(hours=20 * len(spec["path"]) + 6 + 18 * i)
            d = projects.create(uow, admin, projects.NewProject(
                title=spec["title"], site_address=f"{100 + i} {spec['region'].title()} Road, Shanghai",
                voltage_kv=spec["voltage_kv"], capacity_kva=spec["capacity_kva"], supply=spec["supply"],
                important=spec["important"], region=spec["region"], customer_id=made[spec["customer"]].id,
                external_ref=f"DEMO-{i + 1:03d}", received_at=start), now)
            at = start
            for step in spec["path"]:
                at += timedelta(hours=20)
                transitions.fire(uow, _owner_actor(uow, d.project.id, now), d.project.id,
                                 transitions.FireRequest(step, _input(step, at), occurred_at=at),
                                 if_match=None, now=now)
            result.projects += 1
    result.accounts = _give_passwords(uow, now)
    result.tokens["admin (Demo Admin)"] = _issue(uow, str(marker.staff.id), now)
    for role in ("customer_manager", "project_manager"):
        first = staff.listing(uow, admin, role=role, region=REGIONS[0], active=True, after=None, limit=1)
        if first:
            who = first[0].staff
            result.tokens[f"{role.replace('_', ' ')}: {who.name} ({who.id})"] = _issue(uow, str(who.id), now)
    first_customer = uow.customers.by_external_ref(CUSTOMERS[0]["external_ref"])
    if first_customer is not None:
        result.tokens[f"customer: {first_customer.name}"] = tokens.issue(
            uow, admin, staff_id=None, customer_id=first_customer.id, client_name=None, client_roles=None,
            now=now).token
    result.tokens["integration client (CRM)"] = tokens.issue(
        uow, admin, staff_id=None, customer_id=None, client_name="crm", client_roles=["integration"],
        now=now).token
    return result


def _give_passwords(uow: UnitOfWork, now: datetime) -> list[DemoAccount]:
    """Demo staff and customers get DEMO_PASSWORD, once: a password changed since is left alone."""
    made: list[DemoAccount] = []
    people = staff.listing(uow, BOOTSTRAP_ADMIN, role=None, region=None, active=None, after=None, limit=200)
    # The admin first, then each region's staff in the order of the workflow's roles.
    people.sort(key=lambda d: (d.staff.email != MARKER_EMAIL, d.staff.region,
                               min((ROLES.index(r) for r in d.roles if r in ROLES), default=0), d.staff.name))
    for d in people:
        s = d.staff
        if not (s.email or "").endswith("demo.bizext.local"):
            continue  # someone the newcomer added: not ours to give a password
        admin = s.email == MARKER_EMAIL
        login = "admin" if admin else s.name.lower().replace(" ", ".")
        account = uow.accounts.of_staff(s.id)
        if account is None:
            account = accounts.set_staff_password(uow, BOOTSTRAP_ADMIN, s.id, password=DEMO_PASSWORD, login=login,
                                                  now=now).account
        roles = ", ".join(r.replace("_", " ") for r in d.roles)
        made.append(DemoAccount(account.login, f"{s.name}: {roles}" + (
            " (may act on any stage, giving a reason)" if admin else f", {s.region}"), None if admin else s.region))
    for ref, login in CUSTOMER_LOGINS.items():
        customer = uow.customers.by_external_ref(ref)
        if customer is None:
            continue
        account = uow.accounts.of_customer(customer.id)
        if account is None:
            account = accounts.set_customer_password(uow, BOOTSTRAP_ADMIN, customer.id, password=DEMO_PASSWORD,
                                                     login=login, now=now).account
        made.append(DemoAccount(account.login, f"{customer.name}: customer (portal)", None))
    return made


def _issue(uow: UnitOfWork, staff_id: str, now: datetime) -> str:
    return tokens.issue(uow, BOOTSTRAP_ADMIN, staff_id=uuid.UUID(staff_id), customer_id=None, client_name=None,
                        client_roles=None, now=now).token
