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
    api, eng = r["api"], r["engine"]
    out = [
        ("pgbench -N TPS (ceiling)", f"{r['pgbench_tps']:.0f}", "—", None),
        ("API transitions/s", f"{api['transitions_per_s']:.1f}", "—", None),
        ("transitions/s ÷ pgbench TPS", f"{r['ratio_tps']:.3f}", "≥ 0.30", r["ratio_tps"] >= 0.30),
        ("p50 / p95 transition latency (ms)", f"{api['p50_ms']:.1f} / {api['p95_ms']:.1f}", "—", None),
        ("p99 transition latency (ms), at full load, not half peak", f"{api['p99_ms']:.1f}",
         "≤ 50 at half peak", api["p99_ms"] <= 50),
        ("transitions 201 / expected conflicts (409, 412) / failures",
         f"{api['ok']} / {api['conflicts']} / {api['failures'] + api['create_failures']}", "0 failures",
         api["failures"] + api["create_failures"] == 0),
        ("server CPU per transition (ms)", f"{r['cpu_per_transition_ms']:.2f}", "—", None),
        ("server CPU per GET /healthz (ms)", f"{r['cpu_per_healthz_ms']:.3f}", "—", None),
        ("CPU per transition ÷ CPU per trivial request", f"{r['ratio_cpu']:.1f}", "≤ 4", r["ratio_cpu"] <= 4),
        ("peak RSS per server process (MB)", " / ".join(f"{v:.0f}" for v in r["peak_rss_mb"].values()), "≤ 200 each",
         max(r["peak_rss_mb"].values()) <= 200),
        ("engine.fire (µs) / bare transitions (µs)", f"{eng['engine_us']:.1f} / {eng['bare_transitions_us']:.1f}",
         "—", None),
        ("engine ÷ bare transitions", f"{eng['ratio']:.2f}", "≤ 3", eng["ratio"] <= 3),
        ("escalation sweep 1M ÷ 10k projects", "not measured yet", "≤ 1.5", None),
        ("1,000 escalations raised in one sweep (s)", "not measured yet", "< 2", None),
        ("read paths p99 at 1M projects (ms)", "not measured yet", "≤ 25 each", None),
    ]
    return out


def markdown(r: dict) -> str:
    head = (f"bizext bench — scale {r['scale']}, {r['clients']} clients, {r['duration']} s per phase, "
            f"{r['server_workers']} server processes, {r['started_at']}\n\n")
    lines = ["| figure | measured | target | met |", "|---|---|---|---|"]
    lines += [f"| {f} | {m} | {t} | {_met(ok)} |" for f, m, t, ok in rows(r)]
    notes = "\n".join(f"- {n}" for n in r["notes"])
    return head + "\n".join(lines) + ("\n\nNotes:\n" + notes if notes else "") + "\n"


def write_json(r: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "latest.json"
    data = dict(r, table=[{"figure": f, "measured": m, "target": t, "met": ok} for f, m, t, ok in rows(r)])
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path
