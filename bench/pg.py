"""PostgreSQL on this machine: scratch databases and the pgbench ceiling."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess

HOST, PORT, USER = "127.0.0.1", "5432", "postgres"
_CONN = ["-h", HOST, "-p", PORT, "-U", USER]


def _psql(sql: str) -> None:
    subprocess.run(["psql", *_CONN, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql],
                   check=True, timeout=60, capture_output=True)


def query(db: str, sql: str) -> list[list[str]]:
    """Rows of one query on database `db`, as text (psql's unaligned output)."""
    out = subprocess.run(["psql", *_CONN, "-d", db, "-v", "ON_ERROR_STOP=1", "-AtF", "\t", "-c", sql],
                         check=True, timeout=60, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def create_database(prefix: str) -> str:
    name = f"{prefix}_{secrets.token_hex(4)}"
    _psql(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlalchemy_url(name: str) -> str:
    return f"postgresql+psycopg://{USER}@{HOST}:{PORT}/{name}"


def pgbench_tps(clients: int, duration: int) -> float:
    """`pgbench -N` (simple update) TPS at `clients` concurrency, on a scratch database dropped afterwards."""
    if shutil.which("pgbench") is None:
        raise RuntimeError("pgbench not found: apt-get install postgresql-client")
    db = create_database("bizext_bench_pgbench")
    try:
        subprocess.run(["pgbench", *_CONN, "-i", "-q", db], check=True, timeout=300, capture_output=True)
        out = subprocess.run(["pgbench", *_CONN, "-N", "-c", str(clients), "-j", "2", "-T", str(duration), db],
                             check=True, timeout=duration + 120, capture_output=True, text=True).stdout
        m = re.search(r"tps = ([\d.]+)", out)
        if not m:
            raise RuntimeError(f"cannot parse pgbench output:\n{out}")
        return float(m.group(1))
    finally:
        drop_database(db)
