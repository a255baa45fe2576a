"""Bulk-load a generated dataset (bench.dataset) into a freshly migrated PostgreSQL database, fast.

The schema is the migrations' own, untouched in the end: its keys, indexes and foreign keys are read from
the catalogue, dropped, and re-created with the very same definitions after the load (the catalogue is
compared before and after). Meanwhile every table is filled by its own `COPY … FROM STDIN (FREEZE)` in the
transaction that truncated it — one connection per table, all streaming at once while the generator runs,
`synchronous_commit` off — so rows arrive frozen and all-visible (index-only scans need no VACUUM).
Then ANALYZE, since this server runs without autovacuum.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import JSON, Boolean, Date, Table, Uuid

from bench import dataset
from bizext.db.models import Base
from bizext.db.types import UTCDateTime

# -- the models' column kinds, and COPY's text format for them ---------------------------------------------
def table_of(name: str) -> Table:
    return Base.metadata.tables[name]


def column_kinds(name: str) -> list[str]:
    table = table_of(name)
    kinds = []
    for column in dataset.COLUMNS[name]:
        t = table.c[column].type
        kinds.append("uuid" if isinstance(t, Uuid) else "instant" if isinstance(t, UTCDateTime)
                     else "json" if isinstance(t, JSON) or isinstance(getattr(t, "impl", None), JSON)
                     else "bool" if isinstance(t, Boolean) else "date" if isinstance(t, Date) else "plain")
    return kinds


_TIME_OF_DAY = [f" {h:02d}:{m:02d}:{s:02d}+00" for h in range(24) for m in range(60) for s in range(60)]
_DAYS: dict[int, str] = {}


def _instant(t: int) -> str:
    """Epoch seconds as a timestamptz literal in UTC (cheaper than datetime.isoformat by far)."""
    d = t // 86400
    day = _DAYS.get(d)
    if day is None:
        day = _DAYS[d] = (date(1970, 1, 1) + timedelta(days=d)).isoformat()
    return day + _TIME_OF_DAY[t % 86400]


def _text(v: Any) -> str:
    v = str(v)
    if "\\" in v or "\t" in v or "\n" in v or "\r" in v:
        v = v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return v


_FORMAT = {"uuid": str, "instant": _instant, "bool": lambda v: "t" if v else "f", "json": _text, "date": str,
           "plain": _text}


def copy_formatter(name: str) -> Any:
    """A function from a generated row to its COPY text line, compiled for the table: one f-string, with
    a NULL test only for nullable columns (a million-row load spends most of its Python time here)."""
    table = table_of(name)
    env: dict[str, Any] = {"_instant": _instant, "_text": _text, "_N": "\\N", "_T": "t", "_F": "f"}
    parts = []
    for i, (column, kind) in enumerate(zip(dataset.COLUMNS[name], column_kinds(name))):
        v = f"r[{i}]"
        # Text the generator writes (names, states, numbers) never holds a tab, newline or backslash;
        # only JSON documents are escaped.
        text = {"uuid": v, "instant": f"_instant({v})", "bool": f"(_T if {v} else _F)", "json": f"_text({v})",
                "date": v, "plain": v}[kind]
        if table.c[column].nullable:
            text = f"(_N if {v} is None else {text})"
        parts.append("{" + text + "}")
    source = 'lambda r: f"' + "\\t".join(parts) + '\\n"'
    return eval(source, env)  # noqa: S307 — built from the models' own column list


# -- the schema, taken apart and put back ----------------------------------------------------------------
_CONSTRAINTS = """
SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'u', 'f')
ORDER BY conrelid::regclass::text, conname"""
_INDEXES = """
SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
ORDER BY 1, 2"""


@dataclass(frozen=True)
class Schema:
    constraints: list[tuple[str, str, str, str]]  # table, name, kind (p/u/f), definition
    indexes: list[tuple[str, str, str]]  # table, name, CREATE INDEX statement

    @classmethod
    def read(cls, conn: psycopg.Connection) -> Schema:
        return cls(list(conn.execute(_CONSTRAINTS)), list(conn.execute(_INDEXES)))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def take_apart(conn: psycopg.Connection, schema: Schema, tables: set[str]) -> None:
    """Every foreign key (they point at the keys below), then the loaded tables' keys and indexes."""
    for table, name, kind, _ in schema.constraints:
        if kind == "f":
            conn.execute(f"ALTER TABLE {_q(table)} DROP CONSTRAINT {_q(name)}")
    for table, name, kind, _ in schema.constraints:
        if kind != "f" and table in tables:
            conn.execute(f"ALTER TABLE {_q(table)} DROP CONSTRAINT {_q(name)}")
    for table, name, _ in schema.indexes:
        if table in tables:
            conn.execute(f"DROP INDEX {_q(name)}")


def put_back(dsn: str, schema: Schema, tables: list[str], timings: dict[str, float]) -> dict[str, float]:
    """Keys and indexes again (two connections at once, a table's statements in order on one of them), then
    the foreign keys (one by one: each locks two tables), then the catalogue must be what it was. Returns the
    wall-clock seconds of each step."""
    start = time.perf_counter()
    per_table = [[(f"key {name}", f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
                  for t, name, kind, definition in schema.constraints if t == table and kind != "f"]
                 + [(f"index {name}", statement) for t, name, statement in schema.indexes if t == table]
                 for table in tables]
    run_in_parallel(dsn, per_table, timings)
    keyed = time.perf_counter()
    run_in_parallel(dsn, [[(f"fk {name}", f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
                           for table, name, kind, definition in schema.constraints if kind == "f"]], timings)
    with psycopg.connect(dsn) as conn:
        after = Schema.read(conn)
    if sorted(after.constraints) != sorted(schema.constraints) or sorted(after.indexes) != sorted(schema.indexes):
        raise RuntimeError("the schema after the load differs from the migrated one")
    return {"keys_and_indexes": keyed - start, "foreign_keys": time.perf_counter() - keyed}


def run_in_parallel(dsn: str, jobs: list[list[tuple[str, str]]], timings: dict[str, float],
                    connections: int = 2) -> None:
    """Each job is statements run in order on one connection; jobs go to `connections` connections at once.
    Each statement's time goes into `timings`."""
    import queue
    import threading

    todo: queue.Queue[list[tuple[str, str]]] = queue.Queue()
    for job in jobs:
        if job:
            todo.put(job)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("SET maintenance_work_mem = '256MB'")
                while not failures:
                    try:
                        job = todo.get_nowait()
                    except queue.Empty:
                        return
                    for what, sql in job:
                        started = time.perf_counter()
                        conn.execute(sql)
                        timings[what] = time.perf_counter() - started
        except BaseException as exc:  # re-raised in the caller's thread
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(min(connections, todo.qsize()) or 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]


# -- streaming COPY ----------------------------------------------------------------------------------------
class CopyStreams:
    """One connection per table, each in `TRUNCATE; COPY … (FREEZE)` until closed."""

    def __init__(self, dsn: str, tables: tuple[str, ...]):
        self._stack = contextlib.ExitStack()
        self._conns: list[psycopg.Connection] = []
        self._copies: dict[str, Any] = {}
        for table in tables:
            conn = psycopg.connect(dsn)
            self._conns.append(conn)
            conn.execute("SET synchronous_commit = off")
            conn.execute(f"TRUNCATE {_q(table)}")
            columns = ", ".join(_q(c) for c in dataset.COLUMNS[table])
            self._copies[table] = self._stack.enter_context(
                conn.cursor().copy(f"COPY {_q(table)} ({columns}) FROM STDIN (FREEZE)"))

    def write(self, table: str, text: str) -> None:
        if text:
            self._copies[table].write(text)

    def close(self) -> None:
        self._stack.close()  # ends every COPY
        for conn in self._conns:
            conn.commit()
            conn.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._stack.close()
        for conn in self._conns:
            with contextlib.suppress(Exception):
                conn.close()


def render(shape: dataset.Shape, part: int | None) -> tuple[dict[str, str], dataset.Sample]:
    """Generate one part (people, or a slice of projects) as COPY text per table."""
    lines: dict[str, list[str]] = {t: [] for t in dataset.TABLES}
    formats = {t: copy_formatter(t) for t in dataset.TABLES}
    sample = dataset.generate_part(shape, lambda table, row: lines[table].append(formats[table](row)), part)
    return {t: "".join(v) for t, v in lines.items()}, sample


def _render(args: tuple[dataset.Shape, int | None]) -> tuple[dict[str, str], dataset.Sample]:
    return render(*args)


@dataclass
class Loaded:
    sample: dataset.Sample
    seconds: dict[str, float] = field(default_factory=dict)  # copy, keys_and_indexes, foreign_keys, analyze, total
    details: dict[str, float] = field(default_factory=dict)  # per key, index, foreign key


def load(dsn: str, shape: dataset.Shape, processes: int | None = None) -> Loaded:
    """Fill a migrated, empty database with `shape`'s rows. `dsn`: a libpq connection string. Slices are
    generated by `processes` worker processes (default: one per core) while this one feeds their text to
    the COPY streams, so generation, parsing and writing overlap."""
    start = time.perf_counter()
    tables = dataset.TABLES
    processes = processes or os.cpu_count() or 1
    with psycopg.connect(dsn, autocommit=True) as conn:
        schema = Schema.read(conn)
        take_apart(conn, schema, set(tables))
    parts: list[int | None] = [None, *dataset.slices(shape)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        streams = CopyStreams(dsn, dataset.TABLES)
        try:
            sample = dataset.Sample()
            for texts, part_sample in pool.imap(_render, [(shape, p) for p in parts]):
                for table, text in texts.items():
                    streams.write(table, text)
                sample.merge(part_sample)
            table, row = dataset.counters(sample)
            streams.write(table, copy_formatter(table)(row))
            streams.close()
        except BaseException:
            streams.abort()
            raise
    copied = time.perf_counter()
    loaded = Loaded(sample)
    # Biggest tables first, so that the two connections finish together.
    order = sorted(dataset.TABLES, key=lambda t: -sample.rows.get(t, 0))
    steps = put_back(dsn, schema, order, loaded.details)
    analyzed = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        every_table = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    run_in_parallel(dsn, [[(f"analyze {t}", f"ANALYZE {_q(t)}")] for t in sorted(
        every_table, key=lambda t: -sample.rows.get(t, 0))], loaded.details)
    done = time.perf_counter()
    loaded.seconds = {"copy": copied - start, **steps, "analyze": done - analyzed, "total": done - start}
    return loaded


# -- small databases (tests): plain inserts in one transaction ---------------------------------------------
def _python(kind: str) -> Any:
    """From the generator's plain values to what SQLAlchemy's column types bind."""
    if kind == "uuid":
        return lambda v: None if v is None else dataset.as_uuid(v)
    if kind == "instant":
        return lambda v: None if v is None else datetime.fromtimestamp(v, UTC)
    if kind == "json":
        return lambda v: None if v is None else json.loads(v)
    return lambda v: v


def insert(engine: Any, shape: dataset.Shape) -> dataset.Sample:
    """Every row of `shape` into a migrated database (any dialect) through `engine`, in one transaction, with
    its keys, indexes and foreign keys in place (they check the rows): COPY on PostgreSQL, executemany
    elsewhere. For tests' small databases; the benchmark's big ones go through `load`."""
    from sqlalchemy import insert as sql_insert

    rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in dataset.TABLES}
    sample = dataset.generate(shape, lambda table, row: rows[table].append(row))
    with engine.begin() as conn:
        conn.execute(table_of("counters").delete().where(table_of("counters").c.name == "events"))
        for name in dataset.TABLES:
            if not rows[name]:
                continue
            if engine.dialect.name == "postgresql":
                line = copy_formatter(name)
                columns = ", ".join(_q(c) for c in dataset.COLUMNS[name])
                cursor = conn.connection.driver_connection.cursor()
                with cursor.copy(f"COPY {_q(name)} ({columns}) FROM STDIN") as copy:
                    copy.write("".join(line(r) for r in rows[name]))
                continue
            convert = [_python(k) for k in column_kinds(name)]
            batch = [{c: f(v) for c, f, v in zip(dataset.COLUMNS[name], convert, r)} for r in rows[name]]
            conn.execute(sql_insert(table_of(name)), batch)
    return sample
