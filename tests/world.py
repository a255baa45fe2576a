"""A populated world built through the public API: staff for every role in two regions, customers,
client systems, and a bearer token for each. Tests talk to the API as those principals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

STAFF_ROLES = ("customer_manager", "planner", "design_reviewer", "inspector", "metering_technician",
               "project_manager", "supervisor", "admin")
REGIONS = ("pudong", "minhang")


@dataclass
class Person:
    id: str
    name: str
    token: str
    roles: tuple[str, ...] = ()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    client: TestClient
    admin: Person
    staff: dict[tuple[str, str], Person] = field(default_factory=dict)  # (region, role) -> person
    customers: list[Person] = field(default_factory=list)
    integration: Person | None = None
    checker: Person | None = None

    def person(self, role: str, region: str = "pudong") -> Person:
        return self.staff[(region, role)]

    @classmethod
    def build(cls, client: TestClient, admin_token: str) -> World:
        admin = Person("bootstrap", "bootstrap admin", admin_token, ("admin",))
        world = cls(client, admin)
        for region in REGIONS:
            for role in STAFF_ROLES:
                name = f"{role.replace('_', ' ').title()} of {region.title()}"
                body = world.ok(client.post("/v1/staff", json={"name": name, "region": region, "roles": [role]},
                                            headers=admin.headers), 201)
                world.staff[(region, role)] = Person(body["id"], name, world._token({"staff_id": body["id"]}),
                                                     (role,))
        for name in ("Huahong Data Centre", "Renji Hospital"):
            body = world.ok(client.post("/v1/customers", json={"name": name}, headers=admin.headers), 201)
            world.customers.append(Person(body["id"], name, world._token({"customer_id": body["id"]})))
        world.integration = Person("crm", "crm", world._token({"client": {"name": "crm", "roles": ["integration"]}}))
        world.checker = Person("checker", "checker",
                               world._token({"client": {"name": "cron", "roles": ["escalation_checker"]}}))
        return world

    def _token(self, body: dict[str, Any]) -> str:
        return self.ok(self.client.post("/v1/tokens", json=body, headers=self.admin.headers), 201)["token"]

    @staticmethod
    def ok(response: Any, status: int = 200) -> Any:
        assert response.status_code == status, (response.status_code, response.text)
        return response.json() if response.content else None

    # -- projects ---------------------------------------------------------------------------------
    def new_project(self, customer: int = 0, as_: Person | None = None, **facts: Any) -> dict[str, Any]:
        body = {"title": "Data centre phase II", "site_address": "88 Zhangjiang Road", "voltage_kv": 10,
                "capacity_kva": 800, "supply": "single", "important": False, "region": "pudong",
                "customer_id": self.customers[customer].id, **facts}
        return self.ok(self.client.post("/v1/projects", json=body, headers=(as_ or self.admin).headers), 201)

    def fire(self, project_id: str, name: str, as_: Person, input: dict[str, Any] | None = None,
             status: int = 201, **extra: Any) -> Any:
        response = self.client.post(f"/v1/projects/{project_id}/transitions",
                                    json={"name": name, "input": input or {}, **extra}, headers=as_.headers)
        return self.ok(response, status)

    def owner_of(self, project: dict[str, Any]) -> Person:
        """The principal who owns the project's current stage."""
        owner = project["owner"]
        if owner["kind"] == "customer":
            return next(c for c in self.customers if c.id == owner["id"])
        return next(p for p in self.staff.values() if p.id == owner["id"])
