"""The load on a fleet: walkers moving their own projects through hv-standard, racers fighting over shared
projects, and escalation checkers, each keeping a log of what the service acknowledged.

Every write carries an Idempotency-Key. A client talks to the API servers round robin, as through a load
balancer: a request that gets no answer (connection refused or reset, timeout, 5xx) or finds its key still in
progress is sent again, same key and body, to the next server, until it gets an answer. What was answered is
logged; tests/ops/invariants.py then holds the database to it.

The size is set by environment variables (LoadSize.from_env), so that a benchmark can run it bigger.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.world import Person, World

IN_PROGRESS = "/problems/idempotency-key-in-progress"
#: What a racer that lost may be told: someone else moved the project first (409), or its If-Match is stale.
LOSER_ANSWERS = {(409, "/problems/concurrent-modification"), (409, "/problems/transition-not-allowed"),
                 (412, "/problems/version-mismatch")}
REQUEST_TIMEOUT = 30.0
RETRY_PAUSE = 0.1
SHANGHAI = ZoneInfo("Asia/Shanghai")

SCHEME = {"sources": [{"voltage_kv": 10, "capacity_kva": 4000, "substation": "110 kV Zhangjiang", "feeder": "Z12"},
                      {"voltage_kv": 10, "capacity_kva": 4000, "substation": "110 kV Jinqiao", "feeder": "J7"}],
          "metering": {"method": "high_supply_high_metering"}}
DEFECTS = [{"item": "cable trench depth", "severity": "major", "note": "0.5 m"}]
PLAIN = {"title": "Cold store", "site_address": "1 Harbour Road", "voltage_kv": 10, "capacity_kva": 800,
         "supply": "single", "important": False, "region": "pudong"}
IMPORTANT = {**PLAIN, "title": "Data centre", "capacity_kva": 8000, "supply": "dual", "important": True}


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


@dataclass(frozen=True)
class LoadSize:
    walkers: int = 6  # clients, each moving its own projects one after the other
    projects: int = 2  # per walker
    race_groups: int = 2  # groups of racers, each group fighting over its own projects
    racers: int = 3  # per group: every step is fired by all of them at once
    race_projects: int = 1  # per group, one after the other
    idle: int = 20  # overdue projects that nobody moves: their clocks escalate while everything else runs
    seed: int = 0

    @classmethod
    def from_env(cls) -> LoadSize:
        """BIZEXT_OPS_WALKERS, _PROJECTS, _RACE_GROUPS, _RACERS, _RACE_PROJECTS, _IDLE, _SEED."""
        d = cls()
        return cls(walkers=_env_int("BIZEXT_OPS_WALKERS", d.walkers),
                   projects=_env_int("BIZEXT_OPS_PROJECTS", d.projects),
                   race_groups=_env_int("BIZEXT_OPS_RACE_GROUPS", d.race_groups),
                   racers=max(2, _env_int("BIZEXT_OPS_RACERS", d.racers)),
                   race_projects=_env_int("BIZEXT_OPS_RACE_PROJECTS", d.race_projects),
                   idle=_env_int("BIZEXT_OPS_IDLE", d.idle),
                   seed=_env_int("BIZEXT_OPS_SEED", random.randrange(1 << 30)))


# -- talking to the fleet ----------------------------------------------------------------------------------

@dataclass
class Stats:
    """What the clients went through, over all of them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    counts: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)

    def add(self, what: str, detail: str | None = None) -> None:
        with self.lock:
            self.counts[what] += 1
            if detail is not None and len(self.server_errors) < 20:
                self.server_errors.append(detail)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: httpx.Headers
    attempts: int
    replayed: bool

    @property
    def type(self) -> str | None:
        return self.body.get("type") if isinstance(self.body, dict) else None

    def brief(self) -> str:
        return f"{self.status} {json.dumps(self.body, ensure_ascii=False)[:400]}"


class GaveUp(Exception):
    pass


class Api:
    """One client's connections to the API servers, used round robin starting at `first`."""

    def __init__(self, urls: Sequence[str], first: int, stats: Stats, deadline: float, impatient_every: int = 0):
        self.clients = [httpx.Client(base_url=u, timeout=REQUEST_TIMEOUT) for u in urls]
        self.next, self.stats, self.deadline = first % len(urls), stats, deadline
        self.impatient_every, self.sent = impatient_every, 0

    def close(self) -> None:
        for c in self.clients:
            c.close()

    def send(self, method: str, path: str, who: Person, body: Any = None, key: str | None = None,
             if_match: str | None = None) -> Answer:
        headers = dict(who.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        if if_match is not None:
            headers["If-Match"] = if_match
        content = json.dumps(body).encode() if body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        self.sent += 1
        # An impatient client gives up waiting for its first answer almost at once (the request has gone and
        # runs to its end on the server): its retry must be told the first answer, never apply it twice.
        impatient = key is not None and self.impatient_every > 0 and self.sent % self.impatient_every == 0
        attempts = 0
        while True:
            if time.monotonic() > self.deadline:
                raise GaveUp(f"{method} {path} (key {key}) unanswered after {attempts} attempts")
            client = self.clients[self.next]
            self.next = (self.next + 1) % len(self.clients)
            attempts += 1
            timeout = httpx.Timeout(REQUEST_TIMEOUT, read=0.002) if impatient and attempts == 1 else None
            try:
                r = client.request(method, path, content=content, headers=headers,
                                   **({"timeout": timeout} if timeout else {}))
            except httpx.TimeoutException:
                self.stats.add("retried after a timeout" if not impatient or attempts > 1
                               else "impatient: gave up on the first answer")
                time.sleep(RETRY_PAUSE)
                continue
            except httpx.TransportError as exc:
                self.stats.add(f"retried after {type(exc).__name__}")
                time.sleep(RETRY_PAUSE)
                continue
            try:
                answer_body = r.json() if r.content else None
            except ValueError:  # not JSON: a proxy's or a dying server's error page
                answer_body = r.text
            answer = Answer(r.status_code, answer_body, r.headers, attempts,
                            r.headers.get("idempotent-replayed") == "true")
            if r.status_code >= 500:
                self.stats.add(f"retried after {r.status_code}", f"{method} {path}: {answer.brief()}")
                time.sleep(RETRY_PAUSE)
                continue
            if r.status_code == 409 and answer.type == IN_PROGRESS:
                self.stats.add("retried: key in progress")
                time.sleep(RETRY_PAUSE)
                continue
            if answer.replayed:
                self.stats.add("replayed")
            self.stats.add("answered")
            return answer


# -- what the clients saw ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ack:
    """A transition the service acknowledged (2xx), as the client saw it."""

    client: str
    project_id: str
    key: str
    principal: str
    transition: dict[str, Any]
    attempts: int
    replayed: bool


@dataclass
class Log:
    lock: threading.Lock = field(default_factory=threading.Lock)
    created: dict[str, str] = field(default_factory=dict)  # project id -> the key that created it
    acks: list[Ack] = field(default_factory=list)
    walked: dict[str, list[str]] = field(default_factory=dict)  # project id -> transition ids, as answered
    raced: dict[str, list[str]] = field(default_factory=dict)  # project id -> the rounds' winners' ids
    losers: Counter[tuple[int, str | None]] = field(default_factory=Counter)
    rounds: int = 0
    violations: list[str] = field(default_factory=list)  # what a client saw that must never happen
    checks: Counter[str] = field(default_factory=Counter)  # escalation checks by where they ran
    raised_by_checks: int = 0
    jumps: list[timedelta] = field(default_factory=list)

    def violation(self, text: str) -> None:
        with self.lock:
            self.violations.append(text)

    def ack(self, a: Ack, into: dict[str, list[str]]) -> None:
        with self.lock:
            self.acks.append(a)
            into.setdefault(a.project_id, []).append(a.transition["id"])


# -- the world's principals by id ------------------------------------------------------------------------------

class People:
    def __init__(self, world: World):
        self.world = world
        self.by_id = {p.id: p for p in world.staff.values()} | {c.id: c for c in world.customers}

    def owner(self, project: dict[str, Any]) -> Person:
        owner = project["owner"]
        assert owner is not None and owner["kind"] in ("staff", "customer"), project
        return self.by_id[owner["id"]]

    def customer(self, project: dict[str, Any]) -> Person:
        return self.by_id[project["customer_id"]]

    def customer_manager(self, project: dict[str, Any]) -> Person:
        return self.by_id[project["customer_manager_id"]]


def _today() -> str:
    return datetime.now(SHANGHAI).date().isoformat()  # real time: never after the fleet's (shifted) clock


def _moments_ago() -> str:
    return (datetime.now(UTC) - timedelta(minutes=1)).isoformat()


# -- walkers: one client, its own projects, the whole lifecycle ------------------------------------------------

Step = tuple[str, Callable[[], dict[str, Any]]]

FORWARD: dict[str, Callable[[dict[str, Any]], Step]] = {
    "application_review": lambda p: ("accept", dict),
    "awaiting_documents": lambda p: ("submit_documents", lambda: {"documents": ["load list, signed"]}),
    "site_survey": lambda p: ("complete_survey", lambda: {"surveyed_on": _today(), "findings": "east road route"}),
    "scheme_drafting": lambda p: (("submit_for_review", lambda: {"scheme": SCHEME})
                                  if p["important"] or p["supply"] == "dual" or p["capacity_kva"] >= 1260 else
                                  ("reply_scheme", lambda: {"scheme": SCHEME, "reply_document_no": "R-1"})),
    "scheme_review": lambda p: ("approve_scheme", lambda: {"reply_document_no": "PD-44"}),
    "customer_design": lambda p: ("submit_design", lambda: {"design_document_no": "SJ-118"}),
    "design_review": lambda p: ("approve_design", dict),
    "customer_construction": lambda p: (
        ("request_intermediate_inspection", dict)
        if p["important"] and not p["flags"].get("intermediate_inspection_passed") else
        ("request_completion_inspection", dict)),
    "intermediate_inspection": lambda p: ("pass_intermediate", dict),
    "completion_inspection": lambda p: ("pass_completion", dict),
    "rectification": lambda p: ("request_reinspection", dict),
    "contract_signing": lambda p: ("sign_contract", lambda: {"contract_no": "GYD-88", "fees_settled": True}),
    "energization": lambda p: ("energize", lambda: {"meter_ids": ["3100012345"], "energized_at": _moments_ago()}),
}
#: The rework loop out of a state (DESIGN §3), where there is one.
REWORK: dict[str, Step] = {
    "application_review": ("request_documents", lambda: {"missing_documents": ["load list"]}),
    "scheme_review": ("return_scheme", lambda: {"comments": "second source from another substation"}),
    "design_review": ("return_design", lambda: {"issues": ["earthing drawing missing"]}),
    "intermediate_inspection": ("fail_intermediate", lambda: {"defects": DEFECTS}),
    "completion_inspection": ("fail_completion", lambda: {"defects": DEFECTS}),
}


@dataclass(frozen=True)
class Plan:
    """How a walker takes one project: its facts, which rework loops it goes through (once each), and
    whether it ends early."""

    facts: dict[str, Any]
    rework: frozenset[str] = frozenset()
    ends: tuple[str, str] | None = None  # (state, "reject" | "withdraw"): ends there instead of energized


PLANS = (
    Plan(PLAIN),
    Plan(IMPORTANT, frozenset(REWORK)),  # every rework loop there is
    Plan(PLAIN, frozenset({"completion_inspection"})),
    Plan(IMPORTANT, frozenset({"application_review"}), ends=("customer_construction", "withdraw")),
    Plan(PLAIN, frozenset({"application_review"}), ends=("application_review", "reject")),
)


class Walker:
    def __init__(self, name: str, api: Api, people: People, log: Log, customer: int):
        self.name, self.api, self.people, self.log, self.customer = name, api, people, log, customer

    def run(self, plans: Sequence[Plan]) -> None:
        for n, plan in enumerate(plans):
            self.walk(f"{self.name}-p{n}", plan)

    def _answered(self, answer: Answer, what: str, status: int = 201) -> Any:
        if answer.status != status:
            raise AssertionError(f"{self.name}: {what}: expected {status}, got {answer.brief()} "
                                 f"after {answer.attempts} attempt(s)")
        return answer.body

    def walk(self, prefix: str, plan: Plan) -> None:
        world = self.people.world
        key = f"{prefix}-create"
        body = {**plan.facts, "customer_id": world.customers[self.customer].id}
        project = self._answered(self.api.send("POST", "/v1/projects", world.integration, body, key), "create")
        with self.log.lock:
            self.log.created[project["id"]] = key
        reworked: set[str] = set()
        seq = 0
        while not project["terminal"]:
            state = project["state"]
            who = self.people.owner(project)
            if state in plan.rework and state not in reworked:
                reworked.add(state)
                name, make = REWORK[state]
            elif plan.ends and plan.ends[0] == state:
                name, make = plan.ends[1], (lambda: {"reason": "plans changed"})
                if name == "withdraw":
                    who = self.people.customer(project)
            else:
                name, make = FORWARD[state](project)
            seq += 1
            key = f"{prefix}-{seq}-{name}"
            if_match = f'"{project["version"]}"' if seq % 2 else None
            answer = self.api.send("POST", f"/v1/projects/{project['id']}/transitions", who,
                                   {"name": name, "input": make()}, key, if_match)
            fired = self._answered(answer, f"{name} from {state} on {project['id']} (key {key})")
            t = fired["transition"]
            if (t["name"], t["from_state"], t["seq"]) != (name, state, seq):
                self.log.violation(f"{self.name}: fired {name} from {state} as step {seq}, answered {t}")
            self.log.ack(Ack(self.name, project["id"], key, who.id, t, answer.attempts, answer.replayed),
                         self.log.walked)
            project = fired["project"]


# -- racers: several clients firing each step of one project at once --------------------------------------------

class RaceGroup:
    """`racers` clients on one project: every round each fires a move from the state they all read (most the
    way forward, one the rework loop while it lasts, in one group also a withdrawal), all released together
    and spread over the servers. Exactly one may win; the others must be told 409 or 412."""

    MAX_ROUNDS = 40
    REWORK_ROUNDS = 8  # after this many rounds everybody goes forward, so that every race ends

    def __init__(self, name: str, apis: list[Api], people: People, log: Log, customer: int, withdraw_at: int | None):
        self.name, self.apis, self.people, self.log = name, apis, people, log
        self.customer, self.withdraw_at = customer, withdraw_at

    def run(self, projects: int) -> None:
        for n in range(projects):
            self.race(f"{self.name}-p{n}", IMPORTANT if n % 2 == 0 else PLAIN)

    def _move(self, project: dict[str, Any], racer: int, round_: int) -> tuple[str, dict[str, Any], Person, str | None]:
        state = project["state"]
        version = f'"{project["version"]}"'
        if self.withdraw_at == round_ and racer == len(self.apis) - 1:
            # withdraw is allowed from every state: only its If-Match stops it from following the winner
            return "withdraw", {"reason": "moving the plant"}, self.people.customer(project), version
        if racer == 1 and state in REWORK and round_ < self.REWORK_ROUNDS:
            name, make = REWORK[state]
        else:
            name, make = FORWARD[state](project)
        who = self.people.owner(project)
        if who.id == project["customer_id"] and racer % 2 == 1:
            who = self.people.customer_manager(project)  # on the customer's behalf (一口对外)
        return name, make(), who, version if racer % 2 == 0 else None

    def race(self, prefix: str, facts: dict[str, Any]) -> None:
        world = self.people.world
        body = {**facts, "customer_id": world.customers[self.customer].id}
        created = self.apis[0].send("POST", "/v1/projects", world.integration, body, f"{prefix}-create")
        if created.status != 201:
            raise AssertionError(f"{prefix}: create: {created.brief()}")
        project = created.body
        with self.log.lock:
            self.log.created[project["id"]] = f"{prefix}-create"
        for round_ in range(1, self.MAX_ROUNDS + 1):
            if project["terminal"]:
                return
            moves = [self._move(project, r, round_) for r in range(len(self.apis))]
            keys = [f"{prefix}-{round_}-{r}-{moves[r][0]}" for r in range(len(self.apis))]
            answers = self._all_at_once(project["id"], moves, keys)
            won = [r for r, a in enumerate(answers) if 200 <= a.status < 300]
            lost = [r for r, a in enumerate(answers) if r not in won]
            with self.log.lock:
                self.log.rounds += 1
                self.log.losers.update((answers[r].status, answers[r].type) for r in lost)
            wrong = [f"racer {r} ({moves[r][0]}): {answers[r].brief()}" for r in lost
                     if (answers[r].status, answers[r].type) not in LOSER_ANSWERS]
            if len(won) != 1 or wrong:
                self.log.violation(f"{prefix} round {round_} in {project['state']} (version {project['version']}): "
                                   f"{len(won)} won {[moves[r][0] for r in won]}; unexpected losers: {wrong}")
            if not won:
                return
            for r in won:
                t = answers[r].body["transition"]
                self.log.ack(Ack(f"{prefix}/{r}", project["id"], keys[r], moves[r][2].id, t, answers[r].attempts,
                                 answers[r].replayed), self.log.raced)
            project = answers[won[-1]].body["project"]
        self.log.violation(f"{prefix}: not terminal after {self.MAX_ROUNDS} rounds ({project['state']})")

    def _all_at_once(self, project_id: str, moves: list[tuple[str, dict[str, Any], Person, str | None]],
                     keys: list[str]) -> list[Answer]:
        barrier = threading.Barrier(len(moves), timeout=REQUEST_TIMEOUT)
        answers: list[Answer | BaseException | None] = [None] * len(moves)

        def fire(r: int) -> None:
            name, input, who, if_match = moves[r]
            try:
                barrier.wait()
                answers[r] = self.apis[r].send("POST", f"/v1/projects/{project_id}/transitions", who,
                                               {"name": name, "input": input}, keys[r], if_match)
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                barrier.abort()
                answers[r] = exc

        threads = [threading.Thread(target=fire, args=(r,), daemon=True) for r in range(len(moves))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for a in answers:
            if not isinstance(a, Answer):
                raise a if isinstance(a, BaseException) else AssertionError("a racer never answered")
        return answers  # type: ignore[return-value]


# -- escalation checks, and the fleet's clock moving on ----------------------------------------------------------

def check_over_http(api: Api, checker: Person, log: Log, stop: threading.Event, pause: float) -> None:
    """POST /v1/escalation-checks again and again, as an external scheduler would (a sweep is idempotent)."""
    while not stop.is_set():
        answer = api.send("POST", "/v1/escalation-checks", checker)
        if answer.status != 200:
            log.violation(f"escalation check over HTTP: {answer.brief()}")
        else:
            with log.lock:
                log.checks["http"] += 1
                log.raised_by_checks += len(answer.body["raised"])
        stop.wait(pause)


def check_from_the_cli(argv: Sequence[str], env: dict[str, str], cwd: str, log: Log, stop: threading.Event,
                       pause: float) -> None:
    """`bizext escalations check` again and again, as cron would."""
    while not stop.is_set():
        done = subprocess.run([*argv, "escalations", "check"], env=env, cwd=cwd, capture_output=True, timeout=120)
        if done.returncode != 0:
            log.violation(f"bizext escalations check exited {done.returncode}: {done.stderr.decode()[-2000:]}")
        else:
            with log.lock:
                log.checks["cli"] += 1
                log.raised_by_checks += len(json.loads(done.stdout)["raised"])
        stop.wait(pause)


def move_clock(advance: Callable[[timedelta], object], log: Log, stop: threading.Event, every: float,
               step: timedelta, total: timedelta) -> None:
    """Move the fleet's clock on by `step` every `every` seconds, up to `total`: running clocks fall due in
    bunches, as they do when a night or a weekend passes."""
    moved = timedelta(0)
    while not stop.wait(every) and moved + step <= total:
        advance(step)
        moved += step
        with log.lock:
            log.jumps.append(step)
