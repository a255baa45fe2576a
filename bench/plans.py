"""What the read paths ask the database, and how the database answers: the statements the API really sends
(captured from the cursor while the app answers in this process) and their plans.

Used by tests/db/test_read_plans.py (no read path scans a big table, at 10k projects, on both databases) and by
the benchmark at 1M projects (the same check, plus how much of a request is the database's own time).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

#: Tables that grow with the number of projects (or of users): a scan of one costs in proportion to the
#: utility's history instead of to the page asked for.
BIG_TABLES = frozenset({"projects", "customers", "stage_occurrences", "transitions", "assignments", "clock_runs",
                        "escalations", "escalation_recipients", "events", "api_tokens"})
Scan = tuple[str, str | None, str | None]  # node type, relation, index


def captured(database: Any, client: Any, targets: list[list[str]]) -> list[list[tuple[str, Any]]]:
    """GET each [path, token] through `client` (a TestClient of an app on `database`); return, per request,
    every statement with its parameters as the driver received them."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    per_request = []
    event.listen(database.engine, "before_cursor_execute", capture)
    try:
        for path, token in targets:
            seen.clear()
            response = client.get(path, headers={"Authorization": f"Bearer {token}"})
            if response.status_code != 200:
                raise AssertionError(f"{path}: {response.status_code} {response.text}")
            per_request.append([s for s in seen if s[0].strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK")])
    finally:
        event.remove(database.engine, "before_cursor_execute", capture)
    return per_request


# -- PostgreSQL ------------------------------------------------------------------------------------------
def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def _document(document: Any) -> dict[str, Any]:
    return (json.loads(document) if isinstance(document, str) else document)[0]


def scans(document: dict[str, Any]) -> list[Scan]:
    return [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in plan_nodes(document["Plan"])]


def custom_plan(database: Any, statement: str, parameters: Any, *, analyze: bool = False) -> dict[str, Any]:
    """EXPLAIN with the parameters bound: the plan of a statement's first executions. With `analyze`, it runs
    (in a transaction rolled back) and the document has its "Execution Time"."""
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    with database.engine.connect() as conn:  # closed without commit: rolled back
        return _document(conn.exec_driver_sql(f"EXPLAIN ({options}) {statement}", parameters).scalar_one())


_PARAM = re.compile(r"%\((\w+)\)s")


def generic_plan(database: Any, statement: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The plan a prepared statement may settle on after its fifth execution: PREPARE with $n placeholders,
    `plan_cache_mode = force_generic_plan`, EXPLAIN EXECUTE with the parameters as literals (so that the
    prepared statement decides their types)."""
    import psycopg

    names: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    prepared = _PARAM.sub(number, statement).replace("%%", "%")
    with database.engine.connect() as conn:
        raw = conn.connection.driver_connection
        try:
            with raw.cursor() as cur:
                cur.execute("SET plan_cache_mode = force_generic_plan")
                cur.execute(f"PREPARE read_plan AS {prepared}".encode())
                args = psycopg.ClientCursor(raw).mogrify(", ".join(f"%({n})s" for n in names),
                                                         {n: parameters[n] for n in names})
                cur.execute(f"EXPLAIN (FORMAT JSON) EXECUTE read_plan({args})".encode())
                document = cur.fetchone()[0]
        finally:
            raw.rollback()
            with raw.cursor() as cur:
                cur.execute("DEALLOCATE ALL")
                cur.execute("RESET plan_cache_mode")
    return _document(document)


def big_seq_scans(found: list[Scan]) -> list[Scan]:
    return [s for s in found if s[0] == "Seq Scan" and s[1] in BIG_TABLES]


# -- SQLite ----------------------------------------------------------------------------------------------
def sqlite_plan(database: Any, statement: str, parameters: Any) -> list[str]:
    with database.engine.connect() as conn:
        return [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]


def big_full_scans(details: list[str]) -> list[str]:
    """SQLite says SCAN for a whole table (or a whole index) and SEARCH for a lookup or a range."""
    return [d for d in details if d.startswith("SCAN ") and d.split()[1] in BIG_TABLES]


def problems(database: Any, statements: list[tuple[str, Any]]) -> list[tuple[str, Any, str]]:
    """(plan kind, offending scans, statement) for every statement that scans a big table, in any plan."""
    found = []
    for statement, parameters in statements:
        if database.dialect == "postgresql":
            plans = {"custom": custom_plan(database, statement, parameters)}
            if isinstance(parameters, dict) and parameters:
                plans["generic"] = generic_plan(database, statement, parameters)
            found += [(kind, bad, statement) for kind, doc in plans.items() if (bad := big_seq_scans(scans(doc)))]
        elif bad_sqlite := big_full_scans(sqlite_plan(database, statement, parameters)):
            found.append(("sqlite", bad_sqlite, statement))
    return found


# -- the benchmark's view: how much of a request is the database's --------------------------------------------
def read_path_figures(url: str, sample: Any, secret: str, paths: dict[str, str], requests: int = 20
                      ) -> dict[str, Any]:
    """For each read path, through the app in this process on the PostgreSQL database at `url`: statements per
    request, the database's execution time per request (EXPLAIN ANALYZE of each, summed), and any scan of a
    big table in its custom or generic plans."""
    from fastapi.testclient import TestClient

    from bench import dataset
    from bizext.api.app import create_app
    from bizext.config import Settings
    from bizext.db.session import Database

    database = Database(url, pool_size=2)
    out: dict[str, Any] = {}
    try:
        app = create_app(Settings(database_url=url, admin_token=None), database=database)
        with TestClient(app) as client:
            for kind in paths:
                per_request = captured(database, client, dataset.read_targets(sample, secret, kind, requests,
                                                                              seed=7))
                db_ms = [sum(custom_plan(database, s, p, analyze=True)["Execution Time"] for s, p in statements)
                         for statements in per_request]
                found = problems(database, [s for statements in per_request for s in statements])
                out[kind] = {"statements_per_request": sum(map(len, per_request)) / len(per_request),
                             "max_statements": max(map(len, per_request)),
                             "db_execution_ms_mean": sum(db_ms) / len(db_ms), "db_execution_ms_max": max(db_ms),
                             "big_table_scans": [f"{k}: {bad}: {' '.join(s.split())[:300]}" for k, bad, s in found]}
    finally:
        database.dispose()
    return out
