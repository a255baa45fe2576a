"""Real `bizext serve` and `bizext worker` processes for the tests that need several of them.

Each process is a child in its own process group (so that stopping or killing it reaches everything it
started), with its output in a log file that a failing test prints. A process can be killed with SIGKILL
and started again with the same command, port and log (appended to).

`servers` and `live_world` are fixtures: a test module imports them by name
(`from tests.servers import live_world, servers  # noqa: F401 - fixtures`) and gets its own two servers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, is_postgres
from tests.world import World

STARTUP_SECONDS = 60
REQUEST_SECONDS = 60
STOP_SECONDS = 15
REPO = Path(__file__).resolve().parent.parent
BIZEXT = (sys.executable, "-m", "bizext")

#: Marks for tests that need PostgreSQL: several processes writing at once is what they test, and SQLite
#: (one embedded file, one writer at a time) is not deployed that way (DESIGN §9).
POSTGRES_ONLY = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not is_postgres(os.environ.get("BIZEXT_TEST_DATABASE_URL") or "sqlite://"),
                       reason="needs PostgreSQL: set BIZEXT_TEST_DATABASE_URL (e.g. make test-postgres); "
                              "SQLite is a single-writer embedded database, not a multi-process deployment"),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    """One child process: a server (with `base_url`) or a worker."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], log: Path,
                 base_url: str | None = None):
        self.name, self.argv, self.env, self.log, self.base_url = name, list(argv), env, log, base_url
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> Process:
        assert not self.alive, f"{self.name} is already running"
        with self.log.open("ab") as out:
            if self.starts:
                out.write(f"\n--- restart {self.starts} ---\n".encode())
                out.flush()
            self.process = subprocess.Popen(self.argv, env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.starts += 1
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def poll(self) -> int | None:
        assert self.process is not None
        return self.process.poll()

    def output(self, tail: int = 4000) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.log}) ---\n{text[-tail:]}"

    def wait_ready(self, seconds: float = STARTUP_SECONDS) -> Process:
        """For a server: wait until `/readyz` answers 200."""
        assert self.base_url is not None, f"{self.name} is not a server"
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.alive:
                pytest.fail(f"{self.name} exited with {self.poll()}:\n{self.output()}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"{self.name} not ready after {seconds:.0f}s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL the process group: no handler runs, nothing is cleaned up, committed or answered."""
        if self.alive:
            os.killpg(self.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=STOP_SECONDS)

    def stop(self) -> None:
        """SIGTERM (uvicorn's supervisor stops its workers; the worker finishes its round), SIGKILL if slow."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            try:
                self.process.wait(timeout=STOP_SECONDS)  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                self.kill()


class Fleet:
    """The processes one test (or module) starts on one database; `stop_all()` stops every one of them."""

    def __init__(self, database_url: str, logs: Path, *, launcher: Sequence[str] = BIZEXT,
                 env: dict[str, str] | None = None):
        self.database_url, self.logs, self.launcher = database_url, logs, tuple(launcher)
        self.env = {**os.environ, "BIZEXT_DATABASE_URL": database_url, "BIZEXT_ADMIN_TOKEN": ADMIN_TOKEN,
                    "BIZEXT_DB_POOL_SIZE": "5", "PYTHONUNBUFFERED": "1",
                    "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
                    **(env or {})}
        self.processes: list[Process] = []

    def _add(self, kind: str, args: Sequence[str], env: dict[str, str] | None, base_url: str | None = None
             ) -> Process:
        name = f"{kind}-{sum(p.name.startswith(kind) for p in self.processes)}"
        process = Process(name, [*self.launcher, *args], {**self.env, **(env or {})}, self.logs / f"{name}.log",
                          base_url)
        self.processes.append(process)
        return process.start()

    def server(self, *, workers: int = 1, worker_loop: bool = True, env: dict[str, str] | None = None,
               wait: bool = True) -> Process:
        """`bizext serve` on a free port: `workers` server processes, with the in-process escalation worker
        loop or (`worker_loop=False`, as with separate `bizext worker` processes) without it."""
        port = free_port()
        args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                "--worker" if worker_loop else "--no-worker"]
        server = self._add("server", args, env, f"http://127.0.0.1:{port}")
        return server.wait_ready() if wait else server

    def worker(self, env: dict[str, str] | None = None) -> Process:
        """`bizext worker` (escalation sweeps and webhook deliveries until stopped)."""
        return self._add("worker", ["worker"], {"BIZEXT_DB_POOL_SIZE": "2", **(env or {})})

    def restart(self, process: Process) -> Process:
        process.start()
        return process.wait_ready() if process.base_url else process

    @property
    def servers(self) -> list[Process]:
        return [p for p in self.processes if p.base_url]

    def output(self, tail: int = 3000) -> str:
        return "\n".join(p.output(tail) for p in self.processes)

    def stop_all(self) -> None:
        for process in self.processes:
            process.stop()


@pytest.fixture(scope="module")
def servers(request: pytest.FixtureRequest, database: Any, database_url: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Process]]:
    """Two `bizext serve --workers 2` servers (four server processes in all, each with the built-in worker
    loop) on the suite's (already migrated) database."""
    fleet = Fleet(database_url, tmp_path_factory.mktemp(f"servers-{request.module.__name__.rsplit('.', 1)[-1]}"))
    try:
        started = [fleet.server(workers=2, wait=False) for _ in range(2)]
        for server in started:
            server.wait_ready()
        yield started
    finally:
        fleet.stop_all()


@pytest.fixture
def live_world(servers: list[Process], db: Any) -> Iterator[World]:
    """A world built through the first server; `db` empties the tables first."""
    with httpx.Client(base_url=servers[0].base_url or "", timeout=REQUEST_SECONDS) as client:
        yield World.build(client, ADMIN_TOKEN)  # type: ignore[arg-type]  # httpx.Client has TestClient's API
