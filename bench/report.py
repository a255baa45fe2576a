"""The result: one Markdown table (figure, measured, target, met?) and the same as JSON."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def percentile(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def _met(ok: bool | None) -> str:
    return "n/a" if ok is None else ("yes" if ok else "**no**")


def rows(r: dict) -> list[tuple[str, str, str, bool | None]]:
    """(figure, measured, target, met) — met is None where there is no target or no measurement."""
    out: list[tuple[str, str, str, bool | None]] = []
    if "api" in r:
        api = r["api"]
        n, racers = api.get("lifecycle_transitions"), api.get("racers", 0)
        db = api.get("database", {})
        energized = db.get("projects_by_state", {}).get("energized")
        half = api.get("half_peak", {})
        consistent = (db.get("transitions") == api["ok"] + half.get("ok", 0)
                      and energized == api.get("lifecycles") + half.get("lifecycles", 0))
        out += [
            ("pgbench -N TPS (ceiling)", f"{r['pgbench_tps']:.0f}", "—", None),
            (f"API transitions/s: {api.get('workflow', 'hv-standard')}, whole lifecycles ({n} transitions each), "
             f"{r['clients']} clients of which {racers} racing", f"{api['transitions_per_s']:.1f}", "—", None),
            ("transitions/s ÷ pgbench TPS", f"{r['ratio_tps']:.3f}", "≥ 0.30", r["ratio_tps"] >= 0.30),
            ("p50 / p95 / p99 transition latency (ms) at full load", f"{api['p50_ms']:.1f} / {api['p95_ms']:.1f} / "
             f"{api['p99_ms']:.1f}", "—", None),
        ]
        if half:
            out.append((f"p50 / p95 / p99 transition latency (ms) at half of the peak, {half['rate_per_s']:.1f}/s "
                        f"open loop (achieved {half['achieved_per_s']:.1f}/s, {half['failures']} failures)",
                        f"{half['p50_ms']:.1f} / {half['p95_ms']:.1f} / {half['p99_ms']:.1f}", "p99 ≤ 50",
                        half["p99_ms"] <= 50 and not half["failures"]))
        out += [
            (f"transitions 201 / expected conflicts (409, 412: the racing clients' losers, {api.get('races', 0)} "
             "races) / failures",
             f"{api['ok']} / {api['conflicts']} / {api['failures'] + api['create_failures']}",
             "0 failures; conflicts only in races",
             api["failures"] + api["create_failures"] == 0 and not api.get("walker_conflicts")
             and not api.get("race_violations")),
            ("lifecycles completed (energized) / projects created, at full load + at half peak; the database's "
             "energized projects and transitions",
             f"{api.get('lifecycles')} / {api['creates']} + {half.get('lifecycles', 0)}; {energized} and "
             f"{db.get('transitions')}", "= lifecycles and 201s", consistent if db else None),
        ]
        if gen := api.get("generator"):
            out.append(("load generator CPU per request (ms), share of a core",
                        f"{gen['cpu_per_request_ms']:.2f}, {gen['share_of_a_core']:.0%}", "—", None))
        out += [
            ("server CPU per transition (ms)", f"{r['cpu_per_transition_ms']:.2f}", "—", None),
            ("server CPU per GET /healthz (ms)", f"{r['cpu_per_healthz_ms']:.3f}", "—", None),
            ("CPU per transition ÷ CPU per trivial request", f"{r['ratio_cpu']:.1f}", "≤ 4", r["ratio_cpu"] <= 4),
            ("peak RSS per server process (MB)", " / ".join(f"{v:.0f}" for v in r["peak_rss_mb"].values()),
             "≤ 200 each", max(r["peak_rss_mb"].values()) <= 200),
        ]
    if "engine" in r:
        eng = r["engine"]
        out += [("engine.fire (µs) / bare transitions (µs)",
                 f"{eng['engine_us']:.1f} / {eng['bare_transitions_us']:.1f}", "—", None),
                ("engine ÷ bare transitions", f"{eng['ratio']:.2f}", "≤ 3", eng["ratio"] <= 3)]
    if "scale_figures" in r:
        out += scale_rows(r["scale_figures"], r.get("cpu_per_healthz_ms"))
    return out


def _n(projects: int) -> str:
    return f"{projects // 1_000_000}M" if projects % 1_000_000 == 0 else f"{projects // 1000}k"


def scale_rows(f: dict, healthz_cpu_ms: float | None = None) -> list[tuple[str, str, str, bool | None]]:
    sw = f["sweep"]
    small, large = sw["small"], sw["large"]
    s, lg = _n(small["projects"]), _n(large["projects"])
    raised, runs = large["escalations_raised"], small["due_clock_runs"]
    out: list[tuple[str, str, str, bool | None]] = [
        (f"load {lg} projects ({_rows(f['load'][str(large['projects'])])}): migrate + COPY + keys/indexes + FKs + "
         "ANALYZE (s)", _load(f["load"][str(large["projects"])]), "within the 15 min run", None),
        (f"one sweep, {runs:,} due clock runs, at {s} / {lg} projects (s, best of {len(large['seconds'])}; "
         f"median)", f"{small['best_s']:.2f} / {large['best_s']:.2f}; {small['median_s']:.2f} / "
                     f"{large['median_s']:.2f}", "—", None),
        (f"sweep {lg} ÷ sweep {s} projects (wall clock, best; median)",
         f"{sw['ratio']:.2f}; {sw['ratio_median']:.2f}", "≤ 1.5", sw["ratio"] <= 1.5),
        (f"the same in CPU seconds, sweeper + its PostgreSQL backends ({small['best_cpu_s']:.2f} / "
         f"{large['best_cpu_s']:.2f} s); statements per sweep {small['statements'][0]:,} / "
         f"{large['statements'][0]:,}", f"{sw['ratio_cpu']:.2f}", "≤ 1.5", sw["ratio_cpu"] <= 1.5),
        (f"escalations raised in one sweep at {lg} (s, best)", f"{raised[0]:,} in {large['best_s']:.2f}",
         "1,000 in < 2", min(raised) >= 1000 and large["best_s"] < 2),
    ]
    reads, plans = f.get("reads"), f.get("plans", {})
    if reads:
        for kind in ("project", "worklist", "escalations"):
            x, p = reads[kind], plans.get(kind)
            db = (f"; {p['statements_per_request']:.1f} statements, {p['db_execution_ms_mean']:.2f} ms in the "
                  f"database" if p else "")
            out.append((f"{x['path']} at {_n(reads['projects'])}: p50 / p99 (ms) at {x['rate_per_s']:.0f}/s, half "
                        f"of peak {x['peak_per_s']:.0f}/s [alone: {x['alone_p50_ms']:.1f} / "
                        f"{x['alone_p99_ms']:.1f}]; per request: server CPU {x['server_cpu_ms']:.1f} ms"
                        + (f" ({x['server_cpu_ms'] / healthz_cpu_ms:.0f} × GET /healthz)" if healthz_cpu_ms else "")
                        + db,
                        f"{x['p50_ms']:.1f} / {x['p99_ms']:.1f}" + (f", {x['failures']} failures" if x["failures"]
                                                                    else ""),
                        "p99 ≤ 25", x["p99_ms"] <= 25 and not x["failures"]))
        if plans:
            scans = [s for p in plans.values() for s in p["big_table_scans"]]
            out.append((f"read paths' sequential scans of big tables at {_n(reads['projects'])} (custom and "
                        "generic plans)", "none" if not scans else f"{len(scans)}: see JSON", "none", not scans))
        out.append(("peak RSS per server process, reads at " + _n(reads["projects"]) + " (MB)",
                    " / ".join(f"{v:.0f}" for v in reads["peak_rss_mb"].values()), "≤ 200 each",
                    max(reads["peak_rss_mb"].values()) <= 200))
    return out


def _rows(x: dict) -> str:
    return f"{sum(x['rows'].values()) / 1e6:.1f}M rows, {x.get('database_mb', 0) / 1024:.1f} GB"


def _load(x: dict) -> str:
    return (f"{x['migrate_s'] + x['total']:.0f} = {x['migrate_s']:.0f} + {x['copy']:.0f} + "
            f"{x['keys_and_indexes']:.0f} + {x['foreign_keys']:.0f} + {x['analyze']:.0f}")


def markdown(r: dict) -> str:
    head = (f"bizext bench — scale {r['scale']}, {r['clients']} clients, {r['duration']} s per phase, "
            f"{r['server_workers']} server processes, {r['started_at']}, phases {', '.join(r['phases'])}, "
            f"{r['wall_s'] / 60:.1f} min in all\n\n")
    lines = ["| figure | measured | target | met |", "|---|---|---|---|"]
    lines += [f"| {f} | {m} | {t} | {_met(ok)} |" for f, m, t, ok in rows(r)]
    notes = "\n".join(f"- {n}" for n in r["notes"])
    return head + "\n".join(lines) + ("\n\nNotes:\n" + notes if notes else "") + "\n"


def write_json(r: dict, complete: bool = True) -> Path:
    """latest.json for a run of every phase; partial.json (not kept in git) for a run of some."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / ("latest.json" if complete else "partial.json")
    data = dict(r, table=[{"figure": f, "measured": m, "target": t, "met": ok} for f, m, t, ok in rows(r)])
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path
