"""The figures at scale: one escalation sweep at 10 thousand and at 1 million projects with the same due
clock runs, and the read paths through the API at 1 million projects (their latency, and — bench/plans.py —
their statements, the database's own time for them and their plans).

Both databases are fresh, migrated by `bizext migrate`, and filled by bench.bulk with bench.dataset's
rows at the same instant `now`, so the same `due` clock runs are due in both. A sweep is
`bizext.services.escalations.sweep(database, now)` — what `bizext escalations check`, the worker and
`POST /v1/escalation-checks` all call. Each database is swept `repeats` times, alternately, each time from
the same state (the due runs' schedule put back, the escalations and events the sweep wrote deleted), and
the median counts, since this machine is shared and noisy.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench import bulk, dataset, pg, plans, procs, report


@dataclass
class Built:
    name: str
    shape: dataset.Shape
    loaded: bulk.Loaded
    migrate_s: float

    @property
    def dsn(self) -> str:
        return f"host={pg.HOST} port={pg.PORT} user={pg.USER} dbname={self.name}"

    @property
    def url(self) -> str:
        return pg.sqlalchemy_url(self.name)


def build(shape: dataset.Shape, created: list[str]) -> Built:
    """A fresh database migrated by `bizext migrate` and bulk-loaded; its name is appended to `created` at
    once, so that the caller drops it whatever happens next."""
    name = pg.create_database(f"bizext_bench_{shape.projects}")
    created.append(name)
    start = time.perf_counter()
    subprocess.run([".venv/bin/bizext", "migrate"], env=dict(os.environ, BIZEXT_DATABASE_URL=pg.sqlalchemy_url(name)),
                   check=True, timeout=300, capture_output=True)
    migrate_s = time.perf_counter() - start
    return Built(name, shape, bulk.load(f"host={pg.HOST} port={pg.PORT} user={pg.USER} dbname={name}", shape),
                 migrate_s)


def database_mb(built: Built) -> float:
    with psycopg.connect(built.dsn) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20


# -- the sweep ---------------------------------------------------------------------------------------------
@dataclass
class Sweeps:
    seconds: list[float] = field(default_factory=list)  # wall clock
    cpu_s: list[float] = field(default_factory=list)  # this process + its PostgreSQL backends
    statements: list[int] = field(default_factory=list)
    runs_examined: list[int] = field(default_factory=list)
    raised: list[int] = field(default_factory=list)


class Sweeper:
    """Sweeps one database at `now` and puts it back as it was before, so that it can be swept again.

    Besides the wall clock it counts the CPU time of the sweep, in this process and in the PostgreSQL backends
    serving it (from /proc: the server is on this machine), and the statements sent: on a shared machine the
    wall clock is mostly waiting for a core, while CPU time and round trips measure the sweep's own work."""

    def __init__(self, built: Built):
        from sqlalchemy import event

        from bizext.db.session import Database

        self.built = built
        self.database = Database(built.url, pool_size=2)
        self.backends: set[int] = set()
        self.statements = 0

        @event.listens_for(self.database.engine, "connect")
        def _backend(dbapi_connection: Any, _record: Any) -> None:
            self.backends.add(dbapi_connection.info.backend_pid)

        @event.listens_for(self.database.engine, "before_cursor_execute")
        def _count(*_: Any) -> None:
            self.statements += 1

        self.due = [uuid.UUID(hex=h) for h in built.loaded.sample.due_runs]
        with psycopg.connect(built.dsn) as conn:
            self.schedule = list(conn.execute(
                "SELECT id, escalated_level, next_escalation_at, deadline_at FROM clock_runs WHERE id = ANY(%s)",
                (self.due,)))
            self.sequence = conn.execute("SELECT value FROM counters WHERE name = 'events'").fetchone()[0]
            self.due_now = conn.execute(
                "SELECT count(*) FROM clock_runs WHERE stopped_at IS NULL AND paused_since IS NULL"
                " AND next_escalation_at <= %s", (built.shape.now,)).fetchone()[0]
        self.result = Sweeps()

    def sweep(self) -> None:
        from bizext.services.escalations import sweep

        self.statements = 0
        backends = procs.cpu_seconds(list(self.backends))
        cpu, start = time.process_time(), time.perf_counter()
        result = sweep(self.database, self.built.shape.now)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu + procs.cpu_seconds(list(self.backends)) - backends
        self.result.seconds.append(wall)
        self.result.cpu_s.append(cpu)
        self.result.statements.append(self.statements)
        self.result.runs_examined.append(result.runs_examined)
        self.result.raised.append(len(result.raised))
        self._put_back(result.raised)

    def _put_back(self, raised: list[uuid.UUID]) -> None:
        with psycopg.connect(self.built.dsn) as conn:
            conn.execute("DELETE FROM escalations WHERE id = ANY(%s)", (raised,))
            conn.execute("DELETE FROM events WHERE sequence > %s", (self.sequence,))
            conn.execute("UPDATE counters SET value = %s WHERE name = 'events'", (self.sequence,))
            with conn.cursor() as cur:
                cur.executemany("UPDATE clock_runs SET escalated_level = %s, next_escalation_at = %s,"
                                " deadline_at = %s WHERE id = %s",
                                [(level, nxt, deadline, run_id) for run_id, level, nxt, deadline in self.schedule])

    def close(self) -> None:
        self.database.dispose()


def sweep_both(small: Built, large: Built, repeats: int) -> dict[str, Any]:
    """`repeats` sweeps of each, alternately; the best of each counts (the least disturbed by the machine's
    other work, as for the engine alone), the median is kept beside it."""
    from bizext.workflow.definitions import registry

    registry()  # parsed once per process (the CLI pays it at start): not part of either database's sweep
    sweepers = [Sweeper(small), Sweeper(large)]
    try:
        for _ in range(repeats):
            for s in sweepers:
                s.sweep()
    finally:
        for s in sweepers:
            s.close()
    out: dict[str, Any] = {}
    for s, key in zip(sweepers, ("small", "large")):
        r = s.result
        out[key] = {"projects": s.built.shape.projects, "due_clock_runs": s.due_now, "seconds": r.seconds,
                    "best_s": min(r.seconds), "median_s": statistics.median(r.seconds), "cpu_s": r.cpu_s,
                    "best_cpu_s": min(r.cpu_s), "statements": r.statements, "runs_examined": r.runs_examined,
                    "escalations_raised": r.raised}
    out["ratio"] = out["large"]["best_s"] / out["small"]["best_s"]
    out["ratio_median"] = out["large"]["median_s"] / out["small"]["median_s"]
    out["ratio_cpu"] = out["large"]["best_cpu_s"] / out["small"]["best_cpu_s"]
    return out


# -- the read paths ------------------------------------------------------------------------------------------
READ_PATHS = {
    "project": "GET /v1/projects/{id}",
    "worklist": "GET /v1/projects?owner_id={staff}",
    "escalations": "GET /v1/escalations?status=open&recipient_id={staff}",
}


def run_reads(cfg: dict[str, Any]) -> dict[str, Any]:
    """The load generator in its own process; its config (thousands of targets) goes through a file."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfg, f)
    try:
        out = subprocess.run([sys.executable, "-m", "bench.load", "@" + f.name], check=True, capture_output=True,
                             text=True, timeout=cfg["duration"] + 120)
    finally:
        Path(f.name).unlink()
    return json.loads(out.stdout)


def measure_reads(built: Built, clients: int, duration: int, log_dir: Path) -> dict[str, Any]:
    """For each read path, against `bizext serve --workers 2` on the database: its latency with one client
    (the floor: no queueing), its peak throughput with `clients` closed-loop clients, then its latency at half
    that rate, open loop (each request's latency counted from when it was due, so a stall is not hidden)."""
    env = dict(os.environ, BIZEXT_DATABASE_URL=built.url, BIZEXT_ADMIN_TOKEN=uuid.uuid4().hex)
    server = procs.Server(env, 2, log_dir / f"{built.name}-server.log")
    out: dict[str, Any] = {}
    try:
        server.wait_ready()
        alone_s, peak_s, paced_s = max(5, duration // 6), max(5, duration // 3), max(10, duration // 2)
        for kind in READ_PATHS:
            targets = dataset.read_targets(built.loaded.sample, built.shape.secret, kind, 5_000)
            base = {"url": server.url, "targets": targets, "mode": "reads"}
            print(f"[bench] {READ_PATHS[kind]}: 1 client {alone_s} s, {clients} clients {peak_s} s …", flush=True)
            alone = run_reads(dict(base, clients=1, duration=alone_s))
            peak = run_reads(dict(base, clients=clients, duration=peak_s))
            rate = peak["ok"] / peak["elapsed"] / 2
            print(f"[bench] {READ_PATHS[kind]}: {rate:.0f}/s (half of peak), {paced_s} s …", flush=True)
            before = server.cpu()
            paced = run_reads(dict(base, clients=clients, duration=paced_s, rate=rate))
            cpu = server.cpu() - before
            lat, alone_lat = paced.pop("latencies"), alone.pop("latencies")
            peak.pop("latencies")
            out[kind] = {
                "path": READ_PATHS[kind], "distinct_targets": len({t[0] for t in targets}),
                "alone_p50_ms": report.percentile(alone_lat, 50) * 1e3,
                "alone_p99_ms": report.percentile(alone_lat, 99) * 1e3,
                "peak_per_s": peak["ok"] / peak["elapsed"], "rate_per_s": rate, "ok": paced["ok"],
                "failures": paced["failures"] + peak["failures"] + alone["failures"],
                "failure_samples": paced["failure_samples"] + peak["failure_samples"],
                "p50_ms": report.percentile(lat, 50) * 1e3, "p95_ms": report.percentile(lat, 95) * 1e3,
                "p99_ms": report.percentile(lat, 99) * 1e3, "server_cpu_ms": cpu / max(paced["ok"], 1) * 1e3}
        out["peak_rss_mb"] = {str(p): procs.peak_rss_mb(p) for p in server.pids()}
    finally:
        server.stop()
    return out


# -- the phase -------------------------------------------------------------------------------------------------
def measure(*, projects: int, small_projects: int, due: int, clients: int, duration: int, repeats: int,
            reads: bool = True) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    secret = uuid.uuid4().hex[:12]
    created: list[str] = []
    try:
        shapes = [dataset.Shape(projects=n, now=now, due=due, secret=secret) for n in (small_projects, projects)]
        built = []
        for shape in shapes:
            print(f"[bench] {shape.projects:,} projects: migrate + COPY …", flush=True)
            b = build(shape, created)
            print(f"[bench]   loaded in {b.loaded.seconds['total']:.0f} s "
                  f"({', '.join(f'{k} {v:.0f} s' for k, v in b.loaded.seconds.items() if k != 'total')})",
                  flush=True)
            built.append(b)
        small, large = built
        print(f"[bench] sweeps at {small.shape.projects:,} and {large.shape.projects:,} projects, "
              f"{repeats} each …", flush=True)
        sweeps = sweep_both(small, large, repeats)
        result = {"now": now.isoformat(), "sweep": sweeps,
                  "load": {str(b.shape.projects): {
                      "migrate_s": b.migrate_s, **b.loaded.seconds, "rows": b.loaded.sample.rows,
                      "database_mb": database_mb(b),
                      "slowest_steps_s": dict(sorted(b.loaded.details.items(), key=lambda kv: -kv[1])[:12])}
                      for b in built}}
        if reads:
            print(f"[bench] read paths' statements and plans at {large.shape.projects:,} projects …", flush=True)
            result["plans"] = plans.read_path_figures(large.url, large.loaded.sample, large.shape.secret, READ_PATHS)
            result["reads"] = measure_reads(large, clients, duration, Path(tempfile.gettempdir()))
            result["reads"]["projects"] = large.shape.projects
        return result
    finally:
        for name in created:
            pg.drop_database(name)
