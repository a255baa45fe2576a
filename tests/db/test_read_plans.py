"""No read path scans a big table (issue 6): the SQL that `GET /v1/projects/{id}`, an owner's work list
(`GET /v1/projects?owner_id=`) and a recipient's open escalations (`GET /v1/escalations?status=open&recipient_id=`)
really send — captured from the cursor while the API answers — is explained by the database itself.

The database holds a utility's worth of rows (bench/dataset.py, the benchmark's own generator, at 10,000
projects: every state of both workflows, stage history, clock runs, escalations and their recipients,
events), with fresh statistics (ANALYZE), so the planner chooses as it would in production rather than
because tables are tiny. On PostgreSQL each statement is explained twice: with its parameters (the custom
plan of the first executions) and as a prepared statement forced to its generic plan (what a connection
settles on once psycopg has prepared a statement it runs often). On SQLite, EXPLAIN QUERY PLAN.

A "big table" is one that grows with the number of projects (or of users): a scan of it is a cost that
grows with the utility's history instead of with the page asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from bench import bulk, dataset
from bizext.db.session import Database

PROJECTS = 10_000
BIG_TABLES = frozenset({"projects", "customers", "stage_occurrences", "transitions", "assignments", "clock_runs",
                        "escalations", "escalation_recipients", "events", "api_tokens"})
READ_PATHS = ("project", "worklist", "escalations")
REQUESTS = 4  # different ids per path


@pytest.fixture
def loaded(db: Database, clock: Any) -> tuple[dataset.Shape, dataset.Sample]:
    shape = dataset.Shape(projects=PROJECTS, now=clock.now, due=30, secret="plans")
    sample = bulk.insert(db.engine, shape)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return shape, sample


def captured(db: Database, client: Any, targets: list[list[str]]) -> list[tuple[str, Any]]:
    """Call the API for each [path, token]; return every statement (with its parameters) it sent."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        for path, token in targets:
            response = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, (path, response.text)
            assert "items" not in response.json() or response.json()["items"], path  # a real page, not empty
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return seen


# -- PostgreSQL ------------------------------------------------------------------------------------------
def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def _scans(document: Any) -> list[tuple[str, str | None, str | None]]:
    document = json.loads(document) if isinstance(document, str) else document
    return [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in plan_nodes(document[0]["Plan"])]


def custom_plan(db: Database, statement: str, parameters: Any) -> list[tuple[str, str | None, str | None]]:
    with db.engine.connect() as conn:
        return _scans(conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar_one())


_PARAM = re.compile(r"%\((\w+)\)s")


def generic_plan(db: Database, statement: str, parameters: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """The plan a prepared statement falls back to: PREPARE with $n placeholders, forced generic, EXPLAIN
    EXECUTE with the parameters as literals (so that the prepared statement decides their types)."""
    import psycopg

    names: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    prepared = _PARAM.sub(number, statement).replace("%%", "%")
    with db.engine.connect() as conn:
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
    return _scans(document)


def big_seq_scans(scans: list[tuple[str, str | None, str | None]]) -> list[tuple[str, str | None, str | None]]:
    return [s for s in scans if s[0] == "Seq Scan" and s[1] in BIG_TABLES]


# -- SQLite ----------------------------------------------------------------------------------------------
def sqlite_plan(db: Database, statement: str, parameters: Any) -> list[str]:
    with db.engine.connect() as conn:
        return [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]


def big_full_scans(details: list[str]) -> list[str]:
    """SQLite says SCAN for a whole table (or a whole index) and SEARCH for a lookup or range."""
    return [d for d in details if d.startswith("SCAN ") and d.split()[1] in BIG_TABLES]


def test_no_read_path_scans_a_big_table(db, client, loaded):
    shape, sample = loaded
    problems = []
    for path in READ_PATHS:
        statements = captured(db, client, dataset.read_targets(sample, shape.secret, path, REQUESTS))
        tables = {t for s, _ in statements for t in BIG_TABLES if re.search(rf"\b{t}\b", s)}
        assert {"projects" if path != "escalations" else "escalations", "api_tokens"} <= tables, statements
        for statement, parameters in statements:
            if db.dialect == "postgresql":
                plans = {"custom": custom_plan(db, statement, parameters)}
                if isinstance(parameters, dict) and parameters:
                    plans["generic"] = generic_plan(db, statement, parameters)
                problems += [(path, kind, big_seq_scans(scans), statement) for kind, scans in plans.items()
                             if big_seq_scans(scans)]
            elif scans := big_full_scans(sqlite_plan(db, statement, parameters)):
                problems.append((path, "sqlite", scans, statement))
    assert not problems, "\n\n".join(f"{path}, {kind} plan: {scans}\n{statement}"
                                       for path, kind, scans, statement in problems)
