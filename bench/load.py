"""The load generator, run in its own process: `python -m bench.load '<json config>'` prints JSON results.

mode "transitions": each of C clients creates its own hv-standard project (an important, dual-supply 10 kV
application) and walks it through the whole lifecycle to energized — LIFECYCLE transitions, every stage but the
rework loops — each step fired by the principal the previous answer named as the stage's owner (staff by their
bearer token, the customer for customer-side stages) with `If-Match` set to the ETag that answer gave: one
request per transition. Then the next project, until D seconds are up. The first `racers` clients race: each
step of their projects is sent twice at once, same move, same principal, same If-Match; exactly one may win, the
other must be told 409 or 412 (an expected conflict). Anything else that is not 2xx is a failure. Given a
`rate`, the walkers share one schedule of transitions at that rate (open loop): each transition's latency counts
from its slot in the schedule.
mode "healthz": each of C clients calls GET /healthz for D seconds (the trivial endpoint).
mode "reads": GETs of `targets` ([path, bearer token] pairs, picked at random): C clients in a closed loop for
D seconds, or, given a `rate`, requests sent at that rate for D seconds over at most C connections, each
one's latency counted from when it was due (a stalled server cannot hide its queue).

The config is JSON on the command line, or in a file named after an `@`. The results include this process's own
CPU seconds (`cpu_s`) and requests sent, so that the generator can be seen not to be the bottleneck.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import random
import sys
import time
from datetime import datetime, timedelta, timezone

# httpcore runs `import sniffio` several times per request to learn which async library runs; sniffio is not
# installed here (anyio 4 no longer needs it), and a failed import searches sys.path again every time (measured:
# 1.8 → 1.4 ms of this process's CPU per transition request, 0.9 → 0.7 per GET /healthz, without → with this).
# A None in sys.modules fails that import at once, and httpcore then assumes asyncio, as it would anyway.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

import httpx  # noqa: E402

EXPECTED_CONFLICTS = {409, 412}
SAMPLES = 5


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []  # seconds, per transition request (or per healthz request)
        self.requests = 0  # every request sent (creates, transitions, re-reads)
        self.ok = 0
        self.conflicts = 0
        self.failures = 0
        self.creates = 0
        self.create_failures = 0
        self.lifecycles = 0  # projects walked to energized
        self.walker_conflicts = 0  # conflicts on a project nobody else moves: never expected
        self.races = 0
        self.race_violations = 0  # races with no winner or two
        self.conflict_kinds: dict[str, int] = {}  # "409 /problems/concurrent-modification" → how many
        self.samples: list[str] = []  # a few failure bodies, for the report

    def sample(self, text: str) -> None:
        if len(self.samples) < SAMPLES:
            self.samples.append(text[:400])

    def conflicted(self, r: httpx.Response, racing: bool) -> None:
        """A 409 or 412 (already counted): which kind, and whether a walker, alone on its project, got it."""
        try:
            kind = f"{r.status_code} {r.json().get('type')}"
        except ValueError:
            kind = f"{r.status_code} (not JSON)"
        self.conflict_kinds[kind] = self.conflict_kinds.get(kind, 0) + 1
        if not racing:
            self.walker_conflicts += 1
            self.sample(f"a conflict on a project nobody else moves: {kind} {r.text[:200]}")

    def count(self, r: httpx.Response) -> bool:
        if r.status_code in (200, 201):
            self.ok += 1
            return True
        if r.status_code in EXPECTED_CONFLICTS:
            self.conflicts += 1
        else:
            self.failures += 1
            self.sample(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}")
        return False


# -- hv-standard's whole lifecycle (the path tests/ops/load.py's walkers take for an IMPORTANT project) --------

HV_PROJECT = {"title": "bench hv", "site_address": "1 Bench Road", "voltage_kv": 10, "capacity_kva": 8000,
              "supply": "dual", "important": True, "workflow": "hv-standard"}
SCHEME = {"sources": [{"voltage_kv": 10, "capacity_kva": 4000, "substation": "110 kV Zhangjiang", "feeder": "Z12"},
                      {"voltage_kv": 10, "capacity_kva": 4000, "substation": "110 kV Jinqiao", "feeder": "J7"}],
          "metering": {"method": "high_supply_high_metering"}}
#: The move out of each state; customer_construction is visited twice (see next_step).
FORWARD = {"application_review": "accept", "site_survey": "complete_survey", "scheme_drafting": "submit_for_review",
           "scheme_review": "approve_scheme", "customer_design": "submit_design", "design_review": "approve_design",
           "intermediate_inspection": "pass_intermediate", "completion_inspection": "pass_completion",
           "contract_signing": "sign_contract", "energization": "energize"}
#: application_review → site_survey → scheme_drafting → scheme_review → customer_design → design_review →
#: customer_construction → intermediate_inspection → customer_construction → completion_inspection →
#: contract_signing → energization → energized
LIFECYCLE = 12


def next_step(project: dict) -> str:
    state = project["state"]
    if state == "customer_construction":
        return ("request_completion_inspection" if project["flags"].get("intermediate_inspection_passed")
                else "request_intermediate_inspection")
    return FORWARD[state]


def step_inputs(now: datetime) -> dict[str, dict]:
    """Each step's input (what the definition's input schemas require; dates not in the future)."""
    return {"complete_survey": {"surveyed_on": (now - timedelta(days=1)).date().isoformat(),
                                "findings": "east road route"},
            "submit_for_review": {"scheme": SCHEME},
            "approve_scheme": {"reply_document_no": "PD-44"},
            "submit_design": {"design_document_no": "SJ-118"},
            "sign_contract": {"contract_no": "GYD-88", "fees_settled": True},
            "energize": {"meter_ids": ["3100012345"], "energized_at": (now - timedelta(seconds=1)).isoformat()}}


def step_bodies() -> dict[str, bytes]:
    """The request bodies of one lifecycle, encoded once."""
    inputs = step_inputs(datetime.now(timezone.utc))
    names = set(FORWARD.values()) | {"request_intermediate_inspection", "request_completion_inspection"}
    return {n: json.dumps({"name": n, "input": inputs.get(n, {})}).encode() for n in names}


class Pacer:
    """Transitions at a fixed rate, shared by every walker (open loop): a walker takes the next slot and waits
    for it; its latency counts from the slot, not from when it was sent, so a server that stalls cannot hide
    its queue behind walkers that are still waiting for answers.

    The schedule starts once every walker holds its first project (`ready`). Creating them is not part of the
    schedule: counted from a clock started before them, the first slots were overdue by the time C creations
    took at once (seen: 180-470 ms on the first requests at 20-30/s, then 25-30 ms), a start-up lag that the
    p99 of a 15 s run then reported as if it were the server's queue."""

    def __init__(self, rate: float, walkers: int, patience: float = 10.0):
        self.rate, self.k, self.walkers, self.patience = rate, 0, walkers, patience
        self.start: float | None = None
        self.arrived = 0
        self.everyone = asyncio.Event()

    async def ready(self) -> None:
        """A walker has its first project: wait for the others (at most `patience` seconds, should one never
        get a project), then the schedule starts."""
        self.arrived += 1
        if self.arrived >= self.walkers:
            self.everyone.set()
        try:
            await asyncio.wait_for(self.everyone.wait(), self.patience)
        except TimeoutError:
            self.everyone.set()
        if self.start is None:
            self.start = time.perf_counter()

    async def slot(self) -> float:
        if self.start is None:
            self.start = time.perf_counter()
        due = self.start + self.k / self.rate
        self.k += 1
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        return due


class Walker:
    """One client: its own connection(s), its customer, and every principal's headers by principal id."""

    def __init__(self, cfg: dict, n: int, t: Tally, racing: bool, client: httpx.AsyncClient,
                 pacer: Pacer | None = None):
        self.t, self.racing, self.c, self.pacer = t, racing, client, pacer
        self.joined = False  # whether this walker has told the pacer it is ready
        self.customer_id = cfg["customers"][n % len(cfg["customers"])]
        self.headers = {pid: {"Authorization": f"Bearer {tok}", "Content-Type": "application/json"}
                        for pid, tok in cfg["tokens"].items()}
        self.create_body = json.dumps(dict(HV_PROJECT, region=cfg["region"], customer_id=self.customer_id)).encode()

    async def _timed(self, path: httpx.URL | str, body: bytes, headers: dict,
                     due: float | None = None) -> httpx.Response | Exception:
        self.t.requests += 1
        start = time.perf_counter() if due is None else due
        try:
            r = await self.c.post(path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            r = exc
        self.t.latencies.append(time.perf_counter() - start)
        return r

    async def _reread(self, pid: str) -> tuple[dict, str] | None:
        self.t.requests += 1
        try:
            r = await self.c.get(f"/v1/projects/{pid}", headers=self.headers[self.customer_id])
        except httpx.HTTPError as exc:
            r = exc
        if isinstance(r, Exception) or r.status_code != 200:
            self.t.failures += 1
            self.t.sample(f"re-read {pid}: {r!r}" if isinstance(r, Exception) else
                          f"re-read {pid}: {r.status_code} {r.text[:300]}")
            return None
        return r.json(), r.headers["ETag"]

    async def run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            self.t.requests += 1
            try:
                r = await self.c.post("/v1/projects", content=self.create_body, headers=self.headers[self.customer_id])
            except httpx.HTTPError as exc:
                r = None
                self.t.sample(f"create: {exc!r}")
            if r is None or r.status_code != 201:
                self.t.create_failures += 1
                if r is not None:
                    self.t.sample(f"create: {r.status_code} {r.text[:300]}")
                await asyncio.sleep(0.05)
                continue
            self.t.creates += 1
            if self.pacer is not None and not self.joined:  # the first project: the schedule waits for all
                self.joined = True
                await self.pacer.ready()
            await self.walk(r.json(), r.headers["ETag"], deadline)

    async def walk(self, project: dict, etag: str, deadline: float) -> None:
        t, bodies, pid = self.t, step_bodies(), project["id"]
        # an absolute URL, parsed once per project rather than merged with the base URL on every request
        path, moved = self.c.base_url.join(f"/v1/projects/{pid}/transitions"), 0
        while not project["terminal"]:
            if time.monotonic() >= deadline:
                return
            name, owner = next_step(project), project["owner"]
            headers = self.headers.get(owner["id"]) if owner else None
            if headers is None:
                t.failures += 1
                t.sample(f"{pid} in {project['state']}: no token for its owner {owner}")
                return
            headers = dict(headers, **{"If-Match": etag})
            due = await self.pacer.slot() if self.pacer else None
            if self.racing:
                answers = await asyncio.gather(self._timed(path, bodies[name], headers, due),
                                               self._timed(path, bodies[name], headers, due))
            else:
                answers = [await self._timed(path, bodies[name], headers, due)]
            won = []
            for a in answers:
                if isinstance(a, Exception):
                    t.failures += 1
                    t.sample(f"{name} on {pid}: {a!r}")
                elif t.count(a):
                    won.append(a)
                elif a.status_code in EXPECTED_CONFLICTS:
                    t.conflicted(a, self.racing)
            if self.racing:
                t.races += 1
                if len(won) != 1:
                    t.race_violations += 1
                    t.failures += 1
                    t.sample(f"race for {name} on {pid} (If-Match {etag}): {len(won)} won: "
                             + "; ".join(str(getattr(a, "status_code", a)) for a in answers))
            if len(won) == 1:
                moved += 1
                project, etag = won[0].json()["project"], won[0].headers["ETag"]
            else:  # nobody or both moved it: read where it is now, and go on from there
                again = await self._reread(pid)
                if again is None:
                    return
                project, etag = again
        if project["state"] == "energized":
            t.lifecycles += 1
            if moved != LIFECYCLE:
                t.failures += 1
                t.sample(f"{pid} energized after {moved} transitions, not {LIFECYCLE}")


async def transitions_client(cfg: dict, n: int, deadline: float, t: Tally, pacer: Pacer | None = None) -> None:
    racing = n < cfg.get("racers", 0)
    limits = httpx.Limits(max_connections=2 if racing else 1, max_keepalive_connections=2 if racing else 1)
    # Plain HTTP on loopback: no TLS context to build (loading the CA bundle costs ~20 ms of CPU per client).
    async with httpx.AsyncClient(base_url=cfg["url"], timeout=30, limits=limits, verify=False,
                                 trust_env=False) as c:
        await Walker(cfg, n, t, racing, c, pacer).run(deadline)


async def healthz_client(cfg: dict, n: int, deadline: float, t: Tally) -> None:
    async with httpx.AsyncClient(base_url=cfg["url"], timeout=30) as c:
        while time.monotonic() < deadline:
            start = time.perf_counter()
            r = await c.get("/healthz")
            t.latencies.append(time.perf_counter() - start)
            t.count(r)


async def reads_client(cfg: dict, n: int, deadline: float, t: Tally) -> None:
    rng = random.Random(n)
    async with httpx.AsyncClient(base_url=cfg["url"], timeout=30) as c:
        while time.monotonic() < deadline:
            path, token = rng.choice(cfg["targets"])
            start = time.perf_counter()
            r = await c.get(path, headers={"Authorization": f"Bearer {token}"})
            t.latencies.append(time.perf_counter() - start)
            t.count(r)


async def paced_reads(cfg: dict, t: Tally) -> None:
    rng = random.Random(0)
    limits = httpx.Limits(max_connections=cfg["clients"], max_keepalive_connections=cfg["clients"])
    async with httpx.AsyncClient(base_url=cfg["url"], timeout=30, limits=limits) as c:
        async def one(path: str, token: str, due: float) -> None:
            r = await c.get(path, headers={"Authorization": f"Bearer {token}"})
            t.latencies.append(time.perf_counter() - due)
            t.count(r)

        tasks = []
        start = time.perf_counter()
        for k in range(int(cfg["rate"] * cfg["duration"])):
            due = start + k / cfg["rate"]
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(*rng.choice(cfg["targets"]), due)))
        await asyncio.gather(*tasks)


CLIENTS = {"transitions": transitions_client, "healthz": healthz_client, "reads": reads_client}


async def main(cfg: dict) -> dict:
    t = Tally()
    cpu = time.process_time()
    start = time.monotonic()
    deadline = start + cfg["duration"]
    if cfg.get("rate") and cfg["mode"] == "reads":
        await asyncio.wait_for(paced_reads(cfg, t), timeout=cfg["duration"] + 60)
    elif cfg.get("rate"):  # transitions at a fixed rate: C walkers share one schedule
        pacer = Pacer(cfg["rate"], cfg["clients"])
        await asyncio.wait_for(asyncio.gather(*(transitions_client(cfg, i, deadline, t, pacer)
                                                for i in range(cfg["clients"]))), timeout=cfg["duration"] + 60)
    else:
        client = CLIENTS[cfg["mode"]]
        await asyncio.wait_for(asyncio.gather(*(client(cfg, i, deadline, t) for i in range(cfg["clients"]))),
                               timeout=cfg["duration"] + 60)
    return {"elapsed": time.monotonic() - start, "ok": t.ok, "conflicts": t.conflicts, "failures": t.failures,
            "creates": t.creates, "create_failures": t.create_failures, "latencies": t.latencies,
            "lifecycles": t.lifecycles, "lifecycle_transitions": LIFECYCLE, "racers": cfg.get("racers", 0),
            "races": t.races, "race_violations": t.race_violations, "walker_conflicts": t.walker_conflicts,
            "conflict_kinds": t.conflict_kinds,
            "requests": t.requests or len(t.latencies), "cpu_s": time.process_time() - cpu,
            "failure_samples": t.samples}


def config(arg: str) -> dict:
    if arg.startswith("@"):
        with open(arg[1:]) as f:
            return json.load(f)
    return json.loads(arg)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(config(sys.argv[1])))))
