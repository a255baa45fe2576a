"""The load generator, run in its own process: `python -m bench.load '<json config>'` prints JSON results.

mode "transitions": each of C clients creates its own lv-simple project and moves it
accept → sign_contract → energize, again and again, for D seconds.
mode "healthz": each of C clients calls GET /healthz for D seconds (the trivial endpoint).
mode "reads": GETs of `targets` ([path, bearer token] pairs, picked at random): C clients in a closed loop for
D seconds, or, given a `rate`, requests sent at that rate for D seconds over at most C connections, each
one's latency counted from when it was due (a stalled server cannot hide its queue).

The config is JSON on the command line, or in a file named after an `@`.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from datetime import datetime, timedelta, timezone

import httpx

EXPECTED_CONFLICTS = {409, 412}


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []  # seconds, per transition request (or per healthz request)
        self.ok = 0
        self.conflicts = 0
        self.failures = 0
        self.creates = 0
        self.create_failures = 0
        self.samples: list[str] = []  # a few failure bodies, for the report

    def count(self, r: httpx.Response) -> bool:
        if r.status_code in (200, 201):
            self.ok += 1
            return True
        if r.status_code in EXPECTED_CONFLICTS:
            self.conflicts += 1
        else:
            self.failures += 1
            if len(self.samples) < 3:
                self.samples.append(f"{r.status_code} {r.text[:300]}")
        return False


def _steps() -> list[dict]:
    energized_at = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
    return [{"name": "accept"},
            {"name": "sign_contract", "input": {"contract_no": "BENCH-1", "fees_settled": True}},
            {"name": "energize", "input": {"meter_ids": ["M-1"], "energized_at": energized_at}}]


async def transitions_client(cfg: dict, n: int, deadline: float, t: Tally) -> None:
    headers = {"Authorization": f"Bearer {cfg['token']}"}
    project = {"title": "bench", "site_address": "1 Bench Road", "voltage_kv": 0.4, "capacity_kva": 100,
               "supply": "single", "important": False, "region": cfg["region"], "workflow": "lv-simple",
               "customer_id": cfg["customer_id"], "customer_manager_id": cfg["staff_id"]}
    async with httpx.AsyncClient(base_url=cfg["url"], headers=headers, timeout=30) as c:
        while time.monotonic() < deadline:
            r = await c.post("/v1/projects", json=project)
            if r.status_code != 201:
                t.create_failures += 1
                if len(t.samples) < 3:
                    t.samples.append(f"create {r.status_code} {r.text[:300]}")
                await asyncio.sleep(0.05)
                continue
            t.creates += 1
            pid, etag = r.json()["id"], r.headers.get("ETag")
            for body in _steps():
                if time.monotonic() >= deadline:
                    return
                start = time.perf_counter()
                r = await c.post(f"/v1/projects/{pid}/transitions", json=body,
                                 headers={"If-Match": etag} if etag else {})
                t.latencies.append(time.perf_counter() - start)
                if not t.count(r):
                    break
                etag = r.headers.get("ETag")


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
    start = time.monotonic()
    deadline = start + cfg["duration"]
    if cfg.get("rate"):
        await asyncio.wait_for(paced_reads(cfg, t), timeout=cfg["duration"] + 60)
    else:
        client = CLIENTS[cfg["mode"]]
        await asyncio.wait_for(asyncio.gather(*(client(cfg, i, deadline, t) for i in range(cfg["clients"]))),
                               timeout=cfg["duration"] + 60)
    return {"elapsed": time.monotonic() - start, "ok": t.ok, "conflicts": t.conflicts, "failures": t.failures,
            "creates": t.creates, "create_failures": t.create_failures, "latencies": t.latencies,
            "failure_samples": t.samples}


def config(arg: str) -> dict:
    if arg.startswith("@"):
        with open(arg[1:]) as f:
            return json.load(f)
    return json.loads(arg)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(config(sys.argv[1])))))
