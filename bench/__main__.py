"""`python -m bench --scale small --duration 20`: one run, every figure beside its target.

Phases (`--phases`): api — pgbench ceiling on a scratch database → fresh, migrated bizext database →
`bizext serve` → staff for every hv-standard stage and a customer per client set up through the API →
healthz-only load (trivial CPU/request) → transition load (separate process, bench/load.py: whole hv-standard
lifecycles, a few clients racing each other); scale — two fresh databases bulk-loaded by COPY (10k and 1M
projects, the same 1,000 due clock runs), one escalation sweep on each, then the read paths through the API at
1M (bench/scale.py); engine — the workflow layer alone. Then the table and bench/results/latest.json.
Everything started here is stopped and every database created here is dropped, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

from bench import engine, load, pg, procs, report, scale
from bizext.workflow.definitions import registry

SERVER_WORKERS = 2
REGION = "Bench"
WORKFLOW = "hv-standard"
STAFF_PER_ROLE = 2  # per stage-owning role: the load follows whichever the server assigns
OTHER_ROLES = ["project_manager", "supervisor", "admin"]
RACERS = 2


def stage_roles(workflow: str = WORKFLOW) -> list[str]:
    """The staff roles that own the workflow's stages (customer-side stages belong to the customer)."""
    states = registry().get(workflow).states.values()
    return sorted({s.owner_role for s in states if s.owner_role not in (None, "customer")})


def setup_people(url: str, admin_token: str, clients: int) -> dict:
    """Through the API: STAFF_PER_ROLE staff for each role that owns an hv-standard stage, one of each other role,
    all in one region, each stage owner with a bearer token; and a customer with its own token per client (it
    applies, and fires the customer-side steps). Returns the load's config: `tokens` by principal id
    (staff id or customer id) and the customers' ids."""
    h = {"Authorization": f"Bearer {admin_token}"}
    tokens: dict[str, str] = {}
    customers: list[str] = []
    with httpx.Client(base_url=url, headers=h, timeout=30) as c:
        def post(path: str, body: dict) -> dict:
            r = c.post(path, json=body)
            r.raise_for_status()
            return r.json()

        for role in stage_roles():
            for k in range(STAFF_PER_ROLE):
                me = post("/v1/staff", {"name": f"Bench {role} {k + 1}", "region": REGION, "roles": [role]})
                tokens[me["id"]] = post("/v1/tokens", {"staff_id": me["id"]})["token"]
        for role in OTHER_ROLES:
            post("/v1/staff", {"name": f"Bench {role}", "region": REGION, "roles": [role]})
        for k in range(clients):
            customer = post("/v1/customers", {"name": f"Bench customer {k + 1}"})
            tokens[customer["id"]] = post("/v1/tokens", {"customer_id": customer["id"]})["token"]
            customers.append(customer["id"])
    return {"tokens": tokens, "customers": customers, "region": REGION}


def run_load(cfg: dict) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.load", json.dumps(cfg)], check=True, capture_output=True,
                         text=True, timeout=cfg["duration"] + 120)
    return json.loads(out.stdout)


def phase(server: procs.Server, cfg: dict) -> tuple[dict, float]:
    """Run one load phase; return its results and the server's CPU seconds during it."""
    before = server.cpu()
    result = run_load(cfg)
    return result, server.cpu() - before


#: concurrent clients (pgbench and API alike) and projects loaded for the scale figures, per scale
SCALES = {"small": (8, 100_000), "default": (16, 1_000_000), "large": (32, 1_000_000)}
PHASES = ("api", "scale", "engine")


def database_counts(db: str) -> dict:
    """What the database holds after the load: projects by state, transitions recorded."""
    by_state = {state: int(n) for state, n in pg.query(db, "SELECT state, count(*) FROM projects GROUP BY state")}
    (transitions,), = pg.query(db, "SELECT count(*) FROM transitions")
    return {"projects_by_state": by_state, "transitions": int(transitions)}


def api_phase(clients: int, duration: int, racers: int, notes: list[str]) -> dict:
    print(f"[bench] pgbench -N -c {clients} -T {duration} …", flush=True)
    tps = pg.pgbench_tps(clients, duration)

    db = pg.create_database("bizext_bench")
    admin_token = secrets.token_urlsafe(24)
    env = dict(os.environ, BIZEXT_DATABASE_URL=pg.sqlalchemy_url(db), BIZEXT_ADMIN_TOKEN=admin_token)
    server = None
    try:
        print(f"[bench] database {db}: migrating …", flush=True)
        subprocess.run([".venv/bin/bizext", "migrate"], env=env, check=True, timeout=120, capture_output=True)
        log = Path(tempfile.gettempdir()) / f"{db}-server.log"
        server = procs.Server(env, SERVER_WORKERS, log)
        server.wait_ready()
        people = setup_people(server.url, admin_token, clients)
        base = dict(people, url=server.url, clients=clients)

        hz_duration = max(3, duration // 4)
        print(f"[bench] GET /healthz, {clients} clients, {hz_duration} s …", flush=True)
        hz, hz_cpu = phase(server, dict(base, mode="healthz", duration=hz_duration))
        print(f"[bench] {WORKFLOW} lifecycles, {clients} clients ({racers} racing), {duration} s …", flush=True)
        tr, tr_cpu = phase(server, dict(base, mode="transitions", duration=duration, racers=racers))
        # The latency target is at half of the peak just measured, in open loop (no racers: their doubled
        # requests would not be the rate asked for).
        half_rate = tr["ok"] / tr["elapsed"] / 2
        half_duration = max(5, duration // 2)
        print(f"[bench] {WORKFLOW} at half of that peak, {half_rate:.1f} transitions/s, {half_duration} s …",
              flush=True)
        half, _ = phase(server, dict(base, mode="transitions", duration=half_duration, racers=0, rate=half_rate))
        rss = {str(p): procs.peak_rss_mb(p) for p in server.pids()}
        counts = database_counts(db)
    finally:
        if server is not None:
            server.stop()
        pg.drop_database(db)

    lat = tr.pop("latencies")
    half_lat = half.pop("latencies")
    hz.pop("latencies")
    api = {k: tr[k] for k in ("ok", "conflicts", "failures", "creates", "create_failures", "elapsed", "lifecycles",
                              "lifecycle_transitions", "racers", "races", "race_violations", "walker_conflicts",
                              "conflict_kinds", "failure_samples")}
    api.update(workflow=WORKFLOW, database=counts,
               transitions_per_s=tr["ok"] / tr["elapsed"], p50_ms=report.percentile(lat, 50) * 1e3,
               p95_ms=report.percentile(lat, 95) * 1e3, p99_ms=report.percentile(lat, 99) * 1e3,
               half_peak={"rate_per_s": half_rate, "achieved_per_s": half["ok"] / half["elapsed"],
                          "ok": half["ok"], "failures": half["failures"] + half["create_failures"],
                          "conflicts": half["conflicts"], "lifecycles": half["lifecycles"],
                          "p50_ms": report.percentile(half_lat, 50) * 1e3,
                          "p95_ms": report.percentile(half_lat, 95) * 1e3,
                          "p99_ms": report.percentile(half_lat, 99) * 1e3},
               generator={"cpu_s": tr["cpu_s"], "requests": tr["requests"],
                          "cpu_per_request_ms": tr["cpu_s"] / max(tr["requests"], 1) * 1e3,
                          "share_of_a_core": tr["cpu_s"] / tr["elapsed"]})
    cpu_tr = tr_cpu / max(tr["ok"], 1)
    cpu_hz = hz_cpu / max(hz["ok"], 1)
    if api["conflict_kinds"]:
        notes.append("expected conflicts, by answer: " + ", ".join(
            f"{kind} × {n}" for kind, n in sorted(api["conflict_kinds"].items())))
    if api["failure_samples"]:
        notes.append("failure samples: " + " | ".join(api["failure_samples"]))
    return {"pgbench_tps": tps, "api": api, "healthz": dict(hz, cpu_s=hz_cpu),
            "ratio_tps": api["transitions_per_s"] / tps, "cpu_per_transition_ms": cpu_tr * 1e3,
            "cpu_per_healthz_ms": cpu_hz * 1e3, "ratio_cpu": cpu_tr / cpu_hz, "peak_rss_mb": rss}


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=SCALES, default="default",
                    help="clients and projects: small 8 / 100k, default 16 / 1M, large 32 / 1M")
    ap.add_argument("--duration", type=int, default=30,
                    help="seconds of pgbench and of API load; the read paths take about 3 × this in all")
    ap.add_argument("--projects", type=int, help="projects in the large database (read paths, sweep)")
    ap.add_argument("--small-projects", type=int, default=10_000, help="projects in the small sweep database")
    ap.add_argument("--due", type=int, default=1_000, help="due clock runs in both sweep databases")
    ap.add_argument("--sweeps", type=int, default=3, help="sweeps per database (the median counts)")
    ap.add_argument("--racers", type=int, default=RACERS,
                    help=f"of the API clients, how many race (each step sent twice at once); default {RACERS}")
    ap.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated, of {', '.join(PHASES)}")
    args = ap.parse_args()
    clients, projects = SCALES[args.scale]
    projects = args.projects or projects
    duration = args.duration
    phases = [p for p in args.phases.split(",") if p]
    if unknown := set(phases) - set(PHASES):
        ap.error(f"unknown phases: {', '.join(sorted(unknown))}")
    if not 0 <= args.racers <= clients:
        ap.error(f"--racers must lie between 0 and the {clients} clients")
    notes = [f"CPU per transition = all server CPU in the transition phase ÷ transitions answered 201 (it includes "
             f"the project creations that feed them, one per {load.LIFECYCLE} transitions, and the racing "
             f"clients' losing requests)"]
    begun = time.monotonic()
    r: dict = {"scale": args.scale, "clients": clients, "racers": args.racers, "duration": duration,
               "server_workers": SERVER_WORKERS,
               "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "phases": phases,
               "notes": notes}
    if "api" in phases:
        r.update(api_phase(clients, duration, args.racers, notes))
    if "scale" in phases:
        r["scale_figures"] = scale.measure(projects=projects, small_projects=args.small_projects, due=args.due,
                                           clients=clients, duration=duration, repeats=args.sweeps)
    if "engine" in phases:
        print("[bench] engine alone …", flush=True)
        r["engine"] = engine.measure()
    r["wall_s"] = time.monotonic() - begun
    print()
    print(report.markdown(r))
    print(f"[bench] written {report.write_json(r, complete=set(phases) == set(PHASES))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
