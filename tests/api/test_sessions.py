"""Signing in: passwords set by an admin, sessions that act as the person until they expire or sign out, and
the lockout (five failed attempts on a login within a minute lock it for a minute), which never tells
whether a login exists."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy import select

from bizext.api.app import create_app
from bizext.config import Settings
from bizext.db.models import Account, ApiToken, IdempotencyKey, SignInThrottle
from bizext.db.session import Database
from bizext.services import passwords
from bizext.services.principals import hash_token
from tests.conftest import ADMIN_TOKEN
from tests.world import Person, World

PASSWORD = "correct horse battery"
WRONG = "incorrect horse battery"
SIGN_IN_FAILED = "/problems/sign-in-failed"
LOCKED = "/problems/sign-in-locked"


class CountingHasher(PasswordHasher):
    """argon2's cheapest parameters (the tests check behaviour, not cost), counting the passwords checked."""

    def __init__(self) -> None:
        p = profiles.CHEAPEST
        super().__init__(time_cost=p.time_cost, memory_cost=p.memory_cost, parallelism=p.parallelism,
                         hash_len=p.hash_len, salt_len=p.salt_len, type=p.type)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified.append(str(hash))
        return super().verify(hash, password)


@pytest.fixture(autouse=True)
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(passwords, "HASHER", counting)
    return counting


def set_password(world: World, person: Person, login: str | None = None, password: str = PASSWORD,
                 kind: str = "staff", **headers: str) -> Any:
    body = {"password": password, **({"login": login} if login else {})}
    return world.client.put(f"/v1/{kind}/{person.id}/password", json=body,
                            headers={**world.admin.headers, **headers})


def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> Any:
    return client.post("/v1/sessions", json={"login": login, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def manager(world: World) -> Person:
    """Pudong's customer manager, with the login `cm.pudong` and PASSWORD."""
    person = world.person("customer_manager")
    world.ok(set_password(world, person, "cm.pudong"))
    return person


# -- signing in --------------------------------------------------------------------------------------------
def test_a_staff_member_signs_in_and_the_session_acts_exactly_as_they_would(world, client, clock, manager):
    project = world.new_project()

    signed_in = sign_in(client, "cm.pudong")

    assert signed_in.status_code == 201, signed_in.text
    body = signed_in.json()
    assert set(body) == {"token", "expires_at", "principal"}
    assert body["principal"] == {"kind": "staff", "id": manager.id, "name": manager.name,
                                 "roles": ["customer_manager"]}
    assert body["expires_at"] == (clock.now.replace(hour=20)).isoformat().replace("+00:00", "Z")
    assert signed_in.headers["cache-control"] == "no-store"
    session = Person(manager.id, manager.name, body["token"])
    fired = world.fire(project["id"], "accept", as_=session)
    assert fired["project"]["state"] == "site_survey"


def test_who_am_i_answers_with_the_sign_in_shape_without_the_token(client, clock, manager):
    token = sign_in(client, "cm.pudong").json()["token"]

    current = client.get("/v1/sessions/current", headers=bearer(token))

    assert current.status_code == 200, current.text
    assert current.json() == {"expires_at": "2026-12-01T20:00:00Z",
                              "principal": {"kind": "staff", "id": manager.id, "name": manager.name,
                                            "roles": ["customer_manager"]}}


def test_who_am_i_answers_for_every_kind_of_token(world, client):
    answers = {who: client.get("/v1/sessions/current", headers=p.headers).json()
               for who, p in {"admin": world.admin, "staff": world.person("inspector"),
                              "customer": world.customers[0], "client": world.integration}.items()}

    assert answers["admin"] == {"expires_at": None, "principal": {"kind": "admin", "id": None,
                                                                  "name": "bootstrap admin", "roles": ["admin"]}}
    assert answers["staff"]["principal"]["roles"] == ["inspector"]
    assert answers["customer"]["principal"] == {"kind": "customer", "id": world.customers[0].id,
                                                "name": world.customers[0].name, "roles": []}
    assert answers["client"]["principal"]["kind"] == "client"
    assert answers["client"]["principal"]["roles"] == ["integration"]
    assert all(a["expires_at"] is None for a in answers.values()), "API tokens do not expire"
    assert client.get("/v1/sessions/current").status_code == 401


def test_the_login_is_compared_without_regard_to_case(client, manager):
    assert sign_in(client, "  CM.Pudong ").status_code == 201


def test_signing_in_needs_no_token_and_ignores_a_bad_one(client, manager):
    assert client.post("/v1/sessions", json={"login": "cm.pudong", "password": PASSWORD},
                       headers=bearer("bxt_not-a-token")).status_code == 201


def test_a_session_stops_working_when_it_expires(client, clock, manager):
    token = sign_in(client, "cm.pudong").json()["token"]

    clock.advance(hours=8, seconds=-1)
    before = client.get("/v1/projects", headers=bearer(token))
    clock.advance(seconds=1)
    at_expiry = client.get("/v1/projects", headers=bearer(token))

    assert before.status_code == 200, before.text
    assert at_expiry.status_code == 401
    assert "expired" in at_expiry.json()["detail"]


def test_the_session_lifetime_is_a_setting(db, clock, world, manager):
    app = create_app(Settings(database_url=db.url, admin_token=ADMIN_TOKEN, session_ttl=600), database=db, now=clock)
    with TestClient(app) as short:
        body = sign_in(short, "cm.pudong").json()
        clock.advance(minutes=10)
        assert short.get("/v1/sessions/current", headers=bearer(body["token"])).status_code == 401
    assert body["expires_at"] == "2026-12-01T12:10:00Z"


def test_signing_out_revokes_the_token_presented_and_no_other(client, manager):
    first = sign_in(client, "cm.pudong").json()["token"]
    second = sign_in(client, "cm.pudong").json()["token"]

    out = client.delete("/v1/sessions/current", headers=bearer(first))

    assert out.status_code == 204, out.text
    assert client.get("/v1/sessions/current", headers=bearer(first)).status_code == 401
    assert client.delete("/v1/sessions/current", headers=bearer(first)).status_code == 401
    assert client.get("/v1/sessions/current", headers=bearer(second)).status_code == 200


def test_signing_out_with_an_api_token_is_refused_and_the_token_keeps_working(world, client):
    for who in (world.person("inspector"), world.integration, world.admin):
        refused = client.delete("/v1/sessions/current", headers=who.headers)
        assert refused.status_code == 409, refused.text
        assert refused.json()["type"] == "/problems/not-a-session"
        assert client.get("/v1/sessions/current", headers=who.headers).status_code == 200


def test_a_customer_session_sees_only_the_customers_own_projects(world, client):
    own, other = world.new_project(customer=0), world.new_project(customer=1)
    customer = world.customers[0]
    world.ok(set_password(world, customer, "huahong", kind="customers"))

    token = sign_in(client, "huahong").json()["token"]
    listed = client.get("/v1/projects", headers=bearer(token))

    assert [p["id"] for p in listed.json()["items"]] == [own["id"]]
    assert client.get(f"/v1/projects/{own['id']}", headers=bearer(token)).status_code == 200
    assert client.get(f"/v1/projects/{other['id']}", headers=bearer(token)).status_code == 404


def test_an_inactive_staff_member_cannot_sign_in_and_is_told_nothing_more(world, client, manager):
    world.ok(client.patch(f"/v1/staff/{manager.id}", json={"active": False}, headers=world.admin.headers))

    refused = sign_in(client, "cm.pudong")

    assert refused.status_code == 401
    assert refused.json()["type"] == SIGN_IN_FAILED


# -- wrong logins and passwords, lockout --------------------------------------------------------------------
def _comparable(response: Any) -> tuple[int, dict[str, Any], str | None]:
    body = {k: v for k, v in response.json().items() if k != "request_id"}
    return response.status_code, body, response.headers.get("content-type")


def test_a_wrong_login_and_a_wrong_password_get_the_same_answer_after_the_same_work(client, hasher, manager):
    hasher.verified.clear()
    wrong_password = sign_in(client, "cm.pudong", WRONG)
    wrong_login = sign_in(client, "nobody.here", PASSWORD)

    assert _comparable(wrong_password) == _comparable(wrong_login)
    assert wrong_password.status_code == 401
    assert wrong_password.json()["type"] == SIGN_IN_FAILED
    assert wrong_password.headers.keys() - {"x-request-id"} == wrong_login.headers.keys() - {"x-request-id"}
    assert len(hasher.verified) == 2, "a password is checked against a hash for an unknown login too"
    assert all(h.startswith("$argon2id$") for h in hasher.verified)


def test_five_failed_attempts_within_a_minute_lock_the_login_for_a_minute(client, clock, hasher, manager):
    failures = []
    for _ in range(5):
        failures.append(sign_in(client, "cm.pudong", WRONG))
        clock.advance(seconds=10)  # the fifth failure comes 40 s after the first
    checked = len(hasher.verified)

    locked = sign_in(client, "cm.pudong")  # the right password, 10 s into the lock
    clock.advance(seconds=49)
    still_locked = sign_in(client, "cm.pudong")
    clock.advance(seconds=1)
    released = sign_in(client, "cm.pudong")

    assert [f.status_code for f in failures] == [401] * 5
    assert locked.status_code == 429, locked.text
    assert locked.headers["content-type"] == "application/problem+json"
    assert locked.json()["type"] == LOCKED
    assert locked.headers["retry-after"] == "50"
    assert locked.json()["retry_after"] == 50
    assert still_locked.status_code == 429 and still_locked.headers["retry-after"] == "1"
    assert checked == 5 and len(hasher.verified) == 6, "no password is checked while the login is locked"
    assert released.status_code == 201, released.text


def test_an_unknown_login_is_locked_like_a_known_one(client):
    answers = [sign_in(client, "nobody.here", WRONG).status_code for _ in range(6)]

    assert answers == [401] * 5 + [429]


def test_the_lock_is_per_login(client, world, manager):
    world.ok(set_password(world, world.person("inspector"), "inspector.pudong"))
    for _ in range(5):
        sign_in(client, "cm.pudong", WRONG)

    assert sign_in(client, "cm.pudong").status_code == 429
    assert sign_in(client, "inspector.pudong").status_code == 201


def test_failures_spread_over_more_than_a_minute_do_not_lock(client, clock, manager):
    for _ in range(4):
        assert sign_in(client, "cm.pudong", WRONG).status_code == 401
    clock.advance(seconds=60)
    for _ in range(4):
        assert sign_in(client, "cm.pudong", WRONG).status_code == 401

    assert sign_in(client, "cm.pudong").status_code == 201


def test_a_successful_sign_in_clears_the_count_of_failures(client, manager):
    for _ in range(4):
        sign_in(client, "cm.pudong", WRONG)
    assert sign_in(client, "cm.pudong").status_code == 201
    for _ in range(4):
        sign_in(client, "cm.pudong", WRONG)

    assert sign_in(client, "cm.pudong").status_code == 201


def test_attempts_are_counted_in_the_database_so_every_server_process_sees_them(db, clock, world, manager):
    """Two apps with engines of their own on one database stand for two server processes."""
    other_db = Database(db.url, pool_size=1)
    try:
        apps = [TestClient(create_app(Settings(database_url=db.url), database=d, now=clock)) for d in (db, other_db)]
        answers = [sign_in(apps[i % 2], "cm.pudong", WRONG).status_code for i in range(5)]
        answers += [sign_in(apps[i], "cm.pudong").status_code for i in (0, 1)]
    finally:
        other_db.dispose()

    assert answers == [401] * 5 + [429, 429]


# -- setting passwords --------------------------------------------------------------------------------------
def test_a_password_is_stored_only_as_an_argon2id_hash(world, db, manager):
    with db.uow() as uow:
        account = uow.session.scalars(select(Account)).one()

    assert account.login == "cm.pudong"
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


def test_setting_a_password_answers_with_the_login_and_ends_the_persons_sessions(world, client, clock, manager):
    session = sign_in(client, "cm.pudong").json()["token"]

    changed = set_password(world, manager, password="a brand new passphrase")

    assert changed.status_code == 200, changed.text
    assert changed.json() == {"login": "cm.pudong", "kind": "staff", "id": manager.id, "name": manager.name,
                              "password_set_at": "2026-12-01T12:00:00Z"}
    assert client.get("/v1/sessions/current", headers=bearer(session)).status_code == 401
    assert client.get("/v1/sessions/current", headers=manager.headers).status_code == 200, "API tokens stay"
    assert sign_in(client, "cm.pudong").status_code == 401
    assert sign_in(client, "cm.pudong", "a brand new passphrase").status_code == 201


def test_the_default_login_is_the_staff_email_or_the_customer_external_ref(world, client):
    staff = world.ok(client.post("/v1/staff", json={"name": "Zhang Wei", "region": "pudong",
                                                    "roles": ["planner"], "email": "Zhang.Wei@Example.com"},
                                 headers=world.admin.headers), 201)
    customer = world.ok(client.post("/v1/customers", json={"name": "Cold Store", "external_ref": "CRM-0042"},
                                    headers=world.admin.headers), 201)

    staff_account = set_password(world, Person(staff["id"], "", ""))
    customer_account = set_password(world, Person(customer["id"], "", ""), kind="customers")

    assert staff_account.json()["login"] == "zhang.wei@example.com"
    assert customer_account.json()["login"] == "crm-0042"
    assert sign_in(client, "Zhang.Wei@example.com").json()["principal"]["id"] == staff["id"]
    assert sign_in(client, "CRM-0042").json()["principal"] == {"kind": "customer", "id": customer["id"],
                                                               "name": "Cold Store", "roles": []}


def test_a_login_given_later_renames_the_account(world, client, manager):
    assert set_password(world, manager, "zhang.wei").json()["login"] == "zhang.wei"

    assert sign_in(client, "zhang.wei").status_code == 201
    assert sign_in(client, "cm.pudong").status_code == 401


def _problem(response: Any) -> tuple[int, str, list[str]]:
    body = response.json()
    return response.status_code, body["type"], [e.get("pointer") for e in body.get("errors") or []]


@pytest.mark.parametrize("case, expected", [
    ("short password", (422, "/problems/invalid-input", ["/password"])),
    ("unknown field", (422, "/problems/invalid-input", ["/role"])),
    ("no default login", (422, "/problems/invalid-input", ["/login"])),
    ("login with a space", (422, "/problems/invalid-input", ["/login"])),
    ("control character", (422, "/problems/invalid-input", ["/password"])),
    ("login taken", (409, "/problems/already-exists", ["/login"])),
    ("unknown staff member", (404, "/problems/not-found", [])),
    ("not an admin", (403, "/problems/forbidden", [])),
    ("no token", (401, "/problems/not-authenticated", [])),
])
def test_setting_a_password_refuses_bad_input_with_a_problem(world, client, manager, case, expected):
    inspector = world.person("inspector")
    path, body, headers = f"/v1/staff/{inspector.id}/password", {"password": PASSWORD}, world.admin.headers
    if case == "short password":
        body["password"] = "x" * (passwords.MIN_LENGTH - 1)
    elif case == "unknown field":
        body["role"] = "admin"
    elif case == "no default login":
        pass  # the world's staff have no e-mail address
    elif case == "login with a space":
        body["login"] = "chen lei"
    elif case == "control character":
        body["password"], body["login"] = PASSWORD + "\t", "inspector.pudong"
    elif case == "login taken":
        body["login"] = "CM.PUDONG"
    elif case == "unknown staff member":
        path, body["login"] = "/v1/staff/00000000-0000-4000-8000-000000000000/password", "ghost"
    elif case == "not an admin":
        body["login"], headers = "inspector.pudong", manager.headers
    elif case == "no token":
        body["login"], headers = "inspector.pudong", {}

    response = client.put(path, json=body, headers=headers)

    assert response.headers["content-type"] == "application/problem+json"
    assert _problem(response) == expected


def test_setting_a_password_replays_a_retry_and_keeps_no_fast_hash_of_the_password(world, client, db):
    inspector = world.person("inspector")
    key = {"Idempotency-Key": "set-password-1"}

    first = set_password(world, inspector, "inspector.pudong", **key)
    retry = set_password(world, inspector, "inspector.pudong", **key)
    other_body = set_password(world, inspector, "inspector.pudong", password="another long passphrase", **key)

    assert first.status_code == retry.status_code == 200
    assert retry.headers.get("idempotent-replayed") == "true"
    assert retry.content == first.content
    assert other_body.status_code == 422
    assert other_body.json()["type"] == "/problems/idempotency-key-reused"
    with db.uow() as uow:
        stored = uow.session.scalars(select(IdempotencyKey)).one()
    body = f'{{"password":"{PASSWORD}","login":"inspector.pudong"}}'.encode()
    plain = hashlib.sha256(b"PUT " + f"/v1/staff/{inspector.id}/password".encode() + b"\n" + body).hexdigest()
    assert stored.request_hash != plain
    assert PASSWORD.encode() not in stored.body


def test_customers_get_passwords_the_same_way(world, client):
    customer = world.customers[1]

    answered = set_password(world, customer, "renji", kind="customers")
    missing = client.put("/v1/customers/00000000-0000-4000-8000-000000000000/password",
                         json={"password": PASSWORD, "login": "ghost"}, headers=world.admin.headers)

    assert answered.json()["kind"] == "customer"
    assert missing.status_code == 404
    assert sign_in(client, "renji").json()["principal"]["id"] == customer.id


def test_sign_in_refuses_a_malformed_body_with_a_problem(client):
    for body in ({}, {"login": "", "password": PASSWORD}, {"login": "x", "password": ""},
                 {"login": "x" * 101, "password": PASSWORD}, {"login": "x", "password": PASSWORD, "extra": 1}):
        response = client.post("/v1/sessions", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_the_worker_purges_expired_sessions_and_attempt_counters_that_no_longer_count(db, client, clock, manager):
    from bizext.services import sessions
    from bizext.worker import _sweep

    expired = sign_in(client, "cm.pudong").json()["token"]
    for _ in range(5):
        sign_in(client, "nobody.here", WRONG)  # locked for a minute
    clock.advance(seconds=30)
    assert sessions.purge(db, clock.now) == (0, 0), "a lock still running is kept"
    clock.advance(hours=8)
    live = sign_in(client, "cm.pudong").json()["token"]
    sign_in(client, "cm.pudong", WRONG)  # a window still open

    _sweep(db, clock.now)

    with db.uow() as uow:
        kept = uow.session.scalars(select(ApiToken.token_hash).where(ApiToken.purpose == "session")).all()
        counted = uow.session.scalars(select(SignInThrottle.login)).all()
    assert kept == [hash_token(live)] and hash_token(expired) not in kept
    assert counted == ["cm.pudong"]


def test_however_many_attempts_arrive_at_once_at_most_five_passwords_are_checked(db, clock, hasher, manager):
    """Ten sign-ins on one login at the same moment, each in its own thread and database connection."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import timedelta
    from threading import Barrier

    from bizext.services import sessions
    from bizext.services.errors import SignInFailed, SignInLocked

    hasher.verified.clear()
    barrier = Barrier(10, timeout=60)

    def attempt(_: int) -> str:
        barrier.wait()
        try:
            sessions.sign_in(db, "cm.pudong", WRONG, now=clock.now, ttl=timedelta(hours=8))
        except SignInFailed:
            return "failed"
        except SignInLocked:
            return "locked"
        return "signed in"

    with ThreadPoolExecutor(10) as pool:
        answers = sorted(pool.map(attempt, range(10)))

    assert answers == ["failed"] * 5 + ["locked"] * 5
    assert len(hasher.verified) == 5
    with pytest.raises(SignInLocked):
        sessions.sign_in(db, "cm.pudong", PASSWORD, now=clock.now, ttl=timedelta(hours=8))
